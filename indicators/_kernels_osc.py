"""Numba kernels of momentum oscillators (numpy in, numpy out; no other import).

Inputs are float64 arrays with leading NaNs already stripped; outputs follow TA-Lib's NaN warm-up.
``*_into_nb`` kernels check their inputs as they read them and return True if all were finite
(see :mod:`._kernels`).
"""

import numpy as np
from numba import njit

from ._kernels import CONTRACT, nonfinite_bit, rsi_into_nb, zero_add
from ._kernels_ma import ema_stack_into_nb, ma_into_nb, ma_lookback_nb


@njit(cache=True, nogil=True, fastmath=CONTRACT)
def macd_into_nb(x, fastperiod, slowperiod, signalperiod, line, sig, hist):
    """MACD line, signal and histogram in one pass, written into the given arrays (length of x); True if
    every x is finite. Reference: TA-Lib ``MACD`` (the fast EMA is seeded with the SMA of the fast period
    ending at the slow EMA's first bar, slow-1; the signal EMA is seeded with the mean of the first
    signalperiod MACD values; all outputs start at (slow-1)+(signal-1)). The check is the slow EMA
    itself: every x goes into its seed or its recurrence, which keeps a NaN or inf non-finite to the end
    (see :func:`ema_into_nb`)."""
    n = x.shape[0]
    if slowperiod < fastperiod:
        fastperiod, slowperiod = slowperiod, fastperiod
    total = slowperiod - 1 + signalperiod - 1
    if n <= total:
        line[:] = np.nan
        sig[:] = np.nan
        hist[:] = np.nan
        return False
    line[:total] = np.nan
    sig[:total] = np.nan
    hist[:total] = np.nan
    kf = 2.0 / (fastperiod + 1.0)
    ks = 2.0 / (slowperiod + 1.0)
    kg = 2.0 / (signalperiod + 1.0)
    s = 0.0
    for i in range(slowperiod):
        s += x[i]
    s /= slowperiod
    f = 0.0
    for i in range(slowperiod - fastperiod, slowperiod):
        f += x[i]
    f /= fastperiod
    m = f - s
    g = m
    for i in range(slowperiod, total + 1):
        v = x[i]
        f = (v - f) * kf + f
        s = (v - s) * ks + s
        m = f - s
        g += m
    g /= signalperiod
    line[total] = m
    sig[total] = g
    hist[total] = m - g
    for i in range(total + 1, n):
        v = x[i]
        f = (v - f) * kf + f
        s = (v - s) * ks + s
        m = f - s
        g = (m - g) * kg + g
        line[i] = m
        sig[i] = g
        hist[i] = m - g
    return s - s == 0.0


@njit(cache=True, nogil=True)
def macd_nb(x, fastperiod, slowperiod, signalperiod):
    """MACD returning new arrays (see :func:`macd_into_nb`). Reference: TA-Lib ``MACD``."""
    n = x.shape[0]
    line = np.empty(n)
    sig = np.empty(n)
    hist = np.empty(n)
    macd_into_nb(x, fastperiod, slowperiod, signalperiod, line, sig, hist)
    return line, sig, hist


@njit(cache=True, nogil=True)
def _po_value(f, s, percent):
    if percent:
        return ((f - s) / s) * 100.0 if not (-1e-8 < s < 1e-8) else 0.0
    return f - s


@njit(cache=True, nogil=True, fastmath=CONTRACT)
def _po_ema_into(x, fastperiod, slowperiod, percent, out):
    """APO/PPO of two EMAs in one pass, each as :func:`ema_into_nb` computes it (bitwise the same)."""
    n = x.shape[0]
    lb = slowperiod - 1
    out[:lb] = np.nan
    kf = 2.0 / (fastperiod + 1.0)
    ks = 2.0 / (slowperiod + 1.0)
    chk = 0.0
    s = 0.0
    for i in range(fastperiod):
        v = x[i]
        chk += v * 0.0
        s += v
    f = s / fastperiod
    for i in range(fastperiod, slowperiod):
        v = x[i]
        chk += v * 0.0
        f = (v - f) * kf + f
        s += v
    s /= slowperiod
    out[lb] = _po_value(f, s, percent)
    for i in range(slowperiod, n):
        v = x[i]
        chk += v * 0.0
        f = (v - f) * kf + f
        s = (v - s) * ks + s
        out[i] = _po_value(f, s, percent)
    return chk == 0.0


@njit(cache=True, nogil=True)
def po_into_nb(x, fastperiod, slowperiod, matype, percent, out):
    """Price oscillator into *out*: fast MA minus slow MA (``percent``: divided by the slow MA, times
    100); True if every x is finite. Reference: TA-Lib ``APO`` / ``PPO`` (both MAs start at the first
    bar; 0 where the slow MA is ~0)."""
    n = x.shape[0]
    if slowperiod < fastperiod:
        fastperiod, slowperiod = slowperiod, fastperiod
    lb = ma_lookback_nb(slowperiod, matype)
    if n <= lb:
        out[:] = np.nan
        return False
    if matype == 1 and fastperiod > 1:
        return _po_ema_into(x, fastperiod, slowperiod, percent, out)
    slow = np.empty(n)
    ok = ma_into_nb(x, slowperiod, matype, slow)
    ma_into_nb(x, fastperiod, matype, out)
    out[:lb] = np.nan
    for i in range(lb, n):
        out[i] = _po_value(out[i], slow[i], percent)
    return ok


