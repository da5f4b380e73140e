"""AlpacaBroker: a backtrader broker whose orders live at Alpaca, notified exactly as in a backtest.

Orders are backtrader's own ``BuyOrder``/``SellOrder``. Each one sent gets a deterministic client id
(:func:`~tradeforge.brokers.alpaca.ids.client_order_id`) and goes through
:meth:`AlpacaStore.submit` (journal first, one POST, ambiguity resolved by lookup). A bracket made by
``buy_bracket``/``sell_bracket`` (parent with ``transmit=False``, a stop child and a limit child, the last
with ``transmit=True``) is sent as ONE Alpaca bracket order; its two legs map back to the two children.

Bar-synchronous application (``sync="rest"``, the default): whatever the trading stream delivered is
merged into per-order snapshots as it arrives, and when a new bar has been delivered by an
:class:`~tradeforge.brokers.alpaca.data.AlpacaData`, the open orders are read once over REST and every
change (accepted, partial/complete fill, cancel, expiry, rejection) is applied in submission order before
the strategy's ``next()`` sees that bar. Fills become ``order.execute`` records computed like
``BackBroker``, so backtrader builds ``notify_trade`` exactly as in a backtest. ``sync="stream"``
applies stream events at every loop pass and reads REST only after a stream reconnect.
"""

from __future__ import annotations

import collections
import dataclasses
import logging
from datetime import timedelta
from typing import Any

import backtrader as bt

from tradeforge.errors import BrokerError, TransientBrokerError

from ._models import BrokerOrder, BrokerView
from ._orders import (
    Tracked,
    bracket_problem,
    fill_execution_id,
    intent_key,
    leg_intent,
    order_intent,
    symbol_of,
    unsupported,
)
from .ids import client_order_id

__all__ = ["AlpacaBroker", "fill_execution_id"]

log = logging.getLogger(__name__)


