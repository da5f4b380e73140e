"""The result types of the engine: one leaf module that producers and consumers import one way.

:class:`BacktestResult` (``run_backtest``), :class:`FoldResult` (one walk-forward fold, plain data that
crosses process and Dask boundaries) and :class:`WalkForwardResult` (``run_walkforward``). Only pandas is
imported, so every engine module (runner, walk-forward, reports, CLI) can import these without importing
each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

__all__ = ["BacktestResult", "FoldResult", "WalkForwardResult"]


@dataclass
class BacktestResult:
    """What a backtest produced.

    Attributes
    ----------
    metrics : dict
        The keys of ``metrics.json`` (see :func:`tradeforge.engine.report.compute_metrics`).
    trades : DataFrame
        One row per closed trade: symbol, entry/exit dates, size (the position just before the closing
        fill), entry price (average), exit price (from the trade's gross pnl), pnl, pnlcomm (net of
        commission), bars held.
    equity : Series
        Portfolio value at the close of every bar, indexed by bar time.
    orders : DataFrame
        One row per order that reached a final state (completed, canceled, margin, rejected, expired):
        date, symbol, ref (1.. in creation order), side, status, size, price, value (notional of the
        fill) and commission. Completed rows are the executions; others show what was requested.
    prices : dict[str, DataFrame]
        The OHLCV frames that were traded, by symbol (for buy-and-hold benchmarks and plots).
    exposure : Series
        True on bars that closed with an open position.
    strategy, params, cash
        What was run: strategy class name, the effective parameters, the starting cash.
    fills : dict
        ``partial_fills`` (fills of part of an order) and ``orders_split`` (orders filled over several
        bars): nonzero only with a volume cap (``BacktestConfig.volume_cap``).
    """

    metrics: dict[str, Any]
    trades: pd.DataFrame
    equity: pd.Series
    orders: pd.DataFrame
    prices: dict[str, pd.DataFrame]
    exposure: pd.Series
    strategy: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    cash: float = 100_000.0
    fills: dict[str, int] = field(default_factory=dict)


@dataclass
class FoldResult:
    """What one walk-forward fold produced, restricted to its test bars.

    Attributes
    ----------
    fold : int
        The fold number (results are sorted by it).
    row : dict
        The fold's ``folds.csv`` row: dates, sizes, seed, OOF AUC/ECE (ML, else None), Sharpe, return,
        max drawdown and number of trades of the test window.
    returns : Series
        Per-bar simple returns of the test bars (the first from the value before the window).
    exposure : Series
        True on test bars that closed with an open position.
    trades, orders : DataFrame
        The fold's backtest trades and orders with a leading ``fold`` column.
    predictions : DataFrame or None
        ML strategies: the prediction lines in long form (``datetime, fold, symbol, ...``); else None.
    timings : dict
        Seconds per stage (fit stages, ``predict``, ``total``; ``backtest``: the one continuous run).
    equity : Series or None
        Portfolio value at the close of the test bars, cut from the one continuous out-of-sample backtest
        (None until the fold is traded).
    diagnosis : dict
        Plain counts over the test bars that explain the trades or their absence
        (:func:`tradeforge.engine.explain.diagnose`: orders by status, BUY decisions and how many passed
        ``min_confidence`` / ``max_risk``); never written to the outputs.
    """

    fold: int
    row: dict[str, Any]
    returns: pd.Series
    exposure: pd.Series
    trades: pd.DataFrame
    orders: pd.DataFrame
    predictions: pd.DataFrame | None = None
    timings: dict[str, float] = field(default_factory=dict)
    diagnosis: dict[str, Any] = field(default_factory=dict)
    equity: pd.Series | None = None


@dataclass
class WalkForwardResult:
    """What a walk-forward produced (see :mod:`tradeforge.engine.walkforward` for how each part is built).

    Attributes
    ----------
    folds : DataFrame
        One row per fold: dates, train/test/warm-up sizes, seed, OOF AUC and ECE (ML), Sharpe, return,
        max drawdown and number of trades of the test window.
    predictions : DataFrame
        ML strategies: ``datetime, fold, symbol`` and the prediction lines of every test bar (the model's
        own decisions, before the end-of-fold flattening); other strategies: those three columns, no rows.
    trades, orders : DataFrame
        The backtests' closed trades and final orders, with a leading ``fold`` column.
    equity : Series
        Out-of-sample portfolio value of the one continuous backtest over every test window;
        ``exposure`` is True where a position was held.
    benchmark : Series
        Buy-and-hold per-bar returns (equal weight) over the same out-of-sample bars.
    metrics : dict
        Out-of-sample metrics (deterministic: no timings).
    timings : dict
        Seconds: ``total`` and per fold (fit stages, predict, backtest).
    diagnoses : dict
        Fold number -> the fold's ``FoldResult.diagnosis`` (for the console verdict; not written).
    """

    folds: pd.DataFrame
    predictions: pd.DataFrame
    trades: pd.DataFrame
    orders: pd.DataFrame
    equity: pd.Series
    exposure: pd.Series
    benchmark: pd.Series
    metrics: dict[str, Any]
    timings: dict[str, Any]
    prices: dict[str, pd.DataFrame] = field(default_factory=dict)
    strategy: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    cash: float = 100_000.0
    diagnoses: dict[int, dict[str, Any]] = field(default_factory=dict)
