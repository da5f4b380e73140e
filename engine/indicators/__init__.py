"""Numba indicators with TA-Lib's names, parameters, outputs and warm-up.

``from tradeforge.engine import indicators as ta`` then ``ta.rsi(close, timeperiod=14)`` equals
``talib.RSI(close, timeperiod=14)`` to 1e-9. See ``_wrap`` for dtypes, Series and NaN handling.
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
