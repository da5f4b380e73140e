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