class AlpacaBroker(bt.BrokerBase):
    """Backtrader broker on an :class:`~tradeforge.brokers.alpaca.store.AlpacaStore`.

    Params
    ------
    strategy_name : str or None
        Used in client order ids (None: the owning strategy's class name).
    pre_trade_gate : callable or None
        ``gate(intent, view: BrokerView) -> str | None``; a returned reason refuses the order
        (``journal.record_refusal``, order notified ``Rejected``).
    sync : {"rest", "stream"}
        When order changes are applied (see the module docstring).
    unknown_timeout_s : float
        An order whose submit stayed UNKNOWN and that no lookup finds within this many seconds is
        treated as never received (journal ``REJECTED``, order notified ``Rejected``).
    """

    params = (
        ("strategy_name", None),
        ("pre_trade_gate", None),
        ("sync", "rest"),
        ("unknown_timeout_s", 60.0),
    )

    def __init__(self, store: Any) -> None:
        super().__init__()
        if self.p.sync not in ("rest", "stream"):
            raise BrokerError(f"sync: expected 'rest' or 'stream', got {self.p.sync!r}")
        self.store = store
        self.notifs: collections.deque[bt.Order] = collections.deque()
        self.positions: dict[Any, bt.Position] = {}
        self._tracked: dict[str, Tracked] = {}  # client id -> tracked
        self._by_broker_id: dict[str, Tracked] = {}
        self._by_ref: dict[int, Tracked] = {}
        self._pending: dict[int, list[bt.Order]] = {}  # bracket parent ref -> orders not transmitted yet
        self._pending_problems: dict[int, str] = {}  # bracket parent ref -> why it cannot be sent
        self._seq_counts: collections.Counter[tuple] = collections.Counter()
        self._next_seq = 0
        self._cash = 0.0
        self.startingcash = 0.0
        self._broker_positions: dict[str, tuple[float, float]] = {}  # Alpaca's, refreshed at every bar
        # Alpaca's at start: what a symbol's books are seeded with (the refreshed ones may already hold fills
        # of this session's orders, which the books then apply themselves and would count twice)
        self._start_positions: dict[str, tuple[float, float]] = {}
        self._bar_seq = 0
        self._resync = False
        self._account_due = False
        self._intents: dict[str, Any] = {}  # client id -> OrderIntent sent
        self.position_adoptions = 0  # positions taken over from Alpaca
        self.refused: list[tuple[str, str]] = []  # (client id, reason), for reports

    # ------------------------------------------------------------ lifecycle
    def start(self) -> None:
        super().start()
        self.store.on_reconnect(self._on_reconnect)
        self.store.start_trading_stream()
        self._refresh_account()
        self._broker_positions = self.store.positions()
        self._start_positions = dict(self._broker_positions)
        self.startingcash = self._cash

    def _on_reconnect(self, name: str) -> None:
        if name == "trading":
            self._resync = True

    def _refresh_account(self) -> None:
        self._cash = self.store.account().cash

    def _check_positions(self) -> None:
        """Adopt Alpaca's position for a symbol none of our live orders can still move (e.g. an order of
        an earlier session filled): the books then follow the broker, never the other way round."""
        broker = self.store.positions()
        self._broker_positions = broker
        busy = {symbol_of(t.order.data) for t in self._all_parts() if not t.final and t.order.alive()}
        for data, pos in self.positions.items():
            symbol = symbol_of(data)
            qty, price = broker.get(symbol, (0.0, 0.0))
            if symbol not in busy and abs(pos.size - qty) > 1e-9:
                log.warning(
                    "position %s: books say %g, Alpaca says %g (an order this session does not "
                    "track filled); adopting Alpaca's",
                    symbol,
                    pos.size,
                    qty,
                )
                pos.size, pos.price = qty, price
                self.position_adoptions += 1

    # ------------------------------------------------------------ queries
    def getcash(self) -> float:
        """Cash as Alpaca reported it at the last bar, moved by the fills applied since."""
        return self._cash

    get_cash = getcash

    def getvalue(self, datas: Any = None) -> float:
        """Cash plus each position marked at its data's last close (as ``BackBroker`` does)."""
        value = 0.0
        for data, pos in self.positions.items():
            if pos.size and (datas is None or data in datas):
                value += pos.size * (data.close[0] if len(data) else pos.price)
        if datas is None:
            value += self._cash
            held = {symbol_of(d) for d in self.positions}
            value += sum(q * p for s, (q, p) in self._broker_positions.items() if s not in held)
        return value

    get_value = getvalue

    def getposition(self, data: Any, clone: bool = False) -> bt.Position:
        """The position in *data*'s symbol (seeded from Alpaca's positions at start, whenever it is first
        asked for; later fills move it, and :meth:`next` adopts Alpaca's when no order of ours is live)."""
        pos = self.positions.get(data)
        if pos is None:
            qty, price = self._start_positions.get(symbol_of(data), (0.0, 0.0))
            pos = self.positions[data] = bt.Position(size=qty, price=price)
        return pos.clone() if clone else pos

    def get_notification(self) -> bt.Order | None:
        return self.notifs.popleft() if self.notifs else None

    def notify(self, order: bt.Order) -> None:
        self.notifs.append(order.clone())

    def get_orders_open(self, safe: bool = False) -> list[bt.Order]:
        orders = [t.order for t in self._tracked.values() if t.order.alive()]
        return [o.clone() for o in orders] if safe else orders

    def orderstatus(self, order: bt.Order) -> int:
        tracked = self._by_ref.get(order.ref)
        return tracked.order.status if tracked else order.status

    def view(self) -> BrokerView:
        """What the pre-trade gate sees: cash, value, positions, open orders and last prices."""
        positions = {s: q for s, (q, _) in self._broker_positions.items()}
        prices: dict[str, float] = {}
        for data, pos in self.positions.items():
            positions[symbol_of(data)] = pos.size
            if len(data):
                prices[symbol_of(data)] = float(data.close[0])
        opened = sum(1 for t in self._all_parts() if not t.final and t.order.alive())
        return BrokerView(
            cash=self._cash, value=self.getvalue(), positions=positions, open_orders=opened, prices=prices
        )

    # ------------------------------------------------------------ order entry
    def buy(self, owner: Any, data: Any, size: float, price: float | None = None, plimit: float | None = None,
            exectype: int | None = None, valid: Any = None, tradeid: int = 0, oco: Any = None,
            trailamount: float | None = None, trailpercent: float | None = None, parent: Any = None,
            transmit: bool = True, **kwargs: Any) -> bt.Order:
        """backtrader's ``buy`` (same signature as ``BackBroker.buy``)."""
        return self._order(bt.BuyOrder, owner, data, size, price, plimit, exectype, valid, tradeid, oco,
                           trailamount, trailpercent, parent, transmit, kwargs)

    def sell(self, owner: Any, data: Any, size: float, price: float | None = None,
             plimit: float | None = None, exectype: int | None = None, valid: Any = None, tradeid: int = 0,
             oco: Any = None, trailamount: float | None = None, trailpercent: float | None = None,
             parent: Any = None, transmit: bool = True, **kwargs: Any) -> bt.Order:
        """backtrader's ``sell`` (same signature as ``BackBroker.sell``)."""
        return self._order(bt.SellOrder, owner, data, size, price, plimit, exectype, valid, tradeid, oco,
                           trailamount, trailpercent, parent, transmit, kwargs)

    def _order(self, kind: type[bt.Order], owner: Any, data: Any, size: float, price: float | None,
               plimit: float | None, exectype: int | None, valid: Any, tradeid: int, oco: Any,
               trailamount: float | None, trailpercent: float | None, parent: Any, transmit: bool,
               info: dict[str, Any]) -> bt.Order:
        order = kind(owner=owner, data=data, size=size, price=price, pricelimit=plimit, exectype=exectype,
                     valid=valid, tradeid=tradeid, trailamount=trailamount, trailpercent=trailpercent,
                     parent=parent, transmit=transmit)
        order.addinfo(**info)
        return self._enter(order, oco)

    def _enter(self, order: bt.Order, oco: Any) -> bt.Order:
        problem = unsupported(order, oco)
        if order.parent is None and not order.transmit:  # a bracket parent: wait for its children
            self._pending[order.ref] = [order]
            if problem:
                self._pending_problems[order.ref] = problem
            return order
        if order.parent is None:
            self._send([order], problem)
            return order
        pref = order.parent.ref
        group = self._pending.get(pref)
        if group is None:
            self._reject_local([order], "the bracket parent was already sent or refused")
            return order
        group.append(order)
        if problem:
            self._pending_problems.setdefault(pref, problem)
        if order.transmit:
            del self._pending[pref]
            self._send(group, self._pending_problems.pop(pref, None) or bracket_problem(group))
        return order

    # ------------------------------------------------------------ sending
    def _intent(self, order: bt.Order, group: list[bt.Order]) -> tuple[Any, int]:
        strategy = self.p.strategy_name or type(order.owner).__name__
        key = intent_key(order, group, strategy)
        seq = self._seq_counts[key]
        self._seq_counts[key] += 1
        return order_intent(order, group, strategy, seq, self.store.clock()), seq

    def _send(self, group: list[bt.Order], problem: str | None) -> None:
        parent = group[0]
        intent, seq = self._intent(parent, group)
        reason = problem or self._gate(parent, intent)
        if reason is not None:
            self._refuse(intent, seq, group, reason)
            return
        tracked_group: list[Tracked] = []
        for i, order in enumerate(group):
            role = (
                "single"
                if len(group) == 1
                else ("parent" if i == 0 else ("stop" if order.exectype == bt.Order.Stop else "limit"))
            )
            cid = intent.client_order_id if i == 0 else f"{intent.client_order_id}:{role}"
            t = Tracked(order, cid, self._next_seq, role, tracked_group if len(group) > 1 else None)
            self._next_seq += 1
            tracked_group.append(t)
            self._by_ref[order.ref] = t
            order.submit(self)
            self.notify(order)
        head = tracked_group[0]
        self._tracked[head.cid] = head
        self._intents[head.cid] = intent
        try:
            snap = self.store.submit(intent)
        except TransientBrokerError as exc:
            self._reject_local(group, f"not sent: {exc}")
            return
        except BrokerError as exc:
            # 403 is Alpaca's "insufficient buying power": backtrader's Margin, as a backtest notifies it
            self._reject_local(group, str(exc), margin="HTTP 403" in str(exc))
            return
        head.submitted_at = self.store.clock()
        if snap is None:
            head.unknown_since = self.store.clock()
            return
        self._merge(snap)

    def _refuse(self, intent: Any, seq: int, group: list[bt.Order], reason: str) -> None:
        """Journal a refused order under its own id (``<intent>-refused``): a bar replayed as warm-up after
        a restart is refused under an id that never collides with the order really sent on it."""
        refused = dataclasses.replace(
            intent,
            client_order_id=client_order_id(
                intent.strategy, intent.symbol, intent.bar_time, f"{intent.intent}-refused", seq
            ),
        )
        try:
            self.store.journal.record_refusal(refused, reason)
        except BrokerError as exc:  # bookkeeping of a refusal never stops the run
            log.error("journal refused to record refusal %s: %s", refused.client_order_id, exc)
        self.refused.append((refused.client_order_id, reason))
        log.warning("order %s refused: %s", refused.client_order_id, reason)
        self._reject_local(group, reason)

    def _gate(self, order: bt.Order, intent: Any) -> str | None:
        if not getattr(order.data, "tradable", True):
            return (
                f"bar {intent.bar_time:%Y-%m-%d %H:%M} of {intent.symbol} is not tradable (warm-up, "
                "gap fill or stale); orders are placed on live bars only"
            )
        gate = self.p.pre_trade_gate
        return gate(intent, self.view()) if gate is not None else None

    def _reject_local(self, orders: list[bt.Order], reason: str, *, margin: bool = False) -> None:
        for i, order in enumerate(orders):  # margin: the parent only; backtrader rejects the children
            order.addinfo(reject_reason=reason)
            order.margin() if margin and i == 0 else order.reject(self)
            self.notify(order)
            tracked = self._by_ref.get(order.ref)
            if tracked is not None:
                tracked.final = True
                self._tracked.pop(tracked.cid, None)

    def cancel(self, order: bt.Order) -> bool:
        """Ask Alpaca to cancel *order* (a bracket: every live part); notified when Alpaca confirms."""
        tracked = self._by_ref.get(order.ref)
        if tracked is None:
            for ref, group in list(self._pending.items()):
                if order in group:
                    del self._pending[ref]
                    for o in group:
                        o.cancel()
                        self.notify(o)
                    return True
            return False
        parts = tracked.group or [tracked]
        ids = [t.broker_id for t in parts if t.broker_id and not t.final and t.order.alive()]
        head = parts[0]
        if head.broker_id and head.snap is not None and not head.snap.is_final:
            ids = [head.broker_id]  # cancelling an unfilled bracket parent cancels its legs too
        for broker_id in ids:
            self.store.cancel(broker_id)
        return bool(ids)

    # ------------------------------------------------------------ applying broker state
    def _merge(self, snap: BrokerOrder) -> None:
        """Record a newer snapshot of an order (and its legs) without notifying anything yet."""
        for part in snap.flatten():
            tracked = self._tracked.get(part.client_order_id) or self._by_broker_id.get(part.broker_id)
            if tracked is None and part is not snap:
                tracked = self._adopt_leg(snap, part)
            if tracked is None:
                continue
            if tracked.broker_id is None:
                tracked.broker_id = part.broker_id
                self._by_broker_id[part.broker_id] = tracked
                tracked.unknown_since = None
            if part.newer_than(tracked.snap):
                tracked.snap = part

    def _adopt_leg(self, parent: BrokerOrder, leg: BrokerOrder) -> Tracked | None:
        head = self._tracked.get(parent.client_order_id)
        if head is None or head.group is None:
            return None
        role = "limit" if leg.order_type == "limit" else "stop"
        tracked = next((t for t in head.group if t.role == role and t.broker_id is None), None)
        if tracked is None:
            return None
        self._tracked.pop(tracked.cid, None)
        tracked.cid = leg.client_order_id
        self._tracked[tracked.cid] = tracked
        self._record_leg(head, tracked, leg)
        return tracked

    def _record_leg(self, head: Tracked, tracked: Tracked, leg: BrokerOrder) -> None:
        journal, now = self.store.journal, self.store.clock()
        journal.record_intent(leg_intent(self._intents[head.cid], tracked, leg, now))
        journal.mark_submitted(leg.client_order_id, leg.broker_id, leg.status, now)

    def _drain_events(self) -> None:
        while True:
            try:
                event = self.store.events.get_nowait()
            except Exception:  # queue.Empty
                return
            self._merge(event.order)

    def _open(self) -> list[Tracked]:
        return [t for t in self._tracked.values() if not t.final]

    def _rest_sync(self) -> None:
        open_ = [t for t in self._open() if t.broker_id is not None]
        if open_:
            starts = [t.snap.submitted_at for t in open_ if t.snap is not None and t.snap.submitted_at]
            since = min(starts) - timedelta(seconds=1) if starts else self.store.clock() - timedelta(days=1)
            seen: set[str] = set()
            for snap in self.store.orders_since(since):
                seen.update(p.broker_id for p in snap.flatten())
                self._merge(snap)
            for t in open_:
                if t.broker_id not in seen and t.role in ("single", "parent"):
                    self._merge(self.store.order_by_id(t.broker_id))
        for t in [t for t in self._open() if t.unknown_since is not None]:
            snap = self.store.resolve(t.cid, waits_s=(0.0,))
            if snap is not None:
                self._merge(snap)
            elif (self.store.clock() - t.unknown_since).total_seconds() > self.p.unknown_timeout_s:
                self.store.journal.update_order(t.cid, status="REJECTED", at=self.store.clock())
                self._reject_local(
                    [x.order for x in (t.group or [t])],
                    "never reached Alpaca (lookups found no order under its client id)",
                )

    def next(self) -> None:
        """Drain stream events; at a new bar (or in ``sync="stream"``) apply every order change.

        A REST read that still fails after its retries is logged and retried at the next loop pass (the
        bar then sees what the stream delivered); it never stops the run.
        """
        self.store.poll()
        self._drain_events()
        bar_seq = getattr(self.store, "bar_seq", 0)
        new_bar = bar_seq != self._bar_seq
        self._bar_seq = bar_seq
        if new_bar and self.p.sync == "rest":
            self._resync = True
        if new_bar:
            self._account_due = True
        if self.p.sync == "rest" and not self._resync and not self._account_due:
            return
        try:
            if self._resync:
                self._rest_sync()
                self._resync = False
                self._drain_events()
        except TransientBrokerError as exc:
            log.warning("order sync over REST failed (%s); retrying at the next pass", exc)
        self._apply_all()
        try:
            if self._account_due:
                self._refresh_account()
                self._check_positions()
                self._account_due = False
        except TransientBrokerError as exc:
            log.warning("account refresh failed (%s); retrying at the next pass", exc)

    def _apply_all(self) -> None:
        """Apply snapshots in ``BackBroker``'s order: every acceptance, then fills (a filled leg cancels
        its sibling at once), then cancels, expiries and rejections; each phase in submission order."""
        parts = sorted(
            (t for t in self._all_parts() if not t.final and t.snap is not None), key=lambda t: t.seq
        )
        for t in parts:
            if t.order.status == bt.Order.Submitted and t.snap.status not in ("rejected", "pending_new"):
                t.order.accept(self)
                self.notify(t.order)
        for t in parts:
            snap = t.snap
            if t.order.alive() and snap.filled_qty > t.filled + 1e-12 and snap.filled_avg_price is not None:
                self._fill(t, snap)
        for t in parts:
            status = t.snap.status
            if t.order.alive() and status in ("canceled", "expired", "rejected", "replaced"):
                {"expired": self._expire, "rejected": self._reject_one}.get(status, self._cancel_one)(t)
            if not t.order.alive():
                t.final = True

    def _all_parts(self) -> list[Tracked]:
        parts: dict[int, Tracked] = {}
        for t in self._tracked.values():
            for p in t.group or [t]:
                parts[id(p)] = p
        return list(parts.values())

    def _fill(self, t: Tracked, snap: BrokerOrder) -> None:
        order = t.order
        total_value = snap.filled_avg_price * snap.filled_qty
        qty = snap.filled_qty - t.filled
        price = snap.filled_avg_price if t.filled == 0 else (total_value - t.filled_value) / qty
        t.filled, t.filled_value = snap.filled_qty, total_value
        size = (
            abs(order.executed.remsize) if snap.status == "filled" else min(qty, abs(order.executed.remsize))
        )
        self._execute(order, size if order.isbuy() else -size, price)
        at = self.store.clock()
        exec_id = fill_execution_id(snap.broker_id, snap.filled_qty)
        journal = self.store.journal
        journal.record_fill(t.cid, exec_id, qty, price, at)
        journal.update_order(
            t.cid,
            status=snap.status,
            at=at,
            broker_order_id=snap.broker_id,
            filled_qty=snap.filled_qty,
            filled_avg_price=snap.filled_avg_price,
        )
        self.notify(order)
        if order.status == bt.Order.Completed:
            self._after_complete(t)

    def _execute(self, order: bt.Order, size: float, price: float) -> None:
        """``order.execute`` with the same bookkeeping as ``BackBroker._execute`` (cash moves locally)."""
        data = order.data
        comminfo = self.getcommissioninfo(data)
        position = self.getposition(data)
        pprice_orig = position.price
        psize, pprice, opened, closed = position.update(size, price, data.datetime.datetime())
        pnl = comminfo.profitandloss(-closed, pprice_orig, price)
        closedvalue = comminfo.getoperationcost(closed, pprice_orig)
        closedcomm = comminfo.getcommission(closed, price)
        openedvalue = comminfo.getoperationcost(opened, price)
        openedcomm = comminfo.getcommission(opened, price)
        self._cash -= size * price + closedcomm + openedcomm
        order.execute(
            data.datetime[0],
            size,
            price,
            closed,
            closedvalue,
            closedcomm,
            opened,
            openedvalue,
            openedcomm,
            comminfo.margin,
            pnl,
            psize,
            pprice,
        )
        order.addcomminfo(comminfo)

    def _after_complete(self, t: Tracked) -> None:
        if t.group is None:
            return
        if t.role == "parent":
            for child in t.group[1:]:
                child.order.activate()
            return
        for other in t.group[1:]:  # one leg filled: Alpaca cancels the other (OCO)
            if other is not t and other.order.alive():
                self._cancel_one(other, cascade=False)

    def _journal_state(self, t: Tracked, status: str) -> None:
        if t.broker_id is not None or status == "REJECTED":
            try:
                self.store.journal.update_order(t.cid, status=status, at=self.store.clock())
            except BrokerError as exc:  # a leg not journaled yet (no broker id seen)
                log.debug("journal update of %s skipped: %s", t.cid, exc)

    def _cancel_one(self, t: Tracked, cascade: bool = True) -> None:
        t.order.cancel()
        t.final = True
        self._journal_state(t, "CANCELED")
        self.notify(t.order)
        if cascade and t.group is not None and t.role == "parent":
            for child in t.group[1:]:
                if child.order.alive():
                    self._cancel_one(child, cascade=False)

    def _expire(self, t: Tracked) -> None:
        t.order.status = bt.Order.Expired
        t.final = True
        self._journal_state(t, "EXPIRED")
        self.notify(t.order)

    def _reject_one(self, t: Tracked) -> None:
        # rejected after Alpaca accepted it: it could not be paid at execution (backtrader's Margin)
        t.order.margin() if t.order.status == bt.Order.Accepted else t.order.reject(self)
        t.final = True
        self._journal_state(t, "REJECTED")
        self.notify(t.order)
        if t.group is not None and t.role == "parent":
            for child in t.group[1:]:
                if child.order.alive():
                    self._cancel_one(child, cascade=False)
