"""One declarative entry per indicator, and the two functions derived from it.

An :class:`Indicator` names its numba kernel, its data inputs, its parameters (:class:`Param`: default
and check), its outputs and its lookback (the number of leading NaN rows on finite input). From it:

* :func:`checked` builds the public function of :mod:`tradeforge.indicators` (inputs converted and
  validated, parameters checked, leading NaNs stripped and re-padded, Series in -> Series out);
* :func:`unchecked` builds its twin in :mod:`tradeforge.indicators.kernels` (no checks at all);
* :meth:`Indicator.compute` is what both call on valid arrays, and what the feature registry
  (:mod:`tradeforge.models.features.functions`) calls, so names, parameters, defaults and values cannot
  drift between the three.

The entries themselves are the explicit table :data:`tradeforge.indicators.table.INDICATORS`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from math import isfinite
from typing import Any

import numpy as np

from tradeforge.errors import ConfigError, DataError

from ._wrap import check_float, check_matype, check_period, convert, finish, first_valid, leading

#: Parameter kinds a :class:`Param` may declare.
KINDS = ("period", "float", "positive", "matype")


@dataclass(frozen=True)
class Param:
    """One parameter: TA-Lib's name, its default, and its check.

    ``kind`` is ``"period"`` (an integer from ``minimum`` to 100,000), ``"float"`` (finite),
    ``"positive"`` (finite and > 0) or ``"matype"`` (a code of ``SUPPORTED_MATYPES``).
    """

    name: str
    default: int | float
    kind: str = "period"
    minimum: int = 1

    def __post_init__(self) -> None:
        if self.kind not in KINDS:  # a programming error in the table, caught at import
            raise ValueError(f"Param {self.name}: kind {self.kind!r} is not one of {KINDS}")

    def check(self, value: Any) -> int | float:
        """*value* coerced to the parameter's type; ConfigError naming the parameter if it is invalid."""
        if self.kind == "period":
            return check_period(self.name, value, self.minimum)
        if self.kind == "matype":
            return check_matype(self.name, value)
        out = check_float(self.name, value)
        if self.kind == "positive" and out <= 0:
            raise ConfigError(f"{self.name}: expected a positive number, got {value!r}")
        return out


