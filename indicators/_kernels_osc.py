"""Numba kernels of momentum oscillators (numpy in, numpy out; no other import).

Inputs are float64 arrays with leading NaNs already stripped; outputs follow TA-Lib's NaN warm-up.
"""

import numpy as np
from numba import njit

from ._kernels import rsi_nb
from ._kernels_ma import chain_nb, ema_stack_into_nb, ma_lookback_nb, ma_nb, pad_nb


@njit(cache=True, nogil=True)
def macd_into_nb(x, fastperiod, slowperiod, signalperiod, line, sig, hist):
    """MACD line, signal and histogram in one pass, written into the given arrays (length of x).
    Reference: TA-Lib ``MACD`` (the fast EMA is seeded with the SMA of the fast period ending at the
    slow EMA's first bar, slow-1; the signal EMA is seeded with the mean of the first signalperiod MACD
    values; all outputs start at (slow-1)+(signal-1))."""
    n = x.shape[0]
    if slowperiod < fastperiod:
        fastperiod, slowperiod = slowperiod, fastperiod
    total = slowperiod - 1 + signalperiod - 1
    head = min(n, total)
    line[:head] = np.nan
    sig[:head] = np.nan
    hist[:head] = np.nan
    if n <= total:
        return
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
def po_nb(x, fastperiod, slowperiod, matype, percent):
    """Price oscillator: fast MA minus slow MA (``percent``: divided by the slow MA, times 100).
    Reference: TA-Lib ``APO`` / ``PPO`` (both MAs start at the first bar; 0 where the slow MA is ~0)."""
    n = x.shape[0]
    if slowperiod < fastperiod:
        fastperiod, slowperiod = slowperiod, fastperiod
    out = np.full(n, np.nan)
    lb = ma_lookback_nb(slowperiod, matype)
    if n <= lb:
        return out
    fast = ma_nb(x, fastperiod, matype)
    slow = ma_nb(x, slowperiod, matype)
    for i in range(lb, n):
        if percent:
            s = slow[i]
            out[i] = ((fast[i] - s) / s) * 100.0 if not (-1e-8 < s < 1e-8) else 0.0
        else:
            out[i] = fast[i] - slow[i]
    return out


@njit(cache=True, nogil=True)
def cmo_nb(x, timeperiod):
    """Chande momentum oscillator. Reference: TA-Lib ``CMO`` (Wilder-smoothed gains/losses as in RSI,
    100*(gain-loss)/(gain+loss), 0 when there was no movement; output from index timeperiod)."""
    n = x.shape[0]
    out = np.full(n, np.nan)
    p = timeperiod
    if p < 2 or n <= p:
        return out
    gain = 0.0
    loss = 0.0
    for i in range(1, p + 1):
        d = x[i] - x[i - 1]
        if d < 0:
            loss -= d
        else:
            gain += d
    gain /= p
    loss /= p
    s = gain + loss
    out[p] = 100.0 * ((gain - loss) / s) if not (-1e-8 < s < 1e-8) else 0.0
    for i in range(p + 1, n):
        d = x[i] - x[i - 1]
        gain *= p - 1
        loss *= p - 1
        if d < 0:
            loss -= d
        else:
            gain += d
        gain /= p
        loss /= p
        s = gain + loss
        out[i] = 100.0 * ((gain - loss) / s) if not (-1e-8 < s < 1e-8) else 0.0
    return out


@njit(cache=True, nogil=True)
def roc_nb(x, timeperiod):
    """Rate of change in percent, (x/x[-p] - 1)*100. Reference: TA-Lib ``ROC`` (0 when x[-p] is 0)."""
    n = x.shape[0]
    out = np.full(n, np.nan)
    p = timeperiod
    for i in range(p, n):
        prev = x[i - p]
        out[i] = ((x[i] / prev) - 1.0) * 100.0 if prev != 0.0 else 0.0
    return out


@njit(cache=True, nogil=True)
def mom_nb(x, timeperiod):
    """Momentum, x - x[-p]. Reference: TA-Lib ``MOM``."""
    n = x.shape[0]
    out = np.full(n, np.nan)
    for i in range(timeperiod, n):
        out[i] = x[i] - x[i - timeperiod]
    return out


