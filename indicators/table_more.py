"""The indicator table, second half: volatility, directional movement, volume and the extras.

Entries beyond TA-Lib's classic set (``rolling_vwap`` ... ``realized_vol``) state their conventions versus
pandas-ta in their docstrings. :mod:`tradeforge.indicators.table` assembles both halves.
"""

from __future__ import annotations

from . import _kernels_extra as kx
from . import _kernels_vol as kv
from . import _kernels_volume as kvo
from .spec import Indicator, Param


def _period_only(values: tuple) -> tuple:
    """VAR's kernel takes the period only: TA-Lib accepts nbdev and ignores it."""
    return values[:1]


STDDEV = Indicator(
    "stddev", kv.stddev_into_nb, ("real",), (Param("timeperiod", 5), Param("nbdev", 1.0, "float"),),
    ("stddev",), lambda p: p["timeperiod"] - 1,
    into=True, scans=True,
    doc="""Population standard deviation times nbdev (TA-Lib ``STDDEV``).

    Examples
    --------
    >>> stddev(np.array([1.0, 3.0, 1.0]), timeperiod=2).tolist()
    [nan, 1.0, 1.0]
    """,
)

VAR = Indicator(
    "var", kv.var_into_nb, ("real",), (Param("timeperiod", 5), Param("nbdev", 1.0, "float"),),
    ("var",), lambda p: p["timeperiod"] - 1,
    into=True, scans=True, adapt=_period_only,
    doc="""Population variance (TA-Lib ``VAR``; like TA-Lib, nbdev is accepted and ignored).

    Examples
    --------
    >>> var(np.array([1.0, 3.0, 1.0]), timeperiod=2).tolist()
    [nan, 1.0, 1.0]
    """,
)

TRANGE = Indicator(
    "trange", kv.trange_into_nb, ("high", "low", "close"), (),
    ("trange",), lambda p: 1,
    into=True, scans=True,
    doc="""True range (TA-Lib ``TRANGE``), NaN at the first bar.

    Examples
    --------
    >>> trange(np.array([2.0, 3.0]), np.array([1.0, 2.5]), np.array([1.5, 2.8])).tolist()
    [nan, 1.5]
    """,
)

ATR = Indicator(
    "atr", kv.atr_into_nb, ("high", "low", "close"), (Param("timeperiod", 14),),
    ("atr",), lambda p: p["timeperiod"],
    into=True, scans=True,
    doc="""Average true range (TA-Lib ``ATR``): SMA seed of the first timeperiod true ranges, then Wilder.

    Examples
    --------
    >>> h, l, c = np.array([2.0, 3, 4]), np.array([1.0, 2, 3]), np.array([1.5, 2.5, 3.5])
    >>> atr(h, l, c, timeperiod=2).tolist()
    [nan, nan, 1.5]
    """,
)

NATR = Indicator(
    "natr", kv.natr_into_nb, ("high", "low", "close"), (Param("timeperiod", 14),),
    ("natr",), lambda p: p["timeperiod"],
    into=True, scans=True,
    doc="""Normalised ATR, 100 * ATR / close (TA-Lib ``NATR``).

    Examples
    --------
    >>> h, l, c = np.array([2.0, 3, 4]), np.array([1.0, 2, 3]), np.array([1.5, 2.5, 3.0])
    >>> natr(h, l, c, timeperiod=2).tolist()
    [nan, nan, 50.0]
    """,
)

PLUS_DI = Indicator(
    "plus_di", kv.di_into_nb, ("high", "low", "close"), (Param("timeperiod", 14, minimum=2),),
    ("plus_di",), lambda p: p["timeperiod"],
    into=True, scans=True, extra=(True,),
    doc="""Plus directional indicator (TA-Lib ``PLUS_DI``); timeperiod >= 2.

    Examples
    --------
    >>> h = np.arange(10.0) + 1; l = h - 1
    >>> round(float(plus_di(h, l, h - 0.5, timeperiod=3)[-1]), 2)
    66.67
    """,
)

MINUS_DI = Indicator(
    "minus_di", kv.di_into_nb, ("high", "low", "close"), (Param("timeperiod", 14, minimum=2),),
    ("minus_di",), lambda p: p["timeperiod"],
    into=True, scans=True, extra=(False,),
    doc="""Minus directional indicator (TA-Lib ``MINUS_DI``); timeperiod >= 2.

    Examples
    --------
    >>> h = np.arange(10.0) + 1; l = h - 1
    >>> float(minus_di(h, l, h - 0.5, timeperiod=3)[-1])
    0.0
    """,
)

