"""The fake Alpaca's account: orders, the fill engine, positions and cash (no I/O, no threads of its own).

The fill rules are backtrader's ``BackBroker`` with no commission, no slippage, cheat-on-open and
cheat-on-close off (``bbroker.py``: ``_try_exec_market``, ``_try_exec_limit``, ``_try_exec_stop``,
``_try_exec_stoplimit``, ``_bracketize``):

- working orders are tried once per bar of their symbol, in submission order (backtrader's pending queue);
- market: the open of the first bar pushed after submission;
- limit buy: the open if ``limit >= open``, else the limit if ``limit >= low`` (sell: mirrored);
- stop buy: the open if ``open >= stop`` (a gap), else the stop if ``high >= stop`` (sell: mirrored);
- stop-limit: triggered as a stop, then filled as backtrader fills it (``_try_exec_stoplimit``);
- bracket: the parent first; its legs are queued stop-loss then take-profit (backtrader's ``buy_bracket``
  order) and become executable from the NEXT bar of the symbol after the parent filled; a filled leg cancels
  its sibling (OCO), so when both legs could fill within one bar the stop-loss wins, as in backtrader.

Cash checks are backtrader's too: orders sent between two bars are pseudo-executed in turn at their creation
price (``check_submitted``) and refused with 403 "insufficient buying power" where backtrader says ``Margin``;
at execution, the part of an order that would open a position the cash cannot pay for is not filled and the
order ends ``rejected`` (or ``canceled`` after its closing part filled), with its bracket.

Opt-in partial fills (``fill_cap``, not BackBroker's behaviour) fill at most that quantity of an order per
bar, at the same price rules; a bracket's legs go live once the parent is completely filled, and a leg cancels
its sibling once it is completely filled.

Cash follows backtrader's stock-like accounting with ``shortcash=True``: a buy costs ``qty * price``, a sell
credits it; equity is cash plus every position marked at its symbol's last close.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

__all__ = ["AccountEngine", "EngineError", "FakeOrder", "fmt_num", "iso"]

OPEN_STATUSES = frozenset({"new", "accepted", "partially_filled", "held", "pending_new", "pending_cancel"})
_TYPES = ("market", "limit", "stop", "stop_limit")
_TIFS = ("day", "gtc", "opg", "cls", "ioc", "fok")
_NS = uuid.UUID("6d1f0c3e-7a4e-4c1b-9a51-0f5e1d2c3b4a")


class EngineError(Exception):
    """A request the fake refuses, with the HTTP status and Alpaca error code to answer it with."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def iso(ts: datetime) -> str:
    """RFC 3339 in UTC with microseconds and a ``Z`` (what Alpaca sends)."""
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def fmt_num(x: float | None) -> str | None:
    """Alpaca sends numbers as strings; ``repr`` round-trips a float exactly."""
    if x is None:
        return None
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def asset_id(symbol: str) -> str:
    """A stable UUID per symbol."""
    return str(uuid.uuid5(_NS, symbol))


@dataclass(eq=False)
class FakeOrder:
    """One order as the fake holds it; ``to_json`` gives Alpaca's wire shape."""

    id: str
    client_order_id: str
    symbol: str
    side: str
    qty: float
    type: str
    time_in_force: str
    created_at: datetime
    limit_price: float | None = None
    stop_price: float | None = None
    order_class: str = "simple"
    status: str = "new"
    updated_at: datetime | None = None
    filled_at: datetime | None = None
    canceled_at: datetime | None = None
    filled_qty: float = 0.0
    filled_avg_price: float | None = None
    legs: list[FakeOrder] = field(default_factory=list)
    parent: FakeOrder | None = None
    role: str | None = None  # "take_profit" | "stop_loss" for bracket legs
    triggered: bool = False  # stop-limit: the stop has been hit
    active: bool = True  # False: a leg waiting for the bar after its parent's fill

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def to_json(self, nested: bool = True) -> dict:
        """Alpaca's order JSON; legs rolled up under ``legs`` when ``nested``."""
        return {
            "id": self.id, "client_order_id": self.client_order_id,
            "created_at": iso(self.created_at), "updated_at": iso(self.updated_at or self.created_at),
            "submitted_at": iso(self.created_at),
            "filled_at": iso(self.filled_at) if self.filled_at else None,
            "expired_at": None, "expires_at": None,
            "canceled_at": iso(self.canceled_at) if self.canceled_at else None,
            "failed_at": None, "replaced_at": None, "replaced_by": None, "replaces": None,
            "asset_id": asset_id(self.symbol), "symbol": self.symbol, "asset_class": "us_equity",
            "notional": None, "qty": fmt_num(self.qty), "filled_qty": fmt_num(self.filled_qty),
            "filled_avg_price": fmt_num(self.filled_avg_price), "order_class": self.order_class,
            "order_type": self.type, "type": self.type, "side": self.side,
            "time_in_force": self.time_in_force, "limit_price": fmt_num(self.limit_price),
            "stop_price": fmt_num(self.stop_price), "status": self.status, "extended_hours": False,
            "legs": [leg.to_json() for leg in self.legs] if (nested and self.legs) else None,
            "trail_percent": None, "trail_price": None, "hwm": None, "position_intent": None,
        }


