"""Numba kernels of volatility and directional-movement indicators (numpy in, numpy out).

Inputs are float64 arrays with leading NaNs already stripped; outputs follow TA-Lib's NaN warm-up.
``TA_IS_ZERO(v)`` in TA-Lib is ``-1e-8 < v < 1e-8`` and ``TA_IS_ZERO_OR_NEG(v)`` is ``v < 1e-8``.
"""

import numpy as np
from numba import njit

from ._kernels_ma import MA_SMA, ma_lookback_nb, ma_nb


@njit(cache=True, nogil=True)
def var_into_nb(x, timeperiod, out):
    """Population variance over a trailing window into *out*, two-pass (mean first, then squared
    deviations). Reference: TA-Lib ``VAR`` (0.8 computes it to full precision; this matches it to ~1e-12)."""
    n = x.shape[0]
    p = timeperiod
    out[:min(n, p - 1)] = np.nan
    for i in range(p - 1, n):
        s = 0.0
        for j in range(i - p + 1, i + 1):
            s += x[j]
        m = s / p
        s2 = 0.0
        for j in range(i - p + 1, i + 1):
            d = x[j] - m
            s2 += d * d
        out[i] = s2 / p


@njit(cache=True, nogil=True)
def var_nb(x, timeperiod):
    """Allocating form of :func:`var_into_nb`."""
    out = np.empty(x.shape[0])
    var_into_nb(x, timeperiod, out)
    return out


@njit(cache=True, nogil=True)
def stddev_into_nb(x, timeperiod, nbdev, out):
    """Population standard deviation times nbdev into *out*. Reference: TA-Lib ``STDDEV`` (0 where the
    variance is below 1e-8)."""
    var_into_nb(x, timeperiod, out)
    for i in range(timeperiod - 1, out.shape[0]):
        v = out[i]
        out[i] = np.sqrt(v) * nbdev if not v < 1e-8 else 0.0


@njit(cache=True, nogil=True)
def stddev_nb(x, timeperiod, nbdev):
    """Allocating form of :func:`stddev_into_nb`."""
    out = np.empty(x.shape[0])
    stddev_into_nb(x, timeperiod, nbdev, out)
    return out


@njit(cache=True, nogil=True)
def _bbands_sma_into(x, p, nbdevup, nbdevdn, upper, middle, lower):
    """Fused one-pass Bollinger bands around a running-sum SMA (TA-Lib's SMA path)."""
    n = x.shape[0]
    t1 = 0.0
    t2 = 0.0
    for i in range(min(n, p - 1)):
        v = x[i]
        t1 += v
        t2 += v * v
    for i in range(p - 1, n):
        v = x[i]
        t1 += v
        t2 += v * v
        m = t1 / p
        m2 = t2 / p
        v = x[i - p + 1]
        t1 -= v
        t2 -= v * v
        m2 -= m * m
        sd = np.sqrt(m2) if not m2 < 1e-8 else 0.0
        middle[i] = m
        upper[i] = m + sd * nbdevup
        lower[i] = m - sd * nbdevdn


@njit(cache=True, nogil=True)
def bbands_into_nb(x, timeperiod, nbdevup, nbdevdn, matype, upper, middle, lower):
    """Bollinger bands written into upper/middle/lower, around a TA-Lib MA of type matype. Reference:
    TA-Lib ``BBANDS`` (population deviation; for SMA computed around the SMA itself, else via ``STDDEV``)."""
    n = x.shape[0]
    head = min(n, max(ma_lookback_nb(timeperiod, matype), timeperiod - 1))
    upper[:head] = np.nan
    middle[:head] = np.nan
    lower[:head] = np.nan
    if matype == MA_SMA and timeperiod > 1:
        _bbands_sma_into(x, timeperiod, nbdevup, nbdevdn, upper, middle, lower)
        return
    mid = ma_nb(x, timeperiod, matype)
    sd = stddev_nb(x, timeperiod, 1.0)
    for i in range(head, n):
        m = mid[i]
        s = sd[i]
        middle[i] = m
        upper[i] = m + s * nbdevup
        lower[i] = m - s * nbdevdn


