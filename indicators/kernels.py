"""Unchecked fast path: the TA-Lib compatible indicators without per-call input handling.

Each function here has the name, parameters, defaults and outputs of its checked twin in
:mod:`tradeforge.indicators` and calls the same numba kernel, so on valid input the result is
bitwise identical. What it skips is everything the twin does per call (tens of microseconds, more
than the kernel itself on a few hundred bars): dtype conversion, Series in/out, leading-NaN stripping,
length and parameter checks. Use it only where the inputs were validated once, up front (the feature
builder checks a whole frame once, then makes ~50 indicator calls per symbol).

Contract, which the caller guarantees (nothing here checks it; breaking it gives garbage, not an error):

* every array is 1-D, ``float64``, C-contiguous, all of one length, and finite (no NaN, no inf);
  ``logret``/``realized_vol`` inputs are also > 0;
* parameters are what the twin accepts: integer periods within its range (most need >= 1, some >= 2),
  finite floats, ``matype`` in ``SUPPORTED_MATYPES``.

Outputs are new numpy arrays (a tuple for several outputs, as the twins return). Every kernel is
compiled with ``nogil=True``, so calls from several threads run in parallel.

Examples
--------
>>> import numpy as np
>>> from tradeforge import indicators as ta
>>> from tradeforge.indicators import kernels as tk
>>> close = np.linspace(10.0, 12.0, 40)
>>> bool((tk.rsi(close, 14) == ta.rsi(close, 14))[14:].all())
True
"""

from __future__ import annotations

import numpy as np

from . import _kernels as k
from . import _kernels_extra as kx
from . import _kernels_ma as km
from . import _kernels_osc as ko
from . import _kernels_vol as kv
from . import _kernels_volume as kvo

__all__ = [
    "sma", "ema", "wma", "dema", "tema", "trima", "kama", "t3", "ma", "bbands",
    "macd", "ppo", "apo", "rsi", "cmo", "roc", "mom", "trix", "stoch", "stochf", "stochrsi",
    "willr", "cci", "aroon", "aroonosc", "ultosc", "bop",
    "stddev", "var", "trange", "atr", "natr", "plus_di", "minus_di", "dx", "adx", "adxr",
    "obv", "ad", "adosc", "mfi",
    "rolling_vwap", "rvol", "keltner", "donchian", "zscore", "logret", "realized_vol",
]

def _into(kernel, n: int, *args):
    """Allocate one output with numpy (huge pages on long inputs) and let *kernel* fill it."""
    out = np.empty(n)
    kernel(*args, out)
    return out


# ---- overlap studies -------------------------------------------------------------------------------
def sma(real, timeperiod=30):
    """Unchecked :func:`tradeforge.indicators.sma`."""
    return _into(k.sma_into_nb, real.shape[0], real, timeperiod)


def ema(real, timeperiod=30):
    """Unchecked :func:`tradeforge.indicators.ema`."""
    return _into(k.ema_into_nb, real.shape[0], real, timeperiod)


def wma(real, timeperiod=30):
    """Unchecked :func:`tradeforge.indicators.wma`."""
    return km.wma_nb(real, timeperiod)


def dema(real, timeperiod=30):
    """Unchecked :func:`tradeforge.indicators.dema`."""
    return km.dema_nb(real, timeperiod)


def tema(real, timeperiod=30):
    """Unchecked :func:`tradeforge.indicators.tema`."""
    return km.tema_nb(real, timeperiod)


def trima(real, timeperiod=30):
    """Unchecked :func:`tradeforge.indicators.trima`."""
    return km.trima_nb(real, timeperiod)


def kama(real, timeperiod=30):
    """Unchecked :func:`tradeforge.indicators.kama`."""
    return km.kama_nb(real, timeperiod)


def t3(real, timeperiod=5, vfactor=0.7):
    """Unchecked :func:`tradeforge.indicators.t3`."""
    return km.t3_nb(real, timeperiod, vfactor)


def ma(real, timeperiod=30, matype=0):
    """Unchecked :func:`tradeforge.indicators.ma`."""
    return km.ma_nb(real, timeperiod, matype)


def bbands(real, timeperiod=20, nbdevup=2.0, nbdevdn=2.0, matype=0):
    """Unchecked :func:`tradeforge.indicators.bbands`: ``(upperband, middleband, lowerband)``."""
    n = real.shape[0]
    upper, middle, lower = np.empty(n), np.empty(n), np.empty(n)
    kv.bbands_into_nb(real, timeperiod, nbdevup, nbdevdn, matype, upper, middle, lower)
    return upper, middle, lower


