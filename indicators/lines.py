"""Backtrader integration: indicator sets as extra feed lines, and ``bt.Indicator`` wrappers.

Two ways to use the same numba kernels in a backtest:

* :func:`indicator_lines` computes a named set of indicators once, vectorised, over a whole OHLCV frame
  and returns arrays to pass to ``tradeforge.feeds.make_feed(df, lines=...)``; strategies then read
  ``self.data.rsi_14[0]``. This is the fast path.
* ``TFSMA``, ``TFEMA``, ``TFRSI``, ``TFATR``, ``TFBBands``, ``TFMACD``, ``TFStoch``, ... are
  ``bt.Indicator`` classes for users who declare indicators in ``__init__``. In ``runonce`` mode they run
  the kernel once over the preloaded data; in ``next`` mode they run it over the bars in the data buffer
  (all of them when preloaded, the bars seen so far when live) and read bar t. Both are free of lookahead
  because every kernel's value at bar t depends only on bars <= t (``test_property_no_lookahead``).

This module imports backtrader; ``tradeforge.indicators`` also exposes its names, importing it on first use.
"""

from __future__ import annotations

import array
import inspect
from collections.abc import Mapping
from functools import cache
from typing import Any

import backtrader as bt
import numpy as np
import pandas as pd

from tradeforge.errors import ConfigError, DataError, unknown_name_error

from . import api
from .table import INDICATORS
from .vwap import vwap

__all__ = [
    "indicator_lines", "TFIndicator", "TFSMA", "TFEMA", "TFWMA", "TFRSI", "TFATR", "TFBBands", "TFMACD",
    "TFStoch", "TFADX", "TFCCI", "TFMFI", "TFOBV",
]

_INPUT_NAMES = ("open", "high", "low", "close", "volume", "real")


@cache
def _functions() -> dict[str, Any]:
    """The checked indicator functions by name (every table entry and the session VWAP)."""
    return {**{name: getattr(api, name) for name in api.__all__}, "vwap": vwap}


def _input_args(fn) -> list[str]:
    """Positional data arguments of an indicator function (those without a default)."""
    return [p.name for p in inspect.signature(fn).parameters.values()
            if p.default is inspect.Parameter.empty and p.name in _INPUT_NAMES]


def indicator_lines(df: pd.DataFrame, spec: Mapping[str, tuple]) -> dict[str, np.ndarray]:
    """Compute a set of indicators over an OHLCV frame, as arrays for ``make_feed(df, lines=...)``.

    Parameters
    ----------
    df : DataFrame
        OHLCV frame with lower-case columns ``open, high, low, close, volume``.
    spec : Mapping[str, tuple]
        ``line name -> (function name, params)`` or ``(function name, params, output name)``. Functions
        are this package's (TA-Lib lower-case names). A ``real`` input reads ``close`` unless params name
        another column with ``"real": "open"``. A multi-output function without an output name gives
        one line per output, named ``<line name>_<output>`` (e.g. ``bb_upperband``).

    Returns
    -------
    dict[str, ndarray]
        float64 arrays aligned to *df* (NaN during warm-up).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({c: np.linspace(1.0, 2.0, 30) for c in ("open", "high", "low", "close")})
    >>> df["volume"] = 1.0
    >>> spec = {"rsi_14": ("rsi", {"timeperiod": 14}), "bb": ("bbands", {"timeperiod": 5})}
    >>> out = indicator_lines(df, spec)
    >>> sorted(out), float(out["rsi_14"][-1])
    (['bb_lowerband', 'bb_middleband', 'bb_upperband', 'rsi_14'], 100.0)
    """
    funcs = _functions()
    result: dict[str, np.ndarray] = {}
    for line, entry in spec.items():
        shaped = isinstance(entry, tuple | list) and len(entry) in (2, 3)
        if not shaped or not isinstance(entry[1], Mapping):
            raise ConfigError(f"indicator line {line!r}: expected (function, params) or (function, params, "
                              f"output), got {entry!r}; e.g. ('rsi', {{'timeperiod': 14}})")
        fname, params = entry[0], dict(entry[1])
        if fname not in funcs:
            raise unknown_name_error("indicator", str(fname), funcs)
        fn = funcs[fname]
        column = params.pop("real", "close")
        args = []
        for arg in _input_args(fn):
            col = column if arg == "real" else arg
            if col not in df.columns:
                raise DataError(f"indicator line {line!r}: {fname} needs column {col!r}, frame has "
                                f"{list(df.columns)}")
            args.append(df[col])
        out = fn(*args, **params)  # Series in -> Series out, named after each output
        if isinstance(out, tuple):
            names = tuple(o.name for o in out)
            if len(entry) == 3:
                if entry[2] not in names:
                    raise unknown_name_error(f"output of {fname}", str(entry[2]), names)
                result[line] = out[names.index(entry[2])].to_numpy()
            else:
                result.update({f"{line}_{n}": o.to_numpy() for n, o in zip(names, out, strict=True)})
        else:
            result[line] = out.to_numpy()
    return result


