"""One sliding-window rate limiter shared by every REST call of a process.

A call may start only when fewer than ``limit`` calls started in the last ``window_s`` seconds; otherwise
:meth:`RateLimiter.acquire` sleeps until the oldest one leaves the window. A server's 429 answer with
``X-RateLimit-Reset`` (or a low ``X-RateLimit-Remaining``) pauses every caller until the reset time.
Thread-safe; clock and sleep are injectable so tests can compress time.

Examples
--------
>>> now = [0.0]
>>> lim = RateLimiter(2, window_s=60.0, clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s))
>>> [lim.acquire() for _ in range(3)], now[0]
([0.0, 0.0, 60.0], 60.0)
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable

from tradeforge.errors import ConfigError

__all__ = ["RateLimiter"]


class RateLimiter:
    """Keep call starts under *limit* per rolling *window_s* seconds.

    Parameters
    ----------
    limit : int
        Calls allowed per window (>= 1).
    window_s : float
        Window length in seconds (> 0); 60 for Alpaca's per-minute limit.
    clock : callable, optional
        Monotonic seconds (default ``time.monotonic``).
    sleep : callable, optional
        Sleeps the given seconds (default ``time.sleep``).
    """

    def __init__(
        self,
        limit: int,
        *,
        window_s: float = 60.0,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ConfigError(f"limit: expected a positive integer, got {limit!r}")
        if not window_s > 0:
            raise ConfigError(f"window_s: expected a positive number of seconds, got {window_s!r}")
        self.limit, self.window_s = limit, float(window_s)
        self._clock = clock or time.monotonic
        self._sleep = sleep or time.sleep
        self._starts: collections.deque[float] = collections.deque()
        self._blocked_until = float("-inf")
        self._lock = threading.Lock()
        self.waited_s = 0.0  # total time callers spent waiting (for reports)
        self.calls = 0

    def _wait_needed(self, now: float) -> float:
        while self._starts and self._starts[0] <= now - self.window_s:
            self._starts.popleft()
        wait = max(0.0, self._blocked_until - now)
        if len(self._starts) >= self.limit:
            wait = max(wait, self._starts[0] + self.window_s - now)
        return wait

    def acquire(self) -> float:
        """Block until a call may start, record it and return the clock time at which it started."""
        while True:
            with self._lock:
                now = self._clock()
                wait = self._wait_needed(now)
                if wait <= 0:
                    self._starts.append(now)
                    self.calls += 1
                    return now
                self.waited_s += wait
            self._sleep(wait)

    def block_for(self, seconds: float) -> None:
        """Pause every caller for *seconds* from now (a 429's reset time, a ``Remaining: 0`` header)."""
        if seconds > 0:
            with self._lock:
                self._blocked_until = max(self._blocked_until, self._clock() + seconds)

    def in_window(self) -> int:
        """How many call starts the current window holds."""
        with self._lock:
            self._wait_needed(self._clock())
            return len(self._starts)
