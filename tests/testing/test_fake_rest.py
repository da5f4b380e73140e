"""The fake Alpaca's REST APIs through the real alpaca-py clients: orders, positions, cash, history."""

from __future__ import annotations

import pandas as pd
import pytest
from alpaca.common.exceptions import APIError
from alpaca.data.requests import StockBarsRequest
from alpaca.data.timeframe import TimeFrame, TimeFrameUnit
from alpaca.trading.enums import OrderClass, OrderSide, OrderStatus, QueryOrderStatus, TimeInForce
from alpaca.trading.requests import (
    GetOrdersRequest,
    LimitOrderRequest,
    MarketOrderRequest,
    StopLimitOrderRequest,
    StopLossRequest,
    StopOrderRequest,
    TakeProfitRequest,
)

from .conftest import KEY, minute_bars

T0 = pd.Timestamp("2024-01-02 14:30", tz="UTC")


def _bar(i: int) -> pd.Timestamp:
    return T0 + pd.Timedelta(minutes=i)


def market(coid, qty=10, side=OrderSide.BUY, symbol="AAPL", **kw):
    return MarketOrderRequest(symbol=symbol, qty=qty, side=side, time_in_force=TimeInForce.DAY,
                              client_order_id=coid, **kw)


def test_account_clock_and_keys(fake, trading):
    from alpaca.trading.client import TradingClient

    account = trading.get_account()
    assert account.account_number == "PA1TEST0001" and float(account.cash) == 100_000.0
    assert float(account.equity) == 100_000.0 and trading.get_all_positions() == []
    assert trading.get_clock().is_open is True
    fake.set_market_open(False)
    assert trading.get_clock().is_open is False
    with pytest.raises(APIError) as err:
        TradingClient(KEY, "wrong-secret", url_override=fake.base_url).get_account()
    assert err.value.status_code == 401
    assert "wrong-secret" not in repr(fake) and "test-secret" not in repr(fake)


def test_market_order_fills_at_next_bar_open_and_moves_cash(fake, trading):
    fake.push_bar("AAPL", _bar(0), 100, 101, 99, 100.5, 1000)
    order = trading.submit_order(market("m1", qty=10))
    assert order.status == OrderStatus.NEW and order.client_order_id == "m1"
    assert float(trading.get_account().cash) == 100_000.0  # nothing filled before the next bar
    fills = fake.push_bar("AAPL", _bar(1), 102, 103, 101, 102.5, 1000)
    assert [(f["client_order_id"], f["price"], f["qty"], f["bar_time"]) for f in fills] == [
        ("m1", 102.0, 10.0, _bar(1).to_pydatetime())]
    got = trading.get_order_by_id(order.id)
    assert got.status == OrderStatus.FILLED and float(got.filled_avg_price) == 102.0
    position = trading.get_open_position("AAPL")
    assert float(position.qty) == 10 and float(position.avg_entry_price) == 102.0
    assert float(position.current_price) == 102.5 and float(position.market_value) == 1025.0
    account = trading.get_account()
    assert float(account.cash) == 100_000.0 - 1020.0 and float(account.equity) == 100_000.0 + 5.0
    # sell more than held: the position reverses to a short, cash credited at the fill price
    trading.submit_order(market("m2", qty=15, side=OrderSide.SELL))
    fake.push_bar("AAPL", _bar(2), 104, 105, 103, 103.0, 1000)
    position = trading.get_open_position("AAPL")
    assert float(position.qty) == -5 and position.side.value == "short"
    assert float(position.avg_entry_price) == 104
    assert fake.account["cash"] == pytest.approx(100_000.0 - 1020.0 + 15 * 104.0)
    assert fake.account["equity"] == pytest.approx(fake.account["cash"] - 5 * 103.0)


