"""Backtest metrics and report files: metrics.json, trades.csv, equity.csv, tearsheet.html, equity.png.

Metrics are computed here from the equity curve (simple per-bar returns, risk-free rate 0), annualised
with the number of bars per year: 252 for daily bars, ``252 x bars per trading day`` (estimated from the
data) for intraday bars, ``365.25 days / bar size`` for weekly or longer bars. The tearsheet is
quantstats' HTML report with the buy-and-hold returns of the same data as benchmark, always offline.
"""

from __future__ import annotations

import json
import logging
import math
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tradeforge.errors import ConfigError

from .results import BacktestResult

__all__ = ["METRIC_KEYS", "compute_metrics", "equity_returns", "periods_per_year", "buy_and_hold",
           "plot_equity", "two_panels", "write_tearsheet", "write_report"]

METRIC_KEYS = ("final_value", "total_return", "cagr", "sharpe", "sortino", "max_drawdown", "calmar",
               "win_rate", "profit_factor", "n_trades", "exposure", "bars", "seconds")
_DAY = pd.Timedelta(days=1)


def periods_per_year(index: pd.DatetimeIndex, bar: pd.Timedelta | None = None) -> float:
    """Bars per year for annualising: 252 for daily bars, 252 x bars per day intraday.

    *bar* defaults to the median spacing of *index*. Intraday bars per day is the median number of bars
    on a calendar day of the data (so a 6.5 h session of 1-minute bars gives 252 x 390).

    Examples
    --------
    >>> periods_per_year(pd.date_range("2024-01-01", periods=10, freq="D"))
    252.0
    >>> periods_per_year(pd.date_range("2024-01-01", periods=48, freq="h"))
    6048.0
    """
    if len(index) < 2:
        return 252.0
    if bar is None:
        bar = pd.Timedelta(np.median(np.diff(index.asi8)), unit="ns")
    if bar >= 2 * _DAY:
        return 365.25 * _DAY / bar
    if bar >= _DAY / 2:
        return 252.0
    per_day = float(pd.Series(1, index=index).groupby(index.normalize()).size().median())
    return 252.0 * per_day


def equity_returns(equity: pd.Series, start_value: float, name: str = "return") -> pd.Series:
    """Per-bar simple returns of an equity curve, the first one from *start_value* (the value before it).

    Examples
    --------
    >>> eq = pd.Series([110.0, 99.0], index=pd.date_range("2024-01-01", periods=2))
    >>> equity_returns(eq, 100.0).round(6).tolist()
    [0.1, -0.1]
    """
    path = np.concatenate([[float(start_value)], equity.to_numpy(dtype=np.float64)])
    return pd.Series(path[1:] / path[:-1] - 1.0, index=equity.index, name=name)


def _clean(value: float) -> float | None:
    """JSON-safe float: NaN and infinities become ``None``."""
    value = float(value)
    return value if math.isfinite(value) else None


def _ratios(returns: np.ndarray, periods: float) -> tuple[float, float]:
    """Annualised Sharpe and Sortino ratios (quantstats' definitions, risk-free rate 0)."""
    if returns.size < 2:
        return float("nan"), float("nan")
    mean = returns.mean()
    std = returns.std(ddof=1)
    downside = math.sqrt(float(np.sum(np.minimum(returns, 0.0) ** 2)) / returns.size)
    sharpe = mean / std * math.sqrt(periods) if std > 0 else float("nan")
    sortino = mean / downside * math.sqrt(periods) if downside > 0 else float("nan")
    return sharpe, sortino


def _trade_stats(trades: pd.DataFrame) -> tuple[float, float, int]:
    """Win rate, profit factor (gross wins / gross losses, after commission) and number of trades."""
    n = len(trades)
    if n == 0:
        return float("nan"), float("nan"), 0
    pnl = trades["pnlcomm"].to_numpy(dtype=np.float64)
    wins, losses = pnl[pnl > 0].sum(), -pnl[pnl < 0].sum()
    profit_factor = wins / losses if losses > 0 else (float("inf") if wins > 0 else float("nan"))
    return float((pnl > 0).mean()), float(profit_factor), n


