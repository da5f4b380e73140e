"""Dispatcher decisions one at a time: minute guards, failures, retrain outcomes, summary, status, logs."""

from __future__ import annotations

import json
import logging
import threading
from datetime import UTC, date, datetime

import pytest

from tradeforge.engine.notify import gsm7_length, sms_segments
from tradeforge.engine.schedule import (
    MarketCalendar,
    RetrainOutcome,
    ScheduleConfig,
    configure_json_logs,
    decide_promotion,
)
from tradeforge.engine.schedule.calendar import NEW_YORK
from tradeforge.errors import ConfigError, ModelError


def ny(y, m, d, hh=0, mm=0, ss=0) -> datetime:
    return datetime(y, m, d, hh, mm, ss, tzinfo=NEW_YORK).astimezone(UTC)


def test_minute_step_runs_once_per_open_minute(setup):
    clock, day, _, disp = setup(ny(2024, 11, 26, 10, 15, 5))
    assert disp.fire("trade_step").outcome == "ran"
    clock.set(ny(2024, 11, 26, 10, 15, 40))
    run = disp.fire("trade_step")
    assert (run.outcome, run.reason) == ("skipped", "this minute was already traded")
    assert day.times("trade_step") == [ny(2024, 11, 26, 10, 15)]            # floored to the minute
    clock.set(ny(2024, 11, 26, 16, 0, 1))
    assert disp.fire("trade_step").reason == "market closed: after the close (16:00 ET)"
    clock.set(ny(2024, 11, 29, 16, 1))
    assert disp.fire("trade_step").reason == "market closed: after the close (13:00 ET (early close))"


def test_step_never_overlaps_the_previous_one(setup):
    clock, day, _, disp = setup(ny(2024, 11, 26, 10, 15))
    day.step_gate = threading.Event()
    worker = threading.Thread(target=disp.fire, args=("trade_step",))
    worker.start()
    while not day.times("trade_step"):
        pass
    clock.set(ny(2024, 11, 26, 10, 16))
    run = disp.fire("trade_step")
    day.step_gate.set()
    worker.join(5)
    assert (run.outcome, run.reason) == ("skipped", "the previous step is still running")


def test_failed_job_alerts_critical_and_the_next_minute_runs(setup):
    clock, day, notes, disp = setup(ny(2024, 11, 26, 10, 15))
    day.fail_on.add("trade_step")
    run = disp.fire("trade_step")
    assert run.outcome == "failed" and run.reason == "RuntimeError: broker exploded"
    assert notes.sent == [("runner_stopped", "critical",
                           "job trade_step@2024-11-26T15:15Z failed: RuntimeError: broker exploded")]
    day.fail_on.clear()
    clock.set(ny(2024, 11, 26, 10, 16))
    assert disp.fire("trade_step").outcome == "ran"


def test_retrain_rejected_warns_and_logs_both_scores(setup, tmp_path):
    clock, day, notes, disp = setup(ny(2024, 11, 26, 20, 0, 3))
    promoted, reason = decide_promotion({"auc": 0.54}, {"auc": 0.55}, higher_is_better={"auc": True})
    day.retrain_outcome = RetrainOutcome(promoted, "v0007", "v0006", {"auc": 0.54}, {"auc": 0.55}, reason)
    handler = configure_json_logs(tmp_path / "run.jsonl", run_id="run-42")
    try:
        assert disp.fire("retrain").outcome == "ran"
    finally:
        logging.getLogger("tradeforge").removeHandler(handler)
        handler.close()
    assert notes.sent == [("retrain_rejected", "warning", "retrained model v0007 rejected: challenger worse "
                           "on auc: 0.5400 < champion 0.5500; keeping v0006")]
    lines = [json.loads(line) for line in (tmp_path / "run.jsonl").read_text().splitlines()]
    decision = next(r for r in lines if r["msg"].startswith("retrain: challenger"))
    assert decision["run_id"] == "run-42" and decision["job_id"] == "retrain@2024-11-26"
    assert decision["challenger_scores"] == {"auc": 0.54} and decision["champion_scores"] == {"auc": 0.55}
    assert any(r.get("outcome") == "ran" and r["job_id"] == "retrain@2024-11-26" for r in lines)


