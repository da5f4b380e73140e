"""Numba kernels of volume indicators (numpy in, numpy out; no other import).

Inputs are float64 arrays with leading NaNs already stripped; outputs follow TA-Lib's NaN warm-up.
``*_into_nb`` kernels check their inputs as they read them and return True if all were finite
(see :mod:`._kernels`).
"""

import numpy as np
from numba import njit

from ._kernels import CONTRACT


@njit(cache=True, nogil=True)
def obv_into_nb(real, volume, out):
    """On-balance volume; True if every input is finite. Reference: TA-Lib ``OBV`` (starts at the first
    bar's volume)."""
    n = real.shape[0]
    if n == 0:
        return False
    prev_obv = volume[0]
    out[0] = prev_obv
    chk = real[0] + prev_obv
    rs = real[1:]  # views indexed from 0
    rp = real[:n - 1]
    vs = volume[1:]
    o = out[1:]
    for k in range(n - 1):
        v = rs[k]
        prev = rp[k]
        vol = vs[k]
        chk += v + vol
        # branch-free (a random walk's up and down bars mispredict half the time): vol times +1, -1 or
        # 0 is exact, and adding it is what TA-Lib's if/else adds
        prev_obv += vol * (np.float64(v > prev) - np.float64(v < prev))
        o[k] = prev_obv
    return chk - chk == 0.0


@njit(cache=True, nogil=True)
def obv_nb(real, volume):
    """Allocating form of :func:`obv_into_nb`."""
    out = np.empty(real.shape[0])
    obv_into_nb(real, volume, out)
    return out


@njit(cache=True, nogil=True, fastmath=False)
def _ad_step(ad, high, low, close, volume):
    """AD after one bar: ad + ((close-low) - (high-close))/(high-low) * volume (TA-Lib's operation order).

    ``fastmath=False`` is explicit: numba compiles a callee that does not set it with its caller's
    fast-math flags, so under :func:`adosc_into_nb` (``CONTRACT``) the step was fused into an FMA,
    or not, depending on which kernel compiled it first (off TA-Lib's values by up to ~1e-9 either way
    round: the order of first calls decided both AD's and ADOSC's values, in the on-disk cache too)."""
    r = high - low
    return _ad_add(ad, high, low, close, volume, r) if r > 0.0 else ad


@njit(cache=True, nogil=True, fastmath=False, error_model="numpy")
def _ad_add(ad, high, low, close, volume, r):
    """The AD step of :func:`_ad_step` for a bar whose range r = high - low is known to be > 0 (unfused,
    for the same reason; numpy's error model: no zero-division branch)."""
    return ad + (((close - low) - (high - close)) / r) * volume


@njit(cache=True, nogil=True)
def ad_into_nb(high, low, close, volume, out):
    """Chaikin accumulation/distribution line into *out*; True if every input is finite. Reference:
    TA-Lib ``AD`` (bars with high == low add 0). The check is AD itself on the bars that add to it, and a
    sum of high - low (non-finite where high or low is), close and volume on the bars that do not (no
    factor 0.0: a finite overflow only costs a rescan that finds nothing); bound by its division, the loop
    gains nothing from a vectorised block of increments (measured: slower, for ADOSC too)."""
    n = close.shape[0]
    if n == 0:
        return False
    ad = 0.0
    chk = 0.0
    hs = high[:n]  # views indexed from 0
    ls = low[:n]
    cs = close[:n]
    vs = volume[:n]
    for i in range(n):
        h = hs[i]
        lo = ls[i]
        c = cs[i]
        v = vs[i]
        r = h - lo
        if r > 0.0:
            ad = _ad_add(ad, h, lo, c, v, r)
        else:  # the rare bar that adds nothing (or a NaN range) is checked here
            chk += (r + c) + v
        out[i] = ad
    # a bar with high - low > 0 (+inf included) adds a NaN or inf to ad if any of its inputs is one, and
    # ad keeps it (or turns it into NaN) to the end: the last ad is the check of those bars
    return chk - chk == 0.0 and ad - ad == 0.0


@njit(cache=True, nogil=True)
def ad_nb(high, low, close, volume):
    """Allocating form of :func:`ad_into_nb`."""
    out = np.empty(close.shape[0])
    ad_into_nb(high, low, close, volume, out)
    return out


