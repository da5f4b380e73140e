"""Numba kernels for indicators the seeds need beyond TA-Lib's classic set (numpy in, numpy out).

VWAP (anchored to sessions, and rolling), relative volume, Keltner and Donchian channels, z-score,
log returns and realized volatility. Inputs have leading NaNs stripped by the caller.
"""

import numpy as np
from numba import njit

from ._kernels import ema_nb, nonfinite_bit, sma_nb
from ._kernels_osc import HL_CHUNK, hl_work, rolling_hl_nb
from ._kernels_vol import atr_nb, var_nb


@njit(cache=True, nogil=True)
def vwap_session_nb(high, low, close, volume, session):
    """Session-anchored VWAP of the typical price (h+l+c)/3; the sums restart where ``session`` changes.
    Reference: pandas-ta ``vwap(anchor=...)`` and, with a single session, TA-Lib 0.8 ``VWAP``; NaN while
    the session's cumulative volume is 0."""
    n = close.shape[0]
    out = np.full(n, np.nan)
    pv = 0.0
    vol = 0.0
    for i in range(n):
        if i > 0 and session[i] != session[i - 1]:
            pv = 0.0
            vol = 0.0
        pv += (high[i] + low[i] + close[i]) / 3.0 * volume[i]
        vol += volume[i]
        if vol != 0.0:
            out[i] = pv / vol
    return out


@njit(cache=True, nogil=True)
def vwap_rolling_nb(high, low, close, volume, timeperiod):
    """Rolling VWAP over the last timeperiod bars, sums recomputed per window (no drift).
    Reference: sum(tp*v)/sum(v) with pandas ``rolling(timeperiod).sum()``; NaN where the window volume
    is 0."""
    n = close.shape[0]
    out = np.full(n, np.nan)
    for i in range(timeperiod - 1, n):
        pv = 0.0
        vol = 0.0
        for j in range(i - timeperiod + 1, i + 1):
            pv += (high[j] + low[j] + close[j]) / 3.0 * volume[j]
            vol += volume[j]
        if vol != 0.0:
            out[i] = pv / vol
    return out


_RESEED = 128  # bars between direct re-summations of a running window sum


@njit(cache=True, nogil=True)
def rvol_into_nb(volume, timeperiod, out):
    """Relative volume into *out*: volume / mean volume of the previous timeperiod bars; True if every
    volume is finite. Reference: TA-Lib 0.8 ``RVOL`` (output from index timeperiod; NaN where the
    previous mean is 0). The window sum runs (one add of the difference per bar) and is summed afresh
    every 128 bars, so its error stays at a few ulps however long the series."""
    n = volume.shape[0]
    p = timeperiod
    if n <= p:
        out[:] = np.nan
        return False
    out[:p] = np.nan
    bits = volume.view(np.int64)
    bad = np.int64(0)
    for i in range(p):
        bad |= nonfinite_bit(bits[i])
    totals = np.empty(_RESEED)  # the window sum before each bar of a segment (serial), then divided
    i = p
    while i < n:
        total = 0.0
        for j in range(i - p, i):
            total += volume[j]
        stop = min(i + _RESEED, n)
        for j in range(i, stop):
            totals[j - i] = total
            total += volume[j] - volume[j - p]
        bad |= _rvol_values(volume[i:stop], bits[i:stop], totals, p, out[i:stop])
        i = stop
    return bad >= 0


@njit(cache=True, nogil=True, error_model="numpy")
def _rvol_values(vs, vb, totals, p, o):
    """``o[k] = vs[k] / (totals[k] / p)``, NaN where that mean is 0 (numpy's error model: no
    zero-division branch, the mean divided by is not 0), in a loop the compiler vectorises; returns the
    OR of :func:`nonfinite_bit` over *vb* (the bits of *vs*)."""
    bad = np.int64(0)
    for k in range(o.shape[0]):
        v = vs[k]
        bad |= nonfinite_bit(vb[k])
        mean = totals[k] / p
        o[k] = v / mean if mean != 0.0 else np.nan
    return bad


@njit(cache=True, nogil=True)
def rvol_nb(volume, timeperiod):
    """Allocating form of :func:`rvol_into_nb`."""
    out = np.empty(volume.shape[0])
    rvol_into_nb(volume, timeperiod, out)
    return out


