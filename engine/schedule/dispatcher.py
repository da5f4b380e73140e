"""The trading day's decisions: given *now* (an injected clock), run a job, or skip it and say why.

Every trigger (APScheduler in real time, :func:`~tradeforge.engine.schedule.replay.replay` in tests) only
says "job X fired"; the :class:`Dispatcher` asks the exchange calendar itself, because cron triggers fire on
holidays and, for the minute job, at 16:00-16:02 on early-close days.

Daily jobs belong to a session *S* and have a deadline after which running them is no longer useful:

================  ====================  =====================================================
job               due at (ET, on S)     skipped when first possible after
================  ====================  =====================================================
premarket_review  04:00                 the open of S (the minute steps manage positions then)
daily_summary     16:30                 23:59 ET on S (a summary is news the same evening only)
retrain           20:00                 the open of the next session (never swap a model mid-day)
================  ====================  =====================================================

When a daily job fires (or :meth:`Dispatcher.catch_up` runs at start), the dispatcher takes the newest
occurrence due by now; if it already ran (the state file remembers, across restarts) it does nothing, if
its deadline has passed it logs the skip once, otherwise it runs it once. So a late job runs once when it
can if still useful, and a restart after 20:00 still runs that night's retrain. The minute job runs
``trade_step(minute)`` only on a minute when the regular session is open, never twice for one minute and
never while the previous step is still running.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from tradeforge.engine.notify.base import Notifier
from tradeforge.engine.notify.console import LogNotifier
from tradeforge.engine.notify.sms import fit_sms

from .calendar import NEW_YORK, MarketCalendar
from .jobs import DAILY_JOBS, JOBS, JobRun, RetrainOutcome, ScheduleConfig, TradingDay
from .logs import job_context

__all__ = ["Dispatcher"]

_log = logging.getLogger("tradeforge.schedule")


class Dispatcher:
    """Decide and run the jobs of the trading day.

    Parameters
    ----------
    day : TradingDay
        What the jobs call (the live runner).
    calendar : MarketCalendar
        The exchange calendar, covering every date the dispatcher will see.
    clock : callable
        Returns the current aware ``datetime``; the only source of time.
    config : ScheduleConfig, optional
    notifier : Notifier, optional
        Default: :class:`~tradeforge.engine.notify.LogNotifier`.
    state_path : path, optional
        JSON file remembering the last occurrence of each daily job (restarts); None keeps it in memory.
    history_limit : int
        Decisions kept in :attr:`history` (the oldest are dropped; a trading day makes about 480).

    Attributes
    ----------
    history : list of JobRun
        The latest *history_limit* decisions, in order (what ran, what was skipped and why).
    recorded : int
        Decisions taken since construction (also those dropped from :attr:`history`).
    """

    def __init__(self, day: TradingDay, calendar: MarketCalendar, clock: Callable[[], datetime], *,
                 config: ScheduleConfig | None = None, notifier: Notifier | None = None,
                 state_path: str | Path | None = None, history_limit: int = 100_000) -> None:
        self.day = day
        self.calendar = calendar
        self.clock = clock
        self.config = config or ScheduleConfig()
        self.notifier = notifier or LogNotifier()
        self.state_path = Path(state_path) if state_path else None
        self.history: list[JobRun] = []
        self.history_limit = history_limit
        self.recorded = 0
        self._state: dict[str, dict[str, str]] = self._load_state()
        self._lock = threading.Lock()           # state and history
        self._step_lock = threading.Lock()      # one trading step at a time
        self._last_minute: datetime | None = None
        self._quiet_day: date | None = None

    # ---------------------------------------------------------------- state
    def _load_state(self) -> dict[str, dict[str, str]]:
        if self.state_path is None or not self.state_path.exists():
            return {}
        return json.loads(self.state_path.read_text())

    def _save_state(self) -> None:
        if self.state_path is None:
            return
        self.state_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self._state, indent=1, sort_keys=True))
        tmp.replace(self.state_path)

    # ---------------------------------------------------------------- occurrences
    def occurrence(self, job: str, session: date) -> datetime:
        """When daily *job* of *session* is due (aware UTC)."""
        local = datetime.combine(session, self.config.at(job), tzinfo=NEW_YORK)
        return local.astimezone(UTC)

    def deadline(self, job: str, session: date) -> datetime:
        """After this instant, daily *job* of *session* is skipped instead of run."""
        if job == "premarket_review":
            return self.calendar.session_open(session)
        if job == "daily_summary":
            return datetime.combine(session, time(23, 59), tzinfo=NEW_YORK).astimezone(UTC)
        return self.calendar.session_open(self.calendar.next_session(session))

    def due_session(self, job: str, now: datetime) -> date:
        """The session of the newest occurrence of daily *job* due at or before *now*."""
        session = self.calendar.session_on_or_before(now.astimezone(NEW_YORK).date())
        if self.occurrence(job, session) > now:
            session = self.calendar.previous_session(session)
        return session

    # ---------------------------------------------------------------- recording
    def _record(self, job: str, job_id: str, session: date | None, now: datetime, outcome: str,
                reason: str = "", level: int = logging.INFO) -> JobRun:
        run = JobRun(job, job_id, session, now, outcome, reason)
        with self._lock:
            self.history.append(run)
            self.recorded += 1
            if len(self.history) > self.history_limit:
                del self.history[: len(self.history) - self.history_limit]
            if session is not None and job in DAILY_JOBS and outcome != "missed":
                self._state[job] = {"session": session.isoformat(), "outcome": outcome}
                self._save_state()
        _log.log(level, "%s %s%s", job_id, outcome, f": {reason}" if reason else "",
                 extra={"job": job, "job_id": job_id, "outcome": outcome})
        return run

    def record_missed(self, job: str, scheduled: datetime, reason: str) -> JobRun:
        """Log a run the trigger dropped (e.g. APScheduler's misfire grace after a sleep)."""
        return self._record(job, f"{job}@{scheduled:%Y-%m-%dT%H:%M}Z", None, scheduled, "missed", reason,
                            logging.WARNING)

    # ---------------------------------------------------------------- firing
    def fire(self, job: str) -> JobRun | None:
        """A trigger of *job* fired now: run it, skip it with a reason, or do nothing (already done)."""
        if job not in JOBS:
            raise ValueError(f"unknown job {job!r}; expected one of {JOBS}")
        now = self.clock()
        if job == "trade_step":
            return self._fire_minute(now)
        return self._fire_daily(job, now)

    def catch_up(self) -> list[JobRun]:
        """At start: run (or skip with a reason) each daily job whose newest occurrence has not been done."""
        runs = [self._fire_daily(job, self.clock(), at_start=True) for job in DAILY_JOBS]
        return [r for r in runs if r is not None]

    def _fire_daily(self, job: str, now: datetime, at_start: bool = False) -> JobRun | None:
        session = self.due_session(job, now)
        job_id = f"{job}@{session.isoformat()}"
        with self._lock:
            done = self._state.get(job, {}).get("session")
        if done is not None and date.fromisoformat(done) >= session:
            today = now.astimezone(NEW_YORK).date()
            if not at_start and not self.calendar.is_session(today):
                return self._record(job, f"{job}@{today.isoformat()}", None, now, "skipped",
                                    f"no session: {self.calendar.why_closed(now)}")
            return None                                      # e.g. a duplicate trigger: already handled
        deadline = self.deadline(job, session)
        if now >= deadline:
            late = now - self.occurrence(job, session)
            return self._record(job, job_id, session, now, "skipped",
                                f"late by {_span(late)}: no longer useful after "
                                f"{deadline.astimezone(NEW_YORK):%a %Y-%m-%d %H:%M} ET", logging.WARNING)
        late = now - self.occurrence(job, session)
        reason = f"late by {_span(late)}, still useful" if late > timedelta(minutes=1) else ""
        return self._run_daily(job, job_id, session, now, reason)

    def _run_daily(self, job: str, job_id: str, session: date, now: datetime, reason: str) -> JobRun:
        with job_context(job, job_id):
            try:
                if job == "retrain":
                    self._after_retrain(self.day.retrain())
                elif job == "premarket_review":
                    self.day.premarket_review()
                else:
                    text = fit_sms(self.day.daily_summary(now), self.config.summary_segments)
                    self.notifier.send("daily_summary", "summary", text)
            except Exception as exc:
                return self._failed(job, job_id, session, now, exc)
        return self._record(job, job_id, session, now, "ran", reason)

    def _after_retrain(self, outcome: RetrainOutcome | None) -> None:
        if outcome is None:
            return
        _log.info("retrain: challenger %s vs champion %s: %s (%s)", outcome.challenger, outcome.champion,
                  "promoted" if outcome.promoted else "rejected", outcome.reason,
                  extra={"challenger": outcome.challenger, "champion": outcome.champion,
                         "promoted": outcome.promoted, "challenger_scores": dict(outcome.challenger_scores),
                         "champion_scores": dict(outcome.champion_scores or {})})
        if not outcome.promoted:
            self.notifier.send("retrain_rejected", "warning",
                               f"retrained model {outcome.challenger} rejected: {outcome.reason}; "
                               f"keeping {outcome.champion}")

    def _failed(self, job: str, job_id: str, session: date | None, now: datetime, exc: Exception) -> JobRun:
        _log.exception("%s failed", job_id, extra={"job": job, "job_id": job_id})
        what = f"{type(exc).__name__}: {str(exc)[:120]}"
        self.notifier.send("runner_stopped", "critical", f"job {job_id} failed: {what}")
        return self._record(job, job_id, session, now, "failed", what, logging.ERROR)

    def _fire_minute(self, now: datetime) -> JobRun | None:
        minute = now.astimezone(UTC).replace(second=0, microsecond=0)
        job_id = f"trade_step@{minute:%Y-%m-%dT%H:%M}Z"
        if not self.calendar.is_open_on_minute(minute):
            day = minute.astimezone(NEW_YORK).date()
            level = logging.INFO if self._quiet_day != day else logging.DEBUG
            self._quiet_day = day                            # one INFO line a day, the rest at DEBUG
            return self._record("trade_step", job_id, None, now, "skipped",
                                f"market closed: {self.calendar.why_closed(minute)}", level)
        if self._last_minute is not None and minute <= self._last_minute:
            return self._record("trade_step", job_id, None, now, "skipped", "this minute was already traded")
        if not self._step_lock.acquire(blocking=False):
            return self._record("trade_step", job_id, None, now, "skipped",
                                "the previous step is still running",
                                logging.WARNING)
        try:
            self._last_minute = minute
            with job_context("trade_step", job_id):
                self.day.trade_step(minute)
        except Exception as exc:
            return self._failed("trade_step", job_id, None, now, exc)
        finally:
            self._step_lock.release()
        return self._record("trade_step", job_id, minute.astimezone(NEW_YORK).date(), now, "ran",
                            level=logging.DEBUG)

    # ---------------------------------------------------------------- status
    def next_job(self, now: datetime | None = None) -> tuple[str, datetime]:
        """The next job that will really run (not only fire) after *now*, and when (aware UTC)."""
        now = now or self.clock()
        candidates = []
        for job in DAILY_JOBS:
            session = self.calendar.session_on_or_before(now.astimezone(NEW_YORK).date())
            while self.occurrence(job, session) <= now:
                session = self.calendar.next_session(session)
            candidates.append((self.occurrence(job, session), job))
        minute = now.astimezone(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
        if not self.calendar.is_open_on_minute(minute):
            session = self.calendar.session_on_or_before(minute.astimezone(NEW_YORK).date())
            while self.calendar.session_open(session) < minute:
                session = self.calendar.next_session(session)
            minute = self.calendar.session_open(session)
        candidates.append((minute, "trade_step"))
        when, job = min(candidates)
        return job, when

    def status_line(self) -> str:
        """One line: now, the next job and when, positions, P&L today, kill switch."""
        now = self.clock()
        job, when = self.next_job(now)
        parts = [f"{now.astimezone(NEW_YORK):%Y-%m-%d %H:%M} ET",
                 f"next {job} at {when.astimezone(NEW_YORK):%a %H:%M} ET"]
        with contextlib.suppress(Exception):
            st: dict[str, Any] = dict(self.day.status(now))
            if "positions" in st:
                parts.append(f"positions {st['positions']}")
            if "pnl_today" in st:
                parts.append(f"P&L today {float(st['pnl_today']):+,.2f}")
            if "kill_switch" in st:
                parts.append("kill switch " + ("TRIPPED" if st["kill_switch"] else "off"))
        return " | ".join(parts)

    def runs(self, job: str | None = None, outcome: str | None = None) -> Iterator[JobRun]:
        """The history filtered by job and outcome."""
        return (r for r in self.history if (job is None or r.job == job)
                and (outcome is None or r.outcome == outcome))


def _span(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60}h{minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m"
