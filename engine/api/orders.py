"""Executing a signal as a paper bracket order through the Alpaca adapter, with the pre-trade checks.

:class:`OrderDesk` turns one signal of the current bar into an ``OrderIntent`` (buy ``qty`` shares, a
bracket with the signal's target and stop) whose ``client_order_id`` is derived from (strategy, symbol,
bar, "entry"): the same signal asked for twice gets the same id, so a repeat is recognised in the journal
and never sent again (and Alpaca itself would refuse the id). An order is refused, and nothing is sent,
when the signal is not a BUY of the current bar, the market is closed, the account is blocked, or the
risk gate (:class:`tradeforge.engine.live.risk.LiveRisk`, i.e. ``strategies.risk.pre_trade_check`` with
the journal's persisted kill switch and daily limit) names a reason; gate refusals are journaled.

Bracket prices: ``take_profit = price * (1 + expected_return)`` and
``stop_loss = price * (1 - max(|cvar_95|, |var_95|))`` (the signal's own target and its expected loss in
the worst 5 %), rounded to cents; a target or stop less than one cent from the price is refused.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from tradeforge.errors import ConfigError

from .signals_cache import utcnow

__all__ = ["OrderDesk", "OrderPlan", "Refusal", "bracket_prices"]

_CENT = 0.01


class Refusal(Exception):  # noqa: N818 - a refusal is an answer, not a failure of ours
    """An order that is not sent: *code* (``not_found``, ``not_buy``, ``duplicate``, ``market_closed``,
    ``account_blocked``, ``risk``, ``bad_bracket``, ``stale``) and a one-line *message*; *order* for a
    duplicate."""

    def __init__(self, code: str, message: str, order: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.order = code, message, order


@dataclass(frozen=True)
class OrderPlan:
    """The order a signal would send (plain values; ``client_order_id`` is its idempotency key)."""

    client_order_id: str
    symbol: str
    side: str
    qty: float
    price: float
    take_profit: float
    stop_loss: float
    bar_time: datetime
    confidence: float
    expected_return: float


def bracket_prices(signal: Mapping[str, Any]) -> tuple[float, float]:
    """``(take_profit, stop_loss)`` of a BUY signal, rounded to cents (module notes).

    Examples
    --------
    >>> bracket_prices({"symbol": "A", "price": 100.0, "expected_return": 0.02,
    ...                 "risk_metrics": {"var_95": -0.015, "cvar_95": -0.021}})
    (102.0, 97.9)
    """
    price = float(signal["price"])
    metrics = signal["risk_metrics"]
    loss = max(abs(float(metrics["cvar_95"])), abs(float(metrics["var_95"])))
    take_profit = round(price * (1.0 + float(signal["expected_return"])), 2)
    stop_loss = round(price * (1.0 - loss), 2)
    if not (math.isfinite(take_profit) and take_profit >= price + _CENT - 1e-9):
        raise Refusal("bad_bracket", f"{signal['symbol']}: target {take_profit} is not at least a cent above "
                                     f"the price {price} (expected_return {signal['expected_return']})")
    if not (math.isfinite(stop_loss) and _CENT <= stop_loss <= price - _CENT + 1e-9):
        raise Refusal("bad_bracket", f"{signal['symbol']}: stop {stop_loss} is not between a cent and a cent "
                                     f"below the price {price} (var_95 {metrics['var_95']}, "
                                     f"cvar_95 {metrics['cvar_95']})")
    return take_profit, stop_loss


def _iso(when: datetime | None) -> str | None:
    """Aware UTC ISO text (naive means UTC), None for None."""
    if when is None:
        return None
    return (when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)).isoformat()


def order_dict(row: Any) -> dict[str, Any]:
    """A journaled ``OrderRow`` as the API shows it."""
    intent = row.intent
    return {
        "client_order_id": intent.client_order_id, "symbol": intent.symbol, "side": intent.side,
        "qty": intent.qty, "take_profit": intent.take_profit, "stop_loss": intent.stop_loss,
        "bar_time": _iso(intent.bar_time),
        "state": str(getattr(row.state, "value", row.state)), "broker_status": row.broker_status,
        "broker_order_id": row.broker_order_id, "filled_qty": row.filled_qty,
        "filled_avg_price": row.filled_avg_price, "reason": row.reason,
        "updated_at": _iso(row.updated_at),
    }


class OrderDesk:
    """Sends signals as paper bracket orders through an ``AlpacaStore`` (see the module notes).

    Parameters
    ----------
    store : AlpacaStore
        The broker adapter (paper); its journal records every intent before the POST.
    risk : LiveRisk
        The pre-trade gate with the journal's persisted risk state.
    strategy : str
        The strategy name inside client order ids and journal rows.
    order_value : float
        Dollars per order when a request names no quantity (``qty = floor(order_value / price)``, >= 1).
    clock : callable, optional
        Aware UTC "now" (default: the system clock).
    """

    def __init__(self, store: Any, risk: Any, *, strategy: str = "signals", order_value: float = 1_000.0,
                 clock: Callable[[], datetime] | None = None) -> None:
        if isinstance(order_value, bool) or not isinstance(order_value, int | float) or not order_value > 0:
            raise ConfigError(f"order_value: expected dollars > 0 per order, got {order_value!r}; e.g. 1000")
        if getattr(store.config, "mode", "paper") != "paper":
            raise ConfigError("store: the API sends paper orders only; build the store with "
                              "AlpacaConfig.from_env('paper')")
        self.store, self.journal, self.risk = store, store.journal, risk
        self.strategy, self.order_value = strategy, float(order_value)
        self.clock = clock or utcnow
        self._lock = threading.Lock()

    def plan(self, signal: Mapping[str, Any], bar_time: datetime, qty: float | None = None) -> OrderPlan:
        """The order *signal* would send on *bar_time* (raises :class:`Refusal` for a non-BUY signal)."""
        from tradeforge.brokers.alpaca import client_order_id

        if signal["decision"] != "BUY":
            raise Refusal("not_buy", f"{signal['symbol']}: only BUY signals are executed, "
                                     f"this one is {signal['decision']}")
        price = float(signal["price"])
        take_profit, stop_loss = bracket_prices(signal)
        if qty is None:
            qty = float(max(1, math.floor(self.order_value / price)))
        cid = client_order_id(self.strategy, signal["symbol"], bar_time, "entry", 0)
        return OrderPlan(client_order_id=cid, symbol=signal["symbol"], side="buy", qty=float(qty),
                         price=price, take_profit=take_profit, stop_loss=stop_loss, bar_time=bar_time,
                         confidence=float(signal["confidence"]),
                         expected_return=float(signal["expected_return"]))

    def _intent(self, plan: OrderPlan) -> Any:
        from tradeforge.brokers.journal import OrderIntent

        return OrderIntent(client_order_id=plan.client_order_id, strategy=self.strategy, symbol=plan.symbol,
                           side="buy", qty=plan.qty, order_type="market", take_profit=plan.take_profit,
                           stop_loss=plan.stop_loss, bar_time=plan.bar_time, intent="entry")

    def _gate(self, intent: Any, plan: OrderPlan) -> str | None:
        from tradeforge.brokers.alpaca import BrokerView

        account = self.store.account()
        if account.trading_blocked:
            raise Refusal("account_blocked", f"account {account.account_number} is blocked from trading")
        self.risk.update(account.equity, self.clock())
        positions = {s: q for s, (q, _avg) in self.store.positions().items()}
        view = BrokerView(cash=account.cash, value=account.equity, positions=positions,
                          open_orders=len(self.journal.open_orders()), prices={plan.symbol: plan.price})
        return self.risk.gate(intent, view)

    def execute(self, plan: OrderPlan) -> dict[str, Any]:
        """Check and send *plan*; returns the journaled order (state SUBMITTED..., or UNKNOWN).

        Raises
        ------
        Refusal
            A repeat of an order already sent (or refused), a closed market, a blocked account, a
            risk-gate refusal (journaled as REFUSED).
        BrokerError
            Alpaca refused the order (journaled REJECTED); ``TransientBrokerError`` when it never got it.
        """
        with self._lock:  # check-then-send is atomic: two clicks cannot both pass the duplicate check
            known = self.journal.order(plan.client_order_id)
            if known is not None:
                row = order_dict(known)
                what = "was refused" if row["state"] == "REFUSED" else "was already sent"
                raise Refusal("duplicate", f"{plan.symbol}: this bar's signal {what} as order "
                                           f"{plan.client_order_id} ({row['state']})", order=row)
            if not self.store.market_open(max_age_s=0.0):  # fresh: never send on a stale answer
                raise Refusal("market_closed", f"{plan.symbol}: the market is closed; orders are sent only "
                                               "while it is open")
            intent = self._intent(plan)
            reason = self._gate(intent, plan)
            if reason is not None:
                self.journal.record_refusal(intent, reason)
                raise Refusal("risk", f"{plan.symbol}: refused by the risk gate: {reason}")
            self.store.submit(intent)
            return order_dict(self.journal.order(plan.client_order_id))

    def refresh(self, client_order_id: str) -> dict[str, Any] | None:
        """The journaled order after asking Alpaca for its current state (None when never journaled)."""
        with self._lock:
            row = self.journal.order(client_order_id)
            if row is None:
                return None
            if row.is_open:
                snap = self.store.order_by_client_id(client_order_id)
                if snap is not None:
                    self.journal.update_order(client_order_id, status=snap.status, at=self.clock(),
                                              broker_order_id=snap.broker_id, filled_qty=snap.filled_qty,
                                              filled_avg_price=snap.filled_avg_price)
                    row = self.journal.order(client_order_id)
            return order_dict(row)

    def orders(self) -> list[dict[str, Any]]:
        """Every order of this desk's strategy in the journal, newest first."""
        rows = [r for r in self.journal.orders() if r.intent.strategy == self.strategy
                and not r.intent.parent_client_order_id]
        return [order_dict(r) for r in reversed(rows)]

    def positions(self) -> dict[str, Any]:
        """The account and its positions as Alpaca reports them."""
        account = self.store.account()
        return {
            "account": {"account_number": account.account_number, "cash": account.cash,
                        "equity": account.equity, "buying_power": account.buying_power,
                        "status": account.status, "market_open": self.store.market_open()},
            "positions": [{"symbol": s, "qty": q, "avg_entry_price": p}
                          for s, (q, p) in sorted(self.store.positions().items())],
        }


def plan_dict(plan: OrderPlan) -> dict[str, Any]:
    """An :class:`OrderPlan` as JSON-ready values."""
    out = asdict(plan)
    out["bar_time"] = _iso(plan.bar_time)
    return out
