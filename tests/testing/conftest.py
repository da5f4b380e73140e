"""Fixtures for the fake Alpaca: a running fake, the real alpaca-py clients pointed at it, stream runners."""

from __future__ import annotations

import queue
import threading

import pandas as pd
import pytest

from tradeforge.testing.fake_alpaca import FakeAlpaca

KEY, SECRET = "PKTESTKEY0000000001", "test-secret-0001"


@pytest.fixture
def fake():
    f = FakeAlpaca(account_number="PA1TEST0001", cash=100_000.0, api_key=KEY, secret_key=SECRET,
                   rate_limit_per_minute=None)
    f.start()
    yield f
    f.stop()


@pytest.fixture
def trading(fake):
    from alpaca.trading.client import TradingClient

    client = TradingClient(KEY, SECRET, url_override=fake.base_url)
    client._retry_wait = 0.01  # alpaca-py sleeps 3 s between its 429/504 retries; keep the tests fast
    return client


@pytest.fixture
def data_client(fake):
    from alpaca.data.historical import StockHistoricalDataClient

    return StockHistoricalDataClient(KEY, SECRET, url_override=fake.data_url)


def minute_bars(n: int, start: str = "2024-01-02 14:30", price: float = 100.0) -> pd.DataFrame:
    """Deterministic OHLCV minute bars (UTC bar start times)."""
    idx = pd.date_range(start, periods=n, freq="1min", tz="UTC")
    opens = [price + i for i in range(n)]
    data = {"open": opens, "high": [o + 2 for o in opens], "low": [o - 2 for o in opens],
            "close": [o + 0.5 for o in opens], "volume": [1000.0 + i for i in range(n)]}
    return pd.DataFrame(data, index=idx)


class Streams:
    """Runs the real TradingStream / StockDataStream on threads and collects what they deliver."""

    def __init__(self, fake: FakeAlpaca) -> None:
        self.fake = fake
        self.updates: queue.Queue = queue.Queue()
        self.bars: queue.Queue = queue.Queue()
        self._clients: list = []
        self._threads: list[threading.Thread] = []

    def start(self, trading: bool = True, symbols: tuple[str, ...] = ()) -> Streams:
        from alpaca.data.live import StockDataStream
        from alpaca.trading.stream import TradingStream

        if trading:
            ts = TradingStream(KEY, SECRET, url_override=self.fake.stream_url)

            async def on_update(update):
                self.updates.put(update)

            ts.subscribe_trade_updates(on_update)
            self._run(ts)
        if symbols:
            ds = StockDataStream(KEY, SECRET, url_override=self.fake.data_stream_url)

            async def on_bar(bar):
                self.bars.put(bar)

            ds.subscribe_bars(on_bar, *symbols)
            self._run(ds)
        assert not trading or self.fake.wait_listening(1, 10), "trading stream did not connect"
        for symbol in symbols:
            assert self.fake.wait_subscribed(symbol, 1, 10), f"data stream did not subscribe {symbol}"
        return self

    def _run(self, client) -> None:
        client._reconnect_min_backoff = 0.05  # alpaca-py waits 0.5-1 s before its first reconnect
        thread = threading.Thread(target=client.run, daemon=True)
        thread.start()
        self._clients.append(client)
        self._threads.append(thread)

    @staticmethod
    def take(q: queue.Queue, n: int, timeout: float = 5.0) -> list:
        return [q.get(timeout=timeout) for _ in range(n)]

    def stop(self) -> None:
        import asyncio

        for client in self._clients:
            if client._loop is not None and client._loop.is_running():
                asyncio.run_coroutine_threadsafe(client.stop_ws(), client._loop).result(5)
        if self.fake._loop is not None:
            self.fake.drop_streams()  # wakes the clients out of their 5 s recv wait
        for thread in self._threads:
            thread.join(10)
        assert not any(t.is_alive() for t in self._threads), "a stream client thread did not stop"


@pytest.fixture
def streams(fake):
    s = Streams(fake)
    yield s
    s.stop()
