"""Both websockets of the fake through the real alpaca-py stream clients, with drops, silence and 406."""

from __future__ import annotations

import queue

import pandas as pd
import pytest
from alpaca.trading.enums import OrderSide, TimeInForce
from alpaca.trading.requests import MarketOrderRequest

T0 = pd.Timestamp("2024-01-02 14:30", tz="UTC")


def _bar(i: int) -> pd.Timestamp:
    return T0 + pd.Timedelta(minutes=i)


def _push(fake, i: int, price: float = 100.0, symbol: str = "AAPL"):
    return fake.push_bar(symbol, _bar(i), price, price + 1, price - 1, price + 0.5, 1000 + i)


def test_bars_and_trade_updates_reach_the_real_clients(fake, trading, streams):
    streams.start(trading=True, symbols=("AAPL",))
    _push(fake, 0)
    bar = streams.take(streams.bars, 1)[0]
    assert (bar.symbol, bar.timestamp, bar.open, bar.close, bar.volume) == (
        "AAPL", _bar(0).to_pydatetime(), 100.0, 100.5, 1000.0)
    assert bar.trade_count is not None and bar.vwap is not None
    order = trading.submit_order(MarketOrderRequest(symbol="AAPL", qty=5, side=OrderSide.BUY,
                                                    time_in_force=TimeInForce.DAY, client_order_id="s1"))
    new = streams.take(streams.updates, 1)[0]
    assert (new.event, new.order.id, new.order.status.value) == ("new", order.id, "new")
    _push(fake, 1, price=101.0)
    fill = streams.take(streams.updates, 1)[0]
    assert (fill.event, fill.price, fill.qty, fill.position_qty) == ("fill", 101.0, 5.0, 5.0)
    assert fill.execution_id is not None and fill.order.status.value == "filled"
    assert fill.timestamp > new.timestamp
    assert streams.take(streams.bars, 1)[0].timestamp == _bar(1).to_pydatetime()


def test_dropped_streams_reconnect_and_carry_on(fake, trading, streams):
    streams.start(trading=True, symbols=("AAPL",))
    before = fake.stream_connections
    assert fake.drop_streams() == 2
    assert fake.wait_listening(1, 10) and fake.wait_subscribed("AAPL", 1, 10)
    after = fake.stream_connections
    assert after["trading"] == before["trading"] + 1 and after["data"] == before["data"] + 1
    trading.submit_order(MarketOrderRequest(symbol="AAPL", qty=1, side=OrderSide.BUY,
                                            time_in_force=TimeInForce.DAY, client_order_id="r1"))
    assert streams.take(streams.updates, 1)[0].order.client_order_id == "r1"
    _push(fake, 0)
    assert streams.take(streams.bars, 1)[0].timestamp == _bar(0).to_pydatetime()


def test_silent_data_stream_sends_nothing_but_history_has_the_bars(fake, streams):
    streams.start(trading=False, symbols=("AAPL",))
    fake.silence_data_stream(True)
    _push(fake, 0)
    _push(fake, 1)
    with pytest.raises(queue.Empty):
        streams.bars.get(timeout=0.5)
    assert list(fake.history("AAPL").index) == [_bar(0), _bar(1)]
    fake.silence_data_stream(False)
    _push(fake, 2)
    assert streams.take(streams.bars, 1)[0].timestamp == _bar(2).to_pydatetime()


def test_silent_trading_stream_loses_events(fake, trading, streams):
    streams.start(trading=True)
    fake.silence_trading_stream(True)
    trading.submit_order(MarketOrderRequest(symbol="AAPL", qty=1, side=OrderSide.BUY,
                                            time_in_force=TimeInForce.DAY, client_order_id="q1"))
    with pytest.raises(queue.Empty):
        streams.updates.get(timeout=0.5)
    fake.silence_trading_stream(False)
    _push(fake, 0)
    assert streams.take(streams.updates, 1)[0].event == "fill"


def test_data_auth_406_then_the_client_retries(fake, streams):
    fake.reject_data_auth(code=406, count=2)
    streams.start(trading=False, symbols=("AAPL",))  # waits for a successful subscription
    assert fake.stream_connections["data"] == 3
    _push(fake, 0)
    assert streams.take(streams.bars, 1)[0].open == 100.0


def test_trading_stream_refuses_wrong_keys(fake):
    import asyncio
    import json

    import websockets

    async def attempt():
        async with websockets.connect(fake.stream_url) as ws:
            await ws.send(json.dumps({"action": "authenticate", "data": {"key_id": "x", "secret_key": "y"}}))
            return json.loads(await ws.recv())

    reply = asyncio.run(attempt())
    assert reply["data"]["status"] == "unauthorized"
    assert fake.wait_listening(1, 0.2) is False


def test_silence_until_reconnect_heals_on_a_new_socket(fake, streams):
    streams.start(trading=False, symbols=("AAPL",))
    fake.silence_data_stream(True, until_reconnect=True)
    _push(fake, 0)
    with pytest.raises(queue.Empty):
        streams.bars.get(timeout=0.3)
    connections = fake.stream_connections["data"]
    fake.drop_streams("data")  # what a client's data_timeout does: reconnect
    assert fake.wait_subscribed("AAPL", 1, 10) and fake.stream_connections["data"] == connections + 1
    _push(fake, 1)
    assert streams.take(streams.bars, 1)[0].timestamp == _bar(1).to_pydatetime()


def test_abrupt_drop_is_survived_too(fake, trading, streams):
    streams.start(trading=True, symbols=("AAPL",))
    assert fake.drop_streams(abrupt=True) == 2
    assert fake.wait_listening(1, 10) and fake.wait_subscribed("AAPL", 1, 10)
    assert fake.stream_connections == {"trading": 2, "data": 2}
    _push(fake, 0)
    assert streams.take(streams.bars, 1)[0].open == 100.0
