"""The live session's portfolio risk: RiskRules persisted in the journal, and the broker's pre-trade gate.

:class:`LiveRisk` owns one :class:`~tradeforge.strategies.risk.RiskRules` for the whole account (any
strategy, ``sma_cross`` included). It is restored from the journal when the session starts (a tripped kill
switch or a daily block latches across restarts until ``tradeforge unlock``), fed the account equity after
every bar and saved back at once. :meth:`LiveRisk.gate` is the ``pre_trade_gate`` hook of the broker: it
refuses an entry while the switch is tripped or the day blocked, past ``max_open_positions`` or
``max_position_pct``, and any order created on a bar that is not tradable (backfill or stale); the broker
journals every refusal with its reason.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Mapping
from typing import Any

from tradeforge.strategies.risk import STATE_KEYS, RiskRules, RiskStatus, pre_trade_check

__all__ = ["LiveRisk"]


class LiveRisk:
    """Account-wide risk rules, persisted in *journal*, and the pre-trade gate (see the module notes).

    Parameters
    ----------
    journal : Journal
        Where the state is restored from and saved to (``risk_state()`` / ``save_risk_state()``).
    max_open_positions, max_position_pct, max_drawdown, daily_loss_limit
        The limits (:class:`~tradeforge.engine.live.config.LiveConfig`).
    tradable : callable, optional
        ``tradable(symbol, bar_time) -> str | None``: why an order on that bar must not trade (a backfill
        or stale bar), or None.
    """

    def __init__(self, journal: Any, *, max_open_positions: int = 10, max_position_pct: float = 1.0,
                 max_drawdown: float = 0.2, daily_loss_limit: float = 0.03,
                 tradable: Callable[[str, Any], str | None] | None = None) -> None:
        self.journal = journal
        self.max_position_pct = float(max_position_pct)
        self.rules = RiskRules(daily_loss_limit=daily_loss_limit, max_drawdown=max_drawdown,
                               max_open_positions=max_open_positions)
        self._tradable = tradable
        self.refusals: list[tuple[str, str]] = []
        self.restore()

    # ---------------------------------------------------------------------------------- persistence
    def restore(self) -> None:
        """Load the journal's risk state into the rules (a fresh journal leaves them armed)."""
        saved = self.journal.risk_state()
        state = {key: getattr(saved, key) for key in STATE_KEYS if hasattr(saved, key)}
        self.rules.restore_state(state)

    def save(self) -> None:
        """Write the rules' state to the journal."""
        from tradeforge.brokers.journal import RiskState

        state = self.rules.export_state()
        known = {k: v for k, v in state.items() if k in RiskState.__dataclass_fields__}
        if known.get("tripped_at") is not None and not isinstance(known["tripped_at"], _dt.datetime):
            day = known["tripped_at"]
            known["tripped_at"] = _dt.datetime(day.year, day.month, day.day, tzinfo=_dt.UTC)
        self.journal.save_risk_state(RiskState(**known))

    def update(self, equity: float, when: Any) -> RiskStatus:
        """Feed the equity after the bar at *when* and persist the new state at once."""
        status = self.rules.update(float(equity), when)
        self.save()
        return status

    # ---------------------------------------------------------------------------------------- gate
    def check(self, *, symbol: str, side: str, qty: float, price: float, equity: float,
              positions: Mapping[str, float], pending_entries: Any = (), bar_time: Any = None) -> str | None:
        """The reason to refuse this order, or None (plain values; :meth:`gate` reads them from the view)."""
        if self._tradable is not None and bar_time is not None:
            reason = self._tradable(symbol, bar_time)
            if reason is not None:
                return reason
        return pre_trade_check(self.rules, symbol=symbol, side=side, qty=qty, price=price, equity=equity,
                               positions=positions, pending_entries=pending_entries,
                               max_position_pct=self.max_position_pct)

    def gate(self, intent: Any, view: Any) -> str | None:
        """The broker's ``pre_trade_gate(intent, view)``: a reason refuses (and the broker journals) it.

        *view* is the broker's ``BrokerView`` (cash, value, positions, prices); the entries still working
        at the broker come from the journal's open orders.
        """
        if intent.intent == "protect" or intent.parent_client_order_id:
            return None  # protective stops and bracket legs are never blocked
        price = intent.limit_price or intent.stop_price or (view.prices or {}).get(intent.symbol)
        reason = self.check(symbol=intent.symbol, side=intent.side, qty=float(intent.qty),
                            price=float(price) if price else float("nan"), equity=float(view.value),
                            positions=dict(view.positions or {}), pending_entries=self._pending_entries(),
                            bar_time=intent.bar_time)
        if reason is not None:
            self.refusals.append((intent.client_order_id, reason))
        return reason

    def _pending_entries(self) -> set[str]:
        """Symbols with an entry (a buy that is not a bracket leg) still working at the broker."""
        return {row.symbol for row in self.journal.open_orders()
                if row.intent.side == "buy" and not row.intent.parent_client_order_id}
