"""Every REST call to Alpaca goes through here: one rate limiter, a socket timeout, alpaca-py's own
retries switched off, and each failure sorted by what it means for an order.

alpaca-py retries 429 and 504 by itself (POST /v2/orders included, 3 times, 3 s apart) and sets no
timeout. :func:`guard_client` turns its retries off (``_retry = 0``: the constructor ignores 0) and gives
it a :class:`GuardedSession` that applies the timeout and the shared limiter to every HTTP request,
pagination included, and pauses all callers when the server answers 429. :func:`call` then maps a
failure to one of:

- :class:`~tradeforge.errors.TransientBrokerError`: nothing happened at the broker (connection refused,
  connect timeout, 429) or, for a read, any transient failure: safe to retry.
- :class:`OrderOutcomeUnknown`: a write may or may not have taken effect (read timeout, reset after
  sending, 5xx); :class:`DuplicateClientOrderId` (422, code 40010001) means an order with that client id
  exists. Resolve both by a lookup by client id, never by sending again.
- :class:`~tradeforge.errors.BrokerError`: the broker refused (4xx): retrying will not help.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any, TypeVar

import requests

from tradeforge.errors import BrokerError, TransientBrokerError

from .ratelimit import RateLimiter

__all__ = [
    "GuardedSession",
    "OrderOutcomeUnknown",
    "DuplicateClientOrderId",
    "guard_client",
    "call",
    "DUPLICATE_CLIENT_ID_CODE",
]

T = TypeVar("T")
DUPLICATE_CLIENT_ID_CODE = 40010001


class OrderOutcomeUnknown(BrokerError):
    """A write whose effect at the broker is unknown: look the order up by client id, never resend."""


class DuplicateClientOrderId(OrderOutcomeUnknown):
    """The broker already holds an order with this client id (HTTP 422, code 40010001)."""


class GuardedSession(requests.Session):
    """A ``requests.Session`` that rate-limits and times out every request it sends.

    Parameters
    ----------
    limiter : RateLimiter
        Shared by every client of the process; one token per HTTP request.
    timeout_s : float
        Connect and read timeout of each request.
    wall_clock : callable, optional
        Epoch seconds (default ``time.time``), to turn ``X-RateLimit-Reset`` into a pause.
    """

    def __init__(
        self, limiter: RateLimiter, timeout_s: float, wall_clock: Callable[[], float] | None = None
    ) -> None:
        super().__init__()
        self.limiter, self.timeout_s = limiter, float(timeout_s)
        self._wall = wall_clock or time.time
        self.responses_429 = 0

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs["timeout"] = (min(self.timeout_s, 5.0), self.timeout_s)
        self.limiter.acquire()
        response = super().request(method, url, *args, **kwargs)
        reset = _reset_in(response.headers.get("X-RateLimit-Reset"), self._wall())
        if response.status_code == 429:
            self.responses_429 += 1
            self.limiter.block_for(reset if reset is not None else 1.0)
        elif response.headers.get("X-RateLimit-Remaining") == "0" and reset is not None:
            self.limiter.block_for(reset)
        return response


def _reset_in(header: str | None, now: float) -> float | None:
    try:
        return min(max(float(header) - now, 0.0), 60.0) if header else None
    except ValueError:
        return None


def guard_client(client: Any, session: GuardedSession) -> Any:
    """Give an alpaca-py REST client *session* and switch its own retries off; return the client."""
    client._session = session
    client._retry = 0  # RESTClient ignores retry_attempts=0; _request's loop then sends exactly once
    return client


def _status(exc: Exception) -> int | None:
    return getattr(exc, "status_code", None)


def _api_code(exc: Exception) -> int | None:
    try:
        return int(json.loads(str(exc)).get("code"))
    except (ValueError, TypeError, AttributeError):
        return None  # APIError.code raises on a non-JSON body


def _api_message(exc: Exception) -> str:
    text = str(exc)
    try:
        return str(json.loads(text).get("message", text))[:300]
    except (ValueError, AttributeError):
        return text[:300]


def _is_duplicate(exc: Exception, message: str) -> bool:
    """422 code 40010001 is Alpaca's generic "invalid request": only its message tells a reused client id."""
    text = message.lower()
    return _api_code(exc) == DUPLICATE_CLIENT_ID_CODE and "client_order_id" in text and "unique" in text


def _not_sent(exc: requests.RequestException) -> bool:
    """True when the request provably never reached the server (refused / connect timeout)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    from urllib3.exceptions import NewConnectionError

    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, NewConnectionError) or isinstance(
        exc.args[0] if exc.args else None, NewConnectionError
    )


def classify(exc: Exception, *, what: str, write: bool) -> BrokerError:
    """The tradeforge error for a failure of *what* (a write: POST/DELETE with effects at the broker)."""
    from alpaca.common.exceptions import APIError

    if isinstance(exc, APIError):
        status, message = _status(exc), _api_message(exc)
        if status == 429:
            return TransientBrokerError(f"{what}: rate limited by Alpaca (HTTP 429): {message}; retry later")
        if status == 422 and _is_duplicate(exc, message):
            return DuplicateClientOrderId(f"{what}: Alpaca already holds this client_order_id (422 {message})")
        if status is not None and status >= 500:
            kind = OrderOutcomeUnknown if write else TransientBrokerError
            return kind(f"{what}: Alpaca answered HTTP {status}: {message}")
        return BrokerError(f"{what}: Alpaca refused the request (HTTP {status}): {message}")
    if isinstance(exc, requests.RequestException):
        if _not_sent(exc) or not write:
            return TransientBrokerError(f"{what}: {type(exc).__name__} talking to Alpaca; retry")
        return OrderOutcomeUnknown(f"{what}: {type(exc).__name__} after sending; the outcome is unknown")
    if isinstance(exc, OSError | TimeoutError):
        kind = OrderOutcomeUnknown if write else TransientBrokerError
        return kind(f"{what}: {type(exc).__name__} talking to Alpaca")
    return BrokerError(f"{what}: unexpected {type(exc).__name__}: {str(exc)[:200]}")


def call[T](
    fn: Callable[..., T],
    *args: Any,
    what: str,
    write: bool = False,
    attempts: int = 3,
    backoff_s: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
    **kwargs: Any,
) -> T:
    """Run one alpaca-py call; retry transient read failures; map failures as the module says.

    A write is attempted once, except after a :class:`~tradeforge.errors.TransientBrokerError` (provably
    not applied) when ``attempts`` allows. ``what`` names the operation in messages.
    """
    from alpaca.common.exceptions import APIError

    for attempt in range(1, max(1, attempts) + 1):
        try:
            return fn(*args, **kwargs)
        except (APIError, requests.RequestException, OSError) as exc:
            error = classify(exc, what=what, write=write)
            retry = type(error) is TransientBrokerError and attempt < attempts
            if not retry:
                raise error from None
            sleep(backoff_s * attempt)
    raise AssertionError("unreachable")  # pragma: no cover