def _declare(name: str) -> tuple[str, tuple[str, ...], tuple[str, ...], tuple[tuple[str, object], ...]]:
    """``(_function, _inputs, lines, params)`` of a wrapper, from the indicator's table entry."""
    ind = INDICATORS[name]
    inputs = tuple("close" if i == "real" else i for i in ind.inputs)
    return name, inputs, ind.outputs, tuple(ind.defaults.items())


class TFIndicator(bt.Indicator):
    """Base of the ``bt.Indicator`` wrappers: subclasses set ``_function`` (a function of this package),
    ``_inputs`` (data line names feeding its data arguments), ``lines`` (its outputs, in order) and
    ``params`` (TA-Lib's parameter names and defaults), all four by ``_declare(name)`` from the
    indicator's table entry; the minimum period is the entry's lookback + 1."""

    _function = ""
    _inputs: tuple[str, ...] = ()

    def __init__(self):
        self._kwargs = {k: getattr(self.p, k) for k in self.p._getkeys()}
        self._cache: tuple[np.ndarray, ...] | None = None
        self._cache_len = -1
        self.addminperiod(INDICATORS[self._function].lookback(self._kwargs) + 1)

    def _line(self, name: str):
        """The data line *name*; a data without it (another indicator) feeds its first line."""
        return getattr(self.data, name) if hasattr(self.data, name) else self.data.lines[0]

    def _compute(self, size: int) -> tuple[np.ndarray, ...]:
        """Run the function over the first *size* bars of the data buffer."""
        fn = _functions()[self._function]
        args = [np.array(self._line(name).array[:size], dtype=np.float64) for name in self._inputs]
        out = fn(*args, **self._kwargs)
        return out if isinstance(out, tuple) else (out,)

    def once(self, start, end):
        if self._cache is None or self._cache_len < end:
            self._cache = self._compute(end)
            self._cache_len = end
        for k, values in enumerate(self._cache):
            self.lines[k].array[start:end] = array.array("d", values[start:end].tobytes())

    def next(self):
        i = len(self.data) - 1
        buffered = len(self._line(self._inputs[0]).array)
        if self._cache is None or self._cache_len <= i or self._cache_len != buffered:
            self._cache = self._compute(buffered)  # every bar in the buffer: all when preloaded
            self._cache_len = buffered
        for k, values in enumerate(self._cache):
            self.lines[k][0] = values[i]


class TFSMA(TFIndicator):
    """Simple moving average (TA-Lib ``SMA``) as a backtrader indicator."""

    _function, _inputs, lines, params = _declare("sma")


class TFEMA(TFIndicator):
    """Exponential moving average (TA-Lib ``EMA``) as a backtrader indicator."""

    _function, _inputs, lines, params = _declare("ema")


class TFWMA(TFIndicator):
    """Weighted moving average (TA-Lib ``WMA``) as a backtrader indicator."""

    _function, _inputs, lines, params = _declare("wma")


class TFRSI(TFIndicator):
    """Relative strength index (TA-Lib ``RSI``) as a backtrader indicator."""

    _function, _inputs, lines, params = _declare("rsi")


class TFATR(TFIndicator):
    """Average true range (TA-Lib ``ATR``) as a backtrader indicator."""

    _function, _inputs, lines, params = _declare("atr")


class TFBBands(TFIndicator):
    """Bollinger bands (TA-Lib ``BBANDS``) as a backtrader indicator."""

    _function, _inputs, lines, params = _declare("bbands")


class TFMACD(TFIndicator):
    """MACD (TA-Lib ``MACD``) as a backtrader indicator."""

    _function, _inputs, lines, params = _declare("macd")


class TFStoch(TFIndicator):
    """Slow stochastic (TA-Lib ``STOCH``) as a backtrader indicator."""

    _function, _inputs, lines, params = _declare("stoch")


class TFADX(TFIndicator):
    """Average directional movement index (TA-Lib ``ADX``) as a backtrader indicator."""

    _function, _inputs, lines, params = _declare("adx")


class TFCCI(TFIndicator):
    """Commodity channel index (TA-Lib ``CCI``) as a backtrader indicator."""

    _function, _inputs, lines, params = _declare("cci")


class TFMFI(TFIndicator):
    """Money flow index (TA-Lib ``MFI``) as a backtrader indicator."""

    _function, _inputs, lines, params = _declare("mfi")


class TFOBV(TFIndicator):
    """On-balance volume (TA-Lib ``OBV``) as a backtrader indicator."""

    _function, _inputs, lines, params = _declare("obv")
