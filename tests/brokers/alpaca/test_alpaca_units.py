"""Config (env, defaults, masking, missing keys), client ids (stable, unique, <= 48), the rate limiter
(injected clock) and the failure classification of REST calls."""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
import requests

from tradeforge.brokers.alpaca import AlpacaConfig, RateLimiter, client_order_id
from tradeforge.brokers.alpaca._calls import DuplicateClientOrderId, OrderOutcomeUnknown, call, classify
from tradeforge.errors import BrokerError, ConfigError, TransientBrokerError

PAPER = {"APCA_API_KEY_ID": "PKCANARY123", "APCA_API_SECRET_KEY": "canary-secret-xyz"}


# ---------------------------------------------------------------- config
def test_defaults_by_mode_match_alpaca_py():
    from alpaca.common.enums import BaseURL

    paper = AlpacaConfig.from_env("paper", env=PAPER)
    live = AlpacaConfig.from_env("live", env={"APCA_LIVE_API_KEY_ID": "AK1", "APCA_LIVE_API_SECRET_KEY": "s"})
    assert paper.base_url == BaseURL.TRADING_PAPER.value and live.base_url == BaseURL.TRADING_LIVE.value
    assert paper.stream_url == BaseURL.TRADING_STREAM_PAPER.value
    assert live.stream_url == BaseURL.TRADING_STREAM_LIVE.value
    assert paper.data_url == live.data_url == BaseURL.DATA.value
    assert paper.data_stream_url == BaseURL.MARKET_DATA_STREAM.value + "/v2/iex"
    assert AlpacaConfig.from_env("paper", env=PAPER, feed="sip").data_stream_url.endswith("/v2/sip")
    assert paper.paper and not live.paper and paper.rate_limit_per_minute == 190


def test_urls_from_env_then_options():
    env = {**PAPER, "APCA_API_BASE_URL": "http://127.0.0.1:1/", "APCA_API_DATA_URL": "http://127.0.0.1:2",
           "APCA_API_STREAM_URL": "ws://127.0.0.1:3/stream", "APCA_API_DATA_STREAM_URL": "ws://127.0.0.1:4/v2/iex"}
    cfg = AlpacaConfig.from_env("paper", env=env)
    assert (cfg.base_url, cfg.data_url, cfg.stream_url, cfg.data_stream_url) == (
        "http://127.0.0.1:1", "http://127.0.0.1:2", "ws://127.0.0.1:3/stream", "ws://127.0.0.1:4/v2/iex")
    assert AlpacaConfig.from_env("paper", env=env, base_url="http://proxy:8").base_url == "http://proxy:8"


def test_secrets_are_masked():
    cfg = AlpacaConfig.from_env("paper", env=PAPER)
    for text in (repr(cfg), str(cfg), f"{cfg}", repr([cfg])):
        assert "canary-secret-xyz" not in text and "PKCANARY123" not in text
    assert cfg.secrets() == ("PKCANARY123", "canary-secret-xyz")


def test_missing_keys_say_which_and_how():
    with pytest.raises(ConfigError) as info:
        AlpacaConfig.from_env("paper", env={})
    msg = str(info.value)
    assert "APCA_API_KEY_ID" in msg and "APCA_API_SECRET_KEY" in msg
    assert "https://app.alpaca.markets/paper/dashboard/overview" in msg and "API keys" in msg
    with pytest.raises(ConfigError, match="APCA_LIVE_API_KEY_ID"):
        AlpacaConfig.from_env("live", env=PAPER)                         # paper keys never serve live


@pytest.mark.parametrize("kw, match", [
    ({"mode": "paperr"}, "Did you mean 'paper'"), ({"feed": "xyz"}, "feed"), ({"timeout_s": 0}, "timeout_s"),
    ({"rate_limit_per_minute": 0}, "rate_limit_per_minute"), ({"base_url": "localhost"}, "base_url")])
def test_bad_values_raise_config_error(kw, match):
    with pytest.raises(ConfigError, match=match):
        AlpacaConfig(**{"api_key": "k", "secret_key": "s", **kw})


def test_unknown_override_has_a_hint():
    with pytest.raises(ConfigError, match="Did you mean 'timeout_s'"):
        AlpacaConfig.from_env("paper", env=PAPER, timeout=3)


