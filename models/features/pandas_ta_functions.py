"""pandas-ta indicators by name (``FeatureSpec(function="pandas_ta:cti", ...)``).

pandas-ta is imported lazily. Its indicators take pandas Series named ``open_/high/low/close/volume``
and keyword parameters whose defaults are ``None``; the output is a Series or a DataFrame whose
columns are the outputs (``FeatureSpec.output`` picks one).

Two things cannot be read from a pandas-ta signature, so they are measured once per function and
parameter set on a deterministic 400-bar random walk (cached):

* the lookback: the first row where the output is finite;
* causality: the output on the first 2/3 of the probe must equal the full output's first 2/3.
  Some pandas-ta indicators look ahead (``dpo`` with ``centered=True``, ``ichimoku``'s chikou span,
  ``zigzag``); they are refused with a :class:`~tradeforge.errors.ConfigError`.

The ``offset`` parameter (a shift, which looks ahead when negative) is not accepted.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from tradeforge.errors import ConfigError, unknown_name_error

from .spec import Function

_INPUT_NAMES = {"open_": "open", "open": "open", "high": "high", "low": "low", "close": "close",
                "volume": "volume"}
_PROBE_BARS = 400


@cache
def _module():
    """Import pandas-ta without letting it change pandas' global options.

    pandas-ta 0.4 sets ``pd.options.mode.copy_on_write = True`` when imported, which would silently change
    how every other piece of the user's (and our) pandas code behaves depending on whether a pandas-ta
    feature happened to be used; the caller's setting is restored.
    """
    previous = pd.options.mode.copy_on_write
    try:
        import pandas_ta
    finally:
        pd.options.mode.copy_on_write = previous
    return pandas_ta


def _indicator(name: str):
    ta = _module()
    names = sorted(set(sum(ta.Category.values(), [])))
    if name not in names:
        raise unknown_name_error("pandas-ta indicator", name, names)
    return getattr(ta, name)


def _call(name: str, arrays: tuple[np.ndarray, ...], index: pd.DatetimeIndex, params: Mapping[str, Any]):
    fn = _indicator(name)
    sig = [p for p in inspect.signature(fn).parameters if p in _INPUT_NAMES]
    series = [pd.Series(a, index=index) for a in arrays]
    kwargs = {k: v for k, v in params.items() if v is not None}
    out = fn(*series, **kwargs)
    if out is None:
        raise ConfigError(f"pandas-ta '{name}' returned nothing for inputs {sig} and parameters {kwargs}")
    frame = out.to_frame() if isinstance(out, pd.Series) else out
    return tuple(frame[c].to_numpy(dtype=np.float64, na_value=np.nan) for c in frame.columns)


def _probe_frame() -> pd.DataFrame:
    rng = np.random.default_rng(12345)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.01, _PROBE_BARS)))
    open_ = np.concatenate([[100.0], close[:-1]])
    spread = np.abs(rng.normal(0.0, 0.005, _PROBE_BARS)) * close
    return pd.DataFrame(
        {"open": open_, "high": np.maximum(open_, close) + spread, "low": np.minimum(open_, close) - spread,
         "close": close, "volume": rng.integers(1_000, 10_000, _PROBE_BARS).astype(np.float64)},
        index=pd.date_range("2020-01-01", periods=_PROBE_BARS, freq="D", name="datetime"),
    )


@cache
def _probe(name: str, inputs: tuple[str, ...], params: tuple[tuple[str, Any], ...]) -> int:
    """Measure the lookback of ``name(params)`` and refuse it if it looks ahead."""
    df = _probe_frame()
    arrays = tuple(df[c].to_numpy() for c in inputs)
    full = _call(name, arrays, df.index, dict(params))
    cut = 2 * _PROBE_BARS // 3
    part = _call(name, tuple(a[:cut] for a in arrays), df.index[:cut], dict(params))
    for a, b in zip(full, part, strict=True):
        if not np.array_equal(a[:cut], b, equal_nan=True):
            raise ConfigError(
                f"pandas-ta '{name}' with parameters {dict(params)} looks ahead (its values change when "
                f"later bars are added): it cannot be a feature; choose parameters without lookahead "
                f"(e.g. centered=False) or another indicator"
            )
    finite = np.isfinite(np.column_stack(full)).all(axis=1)
    if not finite.any():
        raise ConfigError(
            f"pandas-ta '{name}' with parameters {dict(params)} gave no finite value on a {_PROBE_BARS}-bar "
            f"probe: shorten its periods"
        )
    return int(np.argmax(finite))


@cache
def pandas_ta_function(name: str) -> Function:
    """A :class:`Function` computing pandas-ta's indicator *name*."""
    fn = _indicator(name)
    sig = inspect.signature(fn).parameters
    inputs = tuple(_INPUT_NAMES[p] for p in sig if p in _INPUT_NAMES)
    defaults = {p: None for p, v in sig.items()
                if p not in _INPUT_NAMES and p not in ("offset", "kwargs") and v.kind != v.VAR_KEYWORD}
    probe = _call(name, tuple(_probe_frame()[c].to_numpy() for c in inputs), _probe_frame().index, {})

    def lookback(params: Mapping[str, Any]) -> int:
        return _probe(name, inputs, tuple(sorted(params.items())))

    def compute(*arrays: np.ndarray, index: pd.DatetimeIndex, **params: Any) -> tuple[np.ndarray, ...]:
        return _call(name, arrays, index, params)

    outputs = tuple(f"{name}_{i}" for i in range(len(probe)))
    return Function(inputs, defaults, outputs, lookback, compute, needs_index=True)
