"""Orders an earlier session left working (a crash, a kill, a Ctrl-C), met again by a new session.

A new session's broker only tracks the orders it sends itself. So, right after the startup
reconciliation, :func:`settle_previous` cancels the earlier session's working *entries and exits* (their
bar is past: the strategy decides again on the next live bar) and waits until the broker reports each one
final, then reconciles again; *protective* orders (bracket legs, protective stops) are kept working.
:class:`PreviousOrders` then follows those kept ones after every bar (one lookup each): a fill is
journaled, and the broker's position of that symbol is re-read, so the strategy never acts on a stale
position. When the strategy sends an order that reduces a position, the earlier sessions' protective
orders of that symbol are cancelled first (and waited for): no protective order outlives its position.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from .reconcile import ReconcileReport, _Reconciler, working_orders

__all__ = ["settle_previous", "wait_final", "PreviousOrders"]


def _protective(row: Any) -> bool:
    return bool(row.intent.parent_client_order_id) or row.intent.intent == "protect"


def settle_previous(journal: Any, store: Any, *, timeout_s: float = 10.0,
                    sleep: Callable[[float], None] = time.sleep) -> list[str]:
    """Cancel the earlier session's working entries/exits and wait until each is final at the broker.

    Returns their client ids. One that is still not final after *timeout_s* is left to the
    reconciliation that follows (it is then tracked by :class:`PreviousOrders`).
    """
    stale = [row for row in journal.open_orders() if not _protective(row) and row.broker_order_id]
    for row in stale:
        store.cancel(row.broker_order_id)
    wait_final(store, [row.client_order_id for row in stale], timeout_s=timeout_s, sleep=sleep)
    return [row.client_order_id for row in stale]


def wait_final(store: Any, client_ids: list[str], *, timeout_s: float = 10.0,
               sleep: Callable[[float], None] = time.sleep) -> None:
    """Wait until the broker reports each order final, at most *timeout_s* (a cancel completes
    asynchronously); an order the broker does not know counts as final."""
    waiting, deadline = set(client_ids), time.monotonic() + timeout_s
    while waiting and time.monotonic() < deadline:
        for cid in sorted(waiting):
            order = store.order_by_client_id(cid)
            if order is None or order.is_final:
                waiting.discard(cid)
        if waiting:
            sleep(0.05)


class PreviousOrders:
    """Follows the journal's open orders that this session's broker does not track (see the module notes)."""

    def __init__(self, journal: Any, store: Any, followed: set[str], before: set[str] | None = None) -> None:
        self.journal, self.store = journal, store
        self.followed = set(followed)   # client ids of orders this session's broker does not track
        self.before = set(before or ())  # every client id journaled before this session
        self.report = ReconcileReport()
        self.cancelled: list[str] = []

    def clear_protective(self, symbol: str, side: str) -> list[str]:
        """Cancel the working *side* orders of *symbol* that belong to no order of this session (the
        earlier sessions' bracket legs and protective stops), wait until final; return their client ids."""
        # orders this session's broker sent (it manages their brackets itself); everything else working
        # (earlier sessions' legs, protective stops placed by a reconciliation) goes with the position
        ours = {row.client_order_id for row in self.journal.orders()} - self.before - self.followed
        stale = [part for parent, part in working_orders(self.store) if parent.client_order_id not in ours
                 and part.symbol == symbol and part.side == side]
        for part in stale:
            self.store.cancel(part.broker_id)
        waiting = {part.client_order_id for part in stale}
        deadline = time.monotonic() + 10.0
        while waiting and time.monotonic() < deadline:
            open_ids = {part.client_order_id for _, part in working_orders(self.store)}
            waiting &= open_ids
            if waiting:
                time.sleep(0.05)
        self.cancelled.extend(part.client_order_id for part in stale)
        return [part.client_order_id for part in stale]

    def pending(self) -> list[Any]:
        return [row for row in self.journal.open_orders() if row.client_order_id in self.followed]

    def step(self, broker: Any, datas: list[Any]) -> int:
        """Apply the broker's view of every untracked open order; re-read positions after a fill."""
        rows = self.pending()
        if not rows:
            return 0
        before = self.report.fills_added
        rec = _Reconciler(self.journal, self.store, self.report)
        for row in rows:
            order = rec.lookup(row)
            if order is not None:
                rec.apply(row, order)
        added = self.report.fills_added - before
        if added:
            held = {s: q for s, q in self.store.positions().items()}
            for data in datas:
                qty, price = held.get(data._name, (0.0, 0.0))
                broker.getposition(data).set(qty, price)
        return added



def live_broker_class() -> type:
    """The Alpaca broker that, at each new bar, first follows the earlier session's orders."""
    from tradeforge.brokers.alpaca.broker import AlpacaBroker

    class LiveBroker(AlpacaBroker):
        """``AlpacaBroker`` + :class:`PreviousOrders` applied before the strategy sees a new bar."""

        params = (("previous", None), ("datas", None))

        def __init__(self, store: Any) -> None:
            super().__init__(store)
            self._previous_seq: int | None = None

        def _clear(self, data: Any, size: float, side: str) -> None:
            held = self.getposition(data).size
            reduces = (side == "sell" and held > 0) or (side == "buy" and held < 0)
            if self.p.previous is not None and reduces and size:
                self.p.previous.clear_protective(data._name, side)

        def buy(self, owner: Any, data: Any, size: float, *args: Any, **kwargs: Any) -> Any:
            self._clear(data, size, "buy")
            return super().buy(owner, data, size, *args, **kwargs)

        def sell(self, owner: Any, data: Any, size: float, *args: Any, **kwargs: Any) -> Any:
            if kwargs.get("parent") is None:  # a bracket's own children are not exits
                self._clear(data, size, "sell")
            return super().sell(owner, data, size, *args, **kwargs)

        def next(self) -> None:
            seq = self.store.bar_seq
            super().next()
            if self.p.previous is not None and seq != self._previous_seq:
                self._previous_seq = seq
                self.p.previous.step(self, list(self.p.datas or ()))

    return LiveBroker
