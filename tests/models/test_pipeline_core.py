"""MLPipeline: output lines, causality (truncation), live == batch, train_end isolation, saving, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tradeforge.errors import ConfigError, DataError, ModelError
from tradeforge.feeds import load
from tradeforge.models.pipeline import LINES, MLPipeline

PARAMS = {"fast": True, "garch_window": 60, "garch_refit_every": 150, "lstm_epochs": 2, "random_state": 3}
TRAIN_END = 549


def _synth(bars: int = 700, edge: float = 0.3, seed: int = 0) -> pd.DataFrame:
    return next(iter(load(f"synth:symbols=1,bars={bars},freq=1d,seed={seed},edge={edge}").values()))


@pytest.fixture(scope="module")
def fitted():
    df = _synth()
    pipe = MLPipeline(**PARAMS).fit(df, train_end=df.index[TRAIN_END])
    return df, pipe, pipe.predict_frame(df)


def test_lines_shape_and_values(fitted):
    df, pipe, frame = fitted
    assert list(frame.columns) == [*LINES, "pred_1d"]
    assert frame.index.equals(df.index)
    valid = frame.iloc[pipe.warmup - 1:]
    assert np.isfinite(valid.to_numpy()).all()
    assert set(np.unique(valid["ml_decision"])) <= {-1.0, 0.0, 1.0}
    assert valid["ml_risk"].between(1, 10).all() and (valid["ml_risk"] == valid["ml_risk"].round()).all()
    assert ((valid["ml_proba"] >= 0) & (valid["ml_proba"] <= 1)).all()
    assert (valid["ml_sigma"] > 0).all() and valid["ml_sigma"].median() < 0.1
    # BUY/SELL confidence is the calibrated probability of the decided side
    buy = valid["ml_decision"] == 1
    np.testing.assert_array_equal(valid.loc[buy, "ml_confidence"], valid.loc[buy, "ml_proba"])


def test_warmup_is_honest_and_window_means_all_history(fitted):
    df, pipe, frame = fitted
    assert pipe.window is None
    assert MLPipeline(**PARAMS).warmup == pipe.warmup  # the pre-fit estimate is exact for daily data
    assert pipe.warmup >= max(PARAMS["garch_window"], 57)  # GARCH window and the feature set's lookback
    assert np.isnan(frame["ml_proba"].iloc[pipe.warmup - 2])
    assert np.isfinite(frame.iloc[pipe.warmup - 1].to_numpy()).all()


def test_truncation_changes_nothing_before_the_cut(fitted):
    df, pipe, frame = fitted
    rng = np.random.default_rng(7)
    for cut in sorted(rng.integers(pipe.warmup + 5, len(df) - 1, size=2)) + [pipe.warmup + 1]:
        pd.testing.assert_frame_equal(pipe.predict_frame(df.iloc[:cut]), frame.iloc[:cut], check_exact=True)


def test_predict_latest_equals_batch_row(fitted):
    df, pipe, frame = fitted
    for end in (pipe.warmup, 600, len(df)):
        live = pipe.predict_latest(df.iloc[:end])
        batch = frame.iloc[end - 1]
        assert list(live) == list(frame.columns)
        np.testing.assert_array_equal(np.array(list(live.values())), batch.to_numpy())


def test_start_uses_earlier_bars_as_warmup_only(fitted):
    df, pipe, frame = fitted
    part = pipe.predict_frame(df, start=df.index[620])
    pd.testing.assert_frame_equal(part, frame.iloc[620:], check_exact=True)


def test_fit_never_reads_after_train_end_and_is_deterministic(fitted):
    df, pipe, frame = fitted
    other = df.copy()
    rng = np.random.default_rng(1)
    scale = np.exp(np.cumsum(rng.normal(0, 0.03, len(df) - TRAIN_END - 1)))
    other.iloc[TRAIN_END + 1:, :4] = other.iloc[TRAIN_END + 1:, :4].to_numpy() * scale[:, None]
    refit = MLPipeline(**PARAMS).fit(other, train_end=df.index[TRAIN_END])
    assert refit.report_["n_train"] == pipe.report_["n_train"]
    assert refit.report_["auc"] == pipe.report_["auc"]
    pd.testing.assert_frame_equal(refit.predict_frame(other.iloc[: TRAIN_END + 1]),
                                  frame.iloc[: TRAIN_END + 1], check_exact=True)
    # the label purge at the window's edge: no training label ends after train_end
    assert (pipe.train_rows_["label_end"] <= df.index[TRAIN_END]).all()
    assert pipe.train_rows_["time"].max() < df.index[TRAIN_END]


def test_report_has_scores_and_stage_timings(fitted):
    _, pipe, _ = fitted
    rep = pipe.report_
    assert set(rep["timings"]) == {"features", "lstm", "ensemble", "garch"}
    assert all(v >= 0 for v in rep["timings"].values())
    assert 0 <= rep["auc"] <= 1 and 0 <= rep["brier"] <= 1 and rep["n_train"] > 100


def test_save_load_round_trip(fitted, tmp_path):
    df, pipe, frame = fitted
    files = pipe.save(tmp_path / "pipe")
    assert all(f.is_file() for f in files) and (tmp_path / "pipe" / "pipeline.json") in files
    loaded = MLPipeline.load(tmp_path / "pipe")
    assert loaded.warmup == pipe.warmup and loaded.report_ == pipe.report_
    pd.testing.assert_frame_equal(loaded.predict_frame(df.iloc[:620]), frame.iloc[:620], check_exact=True)


def test_get_set_params_and_bad_config():
    pipe = MLPipeline(horizon=2)
    assert pipe.get_params()["horizon"] == 2
    assert pipe.set_params(lstm_epochs=4).lstm_epochs == 4
    with pytest.raises(ConfigError, match="lstm_oof_splits"):
        MLPipeline(lstm_oof_splits=0).fit(_synth(bars=100))
    with pytest.raises(ConfigError, match="timeframe"):
        MLPipeline(timeframes=("1h",)).fit(_synth(bars=100))
    with pytest.raises(ConfigError, match="train_start"):
        df = _synth(bars=100)
        MLPipeline().fit(df, train_start=df.index[50], train_end=df.index[10])


def test_bad_input_errors(fitted):
    df, pipe, _ = fitted
    with pytest.raises(DataError, match=r"missing column\(s\) \['volume'\]"):
        MLPipeline(**PARAMS).fit(df.drop(columns="volume"))
    with pytest.raises(DataError, match="labelled training rows"):
        MLPipeline(**PARAMS).fit(_synth(bars=160))
    with pytest.raises(DataError, match="expected an OHLCV DataFrame"):
        MLPipeline(**PARAMS).fit([1, 2, 3])
    with pytest.raises(ModelError, match="not fitted"):
        MLPipeline().predict_frame(df)
    with pytest.raises(DataError, match="missing column"):
        pipe.predict_latest(df[["open", "close"]])
    with pytest.raises(DataError, match="no bars to predict"):
        pipe.predict_frame(df.iloc[:0])
    with pytest.raises(ModelError, match="missing"):
        MLPipeline.load("/nonexistent/pipeline-dir")
    # fewer bars than the warm-up: every model line is NaN (no error, no made-up value)
    assert np.isnan(pipe.predict_latest(df.iloc[:30])["ml_proba"])


def test_model_registry_stores_a_fitted_pipeline(fitted, tmp_path, monkeypatch):
    from tradeforge.models import registry

    # the registry's kind table does not list the pipeline yet; register it the way its owner would
    monkeypatch.setitem(registry.KINDS, "ml_pipeline", "tradeforge.models.pipeline:MLPipeline")
    df, pipe, frame = fitted
    reg = registry.ModelRegistry(tmp_path)
    version = reg.save({"pipeline": pipe}, data_range=(df.index[0], df.index[TRAIN_END]),
                       data_hash=registry.data_fingerprint(df.iloc[: TRAIN_END + 1]),
                       feature_names=pipe.columns_, params={}, metrics=pipe.report_)
    loaded = reg.load(version, expected_features=pipe.columns_)["pipeline"]
    pd.testing.assert_frame_equal(loaded.predict_frame(df.iloc[:600]), frame.iloc[:600], check_exact=True)
