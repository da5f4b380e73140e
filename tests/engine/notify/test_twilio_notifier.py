"""TwilioNotifier through the real twilio client against the fake Twilio server on 127.0.0.1."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

import pytest

from tradeforge.engine.notify import TwilioConfig, TwilioNotifier
from tradeforge.engine.schedule.replay import SimClock
from tradeforge.errors import ConfigError
from tradeforge.testing.fake_twilio import FakeTwilio

SID = "AC" + "c4" * 16
TOKEN = "CANARY-twilio-token-7f3a9e"


@pytest.fixture()
def fake():
    with FakeTwilio(account_sid=SID, auth_token=TOKEN, slow_s=0.3) as server:
        yield server


def _notifier(fake: FakeTwilio, clock=None, **kw) -> TwilioNotifier:
    cfg = TwilioConfig(account_sid=SID, auth_token=TOKEN, from_number="+15005550006",
                       to_number="+15551230000", api_url=fake.base_url)
    kw.setdefault("backoff_s", 0.01)
    kw.setdefault("timeout_s", 2.0)
    return TwilioNotifier(cfg, clock=clock, **kw)


def test_sends_through_real_client(fake):
    n = _notifier(fake)
    assert n.send("kill_switch", "critical", "drawdown 10.2% > 10%: trading stopped")
    assert n.flush(5)
    body = "tradeforge CRITICAL: drawdown 10.2% > 10%: trading stopped"
    assert [m["body"] for m in fake.messages] == [body]
    assert fake.messages[0]["to"] == "+15551230000" and fake.messages[0]["from"] == "+15005550006"
    assert n.sent_sids == [m["sid"] for m in fake.messages]
    n.close()


def test_one_message_per_kind_per_15_minutes(fake):
    clock = SimClock(datetime(2024, 11, 26, 15, 0, tzinfo=UTC))
    n = _notifier(fake, clock)
    assert n.send("stale_feed", "warning", "no bar for 3 min")
    clock.now += timedelta(minutes=14, seconds=59)
    assert not n.send("stale_feed", "warning", "no bar for 18 min")       # same kind: throttled
    assert n.send("kill_switch", "critical", "tripped")                   # another kind: not throttled
    clock.now += timedelta(seconds=1)
    assert n.send("stale_feed", "warning", "still no bar")                # 15 min later: allowed
    assert n.flush(5)
    texts = [m["body"].split(": ", 1)[1] for m in fake.messages]
    assert texts == ["no bar for 3 min", "tripped", "still no bar"]
    assert n.stats["throttled"] == 1 and n.stats["sent"] == 3
    n.close()


def test_daily_cap_resets_on_the_new_york_day(fake):
    clock = SimClock(datetime(2024, 11, 26, 20, 0, tzinfo=UTC))             # 15:00 ET
    n = _notifier(fake, clock, daily_cap=3, min_interval_s=0, critical_reserve=0)
    accepted = [n.send("stale_feed", "warning", f"w{i}") for i in range(5)]
    assert accepted == [True, True, True, False, False]
    clock.now = datetime(2024, 11, 27, 4, 59, tzinfo=UTC)                # 23:59 ET: still the same day
    assert not n.send("kill_switch", "critical", "late")
    clock.now = datetime(2024, 11, 27, 5, 0, tzinfo=UTC)                 # 00:00 ET: a new day
    assert n.send("kill_switch", "critical", "new day")
    assert n.flush(5)
    assert len(fake.messages) == 4 and n.stats["capped"] == 3
    n.close()


def test_warnings_cannot_use_the_critical_reserve(fake):
    clock = SimClock(datetime(2024, 11, 26, 20, 0, tzinfo=UTC))
    n = _notifier(fake, clock, daily_cap=4, critical_reserve=2, min_interval_s=0)
    assert [n.send("stale_feed", "warning", f"w{i}") for i in range(3)] == [True, True, False]
    assert n.send("kill_switch", "critical", "tripped") and n.send("runner_stopped", "critical", "down")
    assert not n.send("broker_unreachable", "critical", "cap")
    assert n.flush(5) and len(fake.messages) == 4
    n.close()


@pytest.mark.parametrize("faults", [["429", "429", "500"], ["429_rfc9457", "503_rfc9457"], ["503", "slow"]])
def test_retries_429_and_5xx_then_delivers(fake, faults):
    for kind in faults:
        fake.fault(kind)
    n = _notifier(fake)
    assert n.send("broker_unreachable", "critical", "no answer from Alpaca for 5 min")
    assert n.flush(10)
    statuses = [r["status"] for r in fake.requests]
    expected = [int(k.split("_")[0]) for k in faults if k != "slow"] + [201]
    assert statuses == expected
    assert len(fake.messages) == 1 and n.stats["retries"] == len(expected) - 1 and n.stats["failed"] == 0
    n.close()


def test_gives_up_after_max_attempts_and_keeps_working(fake):
    fake.fault("500", count=3)
    n = _notifier(fake, max_attempts=3)
    n.send("runner_stopped", "critical", "runner exited")
    assert n.flush(10)
    assert n.stats == {**n.stats, "failed": 1, "sent": 0, "retries": 2}
    n.send("kill_switch", "critical", "next alert")
    assert n.flush(10)
    assert [m["body"] for m in fake.messages] == ["tradeforge CRITICAL: next alert"]
    n.close()


def test_permanent_error_is_not_retried(fake):
    cfg = TwilioConfig(account_sid=SID, auth_token="wrong-token", from_number="+1", to_number="+2",
                       api_url=fake.base_url)
    n = TwilioNotifier(cfg, backoff_s=0.01)
    n.send("kill_switch", "critical", "x")
    assert n.flush(5)
    assert [r["status"] for r in fake.requests] == [401]
    assert n.stats["failed"] == 1 and n.stats["retries"] == 0
    n.close()


def test_hung_server_never_blocks_send(fake):
    fake.fault("hang", count=2)
    n = _notifier(fake, timeout_s=0.4, max_attempts=3)
    t0 = time.perf_counter()
    for kind in ("kill_switch", "runner_stopped", "stale_feed"):
        assert n.send(kind, "critical", "market open, broker silent")
    assert time.perf_counter() - t0 < 0.1                                # the caller never waits
    assert n.flush(10)
    # two attempts of the first message time out after 0.4 s each, its third attempt and the others go through
    assert [r["status"] for r in fake.requests] == [0, 0, 201, 201, 201]
    assert n.stats["sent"] == 3 and n.stats["retries"] == 2
    n.close()


def test_close_returns_within_its_timeout_while_the_server_hangs(fake):
    fake.fault("hang", count=10)
    n = _notifier(fake, timeout_s=5.0)
    n.send("kill_switch", "critical", "x")
    t0 = time.perf_counter()
    n.close(timeout_s=0.3)
    assert time.perf_counter() - t0 < 1.0


def test_full_queue_drops_and_says_so(fake, caplog):
    fake.fault("hang", count=1)
    n = _notifier(fake, timeout_s=1.0, max_attempts=1, queue_size=1, min_interval_s=0)
    results = [n.send("stale_feed", "warning", f"m{i}") for i in range(4)]
    assert results[0] and not all(results)
    assert n.stats["dropped"] >= 1 and "queue full" in caplog.text
    n.close(0.1)


def test_canary_secret_never_in_logs_reprs_or_errors(fake, caplog):
    caplog.set_level(logging.DEBUG)
    fake.fault("429_rfc9457")
    fake.fault("500")
    fake.fault("hang")
    n = _notifier(fake, timeout_s=0.3)
    n.send("kill_switch", "critical", "tripped")
    n.send("daily_summary", "summary", "P&L +12.00")
    assert n.flush(10)
    bad_cfg = TwilioConfig(account_sid=SID, auth_token=TOKEN + "x", from_number="+1", to_number="+2",
                           api_url=fake.base_url)
    bad = TwilioNotifier(bad_cfg, backoff_s=0.01)
    bad.send("kill_switch", "critical", "wrong token")
    assert bad.flush(5)
    texts = [caplog.text, repr(n), str(n.config), repr(bad), repr(n.config)]
    for text in texts:
        assert TOKEN not in text
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("tradeforge"))
    assert SID not in ours and "tradeforge.notify.twilio" in {r.name for r in caplog.records}
    assert SID not in repr(n)
    n.close()
    bad.close()


def test_config_from_env_names_missing_variables():
    with pytest.raises(ConfigError, match="TWILIO_AUTH_TOKEN, TWILIO_TO"):
        TwilioConfig.from_env({"TWILIO_ACCOUNT_SID": SID, "TWILIO_FROM": "+1"})
    cfg = TwilioConfig.from_env({"TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": TOKEN,
                                 "TWILIO_FROM": "+1555", "TWILIO_TO": "+15551230000"})
    assert cfg.auth_token == TOKEN and TOKEN not in repr(cfg) and SID not in repr(cfg)


def test_bad_arguments_raise_config_error(fake):
    with pytest.raises(ConfigError, match="timeout_s"):
        _notifier(fake, timeout_s=0)
    n = _notifier(fake)
    with pytest.raises(ConfigError, match="unknown alert kind 'kil_switch'. Did you mean 'kill_switch'"):
        n.send("kil_switch", "critical", "x")
    with pytest.raises(ConfigError, match="severity"):
        n.send("kill_switch", "urgent", "x")
    n.close()