@njit(cache=True, nogil=True)
def trix_nb(x, timeperiod):
    """One-bar ROC of a triple EMA. Reference: TA-Lib ``TRIX`` (lookback 3*(timeperiod-1)+1)."""
    out = np.empty(x.shape[0])
    ema_stack_into_nb(x, timeperiod, 2, out)
    return out


@njit(cache=True, nogil=True)
def track_extreme_nb(x, today, window, best_idx, best, is_max):
    """One step of TA-Lib's highest/lowest tracking: ``(index, value)`` of the latest highest
    (``is_max``) or lowest x over the *window* bars ending at *today*, from the previous step's pair
    (rescanning the window only when the previous extreme left it)."""
    trailing = today - window + 1
    v = x[today]
    if best_idx < trailing:
        best_idx = trailing
        best = x[trailing]
        for i in range(trailing + 1, today + 1):
            w = x[i]
            if (w >= best) if is_max else (w <= best):
                best_idx = i
                best = w
    elif (v >= best) if is_max else (v <= best):
        best_idx = today
        best = v
    return best_idx, best


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


_FLAT_RANGE = 2e-14  # a window whose range is below this fraction of its extremes is flat (TA-Lib 0.6+)


@njit(cache=True, nogil=True)
def raw_k_nb(close, highest, lowest):
    """One raw %K value, ``(close - lowest) / ((highest - lowest) / 100)``, and 0 on a *flat* window: a
    range below ``2e-14`` of the larger extreme's magnitude, i.e. a few ulps of rounding (what the TA-Lib
    0.6+ C library does; a flat RSI under ``STOCHRSI`` is the case that matters, where the RSI's own
    rounding would otherwise give an arbitrary value between 0 and 100)."""
    span = highest - lowest
    if span <= _FLAT_RANGE * max(abs(highest), abs(lowest)):
        return 0.0
    return (close - lowest) / (span / 100.0)


@njit(cache=True, nogil=True)
def fastk_nb(high, low, close, fastk_period):
    """Raw stochastic %K, (close - lowest low)/((highest high - lowest low)/100). Reference: TA-Lib
    ``STOCHF`` fast-K (0 on a flat window, see :func:`raw_k_nb`; output from index fastk_period-1)."""
    n = close.shape[0]
    out = np.full(n, np.nan)
    hi = extreme_index_nb(high, fastk_period, True)
    lo = extreme_index_nb(low, fastk_period, False)
    for i in range(fastk_period - 1, n):
        out[i] = raw_k_nb(close[i], high[hi[i]], low[lo[i]])
    return out


@njit(cache=True, nogil=True)
def _stoch_sma_into(high, low, close, fastk_period, a, b, slowk, slowd):
    """Fused STOCH for SMA/SMA smoothing: streaming fast %K, then two running-sum SMAs kept in ring
    buffers with the same operation order as :func:`sma_nb` (so the values are identical)."""
    n = close.shape[0]
    lb_k = fastk_period - 1
    total_lb = lb_k + a - 1 + b - 1
    head = min(n, total_lb)
    slowk[:head] = np.nan
    slowd[:head] = np.nan
    ring_k = np.zeros(a)
    ring_d = np.zeros(b)
    tk = 0.0
    td = 0.0
    hi_idx = -1
    lo_idx = -1
    highest = 0.0
    lowest = 0.0
    for today in range(lb_k, n):
        trailing = today - lb_k
        v = high[today]
        if hi_idx < trailing:
            hi_idx = trailing
            highest = high[trailing]
            for i in range(trailing + 1, today + 1):
                if high[i] >= highest:
                    hi_idx = i
                    highest = high[i]
        elif v >= highest:
            hi_idx = today
            highest = v
        v = low[today]
        if lo_idx < trailing:
            lo_idx = trailing
            lowest = low[trailing]
            for i in range(trailing + 1, today + 1):
                if low[i] <= lowest:
                    lo_idx = i
                    lowest = low[i]
        elif v <= lowest:
            lo_idx = today
            lowest = v
        fk = raw_k_nb(close[today], highest, lowest)
        j = today - lb_k
        ring_k[j % a] = fk
        tk += fk
        if j < a - 1:
            continue
        sk = tk / a
        tk -= ring_k[(j - a + 1) % a]
        m = j - (a - 1)
        ring_d[m % b] = sk
        td += sk
        if m < b - 1:
            continue
        sd = td / b
        td -= ring_d[(m - b + 1) % b]
        slowk[today] = sk
        slowd[today] = sd


