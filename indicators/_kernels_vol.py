"""Numba kernels of volatility and directional-movement indicators (numpy in, numpy out).

Inputs are float64 arrays with leading NaNs already stripped; outputs follow TA-Lib's NaN warm-up.
``TA_IS_ZERO(v)`` in TA-Lib is ``-1e-8 < v < 1e-8`` and ``TA_IS_ZERO_OR_NEG(v)`` is ``v < 1e-8``.
``*_into_nb`` kernels check their inputs as they read them and return True if all were finite
(see :mod:`._kernels`).
"""

import numpy as np
from numba import njit

from ._kernels import CONTRACT, zero_add
from ._kernels_ma import ma_into_nb, ma_lookback_nb

_RESEED = 128  # bars between exact restarts of the running moments
_ILL = 1e3  # restart where (mean - reference)^2 exceeds this many variances (cancellation would cost digits)


@njit(cache=True, nogil=True)
def _reseed(x, lo, hi, p):
    """(reference, s1, s2) of the window x[lo:hi]: the reference is its two-pass mean, s1 and s2 the sums
    of the deviations from it and of their squares (the corrected two-pass algorithm)."""
    m = 0.0
    for j in range(lo, hi):
        m += x[j]
    m /= p
    s1 = 0.0
    s2 = 0.0
    for j in range(lo, hi):
        d = x[j] - m
        s1 += d
        s2 += d * d
    return m, s1, s2


@njit(cache=True, nogil=True)
def _window_moments_into(x, p, nbdev, mode, out, middle, lower, nbdevdn):
    """Population variance (*mode* 0) or nbdev * standard deviation (1) of each trailing window into
    *out*, or (2) Bollinger bands around *middle*: middle + nbdev * sd into *out*, middle - nbdevdn * sd
    into *lower* (rows from p-1 on); True if every x is finite.

    Running sums of the deviations from a reference value and of their squares, restarted from an exact
    two-pass window (the reference becomes its mean) every 128 bars and wherever the window mean has
    moved more than sqrt(1000) deviations from the reference: the variance s2/p - (s1/p)^2 then never
    cancels more than three digits, so it stays within ~1e-12 of the exact value on any price level
    (running sums of x and x^2, older TA-Lib's method, lose all digits around 1e6-1e8)."""
    n = x.shape[0]
    if p < 1 or n < p:
        out[:] = np.nan
        return False
    out[:p - 1] = np.nan
    chk = 0.0
    for i in range(p - 1):
        chk += x[i]
    inv = 1.0 / p
    i = p - 1
    while i < n:
        ref, s1, s2 = _reseed(x, i - p + 1, i + 1, p)
        stop = min(i + _RESEED, n)
        m = stop - i
        xs = x[i:stop]
        xo = x[i - p + 1:stop - p + 1]
        o = out[i:stop]
        for k in range(m):  # the segment's finite check, a vectorised pass over values in L1
            chk = zero_add(chk, xs[k])
        for k in range(m):
            v = xs[k]
            if k:  # the window gains v and loses the bar before it: one add per sum on its chain
                d = v - ref
                e = xo[k - 1] - ref
                s1 += d - e
                s2 += d * d - e * e
            mk = s1 * inv
            var = s2 * inv - mk * mk
            if not mk * mk <= _ILL * var:  # ill-conditioned, negative or NaN: restart exactly
                ref, s1, s2 = _reseed(x, i + k - p + 1, i + k + 1, p)
                mk = s1 * inv
                var = s2 * inv - mk * mk
                var = var if var > 0.0 else 0.0
            o[k] = var
        # the deviations or bands of the segment from its variances, in loops the compiler vectorises
        if mode == 1:
            for k in range(m):
                o[k] = np.sqrt(o[k]) * nbdev
        elif mode == 2:
            mid = middle[i:stop]
            lo = lower[i:stop]
            for k in range(m):
                sd = np.sqrt(o[k])
                mm = mid[k]
                o[k] = mm + sd * nbdev
                lo[k] = mm - sd * nbdevdn
        i = stop
    return chk - chk == 0.0


