"""SMS length rules and the log notifier."""

from __future__ import annotations

import logging

from tradeforge.engine.notify import LogNotifier, Notifier, fit_sms, gsm7_length, sms_segments


def test_gsm7_counting_and_segments():
    assert gsm7_length("abc") == 3 and gsm7_length("€") == 2 and gsm7_length("✓") is None
    assert [sms_segments("a" * n) for n in (1, 160, 161, 306, 307)] == [1, 1, 2, 2, 3]
    assert sms_segments("✓" * 70) == 1 and sms_segments("✓" * 71) == 2


def test_fit_sms_keeps_short_texts_and_cuts_long_ones_to_two_segments():
    assert fit_sms("P&L today +1.20") == "P&L today +1.20"
    assert fit_sms("up ↑") == "up ?"
    long = fit_sms("[" * 200)
    assert gsm7_length(long) <= 306 and long.endswith("...") and sms_segments(long) == 2
    assert sms_segments(fit_sms("x" * 1000, max_segments=1)) == 1


def test_log_notifier_logs_by_severity(caplog):
    caplog.set_level(logging.INFO)
    n = LogNotifier()
    assert isinstance(n, Notifier)
    assert n.send("kill_switch", "critical", "tripped") and n.send("daily_summary", "summary", "P&L +1")
    levels = [(r.levelno, r.alert_kind) for r in caplog.records if r.name == "tradeforge.notify"]
    assert levels == [(logging.CRITICAL, "kill_switch"), (logging.INFO, "daily_summary")]
