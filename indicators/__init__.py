"""Numba indicators with TA-Lib's names, parameters, outputs and warm-up.

``from tradeforge import indicators as ta`` then ``ta.rsi(close, timeperiod=14)`` equals
``talib.RSI(close, timeperiod=14)`` to 1e-9. See ``_wrap`` for dtypes, Series and NaN handling.

Layout: ``table`` declares one entry per indicator (kernel, inputs, parameters, outputs, lookback);
``api`` derives the checked functions from it, ``kernels`` the unchecked twins; ``vwap`` is the session
VWAP. Backtrader integration (``indicator_lines``, ``TFRSI``, ...) lives in ``lines``; its names are
also served from here, importing ``lines`` (and backtrader) on first use.
"""

from .api import *  # noqa: F403
from .api import __all__ as _table
from .vwap import vwap

__all__ = [*_table[:41], "vwap", *_table[41:]]

#: Names served lazily from ``lines`` (it imports backtrader, which plain indicator users do not need).
_LINES = ("indicator_lines", "TFIndicator", "TFSMA", "TFEMA", "TFWMA", "TFRSI", "TFATR", "TFBBands", "TFMACD",
          "TFStoch", "TFADX", "TFCCI", "TFMFI", "TFOBV")


def __getattr__(name: str):
    if name in _LINES:
        from . import lines

        return getattr(lines, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
