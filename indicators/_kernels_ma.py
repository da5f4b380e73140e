"""Numba kernels of the moving-average family (numpy in, numpy out; no other import).

Every kernel takes a float64 array whose leading NaNs were stripped by the caller and returns an array
of the same length with TA-Lib's NaN warm-up. ``ma_nb`` dispatches on TA-Lib's ``matype`` codes.
``*_into_nb`` kernels check their inputs as they read them and return True if all were finite
(see :mod:`._kernels`).
"""

import numpy as np
from numba import njit

from ._kernels import CONTRACT, ema_into_nb, sma_into_nb

#: TA-Lib ``TA_MAType`` codes supported by :func:`ma_nb`.
MA_SMA, MA_EMA, MA_WMA, MA_DEMA, MA_TEMA, MA_TRIMA, MA_KAMA, MA_T3 = 0, 1, 2, 3, 4, 5, 6, 8


@njit(cache=True, nogil=True)
def pad_nb(part, n):
    """Return a length-*n* array: NaNs followed by *part* (right-aligned)."""
    out = np.full(n, np.nan)
    out[n - part.shape[0]:] = part
    return out


@njit(cache=True, nogil=True)
def chain_nb(y, lookback):
    """Return ``y[lookback:]`` as a contiguous copy (the valid tail fed to a follow-up kernel)."""
    if lookback >= y.shape[0]:
        return np.empty(0)
    return y[lookback:].copy()


@njit(cache=True, nogil=True)
def copy_into_nb(x, out):
    """out[:] = x; True if every x is finite (TA-Lib's MA of period 1)."""
    chk = 0.0
    for i in range(x.shape[0]):
        v = x[i]
        chk += v * 0.0
        out[i] = v
    return chk == 0.0


_WMA_RESEED = 128  # bars between exact recomputations of the WMA's running sums


@njit(cache=True, nogil=True)
def _wma_sums(x, lo, p):
    """(weighted sum with weights 1..p, plain sum) of the window x[lo:lo+p], summed directly."""
    s = 0.0
    t = 0.0
    for j in range(p):
        v = x[lo + j]
        s += v * (j + 1.0)
        t += v
    return s, t


@njit(cache=True, nogil=True)
def wma_into_nb(x, timeperiod, out):
    """Linearly weighted moving average into *out*; True if every x is finite. Reference: TA-Lib ``WMA``
    (weights 1..p, output from index timeperiod-1; a period of 1 copies the input).

    Running sums with one add each on their dependency chains: the weighted sum S gains p times the new
    value minus the previous window's plain sum T, T gains the new value minus the oldest. S integrates T's
    rounding, so both are recomputed directly every 128 bars: the error stays at a few ulps however long
    the series (without the restarts it grows like n^1.5: ~1e-7 on a 1M-bar random walk)."""
    n = x.shape[0]
    p = timeperiod
    if p < 1 or n < p:
        out[:] = np.nan
        return False
    if p == 1:
        return copy_into_nb(x, out)
    out[:p - 1] = np.nan
    divider = float((p * (p + 1)) >> 1)
    inv_div = 1.0 / divider
    fp = float(p)
    chk = 0.0
    for i in range(p - 1):
        chk += x[i]
    i = p - 1
    while i < n:
        s, t = _wma_sums(x, i - p + 1, p)
        chk += x[i]
        out[i] = s * inv_div
        stop = min(i + _WMA_RESEED, n)
        xs = x[i + 1:stop]
        xo = x[i + 1 - p:stop - p]
        o = out[i + 1:stop]
        for k in range(stop - i - 1):
            v = xs[k]
            chk += v
            s += v * fp - t
            t += v - xo[k]
            o[k] = s * inv_div
        i = stop
    return chk - chk == 0.0


@njit(cache=True, nogil=True)
def wma_nb(x, timeperiod):
    """Allocating form of :func:`wma_into_nb`."""
    out = np.empty(x.shape[0])
    wma_into_nb(x, timeperiod, out)
    return out