@njit(cache=True, nogil=True, fastmath=CONTRACT)
def cmo_into_nb(x, timeperiod, out):
    """Chande momentum oscillator into *out*; True if every x is finite. Reference: TA-Lib ``CMO``
    (Wilder-smoothed gains/losses as in RSI, 100*(gain-loss)/(gain+loss), 0 when there was no movement;
    output from index timeperiod). The smoothing is prev*(p-1)/p + new/p, as in :func:`rsi_into_nb`."""
    n = x.shape[0]
    p = timeperiod
    if p < 2 or n <= p:
        out[:] = np.nan
        return False
    out[:p] = np.nan
    chk = x[0] * 0.0
    gain = 0.0
    loss = 0.0
    for i in range(1, p + 1):
        v = x[i]
        chk += v * 0.0
        d = v - x[i - 1]
        if d < 0:
            loss -= d
        else:
            gain += d
    gain /= p
    loss /= p
    s = gain + loss
    out[p] = 100.0 * ((gain - loss) / s) if not (-1e-8 < s < 1e-8) else 0.0
    a = (p - 1.0) / p
    b = 1.0 / p
    for i in range(p + 1, n):
        v = x[i]
        chk += v * 0.0
        d = v - x[i - 1]
        gain = gain * a + (d * b if d > 0 else 0.0)
        loss = loss * a - (d * b if d < 0 else 0.0)
        s = gain + loss
        out[i] = 100.0 * ((gain - loss) / s) if not (-1e-8 < s < 1e-8) else 0.0
    return chk == 0.0


@njit(cache=True, nogil=True)
def _diff_into(x, p, ratio, out):
    """MOM (x - x[-p]) or ROC ((x/x[-p] - 1)*100, 0 where x[-p] is 0) into *out*, over contiguous views
    that the compiler vectorises. ROC's finite check is an OR of :func:`nonfinite_bit` over x (a vector
    reduction; its output hides an infinite x[-p]); MOM's is :func:`zero_add` over its differences, each
    non-finite where either operand is (n > p, so every x enters one), at the speed of the plain
    subtraction (the OR cost 0.24 against 0.15 ms on 1M bars)."""
    n = x.shape[0]
    if n <= p:
        out[:] = np.nan
        return False
    out[:p] = np.nan
    cur = x[p:]
    old = x[:n - p]
    o = out[p:]
    if not ratio:
        chk = 0.0
        for k in range(n - p):
            d = cur[k] - old[k]  # non-finite if either is: every x is a cur or an old of some row
            chk = zero_add(chk, d)
            o[k] = d
        return chk == 0.0
    bits = x.view(np.int64)
    acc = np.int64(0)
    for i in range(p):
        acc |= nonfinite_bit(bits[i])
    cb = bits[p:]
    for k in range(n - p):
        v = cur[k]
        prev = old[k]
        acc |= nonfinite_bit(cb[k])
        o[k] = ((v / prev) - 1.0) * 100.0 if prev != 0.0 else 0.0
    return acc >= 0


@njit(cache=True, nogil=True)
def roc_into_nb(x, timeperiod, out):
    """Rate of change in percent, (x/x[-p] - 1)*100, into *out*; True if every x is finite.
    Reference: TA-Lib ``ROC`` (0 when x[-p] is 0)."""
    return _diff_into(x, timeperiod, True, out)


@njit(cache=True, nogil=True)
def mom_into_nb(x, timeperiod, out):
    """Momentum, x - x[-p], into *out*; True if every x is finite. Reference: TA-Lib ``MOM``."""
    return _diff_into(x, timeperiod, False, out)


@njit(cache=True, nogil=True)
def trix_nb(x, timeperiod):
    """One-bar ROC of a triple EMA. Reference: TA-Lib ``TRIX`` (lookback 3*(timeperiod-1)+1)."""
    out = np.empty(x.shape[0])
    ema_stack_into_nb(x, timeperiod, 2, out)
    return out


@njit(cache=True, nogil=True, inline="always")
def track_max_nb(x, today, trailing, idx, best):
    """``(index, value)`` of the latest highest x over [trailing, today], from the previous bar's pair
    (rescanning the window only when the previous highest left it)."""
    if idx < trailing:
        idx = trailing
        best = x[trailing]
        for i in range(trailing + 1, today + 1):
            w = x[i]
            if w >= best:
                idx = i
                best = w
    else:
        w = x[today]
        if w >= best:
            idx = today
            best = w
    return idx, best


@njit(cache=True, nogil=True, inline="always")
def track_min_nb(x, today, trailing, idx, best):
    """``(index, value)`` of the latest lowest x over [trailing, today] (see :func:`track_max_nb`)."""
    if idx < trailing:
        idx = trailing
        best = x[trailing]
        for i in range(trailing + 1, today + 1):
            w = x[i]
            if w <= best:
                idx = i
                best = w
    else:
        w = x[today]
        if w <= best:
            idx = today
            best = w
    return idx, best


@njit(cache=True, nogil=True)
def track_extreme_nb(x, today, window, best_idx, best, is_max):
    """One step of TA-Lib's highest/lowest tracking: ``(index, value)`` of the latest highest
    (``is_max``) or lowest x over the *window* bars ending at *today*, from the previous step's pair
    (rescanning the window only when the previous extreme left it)."""
    if is_max:
        return track_max_nb(x, today, today - window + 1, best_idx, best)
    return track_min_nb(x, today, today - window + 1, best_idx, best)


