"""Walk-forward folds over a bar index: rolling or anchored training windows, back-to-back test windows.

Positions are counted on the *common bar index* of the data: the sorted union of every symbol's
timestamps (the clock backtrader steps on). Fold ``k`` tests on positions
``[train_bars + k * test_bars, train_bars + (k + 1) * test_bars)`` and trains on the ``train_bars``
positions before them (rolling) or on every position before them (anchored). Only complete test windows
become folds, so appending bars never changes a fold that ended before them. Warm-up bars (for
indicators, GARCH and LSTM look-backs) are taken from positions *before* a window, never after.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd

from tradeforge.errors import DataError

from ..config import check_int
from ..data import common_index

__all__ = ["Fold", "make_folds", "common_index"]  # common_index re-exported from ..data


@dataclass(frozen=True)
class Fold:
    """One walk-forward fold, as positions on the common index and the matching timestamps.

    ``train_lo <= train_hi == test_lo < test_hi`` (half-open ranges); ``warm_lo`` is the first position of
    the history handed to the fit (``train_lo - warm-up``, floored at 0).
    """

    fold: int
    warm_lo: int
    train_lo: int
    test_lo: int
    test_hi: int
    train_start: pd.Timestamp
    train_end: pd.Timestamp
    test_start: pd.Timestamp
    test_end: pd.Timestamp

    def as_row(self) -> dict:
        """Plain-data row for ``folds.csv`` (sizes in bars)."""
        row = asdict(self)
        return dict(fold=row["fold"], train_start=row["train_start"], train_end=row["train_end"],
                    test_start=row["test_start"], test_end=row["test_end"],
                    train_bars=self.test_lo - self.train_lo, test_bars=self.test_hi - self.test_lo,
                    warmup_bars=self.train_lo - self.warm_lo)


def make_folds(index: pd.DatetimeIndex, train_bars: int, test_bars: int, *, anchored: bool = False,
               warmup_bars: int = 0) -> list[Fold]:
    """Cut *index* into walk-forward folds (step = *test_bars*; see the module notes).

    Examples
    --------
    >>> idx = pd.date_range("2024-01-01", periods=10, freq="D")
    >>> [(f.train_lo, f.test_lo, f.test_hi) for f in make_folds(idx, 4, 3)]
    [(0, 4, 7), (3, 7, 10)]
    >>> [(f.train_lo, f.test_lo) for f in make_folds(idx, 4, 3, anchored=True)]
    [(0, 4), (0, 7)]
    """
    train_bars = check_int("train_bars", train_bars, 1, "pass e.g. --train-bars 1000")
    test_bars = check_int("test_bars", test_bars, 2, "pass e.g. --test-bars 250 (a fold needs >= 2 bars "
                           "to enter and leave a position)")
    warmup_bars = check_int("warmup_bars", warmup_bars, 0, "pass 0 or more bars")
    n = len(index)
    if train_bars + test_bars > n:
        raise DataError(f"train_bars={train_bars} + test_bars={test_bars} exceed the {n} bars of the data; "
                        f"pass smaller windows (e.g. --train-bars {max(1, n // 2)} "
                        f"--test-bars {max(2, n // 8)}) or more data")
    folds = []
    for k, test_lo in enumerate(range(train_bars, n - test_bars + 1, test_bars)):
        train_lo = 0 if anchored else test_lo - train_bars
        warm_lo = max(0, train_lo - warmup_bars)
        folds.append(Fold(fold=k, warm_lo=warm_lo, train_lo=train_lo, test_lo=test_lo,
                          test_hi=test_lo + test_bars, train_start=index[train_lo],
                          train_end=index[test_lo - 1], test_start=index[test_lo],
                          test_end=index[test_lo + test_bars - 1]))
    return folds