@njit(cache=True, nogil=True)
def var_into_nb(x, timeperiod, out):
    """Population variance over a trailing window into *out* (see :func:`_window_moments_into`); True if
    every x is finite. Reference: TA-Lib ``VAR`` (0.8 computes it to full precision; this matches it to
    ~1e-12)."""
    return _window_moments_into(x, timeperiod, 1.0, 0, out, out, out, 0.0)


@njit(cache=True, nogil=True)
def var_nb(x, timeperiod):
    """Allocating form of :func:`var_into_nb`."""
    out = np.empty(x.shape[0])
    var_into_nb(x, timeperiod, out)
    return out


@njit(cache=True, nogil=True)
def stddev_into_nb(x, timeperiod, nbdev, out):
    """Population standard deviation times nbdev into *out*; True if every x is finite. Reference:
    TA-Lib ``STDDEV`` (0.6+: not clamped to 0 below a variance of 1e-8 as older versions did)."""
    return _window_moments_into(x, timeperiod, nbdev, 1, out, out, out, 0.0)


@njit(cache=True, nogil=True)
def stddev_nb(x, timeperiod, nbdev):
    """Allocating form of :func:`stddev_into_nb`."""
    out = np.empty(x.shape[0])
    stddev_into_nb(x, timeperiod, nbdev, out)
    return out


@njit(cache=True, nogil=True)
def bbands_into_nb(x, timeperiod, nbdevup, nbdevdn, matype, upper, middle, lower):
    """Bollinger bands written into upper/middle/lower, around a TA-Lib MA of type matype; True if every
    x is finite. Reference: TA-Lib ``BBANDS`` (the population deviation of :func:`stddev_into_nb`: TA-Lib
    0.6+ is exact too, where plain running sums of squares lose digits on large prices)."""
    n = x.shape[0]
    head = max(ma_lookback_nb(timeperiod, matype), timeperiod - 1)
    if n <= head:
        upper[:] = np.nan
        middle[:] = np.nan
        lower[:] = np.nan
        return False
    upper[:head] = np.nan
    middle[:head] = np.nan
    lower[:head] = np.nan
    ok = ma_into_nb(x, timeperiod, matype, middle)
    _window_moments_into(x, timeperiod, nbdevup, 2, upper, middle, lower, nbdevdn)
    middle[:head] = np.nan
    upper[:head] = np.nan
    lower[:head] = np.nan
    return ok


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
    """max(high - low, |prev_close - high|, |prev_close - low|); NaN where high - low is NaN."""
    return max(high - low, abs(prev_close - high), abs(prev_close - low))


@njit(cache=True, nogil=True)
def trange_into_nb(high, low, close, out):
    """True range into *out*; True if every input is finite. Reference: TA-Lib ``TRANGE`` (max of
    high-low and the gaps to the previous close; output from index 1). One loop over contiguous views
    that the compiler vectorises, the finite check :func:`zero_add` over the bars' high + low + close."""
    n = close.shape[0]
    if n < 2:
        out[:] = np.nan
        return False
    out[0] = np.nan
    chk = zero_add(0.0, high[0] + low[0] + close[0])
    hs = high[1:]
    ls = low[1:]
    cs = close[1:]
    ps = close[:n - 1]
    o = out[1:]
    for k in range(n - 1):
        chk = zero_add(chk, hs[k] + ls[k] + cs[k])
        o[k] = _true_range(hs[k], ls[k], ps[k])
    return chk == 0.0


@njit(cache=True, nogil=True)
def trange_nb(high, low, close):
    """Allocating form of :func:`trange_into_nb`."""
    out = np.empty(close.shape[0])
    trange_into_nb(high, low, close, out)
    return out