@pytest.mark.parametrize("cls, prices, bar, price", [
    # limit buy below the open: fills at the limit when the low reaches it
    (LimitOrderRequest, {"limit_price": 99.0}, (100, 101, 98, 100), 99.0),
    # limit buy above the open (a gap down through it): fills at the open
    (LimitOrderRequest, {"limit_price": 99.0}, (97, 98, 96, 97), 97.0),
    # stop buy above the open, reached by the high: fills at the stop
    (StopOrderRequest, {"stop_price": 101.0}, (100, 102, 99, 101), 101.0),
    # stop buy gapped through: fills at the open
    (StopOrderRequest, {"stop_price": 101.0}, (103, 104, 102, 103), 103.0),
    # stop-limit buy triggered inside the bar with the limit above the stop: fills at the stop
    (StopLimitOrderRequest, {"stop_price": 101.0, "limit_price": 101.5}, (100, 102, 99, 101.5), 101.0),
])
def test_limit_and_stop_buys_fill_like_backbroker(fake, trading, cls, prices, bar, price):
    fake.push_bar("AAPL", _bar(0), 100, 100.5, 99.5, 100, 1000)
    trading.submit_order(cls(symbol="AAPL", qty=3, side=OrderSide.BUY, time_in_force=TimeInForce.GTC,
                             client_order_id="x1", **prices))
    fills = fake.push_bar("AAPL", _bar(1), *bar, 1000)
    assert [(f["price"], f["qty"]) for f in fills] == [(price, 3.0)]


def test_unreached_limit_stays_open_then_cancels(fake, trading):
    fake.push_bar("AAPL", _bar(0), 100, 101, 99, 100, 1000)
    order = trading.submit_order(LimitOrderRequest(symbol="AAPL", qty=1, side=OrderSide.SELL, limit_price=110,
                                                   time_in_force=TimeInForce.GTC, client_order_id="l1"))
    assert fake.push_bar("AAPL", _bar(1), 100, 109, 99, 100, 1000) == []
    assert [o.id for o in trading.get_orders()] == [order.id]
    trading.cancel_order_by_id(order.id)
    assert trading.get_order_by_id(order.id).status == OrderStatus.CANCELED
    assert trading.get_orders() == []
    with pytest.raises(APIError) as err:
        trading.cancel_order_by_id(order.id)
    assert err.value.status_code == 422
    assert fake.push_bar("AAPL", _bar(2), 111, 112, 110, 111, 1000) == []


def test_bracket_legs_live_from_the_bar_after_the_parent_and_oco(fake, trading):
    fake.push_bar("AAPL", _bar(0), 100, 101, 99, 100, 1000)
    parent = trading.submit_order(market("b1", qty=4, order_class=OrderClass.BRACKET,
                                         take_profit=TakeProfitRequest(limit_price=104.0),
                                         stop_loss=StopLossRequest(stop_price=97.0)))
    assert parent.order_class == OrderClass.BRACKET
    tp, sl = parent.legs
    assert (tp.type.value, tp.status, float(tp.limit_price)) == ("limit", OrderStatus.HELD, 104.0)
    assert (sl.type.value, sl.status, float(sl.stop_price)) == ("stop", OrderStatus.HELD, 97.0)
    # the parent fills at the open; this bar also reaches the take-profit, which is not live yet
    fills = fake.push_bar("AAPL", _bar(1), 101, 105, 100, 104, 1000)
    assert [(f["client_order_id"], f["price"]) for f in fills] == [("b1", 101.0)]
    assert {o.id: o.status for o in trading.get_orders()} == {tp.id: OrderStatus.NEW, sl.id: OrderStatus.NEW}
    nested = trading.get_orders(GetOrdersRequest(status=QueryOrderStatus.ALL, nested=True))
    assert [o.id for o in nested] == [parent.id] and {leg.id for leg in nested[0].legs} == {tp.id, sl.id}
    # next bar: the take-profit fills at its limit, the stop-loss is canceled (OCO)
    fills = fake.push_bar("AAPL", _bar(2), 103, 106, 102, 105, 1000)
    assert [(f["order_id"], f["price"], f["role"], f["parent_client_order_id"]) for f in fills] == [
        (str(tp.id), 104.0, "take_profit", "b1")]
    assert trading.get_order_by_id(sl.id).status == OrderStatus.CANCELED
    assert trading.get_all_positions() == []
    assert fake.account["cash"] == pytest.approx(100_000.0 + 4 * (104.0 - 101.0))


def test_bracket_stop_loss_wins_when_both_legs_fill_in_one_bar(fake, trading):
    fake.push_bar("AAPL", _bar(0), 100, 101, 99, 100, 1000)
    parent = trading.submit_order(market("b2", qty=2, order_class=OrderClass.BRACKET,
                                         take_profit=TakeProfitRequest(limit_price=103.0),
                                         stop_loss=StopLossRequest(stop_price=98.0)))
    fake.push_bar("AAPL", _bar(1), 100, 101, 99.5, 100, 1000)
    fills = fake.push_bar("AAPL", _bar(2), 100, 104, 97, 101, 1000)  # both legs reachable
    assert [(f["role"], f["price"]) for f in fills] == [("stop_loss", 98.0)]
    assert trading.get_order_by_id(parent.legs[0].id).status == OrderStatus.CANCELED