@njit(cache=True, nogil=True, fastmath=CONTRACT)
def ema_stack_into_nb(x, timeperiod, kind, out):
    """DEMA (*kind* 0), TEMA (1) or TRIX (2) of x into *out*, in one pass without intermediate arrays;
    True if every x is finite.

    The chain is TA-Lib's: EMA1 of x, EMA2 of EMA1's valid tail, EMA3 of EMA2's, each seeded with the mean
    of the first timeperiod values it is fed; the seeds are summed in the same order as
    :func:`ema_into_nb` sums them, so the values equal the chain of ``ema_into_nb`` calls bit for bit.
    Outputs: DEMA 2*E1 - E2 (lookback 2*(timeperiod-1)), TEMA 3*E1 - 3*E2 + E3 (3*(timeperiod-1)),
    TRIX the one-bar percent change of E3 (3*(timeperiod-1)+1; 0 where the previous E3 is 0).
    The check is E1 itself: every x goes into its seed or its recurrence (k > 0), which keeps a NaN or inf
    non-finite to the end (see :func:`ema_into_nb`).
    """
    n = x.shape[0]
    p = timeperiod
    lb = p - 1
    first = 2 * lb if kind == 0 else (3 * lb if kind == 1 else 3 * lb + 1)
    if p < 1 or n <= first:
        out[:] = np.nan
        return False
    out[:first] = np.nan
    k = 2.0 / (p + 1.0)
    e1 = 0.0
    for i in range(p):
        e1 += x[i]
    e1 /= p
    e2 = e1
    for i in range(p, 2 * lb + 1):  # EMA2's seed: the mean of EMA1's first p values
        v = x[i]
        e1 = (v - e1) * k + e1
        e2 += e1
    e2 /= p
    if kind == 0:
        out[first] = 2.0 * e1 - e2
        for i in range(first + 1, n):
            v = x[i]
            e1 = (v - e1) * k + e1
            e2 = (e1 - e2) * k + e2
            out[i] = 2.0 * e1 - e2
        return e1 - e1 == 0.0
    e3 = e2
    for i in range(2 * lb + 1, 3 * lb + 1):  # EMA3's seed: the mean of EMA2's first p values
        v = x[i]
        e1 = (v - e1) * k + e1
        e2 = (e1 - e2) * k + e2
        e3 += e2
    e3 /= p
    if kind == 1:
        out[first] = 3.0 * e1 - 3.0 * e2 + e3
        for i in range(first + 1, n):
            v = x[i]
            e1 = (v - e1) * k + e1
            e2 = (e1 - e2) * k + e2
            e3 = (e2 - e3) * k + e3
            out[i] = 3.0 * e1 - 3.0 * e2 + e3
        return e1 - e1 == 0.0
    prev3 = e3
    for i in range(first, n):
        v = x[i]
        e1 = (v - e1) * k + e1
        e2 = (e1 - e2) * k + e2
        e3 = (e2 - e3) * k + e3
        out[i] = ((e3 / prev3) - 1.0) * 100.0 if prev3 != 0.0 else 0.0
        prev3 = e3
    return e1 - e1 == 0.0


@njit(cache=True, nogil=True)
def dema_nb(x, timeperiod):
    """Double EMA, 2*EMA - EMA(EMA). Reference: TA-Lib ``DEMA`` (lookback 2*(timeperiod-1))."""
    out = np.empty(x.shape[0])
    ema_stack_into_nb(x, timeperiod, 0, out)
    return out


@njit(cache=True, nogil=True)
def tema_nb(x, timeperiod):
    """Triple EMA, 3*E1 - 3*E2 + E3. Reference: TA-Lib ``TEMA`` (lookback 3*(timeperiod-1))."""
    out = np.empty(x.shape[0])
    ema_stack_into_nb(x, timeperiod, 1, out)
    return out


@njit(cache=True, nogil=True)
def trima_into_nb(x, timeperiod, out):
    """Triangular moving average, an SMA of an SMA, in one pass (the inner SMA's last values in a ring);
    True if every x is finite. Reference: TA-Lib ``TRIMA`` (odd p: SMA((p+1)/2) twice; even p: SMA(p/2)
    then SMA(p/2+1); output from index timeperiod-1). Both running sums add and drop in
    :func:`sma_into_nb`'s order; the divisions are multiplications by 1/period (within an ulp)."""
    n = x.shape[0]
    p = timeperiod
    if p < 1 or n < p:
        out[:] = np.nan
        return False
    if p == 1:
        return copy_into_nb(x, out)
    if p % 2 == 1:
        a = (p + 1) // 2
        b = a
    else:
        a = p // 2
        b = a + 1
    out[:p - 1] = np.nan
    ring = np.empty(b)
    inv_a = 1.0 / a
    inv_b = 1.0 / b
    t1 = 0.0
    for i in range(a - 1):
        t1 += x[i]
    t2 = 0.0
    slot = 0
    for i in range(a - 1, p - 1):  # the inner SMA's first b-1 values
        v = x[i]
        t1 += v
        s = t1 * inv_a
        t1 -= x[i - a + 1]
        ring[slot] = s
        slot += 1
        t2 += s
    xs = x[p - 1:]  # views indexed from 0
    xo = x[p - a:n - a + 1]
    o = out[p - 1:]
    for k in range(n - p + 1):
        v = xs[k]
        t1 += v
        s = t1 * inv_a
        t1 -= xo[k]
        ring[slot] = s
        t2 += s
        o[k] = t2 * inv_b
        slot = slot + 1 if slot + 1 < b else 0
        t2 -= ring[slot]  # the oldest inner value of the window
    return t1 - t1 == 0.0  # the inner running sum: every x is added to it (see :func:`sma_into_nb`)


