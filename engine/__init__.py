"""Orchestration: the backtest runner (``run_backtest``), walk-forward, training, reports and the CLI.

Rooms: ``config`` (frozen settings: ``BacktestConfig``, ``WalkForwardConfig``), ``results`` (the result
types), ``data`` (spec -> validated frames), ``runner``, ``walkforward/`` (flow, splits, executors, stats),
``train``, ``report`` and ``cli`` (with its ``_cli_*`` command modules).

Heavy modules (backtrader, pandas, quantstats) load on first use of a name, so importing
``tradeforge.engine`` stays cheap.
"""

from __future__ import annotations

from typing import Any

__all__ = ["BacktestConfig", "WalkForwardConfig", "BacktestResult", "FoldResult", "WalkForwardResult",
           "run_backtest", "compute_metrics", "write_report", "run_walkforward", "write_walkforward",
           "train_models"]

_LAZY = {"BacktestConfig": "config", "WalkForwardConfig": "config", "BacktestResult": "results",
         "FoldResult": "results", "WalkForwardResult": "results", "run_backtest": "runner",
         "compute_metrics": "report", "write_report": "report", "run_walkforward": "walkforward",
         "write_walkforward": "walkforward", "train_models": "train"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
