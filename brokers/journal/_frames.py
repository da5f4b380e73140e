"""pandas frames of a journal's tables, for reports (``tradeforge report --journal``) and analysis."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ._models import EquitySnapshot, Fill, Order, Signal

__all__ = ["fills_frame", "equity_frame", "orders_frame", "signals_frame"]

_ORDER_COLUMNS = ("client_order_id", "strategy", "symbol", "side", "qty", "order_type", "limit_price",
                  "stop_price", "take_profit", "stop_loss", "bar_time", "intent", "parent_client_order_id",
                  "created_at", "state", "broker_order_id", "broker_status", "filled_qty", "filled_avg_price",
                  "reason", "updated_at")
_TIME_COLUMNS = ("at", "bar_time", "created_at", "updated_at")


def _frame(engine: Any, query: sa.Select, columns: tuple[str, ...]) -> Any:
    import pandas as pd

    with engine.connect() as conn:
        rows = conn.execute(query).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=list(columns))
    for name in _TIME_COLUMNS:
        if name in frame:
            frame[name] = pd.to_datetime(frame[name], utc=True)
    return frame


def fills_frame(engine: Any) -> Any:
    columns = ("at", "client_order_id", "execution_id", "strategy", "symbol", "side", "qty", "price")
    query = (sa.select(Fill.at, Order.client_order_id, Fill.execution_id, Order.strategy, Order.symbol,
                       Order.side, Fill.qty, Fill.price)
             .join(Order, Fill.order_id == Order.id).order_by(Fill.at, Fill.id))
    frame = _frame(engine, query, columns)
    frame["signed_qty"] = frame["qty"].where(frame["side"] == "buy", -frame["qty"]).astype(float)
    return frame


def equity_frame(engine: Any) -> Any:
    query = sa.select(EquitySnapshot.at, EquitySnapshot.equity, EquitySnapshot.cash).order_by(
        EquitySnapshot.at, EquitySnapshot.id)
    frame = _frame(engine, query, ("at", "equity", "cash")).set_index("at")
    return frame.astype(float)


def orders_frame(engine: Any) -> Any:
    query = sa.select(*(getattr(Order, c) for c in _ORDER_COLUMNS)).order_by(Order.id)
    return _frame(engine, query, _ORDER_COLUMNS)


def signals_frame(engine: Any) -> Any:
    query = sa.select(Signal.at, Signal.symbol, Signal.decision, Signal.confidence, Signal.payload).order_by(
        Signal.at, Signal.id)
    return _frame(engine, query, ("at", "symbol", "decision", "confidence", "payload"))