@njit(cache=True, nogil=True)
def extreme_index_nb(x, window, is_max):
    """Index of the latest highest (``is_max``) or lowest value of x over the trailing *window* bars, -1
    during warm-up. Reference: TA-Lib's ``MAXINDEX``/``MININDEX`` tracking as used in ``AROON``."""
    n = x.shape[0]
    out = np.full(n, -1, dtype=np.int64)
    best_idx = -1
    best = 0.0
    for today in range(window - 1, n):
        best_idx, best = track_extreme_nb(x, today, window, best_idx, best, is_max)
        out[today] = best_idx
    return out


HL_CHUNK = 2048  # output bars per call of rolling_hl_nb (its work rows stay in L1/L2)
HL_DOUBLING_MAX = 64  # windows up to this many bars by doubling (log2(w) passes), longer by van Herk


@njit(cache=True, nogil=True)
def hl_work(w):
    """Work rows of :func:`rolling_hl_nb` for a window of *w* bars (rows 4 and 5 receive the extremes)."""
    return np.empty((6, HL_CHUNK + w - 1))


@njit(cache=True, nogil=True, inline="always")
def _max_min_into(h1, h0, l1, l0, dh, dl):
    """``dh[k] = max(h1[k], h0[k])``, ``dl[k] = min(l1[k], l0[k])`` over ``len(dh)`` (contiguous views
    indexed from 0, so that the loop vectorises)."""
    for k in range(dh.shape[0]):
        u = h1[k]
        v = h0[k]
        dh[k] = u if u > v else v
        u = l1[k]
        v = l0[k]
        dl[k] = u if u < v else v


@njit(cache=True, nogil=True, inline="always")
def _hl_step(src_h, src_l, s, m, dst_h, dst_l):
    """``dst[j] = max(src[j], src[j - s])`` for high, ``min`` for low, j in [s, m)."""
    _max_min_into(src_h[s:m], src_h[0:m - s], src_l[s:m], src_l[0:m - s], dst_h[s:m], dst_l[s:m])


@njit(cache=True, nogil=True)
def rolling_hl_nb(high, low, w, b, e, work):
    """Highest high and lowest low of the *w* bars ending at each bar of [b, e) into ``work[4][k]`` /
    ``work[5][k]`` for bar b+k (needs b >= w-1, e - b <= ``HL_CHUNK``; *work* from :func:`hl_work`).

    Windows up to ``HL_DOUBLING_MAX`` bars by doubling: extremes of 2, 4, 8, ... bars, each pass an
    elementwise max/min of a row and its shift that the compiler vectorises, and the window as two
    overlapping power-of-two spans (floor(log2 w) + 1 passes); longer windows by van Herk / Gil-Werman
    (blocks of w bars, their suffix and prefix extremes: three comparisons a bar whatever w). Either way
    the extremes are values of the window, so they equal a rescan's exactly."""
    lb = w - 1
    base = b - lb
    m = e - base
    hs = high[base:e]
    ls = low[base:e]
    hh = work[4]
    ll = work[5]
    if w == 1:
        for k in range(m):
            hh[k] = hs[k]
            ll[k] = ls[k]
        return
    if w <= HL_DOUBLING_MAX:
        a = work[0]
        c = work[1]
        a2 = work[2]
        c2 = work[3]
        _hl_step(hs, ls, 1, m, a, c)
        s = 2
        while 2 * s <= w:
            _hl_step(a, c, s, m, a2, c2)
            a, a2 = a2, a
            c, c2 = c2, c
            s *= 2
        r = w - s  # the window ending at j: spans [j - s + 1, j] and [j - r - s + 1, j - r], 0 <= r < s
        _max_min_into(a[lb:m], a[lb - r:m - r], c[lb:m], c[lb - r:m - r], hh[0:m - lb], ll[0:m - lb])
        return
    sh = work[0]  # suffix extremes of blocks of w bars aligned at base
    sl = work[1]
    ph = work[2]  # prefix extremes
    pl = work[3]
    for t in range(0, m, w):
        te = min(t + w, m)
        u = hs[te - 1]
        v = ls[te - 1]
        sh[te - 1] = u
        sl[te - 1] = v
        for j in range(te - 2, t - 1, -1):
            x = hs[j]
            u = x if x > u else u
            sh[j] = u
            x = ls[j]
            v = x if x < v else v
            sl[j] = v
        u = hs[t]
        v = ls[t]
        for j in range(t, te):
            x = hs[j]
            u = x if x > u else u
            ph[j] = u
            x = ls[j]
            v = x if x < v else v
            pl[j] = v
    # the window [j - lb, j] is the suffix of its first bar's block and the prefix of its last bar's
    # (the whole block when j - lb starts one: then both are that block's extreme)
    _max_min_into(sh[0:m - lb], ph[lb:m], sl[0:m - lb], pl[lb:m], hh[0:m - lb], ll[0:m - lb])


