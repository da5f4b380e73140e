"""The feature matrix: :class:`FeatureSet` compiles its specs once and builds one float64 column each.

Specs are resolved against :mod:`.functions` when the set is built (unknown names, parameters,
inputs and outputs raise :class:`~tradeforge.errors.ConfigError` then, not at transform time); a
transform validates the frame once, runs each distinct computation once and normalises the matrix
in place with one kernel.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from tradeforge.errors import ConfigError, DataError, did_you_mean, unknown_name_error

from . import _kernels as nb
from .functions import resolve, rolling_mean
from .parallel import transform_many
from .spec import GROUPS, NORMALIZERS, FeatureSpec, Function

__all__ = ["FeatureSet"]

_VOLUME_NORM_PERIOD = 20
_EMPTY = np.empty(0)

@dataclass(frozen=True)
class _Compiled:
    """A spec resolved against its function: merged params, inputs, lookback."""

    spec: FeatureSpec
    fn: Function
    params: Mapping[str, Any]
    inputs: tuple[str, ...]
    lookback: int
    key: tuple  # (function, params, inputs): specs sharing it share one computation


def _check_value(spec: FeatureSpec, key: str, value: Any, default: Any) -> Any:
    """Coerce/validate one parameter value against the type of its default."""
    if isinstance(default, bool) or default is None:
        return value
    if isinstance(default, int):
        minimum = 0 if key.endswith("matype") else 1
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
            raise ConfigError(
                f"feature '{spec.name}': parameter {key}={value!r} must be an integer >= {minimum}"
            )
        return int(value)
    if isinstance(default, float):
        numeric = not isinstance(value, bool) and isinstance(value, int | float | np.number)
        if not numeric or not np.isfinite(value):
            raise ConfigError(f"feature '{spec.name}': parameter {key}={value!r} must be a finite number")
        return float(value)
    return value


def _compile(spec: FeatureSpec) -> _Compiled:
    fn = resolve(spec.function)
    params = dict(fn.defaults)
    for key, value in spec.params.items():
        if key not in fn.defaults:
            known = ", ".join(sorted(fn.defaults)) or "(none)"
            raise ConfigError(
                f"feature '{spec.name}': unknown parameter '{key}' for function '{spec.function}'."
                f"{did_you_mean(key, fn.defaults)} Known: {known}."
            )
        params[key] = _check_value(spec, key, value, fn.defaults[key])
    inputs = fn.inputs if spec.inputs is None else spec.inputs
    if len(inputs) != len(fn.inputs):
        raise ConfigError(
            f"feature '{spec.name}': function '{spec.function}' takes {len(fn.inputs)} inputs "
            f"{fn.inputs}, got {len(inputs)}: {inputs}"
        )
    if spec.output >= len(fn.outputs):
        raise ConfigError(
            f"feature '{spec.name}': output={spec.output} but '{spec.function}' has {len(fn.outputs)} "
            f"outputs {fn.outputs}; use 0..{len(fn.outputs) - 1}"
        )
    if fn.check is not None:
        try:
            fn.check(params)
        except ConfigError as exc:
            raise ConfigError(f"feature '{spec.name}' ({spec.function}): {exc}") from None
    lookback = max(int(fn.lookback(params)), NORMALIZERS[spec.normalize])
    key = (spec.function, tuple(sorted(params.items())), tuple(inputs))
    return _Compiled(spec, fn, MappingProxyType(params), tuple(inputs), lookback, key)


@dataclass(frozen=True)
class FeatureSet:
    """An ordered, immutable list of :class:`FeatureSpec` that builds a causal feature matrix.

    Examples
    --------
    >>> fs = FeatureSet([FeatureSpec("ret_1", "logret"), FeatureSpec("rsi_3", "rsi", {"timeperiod": 3})])
    >>> fs.columns, fs.warmup
    (('ret_1', 'rsi_3'), 3)
    """

    specs: tuple[FeatureSpec, ...]
    _compiled: tuple[_Compiled, ...] = field(init=False, repr=False, compare=False)
    _column_index: pd.Index = field(init=False, repr=False, compare=False)
    _input_columns: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _norm_codes: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        specs = tuple(self.specs)
        if not specs:
            raise ConfigError("FeatureSet: expected at least one FeatureSpec, got none")
        seen: set[str] = set()
        for spec in specs:
            if not isinstance(spec, FeatureSpec):
                raise ConfigError(f"FeatureSet: expected FeatureSpec items, got {type(spec).__name__}")
            if spec.name in seen:
                raise ConfigError(f"FeatureSet: duplicate column name '{spec.name}'; names must be unique")
            seen.add(spec.name)
        object.__setattr__(self, "specs", specs)
        object.__setattr__(self, "_compiled", tuple(_compile(s) for s in specs))
        # built once: a DataFrame from a list of 87 names re-infers their dtype each time (~0.1 ms)
        object.__setattr__(self, "_column_index", pd.Index([s.name for s in specs], dtype=object))
        codes = np.array([nb.NORM_CODES[s.normalize] for s in specs], dtype=np.int8)
        object.__setattr__(self, "_norm_codes", codes)
        inputs = [i for c in self._compiled for i in c.inputs]  # + what the normalisations divide by
        inputs += ["close"] * bool(np.isin(codes, (1, 2)).any()) + ["volume"] * bool((codes == 4).any())
        object.__setattr__(self, "_input_columns", tuple(dict.fromkeys(inputs)))

    def __reduce__(self):
        """Pickle the specs only; the compiled functions are rebuilt on load."""
        return (FeatureSet, (self.specs,))

    @property
    def columns(self) -> tuple[str, ...]:
        """Column names of :meth:`transform`'s output, in order."""
        return tuple(s.name for s in self.specs)

    @property
    def lookbacks(self) -> dict[str, int]:
        """Per column, the number of leading rows that are NaN (TA-Lib's lookback)."""
        return {c.spec.name: c.lookback for c in self._compiled}

    @property
    def warmup(self) -> int:
        """Number of leading rows until every column is valid (the largest lookback)."""
        return max(c.lookback for c in self._compiled)

    @property
    def input_columns(self) -> tuple[str, ...]:
        """Frame columns the set reads (``datetime`` means the index)."""
        return self._input_columns

    def select(self, groups: Sequence[str] | None = None, exclude: Sequence[str] = ()) -> FeatureSet:
        """A new set with only the specs of *groups* (all when None) and none of *exclude*.

        Examples
        --------
        >>> fs = FeatureSet([FeatureSpec("ret_1", "logret", group="momentum"),
        ...                  FeatureSpec("hour", "hour", group="time")])
        >>> fs.select(["time"]).columns, fs.select(exclude=["time"]).columns
        (('hour',), ('ret_1',))
        """
        for g in (*(groups or ()), *exclude):
            if g not in GROUPS:
                raise unknown_name_error("feature group", g, GROUPS)
        keep = [s for s in self.specs if (groups is None or s.group in groups) and s.group not in exclude]
        return FeatureSet(tuple(keep))

    def transform(self, df: pd.DataFrame) -> pd.DataFrame:
        """The feature matrix of *df*: one float64 column per spec, same index as *df*.

        Examples
        --------
        >>> idx = pd.date_range("2024-01-01", periods=30, freq="D", name="datetime")
        >>> px = pd.DataFrame({"open": 100.0, "high": 101.0, "low": 99.0, "close": 100.0,
        ...                    "volume": 1e3}, index=idx)
        >>> FeatureSet([FeatureSpec("ret_1", "logret")]).transform(px)["ret_1"].iloc[-1]
        np.float64(0.0)
        """
        return pd.DataFrame(self.matrix(df), index=df.index, columns=self._column_index.copy())

    def matrix(self, df: pd.DataFrame) -> np.ndarray:
        """The values of :meth:`transform` as a (rows, columns) float64 array (Fortran order), no frame."""
        return self._matrix(_input_arrays(df, self.input_columns), df.index)

    def transform_many(self, frames: Mapping[str, pd.DataFrame], n_jobs: int = 1,
                       backend: str = "processes") -> dict[str, pd.DataFrame]:
        """:meth:`transform` each frame of *frames* (symbol -> OHLCV), in *n_jobs* workers.

        ``backend="processes"`` (default) splits the symbols into *n_jobs* chunks computed in worker
        processes that write into one shared-memory block (see :mod:`.parallel`). Workers come
        from multiprocessing's ``forkserver``, whose preload list this sets to tradeforge's feature
        modules (the first call starts the server; later calls fork warm workers); as with any
        multiprocessing, a script must guard its entry point with ``if __name__ == "__main__":``.
        ``"threads"`` share the frames and results without copies; the kernels release the GIL but the
        Python between them does not, so threads gain little (``bench/features.py`` measures both). On
        a machine without free cores keep ``n_jobs=1``. Results are identical whatever *n_jobs* and
        *backend* are.

        Examples
        --------
        >>> idx = pd.date_range("2024-01-01", periods=5, freq="D", name="datetime")
        >>> px = pd.DataFrame({"open": 1.0, "high": 1.0, "low": 1.0, "close": 1.0, "volume": 1.0},
        ...                   index=idx)
        >>> sorted(FeatureSet([FeatureSpec("r", "logret")]).transform_many({"B": px, "A": px}))
        ['A', 'B']
        """
        return transform_many(self, frames, n_jobs, backend)

    def _matrix(self, arrays: dict[str, np.ndarray], index: pd.DatetimeIndex) -> np.ndarray:
        """The (rows, columns) matrix of validated *arrays*, Fortran order (column writes contiguous).

        Each distinct computation runs once (specs sharing function, parameters and inputs share its
        outputs; derived features share intermediate results such as rolling means through the same
        *cache*); its outputs are copied into the preallocated matrix, which one kernel then normalises
        in place (the same float operations as column by column, without the GIL).
        """
        n = len(index)
        out = np.empty((n, len(self._compiled)), order="F")
        if n == 0:
            return out
        cache: dict[tuple, tuple[np.ndarray, ...]] = {}
        for j, comp in enumerate(self._compiled):
            outs = cache.get(comp.key)
            if outs is None:
                args = [arrays[i] for i in comp.inputs]
                if comp.fn.needs_index:
                    outs = comp.fn.compute(*args, index=index, **comp.params)
                elif comp.fn.needs_memo:
                    outs = comp.fn.compute(*args, memo=cache, **comp.params)
                else:
                    outs = comp.fn.compute(*args, **comp.params)
                cache[comp.key] = outs
            out[:, j] = outs[comp.spec.output]
        codes = self._norm_codes
        if codes.any():
            volume_mean = _EMPTY
            if (codes == 4).any():
                volume_mean = rolling_mean(cache, arrays["volume"], _VOLUME_NORM_PERIOD)
            nb.normalize_columns_nb(out, codes, arrays.get("close", _EMPTY), volume_mean)
        return out


