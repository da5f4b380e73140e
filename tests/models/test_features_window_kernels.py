"""The vectorised window kernels of the derived features equal one-window-at-a-time loops bit for bit."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tradeforge.indicators import kernels as tk
from tradeforge.models.features import _kernels as nb


def _windows(x, window, lag=0):
    """(i, x[i - lag - window + 1 : i - lag + 1]) for every full window, oldest value first."""
    for i in range(window - 1 + lag, len(x)):
        yield i, x[i - lag - window + 1:i - lag + 1]


def _sum(values):
    total = 0.0
    for v in values:
        total += v
    return total


def _mean_sd(w):
    mean = _sum(w) / len(w)
    return mean, math.sqrt(_sum([(v - mean) ** 2 for v in w]) / len(w))


def _ref(name, x, window, v=None):
    out = np.full(len(x), np.nan)
    if name in ("rvol", "flow_slope"):
        for i, w in _windows(v if name == "flow_slope" else x, window, lag=0 if name == "flow_slope" else 1):
            total = _sum(w)
            if name == "flow_slope":
                out[i] = (x[i] - x[i - window]) / total if total > 0.0 else 0.0
            elif total / window > 0.0:
                out[i] = x[i] / (total / window)
            elif x[i] == 0.0:
                out[i] = 1.0
        out[:window] = np.nan
        return out
    for i, w in _windows(x, window):
        if name == "mean":
            out[i] = _sum(w) / window
        elif name in ("std", "zscore"):
            mean, sd = _mean_sd(w)
            usable = sd > 1e-12 * abs(mean) and sd > 0.0
            out[i] = sd if name == "std" else ((x[i] - mean) / sd if usable else 0.0)
        else:
            m = x[i]
            for val in w[:-1]:
                if (val > m) if name == "max" else (val < m):
                    m = val
            out[i] = m
    return out


_KERNELS = {"mean": nb.rolling_mean_nb, "std": nb.rolling_std_nb, "zscore": nb.zscore_nb,
            "max": nb.rolling_max_nb, "min": nb.rolling_min_nb}


def _data(n, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(100.0, 3.0, n)
    x[rng.integers(0, n, 3)] = np.nan
    x[5:9] = [0.0, -0.0, 0.0, -0.0]  # signed zeros: max/min must keep the loop's choice
    x[20:26] = 7.0  # a flat window
    return x, np.abs(rng.normal(0.0, 1e3, n)).round() * (rng.random(n) > 0.2)


@pytest.mark.parametrize("window", [1, 2, 3, 7, 20, 39, 40, 41])
@pytest.mark.parametrize("name", sorted(_KERNELS))
def test_window_kernel_equals_loop(name, window):
    x, _ = _data(40, window)
    assert _KERNELS[name](x, window).tobytes() == _ref(name, x, window).tobytes()


@pytest.mark.parametrize("window", [1, 3, 10, 39, 40, 41])
def test_volume_kernels_equal_loops(window):
    x, volume = _data(40, 100 + window)
    flow = np.cumsum(np.nan_to_num(x))
    assert nb.rvol_nb(volume, window).tobytes() == _ref("rvol", volume, window).tobytes()
    want = _ref("flow_slope", flow, window, volume)
    assert nb.flow_slope_nb(flow, volume, window).tobytes() == want.tobytes()
    high, low, close = x + 1.0, x - 1.0, x
    want = np.full(40, np.nan)
    for i, _ in _windows(x, window):
        j = slice(i - window + 1, i + 1)
        vv = _sum(volume[j])
        if vv > 0.0:
            want[i] = _sum([(h + lo + c) / 3.0 * v for h, lo, c, v in
                            zip(high[j], low[j], close[j], volume[j], strict=True)]) / vv
    # the feature 'vwap' is the indicator kernel of rolling_vwap (one kernel, not a copy of it)
    assert tk.rolling_vwap(high, low, close, volume, window).tobytes() == want.tobytes()
