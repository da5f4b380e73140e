"""Structured logs: one JSON object per line, carrying the run id, the job and job id, and order ids.

:func:`job_context` sets the current job for every record logged inside it (by the dispatcher, the live
runner, the broker adapter), through a context variable; a record's own ``extra`` fields (``order_id``,
``client_order_id``, ``alert_kind``, ...) are written too.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["JsonLinesFormatter", "job_context", "configure_json_logs"]

_JOB: contextvars.ContextVar[tuple[str, str] | None] = contextvars.ContextVar("tradeforge_job", default=None)
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


@contextlib.contextmanager
def job_context(job: str, job_id: str) -> Iterator[None]:
    """Within the block, every log record carries ``job`` and ``job_id``."""
    token = _JOB.set((job, job_id))
    try:
        yield
    finally:
        _JOB.reset(token)


def _jsonable(value: Any) -> Any:
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return str(value)


class JsonLinesFormatter(logging.Formatter):
    """One JSON line per record: ``ts``, ``level``, ``logger``, ``msg``, ``run_id``, job fields, extras.

    Examples
    --------
    >>> rec = logging.makeLogRecord({"msg": "order %s sent", "args": ("o1",), "order_id": "o1"})
    >>> json.loads(JsonLinesFormatter("run-1").format(rec))["order_id"]
    'o1'
    """

    def __init__(self, run_id: str) -> None:
        super().__init__()
        self.run_id = run_id

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname, "logger": record.name, "msg": record.getMessage(),
            "run_id": self.run_id,
        }
        current = _JOB.get()
        if current is not None:
            out["job"], out["job_id"] = current
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                out[key] = _jsonable(value)
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


def configure_json_logs(path: str | Path, run_id: str, level: int = logging.INFO) -> logging.Handler:
    """Append JSON lines for the ``tradeforge`` loggers to *path*; returns the handler (remove it to stop)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(JsonLinesFormatter(run_id))
    handler.setLevel(level)
    root = logging.getLogger("tradeforge")
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > level:
        root.setLevel(level)
    return handler
