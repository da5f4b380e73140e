"""Fixtures: a running FakeAlpaca, a journal, and an AlpacaStore on them through the real alpaca-py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from tradeforge.brokers.alpaca import AlpacaConfig, AlpacaStore
from tradeforge.testing.fake_alpaca import FakeAlpaca

KEY, SECRET = "PKADAPTERTEST000001", "adapter-secret-canary-0001"
T0 = datetime(2024, 1, 2, 14, 30, tzinfo=UTC)


class StepClock:
    """A settable UTC clock (tests move it forward explicitly)."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def minute_bars(n: int, start: datetime = T0, price: float = 100.0, step: float = 1.0) -> pd.DataFrame:
    """Deterministic OHLCV minute bars with UTC start times."""
    idx = pd.date_range(pd.Timestamp(start).tz_convert(None), periods=n, freq="1min")  # naive UTC
    opens = [price + step * i for i in range(n)]
    return pd.DataFrame({"open": opens, "high": [o + 2 for o in opens], "low": [o - 2 for o in opens],
                         "close": [o + 0.5 for o in opens], "volume": [1000.0 + i for i in range(n)]}, index=idx)


@pytest.fixture
def fake():
    f = FakeAlpaca(account_number="PA1TEST0001", cash=100_000.0, api_key=KEY, secret_key=SECRET,
                   rate_limit_per_minute=None)
    f.start()
    yield f
    f.stop()


@pytest.fixture
def journal(tmp_path):
    from tradeforge.brokers.journal import Journal

    j = Journal.open(None, account="PA1TEST0001", mode="paper", root=tmp_path / "journal")
    yield j
    j.close()


def make_config(fake: FakeAlpaca, **kw) -> AlpacaConfig:
    base = dict(mode="paper", api_key=KEY, secret_key=SECRET, base_url=fake.base_url, data_url=fake.data_url,
                stream_url=fake.stream_url, data_stream_url=fake.data_stream_url, timeout_s=2.0)
    return AlpacaConfig(**{**base, **kw})


@pytest.fixture
def clock():
    return StepClock()


@pytest.fixture
def store(fake, journal, clock):
    s = AlpacaStore(make_config(fake), journal, clock=clock, lookup_waits_s=(0.0, 0.1, 0.3),
                    reconnect_backoff_s=(0.05, 0.2))
    yield s
    s.stop()


@pytest.fixture
def make_bars():
    """``make_bars(n, start=T0, price=100.0, step=1.0)`` -> deterministic minute bars."""
    return minute_bars


@pytest.fixture
def make_fake():
    """``make_fake(**FakeAlpaca kwargs)`` -> another running fake (stopped at teardown)."""
    made: list[FakeAlpaca] = []

    def build(**kw) -> FakeAlpaca:
        f = FakeAlpaca(**{"api_key": KEY, "secret_key": SECRET, "rate_limit_per_minute": None, **kw})
        made.append(f.start())
        return f

    yield build
    for f in made:
        f.stop()


@pytest.fixture
def make_store(fake, journal, clock):
    """``make_store(fake=None, **config_overrides, **store_kwargs)`` -> a new AlpacaStore on the journal."""
    made: list[AlpacaStore] = []
    store_keys = {"limiter", "lookup_waits_s", "reconnect_backoff_s", "time_in_force"}

    def build(fake_: FakeAlpaca | None = None, **kw) -> AlpacaStore:
        target = kw.pop("fake", None) or fake_ or fake
        store_kw = {k: kw.pop(k) for k in list(kw) if k in store_keys}
        store_kw.setdefault("lookup_waits_s", (0.0, 0.2, 0.5))
        s = AlpacaStore(make_config(target, **kw), journal, clock=clock, **store_kw)
        made.append(s)
        return s

    yield build
    for s in made:
        s.stop()
