"""Scripted REST faults and the sliding-window rate limiter of the fake Alpaca."""

from __future__ import annotations

import re
import threading
import time
from collections import deque
from dataclasses import dataclass

__all__ = ["REST_FAULT_KINDS", "FaultBook", "RestFault", "SlidingWindowLimiter"]

# kind -> whether the request is processed (an order created) before the fault, by default
REST_FAULT_KINDS = {"timeout": True, "429": False, "500_after_accept": True, "504": True, "reset": False}


@dataclass
class RestFault:
    """One scripted fault for the next ``count`` REST requests whose path matches ``path``."""

    path: re.Pattern
    method: str | None
    kind: str
    count: int
    delay_s: float
    accept: bool

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and self.path.fullmatch(path) is not None


class FaultBook:
    """Thread-safe list of pending faults; :meth:`take` consumes one use of the first match."""

    def __init__(self) -> None:
        self._faults: list[RestFault] = []
        self._lock = threading.Lock()

    def add(self, fault: RestFault) -> None:
        with self._lock:
            self._faults.append(fault)

    def take(self, method: str, path: str) -> RestFault | None:
        with self._lock:
            for fault in self._faults:
                if fault.count > 0 and fault.matches(method, path):
                    fault.count -= 1
                    if fault.count == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def pending(self) -> int:
        with self._lock:
            return sum(f.count for f in self._faults)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()


class SlidingWindowLimiter:
    """At most ``limit`` accepted requests in any ``window_s`` seconds (a true sliding window).

    Refused requests do not count against the window.
    """

    def __init__(self, limit: int, window_s: float = 60.0, clock=time.monotonic) -> None:
        if limit < 1 or window_s <= 0:
            raise ValueError(f"rate limit needs limit >= 1 and window_s > 0, got {limit!r}, {window_s!r}")
        self.limit, self.window_s, self._clock = int(limit), float(window_s), clock
        self._stamps: deque[float] = deque()
        self._lock = threading.Lock()

    def acquire(self) -> tuple[bool, int, float]:
        """Try one request: (allowed, remaining in the window, epoch seconds when a slot frees)."""
        with self._lock:
            now = self._clock()
            while self._stamps and self._stamps[0] <= now - self.window_s:
                self._stamps.popleft()
            allowed = len(self._stamps) < self.limit
            if allowed:
                self._stamps.append(now)
            oldest = self._stamps[0] if self._stamps else now
            reset = time.time() + max(0.0, oldest + self.window_s - now)
            return allowed, self.limit - len(self._stamps), reset
