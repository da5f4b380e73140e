"""``LiveConfig``: what a paper or live session runs (frozen, keyword-only, paper by default).

No secret is ever held here: the keys stay in the environment and are read by
:meth:`tradeforge.brokers.alpaca.AlpacaConfig.from_env` when the session starts. The four endpoint URLs
are optional overrides (else the ``APCA_*`` variables, else Alpaca's hosts for the mode).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tradeforge.errors import ConfigError, did_you_mean

__all__ = ["LiveConfig", "MODES", "LIVE_TRADING_HOSTS"]

MODES = ("paper", "live")
#: Trading REST hosts of real-money accounts: a paper session refuses to send orders there.
LIVE_TRADING_HOSTS = ("api.alpaca.markets",)
_TIMEFRAMES = ("1m", "5m", "30m", "1h", "6h", "1d")  # = tradeforge.timeframes.TIMEFRAMES (no pandas here)


def _check_int(name: str, value: Any, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ConfigError(f"{name}: expected an integer >= {low}, got {value!r}")


@dataclass(frozen=True, kw_only=True)
class LiveConfig:
    """One paper/live trading session.

    Attributes
    ----------
    mode : {"paper", "live"}
        ``"paper"`` (default) never sends an order to a real-money account.
    strategy : str
        Built-in name, entry point or ``package.module:Class`` (as for a backtest).
    symbols : tuple of str
        Symbols to trade (one data feed each).
    timeframe : str
        Bar size (``1m 5m 30m 1h 6h 1d``).
    params : mapping
        Strategy parameters (strings are coerced like ``--param k=v``).
    model, registry : str
        ``ml`` only: model version (None: the newest) and registry folder.
    db, journal_root : str
        Journal URL (None: one SQLite file per account and mode under *journal_root*).
    backfill : int, optional
        History bars loaded before trading (None: the strategy's warm-up).
    flatten_on_exit : bool
        On stop, cancel every open order and close every position (else they are left as they are).
    max_open_positions, max_position_pct, max_drawdown, daily_loss_limit
        The pre-trade gate and the persisted kill switch / daily loss limit (any strategy).
    base_url, data_url, stream_url, data_stream_url : str, optional
        Endpoint overrides (else ``APCA_API_BASE_URL`` ... , else Alpaca's hosts by mode).
    feed : str
        Market-data feed (``iex`` or ``sip``).
    json_status : bool
        Status lines as JSON objects (one per line) instead of text.
    """

    mode: str = "paper"
    strategy: str = "sma_cross"
    symbols: tuple[str, ...] = ()
    timeframe: str = "1m"
    params: Mapping[str, Any] = field(default_factory=dict)
    model: str | None = None
    registry: str = "runs/registry"
    db: str | None = None
    journal_root: str = "runs/journal"
    backfill: int | None = None
    flatten_on_exit: bool = False
    max_open_positions: int = 10
    max_position_pct: float = 1.0
    max_drawdown: float = 0.2
    daily_loss_limit: float = 0.03
    base_url: str | None = None
    data_url: str | None = None
    stream_url: str | None = None
    data_stream_url: str | None = None
    feed: str = "iex"
    json_status: bool = False

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ConfigError(f"mode: expected 'paper' or 'live', got {self.mode!r}; paper is the default")
        symbols = (self.symbols,) if isinstance(self.symbols, str) else tuple(self.symbols)
        symbols = tuple(s.strip().upper() for s in symbols if isinstance(s, str) and s.strip())
        if not symbols or len(set(symbols)) != len(symbols):
            raise ConfigError(f"symbols: expected one or more distinct symbols such as ('SPY',), got "
                              f"{self.symbols!r}; pass --symbols SPY,QQQ")
        object.__setattr__(self, "symbols", symbols)
        object.__setattr__(self, "params", dict(self.params or {}))
        if self.timeframe not in _TIMEFRAMES:
            hint = did_you_mean(str(self.timeframe), _TIMEFRAMES)
            known = ", ".join(_TIMEFRAMES)
            raise ConfigError(f"timeframe: unknown '{self.timeframe}'.{hint} Known: {known}.")
        if self.backfill is not None:
            _check_int("backfill", self.backfill, 0)
        _check_int("max_open_positions", self.max_open_positions, 1)
        for name in ("max_position_pct", "max_drawdown", "daily_loss_limit"):
            value = getattr(self, name)
            bad = isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value)
            if bad or not 0.0 < value <= 1.0:
                raise ConfigError(f"{name}: expected a fraction in (0, 1], got {value!r}; e.g. {name}=0.2")
        if self.feed not in ("iex", "sip"):
            raise ConfigError(f"feed: expected 'iex' or 'sip', got {self.feed!r}")

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> LiveConfig:
        """A config from a mapping; an unknown key is refused with a did-you-mean hint.

        Examples
        --------
        >>> LiveConfig.from_mapping({"symbols": ["spy"]}).symbols
        ('SPY',)
        >>> try:
        ...     LiveConfig.from_mapping({"symbols": ["SPY"], "flaten_on_exit": True})
        ... except ConfigError as exc:
        ...     print(exc)
        LiveConfig: unknown key 'flaten_on_exit'. Did you mean 'flatten_on_exit'?
        """
        known = [f.name for f in dataclasses.fields(cls)]
        for key in values:
            if key not in known:
                raise ConfigError(f"LiveConfig: unknown key '{key}'.{did_you_mean(str(key), known)}")
        return cls(**dict(values))

    def replace(self, **changes: Any) -> LiveConfig:
        """A copy with *changes* (checked like :meth:`from_mapping`)."""
        return LiveConfig.from_mapping({**{f.name: getattr(self, f.name) for f in dataclasses.fields(self)},
                                        **changes})

    def endpoint_overrides(self) -> dict[str, str]:
        """The endpoint URLs given here (only those set), as ``AlpacaConfig.from_env`` overrides."""
        names = ("base_url", "data_url", "stream_url", "data_stream_url")
        return {name: getattr(self, name) for name in names if getattr(self, name)}
