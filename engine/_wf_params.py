"""Route ``--param key=value`` pairs of a walk-forward to the strategy and to the model pipeline.

A key goes to every component that knows it: the strategy's backtrader parameters and, for ML strategies,
the :class:`~tradeforge.models.pipeline.MLPipeline` hyper-parameters. Shared names (``take_profit``,
``stop_loss``) set both, which keeps the training labels consistent with the traded brackets. Unknown keys
raise a ConfigError with a did-you-mean hint over both sets. ``random_state`` is not settable (it is
derived from ``--seed`` and the fold number) and neither is ``benchmark`` (a Series, not a string).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tradeforge.errors import ConfigError, unknown_name_error

__all__ = ["split_params", "model_defaults"]

_TRUE = {"true", "1", "yes", "y", "on"}
_FALSE = {"false", "0", "no", "n", "off"}
_FIXED = {"random_state": "it is derived from --seed and the fold number; pass --seed instead",
          "benchmark": "it must be a price Series; use the Python API (MLPipeline) for a custom benchmark"}


def model_defaults() -> dict[str, Any]:
    """The settable MLPipeline hyper-parameters with their defaults."""
    from tradeforge.models.pipeline import MLPipeline

    return {k: v for k, v in MLPipeline().get_params().items() if k not in _FIXED}


def _coerce(name: str, value: Any, default: Any) -> Any:
    """A ``--param`` string to the type of the MLPipeline default (tuples and None: comma lists)."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    try:
        if isinstance(default, bool):
            if text.lower() not in _TRUE | _FALSE:
                raise ValueError
            return text.lower() in _TRUE
        if isinstance(default, int):
            number = float(text)
            if not number.is_integer():
                raise ValueError
            return int(number)
        if isinstance(default, float):
            return float(text)
        if isinstance(default, tuple | list) or default is None:
            items = tuple(part.strip() for part in text.split(",") if part.strip())
            return None if default is None and text.lower() in ("", "none") else items
        return text
    except ValueError:
        want = "true/false" if isinstance(default, bool) else type(default).__name__
        raise ConfigError(f"model parameter '{name}': cannot use {value!r}, expected {want} (like the default "
                          f"{default!r}); e.g. --param {name}={default}") from None


def split_params(cls: type, params: Mapping[str, Any] | None, ml: bool
                 ) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """``(strategy params, model params or None)`` from the user's *params* (see the module notes).

    Examples
    --------
    >>> from tradeforge.strategies import resolve_strategy
    >>> split_params(resolve_strategy("sma_cross"), {"fast": "5"}, ml=False)
    ({'fast': 5}, None)
    """
    from tradeforge.strategies import check_params, strategy_params

    known = strategy_params(cls)
    models = model_defaults() if ml else {}
    to_strategy, to_model = {}, {}
    for key, value in (params or {}).items():
        if ml and key in _FIXED:
            raise ConfigError(f"parameter '{key}' cannot be set: {_FIXED[key]}")
        if key not in known and key not in models:
            raise unknown_name_error(f"{cls.__name__} or model parameter" if ml else f"{cls.__name__} parameter",
                                     str(key), [*known, *models])
        if key in known:
            to_strategy[key] = value
        if key in models:
            to_model[key] = _coerce(key, value, models[key])
    return check_params(cls, to_strategy), (to_model if ml else None)