# ---------------------------------------------------------------- client ids
def test_client_ids_are_stable_short_and_unique():
    t0 = datetime(2024, 1, 2, 14, 30, tzinfo=UTC)
    strategies = ["sma_cross", "sma_crossover_with_a_very_long_name", "ml"]
    symbols = ["AAPL", "AAPLX", "BRK.B"]
    intents = ["buy", "sell", "bracket", "protect"]
    ids = set()
    for strat, sym, intent, minutes, seq in itertools.product(strategies, symbols, intents, range(200), range(3)):
        cid = client_order_id(strat, sym, t0 + timedelta(minutes=minutes), intent, seq)
        assert len(cid) <= 48 and cid.startswith("tf-") and cid == cid.lower()
        ids.add(cid)
    assert len(ids) == 3 * 3 * 4 * 200 * 3                               # no collision, even when truncated
    same = [client_order_id("sma_cross", "AAPL", t, "buy", 0)
            for t in (t0, t0.replace(tzinfo=None), pd.Timestamp(t0), pd.Timestamp("2024-01-02 09:30", tz="US/Eastern"))]
    assert len(set(same)) == 1                                           # naive = UTC; any tz, same instant
    assert len(client_order_id("s", "X", t0, "buy", 10**30)) <= 48


@pytest.mark.parametrize("args", [("", "AAPL", datetime(2024, 1, 2), "buy", 0),
                                  ("s", "AAPL", "2024-01-02", "buy", 0), ("s", "AAPL", datetime(2024, 1, 2), "buy", -1)])
def test_client_id_bad_input(args):
    with pytest.raises(ConfigError):
        client_order_id(*args)


# ---------------------------------------------------------------- rate limiter
class FakeTime:
    def __init__(self) -> None:
        self.now, self.slept = 0.0, 0.0

    def clock(self) -> float:
        return self.now

    def sleep(self, s: float) -> None:
        self.now += s
        self.slept += s


def test_limiter_keeps_every_window_under_the_limit():
    t = FakeTime()
    lim = RateLimiter(190, window_s=60.0, clock=t.clock, sleep=t.sleep)
    starts = [lim.acquire() for _ in range(1000)]
    for i in range(len(starts) - 190):                                   # any 191 consecutive starts span >= 60 s
        assert starts[i + 190] - starts[i] >= 60.0
    assert starts[189] == 0.0 and starts[190] == 60.0 and t.now == pytest.approx(5 * 60.0)


def test_limiter_pauses_everyone_after_a_429():
    t = FakeTime()
    lim = RateLimiter(10, window_s=60.0, clock=t.clock, sleep=t.sleep)
    lim.acquire()
    lim.block_for(7.5)
    assert lim.acquire() == 7.5


def test_limiter_is_thread_safe():
    lim = RateLimiter(50, window_s=3600.0)
    done: list[float] = []
    threads = [threading.Thread(target=lambda: done.extend(lim.acquire() for _ in range(10))) for _ in range(5)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(done) == 50 and lim.in_window() == 50


# ---------------------------------------------------------------- failure classification
def _api_error(status: int, body: str):
    from alpaca.common.exceptions import APIError

    response = requests.Response()
    response.status_code = status
    return APIError(body, requests.HTTPError(response=response))


def test_classification():
    dup = classify(_api_error(422, '{"code": 40010001, "message": "client_order_id must be unique"}'),
                   what="POST", write=True)
    invalid = classify(_api_error(422, '{"code": 40010001, "message": "qty must be > 0"}'), what="POST", write=True)
    assert type(dup) is DuplicateClientOrderId and type(invalid) is BrokerError
    assert type(classify(_api_error(429, "not json"), what="x", write=True)) is TransientBrokerError
    assert type(classify(_api_error(503, "<html>"), what="x", write=True)) is OrderOutcomeUnknown
    assert type(classify(_api_error(503, "<html>"), what="x", write=False)) is TransientBrokerError
    assert type(classify(requests.ReadTimeout(), what="x", write=True)) is OrderOutcomeUnknown
    assert type(classify(requests.ConnectTimeout(), what="x", write=True)) is TransientBrokerError
    assert type(classify(requests.ConnectionError("reset"), what="x", write=True)) is OrderOutcomeUnknown


def test_call_retries_reads_only():
    attempts = []

    def flaky():
        attempts.append(1)
        raise requests.ReadTimeout()

    with pytest.raises(TransientBrokerError):
        call(flaky, what="GET", attempts=3, sleep=lambda s: None)
    assert len(attempts) == 3
    attempts.clear()
    with pytest.raises(OrderOutcomeUnknown):
        call(flaky, what="POST", write=True, attempts=3, sleep=lambda s: None)
    assert len(attempts) == 1