@njit(cache=True, nogil=True)
def bbands_nb(x, timeperiod, nbdevup, nbdevdn, matype):
    """Bollinger bands returning new arrays (see :func:`bbands_into_nb`). Reference: TA-Lib ``BBANDS``."""
    n = x.shape[0]
    upper = np.empty(n)
    middle = np.empty(n)
    lower = np.empty(n)
    bbands_into_nb(x, timeperiod, nbdevup, nbdevdn, matype, upper, middle, lower)
    return upper, middle, lower


@njit(cache=True, nogil=True)
def _true_range(high, low, prev_close):
    """max(high - low, |prev_close - high|, |prev_close - low|), in TA-Lib's order of comparisons."""
    greatest = high - low
    v = abs(prev_close - high)
    if v > greatest:
        greatest = v
    v = abs(prev_close - low)
    if v > greatest:
        greatest = v
    return greatest


@njit(cache=True, nogil=True)
def trange_nb(high, low, close):
    """True range. Reference: TA-Lib ``TRANGE`` (max of high-low and the gaps to the previous close;
    output from index 1)."""
    n = close.shape[0]
    out = np.full(n, np.nan)
    for i in range(1, n):
        out[i] = _true_range(high[i], low[i], close[i - 1])
    return out


@njit(cache=True, nogil=True)
def atr_into_nb(high, low, close, timeperiod, out):
    """Average true range. Reference: TA-Lib ``ATR`` (seeded with the SMA of the first timeperiod true
    ranges, then Wilder smoothing as prev*(p-1)/p + tr/p; output from index timeperiod)."""
    n = close.shape[0]
    p = timeperiod
    if p == 1:
        out[:] = trange_nb(high, low, close)
        return
    out[: min(n, p)] = np.nan
    if n <= p:
        return
    prev = 0.0
    for i in range(1, p + 1):
        prev += _true_range(high[i], low[i], close[i - 1])
    prev /= p
    out[p] = prev
    a = (p - 1.0) / p
    b = 1.0 / p
    for i in range(p + 1, n):
        prev = prev * a + _true_range(high[i], low[i], close[i - 1]) * b
        out[i] = prev


@njit(cache=True, nogil=True)
def atr_nb(high, low, close, timeperiod):
    """Allocating form of :func:`atr_into_nb`."""
    out = np.empty(high.shape[0])
    atr_into_nb(high, low, close, timeperiod, out)
    return out


@njit(cache=True, nogil=True)
def natr_into_nb(high, low, close, timeperiod, out):
    """Normalised ATR, 100*ATR/close, into *out*. Reference: TA-Lib ``NATR`` (0 where close is ~0; like
    TA-Lib, a timeperiod of 1 returns the plain true range, not normalised)."""
    atr_into_nb(high, low, close, timeperiod, out)
    if timeperiod == 1:
        return
    for i in range(timeperiod, out.shape[0]):
        c = close[i]
        out[i] = (out[i] / c) * 100.0 if not (-1e-8 < c < 1e-8) else 0.0


@njit(cache=True, nogil=True)
def natr_nb(high, low, close, timeperiod):
    """Allocating form of :func:`natr_into_nb`."""
    out = np.empty(close.shape[0])
    natr_into_nb(high, low, close, timeperiod, out)
    return out


@njit(cache=True, nogil=True)
def dm_state_nb(high, low, close, timeperiod):
    """Wilder-smoothed +DM, -DM and true range after each bar >= timeperiod (NaN before).
    Reference: TA-Lib ``PLUS_DI``/``MINUS_DI``/``DX``/``ADX`` (sum of the first timeperiod-1 moves, then
    prev - prev/p + new)."""
    n = close.shape[0]
    p = timeperiod
    pdm_s = np.full(n, np.nan)
    mdm_s = np.full(n, np.nan)
    tr_s = np.full(n, np.nan)
    pdm = 0.0
    mdm = 0.0
    tr = 0.0
    for i in range(1, n):
        dp = high[i] - high[i - 1]
        dm = low[i - 1] - low[i]
        t = _true_range(high[i], low[i], close[i - 1])
        if i >= p:
            pdm -= pdm / p
            mdm -= mdm / p
        if dm > 0 and dp < dm:
            mdm += dm
        elif dp > 0 and dp > dm:
            pdm += dp
        if i >= p:
            tr = tr - (tr / p) + t
            pdm_s[i] = pdm
            mdm_s[i] = mdm
            tr_s[i] = tr
        else:
            tr += t
    return pdm_s, mdm_s, tr_s