# ---- momentum --------------------------------------------------------------------------------------
def macd(real, fastperiod=12, slowperiod=26, signalperiod=9):
    """Unchecked :func:`tradeforge.indicators.macd`: ``(macd, macdsignal, macdhist)``."""
    n = real.shape[0]
    line, signal, hist = np.empty(n), np.empty(n), np.empty(n)
    ko.macd_into_nb(real, fastperiod, slowperiod, signalperiod, line, signal, hist)
    return line, signal, hist


def ppo(real, fastperiod=12, slowperiod=26, matype=1):
    """Unchecked :func:`tradeforge.indicators.ppo`."""
    return ko.po_nb(real, fastperiod, slowperiod, matype, True)


def apo(real, fastperiod=12, slowperiod=26, matype=1):
    """Unchecked :func:`tradeforge.indicators.apo`."""
    return ko.po_nb(real, fastperiod, slowperiod, matype, False)


def rsi(real, timeperiod=14):
    """Unchecked :func:`tradeforge.indicators.rsi`."""
    return _into(k.rsi_into_nb, real.shape[0], real, timeperiod)


def cmo(real, timeperiod=14):
    """Unchecked :func:`tradeforge.indicators.cmo`."""
    return ko.cmo_nb(real, timeperiod)


def roc(real, timeperiod=10):
    """Unchecked :func:`tradeforge.indicators.roc`."""
    return ko.roc_nb(real, timeperiod)


def mom(real, timeperiod=10):
    """Unchecked :func:`tradeforge.indicators.mom`."""
    return ko.mom_nb(real, timeperiod)


def trix(real, timeperiod=30):
    """Unchecked :func:`tradeforge.indicators.trix`."""
    return ko.trix_nb(real, timeperiod)


def stoch(high, low, close, fastk_period=5, slowk_period=3, slowk_matype=0, slowd_period=3, slowd_matype=0):
    """Unchecked :func:`tradeforge.indicators.stoch`: ``(slowk, slowd)``."""
    n = close.shape[0]
    slowk, slowd = np.empty(n), np.empty(n)
    ko.stoch_into_nb(high, low, close, fastk_period, slowk_period, slowk_matype, slowd_period, slowd_matype,
                     slowk, slowd)
    return slowk, slowd


def stochf(high, low, close, fastk_period=5, fastd_period=3, fastd_matype=0):
    """Unchecked :func:`tradeforge.indicators.stochf`: ``(fastk, fastd)``."""
    return ko.stochf_nb(high, low, close, fastk_period, fastd_period, fastd_matype)


def stochrsi(real, timeperiod=14, fastk_period=5, fastd_period=3, fastd_matype=0):
    """Unchecked :func:`tradeforge.indicators.stochrsi`: ``(fastk, fastd)``."""
    return ko.stochrsi_nb(real, timeperiod, fastk_period, fastd_period, fastd_matype)


def willr(high, low, close, timeperiod=14):
    """Unchecked :func:`tradeforge.indicators.willr`."""
    return ko.willr_nb(high, low, close, timeperiod)


def cci(high, low, close, timeperiod=14):
    """Unchecked :func:`tradeforge.indicators.cci`."""
    return _into(ko.cci_into_nb, close.shape[0], high, low, close, timeperiod)


def aroon(high, low, timeperiod=14):
    """Unchecked :func:`tradeforge.indicators.aroon`: ``(aroondown, aroonup)``."""
    return ko.aroon_nb(high, low, timeperiod)


def aroonosc(high, low, timeperiod=14):
    """Unchecked :func:`tradeforge.indicators.aroonosc`."""
    return ko.aroonosc_nb(high, low, timeperiod)


def ultosc(high, low, close, timeperiod1=7, timeperiod2=14, timeperiod3=28):
    """Unchecked :func:`tradeforge.indicators.ultosc` (periods sorted, as TA-Lib does)."""
    p1, p2, p3 = sorted((timeperiod1, timeperiod2, timeperiod3))
    return ko.ultosc_nb(high, low, close, p1, p2, p3)


def bop(open, high, low, close):  # noqa: A002 - TA-Lib's parameter name
    """Unchecked :func:`tradeforge.indicators.bop`."""
    return ko.bop_nb(open, high, low, close)