@njit(cache=True, nogil=True, fastmath=CONTRACT, error_model="numpy")
def _atr_into(high, low, close, p, normalise, out):
    """ATR (or 100*ATR/close with *normalise*) for p >= 2 into *out*; True if every input is finite.

    The check sums the closes (NaN or inf from the first non-finite one on) and relies on the
    recurrence for high and low: a non-finite high or low makes its true range non-finite (the
    high - low term), and every later ATR with it, so the last ATR is finite only if all were. The main
    loop runs over contiguous views with indices from 0 (no negative-index handling in the loop); NATR
    divides each ATR as it computes it (off the ATR's dependency chain; numpy's error model, so no
    zero-division branch: the close divided by is not ~0; measured faster than a vectorised division
    pass over blocks of ATRs)."""
    n = close.shape[0]
    if n <= p:
        out[:] = np.nan
        return False
    out[:p] = np.nan
    chk = high[0] + low[0] + close[0]
    prev = 0.0
    for i in range(1, p + 1):
        chk += close[i]
        prev += _true_range(high[i], low[i], close[i - 1])
    prev /= p
    c = close[p]
    if normalise:
        out[p] = (prev / c) * 100.0 if not (-1e-8 < c < 1e-8) else 0.0
    else:
        out[p] = prev
    a = (p - 1.0) / p
    b = 1.0 / p
    hs = high[p + 1:]
    ls = low[p + 1:]
    cs = close[p + 1:]
    ps = close[p:n - 1]
    o = out[p + 1:]
    if not normalise:
        for k in range(n - p - 1):
            chk += cs[k]
            prev = prev * a + _true_range(hs[k], ls[k], ps[k]) * b
            o[k] = prev
        return chk - chk == 0.0 and prev - prev == 0.0
    for k in range(n - p - 1):  # each ATR divided as it is computed (the division is off prev's chain)
        c = cs[k]
        chk += c
        prev = prev * a + _true_range(hs[k], ls[k], ps[k]) * b
        o[k] = (prev / c) * 100.0 if not (-1e-8 < c < 1e-8) else 0.0
    return chk - chk == 0.0 and prev - prev == 0.0


@njit(cache=True, nogil=True)
def atr_into_nb(high, low, close, timeperiod, out):
    """Average true range; True if every input is finite. Reference: TA-Lib ``ATR`` (seeded with the SMA
    of the first timeperiod true ranges, then Wilder smoothing as prev*(p-1)/p + tr/p; output from index
    timeperiod)."""
    if timeperiod == 1:
        return trange_into_nb(high, low, close, out)
    return _atr_into(high, low, close, timeperiod, False, out)


@njit(cache=True, nogil=True)
def atr_nb(high, low, close, timeperiod):
    """Allocating form of :func:`atr_into_nb`."""
    out = np.empty(high.shape[0])
    atr_into_nb(high, low, close, timeperiod, out)
    return out


@njit(cache=True, nogil=True)
def natr_into_nb(high, low, close, timeperiod, out):
    """Normalised ATR, 100*ATR/close, into *out*; True if every input is finite. Reference: TA-Lib
    ``NATR`` (0 where close is ~0; like TA-Lib, a timeperiod of 1 returns the plain true range, not
    normalised). One pass: each ATR value is divided as it is computed."""
    if timeperiod == 1:
        return trange_into_nb(high, low, close, out)
    return _atr_into(high, low, close, timeperiod, True, out)


@njit(cache=True, nogil=True)
def natr_nb(high, low, close, timeperiod):
    """Allocating form of :func:`natr_into_nb`."""
    out = np.empty(close.shape[0])
    natr_into_nb(high, low, close, timeperiod, out)
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


