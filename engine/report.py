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
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tradeforge.errors import ConfigError

from ._csv import write_csv
from ._render import SideRenderer, render
from .plots import plot_equity, two_panels
from .results import BacktestResult

# plot_equity, two_panels: re-exported from .plots
__all__ = ["METRIC_KEYS", "REPORT_FILES", "prepare_out", "compute_metrics", "equity_returns",
           "periods_per_year", "buy_and_hold", "daily_returns", "bar_label", "ratio_basis", "plot_equity",
           "two_panels", "write_tearsheet", "write_report"]

METRIC_KEYS = ("final_value", "total_return", "cagr", "sharpe", "sortino", "max_drawdown", "calmar",
               "win_rate", "profit_factor", "n_trades", "exposure", "bars", "seconds", "ratios")
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


def bar_label(index: pd.DatetimeIndex) -> str:
    """The median bar spacing of *index* as ``5m``, ``1h``, ``1d``, ``7d`` (``?`` under two bars).

    Examples
    --------
    >>> bar_label(pd.date_range("2024-01-01", periods=5, freq="5min"))
    '5m'
    >>> bar_label(pd.date_range("2024-01-01", periods=3))
    '1d'
    """
    if len(index) < 2:
        return "?"
    seconds = float(np.median(np.diff(index.asi8))) / 1e9
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def ratio_basis(bar: str, periods: float) -> dict[str, Any]:
    """What each ratio of ``metrics.json`` is measured on (its ``ratios`` entry).

    Examples
    --------
    >>> ratio_basis("1d", 252.0)["sharpe"]
    'annualised: mean / std of the per-bar (1d) simple returns x sqrt(252)'
    """
    per = f"x sqrt({periods:g})"
    return {"bar": bar, "periods_per_year": round(float(periods), 6),
            "sharpe": f"annualised: mean / std of the per-bar ({bar}) simple returns {per}",
            "sortino": f"annualised: mean / downside deviation of the per-bar ({bar}) returns {per}",
            "cagr": f"per year, with {periods:g} bars a year", "max_drawdown": f"on {bar} bar closes",
            "calmar": "cagr / |max_drawdown|", "exposure": "fraction of bars closed with a position"}


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
    quantstats), ``calmar, win_rate, profit_factor, n_trades, exposure, bars, seconds`` and ``ratios``
    (:func:`ratio_basis`: the bar size and what each ratio is measured on); undefined values (no
    trades, flat equity) are ``None``.

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
                   bars=int(values.size if bars is None else bars), seconds=_clean(seconds),
                   ratios=ratio_basis(bar_label(equity.index), periods))
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


def daily_returns(returns: pd.Series) -> tuple[pd.Series, str]:
    """Per-bar simple returns as daily returns: intraday bars compounded per calendar day (the day's
    label is its date), daily or longer bars unchanged. Returns ``(returns, "daily" | "bar")`` -- the
    second names what one return now spans ("bar" for weekly or longer bars).

    Examples
    --------
    >>> when = ["2024-01-02 10:00", "2024-01-02 11:00", "2024-01-02 12:00", "2024-01-03 10:00"]
    >>> d, freq = daily_returns(pd.Series([0.1, -0.5, 0.0, 0.2], index=pd.to_datetime(when)))
    >>> d.round(3).tolist(), freq, [str(t.date()) for t in d.index]
    ([-0.45, 0.2], 'daily', ['2024-01-02', '2024-01-03'])
    """
    if len(returns) < 2:
        return returns, "daily"
    bar = pd.Timedelta(np.median(np.diff(returns.index.asi8)), unit="ns")
    if bar >= 2 * _DAY:
        return returns, "bar"
    if bar >= _DAY / 2:
        return returns, "daily"
    day = returns.index.normalize()
    growth = (1.0 + returns).groupby(day).prod()
    return (growth - 1.0).rename(returns.name), "daily"


