"""Fixtures: a running FakeAlpaca, a journal, and an AlpacaStore on them through the real alpaca-py."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

from tradeforge.brokers.alpaca import AlpacaConfig, AlpacaStore
from tradeforge.engine.schedule.replay import SimClock
from tradeforge.testing.fake_alpaca import FakeAlpaca

KEY, SECRET = "PKADAPTERTEST000001", "adapter-secret-canary-0001"
T0 = datetime(2024, 1, 2, 14, 30, tzinfo=UTC)


def minute_bars(n: int, start: datetime = T0, price: float = 100.0, step: float = 1.0) -> pd.DataFrame:
    """Deterministic OHLCV minute bars with UTC start times."""
    idx = pd.date_range(pd.Timestamp(start).tz_convert(None), periods=n, freq="1min")  # naive UTC
    opens = [price + step * i for i in range(n)]
    return pd.DataFrame(
        {
            "open": opens,
            "high": [o + 2 for o in opens],
            "low": [o - 2 for o in opens],
            "close": [o + 0.5 for o in opens],
            "volume": [1000.0 + i for i in range(n)],
        },
        index=idx,
    )


@pytest.fixture
def fake():
    f = FakeAlpaca(
        account_number="PA1TEST0001",
        cash=100_000.0,
        api_key=KEY,
        secret_key=SECRET,
        rate_limit_per_minute=None,
    )
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
    base = dict(
        mode="paper",
        api_key=KEY,
        secret_key=SECRET,
        base_url=fake.base_url,
        data_url=fake.data_url,
        stream_url=fake.stream_url,
        data_stream_url=fake.data_stream_url,
        timeout_s=2.0,
    )
    return AlpacaConfig(**{**base, **kw})


@pytest.fixture
def clock():
    return SimClock(T0)


@pytest.fixture
def store(fake, journal, clock):
    s = AlpacaStore(
        make_config(fake),
        journal,
        clock=clock,
        lookup_waits_s=(0.0, 0.1, 0.3),
        reconnect_backoff_s=(0.05, 0.2),
    )
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


def push(fake, store, data, ts, row, symbol: str = "AAPL") -> None:
    """Move the store's clock to the bar's close and push the bar through the fake."""
    store.clock.now = (pd.Timestamp(ts).tz_localize("UTC") + pd.Timedelta(minutes=1)).to_pydatetime()
    fake.push_bar(symbol, ts, row.open, row.high, row.low, row.close, row.volume)


@pytest.fixture
def run_live(fake, store):
    """``run_live(strategy_cls, driver | bars, backfill=0, broker_kw=None, data_kw=None, **strategy_params)``.

    Runs a Cerebro with AlpacaData + AlpacaBroker on *store*; ``driver(data)`` runs on a thread and pushes
    bars (a frame: push each bar and wait until the strategy processed it); the feed then finishes.
    Returns ``(strategy, broker, data)``.
    """
    import threading

    import backtrader as bt

    def run(
        strategy,
        driver,
        *,
        backfill: int = 0,
        broker_kw=None,
        data_kw=None,
        symbol: str = "AAPL",
        store=store,
        timeframe: str = "1m",
        **params,
    ):
        cerebro = bt.Cerebro(stdstats=False)
        data = store.getdata(symbol, timeframe, backfill=backfill, **{"qcheck": 0.05, **(data_kw or {})})
        cerebro.adddata(data, name=symbol)
        broker = store.getbroker(**{"strategy_name": "test", **(broker_kw or {})})
        cerebro.setbroker(broker)
        cerebro.addstrategy(strategy, **params)
        errors: list[BaseException] = []
        if isinstance(driver, pd.DataFrame):
            bars = driver

            def driver(data):  # noqa: F811 - the default driver
                assert data.wait_consumed(backfill, 10), "backfill not consumed"
                for i, (ts, row) in enumerate(bars.iterrows()):
                    push(fake, store, data, ts, row, symbol)
                    assert data.wait_consumed(backfill + i + 1, 10), f"bar {i} not consumed"

        def drive() -> None:
            try:
                assert fake.wait_subscribed(symbol, 1, 10) and fake.wait_listening(1, 10)
                driver(data)
            except BaseException as exc:  # re-raised below
                errors.append(exc)
            finally:
                data.finish()

        thread = threading.Thread(target=drive, daemon=True)
        thread.start()
        strat = cerebro.run()[0]
        thread.join(30)
        if errors:
            raise errors[0]
        return strat, broker, data

    return run