DX = Indicator(
    "dx", kv.dx_into_nb, ("high", "low", "close"), (Param("timeperiod", 14, minimum=2),),
    ("dx",), lambda p: p["timeperiod"],
    into=True, scans=True,
    doc="""Directional movement index (TA-Lib ``DX``).

    Examples
    --------
    >>> h = np.arange(10.0) + 1; l = h - 1
    >>> float(dx(h, l, h - 0.5, timeperiod=3)[-1])
    100.0
    """,
)

ADX = Indicator(
    "adx", kv.adx_into_nb, ("high", "low", "close"), (Param("timeperiod", 14, minimum=2),),
    ("adx",), lambda p: 2 * p["timeperiod"] - 1,
    into=True, scans=True,
    doc="""Average directional movement index (TA-Lib ``ADX``), warm-up 2*timeperiod-1.

    Examples
    --------
    >>> h = np.arange(10.0) + 1; l = h - 1
    >>> float(adx(h, l, h - 0.5, timeperiod=3)[-1])
    100.0
    """,
)

ADXR = Indicator(
    "adxr", kv.adxr_into_nb, ("high", "low", "close"), (Param("timeperiod", 14, minimum=2),),
    ("adxr",), lambda p: 3 * p["timeperiod"] - 2,
    into=True, scans=True,
    doc="""ADX rating, mean of ADX now and timeperiod-1 bars ago (TA-Lib ``ADXR``), warm-up 3*timeperiod-2.

    Examples
    --------
    >>> h = np.arange(12.0) + 1; l = h - 1
    >>> float(adxr(h, l, h - 0.5, timeperiod=3)[-1])
    100.0
    """,
)

OBV = Indicator(
    "obv", kvo.obv_into_nb, ("real", "volume"), (),
    ("obv",), lambda p: 0,
    into=True, scans=True,
    doc="""On-balance volume (TA-Lib ``OBV``), starting at the first bar's volume.

    Examples
    --------
    >>> obv(np.array([1.0, 2.0, 1.0]), np.array([10.0, 20.0, 5.0])).tolist()
    [10.0, 30.0, 25.0]
    """,
)

AD = Indicator(
    "ad", kvo.ad_into_nb, ("high", "low", "close", "volume"), (),
    ("ad",), lambda p: 0,
    into=True, scans=True,
    doc="""Chaikin accumulation/distribution line (TA-Lib ``AD``).

    Examples
    --------
    >>> ad(np.array([2.0, 2.0]), np.array([0.0, 0.0]), np.array([2.0, 0.0]), np.array([5.0, 5.0])).tolist()
    [5.0, 0.0]
    """,
)

ADOSC = Indicator(
    "adosc", kvo.adosc_into_nb, ("high", "low", "close", "volume"), (
        Param("fastperiod", 3, minimum=2), Param("slowperiod", 10, minimum=2),
    ),
    ("adosc",), lambda p: max(p["fastperiod"], p["slowperiod"]) - 1,
    into=True, scans=True,
    doc="""Chaikin A/D oscillator, EMA(AD, fast) - EMA(AD, slow) (TA-Lib ``ADOSC``).

    Examples
    --------
    >>> c = np.arange(1.0, 21.0)
    >>> int(np.isnan(adosc(c + 1, c - 1, c + 0.5, np.ones(20))).sum())
    9
    """,
)

MFI = Indicator(
    "mfi", kvo.mfi_into_nb, ("high", "low", "close", "volume"), (Param("timeperiod", 14, minimum=2),),
    ("mfi",), lambda p: p["timeperiod"],
    into=True, scans=True,
    doc="""Money flow index (TA-Lib ``MFI``).

    Examples
    --------
    >>> c = np.arange(1.0, 10.0)
    >>> float(mfi(c + 1, c - 1, c, np.ones(9), timeperiod=3)[-1])
    100.0
    """,
)

