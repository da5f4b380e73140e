"""The 16:30 ET daily summary: its numbers and a text that fits two SMS segments."""

from __future__ import annotations

import dataclasses
from datetime import date

from tradeforge.engine.notify.sms import fit_sms

__all__ = ["SummaryNumbers", "format_summary"]


@dataclasses.dataclass(frozen=True)
class SummaryNumbers:
    """The figures of one day's summary (money in account currency)."""

    session: date
    pnl_today: float
    pnl_week: float
    pnl_total: float
    trades_today: int
    open_positions: dict[str, float]
    equity: float
    kill_switch: bool
    kill_reason: str = ""


def _money(x: float) -> str:
    return f"{x:+,.2f}"


def format_summary(n: SummaryNumbers, max_segments: int = 2) -> str:
    """One text, GSM-7 only, at most *max_segments* SMS segments (positions are cut first when too long).

    Examples
    --------
    >>> from datetime import date
    >>> text = format_summary(SummaryNumbers(date(2024, 11, 29), 120.5, -30.0, 1520.25, 4, {"AAPL": 10},
    ...                                      101520.25, False))
    >>> for part in text.split(" | "): print(part)
    2024-11-29 P&L day +120.50 wk -30.00 tot +1,520.25
    4 trades
    equity 101,520.25
    kill switch off
    pos AAPL 10
    """
    kill = "kill switch TRIPPED" + (f" ({n.kill_reason})" if n.kill_reason else "") if n.kill_switch \
        else "kill switch off"
    head = (f"{n.session} P&L day {_money(n.pnl_today)} wk {_money(n.pnl_week)} tot {_money(n.pnl_total)} | "
            f"{n.trades_today} trades | equity {n.equity:,.2f} | {kill}")
    if n.open_positions:
        pos = ", ".join(f"{s} {q:g}" for s, q in sorted(n.open_positions.items()))
        head += f" | pos {pos}"
    else:
        head += " | no positions"
    return fit_sms(head, max_segments)
