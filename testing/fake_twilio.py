"""A fake Twilio REST server on 127.0.0.1 for the real ``twilio`` client, with fault injection.

It serves ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json`` (form-encoded ``To``, ``From``, ``Body``)
with HTTP basic auth, answers 201 with a Message resource in status ``queued``, and answers errors with the
bodies Twilio sends: the legacy shape ``{"code", "message", "more_info", "status"}`` (the client raises
``TwilioRestException``) or an RFC-9457 problem ``{"type", "title", "status", "code", "detail"}`` (the
client raises ``TwilioServiceException``).

Point a client at it with ``client.api.base_url = fake.base_url`` (what
:class:`tradeforge.engine.notify.TwilioConfig` ``api_url`` does).

Examples
--------
>>> with FakeTwilio(account_sid="AC" + "1" * 32, auth_token="t") as fake:   # doctest: +SKIP
...     fake.fault("429", count=2)           # the next two POSTs answer 429 / code 20429
...     fake.fault("hang", count=1)          # the next POST never answers (until stop)
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

__all__ = ["FakeTwilio", "FAULT_KINDS"]

FAULT_KINDS = ("429", "429_rfc9457", "500", "503", "503_rfc9457", "slow", "hang")
_ERRORS = {
    429: (20429, "Too Many Requests"),
    500: (20500, "Internal Server Error"),
    503: (20503, "Service Unavailable"),
    401: (20003, "Authenticate"),
    404: (20404, "The requested resource was not found"),
    400: (21604, "A 'To' phone number is required."),
}


class FakeTwilio:
    """In-process fake of Twilio's Messages API; start/stop it, or use it as a context manager.

    Attributes
    ----------
    messages : list of dict
        Accepted messages (``sid``, ``to``, ``from``, ``body``, ``at``), in order.
    requests : list of dict
        Every request: ``method``, ``path``, ``status``, ``fault`` (the fault it got, or None), ``at``.
    """

    def __init__(self, account_sid: str = "AC" + "0" * 32, auth_token: str = "fake-token",
                 slow_s: float = 2.0) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.slow_s = slow_s
        self.messages: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        self._faults: list[str] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle
    def start(self) -> FakeTwilio:
        """Listen on a free port of 127.0.0.1 and serve on a background thread."""
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-twilio", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Release hung requests, stop serving and close the socket."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeTwilio:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``: the value for ``client.api.base_url``."""
        if self._server is None:
            raise RuntimeError("FakeTwilio is not started: call start() or use it as a context manager")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # ---- faults
    def fault(self, kind: str, count: int = 1) -> None:
        """Give the next *count* message POSTs fault *kind* (one of :data:`FAULT_KINDS`)."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"fault kind {kind!r}: expected one of {', '.join(FAULT_KINDS)}")
        with self._lock:
            self._faults.extend([kind] * count)

    def _next_fault(self) -> str | None:
        with self._lock:
            return self._faults.pop(0) if self._faults else None

    def _record(self, method: str, path: str, status: int, fault: str | None) -> None:
        with self._lock:
            self.requests.append({"method": method, "path": path, "status": status, "fault": fault,
                                  "at": time.monotonic()})


def _legacy_error(status: int) -> dict[str, Any]:
    code, message = _ERRORS[status]
    return {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status}


def _problem(status: int) -> dict[str, Any]:
    code, title = _ERRORS[status]
    return {"type": f"https://www.twilio.com/docs/api/errors/{code}", "title": title, "status": status,
            "code": code, "detail": f"{title} (fake Twilio)", "instance": f"/errors/{uuid.uuid4().hex}"}


class _Handler(BaseHTTPRequestHandler):
    fake: FakeTwilio
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _reply(self, status: int, payload: dict[str, Any], content_type: str = "application/json") -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _authorized(self) -> bool:
        expected = base64.b64encode(f"{self.fake.account_sid}:{self.fake.auth_token}".encode()).decode()
        return self.headers.get("Authorization", "") == f"Basic {expected}"

    def do_GET(self) -> None:
        self.fake._record("GET", self.path, 404, None)
        self._reply(404, _legacy_error(404))

    def do_POST(self) -> None:
        fake = self.fake
        length = int(self.headers.get("Content-Length", 0) or 0)
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        expected_path = f"/2010-04-01/Accounts/{fake.account_sid}/Messages.json"
        if self.path.split("?")[0] != expected_path:
            fake._record("POST", self.path, 404, None)
            return self._reply(404, _legacy_error(404))
        if not self._authorized():
            fake._record("POST", self.path, 401, None)
            return self._reply(401, _legacy_error(401))
        fault = fake._next_fault()
        if fault == "hang":
            fake._record("POST", self.path, 0, fault)
            fake._stopping.wait(300)
            return
        if fault == "slow":
            fake._stopping.wait(fake.slow_s)
        elif fault is not None:
            status = int(fault.split("_")[0])
            fake._record("POST", self.path, status, fault)
            if fault.endswith("rfc9457"):
                return self._reply(status, _problem(status), "application/problem+json")
            return self._reply(status, _legacy_error(status))
        if not form.get("To") or not form.get("Body"):
            fake._record("POST", self.path, 400, fault)
            return self._reply(400, _legacy_error(400))
        self._accept(form, fault)

    def _accept(self, form: dict[str, str], fault: str | None) -> None:
        fake = self.fake
        now = datetime.now(UTC)
        sid = "SM" + uuid.uuid4().hex
        message = {"sid": sid, "account_sid": fake.account_sid, "to": form["To"], "from": form.get("From"),
                   "body": form["Body"], "status": "queued", "num_segments": "1", "num_media": "0",
                   "direction": "outbound-api", "api_version": "2010-04-01", "price": None,
                   "price_unit": "USD", "error_code": None, "error_message": None,
                   "date_created": format_datetime(now), "date_updated": format_datetime(now),
                   "date_sent": None, "messaging_service_sid": None,
                   "uri": f"/2010-04-01/Accounts/{fake.account_sid}/Messages/{sid}.json",
                   "subresource_uris": {}}
        with fake._lock:
            fake.messages.append({"sid": sid, "to": form["To"], "from": form.get("From"),
                                  "body": form["Body"], "at": now})
        fake._record("POST", self.path, 201, fault)
        self._reply(201, message)
