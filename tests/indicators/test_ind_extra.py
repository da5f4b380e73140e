"""Non-TA-Lib indicators against TA-Lib 0.8 / pandas-ta / plain pandas references."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandas_ta as pta
import pytest
import talib

from tradeforge import indicators as ta
from tradeforge.errors import ConfigError, DataError


def _frame(n: int = 300, seed: int = 0, freq: str = "5min") -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    c = 100.0 + np.cumsum(rng.normal(0.0, 0.5, n))
    h = c + rng.exponential(0.3, n)
    low = c - rng.exponential(0.3, n)
    v = rng.integers(100, 5_000, n).astype(float)
    idx = pd.date_range("2024-01-02 09:30", periods=n, freq=freq, name="datetime")
    return pd.DataFrame({"high": h, "low": low, "close": c, "volume": v}, index=idx)


def test_vwap_cumulative_equals_talib():
    df = _frame()
    ours = ta.vwap(df.high.to_numpy(), df.low.to_numpy(), df.close.to_numpy(), df.volume.to_numpy())
    np.testing.assert_allclose(ours, talib.VWAP(df.high, df.low, df.close, df.volume), rtol=1e-12)


def test_vwap_anchored_daily_equals_pandas_ta():
    df = _frame(n=400, freq="15min")  # spans several days
    ours = ta.vwap(df.high, df.low, df.close, df.volume, anchor="D")
    ref = pta.vwap(df.high, df.low, df.close, df.volume, anchor="D")
    assert isinstance(ours, pd.Series) and ours.index.equals(df.index)
    np.testing.assert_allclose(ours.to_numpy(), ref.to_numpy(), rtol=1e-12)
    days = df.index.normalize()
    by_labels = ta.vwap(df.high.to_numpy(), df.low.to_numpy(), df.close.to_numpy(), df.volume.to_numpy(),
                        session=days)
    np.testing.assert_allclose(by_labels, ours.to_numpy(), rtol=1e-15)
    first_bars = np.flatnonzero(np.r_[True, days[1:] != days[:-1]])
    tp = ((df.high + df.low + df.close) / 3).to_numpy()
    np.testing.assert_allclose(by_labels[first_bars], tp[first_bars], rtol=1e-15)


def test_vwap_rejects_bad_anchor_usage():
    df = _frame(n=10)
    with pytest.raises(ConfigError, match="DatetimeIndex"):
        ta.vwap(df.high.to_numpy(), df.low.to_numpy(), df.close.to_numpy(), df.volume.to_numpy(), anchor="D")
    with pytest.raises(ConfigError, match="either"):
        ta.vwap(df.high, df.low, df.close, df.volume, anchor="D", session=np.zeros(10))
    with pytest.raises(DataError, match="one label per bar"):
        ta.vwap(df.high, df.low, df.close, df.volume, session=np.zeros(3))


def test_rolling_vwap_equals_pandas_rolling():
    df = _frame()
    tp = (df.high + df.low + df.close) / 3
    ref = (tp * df.volume).rolling(14).sum() / df.volume.rolling(14).sum()
    np.testing.assert_allclose(ta.rolling_vwap(df.high, df.low, df.close, df.volume, 14), ref, rtol=1e-10)


def test_rvol_and_donchian_equal_talib():
    df = _frame()
    np.testing.assert_allclose(ta.rvol(df.volume.to_numpy(), 20), talib.RVOL(df.volume.to_numpy(), 20),
                               rtol=1e-12)
    for ours, ref in zip(ta.donchian(df.high.to_numpy(), df.low.to_numpy(), 10),
                         talib.DONCHIAN(df.high.to_numpy(), df.low.to_numpy(), 10), strict=True):
        np.testing.assert_allclose(ours, ref, rtol=1e-15)
    ref = pta.donchian(df.high, df.low, lower_length=10, upper_length=10)
    upper, middle, lower = ta.donchian(df.high, df.low, 10)
    np.testing.assert_allclose(upper, ref.iloc[:, 2], rtol=1e-15)
    np.testing.assert_allclose(lower, ref.iloc[:, 0], rtol=1e-15)


def test_keltner_middle_equals_pandas_ta_basis_and_bands_use_wilder_atr():
    df = _frame()
    upper, middle, lower = ta.keltner(df.high, df.low, df.close, timeperiod=20, atrperiod=10, nbdev=2.0)
    basis = pta.kc(df.high, df.low, df.close, length=20, scalar=2.0).filter(like="KCB").iloc[:, 0]
    ok = middle.notna() & basis.notna()
    np.testing.assert_allclose(middle[ok], basis[ok], rtol=1e-9)
    atr = talib.ATR(df.high, df.low, df.close, 10)
    np.testing.assert_allclose((upper - middle) / 2.0, atr[19:].reindex(df.index), rtol=1e-9)
    np.testing.assert_allclose(middle - lower, upper - middle, rtol=1e-12)


def test_zscore_logret_equal_pandas_ta():
    df = _frame()
    np.testing.assert_allclose(ta.zscore(df.close, 20), pta.zscore(df.close, length=20), rtol=1e-9)
    np.testing.assert_allclose(ta.logret(df.close, 3), pta.log_return(df.close, length=3), rtol=1e-12)


def test_realized_vol_equals_numpy_definition():
    df = _frame()
    r = np.log(df.close).diff()
    ref = np.sqrt(252 * (r**2).rolling(20).mean())
    np.testing.assert_allclose(ta.realized_vol(df.close, 20, periods_per_year=252), ref, rtol=1e-10)


def test_log_based_functions_reject_non_positive_prices():
    x = np.array([1.0, 2.0, 0.0, 3.0])
    with pytest.raises(DataError, match="position 2"):
        ta.logret(x)
    with pytest.raises(ConfigError, match="periods_per_year"):
        ta.realized_vol(np.ones(5) + 1, 2, periods_per_year=0)
