"""Numba kernels for the derived (non TA-Lib) features: numpy in, numpy out, forward-only.

Every kernel computes the value at row ``i`` from rows ``<= i`` only, in a single forward pass, so
that truncating the input never changes an earlier output (the causality tests rely on it). The
first ``lookback`` rows are NaN; each docstring states the lookback.
"""

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def logret_nb(x, period):
    """``log(x[i] / x[i - period])``; lookback ``period``."""
    n = x.shape[0]
    out = np.full(n, np.nan)
    for i in range(period, n):
        out[i] = np.log(x[i] / x[i - period])
    return out


@njit(cache=True, nogil=True)
def rolling_mean_nb(x, window):
    """Mean of the last ``window`` values (exact per window, no running sum); lookback ``window - 1``."""
    n = x.shape[0]
    out = np.full(n, np.nan)
    for i in range(window - 1, n):
        total = 0.0
        for j in range(i - window + 1, i + 1):
            total += x[j]
        out[i] = total / window
    return out


@njit(cache=True, nogil=True)
def rolling_std_nb(x, window):
    """Population standard deviation (ddof=0) of the last ``window`` values, two-pass per window;
    NaN inputs propagate; lookback ``window - 1``."""
    n = x.shape[0]
    out = np.full(n, np.nan)
    for i in range(window - 1, n):
        mean = 0.0
        for j in range(i - window + 1, i + 1):
            mean += x[j]
        mean /= window
        ss = 0.0
        for j in range(i - window + 1, i + 1):
            ss += (x[j] - mean) ** 2
        out[i] = np.sqrt(ss / window)
    return out


@njit(cache=True, nogil=True)
def zscore_nb(x, window):
    """``(x[i] - mean) / std`` over the last ``window`` values (ddof=0), 0 when the window is flat;
    lookback ``window - 1``."""
    n = x.shape[0]
    out = np.full(n, np.nan)
    for i in range(window - 1, n):
        mean = 0.0
        for j in range(i - window + 1, i + 1):
            mean += x[j]
        mean /= window
        ss = 0.0
        for j in range(i - window + 1, i + 1):
            ss += (x[j] - mean) ** 2
        sd = np.sqrt(ss / window)
        out[i] = (x[i] - mean) / sd if sd > 1e-12 * abs(mean) and sd > 0.0 else 0.0
    return out


@njit(cache=True, nogil=True)
def rolling_max_nb(x, window):
    """Maximum of the last ``window`` values; lookback ``window - 1``."""
    n = x.shape[0]
    out = np.full(n, np.nan)
    for i in range(window - 1, n):
        m = x[i]
        for j in range(i - window + 1, i):
            if x[j] > m:
                m = x[j]
        out[i] = m
    return out


@njit(cache=True, nogil=True)
def rolling_min_nb(x, window):
    """Minimum of the last ``window`` values; lookback ``window - 1``."""
    n = x.shape[0]
    out = np.full(n, np.nan)
    for i in range(window - 1, n):
        m = x[i]
        for j in range(i - window + 1, i):
            if x[j] < m:
                m = x[j]
        out[i] = m
    return out


@njit(cache=True, nogil=True)
def rolling_vwap_nb(high, low, close, volume, window):
    """``sum(typical * volume) / sum(volume)`` over the last ``window`` bars, typical = (h+l+c)/3;
    NaN when the window traded nothing; lookback ``window - 1``."""
    n = close.shape[0]
    out = np.full(n, np.nan)
    for i in range(window - 1, n):
        pv = 0.0
        vv = 0.0
        for j in range(i - window + 1, i + 1):
            pv += (high[j] + low[j] + close[j]) / 3.0 * volume[j]
            vv += volume[j]
        if vv > 0.0:
            out[i] = pv / vv
    return out


@njit(cache=True, nogil=True)
def rvol_nb(volume, window):
    """Relative volume: ``volume[i]`` over the mean volume of the ``window`` bars before it (1 when
    both are 0, NaN when only the mean is 0); lookback ``window``."""
    n = volume.shape[0]
    out = np.full(n, np.nan)
    for i in range(window, n):
        total = 0.0
        for j in range(i - window, i):
            total += volume[j]
        mean = total / window
        if mean > 0.0:
            out[i] = volume[i] / mean
        elif volume[i] == 0.0:
            out[i] = 1.0
    return out


@njit(cache=True, nogil=True)
def flow_slope_nb(flow, volume, window):
    """Change of a cumulative volume flow (OBV, A/D line) over ``window`` bars divided by the volume
    traded in those bars (in [-1, 1] for OBV; 0 when nothing traded); lookback ``window``."""
    n = flow.shape[0]
    out = np.full(n, np.nan)
    for i in range(window, n):
        vv = 0.0
        for j in range(i - window + 1, i + 1):
            vv += volume[j]
        out[i] = (flow[i] - flow[i - window]) / vv if vv > 0.0 else 0.0
    return out


@njit(cache=True, nogil=True)
def position_in_range_nb(x, lo, hi):
    """``(x - lo) / (hi - lo)`` element-wise, 0.5 where the range is empty, NaN where inputs are NaN."""
    n = x.shape[0]
    out = np.full(n, np.nan)
    for i in range(n):
        r = hi[i] - lo[i]
        if r > 0.0:
            out[i] = (x[i] - lo[i]) / r
        elif r == 0.0:
            out[i] = 0.5
    return out
