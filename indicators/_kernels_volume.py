"""Numba kernels of volume indicators (numpy in, numpy out; no other import).

Inputs are float64 arrays with leading NaNs already stripped; outputs follow TA-Lib's NaN warm-up.
"""

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def obv_into_nb(real, volume, out):
    """On-balance volume. Reference: TA-Lib ``OBV`` (starts at the first bar's volume)."""
    n = real.shape[0]
    if n == 0:
        return
    prev_obv = volume[0]
    prev = real[0]
    out[0] = prev_obv
    for i in range(1, n):
        v = real[i]
        if v > prev:
            prev_obv += volume[i]
        elif v < prev:
            prev_obv -= volume[i]
        out[i] = prev_obv
        prev = v


@njit(cache=True, nogil=True)
def obv_nb(real, volume):
    """Allocating form of :func:`obv_into_nb`."""
    out = np.empty(real.shape[0])
    obv_into_nb(real, volume, out)
    return out


@njit(cache=True, nogil=True)
def _ad_step(ad, high, low, close, volume):
    """AD after one bar: ad + ((close-low) - (high-close))/(high-low) * volume (TA-Lib's operation order)."""
    r = high - low
    if r > 0.0:
        ad += (((close - low) - (high - close)) / r) * volume
    return ad


@njit(cache=True, nogil=True)
def ad_nb(high, low, close, volume):
    """Chaikin accumulation/distribution line. Reference: TA-Lib ``AD`` (bars with high == low add 0)."""
    n = close.shape[0]
    out = np.empty(n)
    ad = 0.0
    for i in range(n):
        ad = _ad_step(ad, high[i], low[i], close[i], volume[i])
        out[i] = ad
    return out


@njit(cache=True, nogil=True)
def adosc_nb(high, low, close, volume, fastperiod, slowperiod):
    """Chaikin A/D oscillator, EMA(AD, fast) - EMA(AD, slow). Reference: TA-Lib ``ADOSC`` (both EMAs seeded
    with the first AD value, k*ad + (1-k)*ema; output from index max(fast, slow)-1)."""
    n = close.shape[0]
    out = np.full(n, np.nan)
    lb = max(fastperiod, slowperiod) - 1
    if n <= lb:
        return out
    fk = 2.0 / (fastperiod + 1.0)
    sk = 2.0 / (slowperiod + 1.0)
    ad = _ad_step(0.0, high[0], low[0], close[0], volume[0])
    fast = ad
    slow = ad
    for i in range(1, n):
        ad = _ad_step(ad, high[i], low[i], close[i], volume[i])
        fast = (fk * ad) + ((1.0 - fk) * fast)
        slow = (sk * ad) + ((1.0 - sk) * slow)
        if i >= lb:
            out[i] = fast - slow
    if lb == 0:
        out[0] = 0.0
    return out


@njit(cache=True, nogil=True)
def mfi_into_nb(high, low, close, volume, timeperiod, out):
    """Money flow index. Reference: TA-Lib ``MFI`` (typical-price money flow split by the sign of the
    typical-price change, running sums over a timeperiod-bar circular buffer; 0 when the total flow < 1;
    output from index timeperiod)."""
    n = close.shape[0]
    p = timeperiod
    out[: min(n, p)] = np.nan
    if n <= p:
        return
    pos_buf = np.zeros(p)
    neg_buf = np.zeros(p)
    pos = 0.0
    neg = 0.0
    prev = ((high[0] + low[0]) + close[0]) / 3.0
    slot = -1
    for i in range(1, n):
        slot = slot + 1 if slot + 1 < p else 0
        if i > p:
            pos -= pos_buf[slot]
            neg -= neg_buf[slot]
        tp = ((high[i] + low[i]) + close[i]) / 3.0
        d = tp - prev
        prev = tp
        tp *= volume[i]
        pos_buf[slot] = 0.0
        neg_buf[slot] = 0.0
        if d < 0:
            neg_buf[slot] = tp
            neg += tp
        elif d > 0:
            pos_buf[slot] = tp
            pos += tp
        if i >= p:
            total = pos + neg
            out[i] = 100.0 * (pos / total) if not total < 1.0 else 0.0


@njit(cache=True, nogil=True)
def mfi_nb(high, low, close, volume, timeperiod):
    """Allocating form of :func:`mfi_into_nb`."""
    out = np.empty(high.shape[0])
    mfi_into_nb(high, low, close, volume, timeperiod, out)
    return out


