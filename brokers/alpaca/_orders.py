"""The order side of the Alpaca broker: what it tracks per order, which backtrader orders Alpaca can hold,
and the journal intents (client ids included) built from backtrader orders."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import backtrader as bt

from ._models import BrokerOrder
from .ids import client_order_id

__all__ = [
    "Tracked",
    "fill_execution_id",
    "symbol_of",
    "unsupported",
    "bracket_problem",
    "order_intent",
    "intent_key",
    "leg_intent",
    "SIDES",
]

SIDES = {True: "buy", False: "sell"}
_EXEC = {
    bt.Order.Market: "market",
    bt.Order.Limit: "limit",
    bt.Order.Stop: "stop",
    bt.Order.StopLimit: "stop_limit",
}


def fill_execution_id(broker_order_id: str, cumulative_qty: float) -> str:
    """The journal's execution id of the fill that brought an order to *cumulative_qty* filled.

    Stream and REST both report cumulative fills, so the same execution gets the same id on either path
    (``journal.record_fill`` is idempotent on it).
    """
    return f"{broker_order_id}:{cumulative_qty:g}"


class Tracked:
    """What the broker knows of one backtrader order sent to Alpaca."""

    __slots__ = (
        "order",
        "cid",
        "broker_id",
        "snap",
        "filled",
        "filled_value",
        "seq",
        "role",
        "group",
        "submitted_at",
        "unknown_since",
        "final",
    )

    def __init__(self, order: bt.Order, cid: str, seq: int, role: str, group: list[Tracked] | None) -> None:
        self.order, self.cid, self.seq, self.role, self.group = order, cid, seq, role, group
        self.broker_id: str | None = None
        self.snap: BrokerOrder | None = None
        self.filled = 0.0
        self.filled_value = 0.0
        self.submitted_at: datetime | None = None
        self.unknown_since: datetime | None = None
        self.final = False


def symbol_of(data: Any) -> str:
    return str(getattr(data, "symbol", None) or data._name or data.p.dataname)


def unsupported(order: bt.Order, oco: Any) -> str | None:
    if oco is not None:
        return "oco= orders are not supported by the Alpaca adapter (use buy_bracket/sell_bracket)"
    if order.exectype not in _EXEC:
        return f"{order.getordername()} orders are not supported by the Alpaca adapter"
    if order.valid is not None:
        return "valid= (order expiry) is not supported by the Alpaca adapter; orders are good till canceled"
    return None


def bracket_problem(group: list[bt.Order]) -> str | None:
    if len(group) != 3:
        return "a bracket needs both a stop and a limit side (Alpaca holds both legs)"
    parent, *children = group
    kinds = sorted(c.exectype for c in children)
    if kinds != sorted((bt.Order.Stop, bt.Order.Limit)):
        return "a bracket's children must be one Stop and one Limit order"
    if any(abs(c.size) != abs(parent.size) or c.isbuy() == parent.isbuy() for c in children):
        return "a bracket's children must close the parent's whole size"
    return None


def order_intent(order: bt.Order, group: list[bt.Order], strategy: str, seq: int, now: datetime) -> Any:
    """The journal ``OrderIntent`` of a single order or of a bracket (*group* = parent, stop, limit)."""
    from tradeforge.brokers.journal import OrderIntent

    data = order.data
    bar_time = data.datetime.datetime(0).replace(tzinfo=UTC)
    side = SIDES[order.isbuy()]
    kind = "bracket" if len(group) == 3 else side
    price = order.created.price
    fields: dict[str, Any] = dict(order_type=_EXEC.get(order.exectype, "market"))
    if order.exectype == bt.Order.Limit:
        fields["limit_price"] = price
    elif order.exectype == bt.Order.Stop:
        fields["stop_price"] = price
    elif order.exectype == bt.Order.StopLimit:
        fields.update(stop_price=price, limit_price=order.created.pricelimit)
    if len(group) == 3:
        stop = next(c for c in group[1:] if c.exectype == bt.Order.Stop)
        limit = next(c for c in group[1:] if c.exectype == bt.Order.Limit)
        fields.update(take_profit=limit.created.price, stop_loss=stop.created.price)
    symbol = symbol_of(data)
    return OrderIntent(
        client_order_id=client_order_id(strategy, symbol, bar_time, kind, seq),
        strategy=strategy,
        symbol=symbol,
        side=side,
        qty=abs(order.size),
        bar_time=bar_time,
        intent=kind,
        created_at=now,
        **fields,
    )


def intent_key(order: bt.Order, group: list[bt.Order], strategy: str) -> tuple:
    """What the client id's ``seq`` counts: orders of one strategy, symbol, bar and intent."""
    kind = "bracket" if len(group) == 3 else SIDES[order.isbuy()]
    return (strategy, symbol_of(order.data), order.data.datetime.datetime(0), kind)


def leg_intent(parent: Any, tracked: Tracked, leg: BrokerOrder, now: datetime) -> Any:
    """The journal intent of one bracket leg (Alpaca's client id for it, the bracket as its parent)."""
    from tradeforge.brokers.journal import OrderIntent

    order = tracked.order
    price_field = "limit_price" if tracked.role == "limit" else "stop_price"
    return OrderIntent(
        client_order_id=leg.client_order_id,
        strategy=parent.strategy,
        symbol=leg.symbol,
        side=SIDES[order.isbuy()],
        qty=abs(order.size),
        order_type=tracked.role,
        bar_time=parent.bar_time,
        intent=f"bracket-{tracked.role}",
        parent_client_order_id=parent.client_order_id,
        created_at=now,
        **{price_field: order.created.price},
    )