def write_tearsheet(returns: pd.Series, benchmark: pd.Series | None, path: str | Path, *, title: str,
                    periods: float | None = None) -> Path:
    """quantstats HTML tearsheet (PNG figures) of *returns* against the *benchmark* returns Series (never a
    ticker, so nothing is downloaded), with quantstats' three slowest helpers vectorised
    (:func:`~tradeforge.engine._qs_fast.fast_quantstats`: same figures, same tables).

    Intraday returns (and the benchmark) are first compounded to daily returns (:func:`daily_returns`),
    so "Best Day", the daily charts and the annualisation (252 days) mean days. *periods* (returns per
    year) is only used for bars of two days or longer; default: from the index.
    """
    if isinstance(benchmark, str):
        raise ConfigError(f"benchmark: got the ticker {benchmark!r}; pass a returns Series (quantstats would "
                          "download a ticker, and reports are offline)")
    returns, freq = daily_returns(returns)
    if benchmark is not None:
        benchmark = daily_returns(benchmark)[0].reindex(returns.index).fillna(0.0)
    per_year = 252.0 if freq == "daily" else (periods or periods_per_year(returns.index))
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    import matplotlib

    matplotlib.use("Agg")
    import quantstats as qs

    from ._qs_fast import fast_quantstats

    with warnings.catch_warnings(), fast_quantstats():  # no deprecation chatter from inside quantstats
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        qs.reports.html(returns, benchmark=benchmark, output=str(path), title=title, figfmt="png",
                        periods_per_year=max(1, int(round(per_year))), download_filename=Path(path).name)
    return Path(path)


def _equity_plot_args(result: BacktestResult,
                      benchmark: pd.Series | None) -> tuple[pd.Series | None, pd.Series | None]:
    """Benchmark returns and equity: *benchmark*, else buy and hold of the traded data; ``(None, None)``
    when there is neither (a result without prices, e.g. a journal's report)."""
    if benchmark is None and not result.prices:
        return None, None
    bench = buy_and_hold(result.prices, result.equity.index) if benchmark is None else benchmark
    return bench, result.cash * (1.0 + bench).cumprod()


# every file a report writer (write_report, write_walkforward) may leave in its folder
REPORT_FILES = ("metrics.json", "trades.csv", "orders.csv", "equity.csv", "equity.png", "tearsheet.html",
                "folds.csv", "predictions.csv", "timings.json", "folds.png")


def prepare_out(out_dir: str | Path) -> Path:
    """Create *out_dir* and delete the report files an earlier run left there (:data:`REPORT_FILES`
    only: other files are kept), so a folder never mixes two runs. Returns the directory."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name in REPORT_FILES:
        (out / name).unlink(missing_ok=True)
    return out


def write_report(result: BacktestResult, out_dir: str | Path, benchmark: pd.Series | None = None, *,
                 tearsheet: bool = True, renderer: SideRenderer | None = None) -> Path:
    """Write metrics.json, trades.csv, orders.csv, equity.csv, equity.png and tearsheet.html to *out_dir*.

    *result* is a :class:`~tradeforge.engine.results.BacktestResult`; *benchmark* (per-bar returns)
    defaults to the buy-and-hold returns of the traded data (none when ``result.prices`` is empty).
    ``tearsheet=False`` skips the (slow) HTML tearsheet. With a *renderer*
    (:class:`~tradeforge.engine._render.SideRenderer`) the figures are queued on it and are complete once the
    renderer's block ends; without one they are drawn here.
    Report files of an earlier run in *out_dir* are deleted first (:func:`prepare_out`). Returns the
    directory.

    Examples
    --------
    >>> import tempfile
    >>> from tradeforge.engine.runner import run_backtest
    >>> r = run_backtest("synth:symbols=1,bars=200,seed=2", params={"fast": 5, "slow": 20})
    >>> out = write_report(r, tempfile.mkdtemp(), tearsheet=False)
    >>> sorted(p.name for p in out.iterdir())
    ['equity.csv', 'equity.png', 'metrics.json', 'orders.csv', 'trades.csv']
    """
    out = prepare_out(out_dir)
    bench, bench_equity = _equity_plot_args(result, benchmark)
    if tearsheet:
        render(renderer, write_tearsheet, equity_returns(result.equity, result.cash, "strategy"), bench,
               out / "tearsheet.html", title=f"{result.strategy} tearsheet",
               periods=periods_per_year(result.equity.index))
    render(renderer, plot_equity, result.equity, out / "equity.png", title=f"{result.strategy} equity",
           benchmark=bench_equity, trades=result.trades)
    (out / "metrics.json").write_text(json.dumps(result.metrics, indent=2) + "\n")
    write_csv(result.trades, out / "trades.csv", index=False)
    write_csv(result.orders, out / "orders.csv", index=False)
    frame = pd.DataFrame({"equity": result.equity, "exposed": result.exposure.astype(int)})
    write_csv(frame, out / "equity.csv", index_label="datetime")
    return out
