"""The strategy of a live session, resolved exactly like a backtest's, plus what the live feed needs.

``resolve_strategy`` / ``check_params`` name and check it (built-in, entry point, ``module:Class``); for
an :class:`~tradeforge.strategies.ml.MLStrategy` without a ``predictor`` parameter the model comes from the
registry (``model`` version, default the newest) and becomes the predictor. The warm-up is the number of
history bars after which the strategy can first act: the session backfills that many bars, so the first
bar it may trade on is the first live one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from tradeforge.errors import ConfigError

__all__ = ["LiveStrategy", "resolve_live_strategy", "DEFAULT_BACKFILL"]

DEFAULT_BACKFILL = 100  # a plain backtrader strategy declares no warm-up: this many bars


@dataclass(frozen=True)
class LiveStrategy:
    """A resolved strategy: class, effective parameters, warm-up bars, extra line names, model version."""

    cls: type
    params: dict[str, Any]
    name: str
    warmup: int
    line_names: tuple[str, ...] = ()
    model_version: str | None = None
    full_params: dict[str, Any] = field(default_factory=dict, repr=False)

    def lines(self, frame: pd.DataFrame) -> dict[str, np.ndarray]:
        """The strategy's precomputed lines on *frame* (the bars so far; causal, so the last row is final)."""
        from tradeforge.strategies.base import Strategy

        if not self.line_names or not issubclass(self.cls, Strategy):
            return {}
        return self.cls.precompute(frame, self.full_params)


def _probe_frame(bars: int) -> pd.DataFrame:
    """A small deterministic OHLCV frame, only to learn the names of a strategy's lines."""
    close = 100.0 + np.sin(np.arange(bars) / 3.0)
    index = pd.date_range("2024-01-02", periods=bars, freq="D", name="datetime")
    return pd.DataFrame({"open": close, "high": close + 1, "low": close - 1, "close": close,
                         "volume": np.full(bars, 1000.0)}, index=index)


def _load_model(registry: str, version: str | None) -> tuple[Any, str]:
    from tradeforge.engine.train import MODEL_NAME
    from tradeforge.models.registry import ModelRegistry

    loaded = ModelRegistry(registry).load(version)  # ModelError naming the versions when unknown / missing
    return loaded[MODEL_NAME], loaded.version


def resolve_live_strategy(strategy: str, params: Mapping[str, Any] | None, *, model: str | None = None,
                          registry: str = "runs/registry", backfill: int | None = None) -> LiveStrategy:
    """Resolve *strategy* and its parameters for a live session (see the module notes).

    Examples
    --------
    >>> s = resolve_live_strategy("sma_cross", {"fast": "5", "slow": "12"})
    >>> s.name, s.warmup, s.line_names
    ('SmaCross', 12, ('cross',))
    """
    from tradeforge.strategies import check_params, resolve_strategy
    from tradeforge.strategies.base import Strategy
    from tradeforge.strategies.ml import MLStrategy

    cls = resolve_strategy(strategy)
    checked = check_params(cls, params)
    if issubclass(cls, MLStrategy) and {**dict(cls.params._getpairs()), **checked}["bracket"] == "trade":
        # the trade's stop and target are two one-cancels-other orders placed at the entry bar's open: the
        # Alpaca adapter places OCO exits only as bracket children, so live they would go unprotected
        raise ConfigError("strategy 'ml': bracket='trade' (the default) is backtest-only for now: the Alpaca "
                          "adapter cannot place its stop/target as one-cancels-other orders; pass "
                          "-p bracket=fixed (stop_loss/take_profit) or -p bracket=sigma live")
    version = None
    if issubclass(cls, MLStrategy) and checked.get("predictor") in (None, "", "none"):
        checked["predictor"], version = _load_model(registry, model)
    elif model is not None:
        raise ConfigError(f"--model {model!r}: only the 'ml' strategy loads a model; drop --model or use "
                          "--strategy ml")
    full = {**dict(cls.params._getpairs()), **checked}
    if issubclass(cls, MLStrategy):
        from tradeforge.strategies.ml import _resolve_predictor

        predictor = _resolve_predictor(full["predictor"])
        checked["predictor"] = full["predictor"] = predictor
        warmup = max(int(predictor.warmup) - 1, 0)  # predict_latest needs `warmup` bars, the last one live
    elif issubclass(cls, Strategy):
        warmup = int(cls.warmup(full))
    else:
        warmup = DEFAULT_BACKFILL
    names: tuple[str, ...] = ()
    if issubclass(cls, Strategy) and not issubclass(cls, MLStrategy):
        names = tuple(cls.precompute(_probe_frame(max(warmup, 1) + 3), full))
    return LiveStrategy(cls=cls, params=checked, name=cls.__name__,
                        warmup=warmup if backfill is None else int(backfill), line_names=names,
                        model_version=version, full_params=full)
