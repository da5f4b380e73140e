"""A recording TradingDay and a recording notifier for the scheduler tests."""

from __future__ import annotations

import threading
from datetime import date, datetime

import pytest

from tradeforge.engine.schedule.calendar import MarketCalendar
from tradeforge.engine.schedule.jobs import RetrainOutcome


class RecordingDay:
    """Implements the TradingDay protocol and records every call (time from the injected clock)."""

    def __init__(self, clock, retrain_outcome: RetrainOutcome | None = None) -> None:
        self.clock = clock
        self.calls: list[tuple[str, datetime]] = []
        self.retrain_outcome = retrain_outcome
        self.fail_on: set[str] = set()
        self.step_gate: threading.Event | None = None

    def retrain(self):
        self.calls.append(("retrain", self.clock()))
        if "retrain" in self.fail_on:
            raise RuntimeError("training data missing")
        return self.retrain_outcome

    def premarket_review(self) -> None:
        self.calls.append(("premarket_review", self.clock()))

    def trade_step(self, now: datetime) -> None:
        self.calls.append(("trade_step", now))
        if "trade_step" in self.fail_on:
            raise RuntimeError("broker exploded")
        if self.step_gate is not None:
            self.step_gate.wait(5)

    def daily_summary(self, now: datetime) -> str:
        self.calls.append(("daily_summary", now))
        return f"{now:%Y-%m-%d} P&L day +1.00 | " + "x" * 400

    def status(self, now: datetime) -> dict:
        return {"positions": 2, "pnl_today": -12.5, "kill_switch": False}

    def times(self, job: str) -> list[datetime]:
        return [t for name, t in self.calls if name == job]


class RecordingNotifier:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []

    def send(self, kind: str, severity: str, text: str) -> bool:
        self.sent.append((kind, severity, text))
        return True

    def close(self, timeout_s: float = 5.0) -> None:
        pass


@pytest.fixture(scope="session")
def calendar() -> MarketCalendar:
    return MarketCalendar(start=date(2024, 1, 1), end=date(2025, 12, 31))


@pytest.fixture()
def setup(calendar):
    """``setup(start, state_path=None, **dispatcher_kw) -> (clock, day, notifier, dispatcher)``."""
    from tradeforge.engine.schedule.dispatcher import Dispatcher
    from tradeforge.engine.schedule.replay import SimClock

    def make(start, state_path=None, **kw):
        clock = SimClock(start)
        day, notes = RecordingDay(clock), RecordingNotifier()
        disp = Dispatcher(day, calendar, clock, notifier=notes, state_path=state_path, **kw)
        return clock, day, notes, disp

    return make
