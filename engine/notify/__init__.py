"""Alerts of the trading day: a small notifier interface, a log notifier (default) and Twilio SMS.

Public names: :class:`Notifier` (the protocol), :class:`LogNotifier`, :class:`TwilioNotifier`,
:class:`TwilioConfig`, :data:`ALERT_KINDS`, :data:`SEVERITIES`, :class:`Throttle`, and the SMS length helpers
:func:`fit_sms`, :func:`sms_segments`, :func:`gsm7_length`. Nothing heavy is imported here: twilio is imported
when a :class:`TwilioNotifier` is built.
"""

from .base import ALERT_KINDS, SEVERITIES, Notifier, check_alert
from .console import LogNotifier
from .sms import fit_sms, gsm7_length, sms_segments
from .throttle import Throttle
from .twilio import TwilioConfig, TwilioNotifier

__all__ = ["ALERT_KINDS", "SEVERITIES", "Notifier", "check_alert", "LogNotifier", "TwilioConfig",
           "TwilioNotifier", "Throttle", "fit_sms", "gsm7_length", "sms_segments"]
