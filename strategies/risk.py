"""Portfolio risk rules: daily loss limit, maximum-drawdown kill switch, maximum open positions.

A pure-Python state machine (no backtrader): feed it the portfolio equity at the close of every bar with
the bar's time (:meth:`RiskRules.update`) and ask it before each new entry (:meth:`RiskRules.allow_entry`).
Time comes only from the bars, never from the wall clock.

Rules
-----
* **Daily loss limit** (``daily_loss_limit``, fraction of the day's start equity). The day's start equity
  is the equity at the close of the last bar of the previous day (the starting equity on the first day).
  When the equity falls to ``start * (1 - daily_loss_limit)`` or below, new entries are blocked for the
  rest of that calendar day (bar dates). Open positions are **not** closed: they keep their own stops.
  The block lifts by itself on the first bar of the next day. With daily bars this means: after a bar
  that lost the limit or more, no entry is placed at that bar's close.
* **Maximum drawdown kill switch** (``max_drawdown``, fraction of the running equity peak). When
  ``1 - equity / peak >= max_drawdown`` the switch trips: the caller must close every position and
  cancel every order, and no entry is allowed until :meth:`RiskRules.reset` is called (the peak then
  restarts from the last equity).
* **Maximum open positions** (``max_open_positions``): an entry is refused when the caller already
  holds (or has pending entries for) that many positions.

Persistence
-----------
:meth:`RiskRules.export_state` returns the state as a plain dict (:data:`STATE_KEYS`: high-water mark, last
equity, tripped + when + why, day, day start equity, daily block) and :meth:`RiskRules.restore_state` puts
it back, so a live runner can save it after every bar and restore it at start: a tripped kill switch and a
daily block *latch* across restarts (the daily block still lifts on the first bar of a later day).

Pre-trade gate
--------------
:func:`pre_trade_check` is the check a broker runs before sending any order of any strategy: an order that
only reduces a position is always allowed (a tripped switch must be able to close); an order that opens or
grows a position is refused while the kill switch is tripped or the day is blocked, when it would open one
position more than ``max_open_positions``, or when the resulting position's value would exceed
``max_position_pct`` of equity. It returns the reason of a refusal, or ``None``.

Contract: ``RiskRules(daily_loss_limit=0.03, max_drawdown=0.2, max_open_positions=10, start_equity=None)``;
``update(equity, when) -> RiskStatus``; ``allow_entry(open_positions) -> bool``;
``entry_block_reason(open_positions) -> str | None``; ``reset(daily=False)``; ``export_state() -> dict``;
``restore_state(state)``; properties ``tripped``, ``tripped_at``, ``tripped_reason``, ``daily_blocked``,
``day``, ``day_start_equity``, ``peak``, ``drawdown``.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from tradeforge.errors import ConfigError, DataError

__all__ = ["RiskRules", "RiskStatus", "STATE_KEYS", "pre_trade_check"]

STATE_KEYS = ("high_water_mark", "last_equity", "tripped", "tripped_at", "tripped_reason", "day",
              "day_start_equity", "daily_blocked")

_EPS = 1e-12  # a loss equal to a limit up to rounding (1 - 88/110 = 0.19999999999999996) reaches it


@dataclass(frozen=True)
class RiskStatus:
    """What :meth:`RiskRules.update` saw on one bar.

    Attributes
    ----------
    tripped : bool
        The kill switch is tripped (stays so until ``reset``).
    just_tripped : bool
        It tripped on this bar.
    daily_blocked : bool
        New entries are blocked for the rest of this day by the daily loss limit.
    drawdown : float
        ``1 - equity / peak`` on this bar (0 at a new peak).
    daily_loss : float
        ``1 - equity / day_start_equity`` on this bar (negative on a gain).
    """

    tripped: bool
    just_tripped: bool
    daily_blocked: bool
    drawdown: float
    daily_loss: float


def _fraction(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(f"{name}: expected a fraction such as 0.05, got {value!r}")
    if not 0.0 < value <= 1.0:
        raise ConfigError(f"{name}: {value!r} is outside (0, 1]; pass a fraction of equity, "
                          "e.g. 0.05 for 5 %")
    return float(value)


def _to_date(when: object) -> _dt.date:
    """The calendar date of a bar time (datetime, date or pandas Timestamp)."""
    if isinstance(when, _dt.datetime):
        return when.date()
    if isinstance(when, _dt.date):
        return when
    raise DataError(f"when: expected the bar's datetime or date, got {when!r} ({type(when).__name__})")


class RiskRules:
    """Daily loss limit, maximum-drawdown kill switch and position-count limit (see the module notes).

    Parameters
    ----------
    daily_loss_limit : float
        Fraction of the day's start equity whose loss blocks new entries for the rest of the day.
    max_drawdown : float
        Fraction of the running peak whose loss trips the kill switch.
    max_open_positions : int
        Largest number of positions (open or pending entry) allowed at once.
    start_equity : float, optional
        Equity before the first bar (the first peak and the first day's start). Defaults to the first
        equity passed to :meth:`update`.

    Examples
    --------
    >>> import datetime as dt
    >>> rules = RiskRules(daily_loss_limit=0.03, max_drawdown=0.10, start_equity=100.0)
    >>> rules.update(98.0, dt.date(2024, 1, 2)).daily_blocked    # -2 % on the day: allowed
    False
    >>> rules.update(94.5, dt.date(2024, 1, 3)).daily_blocked    # -3.6 % on the day: blocked today
    True
    >>> status = rules.update(93.0, dt.date(2024, 1, 4))         # 7 % below the peak: still armed
    >>> status.tripped, rules.allow_entry(0)
    (False, True)
    >>> status = rules.update(89.0, dt.date(2024, 1, 5))         # 11 % below the peak of 100
    >>> status.just_tripped, rules.allow_entry(0)
    (True, False)
    >>> rules.reset(); rules.tripped
    False
    """

    def __init__(self, daily_loss_limit: float = 0.03, max_drawdown: float = 0.2,
                 max_open_positions: int = 10, start_equity: float | None = None) -> None:
        self.daily_loss_limit = _fraction("daily_loss_limit", daily_loss_limit)
        self.max_drawdown = _fraction("max_drawdown", max_drawdown)
        bad = isinstance(max_open_positions, bool) or not isinstance(max_open_positions, int)
        if bad or max_open_positions < 1:
            raise ConfigError(f"max_open_positions: expected an integer >= 1, got {max_open_positions!r}")
        self.max_open_positions = max_open_positions
        if start_equity is not None:
            start_equity = self._check_equity(start_equity, "start_equity")
        self._last: float | None = start_equity
        self._peak: float | None = start_equity
        self._day: _dt.date | None = None
        self._day_start: float | None = start_equity
        self._tripped = False
        self._tripped_at: object = None
        self._tripped_reason: str | None = None
        self._daily_blocked = False
        self._drawdown = 0.0

    @staticmethod
    def _check_equity(equity: float, name: str = "equity") -> float:
        if isinstance(equity, bool) or not isinstance(equity, int | float) or not math.isfinite(equity):
            raise DataError(f"{name}: expected a finite portfolio value, got {equity!r}")
        return float(equity)

    @property
    def tripped(self) -> bool:
        """True once the kill switch has tripped, until :meth:`reset`."""
        return self._tripped

    @property
    def tripped_at(self) -> object:
        """The bar time (as given to :meth:`update`) at which the kill switch last tripped, or None."""
        return self._tripped_at

    @property
    def tripped_reason(self) -> str | None:
        """Why the kill switch last tripped (drawdown, peak and equity), or None."""
        return self._tripped_reason

    @property
    def day(self) -> _dt.date | None:
        """The calendar date of the last bar seen (None before the first update)."""
        return self._day

    @property
    def day_start_equity(self) -> float | None:
        """The equity the current day's loss is measured from."""
        return self._day_start

    @property
    def daily_blocked(self) -> bool:
        """True when the daily loss limit blocks entries for the rest of the current day."""
        return self._daily_blocked

    @property
    def peak(self) -> float | None:
        """The running equity peak (None before the first update without ``start_equity``)."""
        return self._peak

    @property
    def drawdown(self) -> float:
        """Drawdown from the peak at the last update."""
        return self._drawdown

    def _roll_day(self, day: _dt.date, equity: float) -> None:
        if self._day is None or day != self._day:
            if self._day is not None and day < self._day:
                raise DataError(f"when: bar date {day} is before the previous bar's date {self._day}; "
                                "feed the bars in time order")
            self._day = day
            self._day_start = self._last if self._last is not None else equity
            self._daily_blocked = False

    def update(self, equity: float, when: object) -> RiskStatus:
        """Record the *equity* at the close of the bar at *when* and return the :class:`RiskStatus`.

        Examples
        --------
        >>> import datetime as dt
        >>> r = RiskRules(daily_loss_limit=0.05, start_equity=100.0)
        >>> r.update(94.0, dt.datetime(2024, 1, 2, 10, 0)).daily_blocked
        True
        >>> r.update(99.0, dt.datetime(2024, 1, 2, 11, 0)).daily_blocked   # same day: still blocked
        True
        >>> r.update(99.0, dt.datetime(2024, 1, 3, 10, 0)).daily_blocked   # next day: lifted
        False
        """
        equity = self._check_equity(equity)
        self._roll_day(_to_date(when), equity)
        self._peak = equity if self._peak is None else max(self._peak, equity)
        self._drawdown = 1.0 - equity / self._peak if self._peak > 0 else 1.0
        daily_loss = 1.0 - equity / self._day_start if self._day_start and self._day_start > 0 else 0.0
        if daily_loss >= self.daily_loss_limit - _EPS:
            self._daily_blocked = True
        just = not self._tripped and self._drawdown >= self.max_drawdown - _EPS
        self._tripped = self._tripped or just
        if just:
            self._tripped_at = when
            self._tripped_reason = (f"drawdown {self._drawdown:.2%} from the peak {self._peak:,.2f} to "
                                    f"{equity:,.2f} reached max_drawdown={self.max_drawdown:g}")
        self._last = equity
        return RiskStatus(tripped=self._tripped, just_tripped=just, daily_blocked=self._daily_blocked,
                          drawdown=self._drawdown, daily_loss=daily_loss)

    def entry_block_reason(self, open_positions: int) -> str | None:
        """Why a new entry is refused now (``None`` when it is allowed).

        Examples
        --------
        >>> RiskRules(max_open_positions=2).entry_block_reason(2)
        'max_open_positions=2 reached'
        """
        if self._tripped:
            return (f"kill switch tripped (drawdown >= {self.max_drawdown:g}); call reset() "
                    "(live: tradeforge unlock)")
        if self._daily_blocked:
            return f"daily loss limit {self.daily_loss_limit:g} hit on {self._day}"
        if open_positions >= self.max_open_positions:
            return f"max_open_positions={self.max_open_positions} reached"
        return None

    def allow_entry(self, open_positions: int) -> bool:
        """True when a new position may be opened while *open_positions* are held or pending.

        Examples
        --------
        >>> RiskRules(max_open_positions=1).allow_entry(0)
        True
        """
        return self.entry_block_reason(open_positions) is None

    def reset(self, daily: bool = False) -> None:
        """Re-arm the kill switch; the peak restarts from the last equity seen; ``daily=True`` also lifts
        today's daily block (the day's start equity becomes the last equity).

        Examples
        --------
        >>> r = RiskRules(max_drawdown=0.1, start_equity=100.0)
        >>> import datetime as dt; _ = r.update(80.0, dt.date(2024, 1, 2))
        >>> r.reset(); r.tripped, r.peak
        (False, 80.0)
        """
        self._tripped = False
        self._tripped_reason = None
        self._peak = self._last
        self._drawdown = 0.0
        if daily:
            self._daily_blocked = False
            self._day_start = self._last

    def export_state(self) -> dict[str, Any]:
        """The persistent state as a plain dict with the keys :data:`STATE_KEYS`.

        ``tripped_at`` is the bar time given to :meth:`update`; ``day`` a ``datetime.date`` or None.

        Examples
        --------
        >>> r = RiskRules(max_drawdown=0.1, start_equity=100.0)
        >>> _ = r.update(85.0, _dt.date(2024, 1, 2))
        >>> s = r.export_state(); s["tripped"], s["high_water_mark"], s["day"]
        (True, 100.0, datetime.date(2024, 1, 2))
        """
        return {"high_water_mark": self._peak, "last_equity": self._last, "tripped": self._tripped,
                "tripped_at": self._tripped_at, "tripped_reason": self._tripped_reason, "day": self._day,
                "day_start_equity": self._day_start, "daily_blocked": self._daily_blocked}

    def restore_state(self, state: Mapping[str, Any]) -> None:
        """Put back a state from :meth:`export_state` (unknown keys refused, missing ones left as they are).

        A restored tripped switch stays tripped until :meth:`reset`; a restored daily block holds for the
        rest of its ``day``.

        Examples
        --------
        >>> a = RiskRules(max_drawdown=0.1, start_equity=100.0); _ = a.update(85.0, _dt.date(2024, 1, 2))
        >>> b = RiskRules(max_drawdown=0.1); b.restore_state(a.export_state())
        >>> b.tripped, b.allow_entry(0), b.update(120.0, _dt.date(2024, 1, 3)).tripped
        (True, False, True)
        """
        unknown = sorted(set(state) - set(STATE_KEYS))
        if unknown:
            raise ConfigError(f"risk state: unknown keys {unknown}; expected some of {list(STATE_KEYS)}")
        numbers = {"high_water_mark": "_peak", "last_equity": "_last", "day_start_equity": "_day_start"}
        for key, attr in numbers.items():
            if key in state:
                value = state[key]
                setattr(self, attr, None if value is None else self._check_equity(value, key))
        if "day" in state:
            self._day = None if state["day"] is None else _to_date(state["day"])
        if "tripped" in state:
            self._tripped = bool(state["tripped"])
        if "tripped_at" in state:
            self._tripped_at = state["tripped_at"]
        if "tripped_reason" in state:
            self._tripped_reason = None if state["tripped_reason"] is None else str(state["tripped_reason"])
        if "daily_blocked" in state:
            self._daily_blocked = bool(state["daily_blocked"])
        if self._peak and self._last is not None:
            self._drawdown = max(0.0, 1.0 - self._last / self._peak)


def pre_trade_check(rules: RiskRules, *, symbol: str, side: str, qty: float, price: float, equity: float,
                    positions: Mapping[str, float], pending_entries: Iterable[str] = (),
                    max_position_pct: float | None = None) -> str | None:
    """The reason to refuse an order before it is sent, or ``None`` to let it through (module notes).

    Parameters
    ----------
    rules : RiskRules
        The portfolio rules (kill switch, daily block, ``max_open_positions``).
    symbol, side : str
        The order's symbol and ``"buy"`` or ``"sell"``.
    qty : float
        Shares, > 0.
    price : float
        Reference price per share (the last close, or the limit/stop price).
    equity : float
        Portfolio value now.
    positions : mapping symbol -> signed quantity
        Positions held now (zero entries are ignored).
    pending_entries : iterable of str
        Symbols with an entry order working at the broker (they count as open positions).
    max_position_pct : float, optional
        Largest position value as a fraction of equity (None: no cap).

    Examples
    --------
    >>> rules = RiskRules(max_open_positions=1)
    >>> pre_trade_check(rules, symbol="B", side="buy", qty=1, price=10.0, equity=1000.0, positions={"A": 5})
    'max_open_positions=1 reached'
    >>> pre_trade_check(rules, symbol="A", side="sell", qty=5, price=10.0, equity=1000.0, positions={"A": 5})
    >>> pre_trade_check(rules, symbol="A", side="buy", qty=50, price=10.0, equity=1000.0, positions={},
    ...                 max_position_pct=0.25)
    'position A of 50 shares x 10 = 500.00 would exceed max_position_pct=0.25 of equity 1,000.00'
    """
    if side not in ("buy", "sell"):
        raise ConfigError(f"side: expected 'buy' or 'sell', got {side!r}")
    if isinstance(qty, bool) or not isinstance(qty, int | float) or not qty > 0:
        return f"quantity {qty!r} is not a positive number"
    held = float(positions.get(symbol, 0.0) or 0.0)
    after = held + (qty if side == "buy" else -qty)
    if abs(after) <= abs(held) + 1e-12 and after * held >= 0.0:
        return None  # reduces (or closes) a position: always allowed
    others = {s for s, q in positions.items() if q and s != symbol} | (set(pending_entries) - {symbol})
    # a new symbol counts against max_open_positions; growing a held one only against the switch / block
    reason = rules.entry_block_reason(len(others) if not held else 0)
    if reason is not None:
        return reason
    if max_position_pct is not None and math.isfinite(price) and price > 0:
        value = abs(after) * price
        if value > max_position_pct * max(equity, 0.0) * (1.0 + 1e-9):
            return (f"position {symbol} of {abs(after):g} shares x {price:g} = {value:,.2f} would exceed "
                    f"max_position_pct={max_position_pct:g} of equity {equity:,.2f}")
    return None
