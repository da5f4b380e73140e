"""Data layer: load, validate, resample and feed OHLCV bars to backtrader.

Public API::

    load(spec, *, lenient=False, start=None, end=None, adjust=False) -> dict[str, DataFrame]
    validate_ohlcv(df, name="<data>", *, lenient=False, adjust=False, keep=()) -> DataFrame
    resample(df, timeframe) -> DataFrame; infer_bar_size(index); TIMEFRAMES
    ArrayFeed, make_feed(df, lines=None, name=None)  (numpy-preloaded backtrader feed)
    synthetic_universe(symbols=5, bars=2000, freq="1d", seed=0, edge=0.0, corr=0.5, ...)
    load_file(path, ...), save_ohlcv(df, path)

Import the bar-size helpers as ``from tradeforge.feeds.resample import TIMEFRAMES``: the package
attribute ``tradeforge.feeds.resample`` is the function, not the module.

``ArrayFeed``/``make_feed`` import backtrader on first use, so ``import tradeforge.feeds`` stays light.
"""

from __future__ import annotations

from typing import Any

from ._dispatch import load
from .resample import TIMEFRAMES, infer_bar_size, resample
from .schema import OHLCV, validate_ohlcv

__all__ = [
    "OHLCV",
    "TIMEFRAMES",
    "ArrayFeed",
    "infer_bar_size",
    "load",
    "load_file",
    "make_feed",
    "resample",
    "save_ohlcv",
    "synthetic_universe",
    "validate_ohlcv",
]

_LAZY = {"ArrayFeed": "arrays", "make_feed": "arrays", "load_file": "files", "save_ohlcv": "files",
         "synthetic_universe": "synthetic"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