@njit(cache=True, nogil=True)
def di_nb(high, low, close, timeperiod, plus):
    """+DI (``plus``) or -DI, 100 * smoothed DM / smoothed TR. Reference: TA-Lib ``PLUS_DI``/``MINUS_DI``
    (0 where the smoothed TR is ~0; output from index timeperiod)."""
    pdm, mdm, tr = dm_state_nb(high, low, close, timeperiod)
    dm = pdm if plus else mdm
    out = np.full(close.shape[0], np.nan)
    for i in range(timeperiod, close.shape[0]):
        t = tr[i]
        out[i] = 100.0 * (dm[i] / t) if not (-1e-8 < t < 1e-8) else 0.0
    return out


@njit(cache=True, nogil=True)
def _dx_value(pdm, mdm, tr):
    """(dx, ok): ok is False where TA-Lib skips the bar (TR or DI sum ~0)."""
    if -1e-8 < tr < 1e-8:
        return 0.0, False
    mdi = 100.0 * (mdm / tr)
    pdi = 100.0 * (pdm / tr)
    s = mdi + pdi
    if -1e-8 < s < 1e-8:
        return 0.0, False
    return 100.0 * (abs(mdi - pdi) / s), True


@njit(cache=True, nogil=True)
def dx_nb(high, low, close, timeperiod):
    """Directional movement index. Reference: TA-Lib ``DX`` (100*|-DI - +DI|/(-DI + +DI); where that is
    undefined the previous value is repeated, 0 at the first bar; output from index timeperiod)."""
    pdm, mdm, tr = dm_state_nb(high, low, close, timeperiod)
    n = close.shape[0]
    out = np.full(n, np.nan)
    prev = 0.0
    for i in range(timeperiod, n):
        v, ok = _dx_value(pdm[i], mdm[i], tr[i])
        if ok:
            prev = v
        out[i] = prev
    return out


@njit(cache=True, nogil=True)
def adx_into_nb(high, low, close, timeperiod, out):
    """Average directional movement index in one pass. Reference: TA-Lib ``ADX`` (Wilder-smoothed DM/TR,
    mean of the first timeperiod DX values, then Wilder smoothing; bars with undefined DX are skipped;
    output from index 2p-1)."""
    n = close.shape[0]
    p = timeperiod
    out[: min(n, 2 * p - 1)] = np.nan
    if n < 2 * p:
        return
    inv = 1.0 / p
    a = 1.0 - inv
    w = p - 1.0
    pdm = 0.0
    mdm = 0.0
    tr = 0.0
    total = 0.0
    prev = 0.0
    for i in range(1, n):
        hi = high[i]
        lo = low[i]
        dp = hi - high[i - 1]
        dm = low[i - 1] - lo
        t = _true_range(hi, lo, close[i - 1])
        if i >= p:
            pdm *= a
            mdm *= a
            tr = tr * a + t
        else:
            tr += t
        if dm > 0 and dp < dm:
            mdm += dm
        elif dp > 0 and dp > dm:
            pdm += dp
        if i < p:
            continue
        v, ok = _dx_value(pdm, mdm, tr)
        if i < 2 * p:
            if ok:
                total += v
            if i == 2 * p - 1:
                prev = total / p
                out[i] = prev
        else:
            if ok:
                prev = (prev * w + v) * inv
            out[i] = prev


@njit(cache=True, nogil=True)
def adx_nb(high, low, close, timeperiod):
    """Allocating form of :func:`adx_into_nb`."""
    out = np.empty(high.shape[0])
    adx_into_nb(high, low, close, timeperiod, out)
    return out


@njit(cache=True, nogil=True)
def adxr_nb(high, low, close, timeperiod):
    """ADX rating, (ADX + ADX timeperiod-1 bars ago)/2. Reference: TA-Lib ``ADXR`` (output from 3p-2)."""
    a = adx_nb(high, low, close, timeperiod)
    n = close.shape[0]
    out = np.full(n, np.nan)
    lag = timeperiod - 1
    for i in range(3 * timeperiod - 2, n):
        out[i] = (a[i] + a[i - lag]) / 2.0
    return out
