"""SMS length rules: GSM-7 character counting, segments, and fitting a text into N segments.

A GSM-7 message holds 160 characters in one segment and 153 per segment when concatenated (so two segments
hold 306); the characters of the GSM extension table (``^{}\\[~]|€``) count twice. A text with any character
outside GSM-7 is sent as UCS-2: 70 characters in one segment, 67 per concatenated segment.
"""

from __future__ import annotations

__all__ = ["gsm7_length", "sms_segments", "fit_sms"]

_GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENDED = set("^{}\\[~]|€\f")


def gsm7_length(text: str) -> int | None:
    """Septets *text* takes in GSM-7, or ``None`` when it needs UCS-2.

    Examples
    --------
    >>> gsm7_length("P&L +1.5%"), gsm7_length("[x]"), gsm7_length("P&L ↑")
    (9, 5, None)
    """
    n = 0
    for ch in text:
        if ch in _GSM7_BASIC:
            n += 1
        elif ch in _GSM7_EXTENDED:
            n += 2
        else:
            return None
    return n


def sms_segments(text: str) -> int:
    """Number of SMS segments *text* is sent as.

    Examples
    --------
    >>> sms_segments("x" * 160), sms_segments("x" * 161), sms_segments("x" * 306), sms_segments("x" * 307)
    (1, 2, 2, 3)
    """
    septets = gsm7_length(text)
    if septets is None:
        units = len(text.encode("utf-16-le")) // 2
        return 1 if units <= 70 else -(-units // 67)
    return 1 if septets <= 160 else -(-septets // 153)


def fit_sms(text: str, max_segments: int = 2) -> str:
    """Return *text*, or its GSM-7 form shortened with ``...``, so that it fits *max_segments* segments.

    Characters outside GSM-7 are replaced with ``?`` first (a single one would otherwise halve the room).

    Examples
    --------
    >>> len(fit_sms("y" * 400)), fit_sms("y" * 400).endswith("...")
    (306, True)
    """
    clean = "".join(ch if ch in _GSM7_BASIC or ch in _GSM7_EXTENDED else "?" for ch in text)
    room = 160 if max_segments == 1 else 153 * max_segments
    if gsm7_length(clean) <= room:
        return clean
    out, used = [], 0
    for ch in clean:
        cost = 2 if ch in _GSM7_EXTENDED else 1
        if used + cost > room - 3:
            break
        out.append(ch)
        used += cost
    return "".join(out).rstrip() + "..."