@dataclass
class _Position:
    qty: float = 0.0
    price: float = 0.0  # average entry price, updated as backtrader's Position.update


def _f(payload: dict, key: str, *, required: bool = False, positive: bool = True) -> float | None:
    value = payload.get(key)
    if value is None or value == "":
        if required:
            raise EngineError(422, 40010001, f"{key} is required")
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise EngineError(422, 40010001, f"invalid {key}: {value!r}") from None
    if positive and not out > 0:
        raise EngineError(422, 40010001, f"{key} must be > 0, got {value!r}")
    return out


class AccountEngine:
    """Orders, fills, positions and cash of one fake account.

    Every mutating method returns the trade-update events it caused, in order, as dicts of Alpaca's
    ``trade_updates`` ``data`` shape. Not thread-safe: the caller serialises access.

    Parameters
    ----------
    cash : float
        Starting cash.
    now : Callable[[], datetime]
        Strictly increasing UTC clock for every timestamp the account writes.
    require_client_order_id : bool
        Refuse a POST without ``client_order_id`` (422), so a caller that forgets it is caught.
    """

    def __init__(self, cash: float, now: Callable[[], datetime], *, require_client_order_id: bool = True):
        self.start_cash = float(cash)
        self.cash = float(cash)
        self._now = now
        self.require_client_order_id = require_client_order_id
        self.orders: dict[str, FakeOrder] = {}  # by id, insertion (submission) order
        self.by_client_id: dict[str, FakeOrder] = {}
        self.working: list[FakeOrder] = []  # backtrader's pending queue
        self.positions: dict[str, _Position] = {}
        self.last_price: dict[str, float] = {}
        self.last_bar_time: dict[str, datetime] = {}
        self.fills: list[dict] = []
        self.fill_cap: float | None = None  # at most this qty per order per bar (partial fills); None: whole
        self._batch: list | None = None  # [cash, {symbol: qty}] of backtrader's check_submitted
        self._seq = itertools.count(1)

    # ---------------------------------------------------------------- orders
    def submit(self, payload: dict) -> tuple[FakeOrder, list[dict]]:
        """Validate and accept one POST /v2/orders body; raises :class:`EngineError` when refused."""
        coid = payload.get("client_order_id")
        if coid in (None, ""):
            if self.require_client_order_id:
                raise EngineError(422, 40010001, "client_order_id is required by this fake")
            coid = str(uuid.uuid4())
        coid = str(coid)
        if len(coid) > 48:
            raise EngineError(422, 40010001, "client_order_id must be no more than 48 characters")
        if coid in self.by_client_id:
            raise EngineError(422, 40010001, "client_order_id must be unique")
        order = self._build(payload, coid)
        self._check_buying_power(order)
        return order, self._accept(order)

    def _build(self, p: dict, coid: str) -> FakeOrder:
        symbol = str(p.get("symbol") or "").upper()
        if not symbol:
            raise EngineError(422, 40010001, "symbol is required")
        if p.get("notional") is not None:
            raise EngineError(422, 40010001, "notional orders are not supported by this fake; send qty")
        side, otype = p.get("side"), p.get("type") or p.get("order_type")
        tif = p.get("time_in_force") or "day"
        if side not in ("buy", "sell"):
            raise EngineError(422, 40010001, f"invalid side: {side!r}")
        if otype not in _TYPES:
            raise EngineError(422, 40010001, f"invalid order type: {otype!r} (expected one of {_TYPES})")
        if tif not in _TIFS:
            raise EngineError(422, 40010001, f"invalid time_in_force: {tif!r}")
        qty = _f(p, "qty", required=True)
        limit = _f(p, "limit_price", required=otype in ("limit", "stop_limit"))
        stop = _f(p, "stop_price", required=otype in ("stop", "stop_limit"))
        oclass = p.get("order_class") or "simple"
        if oclass not in ("simple", "bracket"):
            raise EngineError(422, 40010001, f"order_class {oclass!r} is not supported by this fake")
        now = self._now()
        order = FakeOrder(id=str(uuid.uuid4()), client_order_id=coid, symbol=symbol, side=side, qty=qty,
                          type=otype, time_in_force=tif, created_at=now, updated_at=now, limit_price=limit,
                          stop_price=stop, order_class=oclass)
        if oclass == "bracket":
            order.legs = self._bracket_legs(order, p)
        return order

    def _bracket_legs(self, parent: FakeOrder, p: dict) -> list[FakeOrder]:
        tp, sl = p.get("take_profit") or {}, p.get("stop_loss") or {}
        tp_price = _f(tp, "limit_price", required=True)
        sl_stop = _f(sl, "stop_price", required=True)
        sl_limit = _f(sl, "limit_price")
        wrong_side = tp_price <= sl_stop if parent.side == "buy" else tp_price >= sl_stop
        if wrong_side:
            raise EngineError(422, 40010001, f"take_profit.limit_price {tp_price} must be on the profit side "
                                             f"of stop_loss.stop_price {sl_stop} for a {parent.side} bracket")
        other = "sell" if parent.side == "buy" else "buy"
        legs = []
        # take-profit first (Alpaca's order of legs); the queue order below is stop-loss first (backtrader's)
        sl_type = "stop_limit" if sl_limit else "stop"
        for role, otype, limit, stop in (("take_profit", "limit", tp_price, None),
                                         ("stop_loss", sl_type, sl_limit, sl_stop)):
            legs.append(FakeOrder(
                id=str(uuid.uuid4()), client_order_id=str(uuid.uuid4()), symbol=parent.symbol, side=other,
                qty=parent.qty, type=otype, time_in_force=parent.time_in_force, created_at=parent.created_at,
                updated_at=parent.created_at, limit_price=limit, stop_price=stop, order_class="bracket",
                status="held", parent=parent, role=role, active=False))
        return legs

    def _check_buying_power(self, order: FakeOrder) -> None:
        """backtrader's ``check_submitted``: pseudo-execute every order sent since the last bar, in turn.

        The batch starts from the cash and positions after the last bar; each order (and its bracket legs)
        is pseudo-executed at its creation price (market: the last close; limit: the limit; stop and
        stop-limit: the stop), legs as if they all filled (stop-loss, then take-profit). The first order of
        the group that leaves the batch cash below zero refuses the whole group (403), as backtrader ends
        it with ``Margin`` (a leg's margin cancels its parent there); the batch keeps that cash, as
        backtrader's does, and the rest of the group is not pseudo-executed.
        """
        if self._batch is None:
            self._batch = [self.cash, {s: p.qty for s, p in self.positions.items()}]
        for o in [order, *sorted(order.legs, key=lambda leg: leg.role != "stop_loss")]:
            price = o.stop_price if o.type in ("stop", "stop_limit") else (
                o.limit_price if o.type == "limit" else self.last_price.get(o.symbol))
            if price is None:
                continue
            pos = self._batch[1].get(o.symbol, 0.0)
            size = o.qty if o.side == "buy" else -o.qty
            closed, opened = _split(pos, size)
            self._batch[0] -= (closed + opened) * price
            self._batch[1][o.symbol] = pos + size
            if self._batch[0] < 0.0:
                raise EngineError(403, 40310000, "insufficient buying power")

    def _accept(self, order: FakeOrder) -> list[dict]:
        group = [order, *sorted(order.legs, key=lambda leg: leg.role != "stop_loss")]
        for o in group:
            self.orders[o.id] = o
            self.by_client_id[o.client_order_id] = o
            self.working.append(o)
        return [self._event("new", order)]

    def cancel(self, order_id: str) -> list[dict]:
        """Cancel a working order (a bracket leg cancels its sibling; a parent cancels its legs)."""
        order = self.orders.get(order_id)
        if order is None:
            raise EngineError(404, 40410000, "order not found")
        if not order.is_open:
            raise EngineError(422, 42210000, f"order is not cancelable (status {order.status})")
        if order.parent is not None:
            group = [leg for leg in order.parent.legs if leg.is_open]
        else:
            group = [order, *[leg for leg in order.legs if leg.is_open]]
        return [ev for o in group for ev in self._cancel_one(o)]

    def _cancel_one(self, order: FakeOrder) -> list[dict]:
        if not order.is_open:
            return []
        now = self._now()
        order.status, order.canceled_at, order.updated_at = "canceled", now, now
        if order in self.working:
            self.working.remove(order)
        return [self._event("canceled", order)]

    def expire(self, time_in_force: str = "day") -> list[dict]:
        """End every open order of ``time_in_force`` (legs with their parent) as ``expired``."""
        events = []
        for order in [o for o in self.orders.values() if o.is_open and o.time_in_force == time_in_force]:
            if not order.is_open:
                continue
            now = self._now()
            order.status, order.updated_at = "expired", now
            if order in self.working:
                self.working.remove(order)
            events.append(self._event("expired", order, at=now))
        return events

    def cancel_all(self) -> list[tuple[FakeOrder, list[dict]]]:
        """Cancel every open top-level order; returns (order, events) pairs."""
        out = []
        for order in [o for o in self.orders.values() if o.parent is None and o.is_open]:
            out.append((order, self.cancel(order.id)))
        return out

    def close_position(self, symbol: str, qty: float | None = None) -> tuple[FakeOrder, list[dict]]:
        """A market order that flattens (or reduces by ``qty``) the position, as DELETE /v2/positions/{s}."""
        pos = self.positions.get(symbol)
        if pos is None or pos.qty == 0:
            raise EngineError(404, 40410000, "position does not exist")
        size = abs(pos.qty) if qty is None else min(float(qty), abs(pos.qty))
        payload = {"symbol": symbol, "qty": size, "side": "sell" if pos.qty > 0 else "buy", "type": "market",
                   "time_in_force": "day"}
        order = self._build(payload, str(uuid.uuid4()))
        return order, self._accept(order)

    # ---------------------------------------------------------------- bars
    def on_bar(self, symbol: str, ts: datetime, o: float, h: float, low: float, c: float) -> list[dict]:
        """Execute the working orders of ``symbol`` against one bar, then mark it at the close."""
        events: list[dict] = []
        self._batch = None  # a new bar: orders sent from now on form a new submission batch
        for order in [x for x in self.working if x.symbol == symbol and x.parent is not None and not x.active
                      and x.parent.status == "filled"]:
            order.active = True  # backtrader's _toactivate: legs live from the bar after the parent's fill
        for order in list(self.working):
            if order.symbol != symbol or not order.is_open or not order.active:
                continue
            price = self._exec_price(order, o, h, low, c)
            if price is None:
                continue
            events.extend(self._execute(order, price, ts))
            events.extend(self._bracketize(order))
        self.last_price[symbol] = float(c)
        self.last_bar_time[symbol] = ts
        return events

    def _bracketize(self, order: FakeOrder) -> list[dict]:
        """backtrader's ``_bracketize`` after an execution attempt of ``order``."""
        if order.status in ("rejected", "canceled"):
            return self._cancel_group(order)  # margin: the rest of the bracket goes
        if order.status != "filled":
            return []  # a partial fill (fill_cap): the rest works on the next bars
        events = []
        if order.parent is None:
            for leg in order.legs:  # legs go live at the broker (executable from the next bar)
                leg.status, leg.updated_at = "new", self._now()
                events.append(self._event("new", leg))
            return events
        return self._cancel_group(order)  # a filled leg cancels its sibling (OCO)

    @staticmethod
    def _exec_price(order: FakeOrder, o: float, h: float, low: float, c: float) -> float | None:
        buy = order.side == "buy"
        if order.type == "market":
            return o
        if order.type == "limit":
            return _limit_price(buy, order.limit_price, o, h, low)
        if order.type == "stop":
            stop = order.stop_price
            if buy:
                return o if o >= stop else (stop if h >= stop else None)
            return o if o <= stop else (stop if low <= stop else None)
        if order.triggered:  # stop_limit after its trigger: a plain limit
            return _limit_price(buy, order.limit_price, o, h, low)
        return _stop_limit_price(order, o, h, low, c)

    def _execute(self, order: FakeOrder, price: float, bar_time: datetime) -> list[dict]:
        """Fill ``order`` at ``price`` unless the cash cannot pay for the part that opens a position.

        As backtrader's ``_execute``: the part that closes a position always executes; if the opening part
        would leave cash below zero it does not, and the order ends (``rejected`` when nothing filled,
        ``canceled`` after the closing part filled).
        """
        qty = order.qty - order.filled_qty
        if self.fill_cap is not None:
            qty = min(qty, self.fill_cap)
        signed = qty if order.side == "buy" else -qty
        pos = self.positions[order.symbol].qty if order.symbol in self.positions else 0.0
        closed, opened = _split(pos, signed)
        if opened == 0 or self.cash - (closed + opened) * price >= 0.0:
            return self._fill(order, price, bar_time, qty)
        events = self._fill(order, price, bar_time, abs(closed), final=False) if closed else []
        now = self._now()
        order.status, order.updated_at = ("canceled" if closed else "rejected"), now
        if order.status == "canceled":
            order.canceled_at = now
        self.working.remove(order)
        return [*events, self._event(order.status, order, at=now)]

    def _cancel_group(self, order: FakeOrder) -> list[dict]:
        """Cancel the rest of ``order``'s bracket (its legs, or its sibling legs)."""
        group = order.parent.legs if order.parent is not None else order.legs
        return [ev for o in group if o is not order for ev in self._cancel_one(o)]

    def _fill(self, order: FakeOrder, price: float, bar_time: datetime, qty: float,
              final: bool = True) -> list[dict]:
        signed = qty if order.side == "buy" else -qty
        self._update_position(order.symbol, signed, price)
        self.cash -= signed * price
        now = self._now()
        order.filled_avg_price = price if order.filled_avg_price is None else (
            (order.filled_avg_price * order.filled_qty + price * qty) / (order.filled_qty + qty))
        order.filled_qty += qty
        done = final and order.filled_qty >= order.qty - 1e-9
        order.status, order.updated_at = ("filled" if done else "partially_filled"), now
        if done:
            order.filled_at = now
            self.working.remove(order)
        execution_id = str(uuid.uuid4())
        position_qty = self.positions[order.symbol].qty if order.symbol in self.positions else 0.0
        self.fills.append({"seq": next(self._seq), "order_id": order.id,
                           "client_order_id": order.client_order_id, "symbol": order.symbol,
                           "side": order.side, "qty": qty, "price": price,
                           "bar_time": bar_time, "timestamp": now, "execution_id": execution_id,
                           "position_qty": position_qty, "role": order.role,
                           "parent_client_order_id": order.parent.client_order_id if order.parent else None})
        return [self._event("fill" if done else "partial_fill", order, at=now, execution_id=execution_id,
                            price=price, qty=qty, position_qty=position_qty)]

    def _update_position(self, symbol: str, size: float, price: float) -> None:
        pos = self.positions.setdefault(symbol, _Position())
        new = pos.qty + size
        if new == 0:
            pos.price = 0.0
        elif pos.qty == 0 or (pos.qty > 0) != (new > 0):
            pos.price = price  # opened or reversed
        elif abs(new) > abs(pos.qty):
            pos.price = (pos.price * pos.qty + price * size) / new  # increased: weighted average
        pos.qty = new
        if new == 0:
            del self.positions[symbol]

    # ---------------------------------------------------------------- views
    def equity(self) -> float:
        return self.cash + sum(p.qty * self.last_price.get(s, p.price) for s, p in self.positions.items())

    def market_values(self) -> tuple[float, float]:
        """(long, short) market value at the last closes; short is <= 0."""
        values = [p.qty * self.last_price.get(s, p.price) for s, p in self.positions.items()]
        return sum(v for v in values if v > 0), sum(v for v in values if v < 0)

    def position_json(self, symbol: str) -> dict:
        pos = self.positions[symbol]
        cur = self.last_price.get(symbol, pos.price)
        mv, basis = pos.qty * cur, pos.qty * pos.price
        return {
            "asset_id": asset_id(symbol), "symbol": symbol, "exchange": "NASDAQ", "asset_class": "us_equity",
            "asset_marginable": True, "avg_entry_price": fmt_num(pos.price), "qty": fmt_num(pos.qty),
            "qty_available": fmt_num(pos.qty - self._held_qty(symbol)),
            "side": "long" if pos.qty > 0 else "short", "market_value": fmt_num(mv),
            "cost_basis": fmt_num(basis),
            "unrealized_pl": fmt_num(mv - basis),
            "unrealized_plpc": fmt_num((mv - basis) / abs(basis) if basis else 0.0),
            "unrealized_intraday_pl": fmt_num(mv - basis), "unrealized_intraday_plpc": "0",
            "current_price": fmt_num(cur), "lastday_price": fmt_num(cur), "change_today": "0",
        }

    def _held_qty(self, symbol: str) -> float:
        return sum(o.qty - o.filled_qty for o in self.working
                   if o.symbol == symbol and o.parent is not None)

    def account_json(self, account_id: str, account_number: str) -> dict:
        long_mv, short_mv = self.market_values()
        equity = self.equity()
        return {
            "id": account_id, "account_number": account_number, "status": "ACTIVE", "crypto_status": "ACTIVE",
            "currency": "USD", "buying_power": fmt_num(max(self.cash, 0.0)),
            "regt_buying_power": fmt_num(max(self.cash, 0.0)), "daytrading_buying_power": "0",
            "non_marginable_buying_power": fmt_num(max(self.cash, 0.0)), "cash": fmt_num(self.cash),
            "accrued_fees": "0", "pending_transfer_out": None, "pending_transfer_in": "0",
            "portfolio_value": fmt_num(equity), "pattern_day_trader": False, "trading_blocked": False,
            "transfers_blocked": False, "account_blocked": False, "created_at": "2020-01-01T00:00:00Z",
            "trade_suspended_by_user": False, "multiplier": "1", "shorting_enabled": True,
            "equity": fmt_num(equity), "last_equity": fmt_num(self.start_cash),
            "long_market_value": fmt_num(long_mv), "short_market_value": fmt_num(short_mv),
            "initial_margin": "0", "maintenance_margin": "0", "last_maintenance_margin": "0", "sma": "0",
            "daytrade_count": 0,
        }

    def _event(self, name: str, order: FakeOrder, *, at: datetime | None = None, **extra) -> dict:
        ev = {"event": name, "order": order.to_json(), "timestamp": iso(at or self._now())}
        for key, value in extra.items():
            ev[key] = fmt_num(value) if key in ("price", "qty", "position_qty") else value
        return ev