@dataclass(frozen=True)
class Indicator:
    """One indicator of the table.

    Parameters
    ----------
    name : str
        Lower-case TA-Lib name (the public function's name).
    kernel : callable
        Numba kernel, called as ``kernel(*inputs, *kernel_args)``; with ``into`` it also receives one
        preallocated float64 output per output name and returns nothing, else it returns its output(s).
    inputs : tuple of str
        Data arguments, in order (``real`` is a price series, close by default in the feature registry).
    params : tuple of Param
        Keyword parameters, in TA-Lib's order.
    outputs : tuple of str
        Output names, in TA-Lib's order (the Series names of the checked function).
    lookback : callable
        ``lookback(params: Mapping) -> int``: leading NaN rows on finite input (TA-Lib's ``*_Lookback``).
    doc : str
        The public function's docstring (summary; an ``Examples`` section that runs as a doctest).
    into : bool
        Whether the kernel writes into preallocated outputs (numpy allocates them: huge pages on long inputs).
    extra : tuple
        Constant kernel arguments appended after the parameters (e.g. ``percent`` of ``po_nb``).
    adapt : callable, optional
        ``adapt(values) -> values``: the checked parameter values as the kernel takes them (ultosc sorts
        its periods; var drops the nbdev that TA-Lib accepts and ignores).
    positive : bool
        Whether every input must be > 0 (log returns).
    scans : bool
        Whether the (``into``) kernel checks its inputs as it reads them: it returns True only if it read
        every value of every input and found them all finite, so the checked function needs no separate
        pass over the inputs (on False it scans them, and raises naming the first non-finite value).
    """

    name: str
    kernel: Callable[..., Any]
    inputs: tuple[str, ...]
    params: tuple[Param, ...]
    outputs: tuple[str, ...]
    lookback: Callable[[Mapping[str, Any]], int]
    doc: str
    into: bool = False
    extra: tuple = ()
    adapt: Callable[[tuple], tuple] | None = None
    positive: bool = False
    scans: bool = False

    @property
    def defaults(self) -> dict[str, int | float]:
        """Parameter name -> default, in order."""
        return {p.name: p.default for p in self.params}

    @property
    def signature(self) -> inspect.Signature:
        """The signature of the derived functions: inputs positional, then the parameters with defaults."""
        kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
        return inspect.Signature(
            [inspect.Parameter(i, kind) for i in self.inputs]
            + [inspect.Parameter(p.name, kind, default=p.default) for p in self.params]
        )

    def defaults_from(self, i: int) -> tuple:
        """The defaults of the parameters from the *i*-th on (those a positional call left out)."""
        return tuple(p.default for p in self.params[i:])

    def check_params(self, values: tuple) -> tuple:
        """*values* (one per parameter, in order) checked and coerced."""
        return tuple(p.check(v) for p, v in zip(self.params, values, strict=True))

    def kernel_args(self, values: tuple) -> tuple:
        """The kernel's arguments after the inputs, from checked parameter *values*."""
        return (self.adapt(values) if self.adapt is not None else values) + self.extra

    def compute(self, arrays: tuple[np.ndarray, ...], values: tuple) -> tuple[np.ndarray, ...]:
        """The outputs (always a tuple) on valid arrays: 1-D float64, C-contiguous, one length, finite."""
        args = self.kernel_args(values)
        if self.into:
            n = arrays[0].shape[0]
            outs = tuple(np.empty(n) for _ in self.outputs)
            self.kernel(*arrays, *args, *outs)
            return outs
        raw = self.kernel(*arrays, *args)
        return raw if isinstance(raw, tuple) else (raw,)

    def bind(self, args: tuple, kwargs: Mapping[str, Any]) -> tuple[tuple, tuple]:
        """``(inputs, parameter values)`` of a call, defaults filled in; TypeError as Python raises it."""
        n_in = len(self.inputs)
        if not kwargs and n_in <= len(args) <= n_in + len(self.params):  # positional only: the usual call
            return args[:n_in], args[n_in:] + self.defaults_from(len(args) - n_in)
        names = (*self.inputs, *(p.name for p in self.params))
        if len(args) > len(names):
            raise TypeError(f"{self.name}() takes {len(names)} arguments, got {len(args)}")
        values = [*args, *(p.default for p in self.params[max(len(args) - n_in, 0):])]
        if len(args) < n_in:
            values[len(args):len(args)] = [_MISSING] * (n_in - len(args))
        for key, value in kwargs.items():
            try:
                pos = names.index(key)
            except ValueError:
                raise TypeError(f"{self.name}() got an unexpected keyword argument {key!r}") from None
            if pos < len(args):
                raise TypeError(f"{self.name}() got multiple values for argument {key!r}")
            values[pos] = value
        missing = [nm for nm, v in zip(self.inputs, values, strict=False) if v is _MISSING]
        if missing:
            raise TypeError(f"{self.name}() missing required argument(s): {', '.join(missing)}")
        return tuple(values[:n_in]), tuple(values[n_in:])


_MISSING = object()


def _pad(out: np.ndarray, n: int, start: int) -> np.ndarray:
    full = np.empty(n)
    full[:start] = np.nan
    full[start:] = out
    return full


def _check_positive(ind: Indicator, arrays: list[np.ndarray], start: int) -> None:
    for arg, arr in zip(ind.inputs, arrays, strict=True):
        bad = np.flatnonzero(arr <= 0)
        if bad.size:
            raise DataError(f"{ind.name}: {arg} must be > 0 for log returns, got {arr[bad[0]]!r} at position "
                            f"{start + int(bad[0])}")


def _describe(fn: Callable, ind: Indicator, doc: str, module: str) -> Callable:
    """Give a derived function its public name, docstring and signature (what ``functools.wraps`` sets)."""
    fn.__name__ = fn.__qualname__ = ind.name
    fn.__doc__ = doc
    fn.__module__ = module
    fn.__signature__ = ind.signature
    return fn


_F64 = np.dtype(np.float64)