@njit(cache=True, nogil=True, fastmath=CONTRACT)
def adosc_into_nb(high, low, close, volume, fastperiod, slowperiod, out):
    """Chaikin A/D oscillator, EMA(AD, fast) - EMA(AD, slow), into *out*; True if every input is finite.
    Reference: TA-Lib ``ADOSC`` (both EMAs seeded with the first AD value, k*ad + (1-k)*ema; output
    from index max(fast, slow)-1). After the warm-up the check is that of :func:`ad_into_nb` (AD itself,
    and a sum over the bars that add nothing), so the loop is TA-Lib's own."""
    n = close.shape[0]
    lb = max(fastperiod, slowperiod) - 1
    if n <= lb:
        out[:] = np.nan
        return False
    out[:lb] = np.nan
    fk = 2.0 / (fastperiod + 1.0)
    sk = 2.0 / (slowperiod + 1.0)
    fk1 = 1.0 - fk
    sk1 = 1.0 - sk
    h = high[0]
    lo = low[0]
    c = close[0]
    v = volume[0]
    chk = h + lo + c + v
    ad = _ad_step(0.0, h, lo, c, v)
    fast = ad
    slow = ad
    for i in range(1, lb):
        h = high[i]
        lo = low[i]
        c = close[i]
        v = volume[i]
        chk += h + lo + c + v
        ad = _ad_step(ad, h, lo, c, v)
        fast = (fk * ad) + (fk1 * fast)
        slow = (sk * ad) + (sk1 * slow)
    hs = high[lb:]  # views indexed from 0
    ls = low[lb:]
    cs = close[lb:]
    vs = volume[lb:]
    o = out[lb:]
    for k in range(1 if lb == 0 else 0, n - lb):
        h = hs[k]
        lo = ls[k]
        r = h - lo
        if r > 0.0:
            ad = _ad_add(ad, h, lo, cs[k], vs[k], r)
        else:  # the rare bar that adds nothing (or a NaN range) is checked here
            chk += (r + cs[k]) + vs[k]
        fast = (fk * ad) + (fk1 * fast)
        slow = (sk * ad) + (sk1 * slow)
        o[k] = fast - slow
    if lb == 0:
        out[0] = 0.0
    # a bar with high - low > 0 (+inf included) adds a NaN or inf to ad if any of its inputs is one, and
    # ad keeps it (or turns it into NaN) to the end: the last ad is the check of those bars
    return chk - chk == 0.0 and ad - ad == 0.0


@njit(cache=True, nogil=True)
def mfi_into_nb(high, low, close, volume, timeperiod, out):
    """Money flow index; True if every input is finite. Reference: TA-Lib ``MFI`` (typical-price money
    flow split by the sign of the typical-price change, running sums over a timeperiod-bar circular
    buffer; 0 when the total flow < 1; output from index timeperiod)."""
    n = close.shape[0]
    p = timeperiod
    if n <= p:
        out[:] = np.nan
        return False
    out[:p] = np.nan
    pos_buf = np.zeros(p)
    neg_buf = np.zeros(p)
    pos = 0.0
    neg = 0.0
    chk = (high[0] + low[0] + close[0] + volume[0]) * 0.0
    prev = ((high[0] + low[0]) + close[0]) / 3.0
    slot = -1
    for i in range(1, n):
        slot = slot + 1 if slot + 1 < p else 0
        if i > p:
            pos -= pos_buf[slot]
            neg -= neg_buf[slot]
        h = high[i]
        lo = low[i]
        c = close[i]
        vol = volume[i]
        chk += (h + lo + c + vol) * 0.0
        tp = ((h + lo) + c) / 3.0
        d = tp - prev
        prev = tp
        tp *= vol
        up = tp if d > 0 else 0.0  # branch-free: adding 0.0 leaves a sum unchanged
        down = tp if d < 0 else 0.0
        pos_buf[slot] = up
        neg_buf[slot] = down
        pos += up
        neg += down
        if i >= p:
            total = pos + neg
            out[i] = 100.0 * (pos / total) if not total < 1.0 else 0.0
    return chk == 0.0


@njit(cache=True, nogil=True)
def mfi_nb(high, low, close, volume, timeperiod):
    """Allocating form of :func:`mfi_into_nb`."""
    out = np.empty(high.shape[0])
    mfi_into_nb(high, low, close, volume, timeperiod, out)
    return out
