"""Connection settings for Alpaca: keys, the four endpoints, feed, timeout and rate limit.

Keys come from the environment (or are passed in) and never appear in ``repr``/``str``. Paper is the
default mode; live keys live in separate variables so that a paper setup can never trade real money.

Examples
--------
>>> cfg = AlpacaConfig(api_key="PKTEST", secret_key="s3cr3t")
>>> cfg.base_url, cfg.data_stream_url
('https://paper-api.alpaca.markets', 'wss://stream.data.alpaca.markets/v2/iex')
>>> "s3cr3t" in repr(cfg) or "PKTEST" in str(cfg)
False
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from tradeforge.errors import ConfigError, unknown_name_error

__all__ = ["AlpacaConfig", "PAPER_KEY_VARS", "LIVE_KEY_VARS", "URL_VARS", "DEFAULT_URLS"]

#: (key id, secret) environment variables per mode; live keys are deliberately separate.
PAPER_KEY_VARS = ("APCA_API_KEY_ID", "APCA_API_SECRET_KEY")
LIVE_KEY_VARS = ("APCA_LIVE_API_KEY_ID", "APCA_LIVE_API_SECRET_KEY")
#: config field -> environment variable read when the field is not given.
URL_VARS = {
    "base_url": "APCA_API_BASE_URL",
    "data_url": "APCA_API_DATA_URL",
    "stream_url": "APCA_API_STREAM_URL",
    "data_stream_url": "APCA_API_DATA_STREAM_URL",
}
#: Alpaca's hosts (alpaca.common.enums.BaseURL); the data stream adds ``/v2/<feed>``.
DEFAULT_URLS = {
    "paper": {
        "base_url": "https://paper-api.alpaca.markets",
        "stream_url": "wss://paper-api.alpaca.markets/stream",
    },
    "live": {"base_url": "https://api.alpaca.markets", "stream_url": "wss://api.alpaca.markets/stream"},
    "data_url": "https://data.alpaca.markets",
    "data_stream_url": "wss://stream.data.alpaca.markets/v2/{feed}",
}
_MODES = ("paper", "live")
_FEEDS = ("iex", "sip")
_PAPER_KEYS_HELP = (
    "create paper keys at https://app.alpaca.markets/paper/dashboard/overview -> API keys "
    "(free, no real money)"
)


def _mask(value: str) -> str:
    return "''" if not value else "'***'"


@dataclass(frozen=True, kw_only=True)
class AlpacaConfig:
    """Everything needed to talk to one Alpaca account (frozen; secrets masked in ``repr``).

    Parameters
    ----------
    mode : {"paper", "live"}
        Paper (the default) or real money.
    api_key, secret_key : str
        The account's keys (required, non-empty).
    base_url, data_url, stream_url, data_stream_url : str
        Trading REST host (``http[s]://host[:port]``, alpaca-py adds ``/v2``), market-data REST host,
        trading websocket URL and market-data websocket URL. Empty: Alpaca's host for *mode*/*feed*.
    feed : {"iex", "sip"}
        Market-data feed (``sip`` needs a paid subscription).
    timeout_s : float
        Socket timeout of every REST call (connect and read), seconds in (0, 300].
    rate_limit_per_minute : int
        REST calls allowed per rolling minute for this process (Alpaca's limit is 200), in [1, 10000].
    """

    mode: str = "paper"
    api_key: str = field(default="", repr=False)
    secret_key: str = field(default="", repr=False)
    base_url: str = ""
    data_url: str = ""
    stream_url: str = ""
    data_stream_url: str = ""
    feed: str = "iex"
    timeout_s: float = 10.0
    rate_limit_per_minute: int = 190

    def __post_init__(self) -> None:
        if self.mode not in _MODES:
            raise unknown_name_error("mode", str(self.mode), _MODES)
        if self.feed not in _FEEDS:
            raise unknown_name_error("feed", str(self.feed), _FEEDS)
        for name in ("api_key", "secret_key"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name):
                raise ConfigError(f"{name}: missing for {self.mode} trading; {_key_help(self.mode)}")
        timeout = self.timeout_s
        if (
            isinstance(timeout, bool)
            or not isinstance(timeout, int | float)
            or not math.isfinite(timeout)
            or not 0 < timeout <= 300
        ):
            raise ConfigError(f"timeout_s: expected seconds in (0, 300], got {timeout!r}; e.g. 10")
        rate = self.rate_limit_per_minute
        if isinstance(rate, bool) or not isinstance(rate, int) or not 1 <= rate <= 10_000:
            raise ConfigError(
                f"rate_limit_per_minute: expected an integer in [1, 10000], got {rate!r}; "
                "Alpaca allows 200, keep a margin (default 190)"
            )
        defaults = self.default_urls(self.mode, self.feed)
        for name in URL_VARS:
            value = getattr(self, name) or defaults[name]
            if not isinstance(value, str) or "://" not in value:
                raise ConfigError(f"{name}: expected a URL like {defaults[name]!r}, got {value!r}")
            object.__setattr__(self, name, value.rstrip("/"))

    @staticmethod
    def default_urls(mode: str, feed: str = "iex") -> dict[str, str]:
        """Alpaca's own endpoints for *mode* and *feed* (what alpaca-py uses without ``url_override``)."""
        return {
            **DEFAULT_URLS[mode],
            "data_url": DEFAULT_URLS["data_url"],
            "data_stream_url": DEFAULT_URLS["data_stream_url"].format(feed=feed),
        }

    @property
    def paper(self) -> bool:
        """True for paper trading."""
        return self.mode == "paper"

    def __repr__(self) -> str:
        shown = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in fields(self) if f.repr)
        return f"AlpacaConfig({shown}, api_key={_mask(self.api_key)}, secret_key={_mask(self.secret_key)})"

    __str__ = __repr__

    def secrets(self) -> tuple[str, str]:
        """The (key id, secret) pair, for handing to alpaca-py; never log the result."""
        return self.api_key, self.secret_key

    @classmethod
    def from_env(
        cls, mode: str = "paper", *, env: Mapping[str, str] | None = None, **overrides: Any
    ) -> AlpacaConfig:
        """Build a config from the environment; *overrides* (non-None, e.g. CLI options) win.

        Keys: ``APCA_API_KEY_ID``/``APCA_API_SECRET_KEY`` (paper) or ``APCA_LIVE_API_KEY_ID``/
        ``APCA_LIVE_API_SECRET_KEY`` (live). URLs: ``APCA_API_BASE_URL``, ``APCA_API_DATA_URL``,
        ``APCA_API_STREAM_URL``, ``APCA_API_DATA_STREAM_URL``, else Alpaca's hosts for *mode*.

        Raises
        ------
        ConfigError
            Missing keys (naming the variables and how to get paper keys), an unknown override, a bad
            mode, feed, URL, timeout or rate.

        Examples
        --------
        >>> env = {"APCA_API_KEY_ID": "PK1", "APCA_API_SECRET_KEY": "x", "APCA_API_BASE_URL": "http://h:1"}
        >>> AlpacaConfig.from_env("paper", env=env, timeout_s=3).base_url
        'http://h:1'
        """
        env = os.environ if env is None else env
        known = {f.name for f in fields(cls)} - {"mode"}
        for name in overrides:
            if name not in known:
                raise unknown_name_error("AlpacaConfig option", name, known)
        if mode not in _MODES:
            raise unknown_name_error("mode", str(mode), _MODES)
        key_var, secret_var = PAPER_KEY_VARS if mode == "paper" else LIVE_KEY_VARS
        values: dict[str, Any] = {"api_key": env.get(key_var, ""), "secret_key": env.get(secret_var, "")}
        for name, var in URL_VARS.items():
            values[name] = env.get(var, "")
        values.update({k: v for k, v in overrides.items() if v is not None})
        missing = [
            var for var, name in ((key_var, "api_key"), (secret_var, "secret_key")) if not values[name]
        ]
        if missing:
            raise ConfigError(
                f"{' and '.join(missing)}: not set; {mode} trading needs {key_var} and "
                f"{secret_var} in the environment; {_key_help(mode)}"
            )
        return cls(mode=mode, **values)

    def with_overrides(self, **changes: Any) -> AlpacaConfig:
        """A copy with *changes* applied (validated again)."""
        return replace(self, **changes)


def _key_help(mode: str) -> str:
    if mode == "paper":
        return f"{_PAPER_KEYS_HELP}, then export {PAPER_KEY_VARS[0]} and {PAPER_KEY_VARS[1]}"
    return (
        f"live keys come from https://app.alpaca.markets (live account -> API keys) and go in "
        f"{LIVE_KEY_VARS[0]} and {LIVE_KEY_VARS[1]}; to try without money, {_PAPER_KEYS_HELP}"
    )