@njit(cache=True, nogil=True)
def trima_nb(x, timeperiod):
    """Allocating form of :func:`trima_into_nb`."""
    out = np.empty(x.shape[0])
    trima_into_nb(x, timeperiod, out)
    return out


@njit(cache=True, nogil=True, fastmath=CONTRACT)
def kama_into_nb(x, timeperiod, out):
    """Kaufman adaptive moving average; True if every x is finite. Reference: TA-Lib ``KAMA`` (efficiency
    ratio over timeperiod changes, fast 2 / slow 30 constants, seeded with x[timeperiod-1], output from
    index timeperiod)."""
    n = x.shape[0]
    p = timeperiod
    if p < 2 or n <= p:
        out[:] = np.nan
        return False
    out[:p] = np.nan
    const_max = 2.0 / (30.0 + 1.0)
    const_diff = 2.0 / (2.0 + 1.0) - const_max
    chk = 0.0
    sum_roc1 = 0.0
    for t in range(p):
        v = x[t]
        chk += v
        sum_roc1 += abs(v - x[t + 1])
    prev = x[p - 1]
    xs = x[p:]  # views indexed from 0: x[today], x[today - p], x[today - 1]
    xb = x[:n - p]
    xp = x[p - 1:n - 1]
    trailing_value = x[0]
    for k in range(n - p):
        v = xs[k]
        v2 = xb[k]
        period_roc = v - v2
        if k:
            sum_roc1 -= abs(trailing_value - v2)
            sum_roc1 += abs(v - xp[k])
        trailing_value = v2
        if sum_roc1 <= period_roc or (-1e-8 < sum_roc1 < 1e-8):
            er = 1.0
        else:
            er = abs(period_roc / sum_roc1)
        sc = er * const_diff + const_max
        sc *= sc
        prev = (v - prev) * sc + prev
        out[p + k] = prev
    # the main loop's check is prev itself: each x after the first p goes into prev's recurrence (sc is
    # > 0 or NaN), which keeps a NaN or inf (or turns it into NaN) to the end; the first p are summed above
    return chk - chk == 0.0 and prev - prev == 0.0


@njit(cache=True, nogil=True)
def kama_nb(x, timeperiod):
    """Allocating form of :func:`kama_into_nb`."""
    out = np.empty(x.shape[0])
    kama_into_nb(x, timeperiod, out)
    return out


_T3_BLOCK = 512  # bars per block of T3: the six EMAs serially, then the output vectorised


@njit(cache=True, nogil=True, fastmath=CONTRACT)
def _t3_out(e2, e3, e4, e5, c1, c2, c3, c4, o):
    """o[j] = c1*e5[j] + c2*e4[j] + c3*e3[j] + c4*e2[j] (the expression of the serial loop, so the same
    contraction), in a loop the compiler vectorises."""
    for j in range(o.shape[0]):
        o[j] = c1 * e5[j] + c2 * e4[j] + c3 * e3[j] + c4 * e2[j]