@njit(cache=True, nogil=True, inline="always")
def _idx_step(src, src_i, s, m, is_max, dst, dst_i):
    """``dst[j]`` the max (``is_max``) or min of ``src[j]`` and ``src[j - s]``, ``dst_i[j]`` its index
    (the later, ``src_i[j]``, on a tie), j in [s, m). One input per loop: two arrays written, two read,
    few enough for the compiler's runtime alias checks, so the loop vectorises; the index is picked
    arithmetically (``i0 + (i1 - i0) * t``, exact on integers), as a select of two loads would become a
    load through a selected pointer, which does not vectorise."""
    v1 = src[s:m]
    v0 = src[0:m - s]
    i1 = src_i[s:m]
    i0 = src_i[0:m - s]
    d = dst[s:m]
    di = dst_i[s:m]
    if is_max:  # two loops rather than a test inside one
        for k in range(m - s):
            u = v1[k]
            v = v0[k]
            c = i0[k]
            d[k] = u if u >= v else v
            di[k] = c + (i1[k] - c) * (1.0 if u >= v else 0.0)
    else:
        for k in range(m - s):
            u = v1[k]
            v = v0[k]
            c = i0[k]
            d[k] = u if u <= v else v
            di[k] = c + (i1[k] - c) * (1.0 if u <= v else 0.0)


@njit(cache=True, nogil=True)
def _rolling_index(x, w, b, e, is_max, pos, v, iv, v2, iv2, out):
    """Index of the latest max (``is_max``) or min of the *w* bars ending at each bar of [b, e) into
    ``out[k]`` (see :func:`rolling_hl_index_nb`; *pos* holds the segment's bar indices)."""
    lb = w - 1
    m = e - (b - lb)
    _idx_step(x[b - lb:e], pos, 1, m, is_max, v, iv)
    s = 2
    while 2 * s <= w:
        _idx_step(v, iv, s, m, is_max, v2, iv2)
        v, v2 = v2, v
        iv, iv2 = iv2, iv
        s *= 2
    r = w - s  # the two overlapping spans of :func:`rolling_hl_nb`; the later wins ties
    u1 = v[lb:m]
    u0 = v[lb - r:m - r]
    j1 = iv[lb:m]
    j0 = iv[lb - r:m - r]
    if is_max:
        for k in range(m - lb):
            c = j0[k]
            out[k] = c + (j1[k] - c) * (1.0 if u1[k] >= u0[k] else 0.0)
    else:
        for k in range(m - lb):
            c = j0[k]
            out[k] = c + (j1[k] - c) * (1.0 if u1[k] <= u0[k] else 0.0)


@njit(cache=True, nogil=True)
def hl_index_work(w):
    """Work rows of :func:`rolling_hl_index_nb` (rows 9 and 10 receive the indices)."""
    return np.empty((11, HL_CHUNK + w - 1))


@njit(cache=True, nogil=True)
def rolling_hl_index_nb(high, low, w, b, e, work):
    """Index (as a float) of the latest highest high and of the latest lowest low of the *w* bars ending
    at each bar of [b, e) into ``work[9][k]`` / ``work[10][k]`` for bar b+k (needs 2 <= w <=
    ``HL_DOUBLING_MAX``, b >= w-1, e - b <= ``HL_CHUNK``; *work* from :func:`hl_index_work`): the
    doubling of :func:`rolling_hl_nb` with each extreme's index carried along, the later one winning
    ties, so the index is the one TA-Lib's tracking of the latest extreme finds (``AROON``)."""
    base = b - w + 1
    pos = work[0]
    for j in range(e - base):
        pos[j] = base + j
    _rolling_index(high, w, b, e, True, pos, work[1], work[2], work[3], work[4], work[9])
    _rolling_index(low, w, b, e, False, pos, work[5], work[6], work[7], work[8], work[10])


_FLAT_RANGE = 2e-14  # a window whose range is below this fraction of its extremes is flat (TA-Lib 0.6+)


@njit(cache=True, nogil=True)
def raw_k_nb(close, highest, lowest):
    """One raw %K value, ``(close - lowest) / ((highest - lowest) / 100)``, and 0 on a *flat* window: a
    range below ``2e-14`` of the larger extreme's magnitude, i.e. a few ulps of rounding (what the TA-Lib
    0.6+ C library does; a flat RSI under ``STOCHRSI`` is the case that matters, where the RSI's own
    rounding would otherwise give an arbitrary value between 0 and 100)."""
    span = highest - lowest
    d = span / 100.0
    # a select, not a branch (so that the loops calling it vectorise); d == 0 (a subnormal range, a
    # window of subnormal extremes) is 0 rather than a ZeroDivisionError
    return 0.0 if (span <= _FLAT_RANGE * max(abs(highest), abs(lowest)) or d == 0.0) else (close - lowest) / d


@njit(cache=True, nogil=True)
def _head_check(high, low, close, lb):
    """The finite-check sum (0 when finite) of the first *lb* bars, which no output row reads alone."""
    chk = 0.0
    for i in range(lb):
        chk += (high[i] + low[i] + close[i]) * 0.0
    return chk


