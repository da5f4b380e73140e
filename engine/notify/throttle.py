"""Admission of alerts: at most one message per alert kind per interval, and a daily cap.

The last *critical_reserve* messages of the cap are kept for critical alerts, so a day of warnings can never
silence a kill-switch alert.

The day is the calendar day in ``America/New_York`` (the exchange's day), so the cap resets at midnight
ET, not UTC. The clock is injected (a callable returning an aware ``datetime``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from tradeforge.errors import ConfigError

__all__ = ["Throttle", "utc_now"]

_NY = ZoneInfo("America/New_York")


def utc_now() -> datetime:
    """The system clock, aware, in UTC (the default clock of notifiers and the scheduler)."""
    return datetime.now(UTC)


class Throttle:
    """Decide whether an alert may go out now; thread-safe.

    Parameters
    ----------
    min_interval_s : float
        Minimum seconds between two admitted messages of the same kind (900 = 15 minutes).
    daily_cap : int
        Maximum admitted messages per New York calendar day, all kinds together.
    critical_reserve : int, optional
        Of those, how many only critical alerts may use (warnings and summaries stop earlier);
        default ``min(5, daily_cap // 3)``.
    clock : callable, optional
        Returns the current aware ``datetime``; default the system clock.

    Examples
    --------
    >>> from datetime import datetime, UTC
    >>> t = Throttle(900, 2, clock=lambda: datetime(2024, 11, 26, 15, 0, tzinfo=UTC))
    >>> t.admit("stale_feed"), t.admit("stale_feed")
    (None, 'throttled: one stale_feed message per 900 s, the last one 0 s ago')
    """

    def __init__(self, min_interval_s: float = 900.0, daily_cap: int = 30,
                 clock: Callable[[], datetime] | None = None, critical_reserve: int | None = None) -> None:
        if not min_interval_s >= 0:
            raise ConfigError(f"min_interval_s: got {min_interval_s!r}; expected seconds >= 0. "
                              "Use 900 for one message per kind per 15 minutes.")
        if not isinstance(daily_cap, int) or daily_cap < 1:
            raise ConfigError(f"daily_cap: got {daily_cap!r}; expected an integer >= 1 (messages per day).")
        if critical_reserve is None:
            critical_reserve = min(5, daily_cap // 3)
        if not isinstance(critical_reserve, int) or not 0 <= critical_reserve < daily_cap:
            raise ConfigError(f"critical_reserve: got {critical_reserve!r}; expected an integer in "
                              f"0..{daily_cap - 1} (below daily_cap).")
        self.critical_reserve = critical_reserve
        self.min_interval_s = float(min_interval_s)
        self.daily_cap = daily_cap
        self._clock = clock or utc_now
        self._last: dict[str, datetime] = {}
        self._day: date | None = None
        self._count = 0
        self._lock = threading.Lock()

    def admit(self, kind: str, severity: str = "critical") -> str | None:
        """Return ``None`` and count the message if *kind* may be sent now, else the reason it may not."""
        now = self._clock()
        with self._lock:
            day = now.astimezone(_NY).date()
            if day != self._day:
                self._day, self._count = day, 0
            last = self._last.get(kind)
            if last is not None and (now - last).total_seconds() < self.min_interval_s:
                ago = (now - last).total_seconds()
                return (f"throttled: one {kind} message per {self.min_interval_s:.0f} s, "
                        f"the last one {ago:.0f} s ago")
            cap = self.daily_cap if severity == "critical" else self.daily_cap - self.critical_reserve
            if self._count >= cap:
                kept = f", the last {self.critical_reserve} kept for critical alerts" \
                    if severity != "critical" and self.critical_reserve else ""
                return (f"daily cap reached: {self._count} of {self.daily_cap} messages sent on "
                        f"{day.isoformat()} (New York day){kept}")
            self._last[kind] = now
            self._count += 1
            return None
