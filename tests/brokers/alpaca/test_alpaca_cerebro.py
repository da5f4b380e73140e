"""A backtrader Cerebro with AlpacaData + AlpacaBroker on bars pushed through the fake gives the same
order notifications, fills, trades and final value as a backtest on the same bars."""

from __future__ import annotations

import threading

import backtrader as bt
import pandas as pd
import pytest

SYMBOL = "AAPL"


class Scripted(bt.Strategy):
    """Places a fixed script of orders by bar index and records every notification."""

    params = (("script", "all"),)

    def __init__(self) -> None:
        self.events: list[tuple] = []
        self.trades: list[tuple] = []
        self.refs: dict[int, int] = {}
        self.pending_limit = None

    def _ix(self, order: bt.Order) -> int:
        return self.refs.setdefault(order.ref, len(self.refs))

    def notify_order(self, order: bt.Order) -> None:
        self.events.append((len(self), self._ix(order), order.getstatusname(), round(order.executed.size, 6),
                            round(order.executed.price, 6)))

    def notify_trade(self, trade: bt.Trade) -> None:
        if trade.isclosed:
            self.trades.append((len(self), round(trade.pnl, 6), trade.barlen))

    def next(self) -> None:
        n = len(self)
        close = self.data.close[0]
        if n == 2:
            self.buy(size=10)                                            # market, fills at bar 3's open
        elif n == 4:
            self.sell(size=10)                                           # close the position
        elif n == 5:
            self.pending_limit = self.buy(size=5, exectype=bt.Order.Limit, price=close - 50)  # never fills
        elif n == 6:
            self.cancel(self.pending_limit)
        elif n == 7:
            self.buy(size=4, exectype=bt.Order.Stop, price=close + 1.0)  # triggers on the next bar
        elif n == 9:
            self.close()
        elif n == 10:                                                    # bracket: take profit hit
            self.buy_bracket(size=3, price=close + 5, stopprice=close - 20, limitprice=close + 3.0)
        elif n == 15:                                                    # bracket: stop hit (prices fall)
            self.buy_bracket(size=2, price=close + 5, stopprice=close - 4, limitprice=close + 40)
        elif n == 19:                                                    # short bracket: take profit hit
            self.sell_bracket(size=2, price=close - 5, stopprice=close + 30, limitprice=close - 7)


def _updown(make_bars) -> pd.DataFrame:
    """13 bars rising by 1, then 12 falling by 3."""
    bars = make_bars(25)
    opens = [100.0 + i for i in range(13)] + [112.0 - 3 * (i + 1) for i in range(12)]
    bars["open"] = opens
    bars["high"], bars["low"], bars["close"] = bars.open + 2, bars.open - 2, bars.open + 0.5
    return bars


def _backtest(bars: pd.DataFrame) -> Scripted:
    cerebro = bt.Cerebro(stdstats=False)
    cerebro.adddata(bt.feeds.PandasData(dataname=bars), name=SYMBOL)
    cerebro.broker.setcash(100_000.0)
    cerebro.addstrategy(Scripted)
    strat = cerebro.run()[0]
    strat.final_value = cerebro.broker.getvalue()
    strat.final_cash = cerebro.broker.getcash()
    return strat


def _live(fake, store, bars: pd.DataFrame) -> tuple[Scripted, object, object]:
    cerebro = bt.Cerebro(stdstats=False)
    data = store.getdata(SYMBOL, "1m", qcheck=0.05)
    cerebro.adddata(data, name=SYMBOL)
    broker = store.getbroker(strategy_name="scripted")
    cerebro.setbroker(broker)
    cerebro.addstrategy(Scripted)
    errors: list[BaseException] = []

    def drive() -> None:
        try:
            assert fake.wait_subscribed(SYMBOL, 1, 10) and fake.wait_listening(1, 10)
            for i, (ts, row) in enumerate(bars.iterrows()):
                store.clock.now = ts.tz_localize("UTC").to_pydatetime()
                fake.push_bar(SYMBOL, ts, row.open, row.high, row.low, row.close, row.volume)
                assert data.wait_consumed(i + 1, 10), f"bar {i} not consumed"
        except BaseException as exc:  # surfaced by the test
            errors.append(exc)
        finally:
            data.finish()

    driver = threading.Thread(target=drive, daemon=True)
    driver.start()
    strat = cerebro.run()[0]
    driver.join(10)
    assert not errors, errors
    strat.final_value = broker.getvalue()
    strat.final_cash = broker.getcash()
    return strat, broker, data


def test_live_run_matches_backtest(fake, store, make_bars):
    bars = _updown(make_bars)
    expected = _backtest(bars)
    got, broker, data = _live(fake, store, bars)
    assert got.events == expected.events
    assert got.trades == expected.trades
    assert got.final_cash == pytest.approx(expected.final_cash, abs=1e-6)
    assert got.final_value == pytest.approx(expected.final_value, abs=1e-6)
    assert data.delivered == len(bars)
    # the broker's books agree with the fake's
    fake_pos = fake.positions.get(SYMBOL, {"qty": 0.0})["qty"]
    assert broker.getposition(data).size == pytest.approx(fake_pos)
    assert broker.getcash() == pytest.approx(fake.account["cash"])
    # exactly one POST per client id, brackets sent as ONE order with two legs
    posts = [r for r in fake.requests if r["method"] == "POST" and r["path"] == "/v2/orders"]
    assert len(posts) == len({r["client_order_id"] for r in posts}) == 8
    brackets = [o for o in fake.orders if o.get("order_class") == "bracket" and o.get("legs")]
    assert len(brackets) == 3 and all(len(o["legs"]) == 2 for o in brackets)
    # what the script exercises, checked on the backtest's side so the comparison above means something
    statuses = [e[2] for e in expected.events]
    assert statuses.count("Canceled") == 4 and len(expected.trades) == 5
