"""Fixtures: a FakeAlpaca on 127.0.0.1, a paper store + journal on it, a real signal computation over the
fake's bars, and the app built by ``create_app``."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from tradeforge.brokers.alpaca import AlpacaConfig, AlpacaStore
from tradeforge.engine.schedule.replay import SimClock
from tradeforge.testing.fake_alpaca import FakeAlpaca

KEY, SECRET = "PKAPITEST0000000001", "api-secret-canary-0001"
NOW = datetime(2024, 1, 2, 15, 0, 20, tzinfo=UTC)
SYMBOLS = ("AAA", "BBB", "CCC", "DDD")
#: a larger universe for the page (the browser test)
PAGE_SYMBOLS = ("NVDA", "AAPL", "MSFT", "AMZN", "META", "GOOG", "TSLA", "AMD", "NFLX", "AVGO", "CRM", "ORCL",
                "INTC", "IBM")


def history(symbol: str, n: int = 120, end: datetime = NOW) -> pd.DataFrame:
    """Deterministic minute bars ending before *end* (seeded by the symbol)."""
    rng = np.random.default_rng(sum(map(ord, symbol)))
    drift = {"AAA": 0.0008, "BBB": 0.0005, "CCC": 0.0003, "DDD": -0.0006}.get(symbol)
    if drift is None:
        drift = float(rng.uniform(-0.0004, 0.0012))
    close = 50.0 * np.exp(np.cumsum(drift + 0.001 * rng.standard_normal(n)))
    idx = pd.date_range(end=pd.Timestamp(end).floor("1min") - pd.Timedelta(minutes=1), periods=n, freq="1min",
                        tz="UTC")
    return pd.DataFrame({"open": close, "high": close * 1.001, "low": close * 0.999, "close": close,
                         "volume": 1000.0}, index=idx)


class BarSignals:
    """A small real signal computation: momentum and volatility over each symbol's completed bars up to the
    bar served (nothing later), in the issue's JSON shape; BUY when the trailing drift is positive."""

    horizons = {"1m": 1, "5m": 5, "30m": 30, "1h": 60, "6h": 360, "1d": 1440}

    def __init__(self, frames: dict[str, pd.DataFrame]) -> None:
        self.frames, self.calls = frames, []

    def __call__(self, bar_time: datetime) -> list[dict]:
        self.calls.append(bar_time)
        out = []
        for symbol, frame in self.frames.items():
            close = frame["close"][frame.index < pd.Timestamp(bar_time)].to_numpy()
            rets = np.diff(np.log(close[-60:]))
            mu, sigma = float(rets.mean()), float(rets.std())
            price = float(close[-1])
            conf = float(0.5 + 0.49 * np.tanh(abs(mu) / (sigma / np.sqrt(len(rets))) / 4))
            preds = {tf: {"price": price * float(np.exp(mu * n ** 0.5)),
                          "return": float(np.expm1(mu * n ** 0.5))} for tf, n in self.horizons.items()}
            out.append({
                "symbol": symbol, "price": round(price, 4), "decision": "BUY" if mu > 0 else "SELL",
                "confidence": round(conf, 4), "expected_return": preds["1h"]["return"],
                "risk_score": round(min(10.0, 1 + sigma * 2000), 2), "time_horizon": "1h",
                "momentum_score": round(50 + 5000 * mu, 2), "predictions": preds,
                "risk_metrics": {"forecast_volatility": sigma * np.sqrt(60),
                                 "var_95": -1.645 * sigma * np.sqrt(60),
                                 "cvar_95": -2.063 * sigma * np.sqrt(60), "correlation_spy": 0.5,
                                 "correlation_qqq": 0.4, "beta": 1.1},
            })
        buys = [s for s in out if s["decision"] == "BUY"]
        return sorted(buys, key=lambda s: -s["confidence"])[:10]


@pytest.fixture
def clock():
    return SimClock(NOW)


@pytest.fixture
def fake():
    f = FakeAlpaca(account_number="PA1APITEST01", cash=100_000.0, api_key=KEY, secret_key=SECRET,
                   rate_limit_per_minute=None)
    f.start()
    for symbol in SYMBOLS:
        f.add_history(symbol, history(symbol))
    f.set_market_open(True)
    yield f
    f.stop()


@pytest.fixture
def journal(tmp_path):
    from tradeforge.brokers.journal import Journal

    j = Journal.open(None, account="PA1APITEST01", mode="paper", root=tmp_path / "journal")
    yield j
    j.close()


@pytest.fixture
def store(fake, journal, clock):
    cfg = AlpacaConfig(mode="paper", api_key=KEY, secret_key=SECRET, base_url=fake.base_url,
                       data_url=fake.data_url, stream_url=fake.stream_url,
                       data_stream_url=fake.data_stream_url, timeout_s=2.0)
    s = AlpacaStore(cfg, journal, clock=clock, lookup_waits_s=(0.0, 0.1))
    yield s
    s.stop()


@pytest.fixture
def risk(journal):
    from tradeforge.engine.live.risk import LiveRisk

    return LiveRisk(journal, max_open_positions=3, max_position_pct=0.25)


@pytest.fixture
def source():
    return BarSignals({s: history(s) for s in SYMBOLS})


@pytest.fixture
def make_app(source, store, risk, clock):
    from tradeforge.engine.api import create_app

    def build(**kw):
        args = dict(signal_source=source, store=store, risk=risk, clock=clock)
        return create_app(**{**args, **kw})

    return build


@pytest.fixture
def page_source(fake):
    """The page's universe: PAGE_SYMBOLS' bars in the fake, and the signal computation over them."""
    for symbol in PAGE_SYMBOLS:
        fake.add_history(symbol, history(symbol))
    return BarSignals({s: history(s) for s in PAGE_SYMBOLS})


@pytest.fixture
def paper_env(fake):
    """The environment of a paper session on the fake (keys and the four endpoints)."""
    return {"APCA_API_KEY_ID": KEY, "APCA_API_SECRET_KEY": SECRET, "APCA_API_BASE_URL": fake.base_url,
            "APCA_API_DATA_URL": fake.data_url, "APCA_API_STREAM_URL": fake.stream_url,
            "APCA_API_DATA_STREAM_URL": fake.data_stream_url}
