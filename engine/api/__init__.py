"""The HTTP API and page of ``tradeforge serve`` (FastAPI, imported only when an app is built).

``create_app`` builds the application from injected parts (signal source, paper Alpaca store, risk gate);
``SignalCache`` serves one computation per bar; ``OrderDesk`` turns a signal into a paper bracket order.
"""

from __future__ import annotations

from typing import Any

__all__ = ["create_app", "SignalCache", "OrderDesk", "OrderPlan", "Refusal", "bracket_prices"]

_LAZY = {"create_app": "app", "SignalCache": "signals_cache", "OrderDesk": "orders", "OrderPlan": "orders",
         "Refusal": "orders", "bracket_prices": "orders"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
