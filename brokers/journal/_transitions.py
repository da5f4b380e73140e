"""Which order state changes the journal applies, ignores as stale, or refuses as contradictions.

Stream events and REST lookups can arrive out of order (a REST poll may see ``filled`` before the stream
delivers the older ``partial_fill``), so an update that would move an order backwards is stale and ignored;
two different final states for one order cannot both be true and stop the caller with a BrokerError.
"""

from __future__ import annotations

from typing import Literal

from tradeforge.errors import BrokerError

from ._types import TERMINAL_STATES, OrderState

__all__ = ["decide"]

Decision = Literal["apply", "same", "stale"]


def decide(client_order_id: str, current: OrderState, new: OrderState) -> Decision:
    """``apply`` (a real change), ``same`` (same state: record only what else changed) or ``stale``.

    Raises BrokerError for contradictions: a final state replaced by another final state, any broker
    update of a REFUSED order (it was never sent), or a move back to NEW.

    Examples
    --------
    >>> decide("c1", OrderState.NEW, OrderState.SUBMITTED)
    'apply'
    >>> decide("c1", OrderState.FILLED, OrderState.SUBMITTED)
    'stale'
    """
    if current == new:
        return "same"
    if new in (OrderState.NEW, OrderState.REFUSED):
        raise BrokerError(f"order {client_order_id!r}: cannot go from {current} back to {new}; NEW and "
                          "REFUSED are written only by record_intent / record_refusal")
    if current == OrderState.REFUSED:
        raise BrokerError(f"order {client_order_id!r} was REFUSED by the pre-trade gate and never sent, but "
                          f"the broker reports it {new}: reconcile the account by hand before trading")
    if current in TERMINAL_STATES:
        if new in TERMINAL_STATES:
            raise BrokerError(f"order {client_order_id!r}: journaled {current}, now reported {new}; both "
                              "cannot be true: compare the broker's order history with the journal")
        return "stale"
    if current == OrderState.PARTIALLY_FILLED and new == OrderState.SUBMITTED:
        return "stale"
    return "apply"
