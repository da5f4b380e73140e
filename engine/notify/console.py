"""The default notifier: alerts go to the log (and so to the console and the JSON-lines log file)."""

from __future__ import annotations

import logging

from .base import check_alert

__all__ = ["LogNotifier"]

_LEVELS = {"critical": logging.CRITICAL, "warning": logging.WARNING, "summary": logging.INFO}


class LogNotifier:
    """Write every alert as one log record on logger ``tradeforge.notify`` (no throttle: logs are cheap).

    The record carries ``alert_kind`` and ``severity`` as extra fields, so the JSON-lines log has them.

    Examples
    --------
    >>> LogNotifier().send("stale_feed", "warning", "no bar for 3 minutes")
    True
    """

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self._log = logger or logging.getLogger("tradeforge.notify")
        self.sent: int = 0

    def send(self, kind: str, severity: str, text: str) -> bool:
        """Log the alert at the level of its severity; always accepted."""
        check_alert(kind, severity, text)
        self._log.log(_LEVELS[severity], "%s [%s] %s", severity.upper(), kind, text,
                      extra={"alert_kind": kind, "severity": severity})
        self.sent += 1
        return True

    def close(self, timeout_s: float = 5.0) -> None:
        """Nothing to deliver: a no-op."""

    def __repr__(self) -> str:
        return f"LogNotifier(logger={self._log.name!r})"
