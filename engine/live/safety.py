"""The opt-ins a real-money session needs, and the guard that keeps a paper session off real money.

``tradeforge live`` trades only when **every** piece is there: ``TRADEFORGE_LIVE=1`` in the environment, the
live keys (``APCA_LIVE_API_KEY_ID`` / ``APCA_LIVE_API_SECRET_KEY``, separate from the paper keys) and the
account number, shown from ``GET /v2/account``, typed back at the prompt. Any piece missing: a
:class:`~tradeforge.errors.ConfigError` that names it (the CLI exits 2). A paper session refuses an Alpaca
real-money trading host and an account whose number is not a paper one (``PA...``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from urllib.parse import urlparse

from tradeforge.errors import ConfigError

from .config import LIVE_TRADING_HOSTS

__all__ = ["LIVE_ENV_FLAG", "missing_live_env", "check_live_env", "confirm_account", "check_paper_target"]

LIVE_ENV_FLAG = "TRADEFORGE_LIVE"
_LIVE_KEYS = ("APCA_LIVE_API_KEY_ID", "APCA_LIVE_API_SECRET_KEY")


def missing_live_env(env: Mapping[str, str]) -> list[str]:
    """The environment pieces a live session lacks (empty when all are set).

    Examples
    --------
    >>> missing_live_env({"TRADEFORGE_LIVE": "1", "APCA_LIVE_API_KEY_ID": "AK"})
    ['APCA_LIVE_API_SECRET_KEY']
    """
    missing = [] if env.get(LIVE_ENV_FLAG, "").strip() == "1" else [f"{LIVE_ENV_FLAG}=1"]
    return missing + [name for name in _LIVE_KEYS if not env.get(name, "").strip()]


def check_live_env(env: Mapping[str, str]) -> None:
    """Refuse a live session whose environment lacks a piece, naming every missing one."""
    missing = missing_live_env(env)
    if missing:
        raise ConfigError(
            f"tradeforge live refused: missing {', '.join(missing)}. Real-money trading needs "
            f"{LIVE_ENV_FLAG}=1, the live keys {_LIVE_KEYS[0]} and {_LIVE_KEYS[1]} (separate from the paper "
            "keys) and the account number typed at the prompt; use `tradeforge paper` to trade without money")


def confirm_account(account_number: str, ask: Callable[[str], str]) -> None:
    """Show *account_number* and require it typed back exactly; refuse otherwise.

    Examples
    --------
    >>> confirm_account("123456789", lambda prompt: "123456789")
    >>> confirm_account("123456789", lambda prompt: "")
    Traceback (most recent call last):
    ...
    tradeforge.errors.ConfigError: tradeforge live refused: the account number was not typed back (got \
nothing); type 123456789 exactly to trade real money on it
    """
    number = str(account_number or "").strip()
    if not number:
        raise ConfigError("tradeforge live refused: the broker returned no account number (GET /v2/account); "
                          "check the live keys")
    try:
        typed = ask(f"LIVE trading with REAL money on account {number}. Type the account number to go on: ")
    except (EOFError, KeyboardInterrupt):
        typed = ""
    typed = str(typed or "").strip()
    if typed != number:
        got = "nothing" if not typed else "a different number"
        raise ConfigError(f"tradeforge live refused: the account number was not typed back (got {got}); "
                          f"type {number} exactly to trade real money on it")


def check_paper_target(base_url: str, account_number: str | None = None) -> None:
    """Refuse a paper session pointed at a real-money trading host or at a non-paper account.

    Examples
    --------
    >>> check_paper_target("https://paper-api.alpaca.markets", "PA1234")
    >>> check_paper_target("https://api.alpaca.markets")
    Traceback (most recent call last):
    ...
    tradeforge.errors.ConfigError: base_url: 'https://api.alpaca.markets' is Alpaca's real-money host; \
tradeforge paper never trades live (unset APCA_API_BASE_URL or use tradeforge live)
    """
    host = (urlparse(base_url).hostname or "").lower()
    if host in LIVE_TRADING_HOSTS:
        raise ConfigError(f"base_url: {base_url!r} is Alpaca's real-money host; tradeforge paper never "
                          "trades live (unset APCA_API_BASE_URL or use tradeforge live)")
    if account_number is not None and not str(account_number).upper().startswith("PA"):
        raise ConfigError("account: the paper keys opened an account whose number is not a paper one "
                          "(PA...); tradeforge paper never trades live: check APCA_API_KEY_ID / "
                          "APCA_API_SECRET_KEY")
