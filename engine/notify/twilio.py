"""SMS alerts through Twilio, sent from a queue by one worker thread; the caller never waits.

Twilio's Python client sets no timeout and does not retry; this notifier gives its HTTP client a timeout,
retries 429 (code 20429) and 5xx answers, timeouts and connection errors with exponential backoff, and
drops other errors (bad number, bad credentials) after one log line. A retried timeout may in rare cases send
the same SMS twice: for alerts a duplicate is harmless, a lost kill-switch alert is not. Both error shapes
the client raises are handled: ``TwilioRestException`` (legacy bodies) and ``TwilioServiceException``
(RFC-9457 problem bodies).

Admission (see :class:`~tradeforge.engine.notify.throttle.Throttle`) happens in ``send``: at most one
message per alert kind per ``min_interval_s`` and at most ``daily_cap`` a day. Credentials come from the
environment (``TWILIO_ACCOUNT_SID``, ``TWILIO_AUTH_TOKEN``, ``TWILIO_FROM``, ``TWILIO_TO``); they never
appear in logs, reprs or exceptions (Twilio's own request logging is silenced, because its URLs carry the
account SID, and errors are logged by status and code only).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from tradeforge.errors import ConfigError

from .base import check_alert
from .sms import fit_sms
from .throttle import Throttle

__all__ = ["TwilioConfig", "TwilioNotifier", "TWILIO_ENV"]

TWILIO_ENV = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM", "TWILIO_TO")
_log = logging.getLogger("tradeforge.notify.twilio")
# Twilio's HTTP client logs every request URL (it contains the account SID) and the response headers at INFO
_quiet = logging.getLogger("tradeforge.notify.twilio.http")
_quiet.setLevel(logging.WARNING)
_STOP = object()


def _mask(value: str, keep: int = 4) -> str:
    return "***" + value[-keep:] if len(value) > 2 * keep else "***"


@dataclasses.dataclass(frozen=True, kw_only=True)
class TwilioConfig:
    """Twilio credentials and numbers; ``repr`` masks all of them.

    ``api_url`` replaces Twilio's API host (a proxy, or a fake server in tests); when it is set,
    ``TWILIO_EDGE`` / ``TWILIO_REGION`` are ignored (they would rewrite the host).
    """

    account_sid: str = dataclasses.field(repr=False)
    auth_token: str = dataclasses.field(repr=False)
    from_number: str = dataclasses.field(repr=False)
    to_number: str = dataclasses.field(repr=False)
    api_url: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, api_url: str | None = None) -> TwilioConfig:
        """Read the four ``TWILIO_*`` variables; a missing one raises :class:`ConfigError` naming it."""
        env = os.environ if environ is None else environ
        missing = [name for name in TWILIO_ENV if not env.get(name)]
        if missing:
            raise ConfigError(f"Twilio SMS alerts: environment variable(s) {', '.join(missing)} not set; "
                              f"expected all of {', '.join(TWILIO_ENV)}. Set them (from the Twilio console) "
                              "or use the console notifier (--notify console).")
        return cls(account_sid=env["TWILIO_ACCOUNT_SID"], auth_token=env["TWILIO_AUTH_TOKEN"],
                   from_number=env["TWILIO_FROM"], to_number=env["TWILIO_TO"], api_url=api_url)

    def __repr__(self) -> str:
        return (f"TwilioConfig(account_sid='***', auth_token='***', from_number='{_mask(self.from_number)}', "
                f"to_number='{_mask(self.to_number)}', api_url={self.api_url!r})")

    __str__ = __repr__


def _describe(exc: BaseException, timeout_s: float) -> tuple[bool, str]:
    """(retryable, a description without URL or credentials) for an exception of a send attempt."""
    import requests
    from twilio.base.exceptions import TwilioRestException, TwilioServiceException

    if isinstance(exc, TwilioRestException | TwilioServiceException):
        status = int(getattr(exc, "status", 0) or 0)
        code = getattr(exc, "code", None)
        retry = status == 429 or code == 20429 or status >= 500
        return retry, f"HTTP {status} code {code} ({type(exc).__name__})"
    if isinstance(exc, requests.Timeout):
        return True, f"no answer within {timeout_s:g} s ({type(exc).__name__})"
    if isinstance(exc, requests.ConnectionError):
        return True, f"connection failed ({type(exc).__name__})"
    return False, f"unexpected {type(exc).__name__}"


class TwilioNotifier:
    """Send alerts as SMS through the real ``twilio`` client, from a queue, on a worker thread.

    Parameters
    ----------
    config : TwilioConfig
        Credentials and numbers (:meth:`TwilioConfig.from_env`).
    min_interval_s, daily_cap, critical_reserve : float, int, int
        At most one message per alert kind per *min_interval_s* seconds, at most *daily_cap* a day, of
        which the last *critical_reserve* only for critical alerts.
    timeout_s : float
        Connect and read timeout of each HTTP request.
    max_attempts : int
        Attempts per message (the first included) on retryable failures.
    backoff_s, max_backoff_s : float
        Wait before retry *n* is ``min(backoff_s * 2 ** (n - 1), max_backoff_s)``.
    queue_size : int
        Messages waiting at most; a message beyond it is dropped with a log line.
    clock : callable, optional
        Returns the current aware ``datetime`` (throttle and daily cap).

    Notes
    -----
    ``send`` validates, admits and enqueues, and returns at once. ``flush`` waits for the queue to empty
    (tests), ``close`` delivers what it can within its timeout. The worker is a daemon thread, so a hung
    request never keeps the process alive. Counters are in :attr:`stats`.
    """

    def __init__(self, config: TwilioConfig, *, min_interval_s: float = 900.0, daily_cap: int = 30,
                 critical_reserve: int | None = None,
                 timeout_s: float = 10.0, max_attempts: int = 4, backoff_s: float = 2.0,
                 max_backoff_s: float = 60.0, queue_size: int = 100,
                 clock: Callable[[], datetime] | None = None) -> None:
        if not timeout_s > 0:
            raise ConfigError(f"timeout_s: got {timeout_s!r}; expected seconds > 0 "
                              "(Twilio's client has none).")
        if not isinstance(max_attempts, int) or max_attempts < 1:
            raise ConfigError(f"max_attempts: got {max_attempts!r}; expected an integer >= 1.")
        self.config = config
        self.timeout_s = float(timeout_s)
        self.max_attempts = max_attempts
        self.backoff_s = float(backoff_s)
        self.max_backoff_s = float(max_backoff_s)
        self._throttle = Throttle(min_interval_s, daily_cap, clock, critical_reserve)
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=queue_size)
        self._abort = threading.Event()
        self._pending = 0
        self._idle = threading.Condition()
        self.stats = {"queued": 0, "sent": 0, "failed": 0, "retries": 0, "throttled": 0, "capped": 0,
                      "dropped": 0}
        self.sent_sids: list[str] = []
        self._client = self._make_client()
        self._worker = threading.Thread(target=self._run, name="twilio-notifier", daemon=True)
        self._worker.start()

    def _make_client(self) -> Any:
        from twilio.http.http_client import TwilioHttpClient
        from twilio.rest import Client

        http = TwilioHttpClient(timeout=self.timeout_s, logger=_quiet)
        cfg = self.config
        # environment={} : credentials are passed explicitly; TWILIO_EDGE/REGION only without api_url
        edge = None if cfg.api_url else os.environ.get("TWILIO_EDGE")
        region = None if cfg.api_url else os.environ.get("TWILIO_REGION")
        client = Client(cfg.account_sid, cfg.auth_token, http_client=http, environment={}, edge=edge,
                        region=region)
        if cfg.api_url:
            client.api.base_url = cfg.api_url.rstrip("/")
        return client

    def send(self, kind: str, severity: str, text: str) -> bool:
        """Admit and enqueue one SMS; ``False`` (logged) when throttled, capped or the queue is full."""
        check_alert(kind, severity, text)
        reason = self._throttle.admit(kind, severity)
        if reason is not None:
            self.stats["capped" if reason.startswith("daily cap") else "throttled"] += 1
            _log.info("sms not sent (%s): %s", kind, reason, extra={"alert_kind": kind, "severity": severity})
            return False
        body = fit_sms(f"tradeforge {severity.upper()}: {text}")
        with self._idle:
            self._pending += 1
        try:
            self._queue.put_nowait((kind, severity, body))
        except queue.Full:
            self._done()
            self.stats["dropped"] += 1
            _log.error("sms dropped (%s): queue full (%d waiting)", kind, self._queue.qsize(),
                       extra={"alert_kind": kind, "severity": severity})
            return False
        self.stats["queued"] += 1
        return True

    def _done(self) -> None:
        with self._idle:
            self._pending -= 1
            self._idle.notify_all()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            try:
                if not self._abort.is_set():
                    self._deliver(*item)
            except Exception as exc:  # never let the worker die: alerts must keep flowing
                self.stats["failed"] += 1
                _log.error("sms worker error (%s)", type(exc).__name__)
            finally:
                self._done()

    def _deliver(self, kind: str, severity: str, body: str) -> None:
        extra = {"alert_kind": kind, "severity": severity}
        for attempt in range(1, self.max_attempts + 1):
            try:
                msg = self._client.messages.create(to=self.config.to_number, from_=self.config.from_number,
                                                   body=body)
            except Exception as exc:
                retry, what = _describe(exc, self.timeout_s)
                if not retry or attempt == self.max_attempts:
                    self.stats["failed"] += 1
                    _log.error("sms failed (%s) after %d attempt(s): %s", kind, attempt, what, extra=extra)
                    return
                delay = min(self.backoff_s * 2 ** (attempt - 1), self.max_backoff_s)
                self.stats["retries"] += 1
                _log.warning("sms attempt %d/%d failed (%s): %s; retrying in %.1f s", attempt,
                             self.max_attempts, kind, what, delay, extra=extra)
                if self._abort.wait(delay):
                    self.stats["failed"] += 1
                    return
                continue
            self.stats["sent"] += 1
            self.sent_sids.append(str(msg.sid))
            _log.info("sms queued at Twilio (%s): sid %s, %d chars", kind, msg.sid, len(body), extra=extra)
            return

    def flush(self, timeout_s: float = 10.0) -> bool:
        """Wait until every accepted message is delivered or failed; ``False`` on timeout."""
        deadline = time.monotonic() + timeout_s
        with self._idle:
            while self._pending > 0:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
        return True

    def close(self, timeout_s: float = 5.0) -> None:
        """Deliver what can be delivered within *timeout_s*, then stop the worker (what is left is logged)."""
        delivered = self.flush(timeout_s)
        self._abort.set()
        try:
            self._queue.put_nowait(_STOP)
        except queue.Full:
            pass
        if not delivered:
            _log.error("sms notifier closed with %d message(s) not delivered", self._pending)

    def __repr__(self) -> str:
        return (f"TwilioNotifier(config={self.config!r}, timeout_s={self.timeout_s:g}, "
                f"max_attempts={self.max_attempts})")
