"""AlpacaBroker inside a Cerebro run: REST faults around an order leave the strategy's notifications as in
a backtest (one order at the fake), an order lost before reaching Alpaca ends Rejected after its lookups,
backfill bars never trade, the pre-trade gate refuses with a journaled reason."""

from __future__ import annotations

import backtrader as bt
import pytest

from tradeforge.brokers.journal import OrderState


class BuySell(bt.Strategy):
    """Buy 10 on bar 2, sell them on bar 4; record notifications."""

    def __init__(self) -> None:
        self.events: list[tuple] = []

    def notify_order(self, order: bt.Order) -> None:
        self.events.append((len(self), order.ref - self.first_ref if hasattr(self, "first_ref") else 0,
                            order.getstatusname(), order.executed.size, order.executed.price))

    def next(self) -> None:
        if len(self) == 2:
            self.first_ref = self.buy(size=10).ref
        elif len(self) == 4:
            self.sell(size=10)


class EveryBar(bt.Strategy):
    """Tries to buy 1 share on every bar; records (bar, status, reason) of each final notification."""

    def __init__(self) -> None:
        self.final: list[tuple] = []

    def notify_order(self, order: bt.Order) -> None:
        if order.status in (order.Completed, order.Rejected):
            self.final.append((order.created.dt, order.getstatusname(), order.info.get("reject_reason")))

    def next(self) -> None:
        self.buy(size=1)


def _backtest(strategy, bars):
    cerebro = bt.Cerebro(stdstats=False)
    cerebro.adddata(bt.feeds.PandasData(dataname=bars), name="AAPL")
    cerebro.broker.setcash(100_000.0)
    cerebro.addstrategy(strategy)
    return cerebro.run()[0]


@pytest.mark.parametrize("kind", ["timeout", "500_after_accept", "504", "429"])
def test_faulty_post_inside_a_run_changes_nothing(fake, make_store, run_live, make_bars, kind):
    bars = make_bars(6)
    store = make_store(timeout_s=0.5)

    def faulty(data):
        for i, (ts, row) in enumerate(bars.iterrows()):
            if i == 1:  # the order placed on bar 2 meets the fault
                fake.fault_rest("/v2/orders", "POST", kind=kind, delay_s=1.0)
            _push(fake, store, ts, row)
            assert data.wait_consumed(i + 1, 10)

    strat, broker, data = run_live(BuySell, faulty, store=store)
    assert strat.events == _backtest(BuySell, bars).events
    cid = [r for r in fake.requests if r["method"] == "POST"][0]["client_order_id"]
    assert len([o for o in fake.orders if o["client_order_id"] == cid]) == 1
    assert fake.post_count(cid) == (2 if kind == "429" else 1)
    assert store.journal.order(cid).state == OrderState.FILLED


def _push(fake, store, ts, row):
    import pandas as pd

    store.clock.now = (pd.Timestamp(ts).tz_localize("UTC") + pd.Timedelta(minutes=1)).to_pydatetime()
    fake.push_bar("AAPL", ts, row.open, row.high, row.low, row.close, row.volume)


def test_order_lost_before_alpaca_is_rejected_after_lookups(fake, store, run_live, make_bars):
    bars = make_bars(6)

    def driver(data):
        for i, (ts, row) in enumerate(bars.iterrows()):
            if i == 1:
                fake.fault_rest("/v2/orders", "POST", kind="reset")          # dropped unprocessed
            _push(fake, store, ts, row)
            assert data.wait_consumed(i + 1, 10)

    strat, broker, data = run_live(BuySell, driver, broker_kw={"unknown_timeout_s": 90.0})
    statuses = [e[2] for e in strat.events if e[1] == 0]
    assert statuses == ["Submitted", "Rejected"]                          # never Completed, never resent
    cid = [r for r in fake.requests if r["method"] == "POST"][0]["client_order_id"]
    assert fake.post_count(cid) == 1 and not [o for o in fake.orders if o["client_order_id"] == cid]
    assert store.journal.order(cid).state == OrderState.REJECTED
    lookups = [r for r in fake.requests if r["path"] == "/v2/orders:by_client_order_id"]
    assert len(lookups) >= 2


def test_backfill_bars_never_trade(fake, store, run_live, make_bars, journal):
    from datetime import timedelta

    history = make_bars(5, start=store.clock() - timedelta(minutes=5))
    fake.add_history("AAPL", history)
    live = make_bars(3, start=store.clock(), price=110.0)
    strat, broker, data = run_live(EveryBar, live, backfill=5)
    refused = [f for f in strat.final if f[1] == "Rejected"]
    filled = [f for f in strat.final if f[1] == "Completed"]
    assert len(refused) == 5 and all("not tradable" in f[2] for f in refused)
    assert len(filled) == 2                                               # bars 1-2's orders fill on 2-3
    assert len(journal.orders(states=[OrderState.REFUSED])) == 5
    assert data.delivered == 8


def test_pre_trade_gate_refuses_with_a_journaled_reason(fake, store, run_live, make_bars, journal):
    seen = []

    def gate(intent, view):
        seen.append((intent.symbol, view.positions.get("AAPL", 0.0)))
        return "max position 2 shares" if view.positions.get("AAPL", 0.0) >= 2 else None

    strat, broker, data = run_live(EveryBar, make_bars(6), broker_kw={"pre_trade_gate": gate})
    finals = [f[1] for f in strat.final]
    assert finals.count("Completed") == 2 and finals.count("Rejected") >= 2
    refusals = journal.orders(states=[OrderState.REFUSED])
    assert refusals and all(r.reason == "max position 2 shares" for r in refusals)
    assert broker.getposition(data).size == fake.positions["AAPL"]["qty"] == 2