def test_cancel_bracket_parent_cancels_legs(fake, trading):
    fake.push_bar("AAPL", _bar(0), 100, 101, 99, 100, 1000)
    parent = trading.submit_order(LimitOrderRequest(
        symbol="AAPL", qty=1, side=OrderSide.BUY, limit_price=90, time_in_force=TimeInForce.GTC,
        client_order_id="b3", order_class=OrderClass.BRACKET, take_profit=TakeProfitRequest(limit_price=95),
        stop_loss=StopLossRequest(stop_price=85)))
    trading.cancel_order_by_id(parent.id)
    statuses = {o.id: o.status for o in trading.get_orders(GetOrdersRequest(status=QueryOrderStatus.ALL))}
    assert statuses == {parent.id: OrderStatus.CANCELED, parent.legs[0].id: OrderStatus.CANCELED,
                        parent.legs[1].id: OrderStatus.CANCELED}


def test_invalid_orders_are_refused_with_alpaca_codes(fake, trading):
    fake.push_bar("AAPL", _bar(0), 100, 101, 99, 100, 1000)
    trading.submit_order(market("dup", qty=1))
    with pytest.raises(APIError) as err:
        trading.submit_order(market("dup", qty=1))
    assert err.value.status_code == 422 and err.value.code == 40010001
    assert "client_order_id must be unique" in str(err.value)
    assert fake.post_count("dup") == 2 and len([o for o in fake.orders if o["client_order_id"] == "dup"]) == 1
    with pytest.raises(APIError) as err:
        trading.submit_order(market(None, qty=1))
    assert err.value.status_code == 422
    with pytest.raises(APIError) as err:
        trading.submit_order(market("x" * 49, qty=1))
    assert err.value.status_code == 422
    with pytest.raises(APIError) as err:
        trading.submit_order(market("big", qty=10_000))
    assert err.value.status_code == 403 and "buying power" in str(err.value)
    with pytest.raises(APIError) as err:
        trading.submit_order(market("bad-bracket", qty=1, order_class=OrderClass.BRACKET,
                                    take_profit=TakeProfitRequest(limit_price=90.0),
                                    stop_loss=StopLossRequest(stop_price=95.0)))
    assert err.value.status_code == 422
    with pytest.raises(APIError) as err:
        trading.get_order_by_client_id("nope")
    assert err.value.status_code == 404


def test_order_queries_filter_like_alpaca(fake, trading):
    fake.push_bar("AAPL", _bar(0), 100, 101, 99, 100, 1000)
    fake.push_bar("MSFT", _bar(0), 300, 301, 299, 300, 1000)
    first = trading.submit_order(market("q1", qty=1))
    cut = pd.Timestamp(trading.get_order_by_id(first.id).created_at)
    trading.submit_order(market("q2", qty=1, symbol="MSFT"))
    trading.submit_order(LimitOrderRequest(symbol="AAPL", qty=1, side=OrderSide.BUY, limit_price=50,
                                           time_in_force=TimeInForce.GTC, client_order_id="q3"))
    fake.push_bar("AAPL", _bar(1), 100, 101, 99, 100, 1000)
    coids = lambda req: [o.client_order_id for o in trading.get_orders(req)]  # noqa: E731
    assert coids(GetOrdersRequest(status=QueryOrderStatus.OPEN)) == ["q3", "q2"]
    assert coids(GetOrdersRequest(status=QueryOrderStatus.CLOSED)) == ["q1"]
    assert coids(GetOrdersRequest(status=QueryOrderStatus.ALL, after=cut.to_pydatetime())) == ["q3", "q2"]
    assert coids(GetOrdersRequest(status=QueryOrderStatus.ALL, symbols=["MSFT"])) == ["q2"]
    assert coids(GetOrdersRequest(status=QueryOrderStatus.ALL, limit=1)) == ["q3"]
    assert trading.get_order_by_client_id("q2").symbol == "MSFT"


def test_close_position_sends_a_market_order(fake, trading):
    fake.push_bar("AAPL", _bar(0), 100, 101, 99, 100, 1000)
    trading.submit_order(market("c1", qty=6))
    fake.push_bar("AAPL", _bar(1), 100, 101, 99, 100, 1000)
    close = trading.close_position("AAPL")
    assert close.side == OrderSide.SELL and float(close.qty) == 6
    fills = fake.push_bar("AAPL", _bar(2), 103, 104, 102, 103, 1000)
    assert [(f["side"], f["price"]) for f in fills] == [("sell", 103.0)]
    assert trading.get_all_positions() == [] and fake.positions == {}
    with pytest.raises(APIError) as err:
        trading.get_open_position("AAPL")
    assert err.value.status_code == 404