@njit(cache=True, nogil=True)
def fastk_into_nb(high, low, close, fastk_period, out):
    """Raw stochastic %K into *out* (NaN before index fastk_period-1); True if every input is finite.
    Reference: TA-Lib ``STOCHF`` fast-K (0 on a flat window, see :func:`raw_k_nb`; the window extremes
    by :func:`rolling_hl_nb`)."""
    n = close.shape[0]
    w = fastk_period
    lb = w - 1
    if n <= lb:
        out[:] = np.nan
        return False
    work = hl_work(w)
    hh = work[4]
    ll = work[5]
    acc = np.zeros(HL_CHUNK)  # the finite check per lane (a single accumulator would serialise the loop)
    for b in range(lb, n, HL_CHUNK):
        e = min(b + HL_CHUNK, n)
        rolling_hl_nb(high, low, w, b, e, work)
        hs = high[b:e]
        ls = low[b:e]
        cs = close[b:e]
        o = out[b:e]
        for k in range(e - b):
            c = cs[k]
            acc[k] += (hs[k] + ls[k] + c) * 0.0
            o[k] = raw_k_nb(c, hh[k], ll[k])
    out[:lb] = np.nan
    return _head_check(high, low, close, lb) + acc.sum() == 0.0


@njit(cache=True, nogil=True)
def _stoch_sma_into(high, low, close, fastk_period, a, b, slowk, slowd):
    """Fused STOCH for SMA/SMA smoothing: fast %K chunk by chunk (window extremes by
    :func:`rolling_hl_nb`), then two running-sum SMAs kept in ring buffers with the same operation
    order as :func:`sma_into_nb` (so the values are identical)."""
    n = close.shape[0]
    w = fastk_period
    lb_k = w - 1
    total_lb = lb_k + a - 1 + b - 1
    work = hl_work(w)
    hh = work[4]
    ll = work[5]
    acc = np.zeros(HL_CHUNK)
    fks = np.empty(HL_CHUNK)
    ring_k = np.zeros(a)
    ring_d = np.zeros(b)
    tk = 0.0
    td = 0.0
    sk_slot = 0  # ring_k slot of the current fast %K
    sd_slot = 0  # ring_d slot of the current slow %K
    for blk in range(lb_k, n, HL_CHUNK):
        e = min(blk + HL_CHUNK, n)
        rolling_hl_nb(high, low, w, blk, e, work)
        hs = high[blk:e]
        ls = low[blk:e]
        cs = close[blk:e]
        for kk in range(e - blk):  # fast %K of the chunk (vectorised), then the two SMAs (serial)
            c = cs[kk]
            acc[kk] += (hs[kk] + ls[kk] + c) * 0.0
            fks[kk] = raw_k_nb(c, hh[kk], ll[kk])
        for kk in range(e - blk):
            today = blk + kk
            fk = fks[kk]
            j = today - lb_k
            ring_k[sk_slot] = fk
            tk += fk
            sk_slot = sk_slot + 1 if sk_slot + 1 < a else 0
            if j < a - 1:
                continue
            sk = tk / a
            tk -= ring_k[sk_slot]  # the oldest fast %K of the window (its slot is written next)
            ring_d[sd_slot] = sk
            td += sk
            sd_slot = sd_slot + 1 if sd_slot + 1 < b else 0
            if j - (a - 1) < b - 1:
                continue
            sd = td / b
            td -= ring_d[sd_slot]
            slowk[today] = sk
            slowd[today] = sd
    slowk[:total_lb] = np.nan
    slowd[:total_lb] = np.nan
    return _head_check(high, low, close, lb_k) + acc.sum() == 0.0


@njit(cache=True, nogil=True)
def stoch_into_nb(high, low, close, fastk_period, slowk_period, slowk_matype, slowd_period, slowd_matype,
                  slowk, slowd):
    """Slow stochastic written into slowk/slowd (slow %K = MA of fast %K, slow %D = MA of slow %K); True
    if every input is finite. Reference: TA-Lib ``STOCH``."""
    n = close.shape[0]
    lb_k = fastk_period - 1
    lb_ks = ma_lookback_nb(slowk_period, slowk_matype)
    total = lb_k + lb_ks + ma_lookback_nb(slowd_period, slowd_matype)
    if n <= total:
        slowk[:] = np.nan
        slowd[:] = np.nan
        return False
    if slowk_matype == 0 and slowd_matype == 0 and slowk_period > 1 and slowd_period > 1:
        return _stoch_sma_into(high, low, close, fastk_period, slowk_period, slowd_period, slowk, slowd)
    ok = fastk_into_nb(high, low, close, fastk_period, slowk)
    sk = np.empty(n - lb_k)
    ma_into_nb(slowk[lb_k:], slowk_period, slowk_matype, sk)
    ma_into_nb(sk[lb_ks:], slowd_period, slowd_matype, slowd[lb_k + lb_ks:])
    slowk[lb_k:] = sk
    slowk[:total] = np.nan
    slowd[:total] = np.nan
    return ok


@njit(cache=True, nogil=True)
def stoch_nb(high, low, close, fastk_period, slowk_period, slowk_matype, slowd_period, slowd_matype):
    """Slow stochastic returning new arrays (see :func:`stoch_into_nb`). Reference: TA-Lib ``STOCH``."""
    n = close.shape[0]
    slowk = np.empty(n)
    slowd = np.empty(n)
    stoch_into_nb(high, low, close, fastk_period, slowk_period, slowk_matype, slowd_period, slowd_matype,
                  slowk, slowd)
    return slowk, slowd


@njit(cache=True, nogil=True)
def _sma_tail_into(x, start, p, out):
    """Running-sum SMA (:func:`sma_into_nb`'s order) of x[start:] written into out[start + p - 1:]."""
    total = 0.0
    for i in range(start, start + p - 1):
        total += x[i]
    for i in range(start + p - 1, x.shape[0]):
        total += x[i]
        out[i] = total / p
        total -= x[i - p + 1]


