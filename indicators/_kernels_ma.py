"""Numba kernels of the moving-average family (numpy in, numpy out; no other import).

Every kernel takes a float64 array whose leading NaNs were stripped by the caller and returns an array
of the same length with TA-Lib's NaN warm-up. ``ma_nb`` dispatches on TA-Lib's ``matype`` codes.
"""

import numpy as np
from numba import njit

from ._kernels import ema_nb, sma_nb

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
def wma_into_nb(x, timeperiod, out):
    """Linearly weighted moving average into *out*, weights 1..p summed directly over each window (no
    running sum, so no drift on long series). Reference: TA-Lib ``WMA`` (output from index timeperiod-1).

    The loops are interchanged in blocks of outputs (window offset outside, outputs inside, which the
    compiler vectorises); each output still receives the same additions in the same order.
    """
    n = x.shape[0]
    p = timeperiod
    if p < 1 or n < p:
        out[:] = np.nan
        return
    out[:p - 1] = np.nan
    divider = (p * (p + 1)) / 2.0
    block = 2048
    for start in range(p - 1, n, block):
        stop = min(start + block, n)
        acc = out[start:stop]
        acc[:] = 0.0
        m = stop - start
        for j in range(p):
            xs = x[start - p + 1 + j:start - p + 1 + j + m]
            w = j + 1.0
            for i in range(m):
                acc[i] += xs[i] * w
        for i in range(m):
            acc[i] = acc[i] / divider


@njit(cache=True, nogil=True)
def wma_nb(x, timeperiod):
    """Allocating form of :func:`wma_into_nb`."""
    out = np.empty(x.shape[0])
    wma_into_nb(x, timeperiod, out)
    return out


@njit(cache=True, nogil=True)
def ema_stack_into_nb(x, timeperiod, kind, out):
    """DEMA (*kind* 0), TEMA (1) or TRIX (2) of x into *out*, in one pass without intermediate arrays.

    The chain is TA-Lib's: EMA1 of x, EMA2 of EMA1's valid tail, EMA3 of EMA2's, each seeded with the mean
    of the first timeperiod values it is fed; the seeds are summed in the same order as
    :func:`ema_into_nb` sums them, so the values equal the chain of ``ema_into_nb`` calls bit for bit.
    Outputs: DEMA 2*E1 - E2 (lookback 2*(timeperiod-1)), TEMA 3*E1 - 3*E2 + E3 (3*(timeperiod-1)),
    TRIX the one-bar percent change of E3 (3*(timeperiod-1)+1; 0 where the previous E3 is 0).
    """
    n = x.shape[0]
    p = timeperiod
    lb = p - 1
    first = 2 * lb if kind == 0 else (3 * lb if kind == 1 else 3 * lb + 1)
    if p < 1 or n < p:
        out[:] = np.nan
        return
    out[:min(n, first)] = np.nan
    k = 2.0 / (p + 1.0)
    e1 = 0.0
    for i in range(p):
        e1 += x[i]
    e1 /= p
    e2 = 0.0
    e3 = 0.0
    prev3 = 0.0
    for i in range(lb, n):
        if i > lb:
            e1 = (x[i] - e1) * k + e1
        if i - lb < p:  # EMA2's seed: the mean of EMA1's first p values
            e2 += e1
            if i - lb < p - 1:
                continue
            e2 /= p
        else:
            e2 = (e1 - e2) * k + e2
        if kind == 0:
            out[i] = 2.0 * e1 - e2
            continue
        if i - 2 * lb < p:
            e3 += e2
            if i - 2 * lb < p - 1:
                continue
            e3 /= p
        else:
            e3 = (e2 - e3) * k + e3
        if kind == 1:
            out[i] = 3.0 * e1 - 3.0 * e2 + e3
        else:
            if i >= first:
                out[i] = ((e3 / prev3) - 1.0) * 100.0 if prev3 != 0.0 else 0.0
            prev3 = e3


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
def trima_nb(x, timeperiod):
    """Triangular moving average, an SMA of an SMA. Reference: TA-Lib ``TRIMA`` (odd p: SMA((p+1)/2) twice;
    even p: SMA(p/2) then SMA(p/2+1); output from index timeperiod-1)."""
    n = x.shape[0]
    p = timeperiod
    if p < 1 or n < p:
        return np.full(n, np.nan)
    if p == 1:
        return x.copy()
    if p % 2 == 1:
        a = (p + 1) // 2
        b = a
    else:
        a = p // 2
        b = a + 1
    s1 = sma_nb(x, a)
    return pad_nb(sma_nb(chain_nb(s1, a - 1), b), n)


