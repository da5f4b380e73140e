"""The function table: every name a :class:`~tradeforge.models.features.FeatureSpec` may name.

Three families share the :class:`~.spec.Function` interface:

* every indicator of :data:`tradeforge.indicators.table.INDICATORS` under its own name, derived from
  its table entry: the same inputs (``real`` reads ``close``), parameters, defaults, outputs and
  lookback as :mod:`tradeforge.indicators`, computed by the entry's kernel without per-call checks
  (bitwise the values of the checked function), because :meth:`FeatureSet.transform` validates the
  frame once and the set validates each spec's parameters once, with the entry's own checks;
* derived, scale-free features of our own (``rvol``, ``bollinger``, ``ma_cross``, ...) on the numba
  kernels of :mod:`._kernels`: ratios and positions rather than price levels, defined for degenerate
  windows (0.5 in an empty range). Four of them take an indicator's name on purpose and win over it
  (:data:`SHADOWED`): they share intermediate results within a transform, and ``realized_vol`` is the
  mean-adjusted standard deviation of one-bar log returns, where the indicator is not mean-adjusted;
* pandas-ta indicators by name (``pandas_ta:cti``), see :mod:`.pandas_ta_functions`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from tradeforge.errors import ConfigError, unknown_name_error
from tradeforge.indicators import kernels as tk
from tradeforge.indicators.spec import Indicator
from tradeforge.indicators.table import INDICATORS

from . import _kernels as nb
from .pandas_ta_functions import pandas_ta_function
from .spec import Function

__all__ = ["REGISTRY", "SHADOWED", "PANDAS_TA_PREFIX", "resolve", "rolling_mean", "from_indicator"]

_NS_HOUR = 3_600_000_000_000
_NS_DAY = 24 * _NS_HOUR
_HLC = ("high", "low", "close")
_HLCV = ("high", "low", "close", "volume")


def from_indicator(ind: Indicator) -> Function:
    """The feature function of one indicator table entry (``real`` reads the ``close`` column)."""
    inputs = tuple("close" if i == "real" else i for i in ind.inputs)
    names = tuple(p.name for p in ind.params)

    def compute(*arrays: np.ndarray, **params: Any) -> tuple[np.ndarray, ...]:
        return ind.compute(arrays, tuple(params[n] for n in names))

    def check(params: dict[str, Any]) -> None:
        ind.check_params(tuple(params[n] for n in names))

    return Function(inputs, ind.defaults, ind.outputs, ind.lookback, compute, check=check)


# ---- derived features (scale-free by construction) -------------------------------------------------
def shared(memo: dict, name: str, arrays: tuple[np.ndarray, ...], params: tuple,
           compute: Callable[[], Any]) -> Any:
    """``compute()``, once per transform: *memo* (one per frame) maps ``(name, id(array)..., params)`` to
    ``(arrays, result)``; holding the arrays keeps their ids from being reused by other arrays."""
    key = (name, *map(id, arrays), *params)
    hit = memo.get(key)
    if hit is None:
        hit = memo[key] = (arrays, compute())
    return hit[1]


def rolling_mean(memo: dict, x: np.ndarray, window: int) -> np.ndarray:
    """Shared :func:`._kernels.rolling_mean_nb` (Bollinger, MA crosses, z-scores, volume ratios)."""
    return shared(memo, "mean", (x,), (window,), lambda: nb.rolling_mean_nb(x, window))


def _std(memo: dict, x: np.ndarray, window: int) -> np.ndarray:
    return shared(memo, "std", (x,), (window,),
                  lambda: nb.rolling_std_from_mean_nb(x, window, rolling_mean(memo, x, window)))


def _logret(memo: dict, x: np.ndarray, period: int) -> np.ndarray:
    return shared(memo, "logret", (x,), (period,), lambda: tk.logret(x, period))


def _log_volume_zscore(memo: dict, v: np.ndarray, period: int) -> np.ndarray:
    """Shared z-score of ``log1p(volume)`` (its own column and the signed volume z-score)."""
    return shared(memo, "log_volume_zscore", (v,), (period,), lambda: nb.zscore_nb(np.log1p(v), period))


def _signed_volume_zscore(c: np.ndarray, v: np.ndarray, memo: dict, timeperiod: int) -> tuple[np.ndarray]:
    return (np.sign(_logret(memo, c, 1)) * _log_volume_zscore(memo, v, timeperiod),)


def _extreme(memo: dict, x: np.ndarray, window: int, is_max: bool) -> np.ndarray:
    kernel = nb.rolling_max_nb if is_max else nb.rolling_min_nb
    return shared(memo, "max" if is_max else "min", (x,), (window,), lambda: kernel(x, window))


def _flow(memo: dict, name: str, *arrays: np.ndarray) -> np.ndarray:
    """A cumulative volume flow (``obv`` or ``ad``), shared by its slopes over several windows."""
    return shared(memo, name, arrays, (), lambda: getattr(tk, name)(*arrays))


def _bollinger(close, memo, timeperiod, nbdev):
    """(%B: position of close in the bands, width: band width / middle band)."""
    mean = rolling_mean(memo, close, timeperiod)
    half = nbdev * _std(memo, close, timeperiod)
    return nb.position_in_range_nb(close, mean - half, mean + half), 2.0 * half / mean


def _keltner_pos(high, low, close, timeperiod, multiplier):
    mid = tk.ema(close, timeperiod)
    band = multiplier * tk.atr(high, low, close, timeperiod)
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


def _derived(inputs, defaults, outputs, lookback, compute, memo=True) -> Function:
    return Function(inputs, defaults, outputs, lookback, compute, needs_memo=memo)


_DERIVED: dict[str, Function] = {
    "logret": _derived(("close",), {"timeperiod": 1}, ("logret",), lambda p: p["timeperiod"],
                       lambda c, memo, timeperiod: (_logret(memo, c, timeperiod),)),
    # the direction of the last timeperiod bars: -1, 0 or +1 (NaN in its warm-up): time-series momentum
    "logret_sign": _derived(("close",), {"timeperiod": 1}, ("logret_sign",), lambda p: p["timeperiod"],
                            lambda c, memo, timeperiod: (np.sign(_logret(memo, c, timeperiod)),)),
    "realized_vol": _derived(("close",), {"timeperiod": 20}, ("realized_vol",), lambda p: p["timeperiod"],
                             lambda c, memo, timeperiod: (_std(memo, _logret(memo, c, 1), timeperiod),)),
    "zscore": _derived(("close",), {"timeperiod": 20}, ("zscore",), lambda p: p["timeperiod"] - 1, _zscore),
    "log_volume_zscore": _derived(("volume",), {"timeperiod": 20}, ("zscore",), lambda p: p["timeperiod"] - 1,
                                  lambda v, memo, timeperiod: (_log_volume_zscore(memo, v, timeperiod),)),
    # the last bar's direction (-1, 0, +1) times its log-volume z-score: a move on heavy volume is large and
    # signed, a move on light volume is small (the price-volume interaction a linear model cannot form)
    "signed_volume_zscore": _derived(("close", "volume"), {"timeperiod": 20}, ("signed_zscore",),
                                     lambda p: max(1, p["timeperiod"] - 1),
                                     _signed_volume_zscore),
    "vwap": _derived(_HLCV, {"timeperiod": 20}, ("vwap",), lambda p: p["timeperiod"] - 1,
                     lambda h, low, c, v, timeperiod: (tk.rolling_vwap(h, low, c, v, timeperiod),),
                     memo=False),
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
    "bar_range": _derived(_HLC, {}, ("bar_range",), lambda p: 0, lambda h, low, c: ((h - low) / c,),
                          memo=False),
    "bar_body": _derived(("open", "close"), {}, ("bar_body",), lambda p: 0, lambda o, c: (c / o - 1.0,),
                         memo=False),
    "close_location": _derived(_HLC, {}, ("close_location",), lambda p: 0,
                               lambda h, low, c: (nb.position_in_range_nb(c, low, h),), memo=False),
    "gap": _derived(("open", "close"), {}, ("gap",), lambda p: 1, _gap, memo=False),
    "hour": _derived(("datetime",), {}, ("hour",), lambda p: 0, _time_part(_NS_HOUR, 24), memo=False),
    "minute": _derived(("datetime",), {}, ("minute",), lambda p: 0, _time_part(_NS_HOUR // 60, 60),
                       memo=False),
    # 1970-01-01 was a Thursday: shift by 3 so that Monday = 0, as pandas' dayofweek.
    "weekday": _derived(("datetime",), {}, ("weekday",), lambda p: 0, _time_part(_NS_DAY, 7, 3), memo=False),
}


#: Indicator names the derived features above take over (see the module docstring).
SHADOWED: frozenset[str] = frozenset(INDICATORS) & frozenset(_DERIVED)

#: Every function by name: the indicator table, then the derived features (which win on a shared name).
REGISTRY: dict[str, Function] = {
    **{name: from_indicator(ind) for name, ind in INDICATORS.items()},
    **_DERIVED,
}
PANDAS_TA_PREFIX = "pandas_ta:"


def resolve(function: str) -> Function:
    """The :class:`~.spec.Function` named *function* (a registry name or ``pandas_ta:<name>``)."""
    if function.startswith(PANDAS_TA_PREFIX):
        return pandas_ta_function(function[len(PANDAS_TA_PREFIX):])
    fn = REGISTRY.get(function)
    if fn is None:
        err = unknown_name_error("feature function", function, REGISTRY)
        raise ConfigError(f"{err} A pandas-ta indicator is named '{PANDAS_TA_PREFIX}<name>'.")
    return fn