@njit(cache=True, nogil=True)
def stochf_into_nb(high, low, close, fastk_period, fastd_period, fastd_matype, fastk, fastd):
    """Fast stochastic (%K and its MA %D) into fastk/fastd; True if every input is finite. Reference:
    TA-Lib ``STOCHF``."""
    n = close.shape[0]
    lb_k = fastk_period - 1
    total = lb_k + ma_lookback_nb(fastd_period, fastd_matype)
    if n <= total:
        fastk[:] = np.nan
        fastd[:] = np.nan
        return False
    ok = fastk_into_nb(high, low, close, fastk_period, fastk)
    if fastd_matype == 0 and fastd_period > 1:
        _sma_tail_into(fastk, lb_k, fastd_period, fastd)
    else:
        ma_into_nb(fastk[lb_k:], fastd_period, fastd_matype, fastd[lb_k:])
    fastk[:total] = np.nan
    fastd[:total] = np.nan
    return ok


@njit(cache=True, nogil=True)
def stochf_nb(high, low, close, fastk_period, fastd_period, fastd_matype):
    """Allocating form of :func:`stochf_into_nb`."""
    n = close.shape[0]
    fastk = np.empty(n)
    fastd = np.empty(n)
    stochf_into_nb(high, low, close, fastk_period, fastd_period, fastd_matype, fastk, fastd)
    return fastk, fastd


@njit(cache=True, nogil=True)
def stochrsi_into_nb(x, timeperiod, fastk_period, fastd_period, fastd_matype, fastk, fastd):
    """Stochastic of the RSI into fastk/fastd; True if every x is finite. Reference: TA-Lib ``STOCHRSI``
    (``STOCHF`` over ``RSI`` as high, low, close)."""
    n = x.shape[0]
    r = np.empty(n)
    ok = rsi_into_nb(x, timeperiod, r)
    if n <= timeperiod:
        fastk[:] = np.nan
        fastd[:] = np.nan
        return False
    fastk[:timeperiod] = np.nan
    fastd[:timeperiod] = np.nan
    tail = r[timeperiod:]
    stochf_into_nb(tail, tail, tail, fastk_period, fastd_period, fastd_matype, fastk[timeperiod:],
                   fastd[timeperiod:])
    return ok


@njit(cache=True, nogil=True)
def willr_into_nb(high, low, close, timeperiod, out):
    """Williams' %R into *out*, the window extremes by :func:`rolling_hl_nb`; True if every input is
    finite. Reference: TA-Lib ``WILLR`` ((highest - close)/((highest - lowest)/-100), 0 on a flat
    range; output from index timeperiod-1), here with one division a bar: -100*(highest - close) /
    (highest - lowest)."""
    n = close.shape[0]
    w = timeperiod
    lb = w - 1
    if n <= lb:
        out[:] = np.nan
        return False
    work = hl_work(w)
    hh = work[4]
    ll = work[5]
    chk = 0.0
    for b in range(lb, n, HL_CHUNK):
        e = min(b + HL_CHUNK, n)
        rolling_hl_nb(high, low, w, b, e, work)
        hs = high[b:e]
        ls = low[b:e]
        cs = close[b:e]
        o = out[b:e]
        for k in range(e - b):
            c = cs[k]
            highest = hh[k]
            chk = zero_add(chk, hs[k] + ls[k] + c)
            rng = highest - ll[k]
            o[k] = ((highest - c) * -100.0) / rng if rng != 0.0 else 0.0
    out[:lb] = np.nan
    return _head_check(high, low, close, lb) + chk == 0.0


_CCI_BLOCK = 1024  # bars per block of CCI (its rows stay in L1)


@njit(cache=True, nogil=True)
def cci_into_nb(high, low, close, timeperiod, out):
    """Commodity channel index; True if every input is finite. Reference: TA-Lib ``CCI`` (typical price,
    its mean and mean deviation over the window, constant 0.015; 0 when either deviation is 0).

    Block by block, vectorised across the bars of a block: the window sums as p passes adding the
    typical price j bars back to every bar's sum (so each window is summed oldest first, where TA-Lib
    sums in its circular buffer's order: a few ulps apart), then the absolute deviations the same way."""
    n = close.shape[0]
    p = timeperiod
    if n < p:
        out[:] = np.nan
        return False
    out[:p - 1] = np.nan
    m = _CCI_BLOCK
    tp = np.empty(m + p - 1)  # row q: the typical price of bar (block start - p + 1 + q)
    avg = np.empty(m)
    dev = np.empty(m)
    hb = high.view(np.int64)
    lb = low.view(np.int64)
    cb = close.view(np.int64)
    bad = np.int64(0)
    for b in range(p - 1, n, m):
        e = min(b + m, n)
        w = e - b
        base = b - p + 1
        hs = high[base:e]
        ls = low[base:e]
        cs = close[base:e]
        hbs = hb[base:e]
        lbs = lb[base:e]
        cbs = cb[base:e]
        for q in range(w + p - 1):
            bad |= nonfinite_bit(hbs[q]) | nonfinite_bit(lbs[q]) | nonfinite_bit(cbs[q])
            tp[q] = (hs[q] + ls[q] + cs[q]) / 3.0
        av = avg[:w]
        dv = dev[:w]
        t0 = tp[0:w]
        for k in range(w):
            av[k] = t0[k]
        for j in range(1, p):
            tj = tp[j:j + w]
            for k in range(w):
                av[k] += tj[k]
        for k in range(w):
            av[k] /= p
        for k in range(w):
            dv[k] = abs(t0[k] - av[k])
        for j in range(1, p):
            tj = tp[j:j + w]
            for k in range(w):
                dv[k] += abs(tj[k] - av[k])
        last = tp[p - 1:p - 1 + w]
        o = out[b:e]
        for k in range(w):
            d = last[k] - av[k]
            x = dv[k]
            o[k] = d / (0.015 * (x / p)) if (d != 0.0 and x != 0.0) else 0.0
    return bad >= 0