@njit(cache=True, nogil=True)
def stoch_into_nb(high, low, close, fastk_period, slowk_period, slowk_matype, slowd_period, slowd_matype,
                  slowk, slowd):
    """Slow stochastic written into slowk/slowd (slow %K = MA of fast %K, slow %D = MA of slow %K).
    Reference: TA-Lib ``STOCH``."""
    if slowk_matype == 0 and slowd_matype == 0:
        _stoch_sma_into(high, low, close, fastk_period, slowk_period, slowd_period, slowk, slowd)
        return
    n = close.shape[0]
    lb_k = fastk_period - 1
    lb_ks = ma_lookback_nb(slowk_period, slowk_matype)
    total = lb_k + lb_ks + ma_lookback_nb(slowd_period, slowd_matype)
    slowk[: min(n, total)] = np.nan
    slowd[: min(n, total)] = np.nan
    if n <= total:
        return
    fk = fastk_nb(high, low, close, fastk_period)
    sk = ma_nb(chain_nb(fk, lb_k), slowk_period, slowk_matype)
    sd = ma_nb(chain_nb(sk, lb_ks), slowd_period, slowd_matype)
    for i in range(total, n):
        slowk[i] = sk[i - lb_k]
        slowd[i] = sd[i - lb_k - lb_ks]


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
def stochf_nb(high, low, close, fastk_period, fastd_period, fastd_matype):
    """Fast stochastic (%K and its MA %D). Reference: TA-Lib ``STOCHF``."""
    n = close.shape[0]
    lb_k = fastk_period - 1
    total = lb_k + ma_lookback_nb(fastd_period, fastd_matype)
    fastk = np.full(n, np.nan)
    fastd = np.full(n, np.nan)
    if n <= total:
        return fastk, fastd
    fk = fastk_nb(high, low, close, fastk_period)
    fd = ma_nb(chain_nb(fk, lb_k), fastd_period, fastd_matype)
    for i in range(total, n):
        fastk[i] = fk[i]
        fastd[i] = fd[i - lb_k]
    return fastk, fastd


@njit(cache=True, nogil=True)
def stochrsi_nb(x, timeperiod, fastk_period, fastd_period, fastd_matype):
    """Stochastic of the RSI. Reference: TA-Lib ``STOCHRSI`` (``STOCHF`` over ``RSI`` as high, low, close)."""
    n = x.shape[0]
    r = chain_nb(rsi_nb(x, timeperiod), timeperiod)
    k, d = stochf_nb(r, r, r, fastk_period, fastd_period, fastd_matype)
    return pad_nb(k, n), pad_nb(d, n)


@njit(cache=True, nogil=True)
def willr_into_nb(high, low, close, timeperiod, out):
    """Williams' %R into *out*, the highest high and lowest low tracked in the same pass. Reference:
    TA-Lib ``WILLR`` ((highest - close)/((highest - lowest)/-100), 0 on a flat range; output from index
    timeperiod-1)."""
    n = close.shape[0]
    out[:min(n, timeperiod - 1)] = np.nan
    hi_idx = -1
    lo_idx = -1
    highest = 0.0
    lowest = 0.0
    for i in range(timeperiod - 1, n):
        hi_idx, highest = track_extreme_nb(high, i, timeperiod, hi_idx, highest, True)
        lo_idx, lowest = track_extreme_nb(low, i, timeperiod, lo_idx, lowest, False)
        diff = (highest - lowest) / (-100.0)
        out[i] = (highest - close[i]) / diff if diff != 0.0 else 0.0