def compute_metrics(
    equity: pd.Series,
    trades: pd.DataFrame,
    positions_exposure: float = 0.0,
    bars: int | None = None,
    seconds: float = 0.0,
    *,
    start_value: float | None = None,
    periods: float | None = None,
) -> dict[str, Any]:
    """The ``metrics.json`` dictionary of a backtest, computed from its equity curve and trades.

    *start_value* is the portfolio value before the first bar (default: the first equity value),
    *periods* the bars per year (default: :func:`periods_per_year` of the equity index). Returns
    ``final_value, total_return, cagr, sharpe, sortino, max_drawdown`` (negative fraction, as
    quantstats), ``calmar, win_rate, profit_factor, n_trades, exposure, bars, seconds``; undefined
    values (no trades, flat equity) are ``None``.

    Examples
    --------
    >>> eq = pd.Series([100.0, 110, 99, 121], index=pd.date_range("2024-01-01", periods=4))
    >>> m = compute_metrics(eq, pd.DataFrame({"pnlcomm": [21.0]}), 0.75, start_value=100.0)
    >>> round(m["total_return"], 4), round(m["max_drawdown"], 4), m["n_trades"]
    (0.21, -0.1, 1)
    """
    values = equity.to_numpy(dtype=np.float64)
    if values.size == 0:
        raise ConfigError("equity: empty equity curve; run the backtest on at least one bar")
    start = float(values[0] if start_value is None else start_value)
    periods = periods_per_year(equity.index) if periods is None else float(periods)
    returns = equity_returns(equity, start).to_numpy()
    path = np.concatenate([[start], values])
    total_return = values[-1] / start - 1.0
    years = values.size / periods
    cagr = (values[-1] / start) ** (1.0 / years) - 1.0 if values[-1] > 0 else -1.0
    drawdown = float(np.min(path / np.maximum.accumulate(path) - 1.0))
    sharpe, sortino = _ratios(returns, periods)
    win_rate, profit_factor, n_trades = _trade_stats(trades)
    calmar = cagr / abs(drawdown) if drawdown < 0 else float("nan")
    out = dict(final_value=values[-1], total_return=total_return, cagr=cagr, sharpe=sharpe, sortino=sortino,
               max_drawdown=drawdown, calmar=calmar, win_rate=win_rate, profit_factor=profit_factor)
    metrics: dict[str, Any] = {k: _clean(v) for k, v in out.items()}
    metrics.update(n_trades=int(n_trades), exposure=_clean(positions_exposure),
                   bars=int(values.size if bars is None else bars), seconds=_clean(seconds))
    return metrics


def buy_and_hold(prices: dict[str, pd.DataFrame], index: pd.DatetimeIndex | None = None) -> pd.Series:
    """Per-bar returns of holding every symbol in equal weight (rebalanced each bar), from the closes.

    Examples
    --------
    >>> df = pd.DataFrame({"close": [10.0, 11.0, 12.1]}, index=pd.date_range("2024-01-01", periods=3))
    >>> buy_and_hold({"X": df}).round(3).tolist()
    [0.0, 0.1, 0.1]
    """
    closes = pd.concat({sym: df["close"] for sym, df in prices.items()}, axis=1).sort_index().ffill()
    returns = closes.pct_change(fill_method=None).fillna(0.0).mean(axis=1)
    if index is not None:
        returns = returns.reindex(index).fillna(0.0)
    return returns.rename("buy_and_hold")


