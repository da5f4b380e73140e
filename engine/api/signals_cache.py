"""The signals the API serves: validated against the issue's JSON shape and computed at most once per bar.

A *signal source* is any callable ``source(bar_time) -> report`` where *report* is a list of signal dicts
or an object with a ``.signals`` list (``tradeforge.engine.signals``' report). :class:`SignalCache` calls it
only when the bar changes (the bar is the current time floored to the bar size, from an injected clock), so
every request within one bar gets the same list, and concurrent requests compute it once.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from tradeforge.errors import ConfigError, DataError

__all__ = ["SignalCache", "SIGNAL_KEYS", "PREDICTION_KEYS", "RISK_KEYS", "validate_signals", "utcnow"]

#: The keys of one signal object, exactly (issue 12).
SIGNAL_KEYS = ("symbol", "price", "decision", "confidence", "expected_return", "risk_score", "time_horizon",
               "momentum_score", "predictions", "risk_metrics")
PREDICTION_KEYS = ("price", "return")
RISK_KEYS = ("forecast_volatility", "var_95", "cvar_95", "correlation_spy", "correlation_qqq", "beta")
_NUMBERS = ("price", "confidence", "expected_return", "risk_score", "momentum_score")
_DECISIONS = ("BUY", "SELL", "HOLD")


def utcnow() -> datetime:
    """The system clock as an aware UTC datetime (the default clock)."""
    return datetime.now(UTC)


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise DataError(f"{where}: expected a finite number, got {value!r}; the signal source is broken")
    return float(value)


def _check_one(sig: Any, i: int) -> dict[str, Any]:
    if not isinstance(sig, Mapping):
        raise DataError(f"signals[{i}]: expected an object, got {type(sig).__name__}")
    missing = [k for k in SIGNAL_KEYS if k not in sig]
    if missing:
        raise DataError(f"signals[{i}]: missing keys {missing}; expected exactly {list(SIGNAL_KEYS)}")
    name = f"signals[{i}] ({sig['symbol']!r})"
    if not isinstance(sig["symbol"], str) or not sig["symbol"]:
        raise DataError(f"signals[{i}].symbol: expected a non-empty string, got {sig['symbol']!r}")
    if sig["decision"] not in _DECISIONS:
        raise DataError(f"{name}.decision: expected one of {_DECISIONS}, got {sig['decision']!r}")
    for key in _NUMBERS:
        _number(sig[key], f"{name}.{key}")
    for key in RISK_KEYS:
        _number((sig["risk_metrics"] or {}).get(key), f"{name}.risk_metrics.{key}")
    preds = sig["predictions"]
    if not isinstance(preds, Mapping) or not preds:
        raise DataError(f"{name}.predictions: expected an object per timeframe, got {preds!r}")
    for tf, pred in preds.items():
        for key in PREDICTION_KEYS:
            _number((pred or {}).get(key), f"{name}.predictions.{tf}.{key}")
    return dict(sig)


def validate_signals(report: Any) -> list[dict[str, Any]]:
    """The signal dicts of *report* (a list, or an object with ``.signals``), checked against the shape.

    Raises
    ------
    DataError
        A signal lacks a key of :data:`SIGNAL_KEYS`, has a non-finite number or an unknown decision.
    """
    signals = getattr(report, "signals", report)
    if isinstance(signals, str | bytes) or not isinstance(signals, Sequence):
        raise DataError(f"signal source: expected a list of signals, got {type(signals).__name__}")
    return [_check_one(sig, i) for i, sig in enumerate(signals)]


def _bar_seconds(bar: str) -> int:
    units = {"m": 60, "h": 3600, "d": 86400}
    try:
        n, unit = int(bar[:-1]), bar[-1]
        if n <= 0 or unit not in units:
            raise ValueError
    except (ValueError, IndexError):
        raise ConfigError(f"bar: expected a bar size like 1m, 5m, 1h or 1d, got {bar!r}") from None
    return n * units[unit]


class SignalCache:
    """The current bar's signals, computed by *source* at most once per bar.

    Parameters
    ----------
    source : callable
        ``source(bar_time) -> list of signal dicts | report with .signals``; *bar_time* is the start of the
        bar being served (aware UTC). It must not read anything after ``bar_time``.
    bar : str
        Bar size of the cache (``1m``, ``5m``, ``1h``, ``1d``...): a new bar triggers a new computation.
    clock : callable, optional
        Aware UTC "now" (default: the system clock).

    Examples
    --------
    >>> from datetime import datetime, UTC
    >>> calls = []
    >>> cache = SignalCache(lambda t: calls.append(t) or [], bar="1m",
    ...                     clock=lambda: datetime(2024, 1, 2, 14, 31, 20, tzinfo=UTC))
    >>> cache.get()[1], cache.get()[1], len(calls)
    ([], [], 1)
    """

    def __init__(self, source: Callable[[datetime], Any], *, bar: str = "1m",
                 clock: Callable[[], datetime] | None = None) -> None:
        if not callable(source):
            raise ConfigError(f"signal_source: expected a callable source(bar_time), got {source!r}")
        self.source, self.bar = source, bar
        self._seconds = _bar_seconds(bar)
        self.clock = clock or utcnow
        self._lock = threading.Lock()
        self._bar_time: datetime | None = None
        self._signals: list[dict[str, Any]] = []
        self.computations = 0

    def bar_time(self) -> datetime:
        """The start of the current bar (the clock floored to the bar size)."""
        now = self.clock()
        now = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
        epoch = int(now.timestamp()) // self._seconds * self._seconds
        return datetime.fromtimestamp(epoch, UTC)

    def get(self) -> tuple[datetime, list[dict[str, Any]]]:
        """``(bar_time, signals)`` of the current bar, computing them on the first call in a bar."""
        bar = self.bar_time()
        with self._lock:
            if self._bar_time != bar:
                signals = validate_signals(self.source(bar))
                self._bar_time, self._signals = bar, signals
                self.computations += 1
            return self._bar_time, [dict(s) for s in self._signals]

    def find(self, symbol: str) -> tuple[datetime, dict[str, Any] | None]:
        """``(bar_time, signal)`` of *symbol* among the current bar's signals (None when absent)."""
        bar, signals = self.get()
        return bar, next((s for s in signals if s["symbol"] == symbol), None)
