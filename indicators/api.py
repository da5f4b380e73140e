"""TA-Lib compatible overlap studies (moving averages, Bollinger bands) over the numba kernels.

Names, parameter names, defaults, output order and NaN warm-up follow the installed TA-Lib (0.8), so that
``from tradeforge import indicators as ta`` can replace ``import talib as ta`` (lower-case names).
Input conventions (dtypes, Series in/Series out, leading NaNs) are described in ``_wrap``.
"""

from __future__ import annotations

import numpy as np  # noqa: F401  (used by the docstring examples)

from . import _kernels as k
from . import _kernels_ma as km
from . import _kernels_vol as kv
from ._wrap import check_float, check_matype, check_period, run, run_into

__all__ = ["sma", "ema", "wma", "dema", "tema", "trima", "kama", "t3", "ma", "bbands"]


def _ma_like(kernel, real, timeperiod: int, minimum: int, name: str, into: bool = False):
    p = check_period("timeperiod", timeperiod, minimum)
    return (run_into if into else run)(kernel, {"real": real}, p, names=(name,))


def sma(real, timeperiod: int = 30):
    """Simple moving average (TA-Lib ``SMA``).

    Examples
    --------
    >>> sma(np.arange(1.0, 6.0), timeperiod=3).round(2).tolist()
    [nan, nan, 2.0, 3.0, 4.0]
    """
    return _ma_like(k.sma_into_nb, real, timeperiod, 1, "sma", into=True)


def ema(real, timeperiod: int = 30):
    """Exponential moving average (TA-Lib ``EMA``), seeded with the first period's SMA.

    Examples
    --------
    >>> ema(np.arange(1.0, 6.0), timeperiod=3).round(2).tolist()
    [nan, nan, 2.0, 3.0, 4.0]
    """
    return _ma_like(k.ema_into_nb, real, timeperiod, 1, "ema", into=True)


def wma(real, timeperiod: int = 30):
    """Linearly weighted moving average (TA-Lib ``WMA``).

    Examples
    --------
    >>> wma(np.array([1.0, 2.0, 3.0]), timeperiod=2).round(4).tolist()
    [nan, 1.6667, 2.6667]
    """
    return _ma_like(km.wma_nb, real, timeperiod, 1, "wma")


def dema(real, timeperiod: int = 30):
    """Double exponential moving average (TA-Lib ``DEMA``), warm-up 2*(timeperiod-1).

    Examples
    --------
    >>> int(np.isnan(dema(np.arange(20.0), timeperiod=5)).sum())
    8
    """
    return _ma_like(km.dema_nb, real, timeperiod, 2, "dema")


def tema(real, timeperiod: int = 30):
    """Triple exponential moving average (TA-Lib ``TEMA``), warm-up 3*(timeperiod-1).

    Examples
    --------
    >>> float(tema(np.arange(20.0), timeperiod=3)[-1])
    19.0
    """
    return _ma_like(km.tema_nb, real, timeperiod, 2, "tema")


def trima(real, timeperiod: int = 30):
    """Triangular moving average (TA-Lib ``TRIMA``).

    Examples
    --------
    >>> trima(np.arange(1.0, 6.0), timeperiod=3).tolist()
    [nan, nan, 2.0, 3.0, 4.0]
    """
    return _ma_like(km.trima_nb, real, timeperiod, 2, "trima")


def kama(real, timeperiod: int = 30):
    """Kaufman adaptive moving average (TA-Lib ``KAMA``), warm-up timeperiod.

    Examples
    --------
    >>> int(np.isnan(kama(np.arange(40.0), timeperiod=10)).sum())
    10
    """
    return _ma_like(km.kama_nb, real, timeperiod, 2, "kama")


def t3(real, timeperiod: int = 5, vfactor: float = 0.7):
    """Tillson T3 moving average (TA-Lib ``T3``), warm-up 6*(timeperiod-1).

    Examples
    --------
    >>> int(np.isnan(t3(np.arange(40.0))).sum())
    24
    """
    p = check_period("timeperiod", timeperiod, 2)
    return run(km.t3_nb, {"real": real}, p, check_float("vfactor", vfactor), names=("t3",))


def ma(real, timeperiod: int = 30, matype: int = 0):
    """Moving average of TA-Lib type *matype* (TA-Lib ``MA``): 0 SMA, 1 EMA, 2 WMA, 3 DEMA, 4 TEMA,
    5 TRIMA, 6 KAMA, 8 T3 (vfactor 0.7). Other codes raise ConfigError.

    Examples
    --------
    >>> ma(np.arange(1.0, 6.0), timeperiod=3, matype=0).tolist()
    [nan, nan, 2.0, 3.0, 4.0]
    """
    p = check_period("timeperiod", timeperiod, 1)
    return run(km.ma_nb, {"real": real}, p, check_matype("matype", matype), names=("ma",))


def bbands(real, timeperiod: int = 20, nbdevup: float = 2.0, nbdevdn: float = 2.0, matype: int = 0):
    """Bollinger bands (TA-Lib ``BBANDS``): ``(upperband, middleband, lowerband)``.

    The middle band is a TA-Lib MA of type *matype*; the bands add/subtract the population standard
    deviation times nbdevup/nbdevdn. The default timeperiod is 20, as in TA-Lib 0.8.

    Examples
    --------
    >>> up, mid, low = bbands(np.array([1.0, 2, 3, 4]), timeperiod=2, nbdevup=1, nbdevdn=1)
    >>> up.tolist(), mid.tolist(), low.tolist()
    ([nan, 2.0, 3.0, 4.0], [nan, 1.5, 2.5, 3.5], [nan, 1.0, 2.0, 3.0])
    """
    return run_into(
        kv.bbands_into_nb,
        {"real": real},
        check_period("timeperiod", timeperiod, 1),
        check_float("nbdevup", nbdevup),
        check_float("nbdevdn", nbdevdn),
        check_matype("matype", matype),
        names=("upperband", "middleband", "lowerband"),
    )
