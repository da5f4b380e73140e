"""TA-Lib compatible indicator functions over the numba kernels.

Names, parameter names, defaults, output order and NaN warm-up follow TA-Lib, so that
``from tradeforge.engine import indicators as ta`` can replace ``import talib as ta``.

Input conventions
-----------------
* numpy arrays of any real dtype (int, float32, ...) are converted to float64; the result is float64.
* a ``pandas.Series`` in gives a ``pandas.Series`` out with the same index (and name of the function).
* leading NaNs are skipped as TA-Lib skips them (the output keeps them as NaN); a NaN or inf after the
  first valid value raises :class:`tradeforge.errors.DataError` naming its position.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tradeforge.errors import ConfigError, DataError

from . import _kernels as k

__all__ = ["sma", "ema", "rsi"]


def _as_array(values: Any, arg: str) -> tuple[np.ndarray, Any]:
    """Return ``(float64 array, index-or-None)`` for a Series/array argument named *arg*."""
    index = getattr(values, "index", None)
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{arg}: expected a numeric array or Series, got {type(values).__name__} ({exc})") from exc
    if arr.ndim != 1:
        raise DataError(f"{arg}: expected a 1-D array, got shape {arr.shape}; pass one column at a time")
    return arr, index


def _first_valid(arrays: dict[str, np.ndarray]) -> int:
    """Index of the first row where every input is finite; raise if a NaN/inf follows it."""
    n = len(next(iter(arrays.values())))
    start = 0
    for arr in arrays.values():
        bad = ~np.isfinite(arr)
        lead = int(np.argmin(bad)) if not bad.all() else n
        start = max(start, lead)
    for name, arr in arrays.items():
        tail_bad = np.flatnonzero(~np.isfinite(arr[start:]))
        if tail_bad.size:
            pos = start + int(tail_bad[0])
            raise DataError(
                f"{name}: non-finite value {arr[pos]!r} at position {pos} after the first valid value "
                f"(position {start}); only leading NaNs are allowed: fill or drop the gap first"
            )
    return start


def _check_period(name: str, value: int, minimum: int) -> int:
    if isinstance(value, bool) or int(value) != value or value < minimum:
        raise ConfigError(f"{name}: expected an integer >= {minimum}, got {value!r}")
    return int(value)


def _run(kernel, inputs: dict[str, Any], *params, fname: str):
    """Strip leading NaNs of *inputs*, run *kernel*, re-pad and re-attach the index."""
    arrays: dict[str, np.ndarray] = {}
    index = None
    for arg, values in inputs.items():
        arr, idx = _as_array(values, arg)
        arrays[arg] = arr
        index = idx if index is None else index
    lengths = {len(a) for a in arrays.values()}
    if len(lengths) != 1:
        raise DataError(f"{fname}: inputs have different lengths {sorted(lengths)}; align them first")
    n = lengths.pop()
    start = _first_valid(arrays) if n else 0
    raw = kernel(*(np.ascontiguousarray(a[start:]) for a in arrays.values()), *params)
    outs = raw if isinstance(raw, tuple) else (raw,)
    padded = []
    for o in outs:
        full = np.full(n, np.nan)
        full[start:] = o
        padded.append(full)
    if index is not None:
        import pandas as pd

        padded = [pd.Series(p, index=index, name=fname) for p in padded]
    return tuple(padded) if isinstance(raw, tuple) else padded[0]


def sma(real, timeperiod: int = 30):
    """Simple moving average (TA-Lib ``SMA``).

    Examples
    --------
    >>> sma(np.arange(1.0, 6.0), timeperiod=3).round(2).tolist()
    [nan, nan, 2.0, 3.0, 4.0]
    """
    return _run(k.sma_nb, {"real": real}, _check_period("timeperiod", timeperiod, 1), fname="sma")


def ema(real, timeperiod: int = 30):
    """Exponential moving average (TA-Lib ``EMA``), seeded with the first period's SMA.

    Examples
    --------
    >>> ema(np.arange(1.0, 6.0), timeperiod=3).round(2).tolist()
    [nan, nan, 2.0, 3.0, 4.0]
    """
    return _run(k.ema_nb, {"real": real}, _check_period("timeperiod", timeperiod, 1), fname="ema")


def rsi(real, timeperiod: int = 14):
    """Relative strength index (TA-Lib ``RSI``) with Wilder smoothing.

    Examples
    --------
    >>> float(rsi(np.array([1.0, 2, 3, 2, 3]), timeperiod=2)[-1]) > 50
    True
    """
    return _run(k.rsi_nb, {"real": real}, _check_period("timeperiod", timeperiod, 2), fname="rsi")