@njit(cache=True, nogil=True)
def cci_nb(high, low, close, timeperiod):
    """Allocating form of :func:`cci_into_nb`."""
    out = np.empty(high.shape[0])
    cci_into_nb(high, low, close, timeperiod, out)
    return out


@njit(cache=True, nogil=True)
def _aroon_into(high, low, p, down, up, osc):
    """Aroon over p+1 bars: down and up (``osc`` False) or up - down into *up* (``osc`` True); the
    extremes' indices by :func:`rolling_hl_index_nb` chunk by chunk where p+1 <= ``HL_DOUBLING_MAX``,
    else by TA-Lib's tracking (:func:`track_max_nb`)."""
    n = high.shape[0]
    if n <= p:
        up[:] = np.nan
        if not osc:
            down[:] = np.nan
        return False
    up[:p] = np.nan
    if not osc:
        down[:p] = np.nan
    chk = 0.0
    for i in range(p):
        chk += (high[i] + low[i]) * 0.0
    factor = 100.0 / p
    if p + 1 <= HL_DOUBLING_MAX:
        work = hl_index_work(p + 1)
        ih = work[9]
        il = work[10]
        acc = np.zeros(HL_CHUNK)
        for b in range(p, n, HL_CHUNK):
            e = min(b + HL_CHUNK, n)
            rolling_hl_index_nb(high, low, p + 1, b, e, work)
            hs = high[b:e]
            ls = low[b:e]
            u = up[b:e]
            d = down[b:e]
            for k in range(e - b):
                acc[k] += (hs[k] + ls[k]) * 0.0
                if osc:
                    u[k] = factor * (ih[k] - il[k])
                else:
                    today = b + k
                    u[k] = factor * (p - (today - ih[k]))
                    d[k] = factor * (p - (today - il[k]))
        return chk + acc.sum() == 0.0
    hi_idx = -1
    lo_idx = -1
    highest = 0.0
    lowest = 0.0
    for i in range(p, n):
        chk += (high[i] + low[i]) * 0.0
        hi_idx, highest = track_max_nb(high, i, i - p, hi_idx, highest)
        lo_idx, lowest = track_min_nb(low, i, i - p, lo_idx, lowest)
        if osc:
            up[i] = factor * (hi_idx - lo_idx)
        else:
            up[i] = factor * (p - (i - hi_idx))
            down[i] = factor * (p - (i - lo_idx))
    return chk == 0.0


@njit(cache=True, nogil=True)
def aroon_into_nb(high, low, timeperiod, down, up):
    """Aroon down and up over timeperiod+1 bars; True if every input is finite. Reference: TA-Lib
    ``AROON`` (latest extreme wins ties, 100/p * (p - bars since extreme); output from index
    timeperiod)."""
    return _aroon_into(high, low, timeperiod, down, up, False)


@njit(cache=True, nogil=True)
def aroonosc_into_nb(high, low, timeperiod, out):
    """Aroon oscillator, up minus down; True if every input is finite. Reference: TA-Lib ``AROONOSC``
    (100/p * (highIdx - lowIdx))."""
    return _aroon_into(high, low, timeperiod, out, out, True)


@njit(cache=True, nogil=True)
def _ultosc_terms(high, low, close, i):
    """(close - true low, true range) of bar *i* (needs bar i-1)."""
    cy = close[i - 1]
    lo = low[i]
    hi = high[i]
    true_low = lo if lo < cy else cy
    tr = hi - lo
    d = abs(cy - hi)
    if d > tr:
        tr = d
    d = abs(cy - lo)
    if d > tr:
        tr = d
    return close[i] - true_low, tr


_ULT_BLOCK = 1024  # bars per block of ULTOSC: sums serially, then the divisions vectorised


@njit(cache=True, nogil=True)
def _ultosc_block_terms(high, low, close, b, e, ta, tb):
    """(close - true low, true range) of bars [b, e) into ta[k]/tb[k] for bar b+k, as
    :func:`_ultosc_terms` computes them, in a loop the compiler vectorises; returns the OR of
    :func:`nonfinite_bit` over the bars' inputs (negative iff one is NaN or inf)."""
    hs = high[b:e]
    ls = low[b:e]
    cs = close[b:e]
    ps = close[b - 1:e - 1]
    hb = hs.view(np.int64)
    lb = ls.view(np.int64)
    cb = cs.view(np.int64)
    bad = np.int64(0)
    for k in range(e - b):
        hi = hs[k]
        lo = ls[k]
        cy = ps[k]
        bad |= nonfinite_bit(hb[k]) | nonfinite_bit(lb[k]) | nonfinite_bit(cb[k])
        true_low = lo if lo < cy else cy
        tr = hi - lo
        d = abs(cy - hi)
        tr = d if d > tr else tr
        d = abs(cy - lo)
        tr = d if d > tr else tr
        ta[k] = cs[k] - true_low
        tb[k] = tr
    return bad


