"""Deterministic ``client_order_id`` values: the idempotency key of every order sent to Alpaca.

The same (strategy, symbol, bar time, intent, seq) always gives the same id, so a restarted runner that
re-derives an order it already sent gets the id Alpaca already holds and cannot create a second order.
Format: ``tf-<strategy[:8]>-<symbol[:5]>-<intent[:4]>-<YYMMDDHHMM>-<seq>-<hash10>`` (at most 48
characters, ``[a-z0-9.-]``); the readable part is for humans, the SHA-256 hash of the full inputs makes
ids unique even when truncated fields coincide.

Examples
--------
>>> from datetime import datetime, UTC
>>> cid = client_order_id("sma_cross", "AAPL", datetime(2024, 1, 2, 14, 31, tzinfo=UTC), "entry", 0)
>>> cid
'tf-smacross-aapl-entr-2401021431-0-d7936e96ff'
>>> len(cid) <= 48, cid == client_order_id("sma_cross", "AAPL", datetime(2024, 1, 2, 14, 31), "entry", 0)
(True, True)
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from typing import Any

from tradeforge.errors import ConfigError

__all__ = ["client_order_id", "MAX_LEN"]

MAX_LEN = 48
_UNSAFE = re.compile(r"[^a-z0-9.]+")


def _slug(text: str, width: int) -> str:
    return _UNSAFE.sub("", str(text).lower())[:width] or "x"


def _utc(bar_time: Any) -> datetime:
    to_py = getattr(bar_time, "to_pydatetime", None)
    if to_py is not None:
        bar_time = to_py()
    if not isinstance(bar_time, datetime):
        raise ConfigError(f"bar_time: expected a datetime, got {type(bar_time).__name__} {bar_time!r}")
    return bar_time.replace(tzinfo=UTC) if bar_time.tzinfo is None else bar_time.astimezone(UTC)


def client_order_id(strategy: str, symbol: str, bar_time: Any, intent: str, seq: int = 0) -> str:
    """The deterministic client order id of one order (<= 48 characters).

    Parameters
    ----------
    strategy, symbol, intent : str
        Strategy name, traded symbol and what the order is for (``entry``, ``exit``, ``stop``...).
    bar_time : datetime or pandas Timestamp
        The bar whose ``next()`` created the order (naive means UTC).
    seq : int
        Position of the order among those created on that bar for the same strategy/symbol/intent (>= 0).

    Raises
    ------
    ConfigError
        An empty strategy/symbol/intent, a non-datetime bar time or a negative *seq*.
    """
    for name, value in (("strategy", strategy), ("symbol", symbol), ("intent", intent)):
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{name}: expected a non-empty string, got {value!r}")
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
        raise ConfigError(f"seq: expected an integer >= 0, got {seq!r}")
    when = _utc(bar_time)
    full = "\x1f".join((strategy, symbol, when.isoformat(), intent, str(seq)))
    digest = hashlib.sha256(full.encode()).hexdigest()[:10]
    cid = "-".join(
        (
            "tf",
            _slug(strategy, 8),
            _slug(symbol, 5),
            _slug(intent, 4),
            when.strftime("%y%m%d%H%M"),
            str(seq),
            digest,
        )
    )
    if len(cid) > MAX_LEN:  # only with a huge seq: keep the hash, trim the readable part
        cid = cid[: MAX_LEN - 11] + "-" + digest
    return cid
