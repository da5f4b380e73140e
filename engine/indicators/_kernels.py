"""Numba kernels: numpy arrays in, numpy arrays out, nothing else imported.

Each kernel works on a float64 array whose leading NaNs have already been stripped by the caller
(``api.py``); outputs have the same length as the input with TA-Lib's NaN warm-up. Every kernel's
docstring names its reference implementation, and ``tests/engine/indicators`` checks it against it.
"""

import numpy as np
from numba import njit


@njit(cache=True)
def sma_nb(x, timeperiod):
    """Simple moving average. Reference: TA-Lib ``SMA`` (running sum, output from index timeperiod-1)."""
    n = x.shape[0]
    out = np.full(n, np.nan)
    if timeperiod < 1 or n < timeperiod:
        return out
    total = 0.0
    for i in range(timeperiod - 1):
        total += x[i]
    for i in range(timeperiod - 1, n):
        total += x[i]
        out[i] = total / timeperiod
        total -= x[i - timeperiod + 1]
    return out


@njit(cache=True)
def ema_nb(x, timeperiod):
    """Exponential moving average. Reference: TA-Lib ``EMA`` (seeded with the SMA of the first period,
    k = 2 / (timeperiod + 1), output from index timeperiod-1)."""
    n = x.shape[0]
    out = np.full(n, np.nan)
    if timeperiod < 1 or n < timeperiod:
        return out
    k = 2.0 / (timeperiod + 1.0)
    prev = 0.0
    for i in range(timeperiod):
        prev += x[i]
    prev /= timeperiod
    out[timeperiod - 1] = prev
    for i in range(timeperiod, n):
        prev = (x[i] - prev) * k + prev
        out[i] = prev
    return out


@njit(cache=True)
def rsi_nb(x, timeperiod):
    """Relative strength index. Reference: TA-Lib ``RSI`` (Wilder smoothing seeded with the simple mean of
    the first timeperiod changes, output from index timeperiod; 0 when there was no movement)."""
    n = x.shape[0]
    out = np.full(n, np.nan)
    if timeperiod < 2 or n <= timeperiod:
        return out
    gain = 0.0
    loss = 0.0
    for i in range(1, timeperiod + 1):
        d = x[i] - x[i - 1]
        if d > 0:
            gain += d
        else:
            loss -= d
    gain /= timeperiod
    loss /= timeperiod
    s = gain + loss
    out[timeperiod] = 100.0 * gain / s if s != 0.0 else 0.0
    for i in range(timeperiod + 1, n):
        d = x[i] - x[i - 1]
        g = d if d > 0 else 0.0
        lo = -d if d < 0 else 0.0
        gain = (gain * (timeperiod - 1) + g) / timeperiod
        loss = (loss * (timeperiod - 1) + lo) / timeperiod
        s = gain + loss
        out[i] = 100.0 * gain / s if s != 0.0 else 0.0
    return out