@njit(cache=True, nogil=True)
def kama_nb(x, timeperiod):
    """Kaufman adaptive moving average. Reference: TA-Lib ``KAMA`` (efficiency ratio over timeperiod
    changes, fast 2 / slow 30 constants, seeded with x[timeperiod-1], output from index timeperiod)."""
    n = x.shape[0]
    out = np.full(n, np.nan)
    p = timeperiod
    if p < 2 or n <= p:
        return out
    const_max = 2.0 / (30.0 + 1.0)
    const_diff = 2.0 / (2.0 + 1.0) - const_max
    sum_roc1 = 0.0
    for t in range(p):
        sum_roc1 += abs(x[t] - x[t + 1])
    prev = x[p - 1]
    trailing = 0
    trailing_value = x[0]
    for today in range(p, n):
        v = x[today]
        v2 = x[trailing]
        trailing += 1
        period_roc = v - v2
        if today > p:
            sum_roc1 -= abs(trailing_value - v2)
            sum_roc1 += abs(v - x[today - 1])
        trailing_value = v2
        if sum_roc1 <= period_roc or (-1e-8 < sum_roc1 < 1e-8):
            er = 1.0
        else:
            er = abs(period_roc / sum_roc1)
        sc = er * const_diff + const_max
        sc *= sc
        prev = (v - prev) * sc + prev
        out[today] = prev
    return out


@njit(cache=True, nogil=True)
def t3_nb(x, timeperiod, vfactor):
    """Tillson T3. Reference: TA-Lib ``T3`` (six chained EMAs, each seeded with the mean of its first
    timeperiod inputs, lookback 6*(timeperiod-1))."""
    n = x.shape[0]
    out = np.full(n, np.nan)
    p = timeperiod
    lb = 6 * (p - 1)
    if p < 1 or n <= lb:
        return out
    k = 2.0 / (p + 1.0)
    omk = 1.0 - k
    e = np.zeros(6)
    today = 0
    total = 0.0
    for _ in range(p):
        total += x[today]
        today += 1
    e[0] = total / p
    for stage in range(1, 6):
        total = e[stage - 1]
        for _ in range(p - 1):
            e[0] = k * x[today] + omk * e[0]
            today += 1
            for s in range(1, stage):
                e[s] = k * e[s - 1] + omk * e[s]
            total += e[stage - 1]
        e[stage] = total / p
    v2 = vfactor * vfactor
    c1 = -(v2 * vfactor)
    c2 = 3.0 * (v2 - c1)
    c3 = -6.0 * v2 - 3.0 * (vfactor - c1)
    c4 = 1.0 + 3.0 * vfactor - c1 + 3.0 * v2
    out[lb] = c1 * e[5] + c2 * e[4] + c3 * e[3] + c4 * e[2]
    for i in range(today, n):
        e[0] = k * x[i] + omk * e[0]
        for s in range(1, 6):
            e[s] = k * e[s - 1] + omk * e[s]
        out[i] = c1 * e[5] + c2 * e[4] + c3 * e[3] + c4 * e[2]
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
def ma_nb(x, timeperiod, matype):
    """Moving average of TA-Lib type *matype* (0 SMA, 1 EMA, 2 WMA, 3 DEMA, 4 TEMA, 5 TRIMA, 6 KAMA,
    8 T3 with vfactor 0.7). Reference: TA-Lib ``MA`` (a period of 1 returns a copy of the input)."""
    if timeperiod == 1:
        return x.copy()
    if matype == MA_EMA:
        return ema_nb(x, timeperiod)
    if matype == MA_WMA:
        return wma_nb(x, timeperiod)
    if matype == MA_DEMA:
        return dema_nb(x, timeperiod)
    if matype == MA_TEMA:
        return tema_nb(x, timeperiod)
    if matype == MA_TRIMA:
        return trima_nb(x, timeperiod)
    if matype == MA_KAMA:
        return kama_nb(x, timeperiod)
    if matype == MA_T3:
        return t3_nb(x, timeperiod, 0.7)
    return sma_nb(x, timeperiod)
