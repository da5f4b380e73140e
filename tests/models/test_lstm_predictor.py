"""LSTMPredictor: learning, no lookahead (prefix = batch, bitwise), determinism, persistence, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from tradeforge.errors import ConfigError, DataError, ModelError
from tradeforge.models.lstm import LSTMPredictor

TINY = dict(lookback=6, size="small", device="cpu", num_threads=1, epochs=2, batch_size=32)


def _planted(n: int, seed: int = 0, k: int = 3) -> tuple[pd.DataFrame, np.ndarray]:
    """Features iid N(0,1); the target at bar t (next return) is 0.5 * f0[t] + small noise."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, k)), columns=[f"f{i}" for i in range(k)],
                     index=pd.date_range("2020-01-01", periods=n, freq="D"))
    y = 0.5 * X["f0"].to_numpy() + 0.1 * rng.normal(size=n)
    y[-1] = np.nan  # the last bar has no next return yet
    X.iloc[:4] = np.nan  # indicator warm-up rows
    return X, y


@pytest.fixture(scope="module")
def fitted() -> tuple[LSTMPredictor, pd.DataFrame, np.ndarray]:
    X, y = _planted(260)
    return LSTMPredictor(**TINY).fit(X, y), X, y


def test_planted_relation_beats_predicting_zero_out_of_sample():
    X, y = _planted(900, seed=1)
    model = LSTMPredictor(lookback=5, size="small", device="cpu", num_threads=1, epochs=12, lr=3e-3,
                          batch_size=32, patience=4, indicator_columns=["f0", "f1"])
    model.fit(X.iloc[:650], y[:650])
    pred = model.predict(X)[650:-1]
    truth = y[650:-1]
    mse_model = np.mean((pred - truth) ** 2)
    mse_zero = np.mean(truth**2)
    assert np.isfinite(pred).all()
    assert mse_model < 0.5 * mse_zero, (mse_model, mse_zero)


def test_prediction_at_t_uses_bars_up_to_t_only_bitwise(fitted):
    model, X, _ = fitted
    full = model.predict(X)
    lookback = model.config_["lookback"]
    first = 4 + lookback - 1  # 4 NaN warm-up rows, then a complete window
    assert np.isnan(full[:first]).all() and np.isfinite(full[first:]).all()
    rng = np.random.default_rng(7)
    for t in sorted(rng.choice(np.arange(first, len(X)), size=8, replace=False)) + [first, len(X) - 1]:
        assert model.predict(X.iloc[: t + 1])[-1] == full[t]
        assert model.predict_last(X.iloc[: t + 1]) == full[t]
    # changing future bars leaves every earlier prediction untouched
    cut = 150
    X2 = X.copy()
    X2.iloc[cut:] = 99.0
    assert np.array_equal(model.predict(X2)[:cut], full[:cut], equal_nan=True)


def test_same_seed_same_predictions_other_seed_differs(fitted):
    model, X, y = fitted
    again = LSTMPredictor(**TINY).fit(X, y)
    assert np.array_equal(again.predict(X), model.predict(X), equal_nan=True)
    other = LSTMPredictor(**TINY, random_state=1).fit(X, y)
    assert not np.array_equal(other.predict(X), model.predict(X), equal_nan=True)


def test_fit_restores_thread_count_and_global_rng(fitted):
    _, X, y = fitted
    before = torch.get_num_threads()
    torch.manual_seed(123)
    expected = torch.rand(1)
    torch.manual_seed(123)
    LSTMPredictor(**{**TINY, "num_threads": 2, "epochs": 1}).fit(X, y)
    assert torch.get_num_threads() == before
    assert not torch.are_deterministic_algorithms_enabled()
    assert torch.equal(torch.rand(1), expected)


def test_early_stopping_keeps_best_epoch(fitted):
    _, X, y = fitted
    model = LSTMPredictor(**{**TINY, "epochs": 30, "patience": 1, "lr": 0.05}).fit(X, y)
    hist = model.history_
    best = hist["best_epoch"]
    assert hist["val_loss"][best] == min(hist["val_loss"])
    assert len(hist["val_loss"]) <= best + 2  # stopped one epoch after the last improvement (or at the end)


def test_zero_val_fraction_trains_every_epoch_without_early_stopping(fitted):
    _, X, y = fitted
    model = LSTMPredictor(**{**TINY, "epochs": 3, "val_fraction": 0.0}).fit(X, y)
    assert len(model.history_["train_loss"]) == 3 and model.history_["val_loss"] == []


