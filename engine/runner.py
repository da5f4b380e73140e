"""Build and run a backtrader Cerebro from data, a strategy and costs; collect a :class:`BacktestResult`.

The data feeds are numpy-preloaded (``tradeforge.feeds.make_feed``); a tradeforge
:class:`~tradeforge.strategies.Strategy` gets its indicators precomputed once and attached as feed
lines, a plain ``bt.Strategy`` runs unchanged. A small analyzer records the equity curve, the exposure,
the closed trades and the orders; metrics come from :func:`tradeforge.engine.report.compute_metrics`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

# isort: off
from tradeforge.engine import _backtrader  # noqa: F401  (first: bt.talib built on first use only)
import backtrader as bt
# isort: on
import numpy as np
import pandas as pd

from tradeforge.brokers.sim import attach_impact, configure_broker
from tradeforge.errors import ConfigError, DataError
from tradeforge.strategies import check_params, resolve_strategy
from tradeforge.strategies.base import Strategy

from .config import BacktestConfig
from .data import common_index, load_frames
from .report import compute_metrics, periods_per_year
from .results import BacktestResult

__all__ = ["BacktestResult", "BacktestConfig", "run_backtest"]  # the first two re-exported

_TRADE_COLUMNS = ["symbol", "entry_date", "exit_date", "size", "entry_price", "exit_price", "pnl", "pnlcomm",
                  "bars_held"]
_ORDER_COLUMNS = ["date", "symbol", "ref", "side", "status", "size", "price", "value", "commission"]


class _Recorder(bt.Analyzer):
    """Per-bar portfolio value, closed trades and final orders (kept minimal: it runs on every bar)."""

    def start(self) -> None:
        self.values: list[float] = []
        self.trades: list[dict[str, Any]] = []
        self.orders: list[dict[str, Any]] = []
        self._sizes: dict[int, float] = {}
        self.partials: dict[int, int] = {}
        self._value = self.strategy.broker.getvalue

    def next(self) -> None:  # also called on prenext bars (Analyzer.prenext calls next)
        self.values.append(self._value())

    def notify_trade(self, trade: bt.Trade) -> None:
        if not trade.isclosed:
            self._sizes[trade.ref] = trade.size
            return
        size = self._sizes.pop(trade.ref, 0.0)
        exit_price = trade.price + trade.pnl / size if size else float("nan")
        self.trades.append(dict(symbol=trade.data._name, entry_date=bt.num2date(trade.dtopen),
                                exit_date=bt.num2date(trade.dtclose), size=size, entry_price=trade.price,
                                exit_price=exit_price, pnl=trade.pnl, pnlcomm=trade.pnlcomm,
                                bars_held=trade.barlen))

    def notify_order(self, order: bt.Order) -> None:
        if order.status == order.Partial:  # the volume cap spreads the order over bars
            self.partials[order.ref] = self.partials.get(order.ref, 0) + 1
        if order.alive() or order.status in (order.Submitted, order.Accepted):
            return
        done = order.status == order.Completed
        info = order.executed if done else order.created
        self.orders.append(dict(date=bt.num2date(info.dt) if info.dt else None, symbol=order.data._name,
                                ref=order.ref, side="buy" if order.isbuy() else "sell",
                                status=order.getstatusname(), size=info.size, price=info.price,
                                value=abs(info.size) * info.price if done else float("nan"),
                                commission=info.comm if done else 0.0))


class _ProgressRecorder(_Recorder):
    """A :class:`_Recorder` that also calls ``progress(every)`` every *every* bars."""

    params = (("progress", None), ("every", 1000))

    def next(self) -> None:
        self.values.append(self._value())
        if len(self.values) % self.p.every == 0:
            self.p.progress(self.p.every)


def _exposure(orders: pd.DataFrame, index: pd.DatetimeIndex) -> pd.Series:
    """True on bars that close with an open position, rebuilt from the completed fills."""
    fills = orders[orders["status"] == "Completed"]
    exposed = np.zeros(len(index), dtype=bool)
    for _, group in fills.groupby("symbol", sort=False):
        size = group.groupby("date", sort=False)["size"].sum().cumsum()
        held = size.reindex(index, method="ffill").fillna(0.0).to_numpy()
        exposed |= np.abs(held) > 1e-9  # fractional sizes may not sum back to exactly zero
    return pd.Series(exposed, index=index, name="exposed")


def _strategy_lines(cls: type[bt.Strategy], df: pd.DataFrame, params: dict[str, Any],
                    extra: Mapping[str, Any] | None, symbol: str) -> dict[str, np.ndarray]:
    """Precomputed lines of *cls* for one symbol plus the caller's *extra* lines, checked for length."""
    lines: dict[str, np.ndarray] = {}
    if issubclass(cls, Strategy):
        full = {**dict(cls.params._getpairs()), **params}
        lines.update(cls.precompute(df, full))
    for name, values in (extra or {}).items():
        if name in lines:
            raise ConfigError(f"extra_lines['{symbol}']['{name}']: the strategy already computes a line of "
                              "that name; rename the extra line")
        arr = np.asarray(values, dtype=np.float64)
        if arr.shape != (len(df),):
            raise DataError(f"extra_lines['{symbol}']['{name}']: expected {len(df)} values aligned to the "
                            f"data, got shape {arr.shape}; align it to the frame's index")
        lines[name] = arr
    return lines


def _make_feed(df: pd.DataFrame, lines: dict[str, np.ndarray], name: str) -> bt.feed.DataBase:
    from tradeforge.feeds import make_feed

    return make_feed(df, lines, name=name)