def test_history_bars_through_the_data_client(fake, data_client):
    fake.add_history("AAPL", minute_bars(5))
    fake.add_history("MSFT", minute_bars(5, price=300.0))
    req = StockBarsRequest(symbol_or_symbols=["AAPL", "MSFT"], timeframe=TimeFrame.Minute,
                           start=_bar(1).to_pydatetime(), end=_bar(3).to_pydatetime())
    barset = data_client.get_stock_bars(req)
    aapl = barset.data["AAPL"]
    assert [b.timestamp for b in aapl] == [_bar(i).to_pydatetime() for i in (1, 2, 3)]
    assert [b.open for b in aapl] == [101.0, 102.0, 103.0] and aapl[0].trade_count and aapl[0].vwap
    assert [b.open for b in barset.data["MSFT"]] == [301.0, 302.0, 303.0]
    limited = data_client.get_stock_bars(StockBarsRequest(
        symbol_or_symbols="AAPL", timeframe=TimeFrame.Minute, start=_bar(0).to_pydatetime(), limit=2))
    assert [b.open for b in limited.data["AAPL"]] == [100.0, 101.0]
    # pushed bars join the history (the REST gap fill after a silent stream)
    fake.push_bar("AAPL", _bar(5), 105, 107, 104, 106, 900)
    frame = data_client.get_stock_bars(StockBarsRequest(symbol_or_symbols="AAPL", timeframe=TimeFrame.Minute,
                                                        start=_bar(4).to_pydatetime())).df
    assert list(frame["open"]) == [104.0, 105.0] and fake.history("AAPL")["close"].iloc[-1] == 106.0
    log = [r for r in fake.requests if r["api"] == "data"]
    assert log[0]["query"]["timeframe"] == "1Min" and all(r["status"] == 200 for r in log)


def test_history_pages_with_next_page_token(fake):
    import requests

    fake.add_history("AAPL", minute_bars(5))
    headers = {"APCA-API-KEY-ID": KEY, "APCA-API-SECRET-KEY": fake._secret_key}
    url = fake.data_url + "/v2/stocks/AAPL/bars"
    page = requests.get(url, params={"timeframe": "1Min", "limit": 3}, headers=headers, timeout=5).json()
    assert len(page["bars"]) == 3 and page["next_page_token"]
    rest = requests.get(url, params={"timeframe": "1Min", "limit": 3, "page_token": page["next_page_token"]},
                        headers=headers, timeout=5).json()
    assert [b["o"] for b in rest["bars"]] == [103.0, 104.0] and rest["next_page_token"] is None


def test_history_aggregates_finer_bars_to_the_requested_timeframe(fake, data_client):
    fake.add_history("AAPL", minute_bars(12, start="2024-01-02 14:31"))  # 14:31 .. 14:42
    five_min = TimeFrame(5, TimeFrameUnit.Minute)
    five = data_client.get_stock_bars(StockBarsRequest(symbol_or_symbols="AAPL", timeframe=five_min,
                                                       start=_bar(0).to_pydatetime())).data["AAPL"]
    assert [b.timestamp.minute for b in five] == [30, 35, 40]  # clock-aligned bins, bar start times
    first = five[0]  # minutes 31..34: opens 100..103
    assert (first.open, first.high, first.low, first.close) == (100.0, 105.0, 98.0, 103.5)
    assert first.volume == 1000.0 + 1001 + 1002 + 1003
    day = data_client.get_stock_bars(StockBarsRequest(
        symbol_or_symbols="AAPL", timeframe=TimeFrame.Day, start=pd.Timestamp("2024-01-02", tz="UTC")))
    day = day.data["AAPL"]
    assert len(day) == 1 and day[0].timestamp == pd.Timestamp("2024-01-02 05:00", tz="UTC").to_pydatetime()
    assert (day[0].open, day[0].close) == (100.0, 111.5)
    same = data_client.get_stock_bars(StockBarsRequest(symbol_or_symbols="AAPL", timeframe=TimeFrame.Minute))
    assert len(same.data["AAPL"]) == 12