def test_multi_symbol_fit_and_predict(fitted):
    model, X, y = fitted
    X2, y2 = _planted(200, seed=3)
    multi = LSTMPredictor(**TINY).fit([X, X2], [y, y2])
    preds = multi.predict([X, X2])
    assert [len(p) for p in preds] == [len(X), len(X2)]
    assert np.array_equal(preds[1], multi.predict(X2), equal_nan=True)
    single = LSTMPredictor(**TINY).fit([X], [y])  # a one-symbol list is the same as the bare matrix
    assert np.array_equal(single.predict([X])[0], model.predict(X), equal_nan=True)
    with pytest.raises(DataError, match="1 target series for 2"):
        LSTMPredictor(**TINY).fit([X, X2], y)


def test_save_load_roundtrip_is_bitwise(fitted, tmp_path):
    model, X, _ = fitted
    paths = model.save(tmp_path)
    assert [p.name for p in paths] == ["lstm.pt"]
    payload = torch.load(paths[0], weights_only=True)
    assert payload["feature_names"] == ["f0", "f1", "f2"]
    loaded = LSTMPredictor.load(tmp_path)
    assert loaded.get_params() == model.get_params()
    assert np.array_equal(loaded.predict(X), model.predict(X), equal_nan=True)


def test_corrupt_or_missing_checkpoint_raises_model_error(fitted, tmp_path):
    model, _, _ = fitted
    (path,) = model.save(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelError, match="corrupt or truncated.*retrain or restore"):
        LSTMPredictor.load(tmp_path)
    path.write_bytes(b"not a checkpoint")
    with pytest.raises(ModelError, match="retrain or restore"):
        LSTMPredictor.load(tmp_path)
    with pytest.raises(ModelError, match="no LSTM checkpoint"):
        LSTMPredictor.load(tmp_path / "nowhere")


def test_feature_names_checked_and_reordered(fitted):
    model, X, _ = fitted
    assert np.array_equal(model.predict(X[["f2", "f0", "f1"]]), model.predict(X), equal_nan=True)
    with pytest.raises(ModelError, match=r"missing \['f2'\], extra \['g'\]"):
        model.predict(X.rename(columns={"f2": "g"}))
    with pytest.raises(ModelError, match="4 features"):
        model.predict(np.zeros((20, 4)))
    with pytest.raises(ModelError, match="not fitted"):
        LSTMPredictor().predict(X)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"lookback": 0}, "lookback: expected an integer >= 1"),
        ({"size": "smal"}, "Did you mean 'small'"),
        ({"hidden": 30, "heads": 4, "size": "seed"}, "divisible by heads"),
        ({"val_fraction": 0.9}, "val_fraction"),
        ({"device": "tpu"}, "device: expected"),
        ({"amp": "fp16", "device": "cpu"}, "needs a CUDA device"),
        ({"indicator_columns": ["nope"]}, "unknown indicator column 'nope'"),
    ],
)
def test_bad_parameters_raise_config_error(fitted, params, message):
    _, X, y = fitted
    with pytest.raises(ConfigError, match=message):
        LSTMPredictor(**{**TINY, **params}).fit(X, y)


def test_bad_data_raises_data_or_model_error(fitted):
    _, X, y = fitted
    est = LSTMPredictor(**TINY)
    with pytest.raises(DataError, match="2-D"):
        est.fit(X["f0"].to_numpy(), y)
    with pytest.raises(DataError, match="260 rows"):
        est.fit(X, y[:-1])
    bad = X.copy()
    bad.iloc[30, 1] = np.inf
    with pytest.raises(DataError, match="row 30"):
        est.fit(bad, y)
    with pytest.raises(ModelError, match="complete training windows"):
        est.fit(X.iloc[:15], y[:15])


def test_sklearn_clone_and_set_params():
    from sklearn.base import clone

    est = LSTMPredictor(lookback=7, hidden=64)
    copy = clone(est)
    assert copy.get_params() == est.get_params() and copy is not est
    assert "lookback=7" in repr(est)
    # scikit-learn's own set_params: a ValueError naming the bad key and listing the valid ones
    with pytest.raises(ValueError, match=r"Invalid parameter 'lookbak'.*'lookback'"):
        est.set_params(lookbak=3)
