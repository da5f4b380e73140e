"""Exceptions grouped by what the user must do, plus a did-you-mean helper.

Every message names the argument, the value received, what was expected and how to fix it.
``TransientBrokerError`` is the only error that callers may retry.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "TradeforgeError",
    "ConfigError",
    "DataError",
    "ModelError",
    "BrokerError",
    "TransientBrokerError",
    "did_you_mean",
    "unknown_name_error",
    "number_arg",
]


class TradeforgeError(Exception):
    """Base class of every error tradeforge raises on purpose."""


class ConfigError(TradeforgeError, ValueError):
    """A setting, parameter, strategy name or command-line option is wrong: fix the configuration."""


class DataError(TradeforgeError, ValueError):
    """Input data is malformed: fix or clean the data (the message names file, row, rule and fix)."""


class ModelError(TradeforgeError, RuntimeError):
    """A model cannot be trained, loaded or used: retrain, or restore the artifact."""


class BrokerError(TradeforgeError, RuntimeError):
    """The broker refused or failed a request in a way a retry will not fix."""


class TransientBrokerError(BrokerError):
    """A broker failure that may succeed when retried (timeouts, 429, 5xx)."""


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """Return a ``" Did you mean 'x'?"`` hint for *name*, or an empty string.

    Examples
    --------
    >>> did_you_mean("sma_crss", ["sma_cross", "rsi_reversion"])
    " Did you mean 'sma_cross'?"
    """
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f" Did you mean '{close[0]}'?" if close else ""


def unknown_name_error(kind: str, name: str, choices: Iterable[str], error=ConfigError) -> TradeforgeError:
    """Build an error for an unknown *kind* (e.g. ``"strategy"``) named *name*.

    Examples
    --------
    >>> str(unknown_name_error("parameter", "fsat", ["fast", "slow"]))
    "unknown parameter 'fsat'. Did you mean 'fast'? Known: fast, slow."
    """
    choices = sorted(choices)
    known = ", ".join(choices) if choices else "(none)"
    return error(f"unknown {kind} '{name}'.{did_you_mean(name, choices)} Known: {known}.")


def number_arg(name: str, value: object, hint: str) -> float:
    """*value* as a float, or a :class:`ConfigError` naming *name* and the *hint* (booleans are refused).

    Finiteness and ranges are the caller's check (their messages differ by use).

    Examples
    --------
    >>> number_arg("cash", "1e5", "pass e.g. 100000")
    100000.0
    >>> number_arg("cash", True, "pass e.g. 100000")
    Traceback (most recent call last):
    ...
    tradeforge.errors.ConfigError: cash: expected a number, got True; pass e.g. 100000
    """
    if isinstance(value, bool):
        raise ConfigError(f"{name}: expected a number, got {value!r}; {hint}")
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ConfigError(f"{name}: expected a number, got {value!r}; {hint}") from None
