"""The feature declarations: :class:`FeatureSpec` (one column) and :class:`Function` (what it may name).

The leaf of :mod:`tradeforge.models.features`: every other module of the package imports it, it imports
none of them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from tradeforge.errors import ConfigError, unknown_name_error

__all__ = ["FeatureSpec", "Function", "GROUPS", "NORMALIZERS"]

#: Feature groups of the design (seed 004): used by :meth:`FeatureSet.select`.
GROUPS: tuple[str, ...] = ("technical", "volume", "price", "momentum", "time")
#: Normalisation name -> extra lookback it adds.
NORMALIZERS: Mapping[str | None, int] = MappingProxyType(
    {None: 0, "close": 0, "distance": 0, "pct": 0, "volume": 19}
)


@dataclass(frozen=True)
class FeatureSpec:
    """One output column: ``normalize(function(*inputs, **params)[output])``.

    Parameters
    ----------
    name : str
        Column name in the feature matrix (unique within a set).
    function : str
        A registry name (``"rsi"``, ``"macd"``, ``"logret"``, ...) or ``"pandas_ta:<name>"``.
    params : Mapping[str, Any]
        Keyword parameters (TA-Lib names, e.g. ``timeperiod``); missing ones take the defaults.
    inputs : tuple of str, optional
        Frame columns fed to the function, in its order; default: the function's own (close, ...).
    output : int
        Which output of a multi-output function (``macd`` -> 0 macd, 1 signal, 2 hist).
    normalize : {None, "close", "distance", "pct", "volume"}
        Makes a price- or volume-level output scale-free.
    group : str
        One of :data:`GROUPS`.

    Examples
    --------
    >>> FeatureSpec("rsi_14", "rsi", {"timeperiod": 14}, normalize="pct").name
    'rsi_14'
    """

    name: str
    function: str
    params: Mapping[str, Any] = field(default_factory=dict, hash=False)
    inputs: tuple[str, ...] | None = None
    output: int = 0
    normalize: str | None = None
    group: str = "technical"

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ConfigError(f"FeatureSpec name: expected a non-empty string, got {self.name!r}")
        if not isinstance(self.function, str) or not self.function:
            raise ConfigError(
                f"FeatureSpec '{self.name}': function must be a non-empty string, got {self.function!r}"
            )
        if not isinstance(self.params, Mapping):
            raise ConfigError(
                f"FeatureSpec '{self.name}': params must be a mapping, got {type(self.params).__name__}"
            )
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))
        if self.inputs is not None:
            object.__setattr__(self, "inputs", tuple(self.inputs))
        if self.normalize not in NORMALIZERS:
            known = [k for k in NORMALIZERS if k]
            raise unknown_name_error(f"normalisation of feature '{self.name}'", str(self.normalize), known)
        if self.group not in GROUPS:
            raise unknown_name_error(f"group of feature '{self.name}'", str(self.group), GROUPS)
        if isinstance(self.output, bool) or not isinstance(self.output, int | np.integer) or self.output < 0:
            raise ConfigError(
                f"FeatureSpec '{self.name}': output must be an integer >= 0, got {self.output!r}"
            )

    def __reduce__(self):
        """Pickle with plain-dict params (a mappingproxy cannot be pickled)."""
        return (FeatureSpec, (self.name, self.function, dict(self.params), self.inputs, self.output,
                              self.normalize, self.group))


@dataclass(frozen=True)
class Function:
    """One function a spec may name: default inputs, default parameters, outputs, lookback, compute.

    ``compute(*arrays, **params) -> tuple[ndarray, ...]`` on validated arrays (one per input); with
    ``needs_index`` it also receives ``index=`` (the frame's DatetimeIndex), with ``needs_memo``
    ``memo=`` (a dict shared by one transform, for intermediate results). ``check(params)`` raises
    :class:`~tradeforge.errors.ConfigError` for parameters the function refuses.
    """

    inputs: tuple[str, ...]
    defaults: Mapping[str, Any]
    outputs: tuple[str, ...]
    lookback: Callable[[Mapping[str, Any]], int]
    compute: Callable[..., tuple[np.ndarray, ...]]
    needs_index: bool = False  # compute(*arrays, index=DatetimeIndex, **params)
    check: Callable[[Mapping[str, Any]], None] | None = None  # raises ConfigError for bad params
    needs_memo: bool = False  # compute(*arrays, memo=dict, **params): shares intermediate results
