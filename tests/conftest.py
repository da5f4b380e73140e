"""Test-wide guards: no network beyond loopback, headless plotting, quiet fonts."""

from __future__ import annotations

import ipaddress
import logging
import os
import socket

import pandas as pd
import pytest

os.environ.setdefault("MPLBACKEND", "Agg")
logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)

_real_connect = socket.socket.connect
# pandas-ta 0.4 switches pandas' copy-on-write on when imported (a test module imports it at collection
# time); tradeforge restores the option when it imports pandas-ta, and every test starts from pandas' default
_COPY_ON_WRITE = pd.options.mode.copy_on_write


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
        raise RuntimeError(f"network access to {address!r} is forbidden in tests; "
                           "use a fake server on 127.0.0.1")
    return _real_connect(self, address)


@pytest.fixture(autouse=True, scope="session")
def _no_network():
    socket.socket.connect = _guarded_connect
    yield
    socket.socket.connect = _real_connect


@pytest.fixture(autouse=True)
def _pandas_defaults():
    pd.options.mode.copy_on_write = _COPY_ON_WRITE
    yield
