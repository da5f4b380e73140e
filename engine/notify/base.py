"""The notifier contract: alert kinds, their severities, and the interface every notifier implements.

A notifier takes ``send(kind, severity, text)`` and returns at once: it never blocks the caller (the
trading loop). ``kind`` names what happened (one of :data:`ALERT_KINDS`, e.g. ``"kill_switch"``); the
throttle (at most one message per kind per interval) is keyed on it. ``severity`` is one of the three
severities of the trading day: ``critical`` (at once: kill switch, runner stopped, broker unreachable,
reconciliation mismatch), ``warning`` (confidence drift, stale feed, retrain rejected) and ``summary`` (the
16:30 ET daily summary).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from tradeforge.errors import ConfigError, unknown_name_error

__all__ = ["SEVERITIES", "ALERT_KINDS", "Notifier", "check_alert"]

SEVERITIES: tuple[str, ...] = ("critical", "warning", "summary")

#: alert kind -> its usual severity (a caller may still send a kind with another severity)
ALERT_KINDS: dict[str, str] = {
    "kill_switch": "critical",
    "runner_stopped": "critical",
    "broker_unreachable": "critical",
    "reconciliation_mismatch": "critical",
    "confidence_drift": "warning",
    "stale_feed": "warning",
    "retrain_rejected": "warning",
    "job_skipped": "warning",
    "daily_summary": "summary",
}


def check_alert(kind: str, severity: str, text: str) -> None:
    """Raise :class:`~tradeforge.errors.ConfigError` unless *kind*, *severity* and *text* are valid.

    Examples
    --------
    >>> check_alert("kill_switch", "critical", "kill switch tripped")
    """
    if kind not in ALERT_KINDS:
        raise unknown_name_error("alert kind", kind, ALERT_KINDS)
    if severity not in SEVERITIES:
        raise unknown_name_error("alert severity", severity, SEVERITIES)
    if not isinstance(text, str) or not text.strip():
        raise ConfigError(f"alert text: got {text!r}; expected a non-empty string. Pass the message to send.")


@runtime_checkable
class Notifier(Protocol):
    """What the scheduler and the live runner need from a notifier.

    ``send`` returns ``True`` when the message was accepted (queued or written), ``False`` when it was
    throttled, over the daily cap or dropped (each case is logged); it never blocks on the network and never
    raises for delivery problems. ``close`` delivers what it can within *timeout_s* seconds and stops.
    """

    def send(self, kind: str, severity: str, text: str) -> bool: ...

    def close(self, timeout_s: float = 5.0) -> None: ...
