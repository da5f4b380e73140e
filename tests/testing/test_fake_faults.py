"""Scripted REST faults and the rate limiter, seen through the real TradingClient (and plain requests)."""

from __future__ import annotations

import concurrent.futures
import time

import pytest
import requests
from alpaca.common.exceptions import APIError
from alpaca.trading.enums import OrderSide, TimeInForce
from alpaca.trading.requests import MarketOrderRequest

from tradeforge.testing.fake_alpaca import FakeAlpaca

from .conftest import KEY, SECRET

HEADERS = {"APCA-API-KEY-ID": KEY, "APCA-API-SECRET-KEY": SECRET}


def order(coid: str) -> MarketOrderRequest:
    return MarketOrderRequest(symbol="AAPL", qty=1, side=OrderSide.BUY, time_in_force=TimeInForce.DAY,
                              client_order_id=coid)


def test_timeout_holds_the_response_but_the_order_exists(fake, trading):
    fake.fault_rest("/v2/orders", "POST", kind="timeout", delay_s=1.0)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pending = pool.submit(trading.submit_order, order("t1"))
        with pytest.raises(concurrent.futures.TimeoutError):
            pending.result(timeout=0.3)  # what the adapter's timeout wrapper sees
        assert trading.get_order_by_client_id("t1").client_order_id == "t1"  # resolved by lookup
        assert pending.result(timeout=5).client_order_id == "t1"  # the held answer arrives late
    assert fake.post_count("t1") == 1
    post = [r for r in fake.requests if r["method"] == "POST"][0]
    assert (post["fault"], post["status"]) == ("timeout", 200)


def test_timeout_without_accept_answers_504_after_the_hold(fake, trading):
    fake.fault_rest("/v2/orders", "POST", kind="timeout", delay_s=0.2, accept=False)
    started = time.monotonic()
    placed = trading.submit_order(order("t2"))  # held, answered 504 unprocessed, retried by alpaca-py
    assert time.monotonic() - started >= 0.2
    assert placed.client_order_id == "t2" and fake.post_count("t2") == 2
    assert [r["status"] for r in fake.requests if r["method"] == "POST"] == [504, 200]


def test_429_with_reset_headers_and_the_client_retry(fake, trading):
    fake.fault_rest("/v2/orders", "POST", kind="429", count=1)
    placed = trading.submit_order(order("r1"))  # alpaca-py retries 429 by itself
    assert placed.client_order_id == "r1" and fake.post_count("r1") == 2
    fake.fault_rest("/v2/account", "GET", kind="429")
    reply = requests.get(fake.base_url + "/v2/account", headers=HEADERS, timeout=5)
    assert reply.status_code == 429 and reply.headers["X-RateLimit-Remaining"] == "0"
    assert int(reply.headers["X-RateLimit-Reset"]) >= int(time.time())
    assert fake.status_counts()[429] == 2


def test_500_after_accept_the_order_exists(fake, trading):
    fake.fault_rest("/v2/orders", "POST", kind="500_after_accept")
    with pytest.raises(APIError) as err:
        trading.submit_order(order("f1"))
    assert err.value.status_code == 500
    assert trading.get_order_by_client_id("f1").status.value == "new"
    assert len(fake.orders) == 1 and fake.post_count("f1") == 1


def test_504_on_an_accepted_post_comes_back_as_duplicate_422(fake, trading):
    fake.fault_rest("/v2/orders", "POST", kind="504")
    with pytest.raises(APIError) as err:
        trading.submit_order(order("g1"))  # 504, alpaca-py retries, the retry is refused as a duplicate
    assert err.value.status_code == 422 and err.value.code == 40010001
    assert fake.post_count("g1") == 2 and len(fake.orders) == 1
    assert [r["status"] for r in fake.requests if r["method"] == "POST"] == [504, 422]
    fake.fault_rest("/v2/orders", "POST", kind="504", count=4, accept=False)
    with pytest.raises(APIError) as err:
        trading.submit_order(order("g2"))  # every try answered 504 with a non-JSON body
    assert err.value.status_code == 504 and fake.post_count("g2") == 4
    with pytest.raises(ValueError):
        _ = err.value.code  # the alpaca-py trap: .code parses the HTML body
    assert not any(o["client_order_id"] == "g2" for o in fake.orders)


