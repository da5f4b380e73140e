"""The journal's value types: order states, the intent written before an order is sent, the stored order
row and the persisted risk state. Plain dataclasses, no database imports (cheap to import anywhere)."""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from typing import Any

from tradeforge.errors import BrokerError, ConfigError

__all__ = ["OrderState", "OrderIntent", "OrderRow", "RiskState", "order_state", "utc", "TERMINAL_STATES",
           "OPEN_STATES", "MAX_CLIENT_ORDER_ID"]

MAX_CLIENT_ORDER_ID = 48  # Alpaca's limit
_SIDES = ("buy", "sell")
_ORDER_TYPES = ("market", "limit", "stop", "stop_limit", "trailing_stop")


class OrderState(enum.StrEnum):
    """Where an order stands, as the journal knows it.

    ``NEW``: intent written, not yet known to the broker. ``UNKNOWN``: an ambiguous outcome (timeout, 5xx,
    reset, duplicate client id): resolve it by a lookup by client id, never by sending again.
    ``REFUSED``: stopped by the pre-trade gate, never sent. The others mirror the broker.
    """

    NEW = "NEW"
    SUBMITTED = "SUBMITTED"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    CANCELED = "CANCELED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"
    UNKNOWN = "UNKNOWN"
    REFUSED = "REFUSED"


TERMINAL_STATES = frozenset({OrderState.FILLED, OrderState.CANCELED, OrderState.REJECTED, OrderState.EXPIRED,
                             OrderState.REFUSED})
OPEN_STATES = frozenset({OrderState.NEW, OrderState.SUBMITTED, OrderState.PARTIALLY_FILLED,
                         OrderState.UNKNOWN})

# Alpaca order statuses (alpaca.trading.enums.OrderStatus values) -> journal state
_BROKER_STATUS = {
    "new": OrderState.SUBMITTED, "accepted": OrderState.SUBMITTED, "pending_new": OrderState.SUBMITTED,
    "accepted_for_bidding": OrderState.SUBMITTED, "pending_cancel": OrderState.SUBMITTED,
    "pending_replace": OrderState.SUBMITTED, "calculated": OrderState.SUBMITTED,
    "stopped": OrderState.SUBMITTED, "suspended": OrderState.SUBMITTED, "held": OrderState.SUBMITTED,
    "done_for_day": OrderState.SUBMITTED, "partially_filled": OrderState.PARTIALLY_FILLED,
    "filled": OrderState.FILLED, "canceled": OrderState.CANCELED, "replaced": OrderState.CANCELED,
    "expired": OrderState.EXPIRED, "rejected": OrderState.REJECTED,
}


def order_state(status: Any) -> OrderState:
    """The journal state for *status*: an Alpaca order status (a lower-case string or alpaca-py's
    ``OrderStatus`` enum: ``"new"`` and ``"accepted"`` -> ``SUBMITTED``), else an :class:`OrderState` or
    its name.

    Examples
    --------
    >>> [str(order_state(s)) for s in ("new", "partially_filled", "UNKNOWN", OrderState.FILLED)]
    ['SUBMITTED', 'PARTIALLY_FILLED', 'UNKNOWN', 'FILLED']
    """
    if isinstance(status, OrderState):
        return status
    text = str(getattr(status, "value", status))
    if text in _BROKER_STATUS:  # Alpaca's lower-case statuses first: its "new" is our SUBMITTED
        return _BROKER_STATUS[text]
    try:
        return OrderState[text.upper()]
    except KeyError:
        raise BrokerError(f"order status {text!r}: not an Alpaca order status nor a journal state "
                          f"({', '.join(OrderState)}); map it in brokers/journal/_types.py") from None


def utc(value: Any, name: str = "at") -> datetime:
    """*value* (datetime, pandas Timestamp or ISO string) as an aware UTC datetime; naive means UTC.

    Examples
    --------
    >>> utc("2024-01-02T14:30:00-05:00")
    datetime.datetime(2024, 1, 2, 19, 30, tzinfo=datetime.timezone.utc)
    """
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise ConfigError(f"{name}: {value!r} is not an ISO timestamp; pass e.g. "
                              "'2024-01-02T14:30:00Z'") from None
    to_py = getattr(value, "to_pydatetime", None)
    if to_py is not None:  # pandas Timestamp (drops nanoseconds: the database keeps microseconds)
        value = to_py()
    if not isinstance(value, datetime):
        raise ConfigError(f"{name}: expected a datetime, got {type(value).__name__} {value!r}")
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _number(value: Any, name: str, *, positive: bool = False, optional: bool = True) -> float | None:
    if value is None:
        if optional:
            return None
        raise ConfigError(f"{name}: required, got None")
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name}: expected a number, got {value!r}") from None
    if not math.isfinite(out) or (positive and out <= 0):
        raise ConfigError(f"{name}: expected a finite {'positive ' if positive else ''}number, got {value!r}")
    return out


