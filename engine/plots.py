"""The report figures: the equity plot of a backtest and the shared two-panel layout (Agg backend).

Long curves are decimated before plotting (:func:`decimate`: the first, lowest, highest and last point of
each of at most ``max_points / 4`` buckets, in time order), so a 50,000-bar curve draws as fast as a
2,000-bar one and keeps every peak and trough a pixel could show. Money axes read ``$1.2M``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["decimate", "money", "two_panels", "plot_equity"]

MAX_POINTS = 2_000
MAX_MARKERS = 400


def decimate(series: pd.Series, max_points: int = MAX_POINTS) -> pd.Series:
    """At most about *max_points* points of *series* that keep its shape: per bucket of consecutive
    points, the first, the lowest, the highest and the last, in time order (NaN-free input).

    Examples
    --------
    >>> s = pd.Series(np.sin(np.arange(10_000) / 100.0), index=pd.RangeIndex(10_000))
    >>> d = decimate(s, 400)
    >>> len(d) <= 400, bool(d.max() == s.max()), bool(d.min() == s.min()), int(d.index[-1])
    (True, True, True, 9999)
    """
    n = len(series)
    buckets = max(1, max_points // 4)
    if n <= max_points:
        return series
    values = series.to_numpy(dtype=np.float64)
    edges = np.linspace(0, n, buckets + 1).astype(np.int64)
    starts, ends = edges[:-1], edges[1:]
    lows = np.array([s + int(np.argmin(values[s:e])) for s, e in zip(starts, ends, strict=True)])
    highs = np.array([s + int(np.argmax(values[s:e])) for s, e in zip(starts, ends, strict=True)])
    keep = np.unique(np.concatenate([starts, ends - 1, lows, highs]))
    return series.iloc[keep]


def money(value: float, _pos: Any = None) -> str:
    """An axis label for an amount of money: ``$950``, ``$12.5k``, ``$1.2M``, ``$3.4B``.

    Examples
    --------
    >>> money(950), money(12_500), money(1_234_567), money(-2e9)
    ('$950', '$12.5k', '$1.23M', '-$2B')
    """
    sign, value = ("-" if value < 0 else ""), abs(value)
    for unit, size in (("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if value >= size:
            return f"{sign}${value / size:.3g}{unit}"
    return f"{sign}${value:.3g}" if value < 1000 else f"{sign}${value:,.0f}"


@contextmanager
def two_panels(path: str | Path, *, sharex: bool = False) -> Iterator[tuple[Any, Any]]:
    """The report figures' layout: a 10x6 in. figure, a tall top panel over a short bottom one, fixed
    margins that fit a title, money or percent tick labels and an axis label on each side (no layout pass
    measuring every text). Yields the two axes; on leaving the block the figure is saved to *path* (100 dpi,
    Agg, no pyplot figure manager involved)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 6))
    top, bottom = fig.subplots(2, 1, sharex=sharex, height_ratios=(3, 1))
    fig.subplots_adjust(left=0.085, right=0.98, top=0.945, bottom=0.085, hspace=0.14 if sharex else 0.22)
    yield top, bottom
    fig.savefig(path, dpi=100)


def _markers(top: Any, equity: pd.Series, trades: pd.DataFrame | None) -> None:
    """Entry (green ^) and exit (red v) markers at the equity value of the trade's bar (at most
    ``MAX_MARKERS`` of each, evenly picked)."""
    if trades is None or not len(trades) or "entry_date" not in trades:
        return
    step = max(1, -(-len(trades) // MAX_MARKERS))
    for column, marker, color, label in (("entry_date", "^", "tab:green", "entry"),
                                         ("exit_date", "v", "tab:red", "exit")):
        when = pd.DatetimeIndex(pd.to_datetime(trades[column].iloc[::step]))
        at = equity.index.searchsorted(when).clip(0, len(equity) - 1)
        top.scatter(equity.index[at], equity.to_numpy()[at], marker=marker, s=14, color=color, zorder=3,
                    label=f"{label} ({len(trades):,} trades)" if label == "entry" else label, lw=0)


def plot_equity(equity: pd.Series, path: str | Path, title: str = "equity", *,
                benchmark: pd.Series | None = None, trades: pd.DataFrame | None = None) -> Path:
    """Save a two-panel PNG: the equity curve (with the *benchmark* equity, e.g. buy and hold, in gray and
    the *trades*' entries/exits as markers) on top, the drawdown in % below.

    Examples
    --------
    >>> import tempfile, os
    >>> eq = pd.Series([100.0, 90, 120], index=pd.date_range("2024-01-01", periods=3))
    >>> os.path.getsize(plot_equity(eq, tempfile.mkdtemp() + "/e.png")) > 0
    True
    """
    from matplotlib.ticker import FuncFormatter

    drawdown = decimate(equity / equity.cummax() - 1.0)
    shown = decimate(equity)
    with two_panels(path, sharex=True) as (top, bottom):
        top.plot(shown.index, shown.to_numpy(), lw=1.0, label="strategy")
        if benchmark is not None and len(benchmark):
            bench = decimate(benchmark)
            top.plot(bench.index, bench.to_numpy(), lw=0.8, color="gray", label="buy and hold")
        _markers(top, equity, trades)
        top.set_title(title)
        top.set_ylabel("portfolio value")
        top.yaxis.set_major_formatter(FuncFormatter(money))
        if benchmark is not None or (trades is not None and len(trades)):
            top.legend(loc="upper left", fontsize=8)
        bottom.fill_between(drawdown.index, drawdown.to_numpy() * 100.0, 0.0, color="tab:red", alpha=0.5)
        bottom.set_ylabel("drawdown %")
    return Path(path)
