"""Every TA-Lib-compatible function against the installed TA-Lib: same NaN warm-up, values to 1e-9.

Tolerance: |ours - talib| <= 1e-9 * |talib| + 1e-9 * max(1, max|talib over the series|). The second term
only matters where an output crosses zero (PPO, MACD, APO, ...) or is float noise around 0 on flat prices:
there a relative test is ill-conditioned because both libraries subtract two nearly equal numbers.
"""

from __future__ import annotations

import numpy as np
import pytest
import talib

from tradeforge import indicators as ta


def _ohlcv(n: int, seed: int, flat: bool = False):
    rng = np.random.default_rng(seed)
    if flat:
        c = np.full(n, 50.0)
        return c.copy(), c.copy(), c.copy(), c, np.full(n, 1000.0)
    c = 100.0 + np.cumsum(rng.normal(0.0, 1.0, n))
    o = c + rng.normal(0.0, 0.3, n)
    h = np.maximum(o, c) + rng.exponential(0.5, n)
    low = np.minimum(o, c) - rng.exponential(0.5, n)
    v = rng.integers(100, 10_000, n).astype(float)
    return o, h, low, c, v


def assert_parity(ours, ref, label: str) -> None:
    ours = ours if isinstance(ours, tuple) else (ours,)
    ref = ref if isinstance(ref, tuple | list) else (ref,)
    assert len(ours) == len(ref), label
    for a, b in zip(ours, ref, strict=True):
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b), err_msg=f"{label}: NaN positions differ")
        finite = np.isfinite(b)
        scale = float(np.max(np.abs(b[finite]))) if finite.any() else 0.0
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9 * max(scale, 1.0), equal_nan=True,
                                   err_msg=label)


# name -> (ours, talib, inputs, list of parameter tuples)
CASES = {
    "sma": (ta.sma, talib.SMA, "c", [(2,), (5,), (30,)]),
    "ema": (ta.ema, talib.EMA, "c", [(2,), (5,), (30,)]),
    "wma": (ta.wma, talib.WMA, "c", [(2,), (5,), (30,)]),
    "dema": (ta.dema, talib.DEMA, "c", [(2,), (5,), (30,)]),
    "tema": (ta.tema, talib.TEMA, "c", [(2,), (5,), (30,)]),
    "trima": (ta.trima, talib.TRIMA, "c", [(2,), (5,), (6,), (30,)]),
    "kama": (ta.kama, talib.KAMA, "c", [(2,), (10,), (30,)]),
    "t3": (ta.t3, talib.T3, "c", [(2, 0.7), (5, 0.5)]),
    "macd": (ta.macd, talib.MACD, "c", [(12, 26, 9), (3, 7, 1), (9, 4, 3)]),
    "ppo": (ta.ppo, talib.PPO, "c", [(12, 26, m) for m in (0, 1, 2, 3, 4, 5, 6, 8)]),
    "apo": (ta.apo, talib.APO, "c", [(3, 10, m) for m in (0, 1, 2, 3, 4, 5, 6, 8)]),
    "rsi": (ta.rsi, talib.RSI, "c", [(2,), (14,)]),
    "cmo": (ta.cmo, talib.CMO, "c", [(2,), (14,)]),
    "roc": (ta.roc, talib.ROC, "c", [(1,), (10,)]),
    "mom": (ta.mom, talib.MOM, "c", [(1,), (10,)]),
    "trix": (ta.trix, talib.TRIX, "c", [(1,), (5,), (30,)]),
    "stddev": (ta.stddev, talib.STDDEV, "c", [(2, 1.0), (5, 2.0), (20, 1.0)]),
    "var": (ta.var, talib.VAR, "c", [(2, 1.0), (5, 1.0)]),
    "bbands": (ta.bbands, talib.BBANDS, "c", [(20, 2.0, 2.0, 0), (5, 1.0, 2.5, 0)]
               + [(7, 2.0, 1.5, m) for m in (1, 2, 3, 4, 5, 6, 8)]),
    "stoch": (ta.stoch, talib.STOCH, "hlc", [(5, 3, 0, 3, 0), (14, 3, 1, 5, 2), (5, 1, 0, 1, 0)]
              + [(9, 3, m, 3, m) for m in (3, 4, 5, 6, 8)]),
    "stochf": (ta.stochf, talib.STOCHF, "hlc", [(5, 3, 0), (14, 1, 0), (9, 4, 1), (5, 3, 6)]),
    "stochrsi": (ta.stochrsi, talib.STOCHRSI, "c", [(14, 5, 3, 0), (5, 3, 3, 1)]),
    "willr": (ta.willr, talib.WILLR, "hlc", [(2,), (14,)]),
    "cci": (ta.cci, talib.CCI, "hlc", [(2,), (14,), (20,)]),
    "atr": (ta.atr, talib.ATR, "hlc", [(1,), (2,), (14,)]),
    "natr": (ta.natr, talib.NATR, "hlc", [(1,), (14,)]),
    "trange": (ta.trange, talib.TRANGE, "hlc", [()]),
    "adx": (ta.adx, talib.ADX, "hlc", [(2,), (14,)]),
    "adxr": (ta.adxr, talib.ADXR, "hlc", [(2,), (14,)]),
    "plus_di": (ta.plus_di, talib.PLUS_DI, "hlc", [(2,), (14,)]),
    "minus_di": (ta.minus_di, talib.MINUS_DI, "hlc", [(2,), (14,)]),
    "dx": (ta.dx, talib.DX, "hlc", [(2,), (14,)]),
    "aroon": (ta.aroon, talib.AROON, "hl", [(2,), (14,)]),
    "aroonosc": (ta.aroonosc, talib.AROONOSC, "hl", [(2,), (14,)]),
    "ultosc": (ta.ultosc, talib.ULTOSC, "hlc", [(7, 14, 28), (5, 3, 9), (2, 2, 2)]),
    "bop": (ta.bop, talib.BOP, "ohlc", [()]),
    "mfi": (ta.mfi, talib.MFI, "hlcv", [(2,), (14,)]),
    "obv": (ta.obv, talib.OBV, "cv", [()]),
    "ad": (ta.ad, talib.AD, "hlcv", [()]),
    "adosc": (ta.adosc, talib.ADOSC, "hlcv", [(3, 10), (2, 2), (10, 3)]),
}


