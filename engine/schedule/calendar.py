"""The exchange calendar (exchange-calendars XNYS): sessions, opens, closes, early closes and holidays.

A thin, typed wrapper that hides the library's conventions: it reads naive minutes as UTC and wants
tz-naive session labels, and by default ends one year ahead. Here every instant is an aware ``datetime``
(any zone) and every session a ``datetime.date``; the calendar is built for an explicit range.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from tradeforge.errors import ConfigError

__all__ = ["MarketCalendar", "NEW_YORK"]

NEW_YORK = ZoneInfo("America/New_York")


def _aware(when: datetime, name: str = "when") -> datetime:
    if when.tzinfo is None:
        raise ConfigError(f"{name}: got the naive datetime {when!r}; expected an aware datetime. "
                          "Pass tzinfo (e.g. datetime.UTC); the scheduler never guesses a time zone.")
    return when


class MarketCalendar:
    """Sessions of an exchange (default ``XNYS``) between *start* and *end*.

    Examples
    --------
    >>> from datetime import date
    >>> cal = MarketCalendar(start=date(2024, 11, 1), end=date(2024, 12, 31))
    >>> cal.is_session(date(2024, 11, 28)), cal.is_early_close(date(2024, 11, 29))
    (False, True)
    >>> cal.session_close(date(2024, 11, 29)).astimezone(NEW_YORK).strftime("%H:%M")
    '13:00'
    """

    def __init__(self, name: str = "XNYS", *, start: date, end: date) -> None:
        import exchange_calendars as xcals
        import pandas as pd

        self.name = name
        try:
            self._cal = xcals.get_calendar(name, start=pd.Timestamp(start), end=pd.Timestamp(end))
        except xcals.errors.InvalidCalendarName:
            raise ConfigError(f"calendar: got {name!r}; expected an exchange-calendars name "
                              "such as 'XNYS'.") from None
        self._pd = pd
        self.start, self.end = start, end
        self._early = {ts.date() for ts in self._cal.early_closes}

    def __repr__(self) -> str:
        return f"MarketCalendar({self.name!r}, start={self.start}, end={self.end})"

    def _label(self, day: date) -> Any:
        if not self.start <= day <= self.end:
            raise ConfigError(f"date {day}: outside the calendar range {self.start}..{self.end}; build the "
                              "MarketCalendar with a wider start/end.")
        return self._pd.Timestamp(day)

    def is_session(self, day: date) -> bool:
        """Whether *day* is a trading session (not a weekend, not a holiday)."""
        return bool(self._cal.is_session(self._label(day)))

    def is_early_close(self, day: date) -> bool:
        """Whether *day* is a session that closes early (13:00 ET on XNYS)."""
        return day in self._early

    @lru_cache(maxsize=4096)  # noqa: B019  (one calendar per run; sessions are immutable)
    def session_open(self, day: date) -> datetime:
        """Open of session *day*, aware UTC."""
        return self._cal.session_open(self._label(day)).to_pydatetime()

    @lru_cache(maxsize=4096)  # noqa: B019
    def session_close(self, day: date) -> datetime:
        """Close of session *day*, aware UTC (13:00 ET on early-close days)."""
        return self._cal.session_close(self._label(day)).to_pydatetime()

    def session_on_or_before(self, day: date) -> date:
        """The newest session on or before *day*."""
        return self._cal.date_to_session(self._label(day), direction="previous").date()

    def next_session(self, day: date) -> date:
        """The first session strictly after *day*."""
        if self.is_session(day):
            return self._cal.next_session(self._label(day)).date()
        return self._cal.date_to_session(self._label(day), direction="next").date()

    def previous_session(self, day: date) -> date:
        """The last session strictly before *day*."""
        return self.session_on_or_before(day - timedelta(days=1))

    def is_open_on_minute(self, when: datetime) -> bool:
        """Whether the regular session is open at minute *when* (its start: 09:30 yes, 16:00 no)."""
        minute = self._pd.Timestamp(_aware(when)).tz_convert(UTC).floor("min")
        return bool(self._cal.is_open_on_minute(minute))

    def why_closed(self, when: datetime) -> str:
        """A short reason why the market is closed at *when* (for skip log lines)."""
        local = _aware(when).astimezone(NEW_YORK)
        day = local.date()
        if local.weekday() >= 5:
            return f"{day} is a {local:%A}"
        if not self.is_session(day):
            return f"{day} is an {self.name} holiday"
        if when < self.session_open(day):
            return f"before the open ({self.session_open(day).astimezone(NEW_YORK):%H:%M} ET)"
        close = self.session_close(day).astimezone(NEW_YORK)
        early = " (early close)" if self.is_early_close(day) else ""
        return f"after the close ({close:%H:%M} ET{early})"
