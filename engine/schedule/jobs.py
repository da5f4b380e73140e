"""What the scheduler runs: its configuration, the ``TradingDay`` protocol, and the record of one job run.

Leaf module: the dispatcher, the APScheduler wiring, the replay and the CLI all import it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Any, Protocol, runtime_checkable

from tradeforge.errors import ConfigError, unknown_name_error

__all__ = ["JOBS", "DAILY_JOBS", "ScheduleConfig", "TradingDay", "RetrainOutcome", "JobRun"]

#: every job, in the order the scheduler reports them
JOBS: tuple[str, ...] = ("premarket_review", "trade_step", "daily_summary", "retrain")
DAILY_JOBS: tuple[str, ...] = ("premarket_review", "daily_summary", "retrain")


def _hhmm(name: str, value: str) -> time:
    try:
        hh, mm = (int(x) for x in value.split(":"))
        return time(hh, mm)
    except (ValueError, TypeError):
        raise ConfigError(f"{name}: got {value!r}; expected a New York wall-clock time 'HH:MM' "
                          "such as '20:00'.") from None


@dataclasses.dataclass(frozen=True, kw_only=True)
class ScheduleConfig:
    """When the jobs run (New York wall-clock times) and how late they may be.

    Parameters
    ----------
    retrain_at, premarket_at, summary_at : str
        ``HH:MM`` in America/New_York, on session days (defaults 20:00, 04:00, 16:30).
    minute_grace_s : int
        APScheduler ``misfire_grace_time`` of the minute job: a trading step more than this late is dropped
        (the next minute's step covers its bar). Daily jobs have no APScheduler grace: the dispatcher
        decides whether a late one is still useful (see :mod:`tradeforge.engine.schedule.dispatcher`).
    summary_segments : int
        SMS segments the daily summary may take (2 = 306 GSM-7 characters).
    """

    retrain_at: str = "20:00"
    premarket_at: str = "04:00"
    summary_at: str = "16:30"
    minute_grace_s: int = 30
    summary_segments: int = 2
    calendar: str = "XNYS"

    def __post_init__(self) -> None:
        for name in ("retrain_at", "premarket_at", "summary_at"):
            _hhmm(name, getattr(self, name))
        if not isinstance(self.minute_grace_s, int) or not 1 <= self.minute_grace_s <= 59:
            raise ConfigError(f"minute_grace_s: got {self.minute_grace_s!r}; expected whole seconds in 1..59 "
                              "(a step later than a minute belongs to the next bar).")

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> ScheduleConfig:
        """Build from a mapping, rejecting unknown keys with a did-you-mean hint."""
        known = {f.name for f in dataclasses.fields(cls)}
        for key in values:
            if key not in known:
                raise unknown_name_error("schedule setting", key, known)
        return cls(**values)

    def at(self, job: str) -> time:
        """New York wall-clock time of daily *job*."""
        return _hhmm(job, {"retrain": self.retrain_at, "premarket_review": self.premarket_at,
                           "daily_summary": self.summary_at}[job])


@dataclasses.dataclass(frozen=True)
class RetrainOutcome:
    """What a retrain did: the challenger's and the champion's out-of-sample scores and the decision.

    ``holdout_start`` is the first bar both models were scored on (ISO text; None when unknown)."""

    promoted: bool
    challenger: str
    champion: str | None
    challenger_scores: Mapping[str, float]
    champion_scores: Mapping[str, float] | None
    reason: str
    holdout_start: str | None = None


@runtime_checkable
class TradingDay(Protocol):
    """What the scheduler calls; the live runner implements it (a recording one in tests).

    ``trade_step(now)`` handles the bars completed by minute *now* (new bars, predictions, risk gate,
    orders). ``daily_summary(now)`` returns the summary text (P&L today / week / total, trades, open
    positions, equity, kill-switch state). ``status(now)`` returns a few fields for the status line
    (``positions``, ``pnl_today``, ``kill_switch``).
    """

    def retrain(self) -> RetrainOutcome | None: ...

    def premarket_review(self) -> None: ...

    def trade_step(self, now: datetime) -> None: ...

    def daily_summary(self, now: datetime) -> str: ...

    def status(self, now: datetime) -> Mapping[str, Any]: ...


@dataclasses.dataclass(frozen=True)
class JobRun:
    """One decision of the dispatcher: a job ran, was skipped (and why) or failed.

    ``job_id`` is ``"<job>@<session or minute>"``, the id the JSON-lines log carries.
    """

    job: str
    job_id: str
    session: date | None
    fired_at: datetime
    outcome: str  # "ran" | "skipped" | "failed" | "missed"
    reason: str = ""
