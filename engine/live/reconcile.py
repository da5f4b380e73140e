"""Journal vs broker reconciliation, run at startup and after every stream reconnect, before trading.

1. Every order the journal holds open (NEW, SUBMITTED, PARTIALLY_FILLED, UNKNOWN) is looked up **by client
   id**, never sent again: found -> the journal takes the broker's status, ids and fills; not found -> a
   NEW or UNKNOWN order never reached the broker and is closed as REJECTED with that reason; a SUBMITTED one
   that vanished is a mismatch. Bracket legs are found through their parent's ``legs``.
2. Orders the broker reports as changed since the journal's last seen event (``orders_since``) update the
   journal the same way; an open broker order whose client id the journal does not know is a mismatch.
3. Fills the stream missed are journaled for the quantity the journal's fills do not cover yet, with
   ``execution_id = "<broker id>:<cumulative qty>"`` (the broker's own fallback id).
4. Positions: the journal's fills per symbol must equal the broker's positions.
5. An entry filled with a ``stop_loss`` whose position has no working stop at the broker gets one now.

A mismatch that cannot be explained raises :class:`~tradeforge.errors.BrokerError` saying what differs: the
runner stops before trading.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tradeforge.errors import BrokerError

__all__ = ["ReconcileReport", "reconcile", "fill_execution_id", "broker_positions", "journal_positions"]

_EPS = 1e-9


def fill_execution_id(broker_order_id: Any, cumulative_qty: float) -> str:
    """The journal's execution id of the fill that brought an order to *cumulative_qty*.

    Examples
    --------
    The broker's own fallback when the stream gave no execution id; a fill is journaled only for the
    quantity the journal's fills do not cover yet, so one seen by both paths is stored once.

    >>> fill_execution_id("6f1c", 10.0)
    '6f1c:10'
    """
    return f"{broker_order_id}:{float(cumulative_qty):g}"


@dataclass
class ReconcileReport:
    """What one reconciliation did (lists of client order ids unless said otherwise)."""

    updated: list[str] = field(default_factory=list)
    resolved_unknown: list[str] = field(default_factory=list)
    never_sent: list[str] = field(default_factory=list)
    fills_added: int = 0
    protected: list[str] = field(default_factory=list)
    positions: dict[str, float] = field(default_factory=dict)
    mismatches: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for the status output."""
        return (f"reconciled: {len(self.updated)} order(s) updated, {len(self.resolved_unknown)} unknown "
                f"resolved, {len(self.never_sent)} never sent, {self.fills_added} fill(s) added, "
                f"{len(self.protected)} protective stop(s) placed, positions {self.positions or '{}'}")


def broker_positions(store: Any) -> dict[str, float]:
    """``{symbol: signed qty}`` of the broker's positions (shorts negative)."""
    return {str(sym): float(value[0] if isinstance(value, tuple) else value)
            for sym, value in store.positions().items()
            if abs(float(value[0] if isinstance(value, tuple) else value)) > _EPS}


def journal_positions(journal: Any) -> dict[str, float]:
    """``{symbol: signed qty}`` summed from the journal's fills."""
    fills = journal.fills_frame()
    if fills is None or len(fills) == 0:
        return {}
    sums = fills.groupby("symbol")["signed_qty"].sum()
    return {str(sym): float(qty) for sym, qty in sums.items() if abs(float(qty)) > _EPS}


def _flatten(orders: Any) -> list[Any]:
    """Orders followed by their bracket legs."""
    return [leg for order in orders or () for leg in order.flatten()]


class _Reconciler:
    def __init__(self, journal: Any, store: Any, report: ReconcileReport) -> None:
        self.journal, self.store, self.report = journal, store, report
        self._parents: dict[str, Any] = {}

    def apply(self, row: Any, order: Any) -> None:
        """Bring the journal's row to the broker's *order* (status, id, fills)."""
        cid = row.client_order_id
        cum, avg = float(order.filled_qty or 0.0), float(order.filled_avg_price or 0.0)
        at = order.updated_at or _dt.datetime.now(_dt.UTC)
        have = float(row.filled_qty or 0.0)
        if cum > have + _EPS and avg > 0:
            price = (cum * avg - have * float(row.filled_avg_price or 0.0)) / (cum - have)
            if self.journal.record_fill(cid, fill_execution_id(order.broker_id, cum), cum - have,
                                        price if price > 0 else avg, at):
                self.report.fills_added += 1
        changed = self.journal.update_order(cid, status=order.status, at=at, broker_order_id=order.broker_id,
                                            filled_qty=cum or None, filled_avg_price=avg or None,
                                            reason="reconciled with the broker")
        if changed:
            (self.report.resolved_unknown if str(row.state) == "UNKNOWN" else self.report.updated).append(cid)

    def lookup(self, row: Any) -> Any:
        """The broker's order for a journal row: by client id, or as a leg of its parent."""
        order = self.store.order_by_client_id(row.client_order_id)
        parent_id = row.intent.parent_client_order_id
        if order is not None or not parent_id:
            return order
        if parent_id not in self._parents:
            self._parents[parent_id] = self.store.order_by_client_id(parent_id)
        parent = self._parents[parent_id]
        for leg in parent.legs if parent is not None else ():
            if row.broker_order_id == leg.broker_id or (row.broker_order_id is None
                                                       and leg.order_type == row.intent.order_type):
                return leg
        return None

    def open_rows(self) -> None:
        for row in self.journal.open_orders():
            order = self.lookup(row)
            if order is not None:
                self.apply(row, order)
            elif str(row.state) in ("NEW", "UNKNOWN"):
                self.journal.update_order(row.client_order_id, status="REJECTED",
                                          reason="never reached the broker (no order with this client id)")
                self.report.never_sent.append(row.client_order_id)
            else:
                self.report.mismatches.append(
                    f"order {row.client_order_id} is {row.state} in the journal but the broker has no order "
                    "with this client id")

    def since(self, after: Any) -> None:
        """Orders changed at the broker since *after*: update the journal rows still open."""
        if after is None:
            return
        for order in _flatten(self.store.orders_since(after)):
            row = self.journal.order(order.client_order_id)
            if row is not None and row.is_open:
                self.apply(row, order)

    def unknown_open(self) -> None:
        """Every order working at the broker must be known to the journal (or be a leg of one that is)."""
        journaled = {r.broker_order_id for r in self.journal.orders() if r.broker_order_id}
        for parent in self.store.open_orders():
            known = self.journal.order(parent.client_order_id) is not None or parent.broker_id in journaled
            for order in parent.flatten():
                if known or self.journal.order(order.client_order_id) is not None or order.is_final:
                    continue
                what = f"{order.side} {order.qty:g} {order.symbol} {order.order_type}"
                self.report.mismatches.append(
                    f"the broker has open order {order.broker_id} ({what}, client id "
                    f"{order.client_order_id!r}) that the journal does not know")