@njit(cache=True, nogil=True, fastmath=CONTRACT)
def _dm_into(high, low, close, p, kind, out):
    """One pass of Wilder-smoothed +DM, -DM and true range (TA-Lib: the sums of the first p-1 moves, then
    prev - prev/p + new, here prev*(1-1/p) + new as in :func:`adx_into_nb`), written as +DI (*kind* 0),
    -DI (1), DX (2) or ADX (3) into *out*; True if every input is finite.

    Reference: TA-Lib ``PLUS_DI``/``MINUS_DI``/``DX``/``ADX``: DI = 100*DM/TR (0 where TR is ~0), DX =
    100*|-DI - +DI|/(-DI + +DI) (the previous value where undefined, 0 at first), ADX = the mean of the
    first p DX values then Wilder-smoothed, skipping undefined DX; outputs from index p (ADX 2p-1)."""
    n = close.shape[0]
    first = 2 * p - 1 if kind == 3 else p
    if n <= first:
        out[:] = np.nan
        return False
    out[:first] = np.nan
    a = 1.0 - 1.0 / p
    inv = 1.0 / p
    w = p - 1.0
    pdm = 0.0
    mdm = 0.0
    tr = 0.0
    total = 0.0
    prev = 0.0
    chk = (high[0] + low[0] + close[0]) * 0.0
    for i in range(1, n):
        hi = high[i]
        lo = low[i]
        chk += (hi + lo + close[i]) * 0.0
        dp = hi - high[i - 1]
        dm = low[i - 1] - lo
        t = _true_range(hi, lo, close[i - 1])
        if i >= p:
            pdm *= a
            mdm *= a
            tr = tr * a + t
        else:
            tr += t
        # branch-free (the two moves of a random walk mispredict): each sum gains its move or 0.0
        mdm += dm * np.float64((dm > 0) & (dp < dm))
        pdm += dp * np.float64((dp > 0) & (dp > dm))
        if i < p:
            continue
        if kind < 2:
            dmv = pdm if kind == 0 else mdm
            out[i] = 100.0 * (dmv / tr) if not (-1e-8 < tr < 1e-8) else 0.0
            continue
        v, ok = _dx_value(pdm, mdm, tr)
        if kind == 2:
            if ok:
                prev = v
            out[i] = prev
        elif i < 2 * p:
            if ok:
                total += v
            if i == 2 * p - 1:
                prev = total / p
                out[i] = prev
        else:
            if ok:
                prev = (prev * w + v) * inv
            out[i] = prev
    return chk == 0.0


@njit(cache=True, nogil=True)
def di_into_nb(high, low, close, timeperiod, plus, out):
    """+DI (``plus``) or -DI, 100 * smoothed DM / smoothed TR, into *out*; True if every input is finite.
    Reference: TA-Lib ``PLUS_DI``/``MINUS_DI`` (0 where the smoothed TR is ~0; output from index
    timeperiod)."""
    return _dm_into(high, low, close, timeperiod, 0 if plus else 1, out)


@njit(cache=True, nogil=True)
def dx_into_nb(high, low, close, timeperiod, out):
    """Directional movement index into *out*; True if every input is finite. Reference: TA-Lib ``DX``
    (100*|-DI - +DI|/(-DI + +DI); where that is undefined the previous value is repeated, 0 at the first
    bar; output from index timeperiod)."""
    return _dm_into(high, low, close, timeperiod, 2, out)


@njit(cache=True, nogil=True)
def adx_into_nb(high, low, close, timeperiod, out):
    """Average directional movement index in one pass; True if every input is finite. Reference: TA-Lib
    ``ADX`` (Wilder-smoothed DM/TR, mean of the first timeperiod DX values, then Wilder smoothing; bars
    with undefined DX are skipped; output from index 2p-1)."""
    return _dm_into(high, low, close, timeperiod, 3, out)


@njit(cache=True, nogil=True)
def adx_nb(high, low, close, timeperiod):
    """Allocating form of :func:`adx_into_nb`."""
    out = np.empty(high.shape[0])
    adx_into_nb(high, low, close, timeperiod, out)
    return out


@njit(cache=True, nogil=True)
def adxr_into_nb(high, low, close, timeperiod, out):
    """ADX rating, (ADX + ADX timeperiod-1 bars ago)/2, into *out*; True if every input is finite.
    Reference: TA-Lib ``ADXR`` (output from 3p-2). The ADX is written into *out* and averaged in place,
    from the last bar back."""
    n = close.shape[0]
    first = 3 * timeperiod - 2
    if n <= first:
        out[:] = np.nan
        return False
    ok = adx_into_nb(high, low, close, timeperiod, out)
    lag = timeperiod - 1
    for i in range(n - 1, first - 1, -1):
        out[i] = (out[i] + out[i - lag]) / 2.0
    out[:first] = np.nan
    return ok
