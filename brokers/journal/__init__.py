"""The trading journal (SQLAlchemy 2 + Alembic): order intents written before they are sent, every state
change, fills (idempotent on execution id), positions, equity, signals and the latching risk state.

SQLite by default (``runs/journal/<account>-<mode>.db``, WAL), PostgreSQL by URL
(``postgresql+psycopg://...``). The value types load without SQLAlchemy; :class:`Journal` loads it on first
use.
"""

from __future__ import annotations

from typing import Any

from ._types import OrderIntent, OrderRow, OrderState, RiskState, order_state

__all__ = ["Journal", "OrderIntent", "OrderRow", "OrderState", "RiskState", "order_state", "default_path",
           "mask_url"]

_LAZY = {"Journal": "journal", "default_path": "_engine", "mask_url": "_engine"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
