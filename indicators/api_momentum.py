"""TA-Lib compatible momentum indicators (macd, ppo, rsi, stoch, cci, aroon, ...)."""

from __future__ import annotations

import numpy as np  # noqa: F401  (used by the docstring examples)

from . import _kernels as k
from . import _kernels_osc as ko
from ._wrap import check_matype, check_period, run, run_into

__all__ = [
    "macd", "ppo", "apo", "rsi", "cmo", "roc", "mom", "trix", "stoch", "stochf", "stochrsi",
    "willr", "cci", "aroon", "aroonosc", "ultosc", "bop",
]


def _real(kernel, real, *params, name: str):
    return run(kernel, {"real": real}, *params, names=(name,))


def macd(real, fastperiod: int = 12, slowperiod: int = 26, signalperiod: int = 9):
    """Moving average convergence/divergence (TA-Lib ``MACD``): ``(macd, macdsignal, macdhist)``.

    All three start at (slowperiod-1)+(signalperiod-1); the periods are swapped if slow < fast.

    Examples
    --------
    >>> line, signal, hist = macd(np.linspace(1.0, 2.0, 40))
    >>> int(np.isnan(line).sum()), bool(line[-1] > 0)
    (33, True)
    """
    f = check_period("fastperiod", fastperiod, 2)
    s = check_period("slowperiod", slowperiod, 2)
    g = check_period("signalperiod", signalperiod, 1)
    return run_into(ko.macd_into_nb, {"real": real}, f, s, g, names=("macd", "macdsignal", "macdhist"))


def _po(real, fastperiod, slowperiod, matype, percent: bool, name: str):
    f = check_period("fastperiod", fastperiod, 2)
    s = check_period("slowperiod", slowperiod, 2)
    return _real(ko.po_nb, real, f, s, check_matype("matype", matype), percent, name=name)


def ppo(real, fastperiod: int = 12, slowperiod: int = 26, matype: int = 1):
    """Percentage price oscillator, 100*(fast MA - slow MA)/slow MA (TA-Lib ``PPO``; default EMA as in 0.8).

    Examples
    --------
    >>> round(float(ppo(np.arange(1.0, 41.0), 2, 4, matype=0)[-1]), 4)
    2.5974
    """
    return _po(real, fastperiod, slowperiod, matype, True, "ppo")


def apo(real, fastperiod: int = 12, slowperiod: int = 26, matype: int = 1):
    """Absolute price oscillator, fast MA - slow MA (TA-Lib ``APO``; default EMA as in TA-Lib 0.8).

    Examples
    --------
    >>> float(apo(np.arange(1.0, 41.0), 2, 4, matype=0)[-1])
    1.0
    """
    return _po(real, fastperiod, slowperiod, matype, False, "apo")


def rsi(real, timeperiod: int = 14):
    """Relative strength index (TA-Lib ``RSI``) with Wilder smoothing.

    Examples
    --------
    >>> float(rsi(np.array([1.0, 2, 3, 2, 3]), timeperiod=2)[-1]) > 50
    True
    """
    return run_into(k.rsi_into_nb, {"real": real}, check_period("timeperiod", timeperiod, 2), names=("rsi",))


def cmo(real, timeperiod: int = 14):
    """Chande momentum oscillator (TA-Lib ``CMO``).

    Examples
    --------
    >>> float(cmo(np.arange(10.0), timeperiod=3)[-1])
    100.0
    """
    return _real(ko.cmo_nb, real, check_period("timeperiod", timeperiod, 2), name="cmo")


def roc(real, timeperiod: int = 10):
    """Rate of change in percent, (real/real[-timeperiod] - 1)*100 (TA-Lib ``ROC``).

    Examples
    --------
    >>> roc(np.array([1.0, 2.0, 3.0]), timeperiod=1).tolist()
    [nan, 100.0, 50.0]
    """
    return _real(ko.roc_nb, real, check_period("timeperiod", timeperiod, 1), name="roc")


def mom(real, timeperiod: int = 10):
    """Momentum, real - real[-timeperiod] (TA-Lib ``MOM``).

    Examples
    --------
    >>> mom(np.array([1.0, 2.0, 4.0]), timeperiod=1).tolist()
    [nan, 1.0, 2.0]
    """
    return _real(ko.mom_nb, real, check_period("timeperiod", timeperiod, 1), name="mom")


def trix(real, timeperiod: int = 30):
    """One-bar rate of change of a triple EMA (TA-Lib ``TRIX``), warm-up 3*(timeperiod-1)+1.

    Examples
    --------
    >>> int(np.isnan(trix(np.arange(1.0, 30.0), timeperiod=5)).sum())
    13
    """
    return _real(ko.trix_nb, real, check_period("timeperiod", timeperiod, 1), name="trix")


def stoch(high, low, close, fastk_period: int = 5, slowk_period: int = 3, slowk_matype: int = 0,
          slowd_period: int = 3, slowd_matype: int = 0):
    """Slow stochastic (TA-Lib ``STOCH``): ``(slowk, slowd)``.

    Examples
    --------
    >>> c = np.arange(1.0, 21.0)
    >>> [round(float(v[-1]), 2) for v in stoch(c + 1, c - 1, c)]
    [83.33, 83.33]
    """
    params = (
        check_period("fastk_period", fastk_period, 1),
        check_period("slowk_period", slowk_period, 1),
        check_matype("slowk_matype", slowk_matype),
        check_period("slowd_period", slowd_period, 1),
        check_matype("slowd_matype", slowd_matype),
    )
    inputs = {"high": high, "low": low, "close": close}
    return run_into(ko.stoch_into_nb, inputs, *params, names=("slowk", "slowd"))


