"""The indicator table: one :class:`~tradeforge.indicators.spec.Indicator` entry per public function.

Names, parameter names, defaults, output order and NaN warm-up follow the installed TA-Lib (0.8), so that
``from tradeforge import indicators as ta`` can replace ``import talib as ta`` (lower-case names); the
extras after ``mfi`` go beyond TA-Lib's classic set (conventions versus pandas-ta in each docstring).
The checked functions (:mod:`tradeforge.indicators`), their unchecked twins
(:mod:`tradeforge.indicators.kernels`) and the feature registry are all derived from :data:`INDICATORS`.
"""

from __future__ import annotations

from collections.abc import Mapping

from . import _kernels as k
from . import _kernels_ma as km
from . import _kernels_osc as ko
from . import _kernels_vol as kv
from .spec import Indicator, Param
from .table_more import (
    AD,
    ADOSC,
    ADX,
    ADXR,
    ATR,
    DONCHIAN,
    DX,
    KELTNER,
    LOGRET,
    MFI,
    MINUS_DI,
    NATR,
    OBV,
    PLUS_DI,
    REALIZED_VOL,
    ROLLING_VWAP,
    RVOL,
    STDDEV,
    TRANGE,
    VAR,
    ZSCORE,
)


def ma_lookback(period: int, matype: int) -> int:
    """TA-Lib ``MA`` lookback of a moving-average type (0 SMA, 1 EMA, 2 WMA, 3 DEMA, 4 TEMA, ...)."""
    return {3: 2 * (period - 1), 4: 3 * (period - 1), 6: period, 7: 32, 8: 6 * (period - 1)}.get(
        matype, period - 1
    )

def _sorted(values: tuple) -> tuple:
    """ULTOSC's periods shortest first, as TA-Lib sorts them (the shortest gets weight 4)."""
    return tuple(sorted(values))

SMA = Indicator(
    "sma", k.sma_into_nb, ("real",), (Param("timeperiod", 30),),
    ("sma",), lambda p: p["timeperiod"] - 1,
    into=True, scans=True,
    doc="""Simple moving average (TA-Lib ``SMA``).

    Examples
    --------
    >>> sma(np.arange(1.0, 6.0), timeperiod=3).round(2).tolist()
    [nan, nan, 2.0, 3.0, 4.0]
    """,
)

EMA = Indicator(
    "ema", k.ema_into_nb, ("real",), (Param("timeperiod", 30),),
    ("ema",), lambda p: p["timeperiod"] - 1,
    into=True, scans=True,
    doc="""Exponential moving average (TA-Lib ``EMA``), seeded with the first period's SMA.

    Examples
    --------
    >>> ema(np.arange(1.0, 6.0), timeperiod=3).round(2).tolist()
    [nan, nan, 2.0, 3.0, 4.0]
    """,
)

WMA = Indicator(
    "wma", km.wma_into_nb, ("real",), (Param("timeperiod", 30),),
    ("wma",), lambda p: p["timeperiod"] - 1,
    into=True, scans=True,
    doc="""Linearly weighted moving average (TA-Lib ``WMA``).

    Examples
    --------
    >>> wma(np.array([1.0, 2.0, 3.0]), timeperiod=2).round(4).tolist()
    [nan, 1.6667, 2.6667]
    """,
)

DEMA = Indicator(
    "dema", km.ema_stack_into_nb, ("real",), (Param("timeperiod", 30, minimum=2),),
    ("dema",), lambda p: 2 * (p["timeperiod"] - 1),
    into=True, scans=True, extra=(0,),
    doc="""Double exponential moving average (TA-Lib ``DEMA``), warm-up 2*(timeperiod-1).

    Examples
    --------
    >>> int(np.isnan(dema(np.arange(20.0), timeperiod=5)).sum())
    8
    """,
)

TEMA = Indicator(
    "tema", km.ema_stack_into_nb, ("real",), (Param("timeperiod", 30, minimum=2),),
    ("tema",), lambda p: 3 * (p["timeperiod"] - 1),
    into=True, scans=True, extra=(1,),
    doc="""Triple exponential moving average (TA-Lib ``TEMA``), warm-up 3*(timeperiod-1).

    Examples
    --------
    >>> float(tema(np.arange(20.0), timeperiod=3)[-1])
    19.0
    """,
)

TRIMA = Indicator(
    "trima", km.trima_into_nb, ("real",), (Param("timeperiod", 30, minimum=2),),
    ("trima",), lambda p: p["timeperiod"] - 1,
    into=True, scans=True,
    doc="""Triangular moving average (TA-Lib ``TRIMA``).

    Examples
    --------
    >>> trima(np.arange(1.0, 6.0), timeperiod=3).tolist()
    [nan, nan, 2.0, 3.0, 4.0]
    """,
)

