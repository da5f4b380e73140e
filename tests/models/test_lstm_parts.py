"""LSTM building blocks: device/AMP choice, windows, chronological split, scaler, multi-timeframe LSTM."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tradeforge.errors import ConfigError, DataError
from tradeforge.models import _lstm_io as io
from tradeforge.models._trainer import CPU_CHUNK, DeviceChoice, choose_device
from tradeforge.models.lstm import LSTMPredictor
from tradeforge.models.lstm_mtf import MultiTimeframeLSTM


@pytest.mark.parametrize(
    ("device", "amp", "cuda", "bf16", "expected"),
    [
        ("auto", "auto", False, None, DeviceChoice("cpu", None, False, False)),
        ("auto", "auto", True, True, DeviceChoice("cuda", "bfloat16", False, True)),
        ("auto", "auto", True, False, DeviceChoice("cuda", "float16", True, True)),
        ("cuda:1", "fp16", True, True, DeviceChoice("cuda:1", "float16", True, True)),
        ("cuda", "off", True, True, DeviceChoice("cuda", None, False, True)),
        ("cpu", "auto", True, True, DeviceChoice("cpu", None, False, False)),
        ("cpu", "off", False, None, DeviceChoice("cpu", None, False, False)),
    ],
)
def test_choose_device(device, amp, cuda, bf16, expected):
    assert choose_device(device, amp, cuda_available=cuda, bf16_supported=bf16) == expected


@pytest.mark.parametrize(
    ("device", "amp", "cuda", "bf16", "message"),
    [
        ("cuda", "auto", False, None, "sees no CUDA GPU"),
        ("cuda", "bf16", True, False, "does not support bfloat16"),
        ("cpu", "bf16", False, None, "needs a CUDA device"),
        ("auto", "yes", False, None, "amp: expected"),
        ("gpu", "auto", True, True, "device: expected"),
    ],
)
def test_choose_device_rejects(device, amp, cuda, bf16, message):
    with pytest.raises(ConfigError, match=message):
        choose_device(device, amp, cuda_available=cuda, bf16_supported=bf16)


def test_window_ok_needs_lookback_finite_rows():
    mat = np.ones((10, 2))
    mat[4, 1] = np.nan
    ok = io.window_ok(mat, 3)
    assert ok.tolist() == [False, False, True, True, False, False, False, True, True, True]
    assert not io.window_ok(mat[:2], 3).any()


def test_split_is_chronological_and_purged():
    ends = np.arange(10, 110)
    train, val = io._split(ends, 0.2, horizon=5)
    assert val.tolist() == list(range(90, 110))
    assert train.max() + 5 <= val.min() and train.tolist() == list(range(10, 86))
    train0, val0 = io._split(ends, 0.0, horizon=1)
    assert len(val0) == 0 and np.array_equal(train0, ends)


def test_scaler_uses_training_rows_only_and_windows_never_cross_symbols():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(50, 2)), rng.normal(size=(40, 2))
    a[41:] += 1000.0  # bars only in the validation tail of symbol a is far away: it must not move the scaler
    b[33:] += 1000.0
    ya, yb = np.ones(50), np.ones(40)
    data, scaler = io.build_train_data([a, b], [ya, yb], lookback=5, horizon=1, val_fraction=0.2, ind_idx=[0])
    train_rows = np.concatenate([a[: data.train_ends[data.train_ends < 50].max() + 1],
                                 b[: data.train_ends.max() - 50 + 1]])
    np.testing.assert_allclose(scaler.mean, train_rows.mean(axis=0))
    assert np.abs(scaler.mean).max() < 1.0
    # symbol b's windows start at its own bar 4 (offset 50): none spans the boundary
    b_ends = np.concatenate([data.train_ends, data.val_ends])
    assert b_ends[b_ends >= 50].min() == 50 + 4
    assert not ((b_ends >= 50) & (b_ends < 54)).any()


def test_cpu_inference_is_independent_of_batch_position():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(3 * CPU_CHUNK + 5, 2))
    y = np.r_[X[1:, 0], np.nan]
    model = LSTMPredictor(lookback=4, size="small", device="cpu", num_threads=1, epochs=1).fit(X, y)
    full = model.predict(X)
    tail = model.predict(X[-10:])  # the last bars sit at other batch positions in this call
    np.testing.assert_allclose(tail[3:], full[-7:], rtol=1e-5, atol=1e-7)
    assert all(model.predict_last(X[: t + 1]) == full[t] for t in (3, CPU_CHUNK - 1, CPU_CHUNK, len(X) - 1))


def _mtf_data(n_hours: int = 480):
    idx = pd.date_range("2024-01-01", periods=n_hours, freq="1h")
    rng = np.random.default_rng(5)
    hourly = pd.DataFrame({"f": rng.normal(size=n_hours), "g": rng.normal(size=n_hours)}, index=idx)
    six = hourly.resample("6h").mean()
    X = {"1h": hourly, "6h": six}
    y = {tf: np.r_[0.5 * f["f"].to_numpy()[1:], np.nan] for tf, f in X.items()}
    return X, y, idx


def test_multi_timeframe_fit_predict_is_causal():
    X, y, idx = _mtf_data()
    params = dict(lookback=4, size="small", device="cpu", num_threads=1, epochs=2)
    mtf = MultiTimeframeLSTM(("1h", "6h"), lstm_params=params).fit(X, y)
    out = mtf.predict(X, idx)
    assert list(out.columns) == ["lstm_1h", "lstm_6h"] and out.index.equals(idx)
    six = pd.Series(mtf.models_["6h"].predict(X["6h"]), index=X["6h"].index)
    # the 6h bar starting at 18:00 (4th bar, first full window) is visible from the 23:00 hourly bar on
    first = six.first_valid_index()
    visible = first + pd.Timedelta("6h") - pd.Timedelta("1h")
    assert out.loc[:visible - pd.Timedelta("1h"), "lstm_6h"].isna().all()
    assert out.loc[visible, "lstm_6h"] == six[first]
    assert mtf.get_params()["lstm_params"]["lookback"] == 4
    # every base bar sees the last 6h bar complete by its close, never the forming one
    done = six.index + pd.Timedelta("6h")
    for t in idx[::7]:
        seen = six[done <= t + pd.Timedelta("1h")]
        expected = seen.iloc[-1] if len(seen) else np.nan
        assert out.loc[t, "lstm_6h"] == expected or (np.isnan(expected) and np.isnan(out.loc[t, "lstm_6h"]))


def test_multi_timeframe_rejects_bad_timeframes():
    X, y, _ = _mtf_data(48)
    with pytest.raises(ConfigError, match="below the data's bar size"):
        MultiTimeframeLSTM(("1h", "6h"), bar="6h").fit(X, y)
    with pytest.raises(ConfigError, match="Did you mean '1h'"):
        MultiTimeframeLSTM(("1hr",)).fit(X, y)
    with pytest.raises(ConfigError, match=r"missing \['1d'\]"):
        MultiTimeframeLSTM(("1h", "1d")).fit(X, y)
    with pytest.raises(ConfigError, match="Did you mean 'lookback'"):
        MultiTimeframeLSTM(("1h", "6h"), lstm_params={"lookbak": 3}).fit(X, y)
    with pytest.raises(DataError, match="mapping"):
        MultiTimeframeLSTM(("1h",)).fit([X["1h"]], y)