def stochf(high, low, close, fastk_period: int = 5, fastd_period: int = 3, fastd_matype: int = 0):
    """Fast stochastic (TA-Lib ``STOCHF``): ``(fastk, fastd)``.

    Examples
    --------
    >>> c = np.arange(1.0, 21.0)
    >>> [round(float(v[-1]), 2) for v in stochf(c + 1, c - 1, c)]
    [83.33, 83.33]
    """
    params = (
        check_period("fastk_period", fastk_period, 1),
        check_period("fastd_period", fastd_period, 1),
        check_matype("fastd_matype", fastd_matype),
    )
    return run(ko.stochf_nb, {"high": high, "low": low, "close": close}, *params, names=("fastk", "fastd"))


def stochrsi(real, timeperiod: int = 14, fastk_period: int = 5, fastd_period: int = 3, fastd_matype: int = 0):
    """Stochastic RSI (TA-Lib ``STOCHRSI``): ``(fastk, fastd)`` of ``STOCHF`` over ``RSI``.

    Examples
    --------
    >>> k, d = stochrsi(np.sin(np.arange(60.0) / 3) + 5)
    >>> int(np.isnan(k).sum())
    20
    """
    params = (
        check_period("timeperiod", timeperiod, 2),
        check_period("fastk_period", fastk_period, 1),
        check_period("fastd_period", fastd_period, 1),
        check_matype("fastd_matype", fastd_matype),
    )
    return run(ko.stochrsi_nb, {"real": real}, *params, names=("fastk", "fastd"))


def willr(high, low, close, timeperiod: int = 14):
    """Williams' %R, from -100 (close at the low) to 0 (close at the high) (TA-Lib ``WILLR``).

    Examples
    --------
    >>> willr(np.array([2.0, 3.0]), np.array([1.0, 1.0]), np.array([1.5, 3.0]), timeperiod=2).tolist()
    [nan, -0.0]
    """
    p = check_period("timeperiod", timeperiod, 2)
    return run(ko.willr_nb, {"high": high, "low": low, "close": close}, p, names=("willr",))


def cci(high, low, close, timeperiod: int = 14):
    """Commodity channel index (TA-Lib ``CCI``).

    Examples
    --------
    >>> c = np.array([1.0, 2.0, 3.0])
    >>> cci(c, c, c, timeperiod=3).round(6).tolist()
    [nan, nan, 100.0]
    """
    p = check_period("timeperiod", timeperiod, 2)
    return run_into(ko.cci_into_nb, {"high": high, "low": low, "close": close}, p, names=("cci",))


def aroon(high, low, timeperiod: int = 14):
    """Aroon (TA-Lib ``AROON``): ``(aroondown, aroonup)`` over timeperiod+1 bars.

    Examples
    --------
    >>> h = np.arange(1.0, 6.0)
    >>> [v.tolist()[-1] for v in aroon(h, h - 1, timeperiod=2)]
    [0.0, 100.0]
    """
    p = check_period("timeperiod", timeperiod, 2)
    return run(ko.aroon_nb, {"high": high, "low": low}, p, names=("aroondown", "aroonup"))


def aroonosc(high, low, timeperiod: int = 14):
    """Aroon oscillator, aroonup - aroondown (TA-Lib ``AROONOSC``).

    Examples
    --------
    >>> h = np.arange(1.0, 6.0)
    >>> aroonosc(h, h - 1, timeperiod=2).tolist()[-1]
    100.0
    """
    p = check_period("timeperiod", timeperiod, 2)
    return run(ko.aroonosc_nb, {"high": high, "low": low}, p, names=("aroonosc",))


def ultosc(high, low, close, timeperiod1: int = 7, timeperiod2: int = 14, timeperiod3: int = 28):
    """Ultimate oscillator (TA-Lib ``ULTOSC``); like TA-Lib the periods are sorted so that the shortest
    gets weight 4 and the longest weight 1.

    Examples
    --------
    >>> c = np.arange(1.0, 40.0)
    >>> round(float(ultosc(c + 1, c - 1, c)[-1]), 2)
    50.0
    """
    ps = sorted(check_period(f"timeperiod{i}", p, 1) for i, p in enumerate((timeperiod1, timeperiod2, timeperiod3), 1))
    return run(ko.ultosc_nb, {"high": high, "low": low, "close": close}, *ps, names=("ultosc",))


def bop(open, high, low, close):  # noqa: A002 - TA-Lib's parameter name
    """Balance of power, (close - open)/(high - low) (TA-Lib ``BOP``).

    Examples
    --------
    >>> bop(np.array([1.0]), np.array([3.0]), np.array([1.0]), np.array([2.0])).tolist()
    [0.5]
    """
    return run(ko.bop_nb, {"open": open, "high": high, "low": low, "close": close}, names=("bop",))