# ---- volatility and directional movement -----------------------------------------------------------
def stddev(real, timeperiod=5, nbdev=1.0):
    """Unchecked :func:`tradeforge.indicators.stddev`."""
    return kv.stddev_nb(real, timeperiod, nbdev)


def var(real, timeperiod=5, nbdev=1.0):
    """Unchecked :func:`tradeforge.indicators.var` (nbdev ignored, as in TA-Lib)."""
    return kv.var_nb(real, timeperiod)


def trange(high, low, close):
    """Unchecked :func:`tradeforge.indicators.trange`."""
    return kv.trange_nb(high, low, close)


def atr(high, low, close, timeperiod=14):
    """Unchecked :func:`tradeforge.indicators.atr`."""
    return _into(kv.atr_into_nb, close.shape[0], high, low, close, timeperiod)


def natr(high, low, close, timeperiod=14):
    """Unchecked :func:`tradeforge.indicators.natr`."""
    return kv.natr_nb(high, low, close, timeperiod)


def plus_di(high, low, close, timeperiod=14):
    """Unchecked :func:`tradeforge.indicators.plus_di`."""
    return kv.di_nb(high, low, close, timeperiod, True)


def minus_di(high, low, close, timeperiod=14):
    """Unchecked :func:`tradeforge.indicators.minus_di`."""
    return kv.di_nb(high, low, close, timeperiod, False)


def dx(high, low, close, timeperiod=14):
    """Unchecked :func:`tradeforge.indicators.dx`."""
    return kv.dx_nb(high, low, close, timeperiod)


def adx(high, low, close, timeperiod=14):
    """Unchecked :func:`tradeforge.indicators.adx`."""
    return _into(kv.adx_into_nb, close.shape[0], high, low, close, timeperiod)


def adxr(high, low, close, timeperiod=14):
    """Unchecked :func:`tradeforge.indicators.adxr`."""
    return kv.adxr_nb(high, low, close, timeperiod)


# ---- volume and the extras -------------------------------------------------------------------------
def obv(real, volume):
    """Unchecked :func:`tradeforge.indicators.obv`."""
    return _into(kvo.obv_into_nb, real.shape[0], real, volume)


def ad(high, low, close, volume):
    """Unchecked :func:`tradeforge.indicators.ad`."""
    return kvo.ad_nb(high, low, close, volume)


def adosc(high, low, close, volume, fastperiod=3, slowperiod=10):
    """Unchecked :func:`tradeforge.indicators.adosc`."""
    return kvo.adosc_nb(high, low, close, volume, fastperiod, slowperiod)


def mfi(high, low, close, volume, timeperiod=14):
    """Unchecked :func:`tradeforge.indicators.mfi`."""
    return _into(kvo.mfi_into_nb, close.shape[0], high, low, close, volume, timeperiod)


def rolling_vwap(high, low, close, volume, timeperiod=20):
    """Unchecked :func:`tradeforge.indicators.rolling_vwap`."""
    return kx.vwap_rolling_nb(high, low, close, volume, timeperiod)


def rvol(volume, timeperiod=20):
    """Unchecked :func:`tradeforge.indicators.rvol`."""
    return kx.rvol_nb(volume, timeperiod)


def keltner(high, low, close, timeperiod=20, atrperiod=10, nbdev=2.0):
    """Unchecked :func:`tradeforge.indicators.keltner`: ``(upperband, middleband, lowerband)``."""
    return kx.keltner_nb(high, low, close, timeperiod, atrperiod, nbdev)


def donchian(high, low, timeperiod=20):
    """Unchecked :func:`tradeforge.indicators.donchian`: ``(upperband, middleband, lowerband)``."""
    return kx.donchian_nb(high, low, timeperiod)


def zscore(real, timeperiod=20):
    """Unchecked :func:`tradeforge.indicators.zscore`."""
    return kx.zscore_nb(real, timeperiod)


def logret(real, timeperiod=1):
    """Unchecked :func:`tradeforge.indicators.logret` (real must be > 0)."""
    return kx.logret_nb(real, timeperiod)


def realized_vol(real, timeperiod=20, periods_per_year=1.0):
    """Unchecked :func:`tradeforge.indicators.realized_vol` (real must be > 0)."""
    return kx.realized_vol_nb(real, timeperiod, periods_per_year)
