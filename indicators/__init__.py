"""Numba indicators with TA-Lib's names, parameters, outputs and warm-up.

``from tradeforge import indicators as ta`` then ``ta.rsi(close, timeperiod=14)`` equals
``talib.RSI(close, timeperiod=14)`` to 1e-9. See ``_wrap`` for dtypes, Series and NaN handling.
Backtrader integration (``indicator_lines``, ``TFRSI``, ...) lives in ``lines`` and is imported lazily.
"""

from .api import *  # noqa: F403
from .api import __all__ as _overlap
from .api_extra import *  # noqa: F403
from .api_extra import __all__ as _extra
from .api_momentum import *  # noqa: F403
from .api_momentum import __all__ as _momentum
from .api_volatility import *  # noqa: F403
from .api_volatility import __all__ as _volatility
from .api_volume import *  # noqa: F403
from .api_volume import __all__ as _volume

__all__ = [*_overlap, *_momentum, *_volatility, *_volume, *_extra]

#: Names served lazily from ``lines`` (it imports backtrader, which plain indicator users do not need).
_LINES = ("indicator_lines", "TFIndicator", "TFSMA", "TFEMA", "TFWMA", "TFRSI", "TFATR", "TFBBands", "TFMACD",
          "TFStoch", "TFADX", "TFCCI", "TFMFI", "TFOBV")


def __getattr__(name: str):
    if name in _LINES:
        from . import lines

        return getattr(lines, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
