"""A walk-forward's parameter checks, run before data is loaded, a worker started or a model fitted.

:func:`walkforward_params` resolves the strategy and splits and checks ``--param`` values: the strategy's
own parameters (``MLStrategy``'s ``min_confidence``...) first, then, for ML strategies, the pipeline's and
its ensemble's (``base_models``...) through :class:`tradeforge.models.params.PipelineParams`. It imports
backtrader (through :mod:`tradeforge.engine._backtrader`), pandas and the strategy, never scikit-learn,
torch or numba, so a mistake fails in the time of those imports; ``tradeforge walkforward`` calls it
before importing the walk-forward itself, and :func:`~tradeforge.engine.walkforward.run_walkforward`
calls it first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tradeforge.engine import _backtrader  # noqa: F401  (first: bt.talib built on first use only)

from .config import split_params, strategy_keys

__all__ = ["walkforward_params", "check_early"]


def _resolve(strategy: Any) -> tuple[type, bool]:
    from tradeforge.strategies import resolve_strategy
    from tradeforge.strategies.ml import MLStrategy

    cls = resolve_strategy(strategy)
    return cls, issubclass(cls, MLStrategy)


def check_early(cls: type, ml: bool, strategy_params: dict[str, Any], model_params: dict[str, Any] | None
                ) -> None:
    """Run the strategy's and the models' own parameter checks now (ConfigError), before data is loaded
    or a model fitted."""
    if not ml:
        return
    import pandas as pd

    cls.precompute(pd.DataFrame(), {**dict(cls.params._getpairs()), **strategy_params})  # MLStrategy's checks
    if model_params is None:
        return
    from tradeforge.models.params import PipelineParams

    PipelineParams(**model_params).check()  # the pipeline's checks and those of the ensemble it builds


def walkforward_params(strategy: Any, params: Mapping[str, Any] | None
                       ) -> tuple[type, bool, dict[str, Any], dict[str, Any] | None]:
    """``(strategy class, is ML, strategy params, model params or None)`` of a walk-forward, checked.

    Examples
    --------
    >>> cls, ml, own, models = walkforward_params("ml", {"min_confidence": "0.6", "lstm_epochs": "2"})
    >>> cls.__name__, ml, own, models
    ('MLStrategy', True, {'min_confidence': 0.6}, {'lstm_epochs': 2})
    """
    cls, ml = _resolve(strategy)
    if ml:  # the strategy's own parameters first: no model parameter needs reading to refuse them
        from tradeforge.strategies import check_params

        own = {k: (params or {})[k] for k in strategy_keys(cls, params, ml)}
        check_early(cls, ml, check_params(cls, own), None)
    strategy_params, model_params = split_params(cls, params, ml)
    check_early(cls, ml, strategy_params, model_params)
    return cls, ml, strategy_params, model_params
