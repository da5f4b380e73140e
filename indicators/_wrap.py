"""Input handling shared by the public wrappers: validation, NaN stripping, re-padding, Series out.

Conventions
-----------
* numpy arrays of any real dtype (int, float32, ...) are converted to float64; the result is float64.
* a ``pandas.Series`` in gives a ``pandas.Series`` out with the same index (named after the output).
* leading NaNs are skipped as TA-Lib skips them: with several inputs, all are cut at the first row where
  every input is finite, and the output keeps NaN there; a NaN or inf after that row raises
  :class:`tradeforge.errors.DataError` naming the input and its position.
* no copy of an input that is already a contiguous float64 array, outputs allocated once by numpy (the
  kernel writes the NaN warm-up itself), and, for the kernels that check their inputs as they read them
  (``Indicator.scans``), no pass over the inputs besides the kernel's own: the gap scan runs only when
  the kernel reports a non-finite value.
"""

from __future__ import annotations

from collections.abc import Sequence
from math import isfinite
from typing import Any

import numpy as np

from tradeforge.errors import ConfigError, DataError

#: TA-Lib ``matype`` codes this library implements (7 MAMA and 9..13 are not implemented).
SUPPORTED_MATYPES = {0: "SMA", 1: "EMA", 2: "WMA", 3: "DEMA", 4: "TEMA", 5: "TRIMA", 6: "KAMA", 8: "T3"}


def as_array(values: Any, arg: str) -> tuple[np.ndarray, Any]:
    """Return ``(float64 array, index-or-None)`` for a Series/array argument named *arg*."""
    index = getattr(values, "index", None)
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(
            f"{arg}: expected a numeric array or Series, got {type(values).__name__} ({exc})"
        ) from exc
    if arr.ndim != 1:
        raise DataError(f"{arg}: expected a 1-D array, got shape {arr.shape}; pass one column at a time")
    return arr, index


def leading(arrays: dict[str, np.ndarray]) -> int:
    """Index of the first row where every input is finite, from the leading NaNs only (no full scan)."""
    from ._kernels_scan import first_finite_nb

    start = 0
    for arr in arrays.values():
        if arr.shape[0] and not isfinite(arr[0]):  # the usual case, no leading NaN, needs no kernel call
            start = max(start, first_finite_nb(arr))
    return start


def first_valid(arrays: dict[str, np.ndarray]) -> int:
    """Index of the first row where every input is finite; raise if a NaN/inf follows it."""
    from ._kernels_scan import first_nonfinite_from_nb

    n = len(next(iter(arrays.values())))
    start = leading(arrays)
    for name, arr in arrays.items():
        pos = first_nonfinite_from_nb(arr, start)
        if pos >= 0:
            raise DataError(
                f"{name}: non-finite value {float(arr[pos])} at position {pos} after the first valid value "
                f"(position {start}); only leading NaNs are allowed: fill or drop the gap first"
            )
    return min(start, n)


def check_period(name: str, value: Any, minimum: int, maximum: int = 100_000) -> int:
    """Return *value* as an int, or raise ConfigError unless it is an integer in [minimum, maximum]."""
    if type(value) is int and minimum <= value <= maximum:  # the usual call, in few Python steps
        return value
    ok = not isinstance(value, bool) and isinstance(value, int | float | np.integer | np.floating)
    if not ok or int(value) != value or not minimum <= value <= maximum:
        raise ConfigError(f"{name}: expected an integer from {minimum} to {maximum}, got {value!r}")
    return int(value)


def check_float(name: str, value: Any) -> float:
    """Return *value* as a float, or raise ConfigError if it is not a finite real number."""
    try:
        out = float(value)
    except (TypeError, ValueError):
        out = float("nan")
    if isinstance(value, bool) or not np.isfinite(out):
        raise ConfigError(f"{name}: expected a finite number, got {value!r}")
    return out


def check_matype(name: str, value: Any) -> int:
    """Return a supported TA-Lib MA type code, or raise ConfigError listing the supported ones."""
    is_int = not isinstance(value, bool) and isinstance(value, int | np.integer)
    if not is_int or int(value) not in SUPPORTED_MATYPES:
        known = ", ".join(f"{k}={v}" for k, v in SUPPORTED_MATYPES.items())
        raise ConfigError(f"{name}: unsupported TA-Lib MA type {value!r}; supported: {known}")
    return int(value)


def convert(inputs: dict[str, Any], fname: str) -> tuple[dict[str, np.ndarray], Any, int]:
    """Convert *inputs* (no copy for contiguous float64 arrays); return (arrays, index-or-None, n)."""
    arrays: dict[str, np.ndarray] = {}
    index = None
    for arg, values in inputs.items():
        arr, idx = as_array(values, arg)
        arrays[arg] = arr
        index = idx if index is None else index
    lengths = {len(a) for a in arrays.values()}
    if len(lengths) != 1:
        raise DataError(f"{fname}: inputs have different lengths {sorted(lengths)}; align them first")
    return arrays, index, lengths.pop()


def prepare(inputs: dict[str, Any], fname: str) -> tuple[list[np.ndarray], Any, int, int]:
    """Convert *inputs*; return (the arrays stripped of common leading NaNs, index-or-None, n, start)."""
    arrays, index, n = convert(inputs, fname)
    start = first_valid(arrays) if n else 0
    return [np.ascontiguousarray(a[start:]) for a in arrays.values()], index, n, start


def finish(outs: list[np.ndarray], index: Any, names: Sequence[str]):
    """Attach the index (Series out for Series in) and unwrap a single output."""
    if index is not None:
        import pandas as pd

        outs = [pd.Series(o, index=index, name=nm) for o, nm in zip(outs, names, strict=True)]
    return tuple(outs) if len(outs) > 1 else outs[0]


def run(kernel, inputs: dict[str, Any], *params, names: Sequence[str]):
    """Strip leading NaNs of *inputs*, run *kernel* (which returns its outputs), re-pad, re-attach the index.

    *names* are the output names (one per output array); a single output is returned bare.
    """
    stripped, index, n, start = prepare(inputs, names[0])
    raw = kernel(*stripped, *params)
    outs = []
    for o in raw if isinstance(raw, tuple) else (raw,):
        if start == 0:
            outs.append(o)  # kernels return fresh arrays: no copy needed
            continue
        full = np.full(n, np.nan)
        full[start:] = o
        outs.append(full)
    return finish(outs, index, names)