def plot_equity(equity: pd.Series, path: str | Path, title: str = "equity") -> Path:
    """Save a two-panel PNG: equity curve on top, drawdown (in %) below. Uses the Agg backend.

    Examples
    --------
    >>> import tempfile, os
    >>> eq = pd.Series([100.0, 90, 120], index=pd.date_range("2024-01-01", periods=3))
    >>> os.path.getsize(plot_equity(eq, tempfile.mkdtemp() + "/e.png")) > 0
    True
    """
    drawdown = equity / equity.cummax() - 1.0
    with two_panels(path, sharex=True) as (top, bottom):
        top.plot(equity.index, equity.to_numpy(), lw=1.0)
        top.set_title(title)
        top.set_ylabel("portfolio value")
        bottom.fill_between(drawdown.index, drawdown.to_numpy() * 100.0, 0.0, color="tab:red", alpha=0.5)
        bottom.set_ylabel("drawdown %")
    return Path(path)


@contextmanager
def two_panels(path: str | Path, *, sharex: bool = False) -> Iterator[tuple[Any, Any]]:
    """The report figures' layout: a 10x6 in. figure, a tall top panel over a short bottom one (Agg
    backend). Yields the two axes; on leaving the block the figure is saved to *path* (100 dpi) and closed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (top, bottom) = plt.subplots(2, 1, sharex=sharex, figsize=(10, 6), height_ratios=(3, 1))
    try:
        yield top, bottom
        fig.tight_layout()
        fig.savefig(path, dpi=100)
    finally:
        plt.close(fig)


def write_tearsheet(returns: pd.Series, benchmark: pd.Series | None, path: str | Path, *, title: str,
                    periods: float) -> Path:
    """quantstats HTML tearsheet of *returns* against the *benchmark* returns Series (never a ticker,
    so nothing is downloaded)."""
    if isinstance(benchmark, str):
        raise ConfigError(f"benchmark: got the ticker {benchmark!r}; pass a returns Series (quantstats would "
                          "download a ticker, and reports are offline)")
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    import matplotlib

    matplotlib.use("Agg")
    import quantstats as qs

    with warnings.catch_warnings():  # seaborn/matplotlib deprecation chatter from inside quantstats
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        qs.reports.html(returns, benchmark=benchmark, output=str(path), title=title,
                        periods_per_year=max(1, int(round(periods))), download_filename=Path(path).name)
    return Path(path)


def write_report(result: BacktestResult, out_dir: str | Path, benchmark: pd.Series | None = None, *,
                 tearsheet: bool = True) -> Path:
    """Write metrics.json, trades.csv, orders.csv, equity.csv, equity.png and tearsheet.html to *out_dir*.

    *result* is a :class:`~tradeforge.engine.results.BacktestResult`; *benchmark* defaults to the
    buy-and-hold returns of the traded data. ``tearsheet=False`` skips the (slow) HTML tearsheet.
    Returns the directory.

    Examples
    --------
    >>> import tempfile
    >>> from tradeforge.engine.runner import run_backtest
    >>> r = run_backtest("synth:symbols=1,bars=200,seed=2", params={"fast": 5, "slow": 20})
    >>> out = write_report(r, tempfile.mkdtemp(), tearsheet=False)
    >>> sorted(p.name for p in out.iterdir())
    ['equity.csv', 'equity.png', 'metrics.json', 'orders.csv', 'trades.csv']
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.json").write_text(json.dumps(result.metrics, indent=2) + "\n")
    result.trades.to_csv(out / "trades.csv", index=False)
    result.orders.to_csv(out / "orders.csv", index=False)
    frame = pd.DataFrame({"equity": result.equity, "exposed": result.exposure.astype(int)})
    frame.to_csv(out / "equity.csv", index_label="datetime")
    plot_equity(result.equity, out / "equity.png", title=f"{result.strategy} equity")
    if tearsheet:
        bench = buy_and_hold(result.prices, result.equity.index) if benchmark is None else benchmark
        periods = periods_per_year(result.equity.index)
        write_tearsheet(equity_returns(result.equity, result.cash, "strategy"), bench, out / "tearsheet.html",
                        title=f"{result.strategy} tearsheet",
                        periods=periods)
    return out
