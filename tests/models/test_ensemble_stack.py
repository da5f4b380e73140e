"""StackedEnsemble: estimator contract, planted signal vs noise, calibration, decisions, persistence."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from tradeforge.errors import ConfigError, DataError, ModelError
from tradeforge.models._calibration import (
    Calibrator,
    chronological_calibration,
    expected_calibration_error,
)
from tradeforge.models.ensemble import StackedEnsemble

FAST = dict(base_models=("rf", "xgb", "lgbm", "mlp", "svm"), fast=True, n_splits=3)


def _data(n=400, k=8, signal=True, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, k)), columns=[f"f{i}" for i in range(k)],
                     index=pd.date_range("2020-01-01", periods=n, freq="D"))
    if signal:
        y = (X["f0"] - 0.7 * X["f1"] + 0.6 * rng.normal(size=n) > 0).astype(int).to_numpy()
    else:
        y = rng.integers(0, 2, n)
    return X, y


@pytest.fixture(scope="module")
def fitted():
    X, y = _data()
    returns = np.where(y == 1, 0.02, -0.01)
    return StackedEnsemble(**FAST, purge=2).fit(X, y, returns=returns), X, y


def test_contract_fit_returns_self_clone_and_determinism(fitted):
    model, X, y = fitted
    twin = clone(model)
    assert not hasattr(twin, "base_") and twin.get_params() == {**model.get_params(), "purge": 2}
    again = twin.fit(X, y, returns=np.where(y == 1, 0.02, -0.01))
    assert again is twin
    np.testing.assert_array_equal(model.predict_proba(X), twin.predict_proba(X))


def test_planted_signal_is_learned_out_of_fold(fitted):
    report = fitted[0].report_
    assert list(report.index) == ["rf", "xgb", "lgbm", "mlp", "svm", "stack", "stack_calibrated"]
    assert report.loc["stack", "auc"] > 0.75
    assert (report[["brier", "ece"]].to_numpy() >= 0).all() and (report["n"] > 50).all()


def test_pure_noise_is_not_learned():
    X, y = _data(signal=False, seed=3)
    report = StackedEnsemble(**FAST).fit(X, y).report_
    assert abs(report.loc["stack", "auc"] - 0.5) < 0.12
    assert report.loc[["rf", "xgb", "lgbm", "mlp", "svm"], "auc"].max() < 0.65


def test_calibration_improves_ece_out_of_sample():
    rng = np.random.default_rng(5)
    p_true = rng.uniform(0.05, 0.95, 3000)
    y = (rng.uniform(size=3000) < p_true).astype(int)
    overconfident = 1 / (1 + np.exp(-3 * np.log(p_true / (1 - p_true))))
    for method in ("isotonic", "platt"):
        honest = chronological_calibration(overconfident, y, method)
        ok = np.isfinite(honest)
        before = expected_calibration_error(y[ok], overconfident[ok])
        after = expected_calibration_error(y[ok], honest[ok])
        assert after < 0.5 * before, method
    cal = Calibrator("platt").fit(overconfident, y)
    assert Calibrator.from_dict(cal.to_dict()).transform([0.3])[0] == cal.transform([0.3])[0]


def test_decide_applies_thresholds_confidence_and_expected_return(fitted):
    model, X, _ = fitted
    table = model.decide(X.iloc[-60:])
    assert table.index.equals(X.index[-60:])
    p = table["proba"].to_numpy()
    assert ((p >= 0) & (p <= 1)).all()
    buy, sell = table["decision"] == "BUY", table["decision"] == "SELL"
    assert (p[buy] >= 0.6).all() and (p[sell] <= 0.4).all() and buy.any() and sell.any()
    np.testing.assert_allclose(table.loc[sell, "confidence"], 1 - p[sell])
    np.testing.assert_allclose(table["expected_return"], p * 0.02 + (1 - p) * -0.01)
    np.testing.assert_array_equal(model.predict(X.iloc[-60:]), (p >= 0.5).astype(int))


def test_nan_features_are_imputed_with_training_medians():
    X, y = _data(n=300, seed=4)
    X.iloc[::7, 2] = np.nan
    X["empty"] = np.nan
    model = StackedEnsemble(base_models=("lgbm", "svm"), fast=True, n_splits=3).fit(X, y)
    assert model.medians_[-1] == 0.0
    assert np.isfinite(model.predict_proba(X)).all()


def test_user_errors_are_named():
    X, y = _data(n=200)
    with pytest.raises(ModelError, match="class"):
        StackedEnsemble(**FAST).fit(X, np.ones(200))
    with pytest.raises(DataError, match="too few"):
        StackedEnsemble(**FAST).fit(X.iloc[:10], y[:10])
    with pytest.raises(ConfigError, match="Did you mean 'xgb'"):
        StackedEnsemble(base_models=("xgbb",)).fit(X, y)
    with pytest.raises(ConfigError, match=r"write \('rf',\)"):
        StackedEnsemble(base_models="rf").fit(X, y)
    with pytest.raises(ConfigError, match="sell_threshold"):
        StackedEnsemble(buy_threshold=0.4, sell_threshold=0.6).fit(X, y)
    with pytest.raises(ConfigError, match="Did you mean 'latest_block'"):
        StackedEnsemble(**FAST, meta_slope="latest").fit(X, y)
    with pytest.raises(ModelError, match="not fitted"):
        StackedEnsemble().predict_proba(X)


def test_feature_mismatch_is_refused(fitted):
    model, X, _ = fitted
    with pytest.raises(DataError, match="f0"):
        model.predict_proba(X.rename(columns={"f0": "other"}))
    with pytest.raises(DataError, match="8 features"):
        model.predict_proba(X.to_numpy()[:, :5])


def test_save_load_round_trip_gives_identical_predictions(fitted, tmp_path):
    model, X, _ = fitted
    files = model.save(tmp_path)
    expected = {"ensemble.json", "rf.pkl", "xgb.json", "lgbm.txt", "mlp.pkl", "svm.pkl"}
    assert {f.name for f in files} == expected
    loaded = StackedEnsemble.load(tmp_path)
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert loaded.meta_slope_ == model.meta_slope_ and loaded.get_params() == model.get_params()
    pd.testing.assert_frame_equal(loaded.report_, model.report_, check_dtype=False)


def test_label_end_purge_and_sample_weight_are_used(tmp_path):
    X, y = _data(n=300, seed=6)
    label_end = np.minimum(np.arange(300) + 5, 299)
    weight = np.linspace(0.5, 1.5, 300)
    kw = dict(base_models=("lgbm", "svm"), fast=True, n_splits=3)
    purged = StackedEnsemble(**kw, purge=label_end).fit(X, y, sample_weight=weight)
    plain = StackedEnsemble(**kw).fit(X, y, sample_weight=weight)
    unweighted = StackedEnsemble(**kw, purge=label_end).fit(X, y)
    assert purged.n_oof_rows_ == plain.n_oof_rows_  # purge trims training rows, never test rows
    assert not np.array_equal(purged.report_.to_numpy(), plain.report_.to_numpy())
    assert not np.array_equal(purged.predict_proba(X), unweighted.predict_proba(X))
    purged.save(tmp_path)
    np.testing.assert_array_equal(StackedEnsemble.load(tmp_path).purge, label_end)
    with pytest.raises(DataError, match="sample_weight"):
        StackedEnsemble(**kw).fit(X, y, sample_weight=weight[:10])


def test_auto_calibration_is_chosen_on_rows_it_is_not_scored_on():
    """"auto" picks the best honest Brier on the earlier half of the calibrated OOF rows and reports the
    scores of the later rows only (a strict, later subset of what a fixed method reports)."""
    rng = np.random.default_rng(7)
    X = rng.normal(size=(600, 4))
    y = (X[:, 0] + rng.normal(scale=1.5, size=600) > 0).astype(int)
    auto = StackedEnsemble(base_models=("lgbm",), fast=True, calibration="auto", random_state=0).fit(X, y)
    assert set(auto.calibration_brier_) == {"isotonic", "platt", "none"}
    assert auto.calibration_ == min(auto.calibration_brier_, key=auto.calibration_brier_.get)
    assert auto.calibrator_.method == auto.calibration_
    fixed = StackedEnsemble(base_models=("lgbm",), fast=True, calibration=auto.calibration_,
                            random_state=0).fit(X, y)
    assert fixed.calibration_brier_ == {}  # nothing chosen: every honest row is scored
    n_auto, n_fixed = auto.report_.loc["stack", "n"], fixed.report_.loc["stack", "n"]
    assert (auto.report_["n"] == n_auto).all()  # every row of the report on the same rows
    assert n_fixed // 2 - 2 <= n_auto < n_fixed
    # the chosen method's score on the choosing rows is not what is reported
    assert auto.report_.loc["stack_calibrated", "brier"] != pytest.approx(
        auto.calibration_brier_[auto.calibration_], abs=1e-12)


def test_meta_slope_from_the_latest_block_scales_the_pooled_weights():
    X, y = _data(n=400, seed=11)
    pooled = StackedEnsemble(**FAST, meta_slope="pooled").fit(X, y)
    latest = StackedEnsemble(**FAST).fit(X, y)
    assert pooled.meta_slope_ == 1.0 and 0.0 <= latest.meta_slope_ <= 3.0
    # the same base models and weights up to the one slope: only the meta-learner's fit differs
    np.testing.assert_allclose(latest.meta_coef_, latest.meta_slope_ * pooled.meta_coef_, rtol=1e-6,
                               atol=1e-9)
