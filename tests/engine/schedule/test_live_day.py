"""LiveTradingDay as the session supervisor, with a stand-in for run_live (the real one: test_run_day.py)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

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


# ---------------------------------------------------------------- confidence drift
TRAIN_RNG_SEED = 7


def _confidences(rng, n, shift=0.0):
    import numpy as np

    return np.clip(0.5 + 0.5 * rng.beta(2, 5, n) + shift, 0.0, 1.0)


@pytest.fixture(scope="module")
def drift_registry(tmp_path_factory):
    """A real registry version whose manifest holds a training confidence profile (as `train` writes)."""
    import numpy as np

    from tradeforge.models.drift import confidence_profile
    from tradeforge.models.garch import GarchModel
    from tradeforge.models.registry import ModelRegistry

    root = tmp_path_factory.mktemp("registry")
    rng = np.random.default_rng(TRAIN_RNG_SEED)
    garch = GarchModel().fit(0.01 * rng.standard_t(6, size=300))
    profile = confidence_profile(_confidences(rng, 800))
    common = {"data_range": ("2024-01-01", "2024-06-01"), "data_hash": "h", "feature_names": ["ret"],
              "params": {}}
    version = ModelRegistry(root).save({"garch": garch}, metrics={"confidence": profile}, **common)
    old = ModelRegistry(root).save({"garch": garch}, metrics={"auc": 0.6}, **common)    # no profile
    return root, version, old


def _drift_day(registry, version, confidences, per_bar=2, **kw):
    """A session that starts with *version* and reports one bar per *per_bar* confidences (2 symbols)."""
    emitted = threading.Event()

    def runner(config, *, stop, status, **_):
        status({"event": "start", "model": version, "account": "PA1TEST0001"})
        for i in range(0, len(confidences), per_bar):
            chunk = confidences[i:i + per_bar]
            status({"event": "bar", "time": (T0 + timedelta(minutes=i)).isoformat(), "equity": 100.0,
                    "positions": {}, "tripped": False,
                    "confidence": {f"S{j}": float(c) for j, c in enumerate(chunk)}})
        emitted.set()
        stop.wait(5)

    notes = Notes()
    config = LiveConfig(strategy="ml", symbols=("S0", "S1"), registry=str(registry), model=version)
    day = LiveTradingDay(config, notes, env={}, runner=runner, **kw)
    day.trade_step(T0)                                            # starts the session
    assert emitted.wait(5)
    day.trade_step(T0 + timedelta(minutes=1))                     # checks the drift
    day.stop_session()
    return [n for n in notes.sent if n[0] == "confidence_drift"]


def test_shifted_live_confidence_sends_one_drift_warning(drift_registry):
    import numpy as np

    root, version, _ = drift_registry
    live = _confidences(np.random.default_rng(1), 200, shift=0.08)
    [(kind, severity, text)] = _drift_day(root, version, live)
    assert (kind, severity) == ("confidence_drift", "warning")
    assert text.startswith(f"model {version} confidence drifted from training: PSI ")
    assert "> 0.25 over 200 live signals today" in text and "out-of-fold" in text


def test_matching_live_confidence_sends_nothing(drift_registry):
    import numpy as np

    root, version, _ = drift_registry
    for seed in range(3):
        assert _drift_day(root, version, _confidences(np.random.default_rng(seed), 200)) == []


def test_no_drift_decision_before_the_minimum_count_nor_without_a_profile(drift_registry):
    import numpy as np

    root, version, old = drift_registry
    shifted = _confidences(np.random.default_rng(2), 119, shift=0.15)
    assert _drift_day(root, version, shifted) == []                               # 119 < 120 (MIN_LIVE)
    assert len(_drift_day(root, version, shifted, drift_min_bars=100)) == 1        # same values, lower bar
    assert _drift_day(root, old, _confidences(np.random.default_rng(2), 300, shift=0.15)) == []


def test_drift_settings_are_checked():
    from tradeforge.errors import ConfigError

    with pytest.raises(ConfigError, match="drift_min_bars: got 3"):
        LiveTradingDay(LiveConfig(symbols=("SPY",)), Notes(), env={}, drift_min_bars=3)
    with pytest.raises(ConfigError, match="drift_threshold: got 0"):
        LiveTradingDay(LiveConfig(symbols=("SPY",)), Notes(), env={}, drift_threshold=0)
