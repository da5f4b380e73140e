"""quantstats' tearsheet, with its three slowest helpers computed vectorised (same values).

On long daily series most of ``quantstats.reports.html``'s time goes into three helpers that loop in
Python where pandas has a vectorised equivalent:

* ``utils.group_returns(..., compounded=True)``: ``groupby(...).apply(stats.comp)`` (one Python call per
  week, month or year) -- here ``(1 + r).groupby(...).prod() - 1``;
* ``safe_resample(data, freq, stats.comp)``: ``resample(...).apply(stats.comp)`` -- here
  ``(1 + r).resample(...).prod() - 1``;
* ``utils._prepare_benchmark(benchmark, period)``: compares ``set(period)`` with ``set(benchmark.index)``
  (two sets of Timestamps per call) before re-aligning the benchmark -- here the same test on the sorted
  unique index values; when they are equal the benchmark is passed through, as quantstats does.

:func:`fast_quantstats` swaps them in for the duration of a ``with`` block and restores quantstats'
own functions afterwards; every other part of the report (the metrics' definitions, the tables, every
figure) stays quantstats'. The compounded products are the same numbers up to the order of the float
multiplications (a test compares every figure of the report's metrics table, the EOY table, the drawdown
table and the monthly returns with and without the block).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pandas as pd

__all__ = ["fast_quantstats"]

_LOCK = threading.RLock()  # one block at a time across threads; re-entrant in one thread
#: (module, attribute) pairs where quantstats 0.0.86 looks ``safe_resample`` up at call time
_RESAMPLE_HOMES = ("quantstats._compat", "quantstats.stats", "quantstats._plotting.core",
                   "quantstats._plotting.wrappers")


def _group_returns(original: Callable[..., Any]) -> Callable[..., Any]:
    def group_returns(returns: Any, groupby: Any, compounded: bool = False) -> Any:
        if not compounded:
            return original(returns, groupby, compounded)
        return returns.add(1).groupby(groupby).prod() - 1

    group_returns.__doc__ = original.__doc__
    return group_returns


def _safe_resample(original: Callable[..., Any], comp: Callable[..., Any]) -> Callable[..., Any]:
    def safe_resample(data: Any, freq: str, func_name: Any = None, **kwargs: Any) -> Any:
        if func_name is comp and not kwargs:
            return original(data.add(1), freq, "prod") - 1
        return original(data, freq, func_name, **kwargs)

    safe_resample.__doc__ = original.__doc__
    return safe_resample


def _same_dates(period: pd.DatetimeIndex, index: pd.Index) -> bool:
    """``set(period) == set(index)`` for a DatetimeIndex *period*, without building the sets."""
    if not isinstance(index, pd.DatetimeIndex) or (period.tz is None) != (index.tz is None):
        return set(period) == set(index)
    return bool(period.unique().sort_values().equals(index.unique().sort_values()))


def _prepare_benchmark(original: Callable[..., Any]) -> Callable[..., Any]:
    def prepare_benchmark(benchmark: Any = None, period: Any = "max", rf: float = 0.0,
                          prepare_returns: bool = True) -> Any:
        if (isinstance(benchmark, pd.Series) and isinstance(period, pd.DatetimeIndex)
                and _same_dates(period, benchmark.index)):
            period = "max"  # quantstats re-aligns only when the dates differ
        return original(benchmark, period, rf, prepare_returns)

    prepare_benchmark.__doc__ = original.__doc__
    return prepare_benchmark


def _module_or_none(name: str) -> Any:
    """The module *name*, or None where this quantstats version has no such module."""
    import importlib

    try:
        return importlib.import_module(name)
    except ImportError:
        return None


@contextmanager
def fast_quantstats() -> Iterator[None]:
    """Within the block, quantstats' ``group_returns``, ``safe_resample`` and ``_prepare_benchmark`` are
    the vectorised equivalents of the module notes; quantstats' own are restored on leaving it (one block
    at a time per process)."""
    import importlib

    import quantstats  # noqa: F401  (its submodules below are loaded by the package)

    utils = importlib.import_module("quantstats.utils")
    stats = importlib.import_module("quantstats.stats")
    homes = [module for module in map(_module_or_none, _RESAMPLE_HOMES)
             if module is not None and callable(getattr(module, "safe_resample", None))]
    names = ("group_returns", "_prepare_benchmark")
    if (not homes or not callable(getattr(stats, "comp", None))
            or not all(callable(getattr(utils, name, None)) for name in names)):
        yield  # another quantstats layout: its own helpers, unchanged (slower, same report)
        return
    with _LOCK:
        saved = [(utils, "group_returns", utils.group_returns),
                 (utils, "_prepare_benchmark", utils._prepare_benchmark),
                 *[(home, "safe_resample", home.safe_resample) for home in homes]]
        resample = _safe_resample(homes[0].safe_resample, stats.comp)
        try:
            utils.group_returns = _group_returns(utils.group_returns)
            utils._prepare_benchmark = _prepare_benchmark(utils._prepare_benchmark)
            for home in homes:
                home.safe_resample = resample
            yield
        finally:
            for module, name, value in saved:
                setattr(module, name, value)
