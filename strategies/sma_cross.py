"""``sma_cross``: long when the fast SMA crosses above the slow SMA, flat when it crosses below.

Behaves exactly like this vanilla backtrader strategy (same orders, same final value to the cent)::

    class SmaCross(bt.Strategy):
        params = dict(fast=10, slow=30, target=0.95)
        def __init__(self):
            self.x = bt.ind.CrossOver(bt.ind.SMA(period=self.p.fast), bt.ind.SMA(period=self.p.slow))
        def next(self):
            if not self.position and self.x[0] > 0: self.order_target_percent(target=self.p.target)
            elif self.position and self.x[0] < 0: self.close()

but the crossover line is computed once, vectorised, by :func:`crossover`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from .base import Strategy

__all__ = ["SmaCross", "crossover"]

# Differences smaller than this (relative to the averages) are re-computed exactly, because the sign of
# ``fast - slow`` is all the crossover looks at and a running sum is a few ulps away from ``math.fsum``.
_NEAR_TIE = 1e-7


def _fsum_sma(close: np.ndarray, period: int, at: np.ndarray) -> np.ndarray:
    """backtrader's SMA (``math.fsum`` of the window / period) at the indices *at*."""
    return np.array([math.fsum(close[i - period + 1 : i + 1]) / period for i in at], dtype=np.float64)


def _window_mean(close: np.ndarray, period: int) -> np.ndarray:
    """Simple moving average with TA-Lib's NaN warm-up, each window summed on its own (pairwise).

    Equal to ``tradeforge.indicators.sma`` within a few ulps; plain numpy keeps numba's start-up
    (about a second per process) off this strategy's path.
    """
    out = np.full(close.shape[0], np.nan)
    if close.shape[0] >= period:
        out[period - 1 :] = np.lib.stride_tricks.sliding_window_view(close, period).sum(axis=1) / period
    return out


def _exact_diff(close: np.ndarray, fast: int, slow: int) -> np.ndarray:
    """``SMA(fast) - SMA(slow)`` with the sign backtrader's fsum-based SMA would give."""
    f = _window_mean(close, fast)
    s = _window_mean(close, slow)
    diff = f - s
    scale = np.maximum(np.abs(f), np.abs(s))
    with np.errstate(invalid="ignore"):
        near = np.flatnonzero(np.abs(diff) <= _NEAR_TIE * scale)
    if near.size:
        diff[near] = _fsum_sma(close, fast, near) - _fsum_sma(close, slow, near)
    return diff


def crossover(close: np.ndarray, fast: int = 10, slow: int = 30) -> np.ndarray:
    """backtrader's ``CrossOver(SMA(fast), SMA(slow))`` as one vectorised array.

    +1 on a bar where the fast SMA crosses above the slow one, -1 where it crosses below, 0 otherwise,
    NaN during the warm-up (the first ``max(fast, slow)`` bars). As in backtrader, a bar where the two
    averages are equal does not end the previous side: the last non-zero difference is carried forward.
    Each value depends only on bars up to its own.

    Examples
    --------
    >>> x = crossover(np.array([5.0, 4, 3, 2, 3, 4, 5, 4, 3]), fast=1, slow=3)
    >>> x.tolist()[3:]
    [0.0, 1.0, 0.0, 0.0, -1.0, 0.0]
    """
    close = np.asarray(close, dtype=np.float64)
    n = close.shape[0]
    first = max(fast, slow) - 1  # first bar where both averages exist: the seed of the carried difference
    out = np.full(n, np.nan)
    if n <= first + 1:
        return out
    diff = _exact_diff(close, fast, slow)
    idx = np.arange(n)
    last_nonzero = np.where((diff != 0.0) & (idx >= first), idx, first)
    last_nonzero[:first] = 0
    nzd = diff[np.maximum.accumulate(last_nonzero)]
    prev, cur = nzd[first:-1], diff[first + 1 :]
    up = (prev < 0.0) & (cur > 0.0)
    down = (prev > 0.0) & (cur < 0.0)
    out[first + 1 :] = up.astype(np.float64) - down.astype(np.float64)
    return out


class SmaCross(Strategy):
    """Moving-average crossover, long only, ``target`` of the portfolio per symbol.

    Parameters (backtrader ``params``): ``fast`` (10) and ``slow`` (30) SMA periods in bars, ``target``
    (0.95) fraction of the portfolio value to hold when long. With several datas each one is traded on
    its own crossover with ``target / number of datas``.
    """

    params = dict(fast=10, slow=30, target=0.95)

    @classmethod
    def precompute(cls, df: pd.DataFrame, params: Mapping[str, Any]) -> dict[str, np.ndarray]:
        """The ``cross`` line: :func:`crossover` of the close."""
        return {"cross": crossover(df["close"].to_numpy(), int(params["fast"]), int(params["slow"]))}

    @classmethod
    def warmup(cls, params: Mapping[str, Any]) -> int:
        """``max(fast, slow)`` bars: the crossover needs both averages on the previous bar."""
        return max(int(params["fast"]), int(params["slow"]))

    def next(self) -> None:
        for data in self.fresh_datas():
            cross = data.cross[0]  # most bars are 0: look at the position only on a crossing
            if cross > 0:
                if not self.getposition(data):
                    self.order_target_percent(data=data, target=self.p.target / len(self.datas))
            elif cross < 0 and self.getposition(data):
                self.close(data=data)
