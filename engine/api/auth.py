"""Who may call the API: a bearer token from the environment, or nobody but this machine.

With a token (``TRADEFORGE_API_TOKEN``, at least 16 characters), every route but ``/health`` needs it, as
``Authorization: Bearer <token>`` or as the ``tradeforge_session`` cookie (an HMAC of the token) that
the page's login sets (HttpOnly, SameSite=Strict). Without a token the server binds to 127.0.0.1 only
and accepts only local ``Host`` headers (no DNS rebinding). Requests that change something (POST) must
also carry ``X-Requested-With: tradeforge`` unless they authenticate with the bearer header, so that no
other web page can make a browser send an order (a cross-site form cannot set that header). Tokens are
compared in constant time and never logged, echoed or stored.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Mapping

from tradeforge.errors import ConfigError

__all__ = ["TOKEN_ENV", "COOKIE", "CSRF_HEADER", "LOCAL_HOSTS", "token_from_env", "check_bind", "authorized",
           "session_value", "check_token", "CSRF_VALUE"]

TOKEN_ENV = "TRADEFORGE_API_TOKEN"
COOKIE = "tradeforge_session"
CSRF_HEADER = "x-requested-with"
CSRF_VALUE = "tradeforge"
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
_MIN_LEN = 16


def token_from_env(env: Mapping[str, str] | None = None) -> str | None:
    """The API token from ``TRADEFORGE_API_TOKEN`` (None when unset or empty).

    Raises
    ------
    ConfigError
        A token shorter than 16 characters (the message never contains it).
    """
    token = (os.environ if env is None else env).get(TOKEN_ENV, "").strip()
    if not token:
        return None
    check_token(token)
    return token


def check_token(token: str) -> str:
    """*token* if it is long enough, else :class:`ConfigError` (without the token in the message)."""
    if not isinstance(token, str) or len(token) < _MIN_LEN:
        raise ConfigError(f"{TOKEN_ENV}: expected at least {_MIN_LEN} characters, got {len(token or '')}; "
                          "e.g. export TRADEFORGE_API_TOKEN=$(python -c 'import secrets; "
                          "print(secrets.token_urlsafe(32))')")
    return token


def check_bind(host: str, token: str | None) -> None:
    """Refuse to listen on anything but 127.0.0.1 without a token.

    Raises
    ------
    ConfigError
        ``host`` is not 127.0.0.1 and no token is set.
    """
    if token is None and host != "127.0.0.1":
        raise ConfigError(f"--host: {host!r} without a token would expose the API; bind to 127.0.0.1 or set "
                          f"{TOKEN_ENV} (16+ characters) to protect every route but /health")


def authorized(token: str | None, *, header: str | None, cookie: str | None) -> str | None:
    """How the request authenticated: ``"open"`` (no token set), ``"bearer"``, ``"cookie"``, or None."""
    if token is None:
        return "open"
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), token.encode()):
            return "bearer"
    if cookie and hmac.compare_digest(cookie.encode(), session_value(token).encode()):
        return "cookie"
    return None


def session_value(token: str) -> str:
    """The page's session cookie for *token*: an HMAC of it, so that the cookie never holds the token."""
    return hmac.new(token.encode(), b"tradeforge-session-v1", "sha256").hexdigest()
