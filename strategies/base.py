"""Base class of tradeforge strategies: a ``bt.Strategy`` that reads precomputed lines.

Indicators are computed once, vectorised, before the backtest (:meth:`Strategy.precompute`) and handed
to backtrader as extra lines of the data feed; the strategy's ``next`` only reads ``self.data.<line>[0]``.
:meth:`Strategy.warmup` tells backtrader how many bars to wait before calling ``next``, exactly as the
minimum period of backtrader's own indicators would.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import backtrader as bt
import numpy as np
import pandas as pd

__all__ = ["Strategy"]


class Strategy(bt.Strategy):
    """A backtrader strategy whose indicators arrive precomputed as feed lines.

    Subclasses declare backtrader ``params``, override :meth:`precompute` (the extra lines, from the
    validated OHLCV frame of one symbol) and :meth:`warmup` (bars before the first usable signal), and
    read the lines in ``next``. ``next`` is first called on bar index ``warmup(params)`` of every data,
    which is where backtrader's own indicators would first be ready.

    Examples
    --------
    >>> class Always(Strategy):
    ...     params = dict(period=3)
    ...     @classmethod
    ...     def warmup(cls, params):
    ...         return params["period"]
    >>> Always.warmup({"period": 3})
    3
    """

    @classmethod
    def precompute(cls, df: pd.DataFrame, params: Mapping[str, Any]) -> dict[str, np.ndarray]:
        """Return the extra feed lines ``{name: float64 array aligned to df}`` this strategy reads.

        Computed once per symbol before the run; a value at bar t may depend only on bars <= t.
        """
        return {}

    @classmethod
    def warmup(cls, params: Mapping[str, Any]) -> int:
        """Number of bars at the start of the data before the first usable signal."""
        return 0

    def fresh_datas(self) -> list[bt.feed.DataBase]:
        """The datas that got a new bar since the previous call (call it once per ``next``).

        With several symbols on different calendars backtrader keeps calling ``next`` after one data
        has ended or while it has a gap, repeating its last bar; acting on a repeated bar would send
        orders that can never fill. On a single data (or a common calendar) this is every data.
        """
        if len(self.datas) == 1:  # a single data advances on every call of next
            return self.datas
        lengths = [len(data) for data in self.datas]
        previous = self.__dict__.get("_tf_lengths") or [0] * len(lengths)
        self._tf_lengths = lengths
        pairs = zip(self.datas, lengths, previous, strict=True)
        return [data for data, now, before in pairs if now != before]

    def _params_dict(self) -> dict[str, Any]:
        """The instance's parameters as a plain dict."""
        return {name: getattr(self.p, name) for name in self.p._getkeys()}

    def _periodset(self) -> None:
        # backtrader derives when ``next`` starts from the minimum periods of the indicators attached to
        # each data; ``addminperiod`` on a strategy without indicators does not delay ``next``. Our
        # indicators are precomputed lines, so raise each data's minimum period to ``warmup + 1`` here.
        super()._periodset()
        need = int(self.warmup(self._params_dict())) + 1
        self._minperiods = [max(m, need) for m in self._minperiods]
        self._minperiod = max(self._minperiod, need)
