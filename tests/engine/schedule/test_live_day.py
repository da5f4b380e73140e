"""LiveTradingDay as the session supervisor, with a stand-in for run_live (the real one: test_run_day.py)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from tradeforge.engine.live import LiveConfig
from tradeforge.engine.schedule.calendar import NEW_YORK
from tradeforge.engine.schedule.live_day import LiveTradingDay
from tradeforge.errors import BrokerError

T0 = datetime(2024, 11, 26, 9, 30, tzinfo=NEW_YORK).astimezone(UTC)


class Notes:
    def __init__(self):
        self.sent = []

    def send(self, kind, severity, text):
        self.sent.append((kind, severity, text))
        return True

    def close(self, timeout_s=5.0):
        pass


def _wait_dead(day, timeout=5.0):
    deadline = time.monotonic() + timeout
    while day._thread is not None and day._thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)


def _day(runner, **kw):
    notes = Notes()
    day = LiveTradingDay(LiveConfig(symbols=("SPY",)), notes, env={}, runner=runner, **kw)
    return day, notes


def test_crashed_session_alerts_and_restarts_a_bounded_number_of_times():
    starts = []

    def runner(config, *, stop, status, **kw):
        starts.append(config.model)
        raise BrokerError("reconciliation mismatch: SPY journal 10 vs broker 0")

    day, notes = _day(runner, max_restarts=2)
    for minute in range(6):
        day.trade_step(T0 + timedelta(minutes=minute))
        _wait_dead(day)
    assert len(starts) == 3                                          # the first start + 2 restarts
    kinds = [(k, s) for k, s, _ in notes.sent]
    assert kinds == [("reconciliation_mismatch", "critical")] * 3
    assert notes.sent[-1][2].endswith("no restart left today")
    day.trade_step(datetime(2024, 11, 27, 9, 30, tzinfo=NEW_YORK).astimezone(UTC))   # a new day: starts again
    _wait_dead(day)
    assert len(starts) == 4


def test_kill_switch_event_alerts_and_no_new_session_starts():
    def runner(config, *, stop, status, **kw):
        status({"event": "kill_switch", "message": "kill switch: drawdown 21% > 20%", "tripped": True})
        raise BrokerError("stopped")

    day, notes = _day(runner)
    day.trade_step(T0)
    _wait_dead(day)
    day.trade_step(T0 + timedelta(minutes=1))
    day.trade_step(T0 + timedelta(minutes=2))
    assert notes.sent[0] == ("kill_switch", "critical", "kill switch: drawdown 21% > 20%")
    assert day._starts == 1 and day.status(T0)["kill_switch"]


def test_silent_session_raises_a_stale_feed_warning():
    def runner(config, *, stop, status, **kw):
        status({"event": "bar", "time": T0.isoformat(), "equity": 100.0, "positions": {}, "tripped": False})
        stop.wait(5)

    day, notes = _day(runner, stale_after_s=0.1)
    day.trade_step(T0)
    time.sleep(0.3)
    day.trade_step(T0 + timedelta(minutes=1))
    day.stop_session()
    assert [k for k, _, _ in notes.sent] == ["stale_feed"]
    assert "no completed bar since 09:30 ET" in notes.sent[0][2]


def test_unreachable_broker_is_its_own_alert():
    from tradeforge.errors import TransientBrokerError

    def runner(config, *, stop, status, **kw):
        raise TransientBrokerError("GET /v2/account: no answer within 10 s")

    day, notes = _day(runner, max_restarts=0)
    day.trade_step(T0)
    _wait_dead(day)
    day.trade_step(T0 + timedelta(minutes=1))
    assert [(k, s) for k, s, _ in notes.sent] == [("broker_unreachable", "critical")]


def test_retrain_decision_goes_to_the_journals_model_decisions_table(tmp_path):
    from tradeforge.brokers.journal import Journal
    from tradeforge.engine.schedule.jobs import RetrainOutcome

    url = f"sqlite:///{tmp_path / 'j.db'}"
    Journal.open(url, account="PA1TEST0001", mode="paper").close()
    outcome = RetrainOutcome(False, "v2", "v1", {"auc": 0.51, "brier": 0.26}, {"auc": 0.55, "brier": 0.24},
                             "challenger AUC 0.5100 < champion 0.5500", holdout_start="2024-11-01 14:30:00")
    day, notes = _day(None, retrainer=lambda: outcome, clock=lambda: T0)
    assert day.retrain() is outcome                                  # no journal yet: nothing written
    day.journal_url = url
    assert day.retrain() is outcome and day.config.model is None     # rejected: the model is unchanged
    with Journal.open(url, account=None, mode=None, create=False) as journal:
        rows, signals = journal.model_decisions_frame(), journal.signals_frame()
    assert signals.empty and len(rows) == 1
    row = rows.iloc[0]
    assert (row["at"], bool(row["promoted"]), row["challenger"], row["champion"]) == (T0, False, "v2", "v1")
    assert row["champion_scores"] == {"auc": 0.55, "brier": 0.24} and row["reason"].startswith("challenger")
