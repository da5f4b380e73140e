"""Shared pieces of the live tests: a running FakeAlpaca, the environment pointing at it, a journal."""

from __future__ import annotations

import pandas as pd
import pytest

from tradeforge.testing.fake_alpaca import FakeAlpaca

KEY, SECRET = "PKLIVETESTKEY000001", "live-test-secret-0001"


@pytest.fixture
def fake():
    with FakeAlpaca(account_number="PA1TEST0001", cash=100_000.0, api_key=KEY, secret_key=SECRET,
                    rate_limit_per_minute=None) as server:
        yield server


def fake_env(server: FakeAlpaca, **extra: str) -> dict[str, str]:
    """Paper keys and the four endpoint variables of *server*."""
    return {"APCA_API_KEY_ID": KEY, "APCA_API_SECRET_KEY": SECRET, "APCA_API_BASE_URL": server.base_url,
            "APCA_API_DATA_URL": server.data_url, "APCA_API_STREAM_URL": server.stream_url,
            "APCA_API_DATA_STREAM_URL": server.data_stream_url, **extra}


def make_store(server: FakeAlpaca, journal, **kw):
    from tradeforge.brokers.alpaca.config import AlpacaConfig
    from tradeforge.brokers.alpaca.store import AlpacaStore

    config = AlpacaConfig.from_env("paper", env=fake_env(server), timeout_s=2.0)
    return AlpacaStore(config, journal, lookup_waits_s=(0.0, 0.05, 0.1), **kw)


def minute_bars(n: int, start: str = "2024-03-04 14:30", seed: int = 0, price: float = 100.0) -> pd.DataFrame:
    """*n* deterministic 1-minute OHLCV bars (a random walk), bar start times in UTC (naive)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    close = price * np.exp(np.cumsum(rng.normal(0, 0.004, n)))
    open_ = np.r_[price, close[:-1]] * np.exp(rng.normal(0, 0.001, n))
    high = np.maximum(open_, close) * (1 + np.abs(rng.normal(0, 0.002, n)))
    low = np.minimum(open_, close) * (1 - np.abs(rng.normal(0, 0.002, n)))
    index = pd.date_range(start, periods=n, freq="1min", name="datetime")
    return pd.DataFrame({"open": open_, "high": high, "low": low, "close": close,
                         "volume": rng.integers(1_000, 5_000, n).astype(float)}, index=index)


class Replay:
    """Run ``run_live`` in a thread against *server* and drive it bar by bar, as a backtest would see them.

    The first *warm* bars of every frame are the fake's history (the session's backfill); every later bar
    is pushed to the fake (which fills working orders at it, then publishes it) only once the session has
    processed the previous one, so fills land exactly where a backtest puts them.
    """

    def __init__(self, server, config, *, env=None, store_options=None, clock=None) -> None:
        import threading

        self.server, self.config = server, config
        self.env = env or fake_env(server)
        # bars arrive every few milliseconds here, not every minute: lift the client's REST budget
        self.store_options = {"lookup_waits_s": (0.0, 0.05, 0.1), "reconnect_backoff_s": (0.05, 0.2),
                              "rate_limit_per_minute": 10_000, **(store_options or {})}
        self.clock = clock
        self.stop = threading.Event()
        self.events: list[dict] = []
        self._cond = threading.Condition()
        self.result = None
        self.error: BaseException | None = None
        self._thread: threading.Thread | None = None

    def _status(self, event: dict) -> None:
        with self._cond:
            self.events.append(event)
            self._cond.notify_all()

    def _times(self) -> list[str]:
        return [e["time"] for e in self.events if e["event"] == "bar"]

    def bars_seen(self) -> list[str]:
        with self._cond:
            return self._times()

    def start(self) -> Replay:
        import threading

        from tradeforge.engine.live import run_live

        def target() -> None:
            try:
                self.result = run_live(self.config, stop=self.stop, status=self._status, env=self.env,
                                       clock=self.clock, store_options=self.store_options)
            except BaseException as exc:  # reported by finish()
                self.error = exc
            finally:
                with self._cond:
                    self._cond.notify_all()

        self._thread = threading.Thread(target=target, name="replay-run-live", daemon=True)
        self._thread.start()
        for symbol in self.config.symbols:
            if not self.server.wait_subscribed(symbol, timeout=30):
                self.finish()
                raise AssertionError(f"never subscribed to {symbol}: {self.error!r} {self.events}")
        return self

    def wait_bar(self, ts, timeout: float = 30.0) -> None:
        want = pd.Timestamp(ts).isoformat()
        with self._cond:
            ok = self._cond.wait_for(lambda: want in self._times() or self.error is not None
                                     or not self._thread.is_alive(), timeout)
        if self.error is not None or not ok:
            raise AssertionError(f"bar {want} not processed: {self.error!r}; last events {self.events[-3:]}")

    def push(self, frames: dict, i: int, *, wait: bool = True) -> None:
        ts = None
        for symbol, df in frames.items():
            row = df.iloc[i]
            ts = df.index[i]
            self.server.push_bar(symbol, ts, row.open, row.high, row.low, row.close, row.volume)
        if wait:
            self.wait_bar(ts)

    def finish(self, timeout: float = 30.0):
        self.stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        if self.error is not None:
            raise self.error
        return self.result


def now_minute_frames(frames: dict, history: int) -> dict:
    """*frames* re-indexed to consecutive minutes whose first *history* bars end one minute before now
    (the session's backfill reads the last days of history up to now)."""
    import datetime as dt

    now = pd.Timestamp(dt.datetime.now(dt.UTC)).tz_convert(None).floor("1min")
    out = {}
    for symbol, df in frames.items():
        index = pd.date_range(now - pd.Timedelta(minutes=history), periods=len(df), freq="1min",
                              name="datetime")
        out[symbol] = df.set_axis(index)
    return out
