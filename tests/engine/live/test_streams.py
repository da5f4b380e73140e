"""100 dropped or silent stream connections during one session: 0 missed fills, 0 trades on stale bars.

The session (``sma_cross`` 2/4, trading often) runs against the fake through the real alpaca-py streams.
Faults, seeded: the data stream, the trading stream or both closed (the clients reconnect by themselves),
or the data stream kept connected but silent until the runner's watchdog resubscribes. Bars pushed while
the data stream is down or silent can only reach the runner late (REST gap fill): no order may come from
them. Fills made while the trading stream is down must still reach the journal (REST sync, reconcile).
The session's clock is the wall clock plus an offset that jumps 3 minutes when the data stream is
silenced, so "silent for longer than 2 bar lengths" is seen at the watchdog's next check.
"""

from __future__ import annotations

import datetime as dt
import random

import pandas as pd

from tradeforge.brokers.journal import Journal
from tradeforge.engine.live import LiveConfig
from tradeforge.engine.live.reconcile import journal_positions

from .conftest import Replay, minute_bars, now_minute_frames

N_FAULTS = 100


class JumpClock:
    """The wall clock (aware UTC) plus an offset a test moves forward."""

    def __init__(self) -> None:
        self.offset = dt.timedelta(0)

    def __call__(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC) + self.offset

    def jump(self, minutes: float) -> None:
        self.offset += dt.timedelta(minutes=minutes)


def _wait(predicate, timeout: float = 15.0) -> bool:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return False


def test_hundred_dropped_or_silent_streams_no_missed_fill_no_stale_trade(fake, tmp_path):
    rng = random.Random(5)
    warm = 4
    frames = now_minute_frames({"SPY": minute_bars(warm + 6 * N_FAULTS + 10, seed=21)}, history=warm)
    df = frames["SPY"]
    fake.set_market_open(True)
    fake.add_history("SPY", df.iloc[:warm])
    # the clock jumps ahead at every silence: the age check would hold back every bar after that, so it is
    # off here (late bars are the REST gap fill's); test_max_lag_bars covers it
    config = LiveConfig(strategy="sma_cross", symbols=("SPY",), params={"fast": 2, "slow": 4},
                        journal_root=str(tmp_path / "journal"), max_drawdown=1.0, daily_loss_limit=1.0,
                        max_lag_bars=None)
    clock = JumpClock()
    replay = Replay(fake, config, clock=clock).start()
    stale: set[pd.Timestamp] = set()
    kinds = {"data": 0, "trading": 0, "all": 0, "silent": 0}
    i = warm
    for _ in range(N_FAULTS):
        for _ in range(rng.randint(1, 2)):                 # live bars (they may trade)
            replay.push(frames, i, wait=False)
            replay.wait_bar(df.index[i], kinds=("bar", "stale_bar"))
            i += 1
        kind = rng.choices(["data", "trading", "all", "silent"], weights=[3, 3, 2, 2])[0]
        kinds[kind] += 1
        before = fake.stream_connections
        if kind == "silent":
            fake.silence_data_stream(True)
            clock.jump(3)                                  # > 2 bar lengths without a bar
        else:
            fake.drop_streams(kind)
        for _ in range(rng.randint(0, 2)):                 # bars the stream cannot deliver on time
            replay.push(frames, i, wait=False)
            if kind != "trading":
                stale.add(df.index[i])
            i += 1
        which = "trading" if kind == "trading" else "data"
        assert _wait(lambda w=which, b=before: fake.stream_connections[w] > b[w]), f"no reconnect: {kind}"
        fake.silence_data_stream(False)
        assert fake.wait_subscribed("SPY", timeout=15) and fake.wait_listening(timeout=15)
        replay.push(frames, i, wait=False)                 # the first bar after the fault: late or live
        replay.wait_bar(df.index[i], kinds=("bar", "stale_bar"))
        i += 1
    for _ in range(3):
        replay.push(frames, i, wait=False)
        replay.wait_bar(df.index[i], kinds=("bar", "stale_bar"))
        i += 1
    result = replay.finish()

    root = tmp_path / "journal"
    with Journal.open(account="PA1TEST0001", mode="paper", root=root, create=False) as journal:
        journaled = journal.fills_frame()
        orders = {o["client_order_id"]: journal.order(o["client_order_id"]) for o in fake.orders}
        stale_trades = [cid for cid, row in orders.items()
                        if row is not None and pd.Timestamp(row.intent.bar_time).tz_convert(None) in stale]
        missed = [f for f in fake.fills if not ((journaled["client_order_id"] == f["client_order_id"]).any())]
        fake_qty = sum(float(f["qty"]) for f in fake.fills)
        assert abs(journaled["qty"].sum() - fake_qty) < 1e-9                 # every share filled, once
        held = {s: p["qty"] for s, p in fake.positions.items() if p["qty"]}
        assert journal_positions(journal) == held
    print(f"STREAMS {sum(kinds.values())} faults {kinds}, {len(stale)} late bars, {len(fake.fills)} fills, "
          f"{len(missed)} missed, {len(stale_trades)} trades on stale bars, {result.bars} live bars, "
          f"{fake.stream_connections} connections")
    assert sum(kinds.values()) == N_FAULTS and min(kinds.values()) > 0
    assert len(fake.fills) >= 20 and len(stale) >= 30
    assert missed == [] and stale_trades == []
    assert None not in orders.values()


def test_max_lag_bars_a_bar_arriving_late_is_never_traded(fake, tmp_path):
    warm = 4
    frames = now_minute_frames({"SPY": minute_bars(30, seed=21)}, history=warm)
    df = frames["SPY"]
    fake.set_market_open(True)
    fake.add_history("SPY", df.iloc[:warm])
    clock = JumpClock()
    config = LiveConfig(strategy="sma_cross", symbols=("SPY",), params={"fast": 2, "slow": 4},
                        journal_root=str(tmp_path / "journal"), max_drawdown=1.0, daily_loss_limit=1.0)
    replay = Replay(fake, config, clock=clock).start()
    replay.push(frames, warm)                                  # on time: a live bar
    clock.jump(60)                                             # the session falls an hour behind
    for i in range(warm + 1, len(df)):
        replay.push(frames, i, wait=False)
        replay.wait_bar(df.index[i], kinds=("bar", "stale_bar"))
    result = replay.finish()
    late = [e for e in replay.events if e["event"] == "stale_bar"]
    assert result.bars == 1 and len(late) == len(df) - warm - 1
    assert result.refused and all("not tradable" in reason for _, reason in result.refused)
    root = tmp_path / "journal"
    with Journal.open(account="PA1TEST0001", mode="paper", root=root, create=False) as journal:
        sent = [journal.order(o["client_order_id"]).intent.bar_time for o in fake.orders]
    on_time = df.index[warm].tz_localize("UTC")
    assert all(t == on_time for t in sent)                     # only the on-time bar ever traded
