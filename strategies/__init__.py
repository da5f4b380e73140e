"""Trading strategies: backtrader strategies that read precomputed indicator lines.

``Strategy`` is the base class; ``resolve_strategy`` finds one by short name, entry point or
``package.module:Class``; ``check_params`` validates and coerces parameters.
"""

from .base import Strategy
from .loader import check_params, list_strategies, resolve_strategy, strategy_params

__all__ = ["Strategy", "resolve_strategy", "list_strategies", "strategy_params", "check_params"]
