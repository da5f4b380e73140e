"""Input handling (dtypes, Series, NaNs, bad parameters) and hypothesis property tests."""

from __future__ import annotations

import doctest
import importlib

import numpy as np
import pandas as pd
import pytest
import talib
from hypothesis import given, settings
from hypothesis import strategies as st

from tradeforge import indicators as ta
from tradeforge.errors import ConfigError, DataError


def _walk(n: int, seed: int = 0) -> np.ndarray:
    return 100.0 + np.cumsum(np.random.default_rng(seed).normal(0.0, 1.0, n))


def test_series_in_gives_series_out_with_same_index():
    idx = pd.date_range("2024-01-01", periods=50, freq="D", name="datetime")
    close = pd.Series(_walk(50), index=idx)
    out = ta.rsi(close, timeperiod=5)
    assert isinstance(out, pd.Series) and out.index.equals(idx) and out.name == "rsi"
    np.testing.assert_array_equal(out.to_numpy(), ta.rsi(close.to_numpy(), timeperiod=5))
    up, mid, low = ta.bbands(close, timeperiod=5)
    assert (up.name, mid.name, low.name) == ("upperband", "middleband", "lowerband")
    assert up.index.equals(idx)


def test_int_and_float32_inputs_are_converted_to_float64():
    x = np.arange(1, 40)
    out = ta.sma(x, timeperiod=3)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, talib.SMA(x.astype(float), 3))
    out32 = ta.ema(x.astype(np.float32), timeperiod=3)
    assert out32.dtype == np.float64
    np.testing.assert_allclose(out32, talib.EMA(x.astype(float), 3))


def test_nan_in_the_middle_raises_naming_the_position():
    x = _walk(30)
    x[:3] = np.nan
    x[17] = np.nan
    with pytest.raises(DataError, match=r"real: non-finite value nan at position 17 .*position 3"):
        ta.sma(x, timeperiod=5)
    h = _walk(30) + 1
    h[20] = np.inf
    with pytest.raises(DataError, match="high: .*position 20"):
        ta.atr(h, h - 2, h - 1)


def test_all_nan_and_empty_inputs_give_all_nan():
    assert np.isnan(ta.rsi(np.full(10, np.nan))).all()
    assert ta.macd(np.array([]))[0].shape == (0,)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda x: ta.sma(x, timeperiod=0), "timeperiod: expected an integer from 1"),
        (lambda x: ta.rsi(x, timeperiod=2.5), "timeperiod"),
        (lambda x: ta.rsi(x, timeperiod=True), "timeperiod"),
        (lambda x: ta.bbands(x, matype=7), "matype: unsupported TA-Lib MA type 7"),
        (lambda x: ta.ppo(x, matype="ema"), "matype"),
        (lambda x: ta.stoch(x, x, x, slowd_matype=13), "slowd_matype"),
        (lambda x: ta.bbands(x, nbdevup=float("nan")), "nbdevup: expected a finite number"),
    ],
)
def test_bad_parameters_raise_config_error(call, match):
    with pytest.raises(ConfigError, match=match):
        call(_walk(40))


def test_mismatched_lengths_and_2d_inputs_raise_data_error():
    with pytest.raises(DataError, match="different lengths"):
        ta.atr(_walk(10), _walk(11), _walk(10))
    with pytest.raises(DataError, match="1-D"):
        ta.sma(np.ones((5, 2)), timeperiod=2)
    with pytest.raises(DataError, match="numeric"):
        ta.sma(["a", "b"], timeperiod=2)


@pytest.mark.parametrize("module", ["api", "vwap", "lines"])
def test_docstring_examples_run(module):
    mod = importlib.import_module(f"tradeforge.indicators.{module}")
    result = doctest.testmod(mod)
    assert result.attempted > 0 and result.failed == 0


prices = st.lists(st.floats(1.0, 1_000.0, allow_nan=False), min_size=1, max_size=120).map(np.array)


def _close(a, b):
    scale = max(1.0, float(np.nanmax(np.abs(b)))) if np.isfinite(b).any() else 1.0
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
    np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9 * scale, equal_nan=True)


@settings(max_examples=40, deadline=None)
@given(x=prices, p=st.integers(2, 40), matype=st.sampled_from([0, 1, 2, 3, 4, 5, 6, 8]))
def test_property_matches_talib_single_input(x, p, matype):
    _close(ta.rsi(x, p), talib.RSI(x, p))
    _close(ta.ma(x, p, matype), talib.MA(x, p, matype))
    for a, b in zip(ta.bbands(x, p, 2.0, 1.0, matype), talib.BBANDS(x, p, 2.0, 1.0, matype), strict=True):
        _close(a, b)
    for a, b in zip(ta.macd(x, p, p + 3, 3), talib.MACD(x, p, p + 3, 3), strict=True):
        _close(a, b)


