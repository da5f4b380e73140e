"""Stage 2's last-row features equal the full computations: resampling, windowed specs, the whole row."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tradeforge.engine.signals._features_last import WINDOWED, LastInputs, LastRows, resample_bars
from tradeforge.feeds.lazy_synthetic import lazy_universe
from tradeforge.feeds.resample import resample
from tradeforge.models.features import build_multi_timeframe, default_feature_set
from tradeforge.models.lstm_mtf import timeframe_inputs
from tradeforge.timeframes import TIMEFRAMES

SIX = ["1m", "5m", "30m", "1h", "6h", "1d"]


@pytest.fixture(scope="module")
def minutes() -> pd.DataFrame:
    """66 sessions of 1-minute bars (enough for every daily feature), a planted edge."""
    return lazy_universe(symbols=1, bars=66 * 390, freq="1m", seed=5, edge=0.2)["SYN00"]


def test_resample_bars_equals_feeds_resample(minutes):
    odd = minutes.iloc[17:-5].copy()
    odd["volume"] = odd["volume"] * 1.37  # non-integer volumes too
    for df in (minutes, odd):
        for tf in SIX[1:]:
            ref = resample(df, tf)
            got = resample_bars(df, TIMEFRAMES[tf])
            assert got.index.equals(ref.index) and list(got.columns) == list(ref.columns), tf
            np.testing.assert_allclose(got.to_numpy(), ref.to_numpy(), rtol=1e-13, atol=0)
            assert got.attrs["bar"] == ref.attrs["bar"]


def test_windowed_specs_computed_on_a_tail_equal_the_full_matrix(minutes):
    fs = default_feature_set()
    last = LastRows(fs)
    assert last.windowed is not None and last.recursive is not None
    assert {s.function for s in last.windowed.specs} <= WINDOWED
    assert {"ema", "rsi", "macd", "kama", "adx"} <= {s.function for s in last.recursive.specs}
    for cut in (len(minutes), 12_345, 3_001):
        df = minutes.iloc[:cut]
        full = fs.matrix(df)[-25:]
        got = last.matrix(df, 25)
        np.testing.assert_allclose(got, full, rtol=1e-9, atol=1e-12, equal_nan=True)
    short = minutes.iloc[:30]  # shorter than the warm-up: the same NaN rows
    np.testing.assert_allclose(last.matrix(short, 40), fs.matrix(short), rtol=1e-9, atol=1e-12,
                               equal_nan=True)


def test_last_inputs_equal_the_pipelines_row_and_lstm_tails(minutes):
    full = default_feature_set()
    lstm_fs = full.select(["momentum", "price"])
    bar = TIMEFRAMES["1m"]
    looks = dict.fromkeys(SIX, 10)
    looks["1d"] = 4
    inputs = LastInputs(full, lstm_fs, bar, SIX[1:], looks)
    for cut in (len(minutes), len(minutes) - 200, 40 * 390 + 77):  # a session's end, mid-session
        df = minutes.iloc[:cut]
        ref_row = build_multi_timeframe(df, SIX[1:], full).iloc[-1]
        datas = timeframe_inputs(df, SIX, bar, lstm_fs, 1)
        row, tails = inputs.compute(df)
        assert list(row) == list(ref_row.index)
        np.testing.assert_allclose(np.array(list(row.values())), ref_row.to_numpy(), rtol=1e-9, atol=1e-12,
                                   equal_nan=True)
        assert np.isfinite(row["1d_rsi_14"]) and np.isfinite(row["6h_ema_dist_12"])
        end = (df.index[-1] + bar).value
        for tf, d in datas.items():
            pos = int(np.searchsorted(d.done, end, side="right")) - 1
            ref = d.X.iloc[max(pos + 1 - looks[tf], 0):pos + 1]
            assert tails[tf].index.equals(ref.index) and list(tails[tf].columns) == list(ref.columns), tf
            np.testing.assert_allclose(tails[tf].to_numpy(), ref.to_numpy(), rtol=1e-9, atol=1e-12,
                                       equal_nan=True)