@njit(cache=True, nogil=True)
def cci_into_nb(high, low, close, timeperiod, out):
    """Commodity channel index. Reference: TA-Lib ``CCI`` (typical price in a circular buffer summed in
    buffer order, mean deviation, constant 0.015; 0 when either deviation is 0)."""
    n = close.shape[0]
    out[:] = np.nan
    p = timeperiod
    if n < p:
        return
    buf = np.empty(p)
    slot = 0
    for i in range(n):
        last = (high[i] + low[i] + close[i]) / 3.0
        buf[slot] = last
        slot = slot + 1 if slot + 1 < p else 0
        if i < p - 1:
            continue
        avg = 0.0
        for j in range(p):
            avg += buf[j]
        avg /= p
        dev = 0.0
        for j in range(p):
            dev += abs(buf[j] - avg)
        d = last - avg
        out[i] = d / (0.015 * (dev / p)) if (d != 0.0 and dev != 0.0) else 0.0


@njit(cache=True, nogil=True)
def cci_nb(high, low, close, timeperiod):
    """Allocating form of :func:`cci_into_nb`."""
    out = np.empty(high.shape[0])
    cci_into_nb(high, low, close, timeperiod, out)
    return out


@njit(cache=True, nogil=True)
def aroon_nb(high, low, timeperiod):
    """Aroon down and up over timeperiod+1 bars. Reference: TA-Lib ``AROON`` (latest extreme wins ties,
    100/p * (p - bars since extreme); output from index timeperiod)."""
    n = high.shape[0]
    down = np.full(n, np.nan)
    up = np.full(n, np.nan)
    p = timeperiod
    hi = extreme_index_nb(high, p + 1, True)
    lo = extreme_index_nb(low, p + 1, False)
    factor = 100.0 / p
    for i in range(p, n):
        up[i] = factor * (p - (i - hi[i]))
        down[i] = factor * (p - (i - lo[i]))
    return down, up


@njit(cache=True, nogil=True)
def aroonosc_nb(high, low, timeperiod):
    """Aroon oscillator, up minus down. Reference: TA-Lib ``AROONOSC`` (100/p * (highIdx - lowIdx))."""
    n = high.shape[0]
    out = np.full(n, np.nan)
    p = timeperiod
    hi = extreme_index_nb(high, p + 1, True)
    lo = extreme_index_nb(low, p + 1, False)
    factor = 100.0 / p
    for i in range(p, n):
        out[i] = factor * (hi[i] - lo[i])
    return out


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


@njit(cache=True, nogil=True)
def ultosc_nb(high, low, close, p1, p2, p3):
    """Ultimate oscillator with periods p1 < p2 < p3 (weights 4, 2, 1). Reference: TA-Lib ``ULTOSC``
    (running sums; output from index p3)."""
    n = close.shape[0]
    out = np.full(n, np.nan)
    if n <= p3:
        return out
    periods = (p1, p2, p3)
    a = np.zeros(3)
    b = np.zeros(3)
    for k in range(3):
        for i in range(p3 - periods[k] + 1, p3):
            cm, tr = _ultosc_terms(high, low, close, i)
            a[k] += cm
            b[k] += tr
    for today in range(p3, n):
        cm, tr = _ultosc_terms(high, low, close, today)
        for k in range(3):
            a[k] += cm
            b[k] += tr
        value = 0.0
        if not (-1e-8 < b[0] < 1e-8):
            value += 4.0 * (a[0] / b[0])
        if not (-1e-8 < b[1] < 1e-8):
            value += 2.0 * (a[1] / b[1])
        if not (-1e-8 < b[2] < 1e-8):
            value += a[2] / b[2]
        for k in range(3):
            cm, tr = _ultosc_terms(high, low, close, today - periods[k] + 1)
            a[k] -= cm
            b[k] -= tr
        out[today] = 100.0 * (value / 7.0)
    return out


@njit(cache=True, nogil=True)
def bop_nb(open_, high, low, close):
    """Balance of power, (close - open)/(high - low).

    Reference: TA-Lib ``BOP`` (0 when the range is < 1e-8)."""
    n = close.shape[0]
    out = np.empty(n)
    for i in range(n):
        r = high[i] - low[i]
        out[i] = (close[i] - open_[i]) / r if not r < 1e-8 else 0.0
    return out
