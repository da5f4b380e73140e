"""Test-wide guards: no network beyond loopback, headless plotting, quiet fonts."""

from __future__ import annotations

import ipaddress
import logging
import os
import socket

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")
logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)

_real_connect = socket.socket.connect


def _is_loopback(address) -> bool:
    if not isinstance(address, tuple):  # unix sockets
        return True
    host = address[0]
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _guarded_connect(self, address):
    if not _is_loopback(address):
        raise RuntimeError(f"network access to {address!r} is forbidden in tests; use a fake server on 127.0.0.1")
    return _real_connect(self, address)


@pytest.fixture(autouse=True, scope="session")
def _no_network():
    socket.socket.connect = _guarded_connect
    yield
    socket.socket.connect = _real_connect
