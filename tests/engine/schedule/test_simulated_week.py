"""Simulated weeks through the real APScheduler triggers and the XNYS calendar, on an injected clock."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time

import pytest

from tradeforge.engine.schedule.calendar import NEW_YORK
from tradeforge.engine.schedule.replay import replay


def ny(y, m, d, hh=0, mm=0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=NEW_YORK).astimezone(UTC)


def _local(ts: datetime) -> tuple[date, time]:
    local = ts.astimezone(NEW_YORK)
    return local.date(), local.time()


def test_thanksgiving_week_holiday_and_early_close(setup):
    clock, day, notes, disp = setup(ny(2024, 11, 25))
    runs = replay(disp, clock, ny(2024, 11, 25), ny(2024, 11, 30, 12))
    steps = Counter(_local(t)[0] for t in day.times("trade_step"))
    assert steps == {date(2024, 11, 25): 390, date(2024, 11, 26): 390, date(2024, 11, 27): 390,
                     date(2024, 11, 29): 210}                 # Thursday: holiday; Friday closes at 13:00
    fri = [_local(t)[1] for t in day.times("trade_step") if _local(t)[0] == date(2024, 11, 29)]
    assert (fri[0], fri[-1]) == (time(9, 30), time(12, 59))
    for d in (25, 26, 27):
        local = [_local(t)[1] for t in day.times("trade_step") if _local(t)[0] == date(2024, 11, d)]
        assert (local[0], local[-1]) == (time(9, 30), time(15, 59))
    sessions = [date(2024, 11, d) for d in (25, 26, 27, 29)]
    for job, at in (("premarket_review", time(4)), ("daily_summary", time(16, 30)), ("retrain", time(20))):
        ran = [r for r in runs if r.job == job and r.outcome == "ran" and r.session in sessions]
        assert [r.session for r in ran] == sessions, job
        assert all(_local(r.fired_at) == (r.session, at) for r in ran), job
        holiday = [r for r in runs if r.job == job and r.job_id.endswith("2024-11-28")]
        holiday_skip = ("skipped", "no session: 2024-11-28 is an XNYS holiday")
        assert [(r.outcome, r.reason) for r in holiday] == [holiday_skip]
    # the cron trigger fires at 13:00-16:59 on the early-close day: every one skipped, saying why
    early = [r for r in runs if r.job == "trade_step" and r.outcome == "skipped"
             and _local(r.fired_at)[0] == date(2024, 11, 29) and _local(r.fired_at)[1] >= time(13)]
    assert len(early) == 240 and all("after the close (13:00 ET (early close))" in r.reason for r in early)
    # first start on Monday 00:00 with no state: Friday's retrain still useful (before Monday's open), its
    # summary and pre-market review no longer
    start = {r.job_id: (r.outcome, r.reason.split(":")[0]) for r in runs[:3]}
    assert start == {"premarket_review@2024-11-22": ("skipped", "late by 68h00m"),
                     "daily_summary@2024-11-22": ("skipped", "late by 55h30m"),
                     "retrain@2024-11-22": ("ran", "late by 52h00m, still useful")}
    summaries = [t for k, s, t in notes.sent if k == "daily_summary"]
    assert len(summaries) == 4 and all(len(t) <= 306 for t in summaries)
    assert not [n for n in notes.sent if n[1] == "critical"]


@pytest.mark.parametrize(("first", "sunday", "utc_open_before", "utc_open_after"), [
    (date(2024, 11, 1), date(2024, 11, 3), time(13, 30), time(14, 30)),     # DST ends
    (date(2024, 3, 8), date(2024, 3, 10), time(14, 30), time(13, 30)),      # DST starts
])
def test_dst_change_keeps_new_york_times(setup, first, sunday, utc_open_before, utc_open_after):
    start = datetime.combine(first, time(0), tzinfo=NEW_YORK).astimezone(UTC)
    end = datetime.combine(date(first.year, first.month, first.day + 8), time(0), tzinfo=NEW_YORK)
    clock, day, _, disp = setup(start)
    runs = replay(disp, clock, start, end.astimezone(UTC), catch_up=False)
    by_day: dict[date, list[datetime]] = {}
    for t in day.times("trade_step"):
        by_day.setdefault(_local(t)[0], []).append(t)
    assert len(by_day) == 6 and all(len(v) == 390 for v in by_day.values())
    assert all(_local(v[0])[1] == time(9, 30) for v in by_day.values())
    before = [v[0] for d, v in by_day.items() if d < sunday]
    after = [v[0] for d, v in by_day.items() if d > sunday]
    assert {t.time() for t in before} == {utc_open_before} and {t.time() for t in after} == {utc_open_after}
    retrains = [r for r in runs if r.job == "retrain" and r.outcome == "ran"]
    assert len(retrains) == 6 and all(_local(r.fired_at)[1] == time(20) for r in retrains)
    assert not [r for r in runs if _local(r.fired_at)[0].weekday() >= 5]     # nothing fires on weekends


def test_asleep_in_the_evening_runs_the_retrain_once_on_wake(setup):
    clock, day, _, disp = setup(ny(2024, 11, 26))
    runs = replay(disp, clock, ny(2024, 11, 26), ny(2024, 11, 27, 12), catch_up=False,
                  asleep=[(ny(2024, 11, 26, 19), ny(2024, 11, 27, 3))])
    retrain = [r for r in runs if r.job == "retrain"]
    assert [(r.job_id, r.outcome, r.reason) for r in retrain] == [
        ("retrain@2024-11-26", "ran", "late by 7h00m, still useful")]
    assert day.times("retrain") == [ny(2024, 11, 27, 3)]
    assert day.times("premarket_review") == [ny(2024, 11, 26, 4), ny(2024, 11, 27, 4)]


def test_asleep_past_the_open_skips_with_reasons(setup):
    clock, day, _, disp = setup(ny(2024, 11, 26))
    runs = replay(disp, clock, ny(2024, 11, 26), ny(2024, 11, 27, 21), catch_up=False,
                  asleep=[(ny(2024, 11, 26, 19), ny(2024, 11, 27, 10))])
    skipped = {r.job_id: r.reason for r in runs if r.outcome == "skipped" and r.job != "trade_step"}
    assert skipped == {
        "retrain@2024-11-26": "late by 14h00m: no longer useful after Wed 2024-11-27 09:30 ET",
        "premarket_review@2024-11-27": "late by 6h00m: no longer useful after Wed 2024-11-27 09:30 ET"}
    missed = [r for r in runs if r.outcome == "missed"]
    assert len(missed) == 60 and all("misfire_grace_time=30 s" in r.reason for r in missed)  # 09:00-09:59
    wed = [_local(t)[1] for t in day.times("trade_step") if _local(t)[0] == date(2024, 11, 27)]
    assert wed[0] == time(10, 0) and len(wed) == 360
    assert day.times("retrain") == [ny(2024, 11, 27, 20)]                  # that night's retrain runs


def test_restart_after_20_still_runs_that_nights_retrain(setup, tmp_path):
    clock, day, _, disp = setup(ny(2024, 11, 25), tmp_path / "state.json")
    replay(disp, clock, ny(2024, 11, 25, 3), ny(2024, 11, 26, 19, 10), catch_up=False)   # dies at 19:10
    assert len(day.times("daily_summary")) == 2 and len(day.times("retrain")) == 1
    clock2, day2, _, disp2 = setup(ny(2024, 11, 26, 21, 30), tmp_path / "state.json")      # restarted 21:30
    runs = replay(disp2, clock2, ny(2024, 11, 26, 21, 30), ny(2024, 11, 27, 9, 31))
    assert day2.times("retrain") == [ny(2024, 11, 26, 21, 30)]                          # caught up once
    assert runs[0].job_id == "retrain@2024-11-26" and runs[0].reason == "late by 1h30m, still useful"
    assert day2.times("daily_summary") == []                                            # already sent
    assert day2.times("premarket_review") == [ny(2024, 11, 27, 4)]
    assert day2.times("trade_step") == [ny(2024, 11, 27, 9, 30)]
