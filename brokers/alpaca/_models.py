"""Plain snapshots of what Alpaca reports (orders, fills, account), independent of alpaca-py's models.

A :class:`BrokerOrder` is the unit in which the trading stream and the REST order list are merged: both
are reduced to the order's cumulative ``filled_qty``/``filled_avg_price`` and ``status``, so an event seen
twice, or seen once on the stream and once over REST, is applied once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "BrokerOrder",
    "AccountView",
    "BrokerView",
    "TradeEvent",
    "FINAL_STATUSES",
    "OPEN_STATUSES",
    "order_from_alpaca",
]

#: Alpaca statuses after which an order never changes again.
FINAL_STATUSES = frozenset({"filled", "canceled", "expired", "rejected", "replaced"})
OPEN_STATUSES = frozenset(
    {
        "new",
        "accepted",
        "pending_new",
        "accepted_for_bidding",
        "held",
        "partially_filled",
        "pending_cancel",
        "pending_replace",
        "pending_review",
        "calculated",
        "stopped",
        "suspended",
        "done_for_day",
    }
)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return str(getattr(value, "value", value))


def _float(value: Any) -> float | None:
    if value is None or value == "":
        return None
    return float(value)


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass(frozen=True)
class BrokerOrder:
    """One order as Alpaca reports it (legs of a bracket in ``legs``, each with its own client id)."""

    client_order_id: str
    broker_id: str
    symbol: str
    side: str
    qty: float
    filled_qty: float
    filled_avg_price: float | None
    status: str
    order_type: str
    order_class: str
    limit_price: float | None
    stop_price: float | None
    submitted_at: datetime | None
    updated_at: datetime | None
    legs: tuple[BrokerOrder, ...] = ()

    @property
    def is_final(self) -> bool:
        """True when Alpaca will never change this order again."""
        return self.status in FINAL_STATUSES

    def flatten(self) -> list[BrokerOrder]:
        """This order followed by its legs (and theirs)."""
        out = [self]
        for leg in self.legs:
            out.extend(leg.flatten())
        return out

    def newer_than(self, other: BrokerOrder | None) -> bool:
        """True when this snapshot carries information *other* lacks (more filled, or a later status)."""
        if other is None:
            return True
        if self.filled_qty != other.filled_qty:
            return self.filled_qty > other.filled_qty
        if other.is_final:
            return False
        return self.status != other.status


def order_from_alpaca(order: Any) -> BrokerOrder:
    """A :class:`BrokerOrder` from an alpaca-py ``Order`` (legs included)."""
    legs = tuple(order_from_alpaca(leg) for leg in (order.legs or ()))
    return BrokerOrder(
        client_order_id=str(order.client_order_id),
        broker_id=str(order.id),
        symbol=str(order.symbol),
        side=_text(order.side) or "",
        qty=_float(order.qty) or 0.0,
        filled_qty=_float(order.filled_qty) or 0.0,
        filled_avg_price=_float(order.filled_avg_price),
        status=_text(order.status) or "",
        order_type=_text(order.type or order.order_type) or "",
        order_class=_text(order.order_class) or "simple",
        limit_price=_float(order.limit_price),
        stop_price=_float(order.stop_price),
        submitted_at=_aware(order.submitted_at),
        updated_at=_aware(order.updated_at),
        legs=legs,
    )


@dataclass(frozen=True)
class TradeEvent:
    """One ``trade_updates`` message: the event name, the order after it, and the fill if any."""

    event: str
    order: BrokerOrder
    at: datetime
    execution_id: str | None = None
    price: float | None = None
    qty: float | None = None

    @classmethod
    def from_alpaca(cls, update: Any) -> TradeEvent:
        """From an alpaca-py ``TradeUpdate``."""
        return cls(
            event=_text(update.event) or "",
            order=order_from_alpaca(update.order),
            at=_aware(update.timestamp) or datetime.now(UTC),
            execution_id=None if update.execution_id is None else str(update.execution_id),
            price=_float(update.price),
            qty=_float(update.qty),
        )


@dataclass(frozen=True)
class AccountView:
    """The account figures the broker needs."""

    account_number: str
    cash: float
    equity: float
    buying_power: float
    status: str
    trading_blocked: bool

    @classmethod
    def from_alpaca(cls, account: Any) -> AccountView:
        """From an alpaca-py ``TradeAccount``."""
        equity = _float(account.equity)
        return cls(
            account_number=str(account.account_number),
            cash=_float(account.cash) or 0.0,
            equity=equity if equity is not None else (_float(account.portfolio_value) or 0.0),
            buying_power=_float(account.buying_power) or 0.0,
            status=_text(account.status) or "",
            trading_blocked=bool(account.trading_blocked),
        )


@dataclass(frozen=True)
class BrokerView:
    """What a pre-trade gate sees before an order: cash, value, positions ``{symbol: qty}``, the number of
    live orders and the last close of each traded symbol."""

    cash: float
    value: float
    positions: dict[str, float]
    open_orders: int
    prices: dict[str, float]