@settings(max_examples=40, deadline=None)
@given(data=st.data(), n=st.integers(1, 120), p=st.integers(2, 30), seed=st.integers(0, 2**16))
def test_property_matches_talib_ohlc(data, n, p, seed):
    rng = np.random.default_rng(seed)
    c = np.abs(_walk(n, seed)) + 1.0
    h = c + rng.exponential(0.5, n)
    low = c - rng.exponential(0.5, n)
    v = rng.integers(0, 1_000, n).astype(float)
    _close(ta.atr(h, low, c, p), talib.ATR(h, low, c, p))
    _close(ta.adx(h, low, c, p), talib.ADX(h, low, c, p))
    _close(ta.cci(h, low, c, p), talib.CCI(h, low, c, p))
    _close(ta.mfi(h, low, c, v, p), talib.MFI(h, low, c, v, p))
    k = data.draw(st.integers(1, 6))
    for a, b in zip(ta.stoch(h, low, c, p, k, 0, 3, 1), talib.STOCH(h, low, c, p, k, 0, 3, 1), strict=True):
        _close(a, b)


@settings(max_examples=30, deadline=None)
@given(n=st.integers(30, 150), cut=st.integers(1, 149), seed=st.integers(0, 1000))
def test_property_no_lookahead(n, cut, seed):
    """Values before a truncation point do not change when later bars are removed."""
    cut = min(cut, n)
    c = _walk(n, seed)
    h, low, v = c + 1.0, c - 1.0, np.full(n, 100.0)
    for fn in (lambda *a: ta.adx(a[0], a[1], a[2], 5), lambda *a: ta.kama(a[2], 7),
               lambda *a: ta.mfi(a[0], a[1], a[2], a[3], 5), lambda *a: ta.stochrsi(a[2], 5)[0],
               lambda *a: ta.rolling_vwap(a[0], a[1], a[2], a[3], 5)):
        full = fn(h, low, c, v)
        part = fn(h[:cut], low[:cut], c[:cut], v[:cut])
        np.testing.assert_array_equal(full[:cut], part)


def test_kernel_modules_import_only_numpy_and_numba():
    """Architecture rule: kernels take numpy and return numpy; no pandas, backtrader or tradeforge."""
    import ast
    from pathlib import Path

    folder = Path(importlib.import_module("tradeforge.indicators").__file__).parent
    files = sorted(folder.glob("_kernels*.py"))
    assert len(files) >= 5
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                roots = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                roots = {"." if node.level else node.module.split(".")[0]}
            else:
                continue
            assert roots <= {"numpy", "numba", "."}, f"{path.name} imports {roots}"


def _outcome(fn, *args, **kwargs):
    try:
        out = fn(*args, **kwargs)
    except (ConfigError, DataError) as exc:
        return type(exc).__name__ + ": " + str(exc)
    return out if isinstance(out, tuple) else (out,)


def test_short_path_of_plain_arrays_is_the_general_path():
    """A positional call on plain float64 arrays skips most of the wrapper's Python (spec.checked); the
    same call with the inputs as keywords takes the general path: same values, same errors."""
    from tradeforge.indicators.table import INDICATORS

    rng = np.random.default_rng(5)
    for name, ind in INDICATORS.items():
        if not (ind.into and ind.scans):
            continue
        fn = getattr(ta, name)
        n = 300
        base = [_walk(n, 1) + 5.0 + (1.0 if i == "high" else -1.0 if i == "low" else 0.0) for i in ind.inputs]
        cases = [(base, ()), ([b[:5].copy() for b in base], ()), ([np.full(n, 3.0) for _ in base], ())]
        gap = [b.copy() for b in base]
        gap[-1][int(rng.integers(1, n))] = np.nan
        cases.append((gap, ()))
        cases.append(([b.copy() for b in base], (0,) * len(ind.params)))  # 0: a bad period or matype
        if ind.params and ind.params[0].kind == "period":
            cases.append((base, (float(ind.params[0].default),)))  # a float period: converted to int
        for arrays, params in cases:
            short = _outcome(fn, *arrays, *params)
            general = _outcome(fn, **dict(zip(ind.inputs, arrays, strict=True)),
                               **{p.name: v for p, v in zip(ind.params, params, strict=False)})
            if isinstance(short, str) or isinstance(general, str):
                assert short == general, name
            else:
                assert len(short) == len(general), name
                for a, b in zip(short, general, strict=True):
                    assert a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True), name