@pytest.mark.parametrize("accept", [False, True])
def test_connection_reset(fake, trading, accept):
    fake.fault_rest("/v2/orders", "POST", kind="reset", accept=accept)
    with pytest.raises(requests.exceptions.ConnectionError):
        trading.submit_order(order("c1"))
    assert fake.post_count("c1") == 1  # connection errors are not retried by alpaca-py
    assert any(o["client_order_id"] == "c1" for o in fake.orders) is accept
    assert trading.get_account().account_number == "PA1TEST0001"  # the next request is served


def test_fault_matching_by_path_regex_method_and_count(fake, trading):
    fake.fault_rest(r"/v2/orders.*", None, kind="500_after_accept", count=2)
    with pytest.raises(APIError):
        trading.get_orders()
    with pytest.raises(APIError):
        trading.submit_order(order("p1"))
    assert trading.get_orders()[0].client_order_id == "p1"  # the third request is clean
    fake.fault_rest("/v2/account", "GET", kind="429", count=5)
    fake.clear_faults()
    assert trading.get_account() is not None
    with pytest.raises(ValueError):
        fake.fault_rest(kind="teapot")


def test_sliding_window_rate_limit():
    with FakeAlpaca(api_key=KEY, secret_key=SECRET, rate_limit_per_minute=5, rate_limit_window_s=1.0) as fake:
        url = fake.base_url + "/v2/account"
        first = [requests.get(url, headers=HEADERS, timeout=5) for _ in range(3)]
        time.sleep(0.6)
        second = [requests.get(url, headers=HEADERS, timeout=5) for _ in range(3)]
        assert [r.status_code for r in first + second] == [200] * 5 + [429]
        assert [r.headers["X-RateLimit-Remaining"] for r in first] == ["4", "3", "2"]  # on every answer
        refused = second[-1]
        assert refused.headers["X-RateLimit-Limit"] == "5" and refused.headers["X-RateLimit-Remaining"] == "0"
        assert refused.json()["code"] == 42910000
        time.sleep(0.5)  # the first three left the window, the second three have not: a sliding window
        third = [requests.get(url, headers=HEADERS, timeout=5).status_code for _ in range(4)]
        assert third == [200, 200, 200, 429]
        params = {"symbols": "AAPL", "timeframe": "1Min"}
        data = requests.get(fake.data_url + "/v2/stocks/bars", params=params, headers=HEADERS, timeout=5)
        assert data.status_code == 429  # one limiter for both APIs
        assert fake.status_counts() == {200: 8, 429: 3}


def test_rate_limit_off_serves_a_burst():
    with FakeAlpaca(api_key=KEY, secret_key=SECRET, rate_limit_per_minute=None) as fake:
        with requests.Session() as session:
            codes = {session.get(fake.base_url + "/v2/clock", headers=HEADERS, timeout=5).status_code
                     for _ in range(300)}
        assert codes == {200} and len(fake.requests) == 300


def test_order_hook_sees_each_phase_of_a_post(fake, trading):
    phases = []
    fake.set_order_hook(lambda phase, coid: phases.append((phase, coid, len(fake._engine.orders))))
    trading.submit_order(order("h1"))
    with pytest.raises(APIError):
        trading.submit_order(order("h1"))
    fake.set_order_hook(lambda phase, coid: 1 / 0)  # a broken hook does not break the server
    trading.submit_order(order("h2"))
    assert phases == [("received", "h1", 0), ("accepted", "h1", 1),
                      ("received", "h1", 1), ("refused", "h1", 1)]
    assert fake.post_count("h2") == 1 and len(fake.orders) == 2