def reconcile(journal: Any, store: Any, *, protect: Callable[[Any, float], str | None] | None = None
              ) -> ReconcileReport:
    """Reconcile *journal* with the broker behind *store* (see the module notes).

    Parameters
    ----------
    journal : Journal
    store : AlpacaStore
        ``order_by_client_id``, ``orders_since``, ``open_orders``, ``positions``.
    protect : callable, optional
        ``protect(entry_row, qty) -> client order id | None``: place the missing protective stop of an
        entry (the runner submits it through the store). None: a missing stop is only reported.

    Raises
    ------
    BrokerError
        When journal and broker differ in a way nothing above explains; the message lists every difference.
    """
    report = ReconcileReport()
    rec = _Reconciler(journal, store, report)
    rec.open_rows()
    rec.since(journal.last_event_at())
    rec.unknown_open()
    held = broker_positions(store)
    report.positions = held
    mine = journal_positions(journal)
    for symbol in sorted(set(held) | set(mine)):
        if abs(held.get(symbol, 0.0) - mine.get(symbol, 0.0)) > _EPS:
            report.mismatches.append(f"position {symbol}: broker {held.get(symbol, 0.0):g}, journal fills "
                                     f"{mine.get(symbol, 0.0):g}")
    if report.mismatches:
        raise BrokerError("reconciliation failed, journal and broker differ: " + "; ".join(report.mismatches)
                          + ". Nothing was traded; resolve it in the account (or the journal) and restart")
    _protect(journal, store, held, report, protect)
    return report


def _protect(journal: Any, store: Any, held: dict[str, float], report: ReconcileReport,
             protect: Callable[[Any, float], str | None] | None) -> None:
    """Give every open long position that came from a stop-protected entry a working stop."""
    if protect is None or not held:
        return
    stops = {o.symbol for o in _flatten(store.open_orders())
             if o.order_type in ("stop", "stop_limit", "trailing_stop") and o.side == "sell"}
    latest: dict[str, Any] = {}
    for row in journal.orders(["FILLED", "PARTIALLY_FILLED"]):
        if row.intent.side == "buy" and not row.intent.parent_client_order_id:
            latest[row.symbol] = row
    for symbol, qty in held.items():
        row = latest.get(symbol)
        if qty > 0 and symbol not in stops and row is not None and row.intent.stop_loss:
            cid = protect(row, qty)
            if cid:
                report.protected.append(cid)


def protective_stop(store: Any, strategy: str) -> Callable[[Any, float], str | None]:
    """The ``protect`` callback of :func:`reconcile`: a sell stop at the entry's ``stop_loss`` for *qty*.

    Its client order id is deterministic (entry bar time, intent ``protect``), so a restart that finds the
    same gap again gets the id Alpaca already holds instead of a second stop.
    """
    from tradeforge.brokers.alpaca.ids import client_order_id
    from tradeforge.brokers.journal import OrderIntent

    def protect(entry: Any, qty: float) -> str | None:
        intent = entry.intent
        seq = 0
        cid = client_order_id(strategy, intent.symbol, intent.bar_time, "protect", seq)
        while (known := store.journal.order(cid)) is not None and not known.is_open:
            seq += 1  # an earlier protective stop of this entry filled or was canceled: a new one
            cid = client_order_id(strategy, intent.symbol, intent.bar_time, "protect", seq)
        if known is not None:
            return None  # one is already working (the reconciliation found it open)
        stop = OrderIntent(client_order_id=cid, strategy=strategy, symbol=intent.symbol, side="sell", qty=qty,
                           order_type="stop", stop_price=intent.stop_loss, bar_time=intent.bar_time,
                           intent="protect", parent_client_order_id=intent.client_order_id)
        order = store.submit(stop)
        return cid if order is not None or store.journal.order(cid) is not None else None

    return protect