KAMA = Indicator(
    "kama", km.kama_into_nb, ("real",), (Param("timeperiod", 30, minimum=2),),
    ("kama",), lambda p: p["timeperiod"],
    into=True, scans=True,
    doc="""Kaufman adaptive moving average (TA-Lib ``KAMA``), warm-up timeperiod.

    Examples
    --------
    >>> int(np.isnan(kama(np.arange(40.0), timeperiod=10)).sum())
    10
    """,
)

T3 = Indicator(
    "t3", km.t3_into_nb, ("real",), (Param("timeperiod", 5, minimum=2), Param("vfactor", 0.7, "float"),),
    ("t3",), lambda p: 6 * (p["timeperiod"] - 1),
    into=True, scans=True,
    doc="""Tillson T3 moving average (TA-Lib ``T3``), warm-up 6*(timeperiod-1).

    Examples
    --------
    >>> int(np.isnan(t3(np.arange(40.0))).sum())
    24
    """,
)

MA = Indicator(
    "ma", km.ma_into_nb, ("real",), (Param("timeperiod", 30), Param("matype", 0, "matype"),),
    ("ma",), lambda p: ma_lookback(p["timeperiod"], p["matype"]),
    into=True, scans=True,
    doc="""Moving average of TA-Lib type *matype* (TA-Lib ``MA``): 0 SMA, 1 EMA, 2 WMA, 3 DEMA, 4 TEMA,
    5 TRIMA, 6 KAMA, 8 T3 (vfactor 0.7). Other codes raise ConfigError.

    Examples
    --------
    >>> ma(np.arange(1.0, 6.0), timeperiod=3, matype=0).tolist()
    [nan, nan, 2.0, 3.0, 4.0]
    """,
)

BBANDS = Indicator(
    "bbands", kv.bbands_into_nb, ("real",), (
        Param("timeperiod", 20), Param("nbdevup", 2.0, "float"), Param("nbdevdn", 2.0, "float"),
        Param("matype", 0, "matype"),
    ),
    ("upperband", "middleband", "lowerband"), lambda p: ma_lookback(p["timeperiod"], p["matype"]),
    into=True, scans=True,
    doc="""Bollinger bands (TA-Lib ``BBANDS``): ``(upperband, middleband, lowerband)``.

    The middle band is a TA-Lib MA of type *matype*; the bands add/subtract the population standard
    deviation times nbdevup/nbdevdn. The default timeperiod is 20, as in TA-Lib 0.8.

    Examples
    --------
    >>> up, mid, low = bbands(np.array([1.0, 2, 3, 4]), timeperiod=2, nbdevup=1, nbdevdn=1)
    >>> up.tolist(), mid.tolist(), low.tolist()
    ([nan, 2.0, 3.0, 4.0], [nan, 1.5, 2.5, 3.5], [nan, 1.0, 2.0, 3.0])
    """,
)

MACD = Indicator(
    "macd", ko.macd_into_nb, ("real",), (
        Param("fastperiod", 12, minimum=2), Param("slowperiod", 26, minimum=2), Param("signalperiod", 9),
    ),
    ("macd", "macdsignal", "macdhist"),
    lambda p: (
        max(p["fastperiod"], p["slowperiod"]) - 1 + p["signalperiod"] - 1
    ),
    into=True, scans=True,
    doc="""Moving average convergence/divergence (TA-Lib ``MACD``): ``(macd, macdsignal, macdhist)``.

    All three start at (slowperiod-1)+(signalperiod-1); the periods are swapped if slow < fast.

    Examples
    --------
    >>> line, signal, hist = macd(np.linspace(1.0, 2.0, 40))
    >>> int(np.isnan(line).sum()), bool(line[-1] > 0)
    (33, True)
    """,
)

PPO = Indicator(
    "ppo", ko.po_into_nb, ("real",), (
        Param("fastperiod", 12, minimum=2), Param("slowperiod", 26, minimum=2), Param("matype", 1, "matype"),
    ),
    ("ppo",), lambda p: ma_lookback(max(p["fastperiod"], p["slowperiod"]), p["matype"]),
    into=True, scans=True, extra=(True,),
    doc="""Percentage price oscillator, 100*(fast MA - slow MA)/slow MA (TA-Lib ``PPO``).

    The default matype 1 (EMA) is TA-Lib 0.8's.

    Examples
    --------
    >>> round(float(ppo(np.arange(1.0, 41.0), 2, 4, matype=0)[-1]), 4)
    2.5974
    """,
)