@njit(cache=True, nogil=True)
def keltner_nb(high, low, close, timeperiod, atrperiod, nbdev):
    """Keltner channel: EMA(close, timeperiod) +- nbdev * ATR(atrperiod) (TA-Lib Wilder ATR).
    Reference: pandas-ta ``kc`` basis (its bands use an EMA of the true range instead of Wilder's ATR)."""
    n = close.shape[0]
    mid = ema_nb(close, timeperiod)
    rng = atr_nb(high, low, close, atrperiod)
    upper = np.full(n, np.nan)
    lower = np.full(n, np.nan)
    middle = np.full(n, np.nan)
    for i in range(n):
        if mid[i] == mid[i] and rng[i] == rng[i]:
            middle[i] = mid[i]
            upper[i] = mid[i] + nbdev * rng[i]
            lower[i] = mid[i] - nbdev * rng[i]
    return upper, middle, lower


@njit(cache=True, nogil=True)
def donchian_into_nb(high, low, timeperiod, upper, middle, lower):
    """Donchian channel into upper/middle/lower: highest high, (upper+lower)/2, lowest low over timeperiod
    bars (the extremes by :func:`rolling_hl_nb`); True if every input is finite. Reference: TA-Lib
    0.8 ``DONCHIAN`` and pandas-ta ``donchian`` (output from index timeperiod-1)."""
    n = high.shape[0]
    w = timeperiod
    lb = w - 1
    if n <= lb:
        upper[:] = np.nan
        middle[:] = np.nan
        lower[:] = np.nan
        return False
    work = hl_work(w)
    hh = work[4]
    ll = work[5]
    acc = np.zeros(HL_CHUNK)
    for b in range(lb, n, HL_CHUNK):
        e = min(b + HL_CHUNK, n)
        rolling_hl_nb(high, low, w, b, e, work)
        hs = high[b:e]
        ls = low[b:e]
        up = upper[b:e]
        mid = middle[b:e]
        lo = lower[b:e]
        for k in range(e - b):
            acc[k] += (hs[k] + ls[k]) * 0.0
            highest = hh[k]
            lowest = ll[k]
            up[k] = highest
            lo[k] = lowest
            mid[k] = (highest + lowest) / 2.0
    chk = acc.sum()
    for i in range(lb):
        chk += (high[i] + low[i]) * 0.0
    upper[:lb] = np.nan
    middle[:lb] = np.nan
    lower[:lb] = np.nan
    return chk == 0.0


@njit(cache=True, nogil=True)
def donchian_nb(high, low, timeperiod):
    """Allocating form of :func:`donchian_into_nb`."""
    n = high.shape[0]
    upper = np.empty(n)
    middle = np.empty(n)
    lower = np.empty(n)
    donchian_into_nb(high, low, timeperiod, upper, middle, lower)
    return upper, middle, lower


@njit(cache=True, nogil=True)
def zscore_nb(x, timeperiod):
    """Rolling z-score (x - SMA) / population standard deviation. Reference: pandas-ta ``zscore``
    (ddof 0); NaN where the deviation is 0."""
    n = x.shape[0]
    out = np.full(n, np.nan)
    mean = sma_nb(x, timeperiod)
    v = var_nb(x, timeperiod)
    for i in range(timeperiod - 1, n):
        if v[i] > 0.0:
            out[i] = (x[i] - mean[i]) / np.sqrt(v[i])
    return out


@njit(cache=True, nogil=True)
def logret_nb(x, timeperiod):
    """Log return over timeperiod bars, log(x / x[-timeperiod]). Reference: pandas-ta ``log_return``."""
    n = x.shape[0]
    out = np.full(n, np.nan)
    for i in range(timeperiod, n):
        out[i] = np.log(x[i] / x[i - timeperiod])
    return out


@njit(cache=True, nogil=True)
def realized_vol_nb(x, timeperiod, periods_per_year):
    """Realized volatility: sqrt(periods_per_year * mean of the last timeperiod squared one-bar log
    returns) (not mean-adjusted). Reference: numpy on ``log(x).diff()``; output from index timeperiod."""
    n = x.shape[0]
    out = np.full(n, np.nan)
    r = logret_nb(x, 1)
    for i in range(timeperiod, n):
        s = 0.0
        for j in range(i - timeperiod + 1, i + 1):
            s += r[j] * r[j]
        out[i] = np.sqrt(periods_per_year * s / timeperiod)
    return out
