"""The account's risk in a live session: the pre-trade gate refuses (and journals why) for any strategy;
the kill switch trips, is saved after every bar and stays tripped across a restart until unlocked."""

from __future__ import annotations

import pandas as pd

from tradeforge.brokers.journal import Journal, OrderState
from tradeforge.engine.live import LiveConfig

from .conftest import Replay, minute_bars, now_minute_frames

WARM = 4


def _session(fake, frames, config, start: int, stop: int):
    replay = Replay(fake, config).start()
    for i in range(start, stop):
        replay.push(frames, i)
    return replay, replay.finish()


def _config(tmp_path, **kw) -> LiveConfig:
    return LiveConfig(strategy="sma_cross", symbols=("SPY",), params={"fast": 2, "slow": 4},
                      journal_root=str(tmp_path / "journal"), daily_loss_limit=1.0, **kw)


def _journal(tmp_path):
    return Journal.open(account="PA1TEST0001", mode="paper", root=tmp_path / "journal", create=False)


def test_gate_refuses_an_oversized_sma_cross_entry_and_journals_the_reason(fake, tmp_path):
    frames = now_minute_frames({"SPY": minute_bars(40, seed=4)}, history=WARM)
    fake.set_market_open(True)
    fake.add_history("SPY", frames["SPY"].iloc[:WARM])
    _, result = _session(fake, frames, _config(tmp_path, max_position_pct=0.25, max_drawdown=1.0), WARM, 40)
    assert fake.orders == [] and result.refused                        # target 0.95 > 25 % of equity
    with _journal(tmp_path) as journal:
        refused = journal.orders([OrderState.REFUSED])
    assert len(refused) == len(result.refused) >= 1
    assert all("would exceed max_position_pct=0.25 of equity" in row.reason for row in refused)


def test_kill_switch_latches_across_a_restart_until_unlocked(fake, tmp_path):
    frames = now_minute_frames({"SPY": minute_bars(200, seed=8)}, history=WARM)
    fake.set_market_open(True)
    fake.add_history("SPY", frames["SPY"].iloc[:WARM])
    config = _config(tmp_path, max_drawdown=0.002)
    replay, first = _session(fake, frames, config, WARM, 80)
    with _journal(tmp_path) as journal:
        state = journal.risk_state()
        assert state.tripped and "max_drawdown=0.002" in state.tripped_reason
        assert [e["kind"] for e in journal.risk_events()][:1] == ["kill_switch"]
    assert any(e["event"] == "kill_switch" for e in replay.events)
    assert fake.positions.get("SPY", {"qty": 0})["qty"] == 0          # flattened at the trip
    n_orders = len(fake.orders)

    replay, second = _session(fake, frames, config, 80, 140)           # a restart: still tripped
    assert "kill switch TRIPPED" in replay.events[0]["message"]
    assert second.refused and all("kill switch tripped" in reason for _, reason in second.refused)
    assert len(fake.orders) == n_orders                                 # no entry reached the broker

    with _journal(tmp_path) as journal:
        journal.unlock()                                                # what `tradeforge unlock` does
    _, third = _session(fake, frames, _config(tmp_path, max_drawdown=1.0), 140, 200)
    assert third.refused == [] and len(fake.orders) > n_orders          # trading again
    buys = [o for o in fake.orders if o["side"] == "buy"]
    assert pd.Timestamp(buys[-1]["submitted_at"]) > pd.Timestamp(fake.orders[n_orders - 1]["submitted_at"])