def _progress_hook(total: int) -> tuple[Callable[[int], None], Callable[[], None]]:
    """A rich progress bar on stderr: returns ``(advance, close)``."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(TextColumn("backtest"), BarColumn(), TextColumn("{task.completed:,}/{task.total:,} bars"),
                   TimeRemainingColumn(), console=Console(stderr=True), transient=True)
    task = bar.add_task("backtest", total=total)
    bar.start()
    return (lambda n: bar.advance(task, n)), bar.stop


def _build(cls: type[bt.Strategy], params: dict[str, Any], frames: dict[str, pd.DataFrame],
           extra_lines: Mapping[str, Mapping[str, Any]] | None, costs: dict[str, float]) -> bt.Cerebro:
    """A Cerebro with one fast feed per symbol, the strategy and the configured simulated broker."""
    unknown = set(extra_lines or {}) - set(frames)
    if unknown:
        raise ConfigError(f"extra_lines: symbols {sorted(unknown)} are not in the data ({sorted(frames)})")
    cerebro = bt.Cerebro(stdstats=False, runonce=True, preload=True)
    configure_broker(cerebro.broker, **costs)
    for symbol, df in frames.items():
        lines = _strategy_lines(cls, df, params, (extra_lines or {}).get(symbol), symbol)
        cerebro.adddata(_make_feed(df, lines, symbol), name=symbol)
    if costs.get("impact"):
        attach_impact(cerebro.broker, cerebro.datas, commission=costs["commission"], impact=costs["impact"])
    cerebro.addstrategy(cls, **params)
    return cerebro


def _collect(rec: _Recorder, frames: dict[str, pd.DataFrame]
             ) -> tuple[pd.Series, pd.Series, pd.DataFrame, pd.DataFrame]:
    index = common_index(frames)  # backtrader steps once per distinct timestamp of all the datas
    if len(index) != len(rec.values):
        raise RuntimeError(f"recorded {len(rec.values)} bars for {len(index)} timestamps")
    equity = pd.Series(np.asarray(rec.values, dtype=np.float64), index=index, name="equity")
    trades = pd.DataFrame(rec.trades, columns=_TRADE_COLUMNS)
    orders = pd.DataFrame(rec.orders, columns=_ORDER_COLUMNS)
    if len(orders):  # backtrader numbers orders process-wide: renumber 1..n in creation order per run
        orders["ref"] = orders["ref"].rank(method="dense").astype(np.int64)
    return equity, _exposure(orders, equity.index), trades, orders


def run_backtest(
    data: str | Mapping[str, pd.DataFrame],
    strategy: str | type[bt.Strategy] = "sma_cross",
    params: Mapping[str, Any] | None = None,
    *,
    config: BacktestConfig | None = None,
    extra_lines: Mapping[str, Mapping[str, Any]] | None = None,
    progress: bool = False,
    **settings: Any,
) -> BacktestResult:
    """Run *strategy* on *data* and return its :class:`BacktestResult`.

    Parameters
    ----------
    data : str or mapping
        A ``tradeforge.feeds.load`` spec (``"sample:sp500"``, a file, a directory,
        ``"synth:symbols=3,bars=500"``) or ``{symbol: OHLCV DataFrame}``. Several symbols give one feed each
        in the same Cerebro.
    strategy : str or bt.Strategy subclass
        Built-in short name, entry point name, ``package.module:Class`` or a class.
    params : mapping, optional
        Strategy parameters; strings such as ``"20"`` are coerced to the default's type.
    config : BacktestConfig, optional
        Cash, costs and date bounds; default ``BacktestConfig()``.
    **settings
        Instead of *config*: its fields as keywords (``cash=100_000, commission=0.001, slippage_bps=0.0,
        start=None, end=None``), checked by :meth:`BacktestConfig.from_mapping` (unknown names raise a
        ConfigError with a did-you-mean hint).
    extra_lines : mapping, optional
        ``{symbol: {line name: array aligned to that symbol's frame}}`` added to the feeds.
    progress : bool
        Show a progress bar on stderr.

    Examples
    --------
    >>> r = run_backtest("synth:symbols=1,bars=300,seed=1", "sma_cross", {"fast": "5", "slow": 20})
    >>> sorted(r.metrics)[:3], len(r.equity)
    (['bars', 'cagr', 'calmar'], 300)
    """
    t0 = time.perf_counter()
    if config is not None and settings:
        raise ConfigError(f"run_backtest: got config= and the settings {sorted(settings)}; pass one or the "
                          "other (config.replace(...) changes a config)")
    config = config if config is not None else BacktestConfig.from_mapping(settings)
    cls = resolve_strategy(strategy)
    checked = check_params(cls, params)
    frames = load_frames(data, start=config.start, end=config.end)
    cerebro = _build(cls, checked, frames, extra_lines, config.costs)
    total = max(len(df) for df in frames.values())
    advance, close = _progress_hook(total) if progress else (None, lambda: None)
    if progress:
        cerebro.addanalyzer(_ProgressRecorder, _name="tradeforge", progress=advance,
                            every=max(1, total // 100))
    else:
        cerebro.addanalyzer(_Recorder, _name="tradeforge")
    try:
        strat = cerebro.run()[0]
    finally:
        close()
    equity, exposure, trades, orders = _collect(strat.analyzers.tradeforge, frames)
    effective = {**dict(cls.params._getpairs()), **checked}
    metrics = compute_metrics(equity, trades, positions_exposure=float(exposure.mean()), bars=len(equity),
                              seconds=time.perf_counter() - t0, start_value=config.cash,
                              periods=periods_per_year(equity.index))
    rec = strat.analyzers.tradeforge
    fills = {"partial_fills": int(sum(rec.partials.values())), "orders_split": len(rec.partials)}
    return BacktestResult(metrics=metrics, trades=trades, equity=equity, orders=orders, prices=frames,
                          exposure=exposure, strategy=cls.__name__, params=effective, cash=config.cash,
                          fills=fills)
