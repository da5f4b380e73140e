"""``tradeforge serve`` wiring: paper Alpaca store + journal + risk gate + signal computation -> uvicorn.

:class:`ServeConfig` holds the options (frozen, safe defaults: 127.0.0.1, paper only). :func:`build_app`
opens the paper account (keys from ``APCA_API_KEY_ID`` / ``APCA_API_SECRET_KEY``; a real-money host or a
non-paper account is refused), its journal, the risk gate restored from it, and a signal source that runs
``tradeforge.engine.signals.compute_signals`` once per bar. :func:`serve` refuses to bind anywhere but
127.0.0.1 without ``TRADEFORGE_API_TOKEN`` and runs uvicorn until Ctrl-C.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from tradeforge.errors import ConfigError, unknown_name_error

from . import auth

__all__ = ["ServeConfig", "build_app", "serve", "signal_source"]


@dataclass(frozen=True, kw_only=True)
class ServeConfig:
    """The options of ``tradeforge serve``.

    Parameters
    ----------
    host, port : str, int
        Where to listen (127.0.0.1 unless a token is set).
    bar : str
        The signal cache's bar size.
    signals : dict
        ``tradeforge.engine.signals.SignalConfig`` fields (universe, registry, model, top, ...).
    order_value : float
        Dollars per order when a request names no quantity.
    db, journal_root : str
        Journal URL (None: SQLite under *journal_root*).
    max_open_positions, max_position_pct, max_drawdown, daily_loss_limit
        The pre-trade risk gate's limits.
    """

    host: str = "127.0.0.1"
    port: int = 8000
    bar: str = "1m"
    signals: Mapping[str, Any] = field(default_factory=dict)
    order_value: float = 1_000.0
    db: str | None = None
    journal_root: str = "runs/journal"
    max_open_positions: int = 10
    max_position_pct: float = 0.1
    max_drawdown: float = 0.2
    daily_loss_limit: float = 0.03

    def __post_init__(self) -> None:
        if isinstance(self.port, bool) or not isinstance(self.port, int) or not 0 <= self.port <= 65535:
            raise ConfigError(f"--port: expected 0..65535, got {self.port!r}; e.g. 8000")
        pct = self.max_position_pct
        if isinstance(pct, bool) or not isinstance(pct, int | float) or not 0 < pct <= 1:
            raise ConfigError(f"--max-position-pct: expected a fraction in (0, 1], got {pct!r}; e.g. 0.1")

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any]) -> ServeConfig:
        """From a mapping of field names (an unknown name raises ConfigError with a did-you-mean hint)."""
        names = [f.name for f in fields(cls)]
        for key in mapping:
            if key not in names:
                raise unknown_name_error("serve option", str(key), names)
        return cls(**dict(mapping))


def signal_source(options: Mapping[str, Any], *, frames: Mapping[str, Any] | None = None,
                  model: tuple[Any, str] | None = None) -> Callable[[datetime], Any]:
    """``source(bar_time)`` running ``compute_signals`` on ``SignalConfig(**options)``: the universe's
    newest completed bars (or those up to ``options['at']`` for a replay).

    The model is loaded from the registry once, here (a missing model raises ``ModelError`` naming the
    ``tradeforge train`` to run, before the server starts); *frames* and *model* replace the universe
    and the registry (tests).
    """
    from tradeforge.engine.signals import SignalConfig, compute_signals
    from tradeforge.engine.signals.run import load_model

    config = SignalConfig.from_mapping(dict(options))
    loaded = model if model is not None else load_model(config.registry, config.model, config.universe)

    def source(_bar_time: datetime) -> Any:
        return compute_signals(config, frames=frames, model=loaded)

    return source


def build_app(config: ServeConfig, *, env: Mapping[str, str] | None = None,
              source: Callable[[datetime], Any] | None = None, token: str | None = None) -> tuple[Any, Any]:
    """``(app, store)``: the API on the paper account named by the environment's keys.

    *source* replaces the signal computation (tests); *token* the environment's token. Stop the store
    (``store.stop()``) when the server ends.
    """
    from tradeforge.brokers.alpaca import AlpacaConfig, AlpacaStore
    from tradeforge.brokers.journal import Journal
    from tradeforge.engine.live.risk import LiveRisk
    from tradeforge.engine.live.safety import check_paper_target

    from .app import create_app

    env = os.environ if env is None else env
    acfg = AlpacaConfig.from_env("paper", env=env)
    check_paper_target(acfg.base_url)
    source = source or signal_source(config.signals)
    store = AlpacaStore(acfg, None)
    try:
        account = store.account().account_number
        check_paper_target(acfg.base_url, account)
        store.journal = Journal.open(config.db, account=account, mode="paper", root=config.journal_root)
        risk = LiveRisk(store.journal, max_open_positions=config.max_open_positions,
                        max_position_pct=config.max_position_pct, max_drawdown=config.max_drawdown,
                        daily_loss_limit=config.daily_loss_limit)
        app = create_app(signal_source=source, store=store, risk=risk, token=token, bar=config.bar,
                         order_value=config.order_value)
    except BaseException:
        store.stop()
        raise
    return app, store


def serve(config: ServeConfig, *, env: Mapping[str, str] | None = None) -> None:
    """Run the API with uvicorn until Ctrl-C (refuses a non-local host without a token)."""
    import uvicorn

    env = os.environ if env is None else env
    token = auth.token_from_env(env)
    auth.check_bind(config.host, token)
    app, store = build_app(config, env=env, token=token)
    try:
        uvicorn.run(app, host=config.host, port=config.port, log_level="info", proxy_headers=False)
    finally:
        store.stop()
        store.journal.close()
