"""Paper and live trading on Alpaca: the session runner, its config, reconciliation and risk persistence.

``run_live(LiveConfig(...))`` runs any strategy the backtest runner runs, bar by bar, through the Alpaca
adapter (:mod:`tradeforge.brokers.alpaca`) and the journal (:mod:`tradeforge.brokers.journal`).
Names load on first use, so importing this package is cheap.
"""

from __future__ import annotations

from typing import Any

__all__ = ["LiveConfig", "LiveResult", "run_live", "reconcile", "ReconcileReport", "LiveRisk"]

_LAZY = {"LiveConfig": "config", "LiveResult": "runner", "run_live": "runner", "reconcile": "reconcile",
         "ReconcileReport": "reconcile", "LiveRisk": "risk"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