def _plain_length(data: tuple) -> int:
    """The common length of *data* if every item is a plain (not a subclass), non-empty, 1-D,
    C-contiguous native float64 ndarray whose first value is finite, else -1: inputs that the general
    path would use as they are, with no leading NaN to strip and no index to attach."""
    n = -1
    for a in data:
        if (type(a) is not np.ndarray or a.dtype != _F64 or a.ndim != 1 or not a.flags.c_contiguous
                or not a.shape[0] or (n >= 0 and a.shape[0] != n) or not isfinite(a[0])):
            return -1
        n = a.shape[0]
    return n


def _fill(ind: Indicator, stripped: Any, full: tuple, values: tuple, n: int, start: int) -> tuple:
    """The outputs of an ``into`` kernel: allocated (length *n*, NaN before *start*), the rows from
    *start* on filled by the kernel from the *stripped* inputs through contiguous views; when a kernel
    that ``scans`` reports a non-finite input, the *full* inputs are scanned to name it (DataError)."""
    outs = tuple(np.empty(n) for _ in ind.outputs)
    for o in outs:
        o[:start] = np.nan
    ok = ind.kernel(*stripped, *ind.kernel_args(values), *(o[start:] if start else o for o in outs))
    if ind.scans and not ok:
        first_valid(dict(zip(ind.inputs, full, strict=True)))  # raises naming the first non-finite value
    return outs


def checked(ind: Indicator, module: str = "tradeforge.indicators") -> Callable[..., Any]:
    """The public, checked function of *ind* (input conventions: :mod:`tradeforge.indicators._wrap`).

    A positional call on plain float64 arrays (:func:`_plain_length`) of a kernel that checks its
    inputs (``into`` and ``scans``) takes a short path: the parameters checked, the outputs allocated,
    the kernel called on the arrays themselves. It does what the general path does on such inputs
    (the same values, the same errors in the same order), with a few Python steps instead of a few
    dozen: on 1M bars the general path's Python, run with caches the kernel has just flushed, measured
    30-180 us a call, up to 15 % of a fast kernel's time."""
    n_in = len(ind.inputs)
    n_all = n_in + len(ind.params)
    short = ind.into and ind.scans and not ind.positive

    def fn(*args: Any, **kwargs: Any) -> Any:
        if short and not kwargs and n_in <= len(args) <= n_all:
            data = args[:n_in]
            n = _plain_length(data)
            if n > 0:
                values = ind.check_params(args[n_in:] + ind.defaults_from(len(args) - n_in))
                outs = _fill(ind, data, data, values, n, 0)
                return outs if len(outs) > 1 else outs[0]
        data, values = ind.bind(args, kwargs)
        values = ind.check_params(values)
        arrays, index, n = convert(dict(zip(ind.inputs, data, strict=True)), ind.name)
        start = min(leading(arrays) if ind.scans else first_valid(arrays), n) if n else 0
        stripped = [np.ascontiguousarray(a[start:]) for a in arrays.values()]
        if ind.positive:
            _check_positive(ind, stripped, start)
        if ind.into:
            outs = _fill(ind, stripped, tuple(arrays.values()), values, n, start)
        else:
            outs = ind.compute(tuple(stripped), values)
            if start:
                outs = tuple(_pad(o, n, start) for o in outs)
        return finish(list(outs), index, ind.outputs)

    return _describe(fn, ind, ind.doc, module)


def unchecked(ind: Indicator, module: str = "tradeforge.indicators.kernels") -> Callable[..., Any]:
    """The unchecked twin of :func:`checked` (contract: :mod:`tradeforge.indicators.kernels`)."""
    n_all = len(ind.inputs) + len(ind.params)

    def fn(*args: Any, **kwargs: Any) -> Any:
        if kwargs or len(args) != n_all:
            data, values = ind.bind(args, kwargs)
        else:
            data, values = args[:len(ind.inputs)], args[len(ind.inputs):]
        outs = ind.compute(data, values)
        return outs if len(outs) > 1 else outs[0]

    return _describe(fn, ind, f"Unchecked :func:`tradeforge.indicators.{ind.name}`.", module)
