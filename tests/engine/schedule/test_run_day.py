"""``tradeforge run --paper`` through a simulated day: fake Alpaca and fake Twilio, through the real clients.

The schedule's clock is simulated (Tuesday 2024-11-26, an XNYS session); the trading session is the real
``run_live`` of issue 9, trading 1-minute bars pushed to the fake in real time. The day: 04:00 pre-market
review (reconciliation against the fake), 09:30.. minute steps (the session starts and trades every pushed
bar), 16:30 summary (session stopped, figures from the journal, SMS to the fake Twilio), 20:00 retrain
(champion / challenger on synthetic data, decision journaled).
"""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from tradeforge.engine._cli_run import build_run
from tradeforge.engine.live import LiveConfig
from tradeforge.engine.notify import sms_segments
from tradeforge.engine.schedule import SimClock
from tradeforge.engine.schedule.calendar import NEW_YORK
from tradeforge.testing.fake_alpaca import FakeAlpaca
from tradeforge.testing.fake_twilio import FakeTwilio

pytestmark = pytest.mark.filterwarnings("ignore:Got `batch_size`:UserWarning")
KEY, SECRET = "PKRUNDAYKEY00000001", "run-day-secret-canary-0001"
TOKEN = "run-day-twilio-token-canary"
SID = "AC" + "d5" * 16
FAST = {"fast": True, "garch_window": 60, "lstm_epochs": 1, "base_models": ("lgbm", "rf"),
        "ensemble_splits": 2}


def ny(hh, mm=0) -> datetime:
    return datetime(2024, 11, 26, hh, mm, tzinfo=NEW_YORK).astimezone(UTC)


def _bars(n: int, end_before_now: int, seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.004, n)))
    open_ = np.r_[100.0, close[:-1]] * np.exp(rng.normal(0, 0.001, n))
    high = np.maximum(open_, close) * (1 + np.abs(rng.normal(0, 0.002, n)))
    low = np.minimum(open_, close) * (1 - np.abs(rng.normal(0, 0.002, n)))
    now = pd.Timestamp.now(tz="UTC").tz_convert(None).floor("1min")
    index = pd.date_range(now - pd.Timedelta(minutes=end_before_now), periods=n, freq="1min", name="datetime")
    return pd.DataFrame({"open": open_, "high": high, "low": low, "close": close,
                         "volume": rng.integers(1_000, 5_000, n).astype(float)}, index=index)


def _wait(predicate, timeout=30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def test_run_paper_goes_through_a_simulated_day(tmp_path):
    warm, live_bars = 16, 60
    bars = _bars(warm + live_bars, end_before_now=warm)
    with FakeAlpaca(account_number="PA1RUNDAY01", cash=100_000.0, api_key=KEY, secret_key=SECRET,
                    rate_limit_per_minute=None) as alpaca, \
            FakeTwilio(account_sid=SID, auth_token=TOKEN) as sms:
        alpaca.set_market_open(True)
        alpaca.add_history("SPY", bars.iloc[:warm])
        env = {"APCA_API_KEY_ID": KEY, "APCA_API_SECRET_KEY": SECRET, "APCA_API_BASE_URL": alpaca.base_url,
               "APCA_API_DATA_URL": alpaca.data_url, "APCA_API_STREAM_URL": alpaca.stream_url,
               "APCA_API_DATA_STREAM_URL": alpaca.data_stream_url, "TWILIO_ACCOUNT_SID": SID,
               "TWILIO_AUTH_TOKEN": TOKEN, "TWILIO_FROM": "+15005550006", "TWILIO_TO": "+15551230000"}
        config = LiveConfig(strategy="sma_cross", symbols=("SPY",), timeframe="1m",
                            params={"fast": 5, "slow": 15}, journal_root=str(tmp_path / "journal"),
                            registry=str(tmp_path / "registry"), max_drawdown=1.0, daily_loss_limit=1.0)
        clock = SimClock(ny(3, 59))
        parts = build_run(config, notify="twilio", twilio_url=sms.base_url, env=env, clock=clock,
                          train_data="synth:symbols=1,bars=400,freq=1d,seed=3,edge=0.3", holdout_bars=80,
                          train_params=FAST, state_dir=tmp_path / "state", log_dir=tmp_path / "logs",
                          store_options={"lookup_waits_s": (0.0, 0.05, 0.1),
                                         "reconnect_backoff_s": (0.05, 0.2)})
        disp, day = parts.dispatcher, parts.day
        try:
            clock.set(ny(4))
            assert disp.fire("premarket_review").outcome == "ran"
            clock.set(ny(9, 30))
            assert disp.fire("trade_step").outcome == "ran"              # starts the day's session
            assert alpaca.wait_subscribed("SPY", timeout=30), day.events[-3:]
            for i in range(warm, warm + live_bars):
                row = bars.iloc[i]
                alpaca.push_bar("SPY", bars.index[i], row.open, row.high, row.low, row.close, row.volume)
                want = bars.index[i].isoformat()
                assert _wait(lambda w=want: any(e.get("time", "").startswith(w[:16]) for e in day.events
                                                if e.get("event") == "bar")), day.events[-3:]
                clock.set(ny(9, 30) + timedelta(minutes=1 + i - warm))
                assert disp.fire("trade_step").outcome == "ran"
            assert len(alpaca.fills) >= 2, "the scenario must trade"
            clock.set(ny(16, 30))
            assert disp.fire("daily_summary").outcome == "ran"
            assert parts.notifier.flush(10)
            clock.set(ny(20))
            retrain = disp.fire("retrain")
            assert retrain.outcome == "ran", retrain.reason
        finally:
            parts.close()
        bodies = [m["body"] for m in sms.messages]
        summary = [b for b in bodies if b.startswith("tradeforge SUMMARY: 2024-11-26 P&L day")]
        assert len(summary) == 1 and sms_segments(summary[0]) <= 2
        assert f"| {len(alpaca.fills)} trades |" in summary[0]
        assert f"equity {alpaca.account['equity']:,.2f}" in summary[0]
        ran = {(r.job, r.outcome) for r in disp.history}
        assert ran == {("premarket_review", "ran"), ("trade_step", "ran"), ("daily_summary", "ran"),
                       ("retrain", "ran")}
        assert sum(r.job == "trade_step" for r in disp.history) == live_bars + 1
        assert all(alpaca.post_count(o["client_order_id"]) == 1 for o in alpaca.orders)
        champion = json.loads((tmp_path / "registry" / "champion.json").read_text())
        assert champion["history"][0]["promoted"] and champion["version"]
        log = (parts.log_path).read_text()
        lines = [json.loads(x) for x in log.splitlines()]
        assert all(x["run_id"] == parts.run_id for x in lines)
        assert any(x.get("job") == "trade_step" and x["job_id"].startswith("trade_step@") for x in lines)
        assert any(x.get("challenger_scores") for x in lines)
        everything = log + "\n".join(bodies) + repr(parts.notifier) + repr(day.events)
        for secret in (SECRET, TOKEN):
            assert secret not in everything
        assert not [t for t in threading.enumerate() if t.name == "tradeforge-run-session"]
