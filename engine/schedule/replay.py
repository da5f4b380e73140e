"""Drive the dispatcher through simulated time: a week in seconds, with the same triggers as real time.

APScheduler 3 has no virtual clock, and faking its wall clock would test a fake. The honest seam: the
APScheduler triggers are pure (``trigger.get_next_fire_time(previous, now)``), so :func:`replay` takes the
very triggers :func:`~tradeforge.engine.schedule.runtime.job_triggers` gives the real scheduler, lists
their fire instants (DST included: the triggers are zoned), sets the injected :class:`SimClock` to each one
in order and calls :meth:`Dispatcher.fire`, as APScheduler's thread would. A machine asleep over
``[a, b)`` is modelled as APScheduler behaves on wake-up with the options of
:func:`~tradeforge.engine.schedule.runtime.job_options`: the runs of a job missed while asleep collapse
into one run at *b* (``coalesce``), except those later than the job's ``misfire_grace_time``, which are
dropped (and recorded as ``missed``). What replay does not model is APScheduler's own thread loop and the
concurrency of its pool; a real-time test covers that wiring.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from .dispatcher import Dispatcher
from .jobs import JobRun
from .runtime import job_options, job_triggers

__all__ = ["SimClock", "fire_times", "replay"]


class SimClock:
    """An injected clock for tests and replays: ``clock()`` returns the time it was set to (aware)."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("SimClock needs an aware datetime")
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def set(self, when: datetime) -> None:
        """Move the clock to *when* (never backwards)."""
        if when < self.now:
            raise ValueError(f"SimClock cannot go back from {self.now} to {when}")
        self.now = when

    def advance(self, seconds: float) -> None:
        """Move the clock *seconds* forward (never backwards)."""
        if seconds < 0:
            raise ValueError(f"SimClock cannot go back {seconds} s")
        self.now += timedelta(seconds=seconds)


def fire_times(trigger, start: datetime, end: datetime) -> list[datetime]:
    """Every instant in ``[start, end)`` at which *trigger* fires (aware UTC)."""
    out, previous = [], None
    now = start
    while True:
        nxt = trigger.get_next_fire_time(previous, now)
        if nxt is None or nxt >= end:
            return out
        out.append(nxt.astimezone(UTC))
        previous, now = nxt, nxt


def replay(dispatcher: Dispatcher, clock: SimClock, start: datetime, end: datetime, *,
           asleep: Sequence[tuple[datetime, datetime]] = (), catch_up: bool = True) -> list[JobRun]:
    """Fire every job of *dispatcher* between *start* and *end* on the simulated *clock*.

    Parameters
    ----------
    asleep : sequence of (from, to)
        Intervals with the machine asleep (see the module docstring).
    catch_up : bool
        Call :meth:`Dispatcher.catch_up` at *start*, as the real scheduler does at start.

    Returns
    -------
    list of JobRun
        The decisions taken during the replay (also appended to ``dispatcher.history``; at most its
        ``history_limit`` newest ones).
    """
    first = dispatcher.recorded
    clock.set(start)
    if catch_up:
        dispatcher.catch_up()
    events: list[tuple[datetime, int, str]] = []
    for order, (job, trigger) in enumerate(job_triggers(dispatcher.config).items()):
        events.extend((t, order, job) for t in fire_times(trigger, start, end))
    heapq.heapify(events)
    sleeps = sorted(asleep)
    woken: set[tuple[int, str]] = set()
    while events:
        when, order, job = heapq.heappop(events)
        sleep = next((i for i, (a, b) in enumerate(sleeps) if a <= when < b), None)
        if sleep is None:
            clock.set(max(when, clock.now))
            dispatcher.fire(job)
            continue
        wake = sleeps[sleep][1]
        grace = job_options(job, dispatcher.config)["misfire_grace_time"]
        if grace is not None and (wake - when).total_seconds() > grace:
            dispatcher.record_missed(job, when, f"machine asleep until {wake:%Y-%m-%d %H:%M}Z: APScheduler "
                                                f"drops runs later than misfire_grace_time={grace} s")
        elif (sleep, job) not in woken:                      # coalesce: one run at wake-up
            woken.add((sleep, job))
            heapq.heappush(events, (wake, order, job))
    clock.set(end)
    new = dispatcher.recorded - first
    return dispatcher.history[-new:] if new else []