ROLLING_VWAP = Indicator(
    "rolling_vwap", kx.vwap_rolling_nb, ("high", "low", "close", "volume"), (Param("timeperiod", 20),),
    ("rolling_vwap",), lambda p: p["timeperiod"] - 1,
    doc="""VWAP of the typical price over the last timeperiod bars.

    Examples
    --------
    >>> h = np.array([2.0, 4.0, 6.0]); v = np.array([1.0, 1.0, 2.0])
    >>> rolling_vwap(h, h, h, v, timeperiod=2).round(4).tolist()
    [nan, 3.0, 5.3333]
    """,
)

RVOL = Indicator(
    "rvol", kx.rvol_into_nb, ("volume",), (Param("timeperiod", 20),),
    ("rvol",), lambda p: p["timeperiod"],
    into=True, scans=True,
    doc="""Relative volume, volume / mean volume of the previous timeperiod bars (TA-Lib 0.8 ``RVOL``).

    Examples
    --------
    >>> rvol(np.array([1.0, 1.0, 3.0]), timeperiod=2).tolist()
    [nan, nan, 3.0]
    """,
)

KELTNER = Indicator(
    "keltner", kx.keltner_nb, ("high", "low", "close"), (
        Param("timeperiod", 20), Param("atrperiod", 10), Param("nbdev", 2.0, "float"),
    ),
    ("upperband", "middleband", "lowerband"), lambda p: max(p["timeperiod"] - 1, p["atrperiod"]),
    doc="""Keltner channel ``(upperband, middleband, lowerband)``: EMA(close, timeperiod) +- nbdev * ATR.

    The ATR is TA-Lib's Wilder ATR(atrperiod). pandas-ta ``kc`` has the same middle band but builds its
    bands from an EMA of the true range over ``length``; TA-Lib 0.8 ``KC`` uses yet another basis.

    Examples
    --------
    >>> c = np.arange(1.0, 31.0)
    >>> [round(float(b[-1]), 2) for b in keltner(c + 1, c - 1, c)]
    [24.5, 20.5, 16.5]
    """,
)

DONCHIAN = Indicator(
    "donchian", kx.donchian_into_nb, ("high", "low"), (Param("timeperiod", 20),),
    ("upperband", "middleband", "lowerband"), lambda p: p["timeperiod"] - 1,
    into=True, scans=True,
    doc="""Donchian channel ``(upperband, middleband, lowerband)`` (TA-Lib 0.8 ``DONCHIAN``, pandas-ta
    ``donchian`` with equal lengths).

    Examples
    --------
    >>> h = np.array([3.0, 5.0, 4.0])
    >>> [b.tolist() for b in donchian(h, h - 2, timeperiod=2)]
    [[nan, 5.0, 5.0], [nan, 3.0, 3.5], [nan, 1.0, 2.0]]
    """,
)

ZSCORE = Indicator(
    "zscore", kx.zscore_nb, ("real",), (Param("timeperiod", 20, minimum=2),),
    ("zscore",), lambda p: p["timeperiod"] - 1,
    doc="""Rolling z-score, (real - SMA) / population std (pandas-ta ``zscore``); NaN where the std is 0.

    Examples
    --------
    >>> zscore(np.array([1.0, 3.0, 1.0]), timeperiod=2).tolist()
    [nan, 1.0, -1.0]
    """,
)

LOGRET = Indicator(
    "logret", kx.logret_nb, ("real",), (Param("timeperiod", 1),),
    ("logret",), lambda p: p["timeperiod"],
    positive=True,
    doc="""Log return over timeperiod bars, log(real / real[-timeperiod]) (pandas-ta ``log_return``).

    Examples
    --------
    >>> logret(np.array([1.0, np.e])).tolist()
    [nan, 1.0]
    """,
)

REALIZED_VOL = Indicator(
    "realized_vol", kx.realized_vol_nb, ("real",), (
        Param("timeperiod", 20), Param("periods_per_year", 1.0, "positive"),
    ),
    ("realized_vol",), lambda p: p["timeperiod"],
    positive=True,
    doc="""Realized volatility: sqrt(periods_per_year * mean of the last timeperiod squared one-bar log
    returns); not mean-adjusted (the usual high-frequency convention). 252 annualises daily bars.

    Examples
    --------
    >>> realized_vol(np.exp(np.array([0.0, 0.1, 0.0])), timeperiod=2).round(6).tolist()
    [nan, nan, 0.1]
    """,
)