@njit(cache=True, nogil=True, error_model="numpy")
def _ultosc_values(a1, b1, a2, b2, a3, b3, o):
    """ULTOSC of a block from its sums: 100 * (4*a1/b1 + 2*a2/b2 + a3/b3) / 7, each term 0 where its
    b is ~0 (selects adding 0.0 to a sum that is never -0.0, so the value is the if/else one's); a
    loop the compiler vectorises (numpy's error model: no zero-division branch, the divisors are not
    ~0 where their quotient is used)."""
    for k in range(o.shape[0]):
        x1 = b1[k]
        x2 = b2[k]
        x3 = b3[k]
        value = 0.0 + (4.0 * (a1[k] / x1) if not (-1e-8 < x1 < 1e-8) else 0.0)
        value += 2.0 * (a2[k] / x2) if not (-1e-8 < x2 < 1e-8) else 0.0
        value += a3[k] / x3 if not (-1e-8 < x3 < 1e-8) else 0.0
        o[k] = 100.0 * (value / 7.0)


@njit(cache=True, nogil=True)
def ultosc_into_nb(high, low, close, p1, p2, p3, out):
    """Ultimate oscillator with periods p1 <= p2 <= p3 (weights 4, 2, 1) into *out*; True if every input
    is finite. Reference: TA-Lib ``ULTOSC`` (running sums; output from index p3). Each bar's terms are
    computed once (the same values TA-Lib recomputes for its trailing subtractions), so the sums are
    TA-Lib's. Block by block: the terms and the finite check vectorised (:func:`_ultosc_block_terms`)
    into rows that keep the previous p3 bars in front, the six running sums serially, the divisions
    vectorised (:func:`_ultosc_values`)."""
    n = close.shape[0]
    if n <= p3:
        out[:] = np.nan
        return False
    out[:p3] = np.nan
    m = _ULT_BLOCK
    ta = np.empty(p3 + m)  # row q: the terms of bar (block start - p3 + q)
    tb = np.empty(p3 + m)
    chk = high[0] + low[0] + close[0]
    a1 = a2 = a3 = b1 = b2 = b3 = 0.0
    for i in range(1, p3):
        chk += high[i] + low[i] + close[i]
        cm, tr = _ultosc_terms(high, low, close, i)
        ta[i] = cm
        tb[i] = tr
    for i in range(p3 - p1 + 1, p3):
        a1 += ta[i]
        b1 += tb[i]
    for i in range(p3 - p2 + 1, p3):
        a2 += ta[i]
        b2 += tb[i]
    for i in range(1, p3):
        a3 += ta[i]
        b3 += tb[i]
    sums = np.empty((6, m))  # the six sums of each bar of a block, for the vectorised divisions
    bad = np.int64(0)
    d1 = p3 - p1 + 1  # row offsets of the bars leaving the windows (today - p + 1) from today's row - p3
    d2 = p3 - p2 + 1
    for b in range(p3, n, m):
        e = min(b + m, n)
        bad |= _ultosc_block_terms(high, low, close, b, e, ta[p3:], tb[p3:])
        for j in range(e - b):
            cm = ta[p3 + j]
            tr = tb[p3 + j]
            a1 += cm
            a2 += cm
            a3 += cm
            b1 += tr
            b2 += tr
            b3 += tr
            sums[0, j] = a1
            sums[1, j] = b1
            sums[2, j] = a2
            sums[3, j] = b2
            sums[4, j] = a3
            sums[5, j] = b3
            a1 -= ta[d1 + j]
            b1 -= tb[d1 + j]
            a2 -= ta[d2 + j]
            b2 -= tb[d2 + j]
            a3 -= ta[1 + j]
            b3 -= tb[1 + j]
        _ultosc_values(sums[0], sums[1], sums[2], sums[3], sums[4], sums[5], out[b:e])
        if e - b == m:  # the last p3 bars' terms to the front, for the next block's subtractions
            ta[:p3] = ta[m:]
            tb[:p3] = tb[m:]
    return chk - chk == 0.0 and bad >= 0


@njit(cache=True, nogil=True, error_model="numpy")
def bop_into_nb(open_, high, low, close, out):
    """Balance of power, (close - open)/(high - low), into *out*; True if every input is finite (one
    vectorised loop, the check an OR of :func:`nonfinite_bit` as in :func:`_diff_into`; numpy's error
    model, so no zero-division branch: the range divided by is never 0, >= 1e-8 or NaN).

    Reference: TA-Lib ``BOP`` (0 when the range is < 1e-8)."""
    n = close.shape[0]
    if n == 0:
        return False
    ob = open_.view(np.int64)
    hb = high.view(np.int64)
    lb = low.view(np.int64)
    cb = close.view(np.int64)
    acc = np.int64(0)
    for k in range(n):
        op = open_[k]
        h = high[k]
        lo = low[k]
        c = close[k]
        acc |= nonfinite_bit(ob[k]) | nonfinite_bit(hb[k]) | nonfinite_bit(lb[k]) | nonfinite_bit(cb[k])
        r = h - lo
        out[k] = (c - op) / r if not r < 1e-8 else 0.0
    return acc >= 0