@njit(cache=True, nogil=True, fastmath=CONTRACT)
def t3_into_nb(x, timeperiod, vfactor, out):
    """Tillson T3 into *out*; True if every x is finite. Reference: TA-Lib ``T3`` (six chained EMAs, each
    seeded with the mean of its first timeperiod inputs, lookback 6*(timeperiod-1))."""
    n = x.shape[0]
    p = timeperiod
    lb = 6 * (p - 1)
    if p < 1 or n <= lb:
        out[:] = np.nan
        return False
    out[:lb] = np.nan
    k = 2.0 / (p + 1.0)
    omk = 1.0 - k
    e = np.zeros(6)
    chk = 0.0
    today = 0
    total = 0.0
    for _ in range(p):
        v = x[today]
        chk += v * 0.0
        total += v
        today += 1
    e[0] = total / p
    for stage in range(1, 6):
        total = e[stage - 1]
        for _ in range(p - 1):
            v = x[today]
            chk += v * 0.0
            e[0] = omk * e[0] + k * v
            today += 1
            for s in range(1, stage):
                e[s] = omk * e[s] + k * e[s - 1]
            total += e[stage - 1]
        e[stage] = total / p
    v2 = vfactor * vfactor
    c1 = -(v2 * vfactor)
    c2 = 3.0 * (v2 - c1)
    c3 = -6.0 * v2 - 3.0 * (vfactor - c1)
    c4 = 1.0 + 3.0 * vfactor - c1 + 3.0 * v2
    e0, e1, e2, e3, e4, e5 = e[0], e[1], e[2], e[3], e[4], e[5]
    m = _T3_BLOCK
    buf = np.empty((4, m))  # e2..e5 of each bar of a block, for the vectorised output
    buf[0, 0] = e2
    buf[1, 0] = e3
    buf[2, 0] = e4
    buf[3, 0] = e5
    _t3_out(buf[0, :1], buf[1, :1], buf[2, :1], buf[3, :1], c1, c2, c3, c4, out[lb:lb + 1])
    for b in range(today, n, m):
        stop = min(b + m, n)
        xs = x[b:stop]  # views indexed from 0: no negative-index handling in the loop
        b2 = buf[0]
        b3 = buf[1]
        b4 = buf[2]
        b5 = buf[3]
        for j in range(stop - b):
            e0 = k * xs[j] + omk * e0
            e1 = k * e0 + omk * e1
            e2 = k * e1 + omk * e2
            e3 = k * e2 + omk * e3
            e4 = k * e3 + omk * e4
            e5 = k * e4 + omk * e5
            b2[j] = e2
            b3[j] = e3
            b4[j] = e4
            b5[j] = e5
        _t3_out(b2, b3, b4, b5, c1, c2, c3, c4, out[b:stop])
    # the check of the main loop is e0 itself: every x passes through e0's recurrence (omk > 0), which
    # keeps a NaN or inf (or turns it into NaN) to the end, so the last e0 is finite iff every x was
    return chk == 0.0 and e0 - e0 == 0.0


@njit(cache=True, nogil=True)
def t3_nb(x, timeperiod, vfactor):
    """Allocating form of :func:`t3_into_nb`."""
    out = np.empty(x.shape[0])
    t3_into_nb(x, timeperiod, vfactor, out)
    return out


@njit(cache=True, nogil=True)
def ma_lookback_nb(timeperiod, matype):
    """Warm-up length of :func:`ma_nb`. Reference: TA-Lib ``TA_MA_Lookback``."""
    if timeperiod <= 1:
        return 0
    if matype == MA_DEMA:
        return 2 * (timeperiod - 1)
    if matype == MA_TEMA:
        return 3 * (timeperiod - 1)
    if matype == MA_KAMA:
        return timeperiod
    if matype == MA_T3:
        return 6 * (timeperiod - 1)
    return timeperiod - 1


@njit(cache=True, nogil=True)
def ma_into_nb(x, timeperiod, matype, out):
    """Moving average of TA-Lib type *matype* into *out* (0 SMA, 1 EMA, 2 WMA, 3 DEMA, 4 TEMA, 5 TRIMA,
    6 KAMA, 8 T3 with vfactor 0.7); True if every x is finite. Reference: TA-Lib ``MA`` (a period of 1
    returns a copy of the input)."""
    if timeperiod == 1:
        return copy_into_nb(x, out)
    if matype == MA_EMA:
        return ema_into_nb(x, timeperiod, out)
    if matype == MA_WMA:
        return wma_into_nb(x, timeperiod, out)
    if matype == MA_DEMA:
        return ema_stack_into_nb(x, timeperiod, 0, out)
    if matype == MA_TEMA:
        return ema_stack_into_nb(x, timeperiod, 1, out)
    if matype == MA_TRIMA:
        return trima_into_nb(x, timeperiod, out)
    if matype == MA_KAMA:
        return kama_into_nb(x, timeperiod, out)
    if matype == MA_T3:
        return t3_into_nb(x, timeperiod, 0.7, out)
    return sma_into_nb(x, timeperiod, out)


@njit(cache=True, nogil=True)
def ma_nb(x, timeperiod, matype):
    """Allocating form of :func:`ma_into_nb`."""
    out = np.empty(x.shape[0])
    ma_into_nb(x, timeperiod, matype, out)
    return out