def _input_arrays(df: pd.DataFrame, columns: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Contiguous float64 arrays of *columns* (``datetime``: index as int64 ns), validated."""
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"features: expected an OHLCV pandas DataFrame, got {type(df).__name__}")
    if not isinstance(df.index, pd.DatetimeIndex):
        raise DataError(
            f"features: the frame's index must be a DatetimeIndex, got {type(df.index).__name__}; "
            f"load it with tradeforge.feeds.load or validate_ohlcv"
        )
    missing = [c for c in columns if c != "datetime" and c not in df.columns]
    if missing:
        raise DataError(
            f"features: the frame lacks column(s) {missing} (has {list(df.columns)}); "
            f"pass an OHLCV frame with lower-case open/high/low/close/volume"
        )
    values = _float_columns(df, [c for c in columns if c != "datetime"])
    arrays: dict[str, np.ndarray] = {}
    for c in columns:
        if c == "datetime":
            arrays[c] = df.index.as_unit("ns").asi8
            continue
        arr = values[c]
        if not np.isfinite(arr).all():
            pos = int(np.flatnonzero(~np.isfinite(arr))[0])
            raise DataError(
                f"features: column '{c}' has non-finite value {float(arr[pos])} at row {pos} "
                f"({df.index[pos]}); "
                f"fill or drop it (tradeforge.feeds.validate_ohlcv finds every such row)"
            )
        arrays[c] = arr
    return arrays


def _float_columns(df: pd.DataFrame, columns: list[str]) -> dict[str, np.ndarray]:
    """Contiguous float64 arrays of *columns*.

    A validated OHLCV frame is one float64 block: ``to_numpy`` returns a view of it, where selecting
    each column would build a Series first. Frames with text or date columns, or duplicate names, go
    column by column.
    """
    if df.columns.is_unique:
        try:
            values = df.to_numpy(dtype=np.float64, copy=False)
        except (TypeError, ValueError):
            values = None
        if values is not None:
            where = {name: i for i, name in enumerate(df.columns)}
            return {c: np.ascontiguousarray(values[:, where[c]]) for c in columns}
    return {c: np.ascontiguousarray(df[c].to_numpy(dtype=np.float64)) for c in columns}
