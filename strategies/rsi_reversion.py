"""``rsi_reversion``: buy an oversold market, sell it once it is overbought (RSI mean reversion)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from .base import Strategy

__all__ = ["RsiReversion"]


class RsiReversion(Strategy):
    """Long when RSI falls below ``lower``, flat when it rises above ``upper``.

    Parameters (backtrader ``params``): ``period`` (14) of the TA-Lib RSI (Wilder smoothing),
    ``lower`` (30) entry threshold, ``upper`` (70) exit threshold, ``target`` (0.95) fraction of the
    portfolio to hold when long (divided by the number of datas when several are traded). The order is
    sent at the close of the signal bar and fills at the next bar's open.

    Examples
    --------
    >>> RsiReversion.warmup({"period": 14, "lower": 30.0, "upper": 70.0, "target": 0.95})
    14
    """

    params = dict(period=14, lower=30.0, upper=70.0, target=0.95)

    @classmethod
    def precompute(cls, df: pd.DataFrame, params: Mapping[str, Any]) -> dict[str, np.ndarray]:
        """The ``rsi`` line: TA-Lib compatible RSI of the close."""
        from tradeforge.indicators import rsi  # numba starts only when the strategy is used

        return {"rsi": rsi(df["close"].to_numpy(), timeperiod=int(params["period"]))}

    @classmethod
    def warmup(cls, params: Mapping[str, Any]) -> int:
        """RSI needs ``period`` price changes, so its first value is on bar index ``period``."""
        return int(params["period"])

    def next(self) -> None:
        target = self.p.target / len(self.datas)
        for data in self.fresh_datas():
            position = self.getposition(data)
            value = data.rsi[0]
            if not position and value < self.p.lower:
                self.order_target_percent(data=data, target=target)
            elif position and value > self.p.upper:
                self.close(data=data)
