"""Real-time triggering with APScheduler 3: cron triggers in America/New_York that call the dispatcher.

APScheduler only says *when a job fires*; what happens then is the :class:`Dispatcher`'s decision (the
exchange calendar, lateness, restarts). The job options are chosen deliberately:

- all jobs: ``max_instances=1`` (never two of the same job at once: minute steps cannot pile up),
  ``coalesce=True`` (missed runs collapse into one);
- the minute job: ``misfire_grace_time = ScheduleConfig.minute_grace_s`` (APScheduler's default of 1 s
  silently drops steps on a busy pool; a step later than the grace belongs to a bar the next step covers);
- daily jobs: ``misfire_grace_time=None`` (a late run always reaches the dispatcher, which runs it if still
  useful or logs why it skips it);
- a one-off ``catch_up`` job at start (APScheduler has no catch-up across restarts).

:func:`job_triggers` is shared with :func:`~tradeforge.engine.schedule.replay.replay`, so the simulated
week fires exactly the instants these triggers produce.
"""

from __future__ import annotations

import logging
from typing import Any

from .dispatcher import Dispatcher
from .jobs import DAILY_JOBS, ScheduleConfig

__all__ = ["job_triggers", "job_options", "build_scheduler", "TIMEZONE"]

TIMEZONE = "America/New_York"
_log = logging.getLogger("tradeforge.schedule")


def job_triggers(config: ScheduleConfig) -> dict[str, Any]:
    """APScheduler ``CronTrigger`` per job; they fire on weekdays, holidays included (the dispatcher checks).

    The daily jobs fire at their New York time, the minute job every minute of 09:00-16:59 ET.
    """
    from apscheduler.triggers.cron import CronTrigger

    triggers: dict[str, Any] = {}
    for job in DAILY_JOBS:
        at = config.at(job)
        triggers[job] = CronTrigger(day_of_week="mon-fri", hour=at.hour, minute=at.minute, timezone=TIMEZONE)
    # 09:00-16:59 covers every regular session (09:30-16:00 ET, or 13:00 on early-close days)
    triggers["trade_step"] = CronTrigger(day_of_week="mon-fri", hour="9-16", minute="*", timezone=TIMEZONE)
    return triggers


def job_options(job: str, config: ScheduleConfig) -> dict[str, Any]:
    """``max_instances``, ``coalesce`` and ``misfire_grace_time`` for *job* (see the module docstring)."""
    grace = config.minute_grace_s if job == "trade_step" else None
    return {"max_instances": 1, "coalesce": True, "misfire_grace_time": grace}


def build_scheduler(dispatcher: Dispatcher, *, blocking: bool = False, status_every_s: int | None = 60,
                    status: Any = None) -> Any:
    """An APScheduler ``BackgroundScheduler`` (or ``BlockingScheduler``) with every job added, not started.

    Parameters
    ----------
    status : callable, optional
        Called with :meth:`Dispatcher.status_line` every *status_every_s* seconds (e.g. ``click.echo``).
    """
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.schedulers.blocking import BlockingScheduler

    cls = BlockingScheduler if blocking else BackgroundScheduler
    sched = cls(timezone=TIMEZONE, executors={"default": ThreadPoolExecutor(max_workers=4)})
    for job, trigger in job_triggers(dispatcher.config).items():
        sched.add_job(dispatcher.fire, trigger, args=[job], id=job, name=job, replace_existing=True,
                      **job_options(job, dispatcher.config))
    sched.add_job(dispatcher.catch_up, id="catch_up", name="catch_up", max_instances=1,
                  misfire_grace_time=None)                       # no trigger: runs once, at start
    if status is not None and status_every_s:
        sched.add_job(lambda: status(dispatcher.status_line()), "interval", seconds=status_every_s,
                      id="status", name="status", max_instances=1, coalesce=True, misfire_grace_time=None)
    return sched
