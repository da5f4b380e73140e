"""TA-Lib compatible volatility and directional-movement functions (stddev, atr, adx family)."""

from __future__ import annotations

import numpy as np  # noqa: F401  (used by the docstring examples)

from . import _kernels_vol as kv
from ._wrap import check_float, check_period, run, run_into

__all__ = ["stddev", "var", "trange", "atr", "natr", "plus_di", "minus_di", "dx", "adx", "adxr"]


def _hlc(kernel, high, low, close, *params, name: str):
    return run(kernel, {"high": high, "low": low, "close": close}, *params, names=(name,))


def stddev(real, timeperiod: int = 5, nbdev: float = 1.0):
    """Population standard deviation times nbdev (TA-Lib ``STDDEV``); 0 where the variance < 1e-8.

    Examples
    --------
    >>> stddev(np.array([1.0, 3.0, 1.0]), timeperiod=2).tolist()
    [nan, 1.0, 1.0]
    """
    p = check_period("timeperiod", timeperiod, 1)
    return run(kv.stddev_nb, {"real": real}, p, check_float("nbdev", nbdev), names=("stddev",))


def var(real, timeperiod: int = 5, nbdev: float = 1.0):
    """Population variance (TA-Lib ``VAR``; like TA-Lib, nbdev is accepted and ignored).

    Examples
    --------
    >>> var(np.array([1.0, 3.0, 1.0]), timeperiod=2).tolist()
    [nan, 1.0, 1.0]
    """
    p = check_period("timeperiod", timeperiod, 1)
    check_float("nbdev", nbdev)
    return run(kv.var_nb, {"real": real}, p, names=("var",))


def trange(high, low, close):
    """True range (TA-Lib ``TRANGE``), NaN at the first bar.

    Examples
    --------
    >>> trange(np.array([2.0, 3.0]), np.array([1.0, 2.5]), np.array([1.5, 2.8])).tolist()
    [nan, 1.5]
    """
    return _hlc(kv.trange_nb, high, low, close, name="trange")


def atr(high, low, close, timeperiod: int = 14):
    """Average true range (TA-Lib ``ATR``): SMA seed of the first timeperiod true ranges, then Wilder.

    Examples
    --------
    >>> h, l, c = np.array([2.0, 3, 4]), np.array([1.0, 2, 3]), np.array([1.5, 2.5, 3.5])
    >>> atr(h, l, c, timeperiod=2).tolist()
    [nan, nan, 1.5]
    """
    p = check_period("timeperiod", timeperiod, 1)
    return run_into(kv.atr_into_nb, {"high": high, "low": low, "close": close}, p, names=("atr",))


def natr(high, low, close, timeperiod: int = 14):
    """Normalised ATR, 100 * ATR / close (TA-Lib ``NATR``).

    Examples
    --------
    >>> h, l, c = np.array([2.0, 3, 4]), np.array([1.0, 2, 3]), np.array([1.5, 2.5, 3.0])
    >>> natr(h, l, c, timeperiod=2).tolist()
    [nan, nan, 50.0]
    """
    return _hlc(kv.natr_nb, high, low, close, check_period("timeperiod", timeperiod, 1), name="natr")


def plus_di(high, low, close, timeperiod: int = 14):
    """Plus directional indicator (TA-Lib ``PLUS_DI``); timeperiod >= 2.

    Examples
    --------
    >>> h = np.arange(10.0) + 1; l = h - 1
    >>> round(float(plus_di(h, l, h - 0.5, timeperiod=3)[-1]), 2)
    66.67
    """
    p = check_period("timeperiod", timeperiod, 2)
    return _hlc(kv.di_nb, high, low, close, p, True, name="plus_di")


def minus_di(high, low, close, timeperiod: int = 14):
    """Minus directional indicator (TA-Lib ``MINUS_DI``); timeperiod >= 2.

    Examples
    --------
    >>> h = np.arange(10.0) + 1; l = h - 1
    >>> float(minus_di(h, l, h - 0.5, timeperiod=3)[-1])
    0.0
    """
    p = check_period("timeperiod", timeperiod, 2)
    return _hlc(kv.di_nb, high, low, close, p, False, name="minus_di")


def dx(high, low, close, timeperiod: int = 14):
    """Directional movement index (TA-Lib ``DX``).

    Examples
    --------
    >>> h = np.arange(10.0) + 1; l = h - 1
    >>> float(dx(h, l, h - 0.5, timeperiod=3)[-1])
    100.0
    """
    return _hlc(kv.dx_nb, high, low, close, check_period("timeperiod", timeperiod, 2), name="dx")


def adx(high, low, close, timeperiod: int = 14):
    """Average directional movement index (TA-Lib ``ADX``), warm-up 2*timeperiod-1.

    Examples
    --------
    >>> h = np.arange(10.0) + 1; l = h - 1
    >>> float(adx(h, l, h - 0.5, timeperiod=3)[-1])
    100.0
    """
    p = check_period("timeperiod", timeperiod, 2)
    return run_into(kv.adx_into_nb, {"high": high, "low": low, "close": close}, p, names=("adx",))


def adxr(high, low, close, timeperiod: int = 14):
    """ADX rating, mean of ADX now and timeperiod-1 bars ago (TA-Lib ``ADXR``), warm-up 3*timeperiod-2.

    Examples
    --------
    >>> h = np.arange(12.0) + 1; l = h - 1
    >>> float(adxr(h, l, h - 0.5, timeperiod=3)[-1])
    100.0
    """
    return _hlc(kv.adxr_nb, high, low, close, check_period("timeperiod", timeperiod, 2), name="adxr")
