"""The real APScheduler wiring: job options, trigger instants, and a start that runs the catch-up."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from tradeforge.engine.schedule import ScheduleConfig, build_scheduler, fire_times, job_triggers
from tradeforge.engine.schedule.calendar import NEW_YORK


def test_jobs_have_deliberate_options(setup):
    _, _, _, disp = setup(datetime(2024, 11, 26, 15, tzinfo=UTC))
    sched = build_scheduler(disp, status=None)
    jobs = {job.id: job for job in sched.get_jobs()}
    assert set(jobs) == {"premarket_review", "trade_step", "daily_summary", "retrain", "catch_up"}
    assert str(sched.timezone) == "America/New_York"
    for name in ("premarket_review", "daily_summary", "retrain"):
        job = jobs[name]
        assert (job.max_instances, job.coalesce, job.misfire_grace_time) == (1, True, None)
    step = jobs["trade_step"]
    assert (step.max_instances, step.coalesce, step.misfire_grace_time) == (1, True, 30)


def test_triggers_fire_at_new_york_times_holidays_included():
    triggers = job_triggers(ScheduleConfig())
    start = datetime(2024, 11, 27, 0, tzinfo=NEW_YORK)
    end = datetime(2024, 11, 29, 0, tzinfo=NEW_YORK)
    fires = fire_times(triggers["retrain"], start, end)
    retrain = [t.astimezone(NEW_YORK).strftime("%a %H:%M") for t in fires]
    assert retrain == ["Wed 20:00", "Thu 20:00"]              # fires on Thanksgiving: the dispatcher decides
    steps = fire_times(triggers["trade_step"], start, end)
    assert len(steps) == 2 * 8 * 60                           # 09:00-16:59 on both days


def test_background_scheduler_runs_catch_up_and_status_in_real_time(setup):
    clock, day, _, disp = setup(datetime(2024, 11, 26, 21, 30, tzinfo=NEW_YORK).astimezone(UTC))
    lines: list[str] = []
    sched = build_scheduler(disp, status=lines.append, status_every_s=1)
    sched.start()
    try:
        deadline = time.monotonic() + 5
        while (not day.times("retrain") or not lines) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        sched.shutdown(wait=True)
    assert len(day.times("retrain")) == 1                       # the night's retrain, caught up at start
    assert lines and lines[0].startswith("2024-11-26 21:30 ET | next premarket_review at Wed 04:00 ET")
