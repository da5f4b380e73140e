"""start()/stop() leave no thread and no listening port behind, many times over."""

from __future__ import annotations

import concurrent.futures
import socket
import threading
import time

import pytest
import requests

from tradeforge.testing.fake_alpaca import FakeAlpaca

from .conftest import KEY, SECRET


def _port_open(url: str) -> bool:
    host, port = url.split("://")[1].split("/")[0].split(":")
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, int(port))) == 0


def test_start_stop_many_times_leaks_nothing():
    baseline = {t.ident for t in threading.enumerate()}
    seen_ports = set()
    for _ in range(15):
        fake = FakeAlpaca(api_key=KEY, secret_key=SECRET)
        with fake:
            urls = [fake.base_url, fake.data_url, fake.stream_url, fake.data_stream_url]
            assert all(u.split("://")[1].startswith("127.0.0.1:") for u in urls)
            assert len({u.split(":")[2].split("/")[0] for u in urls}) == 4
            assert all(_port_open(u) for u in urls)
            seen_ports.add(urls[0])
        assert not any(_port_open(u) for u in urls)
        fake.stop()  # idempotent
    time.sleep(0.05)
    assert {t.ident for t in threading.enumerate()} <= baseline
    assert len(seen_ports) > 1


def test_urls_need_a_running_fake_and_double_start_is_refused():
    fake = FakeAlpaca()
    with pytest.raises(RuntimeError, match="start"):
        _ = fake.base_url
    with pytest.raises(RuntimeError, match="start"):
        fake.push_bar("AAPL", "2024-01-02 14:30", 1, 2, 0.5, 1.5, 10)
    fake.start()
    try:
        with pytest.raises(RuntimeError, match="already running"):
            fake.start()
    finally:
        fake.stop()
    fake.start()  # restartable, state kept
    fake.stop()


def test_stop_does_not_wait_for_a_held_response():
    fake = FakeAlpaca(api_key=KEY, secret_key=SECRET).start()
    fake.fault_rest("/v2/account", "GET", kind="timeout", delay_s=30)
    headers = {"APCA-API-KEY-ID": KEY, "APCA-API-SECRET-KEY": SECRET}
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pending = pool.submit(requests.get, fake.base_url + "/v2/account", headers=headers, timeout=10)
        time.sleep(0.2)
        started = time.monotonic()
        fake.stop()
        assert time.monotonic() - started < 3
        with pytest.raises(requests.exceptions.ConnectionError):
            pending.result(timeout=10)


def test_push_bar_rejects_an_inconsistent_bar():
    with FakeAlpaca() as fake, pytest.raises(ValueError, match="low <= open"):
        fake.push_bar("AAPL", "2024-01-02 14:30", 10, 9, 8, 9.5, 100)