@dataclass(frozen=True)
class OrderIntent:
    """What the strategy asked for, written to the journal BEFORE the order is sent.

    ``client_order_id`` (1..48 characters) is the idempotency key: recording the same intent twice is a
    no-op, recording a different intent under a used id is refused. ``side`` is ``buy``/``sell``,
    ``order_type`` one of market, limit, stop, stop_limit, trailing_stop (a bracket is its parent's type
    with ``take_profit`` and ``stop_loss``). Times are normalised to aware UTC (naive means UTC).
    ``created_at`` (None: when it is recorded) is not part of the identity.
    """

    client_order_id: str
    strategy: str
    symbol: str
    side: str
    qty: float
    order_type: str = "market"
    limit_price: float | None = None
    stop_price: float | None = None
    take_profit: float | None = None
    stop_loss: float | None = None
    bar_time: datetime | None = None
    intent: str = ""
    parent_client_order_id: str | None = None
    created_at: datetime | None = None

    def __post_init__(self) -> None:
        cid = self.client_order_id
        if not isinstance(cid, str) or not 0 < len(cid) <= MAX_CLIENT_ORDER_ID:
            raise ConfigError(f"client_order_id: expected 1..{MAX_CLIENT_ORDER_ID} characters, got {cid!r}")
        side = str(getattr(self.side, "value", self.side)).lower()
        order_type = str(getattr(self.order_type, "value", self.order_type)).lower()
        if side not in _SIDES:
            raise ConfigError(f"side: expected one of {_SIDES}, got {self.side!r}")
        if order_type not in _ORDER_TYPES:
            raise ConfigError(f"order_type: expected one of {_ORDER_TYPES}, got {self.order_type!r}")
        qty = _number(self.qty, "qty", positive=True, optional=False)
        norm = dict(side=side, order_type=order_type, qty=qty,
                    strategy=str(self.strategy), symbol=str(self.symbol), intent=str(self.intent))
        for name in ("limit_price", "stop_price", "take_profit", "stop_loss"):
            norm[name] = _number(getattr(self, name), name, positive=True)
        if order_type in ("limit", "stop_limit") and norm["limit_price"] is None:
            raise ConfigError(f"limit_price: a {order_type} order needs one (client_order_id {cid!r})")
        if order_type in ("stop", "stop_limit") and norm["stop_price"] is None:
            raise ConfigError(f"stop_price: a {order_type} order needs one (client_order_id {cid!r})")
        for name in ("bar_time", "created_at"):
            value = getattr(self, name)
            norm[name] = None if value is None else utc(value, name)
        for name, value in norm.items():
            object.__setattr__(self, name, value)  # frozen: normalise declared fields once

    def identity(self) -> dict[str, Any]:
        """Every field except ``created_at``: two intents with equal identities are the same order."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "created_at"}


@dataclass(frozen=True)
class OrderRow:
    """An order as journaled: the intent, the broker's view and the journal state.

    ``filled_qty`` is the broker-reported or fill-summed quantity (whichever is larger),
    ``filled_avg_price`` its average price; ``reason`` explains UNKNOWN, REFUSED or REJECTED.
    """

    intent: OrderIntent
    state: OrderState
    broker_order_id: str | None
    broker_status: str | None
    filled_qty: float
    filled_avg_price: float | None
    reason: str | None
    updated_at: datetime

    @property
    def client_order_id(self) -> str:
        return self.intent.client_order_id

    @property
    def symbol(self) -> str:
        return self.intent.symbol

    @property
    def is_open(self) -> bool:
        """True while the broker may still act on the order (NEW, SUBMITTED, PARTIALLY_FILLED, UNKNOWN)."""
        return self.state in OPEN_STATES


@dataclass(frozen=True)
class RiskState:
    """The persisted, latching risk state.

    ``high_water_mark``: highest equity seen (the kill switch measures drawdown from it);
    ``last_equity``: the equity at the last bar (the next day's start equity after a restart). ``tripped``
    (with ``tripped_at`` and ``tripped_reason``): the kill switch latched; it stays latched across
    restarts until ``tradeforge unlock``. ``day`` / ``day_start_equity``: the trading day and its opening
    equity for the daily loss limit; ``daily_blocked``: the daily limit latched for that day.
    """

    high_water_mark: float | None = None
    last_equity: float | None = None
    tripped: bool = False
    tripped_at: datetime | None = None
    tripped_reason: str | None = None
    day: date | None = None
    day_start_equity: float | None = None
    daily_blocked: bool = False

    @property
    def latched(self) -> bool:
        """True if the kill switch or the daily limit blocks trading."""
        return self.tripped or self.daily_blocked