def _split(position: float, size: float) -> tuple[float, float]:
    """(closed, opened) parts of a signed ``size`` traded against a signed ``position``."""
    if position == 0 or (position > 0) == (size > 0):
        return 0.0, size
    closed = max(size, -position) if size < 0 else min(size, -position)
    return closed, size - closed


def _limit_price(buy: bool, limit: float, o: float, h: float, low: float) -> float | None:
    if buy:
        return o if limit >= o else (limit if limit >= low else None)
    return o if limit <= o else (limit if limit <= h else None)


def _stop_limit_price(order: FakeOrder, o: float, h: float, low: float, c: float) -> float | None:
    """backtrader's ``_try_exec_stoplimit`` without slippage (marks ``order.triggered``)."""
    stop, limit = order.stop_price, order.limit_price
    if order.side == "buy":
        if o >= stop:
            order.triggered = True
            return _limit_price(True, limit, o, h, low)
        if h >= stop:
            order.triggered = True
            if o > c:
                return stop if limit >= stop else (limit if limit >= c else None)
            return stop if limit >= stop else None
        return None
    if o <= stop:
        order.triggered = True
        return _limit_price(False, limit, o, h, low)
    if low <= stop:
        order.triggered = True
        if o <= c:
            return stop if limit <= stop else (limit if limit <= c else None)
        return stop if limit <= stop else None
    return None


def strictly_increasing_clock(source: Callable[[], datetime] | None = None) -> Callable[[], datetime]:
    """A UTC clock that never repeats a value (``source`` or the wall clock, bumped by 1 µs if needed)."""
    last = [datetime.min.replace(tzinfo=UTC)]

    def now() -> datetime:
        t = (source or (lambda: datetime.now(UTC)))()
        t = t.astimezone(UTC) if t.tzinfo else t.replace(tzinfo=UTC)
        if t <= last[0]:
            t = last[0] + timedelta(microseconds=1)
        last[0] = t
        return t

    return now