def test_partial_fills_with_a_fill_cap(fake, trading):
    fake.push_bar("AAPL", _bar(0), 100, 101, 99, 100, 1000)
    fake.set_fill_cap(4)
    order = trading.submit_order(market("p1", qty=10))
    assert [f["qty"] for f in fake.push_bar("AAPL", _bar(1), 101, 102, 100, 101, 1000)] == [4.0]
    got = trading.get_order_by_id(order.id)
    assert got.status == OrderStatus.PARTIALLY_FILLED and float(got.filled_qty) == 4
    assert [f["price"] for f in fake.push_bar("AAPL", _bar(2), 102, 103, 101, 102, 1000)] == [102.0]
    fake.set_fill_cap(None)
    assert [f["qty"] for f in fake.push_bar("AAPL", _bar(3), 103, 104, 102, 103, 1000)] == [2.0]
    got = trading.get_order_by_id(order.id)
    assert got.status == OrderStatus.FILLED
    assert float(got.filled_avg_price) == pytest.approx((4 * 101 + 4 * 102 + 2 * 103) / 10)
    assert float(trading.get_open_position("AAPL").qty) == 10
    with pytest.raises(ValueError):
        fake.set_fill_cap(0)


def test_bracket_with_a_stop_limit_loss_leg(fake, trading):
    fake.push_bar("AAPL", _bar(0), 100, 101, 99, 100, 1000)
    parent = trading.submit_order(market("sl1", qty=1, side=OrderSide.SELL, order_class=OrderClass.BRACKET,
                                         take_profit=TakeProfitRequest(limit_price=95.0),
                                         stop_loss=StopLossRequest(stop_price=103.0, limit_price=103.5)))
    assert parent.legs[1].type.value == "stop_limit" and float(parent.legs[1].limit_price) == 103.5
    fake.push_bar("AAPL", _bar(1), 100, 101, 99, 100, 1000)
    fills = fake.push_bar("AAPL", _bar(2), 102, 104, 101, 103.8, 1000)  # triggered inside the bar
    assert [(f["role"], f["side"], f["price"]) for f in fills] == [("stop_loss", "buy", 103.0)]


def test_clock_times_can_be_fixed(fake, trading):
    fake.set_market_open(False, next_open="2024-01-03 14:30", next_close="2024-01-03 21:00")
    clock = trading.get_clock()
    assert clock.is_open is False
    assert clock.next_open == pd.Timestamp("2024-01-03 14:30", tz="UTC").to_pydatetime()
    assert clock.next_close == pd.Timestamp("2024-01-03 21:00", tz="UTC").to_pydatetime()


def test_an_all_in_buy_that_gaps_up_is_rejected_like_backbroker_margin(fake, trading, streams):
    streams.start(trading=True)
    fake.push_bar("AAPL", _bar(0), 100, 101, 99, 100, 1000)
    order = trading.submit_order(market("all-in", qty=999))  # 99,900 at the last close: accepted
    with pytest.raises(APIError) as err:
        trading.submit_order(market("more", qty=2))  # the batch since the last bar has 100 left
    assert err.value.status_code == 403
    assert fake.push_bar("AAPL", _bar(1), 101, 102, 100, 101, 1000) == []  # 100,899 > cash at the open
    assert trading.get_order_by_id(order.id).status == OrderStatus.REJECTED
    events = [u.event for u in streams.take(streams.updates, 2)]
    assert events == ["new", "rejected"]
    assert fake.positions == {} and fake.account["cash"] == 100_000.0


def test_broker_side_cancel_and_day_expiry(fake, trading):
    fake.push_bar("AAPL", _bar(0), 100, 101, 99, 100, 1000)
    day = trading.submit_order(LimitOrderRequest(symbol="AAPL", qty=1, side=OrderSide.BUY, limit_price=90,
                                                 time_in_force=TimeInForce.DAY, client_order_id="d1"))
    gtc = trading.submit_order(LimitOrderRequest(symbol="AAPL", qty=1, side=OrderSide.BUY, limit_price=90,
                                                 time_in_force=TimeInForce.GTC, client_order_id="g1"))
    assert fake.expire_orders("day") == 1
    assert trading.get_order_by_id(day.id).status == OrderStatus.EXPIRED
    fake.cancel_order(str(gtc.id))
    assert trading.get_order_by_id(gtc.id).status == OrderStatus.CANCELED
    with pytest.raises(ValueError, match="not cancelable"):
        fake.cancel_order(str(gtc.id))