APO = Indicator(
    "apo", ko.po_into_nb, ("real",), (
        Param("fastperiod", 12, minimum=2), Param("slowperiod", 26, minimum=2), Param("matype", 1, "matype"),
    ),
    ("apo",), lambda p: ma_lookback(max(p["fastperiod"], p["slowperiod"]), p["matype"]),
    into=True, scans=True, extra=(False,),
    doc="""Absolute price oscillator, fast MA - slow MA (TA-Lib ``APO``).

    The default matype 1 (EMA) is TA-Lib 0.8's.

    Examples
    --------
    >>> float(apo(np.arange(1.0, 41.0), 2, 4, matype=0)[-1])
    1.0
    """,
)

RSI = Indicator(
    "rsi", k.rsi_into_nb, ("real",), (Param("timeperiod", 14, minimum=2),),
    ("rsi",), lambda p: p["timeperiod"],
    into=True, scans=True,
    doc="""Relative strength index (TA-Lib ``RSI``) with Wilder smoothing.

    Examples
    --------
    >>> float(rsi(np.array([1.0, 2, 3, 2, 3]), timeperiod=2)[-1]) > 50
    True
    """,
)

CMO = Indicator(
    "cmo", ko.cmo_into_nb, ("real",), (Param("timeperiod", 14, minimum=2),),
    ("cmo",), lambda p: p["timeperiod"],
    into=True, scans=True,
    doc="""Chande momentum oscillator (TA-Lib ``CMO``).

    Examples
    --------
    >>> float(cmo(np.arange(10.0), timeperiod=3)[-1])
    100.0
    """,
)

ROC = Indicator(
    "roc", ko.roc_into_nb, ("real",), (Param("timeperiod", 10),),
    ("roc",), lambda p: p["timeperiod"],
    into=True, scans=True,
    doc="""Rate of change in percent, (real/real[-timeperiod] - 1)*100 (TA-Lib ``ROC``).

    Examples
    --------
    >>> roc(np.array([1.0, 2.0, 3.0]), timeperiod=1).tolist()
    [nan, 100.0, 50.0]
    """,
)

MOM = Indicator(
    "mom", ko.mom_into_nb, ("real",), (Param("timeperiod", 10),),
    ("mom",), lambda p: p["timeperiod"],
    into=True, scans=True,
    doc="""Momentum, real - real[-timeperiod] (TA-Lib ``MOM``).

    Examples
    --------
    >>> mom(np.array([1.0, 2.0, 4.0]), timeperiod=1).tolist()
    [nan, 1.0, 2.0]
    """,
)

TRIX = Indicator(
    "trix", km.ema_stack_into_nb, ("real",), (Param("timeperiod", 30),),
    ("trix",), lambda p: 3 * (p["timeperiod"] - 1) + 1,
    into=True, scans=True, extra=(2,),
    doc="""One-bar rate of change of a triple EMA (TA-Lib ``TRIX``), warm-up 3*(timeperiod-1)+1.

    Examples
    --------
    >>> int(np.isnan(trix(np.arange(1.0, 30.0), timeperiod=5)).sum())
    13
    """,
)

STOCH = Indicator(
    "stoch", ko.stoch_into_nb, ("high", "low", "close"), (
        Param("fastk_period", 5), Param("slowk_period", 3), Param("slowk_matype", 0, "matype"),
        Param("slowd_period", 3), Param("slowd_matype", 0, "matype"),
    ),
    ("slowk", "slowd"),
    lambda p: (
        p["fastk_period"] - 1 + ma_lookback(p["slowk_period"], p["slowk_matype"])
        + ma_lookback(p["slowd_period"], p["slowd_matype"])
    ),
    into=True, scans=True,
    doc="""Slow stochastic (TA-Lib ``STOCH``): ``(slowk, slowd)``.

    Examples
    --------
    >>> c = np.arange(1.0, 21.0)
    >>> [round(float(v[-1]), 2) for v in stoch(c + 1, c - 1, c)]
    [83.33, 83.33]
    """,
)

STOCHF = Indicator(
    "stochf", ko.stochf_into_nb, ("high", "low", "close"), (
        Param("fastk_period", 5), Param("fastd_period", 3), Param("fastd_matype", 0, "matype"),
    ),
    ("fastk", "fastd"), lambda p: p["fastk_period"] - 1 + ma_lookback(p["fastd_period"], p["fastd_matype"]),
    into=True, scans=True,
    doc="""Fast stochastic (TA-Lib ``STOCHF``): ``(fastk, fastd)``.

    Examples
    --------
    >>> c = np.arange(1.0, 21.0)
    >>> [round(float(v[-1]), 2) for v in stochf(c + 1, c - 1, c)]
    [83.33, 83.33]
    """,
)

