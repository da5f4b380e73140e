"""pandas frames of a journal's tables, for reports (``tradeforge report --journal``) and analysis."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ._models import EquitySnapshot, Fill, ModelDecision, Order, Signal

__all__ = ["fills_frame", "equity_frame", "orders_frame", "signals_frame", "model_decisions_frame",
           "trades_frame", "TRADE_COLUMNS", "MODEL_DECISION_COLUMNS"]

_ORDER_COLUMNS = ("client_order_id", "strategy", "symbol", "side", "qty", "order_type", "limit_price",
                  "stop_price", "take_profit", "stop_loss", "bar_time", "intent", "parent_client_order_id",
                  "created_at", "state", "broker_order_id", "broker_status", "filled_qty", "filled_avg_price",
                  "reason", "updated_at")
_TIME_COLUMNS = ("at", "bar_time", "created_at", "updated_at", "holdout_start")
MODEL_DECISION_COLUMNS = ("at", "promoted", "challenger", "champion", "challenger_scores", "champion_scores",
                          "holdout_start", "reason")


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


def model_decisions_frame(engine: Any) -> Any:
    query = sa.select(*(getattr(ModelDecision, c) for c in MODEL_DECISION_COLUMNS)).order_by(
        ModelDecision.at, ModelDecision.id)
    frame = _frame(engine, query, MODEL_DECISION_COLUMNS)
    frame["promoted"] = frame["promoted"].astype(bool)
    return frame


TRADE_COLUMNS = ("symbol", "entry_date", "exit_date", "size", "entry_price", "exit_price", "pnl", "pnlcomm",
                 "bars_held")
_EPS = 1e-9


def trades_frame(fills: Any, bar_times: Any) -> Any:
    """Closed round trips rebuilt from *fills* (a :func:`fills_frame`), the way backtrader counts trades.

    A trade opens when a symbol's position leaves zero and closes when it returns to zero (a fill that
    reverses the position closes one trade and opens the next). ``size`` is the position just before the
    closing fill, ``entry_price`` the average opening price, ``exit_price`` follows from the gross pnl,
    ``pnlcomm`` equals ``pnl`` (the broker charges no commission), ``bars_held`` counts the *bar_times*
    (equity snapshot times) after entry up to exit.
    """
    import numpy as np
    import pandas as pd

    rows: list[dict[str, Any]] = []
    for symbol, group in fills.groupby("symbol", sort=True):
        pos, entry, opened, pnl = 0.0, 0.0, None, 0.0
        for at, qty, price in zip(group["at"], group["signed_qty"], group["price"], strict=True):
            while abs(qty) > _EPS:
                if abs(pos) <= _EPS:
                    pos, entry, opened, pnl, qty = qty, price, at, 0.0, 0.0
                elif np.sign(qty) == np.sign(pos):
                    entry = (entry * abs(pos) + price * abs(qty)) / (abs(pos) + abs(qty))
                    pos, qty = pos + qty, 0.0
                else:
                    closed = min(abs(qty), abs(pos)) * np.sign(pos)
                    pnl += closed * (price - entry)
                    before, pos, qty = pos, pos - closed, qty + closed
                    if abs(pos) <= _EPS:
                        rows.append(dict(symbol=symbol, entry_date=opened, exit_date=at, size=before,
                                         entry_price=entry, exit_price=entry + pnl / before, pnl=pnl,
                                         pnlcomm=pnl))
                        pos = 0.0
    frame = pd.DataFrame(rows, columns=list(TRADE_COLUMNS[:-1]))
    times = pd.DatetimeIndex(bar_times)
    frame["bars_held"] = [int(((times > a) & (times <= b)).sum()) for a, b in
                          zip(frame["entry_date"], frame["exit_date"], strict=True)]
    return frame.sort_values(["exit_date", "symbol"], kind="stable").reset_index(drop=True)
