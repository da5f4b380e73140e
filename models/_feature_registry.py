"""The functions a :class:`~tradeforge.models.features.FeatureSpec` may name.

Three families share one interface (default input columns, default parameters, output names, a
lookback formula, and ``compute(*arrays, **params) -> tuple[ndarray, ...]``):

* TA-Lib functions (``rsi``, ``macd``, ...) of :mod:`tradeforge.indicators`, computed through
  its unchecked fast path :mod:`tradeforge.indicators.kernels` (bitwise the same values): the
  frame is validated once per transform and the parameters once per spec (``check``, which runs the
  checked indicator on a two-bar probe), so no call pays the per-call checks (25-120 us, more than
  the kernel on 500 bars). Lookbacks follow TA-Lib's ``*_Lookback`` formulas (tests check them
  against the first finite row).
* derived, scale-free features of our own (``logret``, ``rvol``, ``bollinger``, ...) on the numba
  kernels of :mod:`._feature_nb`: ratios and positions rather than price levels, defined for
  degenerate windows (0.5 in an empty range), and called without per-call input checks because
  :meth:`FeatureSet.transform` validates the frame once.
* pandas-ta indicators by name (``pandas_ta:cti``), see :mod:`._feature_pandas_ta`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from tradeforge.errors import ConfigError

from . import _feature_nb as nb

_NS_HOUR = 3_600_000_000_000
_NS_DAY = 24 * _NS_HOUR


@dataclass(frozen=True)
class _Function:
    """One computable function: inputs, defaults, outputs, lookback(params), compute."""

    inputs: tuple[str, ...]
    defaults: Mapping[str, Any]
    outputs: tuple[str, ...]
    lookback: Callable[[Mapping[str, Any]], int]
    compute: Callable[..., tuple[np.ndarray, ...]]
    needs_index: bool = False  # compute(*arrays, index=DatetimeIndex, **params)
    check: Callable[[Mapping[str, Any]], None] | None = None  # raises ConfigError for bad params
    needs_memo: bool = False  # compute(*arrays, memo=dict, **params): shares intermediate results


@cache
def _ta(name: str) -> Callable[..., Any]:
    """The unchecked TA-Lib compatible function *name* of :mod:`tradeforge.indicators.kernels`."""
    from tradeforge.indicators import kernels

    return getattr(kernels, name)


def _talib_compute(name: str) -> Callable[..., tuple[np.ndarray, ...]]:
    fast = _ta(name)

    def compute(*arrays: np.ndarray, **params: Any) -> tuple[np.ndarray, ...]:
        out = fast(*arrays, **params)
        return out if isinstance(out, tuple) else (out,)

    return compute


def _talib_check(name: str, n_inputs: int) -> Callable[[Mapping[str, Any]], None]:
    """Validate parameters as the checked indicator does, by running it once on a two-bar probe."""

    def check(params: Mapping[str, Any]) -> None:
        from tradeforge import indicators

        getattr(indicators, name)(*([np.array([1.0, 2.0])] * n_inputs), **params)

    return check


def _ma_lookback(period: int, matype: int) -> int:
    """TA-Lib ``MA`` lookback for a moving-average type (0 SMA, 1 EMA, 2 WMA, 3 DEMA, 4 TEMA, ...)."""
    return {3: 2 * (period - 1), 4: 3 * (period - 1), 6: period, 7: 32, 8: 6 * (period - 1)}.get(
        matype, period - 1
    )


_HLC = ("high", "low", "close")
_HLCV = ("high", "low", "close", "volume")
# name: (inputs, defaults, outputs, lookback)
_TALIB_TABLE: dict[str, tuple[tuple[str, ...], dict[str, Any], tuple[str, ...], Callable]] = {
    "sma": (("close",), {"timeperiod": 30}, ("sma",), lambda p: p["timeperiod"] - 1),
    "ema": (("close",), {"timeperiod": 30}, ("ema",), lambda p: p["timeperiod"] - 1),
    "wma": (("close",), {"timeperiod": 30}, ("wma",), lambda p: p["timeperiod"] - 1),
    "trima": (("close",), {"timeperiod": 30}, ("trima",), lambda p: p["timeperiod"] - 1),
    "dema": (("close",), {"timeperiod": 30}, ("dema",), lambda p: 2 * (p["timeperiod"] - 1)),
    "tema": (("close",), {"timeperiod": 30}, ("tema",), lambda p: 3 * (p["timeperiod"] - 1)),
    "kama": (("close",), {"timeperiod": 30}, ("kama",), lambda p: p["timeperiod"]),
    "rsi": (("close",), {"timeperiod": 14}, ("rsi",), lambda p: p["timeperiod"]),
    "cmo": (("close",), {"timeperiod": 14}, ("cmo",), lambda p: p["timeperiod"]),
    "roc": (("close",), {"timeperiod": 10}, ("roc",), lambda p: p["timeperiod"]),
    "mom": (("close",), {"timeperiod": 10}, ("mom",), lambda p: p["timeperiod"]),
    "trix": (("close",), {"timeperiod": 30}, ("trix",), lambda p: 3 * (p["timeperiod"] - 1) + 1),
    "stddev": (("close",), {"timeperiod": 5, "nbdev": 1.0}, ("stddev",), lambda p: p["timeperiod"] - 1),
    "macd": (
        ("close",),
        {"fastperiod": 12, "slowperiod": 26, "signalperiod": 9},
        ("macd", "macdsignal", "macdhist"),
        lambda p: max(p["fastperiod"], p["slowperiod"]) - 1 + p["signalperiod"] - 1,
    ),
    "ppo": (
        ("close",),
        {"fastperiod": 12, "slowperiod": 26, "matype": 0},
        ("ppo",),
        lambda p: _ma_lookback(max(p["fastperiod"], p["slowperiod"]), p["matype"]),
    ),
    "apo": (
        ("close",),
        {"fastperiod": 12, "slowperiod": 26, "matype": 0},
        ("apo",),
        lambda p: _ma_lookback(max(p["fastperiod"], p["slowperiod"]), p["matype"]),
    ),
    "bbands": (
        ("close",),
        {"timeperiod": 5, "nbdevup": 2.0, "nbdevdn": 2.0, "matype": 0},
        ("upperband", "middleband", "lowerband"),
        lambda p: _ma_lookback(p["timeperiod"], p["matype"]),
    ),
    "stochrsi": (
        ("close",),
        {"timeperiod": 14, "fastk_period": 5, "fastd_period": 3, "fastd_matype": 0},
        ("fastk", "fastd"),
        lambda p: p["timeperiod"] + p["fastk_period"] - 1 + _ma_lookback(p["fastd_period"], p["fastd_matype"]),
    ),
    "atr": (_HLC, {"timeperiod": 14}, ("atr",), lambda p: p["timeperiod"]),
    "natr": (_HLC, {"timeperiod": 14}, ("natr",), lambda p: p["timeperiod"]),
    "trange": (_HLC, {}, ("trange",), lambda p: 1),
    "willr": (_HLC, {"timeperiod": 14}, ("willr",), lambda p: p["timeperiod"] - 1),
    "cci": (_HLC, {"timeperiod": 14}, ("cci",), lambda p: p["timeperiod"] - 1),
    "adx": (_HLC, {"timeperiod": 14}, ("adx",), lambda p: 2 * p["timeperiod"] - 1),
    "adxr": (_HLC, {"timeperiod": 14}, ("adxr",), lambda p: 3 * p["timeperiod"] - 2),
    "dx": (_HLC, {"timeperiod": 14}, ("dx",), lambda p: p["timeperiod"]),
    "plus_di": (_HLC, {"timeperiod": 14}, ("plus_di",), lambda p: p["timeperiod"]),
    "minus_di": (_HLC, {"timeperiod": 14}, ("minus_di",), lambda p: p["timeperiod"]),
    "stoch": (
        _HLC,
        {"fastk_period": 5, "slowk_period": 3, "slowk_matype": 0, "slowd_period": 3, "slowd_matype": 0},
        ("slowk", "slowd"),
        lambda p: p["fastk_period"]
        - 1
        + _ma_lookback(p["slowk_period"], p["slowk_matype"])
        + _ma_lookback(p["slowd_period"], p["slowd_matype"]),
    ),
    "stochf": (
        _HLC,
        {"fastk_period": 5, "fastd_period": 3, "fastd_matype": 0},
        ("fastk", "fastd"),
        lambda p: p["fastk_period"] - 1 + _ma_lookback(p["fastd_period"], p["fastd_matype"]),
    ),
    "ultosc": (
        _HLC,
        {"timeperiod1": 7, "timeperiod2": 14, "timeperiod3": 28},
        ("ultosc",),
        lambda p: max(p["timeperiod1"], p["timeperiod2"], p["timeperiod3"]),
    ),
    "aroon": (("high", "low"), {"timeperiod": 14}, ("aroondown", "aroonup"), lambda p: p["timeperiod"]),
    "aroonosc": (("high", "low"), {"timeperiod": 14}, ("aroonosc",), lambda p: p["timeperiod"]),
    "bop": (("open", "high", "low", "close"), {}, ("bop",), lambda p: 0),
    "obv": (("close", "volume"), {}, ("obv",), lambda p: 0),
    "mfi": (_HLCV, {"timeperiod": 14}, ("mfi",), lambda p: p["timeperiod"]),
    "ad": (_HLCV, {}, ("ad",), lambda p: 0),
    "adosc": (
        _HLCV,
        {"fastperiod": 3, "slowperiod": 10},
        ("adosc",),
        lambda p: max(p["fastperiod"], p["slowperiod"]) - 1,
    ),
}


# ---- derived features (scale-free by construction) -------------------------------------------------
def shared(memo: dict, name: str, arrays: tuple[np.ndarray, ...], params: tuple, compute: Callable[[], Any]) -> Any:
    """``compute()``, once per transform: *memo* (one per frame) maps ``(name, id(array)..., params)`` to
    ``(arrays, result)``; holding the arrays keeps their ids from being reused by other arrays."""
    key = (name, *map(id, arrays), *params)
    hit = memo.get(key)
    if hit is None:
        hit = memo[key] = (arrays, compute())
    return hit[1]


def rolling_mean(memo: dict, x: np.ndarray, window: int) -> np.ndarray:
    """Shared :func:`._feature_nb.rolling_mean_nb` (Bollinger, MA crosses, z-scores, volume ratios)."""
    return shared(memo, "mean", (x,), (window,), lambda: nb.rolling_mean_nb(x, window))


def _std(memo: dict, x: np.ndarray, window: int) -> np.ndarray:
    return shared(memo, "std", (x,), (window,),
                  lambda: nb.rolling_std_from_mean_nb(x, window, rolling_mean(memo, x, window)))


def _logret(memo: dict, x: np.ndarray, period: int) -> np.ndarray:
    return shared(memo, "logret", (x,), (period,), lambda: _ta("logret")(x, period))


def _extreme(memo: dict, x: np.ndarray, window: int, is_max: bool) -> np.ndarray:
    kernel = nb.rolling_max_nb if is_max else nb.rolling_min_nb
    return shared(memo, "max" if is_max else "min", (x,), (window,), lambda: kernel(x, window))


def _flow(memo: dict, name: str, *arrays: np.ndarray) -> np.ndarray:
    """A cumulative volume flow (``obv`` or ``ad``), shared by its slopes over several windows."""
    return shared(memo, name, arrays, (), lambda: _ta(name)(*arrays))


def _bollinger(close, memo, timeperiod, nbdev):
    """(%B: position of close in the bands, width: band width / middle band)."""
    mean = rolling_mean(memo, close, timeperiod)
    half = nbdev * _std(memo, close, timeperiod)
    return nb.position_in_range_nb(close, mean - half, mean + half), 2.0 * half / mean


def _keltner_pos(high, low, close, timeperiod, multiplier):
    mid = _ta("ema")(close, timeperiod=timeperiod)
    band = multiplier * _ta("atr")(high, low, close, timeperiod=timeperiod)
    return (nb.position_in_range_nb(close, mid - band, mid + band),)


def _donchian_pos(high, low, close, memo, timeperiod):
    lo, hi = _extreme(memo, low, timeperiod, False), _extreme(memo, high, timeperiod, True)
    return (nb.position_in_range_nb(close, lo, hi),)


def _ratio(num, den):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0.0, num / den, np.nan)


def _volume_ratio(volume, memo, fastperiod, slowperiod):
    return (_ratio(rolling_mean(memo, volume, fastperiod), rolling_mean(memo, volume, slowperiod)),)


def _zscore(x, memo, timeperiod):
    return (nb.zscore_from_nb(x, timeperiod, rolling_mean(memo, x, timeperiod), _std(memo, x, timeperiod)),)


def _gap(open_, close):
    out = np.full(close.shape[0], np.nan)
    out[1:] = open_[1:] / close[:-1] - 1.0
    return (out,)


def _time_part(divisor: int, modulo: int, shift: int = 0):
    def compute(stamps):
        return (((stamps // divisor + shift) % modulo).astype(np.float64),)

    return compute


def _derived(inputs, defaults, outputs, lookback, compute, memo=True) -> _Function:
    return _Function(inputs, defaults, outputs, lookback, compute, needs_memo=memo)


_DERIVED: dict[str, _Function] = {
    "logret": _derived(("close",), {"timeperiod": 1}, ("logret",), lambda p: p["timeperiod"],
                       lambda c, memo, timeperiod: (_logret(memo, c, timeperiod),)),
    "realized_vol": _derived(("close",), {"timeperiod": 20}, ("realized_vol",), lambda p: p["timeperiod"],
                             lambda c, memo, timeperiod: (_std(memo, _logret(memo, c, 1), timeperiod),)),
    "zscore": _derived(("close",), {"timeperiod": 20}, ("zscore",), lambda p: p["timeperiod"] - 1, _zscore),
    "log_volume_zscore": _derived(("volume",), {"timeperiod": 20}, ("zscore",), lambda p: p["timeperiod"] - 1,
                                  lambda v, timeperiod: (nb.zscore_nb(np.log1p(v), timeperiod),), memo=False),
    "vwap": _derived(_HLCV, {"timeperiod": 20}, ("vwap",), lambda p: p["timeperiod"] - 1,
                     lambda h, low, c, v, timeperiod: (nb.rolling_vwap_nb(h, low, c, v, timeperiod),), memo=False),
    "rvol": _derived(("volume",), {"timeperiod": 20}, ("rvol",), lambda p: p["timeperiod"],
                     lambda v, timeperiod: (nb.rvol_nb(v, timeperiod),), memo=False),
    "volume_ratio": _derived(("volume",), {"fastperiod": 5, "slowperiod": 20}, ("volume_ratio",),
                             lambda p: max(p["fastperiod"], p["slowperiod"]) - 1, _volume_ratio),
    "obv_slope": _derived(("close", "volume"), {"timeperiod": 20}, ("obv_slope",), lambda p: p["timeperiod"],
                          lambda c, v, memo, timeperiod: (
                              nb.flow_slope_nb(_flow(memo, "obv", c, v), v, timeperiod),)),
    "ad_slope": _derived(_HLCV, {"timeperiod": 20}, ("ad_slope",), lambda p: p["timeperiod"],
                         lambda h, low, c, v, memo, timeperiod: (
                             nb.flow_slope_nb(_flow(memo, "ad", h, low, c, v), v, timeperiod),)),
    "bollinger": _derived(("close",), {"timeperiod": 20, "nbdev": 2.0}, ("pctb", "width"),
                          lambda p: p["timeperiod"] - 1, _bollinger),
    "keltner_pos": _derived(_HLC, {"timeperiod": 20, "multiplier": 2.0}, ("keltner_pos",),
                            lambda p: p["timeperiod"], _keltner_pos, memo=False),
    "donchian_pos": _derived(_HLC, {"timeperiod": 20}, ("donchian_pos",), lambda p: p["timeperiod"] - 1,
                             _donchian_pos),
    "rolling_max": _derived(("high",), {"timeperiod": 20}, ("max",), lambda p: p["timeperiod"] - 1,
                            lambda x, memo, timeperiod: (_extreme(memo, x, timeperiod, True),)),
    "rolling_min": _derived(("low",), {"timeperiod": 20}, ("min",), lambda p: p["timeperiod"] - 1,
                            lambda x, memo, timeperiod: (_extreme(memo, x, timeperiod, False),)),
    "ma_cross": _derived(("close",), {"fastperiod": 5, "slowperiod": 20}, ("ma_cross",),
                         lambda p: max(p["fastperiod"], p["slowperiod"]) - 1,
                         lambda c, memo, fastperiod, slowperiod: (
                             rolling_mean(memo, c, fastperiod) / rolling_mean(memo, c, slowperiod) - 1.0,)),
    "bar_range": _derived(_HLC, {}, ("bar_range",), lambda p: 0, lambda h, low, c: ((h - low) / c,), memo=False),
    "bar_body": _derived(("open", "close"), {}, ("bar_body",), lambda p: 0, lambda o, c: (c / o - 1.0,), memo=False),
    "close_location": _derived(_HLC, {}, ("close_location",), lambda p: 0,
                               lambda h, low, c: (nb.position_in_range_nb(c, low, h),), memo=False),
    "gap": _derived(("open", "close"), {}, ("gap",), lambda p: 1, _gap, memo=False),
    "hour": _derived(("datetime",), {}, ("hour",), lambda p: 0, _time_part(_NS_HOUR, 24), memo=False),
    "minute": _derived(("datetime",), {}, ("minute",), lambda p: 0, _time_part(_NS_HOUR // 60, 60), memo=False),
    # 1970-01-01 was a Thursday: shift by 3 so that Monday = 0, as pandas' dayofweek.
    "weekday": _derived(("datetime",), {}, ("weekday",), lambda p: 0, _time_part(_NS_DAY, 7, 3), memo=False),
}


def _build_registry() -> dict[str, _Function]:
    reg = {
        name: _Function(inputs, defaults, outputs, lookback, _talib_compute(name),
                        check=_talib_check(name, len(inputs)))
        for name, (inputs, defaults, outputs, lookback) in _TALIB_TABLE.items()
    }
    reg.update(_DERIVED)
    return reg


REGISTRY: dict[str, _Function] = _build_registry()
PANDAS_TA_PREFIX = "pandas_ta:"


def resolve(function: str) -> _Function:
    """The :class:`_Function` named *function* (a registry name or ``pandas_ta:<name>``)."""
    if function.startswith(PANDAS_TA_PREFIX):
        from ._feature_pandas_ta import pandas_ta_function

        return pandas_ta_function(function[len(PANDAS_TA_PREFIX):])
    fn = REGISTRY.get(function)
    if fn is None:
        from tradeforge.errors import unknown_name_error

        err = unknown_name_error("feature function", function, REGISTRY)
        raise ConfigError(f"{err} A pandas-ta indicator is named '{PANDAS_TA_PREFIX}<name>'.")
    return fn
