"""STOCHRSI (and the stochastics under it) equal TA-Lib where the window is flat: a rising run that turns
flat (RSI stuck at 100), a falling run that turns flat (RSI at 0), a flat stretch after noise (RSI stuck
at a middle value, equal only up to rounding), and short flat patches."""

from __future__ import annotations

import numpy as np
import pytest

from tradeforge.indicators import stoch, stochf, stochrsi

talib = pytest.importorskip("talib")


def _flat_series() -> np.ndarray:
    rng = np.random.default_rng(4)
    return np.concatenate([
        np.linspace(100.0, 120.0, 40), np.full(40, 120.0),           # RSI 100, then flat at 100
        np.linspace(120.0, 100.0, 30), np.full(30, 100.0),           # RSI 0, then flat at 0
        100.0 + np.cumsum(rng.normal(size=60)), np.full(40, 101.5),  # flat at a middle RSI value
        100.0 + np.sin(np.arange(40.0)), np.repeat(100.0 + rng.normal(size=20), 4),
    ])


@pytest.mark.parametrize("args", [(), (14, 5, 3, 0), (9, 7, 4, 1), (5, 3, 3, 0), (21, 14, 3, 0)])
def test_stochrsi_equals_talib_on_flat_rsi_windows(args):
    x = _flat_series()
    want_k, want_d = talib.STOCHRSI(x, *args)
    got_k, got_d = stochrsi(x, *args)
    np.testing.assert_array_equal(np.isnan(got_k), np.isnan(want_k))
    np.testing.assert_allclose(got_k, want_k, rtol=0, atol=1e-9, equal_nan=True)
    np.testing.assert_allclose(got_d, want_d, rtol=0, atol=1e-9, equal_nan=True)
    # the crafted data does exercise flat windows: TA-Lib's 0 where the RSI range is only rounding
    r = talib.RSI(x, *(args[:1]))
    period = args[1] if args else 5
    windows = np.lib.stride_tricks.sliding_window_view(r[np.isfinite(r)], period)
    spans = windows.max(axis=1) - windows.min(axis=1)
    assert ((spans > 0) & (spans < 1e-12)).sum() > 10


def test_stochastics_give_zero_on_a_range_of_a_few_ulps():
    x = np.full(60, 5.0)
    x[::3] = np.nextafter(5.0, 6.0)  # a "range" of one ulp: rounding, not movement
    for ours, theirs in ((stochf, talib.STOCHF), (stoch, talib.STOCH)):
        for got, want in zip(ours(x, x, x), theirs(x, x, x), strict=True):
            np.testing.assert_array_equal(got, want)
    k, _ = stochf(x + np.arange(60) * 1e-3, x, x)  # a real range still gives a real %K
    assert np.nanmax(k) > 0