STOCHRSI = Indicator(
    "stochrsi", ko.stochrsi_into_nb, ("real",), (
        Param("timeperiod", 14, minimum=2), Param("fastk_period", 5), Param("fastd_period", 3),
        Param("fastd_matype", 0, "matype"),
    ),
    ("fastk", "fastd"),
    lambda p: (
        p["timeperiod"] + p["fastk_period"] - 1 + ma_lookback(p["fastd_period"], p["fastd_matype"])
    ),
    into=True, scans=True,
    doc="""Stochastic RSI (TA-Lib ``STOCHRSI``): ``(fastk, fastd)`` of ``STOCHF`` over ``RSI``.

    Examples
    --------
    >>> k, d = stochrsi(np.sin(np.arange(60.0) / 3) + 5)
    >>> int(np.isnan(k).sum())
    20
    """,
)

WILLR = Indicator(
    "willr", ko.willr_into_nb, ("high", "low", "close"), (Param("timeperiod", 14, minimum=2),),
    ("willr",), lambda p: p["timeperiod"] - 1,
    into=True, scans=True,
    doc="""Williams' %R, from -100 (close at the low) to 0 (close at the high) (TA-Lib ``WILLR``).

    Examples
    --------
    >>> willr(np.array([2.0, 3.0]), np.array([1.0, 1.0]), np.array([1.5, 3.0]), timeperiod=2).tolist()
    [nan, -0.0]
    """,
)

CCI = Indicator(
    "cci", ko.cci_into_nb, ("high", "low", "close"), (Param("timeperiod", 14, minimum=2),),
    ("cci",), lambda p: p["timeperiod"] - 1,
    into=True, scans=True,
    doc="""Commodity channel index (TA-Lib ``CCI``).

    Examples
    --------
    >>> c = np.array([1.0, 2.0, 3.0])
    >>> cci(c, c, c, timeperiod=3).round(6).tolist()
    [nan, nan, 100.0]
    """,
)

AROON = Indicator(
    "aroon", ko.aroon_into_nb, ("high", "low"), (Param("timeperiod", 14, minimum=2),),
    ("aroondown", "aroonup"), lambda p: p["timeperiod"],
    into=True, scans=True,
    doc="""Aroon (TA-Lib ``AROON``): ``(aroondown, aroonup)`` over timeperiod+1 bars.

    Examples
    --------
    >>> h = np.arange(1.0, 6.0)
    >>> [v.tolist()[-1] for v in aroon(h, h - 1, timeperiod=2)]
    [0.0, 100.0]
    """,
)

AROONOSC = Indicator(
    "aroonosc", ko.aroonosc_into_nb, ("high", "low"), (Param("timeperiod", 14, minimum=2),),
    ("aroonosc",), lambda p: p["timeperiod"],
    into=True, scans=True,
    doc="""Aroon oscillator, aroonup - aroondown (TA-Lib ``AROONOSC``).

    Examples
    --------
    >>> h = np.arange(1.0, 6.0)
    >>> aroonosc(h, h - 1, timeperiod=2).tolist()[-1]
    100.0
    """,
)

ULTOSC = Indicator(
    "ultosc", ko.ultosc_into_nb, ("high", "low", "close"), (
        Param("timeperiod1", 7), Param("timeperiod2", 14), Param("timeperiod3", 28),
    ),
    ("ultosc",), lambda p: max(p["timeperiod1"], p["timeperiod2"], p["timeperiod3"]),
    into=True, scans=True, adapt=_sorted,
    doc="""Ultimate oscillator (TA-Lib ``ULTOSC``); like TA-Lib the periods are sorted so that the shortest
    gets weight 4 and the longest weight 1.

    Examples
    --------
    >>> c = np.arange(1.0, 40.0)
    >>> round(float(ultosc(c + 1, c - 1, c)[-1]), 2)
    50.0
    """,
)

BOP = Indicator(
    "bop", ko.bop_into_nb, ("open", "high", "low", "close"), (),
    ("bop",), lambda p: 0,
    into=True, scans=True,
    doc="""Balance of power, (close - open)/(high - low) (TA-Lib ``BOP``).

    Examples
    --------
    >>> bop(np.array([1.0]), np.array([3.0]), np.array([1.0]), np.array([2.0])).tolist()
    [0.5]
    """,
)

#: Every indicator, in the order of the public ``__all__``.
INDICATORS: Mapping[str, Indicator] = {ind.name: ind for ind in (
    SMA, EMA, WMA, DEMA, TEMA, TRIMA, KAMA, T3, MA, BBANDS, MACD, PPO, APO, RSI, CMO, ROC, MOM, TRIX, STOCH,
    STOCHF, STOCHRSI, WILLR, CCI, AROON, AROONOSC, ULTOSC, BOP, STDDEV, VAR, TRANGE, ATR, NATR, PLUS_DI,
    MINUS_DI, DX, ADX, ADXR, OBV, AD, ADOSC, MFI, ROLLING_VWAP, RVOL, KELTNER, DONCHIAN, ZSCORE, LOGRET,
    REALIZED_VOL,
)}
