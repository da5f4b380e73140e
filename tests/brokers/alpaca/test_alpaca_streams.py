"""Stream faults in a Cerebro run: a dropped trading stream is reconciled over REST (no missed fill), a
dropped or silent data stream is resubscribed and its missed bars fetched over REST, delivered to the
strategy in order but never tradable (0 orders from stale bars)."""

from __future__ import annotations

import time

import backtrader as bt
import pandas as pd


class Recorder(bt.Strategy):
    """Buys 1 share on every bar; records (bar time, tradable) and every final order status."""

    def __init__(self) -> None:
        self.bars: list[tuple] = []
        self.final: list[tuple] = []

    def notify_order(self, order: bt.Order) -> None:
        if not order.alive():
            self.final.append((bt.num2date(order.created.dt), order.getstatusname()))

    def next(self) -> None:
        self.bars.append((self.data.datetime.datetime(0), self.data.tradable))
        self.buy(size=1)


class BuyHold(bt.Strategy):
    def __init__(self) -> None:
        self.statuses: list[str] = []

    def notify_order(self, order: bt.Order) -> None:
        self.statuses.append(order.getstatusname())

    def next(self) -> None:
        if len(self) == 2:
            self.buy(size=10)


def _push(fake, store, ts, row):
    store.clock.now = (pd.Timestamp(ts).tz_localize("UTC") + pd.Timedelta(minutes=1)).to_pydatetime()
    fake.push_bar("AAPL", ts, row.open, row.high, row.low, row.close, row.volume)


def _until(predicate, timeout: float = 10.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def test_trading_stream_drop_is_reconciled_over_rest(fake, store, run_live, make_bars):
    bars = make_bars(5)
    rows = list(bars.iterrows())
    holder = {}

    def driver(data):
        for i, (ts, row) in enumerate(rows):
            if i == 2:  # the fill of bar 2's open is never streamed
                fake.silence_trading_stream(True, until_reconnect=True)
            _push(fake, store, ts, row)
            if i == 2:
                assert fake.drop_streams("trading") == 1
                assert _until(lambda: store.reconnects["trading"] == 1)
                assert _until(lambda: holder["broker"].getposition(data).size == 10)
            assert data.wait_consumed(i + 1, 10)

    original_getbroker = store.getbroker

    def getbroker(**kw):  # the driver watches the broker's position
        holder["broker"] = original_getbroker(**kw)
        return holder["broker"]

    store.getbroker = getbroker
    strat, broker, data = run_live(BuyHold, driver, broker_kw={"sync": "stream"})
    assert strat.statuses == ["Submitted", "Accepted", "Completed"]
    assert broker.getposition(data).size == fake.positions["AAPL"]["qty"] == 10
    assert store.reconnects == {"trading": 1, "data": 0}


def test_dropped_data_stream_gap_fills_missed_bars_untradable(fake, store, run_live, make_bars):
    rows = list(make_bars(7).iterrows())

    def driver(data):
        for i, (ts, row) in enumerate(rows):
            if i == 3:
                fake.silence_data_stream(True, until_reconnect=True)
            _push(fake, store, ts, row)
            if i == 4:
                assert fake.drop_streams("data") == 1
            if i not in (3,):
                assert data.wait_consumed(i + 1, 10), f"bar {i}"

    strat, broker, data = run_live(Recorder, driver)
    assert [b[0] for b in strat.bars] == [ts.to_pydatetime() for ts, _ in rows]
    assert [b[1] for b in strat.bars] == [True, True, True, False, False, True, True]
    assert data.gap_filled_bars == 2 and store.reconnects["data"] == 1
    refused = sorted(t for t, s in strat.final if s == "Rejected")
    assert refused == [rows[3][0].to_pydatetime(), rows[4][0].to_pydatetime()]
    assert sum(1 for r in fake.requests if r["method"] == "POST") == 5  # 0 orders from stale bars


def test_silent_data_stream_is_a_fault(fake, store, run_live, make_bars):
    rows = list(make_bars(8).iterrows())

    def driver(data):
        for i, (ts, row) in enumerate(rows):
            if i == 3:
                fake.silence_data_stream(True, until_reconnect=True)
            _push(fake, store, ts, row)
            if i in (3, 4):
                continue  # silent: nothing is delivered
            if i == 5:  # 3 bar lengths without a bar: the watchdog fires
                assert _until(lambda: data.stale_events == 1)
                assert _until(lambda: store.reconnects["data"] == 1) and fake.wait_subscribed("AAPL", 1, 10)
            assert data.wait_consumed(i + 1, 10), f"bar {i}"

    strat, broker, data = run_live(Recorder, driver)
    assert [b[0] for b in strat.bars] == [ts.to_pydatetime() for ts, _ in rows]
    assert [b[1] for b in strat.bars] == [True] * 3 + [False] * 3 + [True] * 2
    assert data.stale_events == 1 and data.gap_filled_bars == 3
    assert any(r["path"] == "/v2/clock" for r in fake.requests)  # checked the market was open
    assert sum(1 for r in fake.requests if r["method"] == "POST") == 5  # 0 trades on stale bars
    assert not [
        t
        for t, s in strat.final
        if s == "Completed" and t >= rows[3][0].to_pydatetime() and t <= rows[5][0].to_pydatetime()
    ]