def test_job_logs_carry_run_job_and_order_ids(setup, tmp_path):
    clock, day, _, disp = setup(ny(2024, 11, 26, 10, 15))
    order_log = logging.getLogger("tradeforge.engine.live")

    def step(now):
        order_log.info("order submitted", extra={"client_order_id": "tf-sma-AAPL-1", "order_id": "uuid-1"})

    day.trade_step = step
    handler = configure_json_logs(tmp_path / "run.jsonl", run_id="run-7")
    try:
        disp.fire("trade_step")
    finally:
        logging.getLogger("tradeforge").removeHandler(handler)
        handler.close()
    rec = json.loads((tmp_path / "run.jsonl").read_text().splitlines()[0])
    assert {k: rec[k] for k in ("run_id", "job", "job_id", "order_id", "client_order_id")} == {
        "run_id": "run-7", "job": "trade_step", "job_id": "trade_step@2024-11-26T15:15Z",
        "order_id": "uuid-1",
        "client_order_id": "tf-sma-AAPL-1"}


def test_summary_is_cut_to_two_segments(setup):
    clock, day, notes, disp = setup(ny(2024, 11, 29, 16, 30))
    disp.fire("daily_summary")
    (kind, severity, text), = notes.sent
    assert (kind, severity) == ("daily_summary", "summary") and text.endswith("...")
    assert gsm7_length(text) == 306 and sms_segments(text) == 2            # "|" takes two septets


def test_status_line_names_the_next_job(setup):
    clock, day, _, disp = setup(ny(2024, 11, 27, 21, 0))
    assert disp.status_line() == ("2024-11-27 21:00 ET | next premarket_review at Fri 04:00 ET | "
                                  "positions 2 | "
                                  "P&L today -12.50 | kill switch off")
    clock.set(ny(2024, 11, 29, 10, 0, 30))
    assert disp.next_job() == ("trade_step", ny(2024, 11, 29, 10, 1))
    clock.set(ny(2024, 11, 29, 12, 59, 30))                                # early close: no step at 13:00
    assert disp.next_job() == ("daily_summary", ny(2024, 11, 29, 16, 30))


def test_promotion_rules():
    hib = {"auc": True, "logloss": False}
    assert decide_promotion({"auc": 0.6}, None, higher_is_better={"auc": True}) == (True, "no champion yet")
    assert decide_promotion({"auc": 0.55, "logloss": 0.69}, {"auc": 0.55, "logloss": 0.69},
                            higher_is_better=hib)[0]                                     # equal: no worse
    ok, why = decide_promotion({"auc": 0.56, "logloss": 0.71}, {"auc": 0.55, "logloss": 0.70},
                               higher_is_better=hib)
    assert not ok and why == "challenger worse on logloss: 0.7100 > champion 0.7000"
    with pytest.raises(ModelError, match="champion score 'auc'"):
        decide_promotion({"auc": 0.5}, {"auc": float("nan")}, higher_is_better={"auc": True})


def test_config_and_calendar_errors():
    with pytest.raises(ConfigError, match="retrain_at: got '25:00'"):
        ScheduleConfig(retrain_at="25:00")
    with pytest.raises(ConfigError, match="Did you mean 'retrain_at'"):
        ScheduleConfig.from_mapping({"retrain_time": "20:00"})
    with pytest.raises(ConfigError, match="minute_grace_s"):
        ScheduleConfig(minute_grace_s=90)
    cal = MarketCalendar(start=date(2024, 11, 1), end=date(2024, 12, 31))
    with pytest.raises(ConfigError, match="naive datetime"):
        cal.is_open_on_minute(datetime(2024, 11, 26, 15, 0))
    with pytest.raises(ConfigError, match="outside the calendar range"):
        cal.is_session(date(2025, 6, 2))
    with pytest.raises(ConfigError, match="XNYZ"):
        MarketCalendar("XNYZ", start=date(2024, 11, 1), end=date(2024, 12, 31))


def test_history_is_bounded_and_replay_still_returns_its_decisions(setup):
    from tradeforge.engine.schedule import replay

    clock, day, _, disp = setup(ny(2024, 11, 26), history_limit=100)
    runs = replay(disp, clock, ny(2024, 11, 26), ny(2024, 11, 27), catch_up=False)
    assert len(disp.history) == 100 and disp.recorded == 8 * 60 + 3 and runs == disp.history
    assert len(day.times("trade_step")) == 390 and runs[-1].job_id == "retrain@2024-11-26"