def _inputs(kind: str, n: int, seed: int, flat: bool = False):
    o, h, low, c, v = _ohlcv(n, seed, flat)
    pick = {"o": o, "h": h, "l": low, "c": c, "v": v}
    return [pick[ch] for ch in kind]


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_talib(name):
    ours, ref, kind, param_sets = CASES[name]
    for params in param_sets:
        for seed, n in ((0, 400), (1, 97), (2, 40), (3, 12), (4, 3), (5, 1)):
            args = _inputs(kind, n, seed)
            assert_parity(ours(*args, *params), ref(*args, *params), f"{name}{params} n={n} seed={seed}")


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_talib_on_flat_prices(name):
    ours, ref, kind, param_sets = CASES[name]
    for params in param_sets:
        args = _inputs(kind, 80, 0, flat=True)
        assert_parity(ours(*args, *params), ref(*args, *params), f"{name}{params} flat")


@pytest.mark.parametrize("name", ["rsi", "macd", "bbands", "atr", "stoch", "mfi", "adx", "obv"])
def test_matches_talib_with_leading_nans(name):
    ours, ref, kind, param_sets = CASES[name]
    args = _inputs(kind, 200, 7)
    args[0][:5] = np.nan
    args[-1][:9] = np.nan
    assert_parity(ours(*args, *param_sets[0]), ref(*args, *param_sets[0]), f"{name} leading NaNs")


def test_defaults_match_talib():
    _, h, low, c, v = _ohlcv(300, 11)
    assert_parity(ta.bbands(c), talib.BBANDS(c), "bbands defaults")
    assert_parity(ta.ppo(c), talib.PPO(c), "ppo defaults")
    assert_parity(ta.apo(c), talib.APO(c), "apo defaults")
    assert_parity(ta.stoch(h, low, c), talib.STOCH(h, low, c), "stoch defaults")
    assert_parity(ta.macd(c), talib.MACD(c), "macd defaults")
    assert_parity(ta.ultosc(h, low, c), talib.ULTOSC(h, low, c), "ultosc defaults")
    assert_parity(ta.mfi(h, low, c, v), talib.MFI(h, low, c, v), "mfi defaults")


def test_deviations_match_talib_on_tiny_spreads_and_large_prices():
    """TA-Lib 0.6+ computes STDDEV/VAR/BBANDS to full precision: no clamp of variances below 1e-8 to 0, no
    digits lost to running sums of squares on prices around 1e6 (hypothesis found the first case)."""
    rng = np.random.default_rng(5)
    tiny = 2.0 + rng.choice([0.0, 1e-5], 60)
    large = 1e6 + rng.normal(0.0, 1.0, 300)
    for x in (np.array([2.0, 2.00001]), tiny, large):
        for p in (2, 5, 20):
            assert_parity(ta.stddev(x, p), talib.STDDEV(x, p), f"stddev {p} on {x[:2]}")
            assert_parity(ta.var(x, p), talib.VAR(x, p), f"var {p} on {x[:2]}")
            for m in (0, 1):
                want = talib.BBANDS(x, p, 2.0, 1.0, m)
                assert_parity(ta.bbands(x, p, 2.0, 1.0, m), want, f"bbands {p} {m}")
