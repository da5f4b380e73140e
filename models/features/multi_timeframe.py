"""Multi-timeframe feature matrices aligned on completed higher-timeframe bars only.

A bar labelled ``t`` of size ``L`` is complete at ``t + L`` (``docs/CONTRACTS.md``). The row of a base
bar labelled ``t`` sees the features of the last higher bar ``T`` (size ``H``) with ``T + H <= t + L``:
the daily RSI seen by the 10:30 bar is yesterday's, never the still-forming today's. Because a partial
higher bar is never complete before its last base bar, cutting the data anywhere changes nothing
before the cut.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from tradeforge.feeds.resample import resample
from tradeforge.timeframes import TIMEFRAMES, check_timeframes, frame_bar_size, timeframe_name

from .defaults import default_feature_set
from .matrix import FeatureSet

__all__ = ["align_completed", "build_multi_timeframe"]


def align_completed(higher: pd.DataFrame, size: pd.Timedelta, base_index: pd.DatetimeIndex,
                    bar: pd.Timedelta) -> np.ndarray:
    """Rows of *higher* (bars of *size*) visible at each base bar (size *bar*): the last higher bar
    complete by the end of the base bar; the result holds NaN rows where none is complete yet."""
    done = (higher.index + size).as_unit("ns").asi8
    ends = (base_index + bar).as_unit("ns").asi8
    pos = np.searchsorted(done, ends, side="right") - 1
    values = higher.to_numpy(dtype=np.float64)
    out = np.full((len(base_index), values.shape[1]), np.nan)
    ok = pos >= 0
    out[ok] = values[pos[ok]]
    return out


def build_multi_timeframe(
    df: pd.DataFrame,
    timeframes: Sequence[str] = ("1d",),
    feature_set: FeatureSet | None = None,
) -> pd.DataFrame:
    """Base-timeframe features plus those of each higher timeframe, on *df*'s bars, causally.

    Columns are prefixed with the timeframe (``5m_rsi_14``, ``1d_rsi_14``; ``base_`` when the bar size
    is not one of ``tradeforge.timeframes.TIMEFRAMES``). Each higher timeframe is resampled from *df*
    (:func:`tradeforge.feeds.resample.resample`), its features computed on its own bars, then aligned so
    that a base row sees only higher bars complete by the end of that base bar. The ``time`` group is
    computed for the base timeframe only. Higher-timeframe columns stay NaN until their own warm-up
    (``feature_set.warmup`` higher bars) has passed.

    Parameters
    ----------
    df : DataFrame
        Validated OHLCV bars (``attrs["bar"]`` is used when present, else inferred).
    timeframes : sequence of str
        Higher timeframe names (``tradeforge.timeframes.TIMEFRAMES``), each a larger whole multiple of
        the bar size; empty for the base timeframe only.
    feature_set : FeatureSet, optional
        Default: :func:`default_feature_set`.

    Examples
    --------
    >>> from tradeforge.models.features import FeatureSet, FeatureSpec
    >>> idx = pd.date_range("2024-01-01", periods=96, freq="1h", name="datetime")
    >>> px = pd.DataFrame({"open": 1.0, "high": 1.0, "low": 1.0, "close": 1.0, "volume": 1.0}, index=idx)
    >>> fs = FeatureSet([FeatureSpec("ret", "logret")])
    >>> list(build_multi_timeframe(px, ["1d"], fs).columns)
    ['1h_ret', '1d_ret']
    """
    fs = default_feature_set() if feature_set is None else feature_set
    bar = frame_bar_size(df)
    names = check_timeframes(timeframes, bar, above=True, what="build_multi_timeframe") if timeframes else ()
    sizes = {name: TIMEFRAMES[name] for name in names}
    base = fs.transform(df)
    parts = [base.add_prefix(f"{timeframe_name(bar, default='base')}_")]
    if not sizes or all(s.group == "time" for s in fs.specs):
        return pd.concat(parts, axis=1)
    higher_fs = fs.select(exclude=("time",))
    src = df.copy(deep=False)
    src.attrs = {**df.attrs, "bar": bar}
    for tf, size in sizes.items():
        higher = higher_fs.transform(resample(src, size))
        aligned = align_completed(higher, size, df.index, bar)
        parts.append(pd.DataFrame(aligned, index=df.index, columns=[f"{tf}_{c}" for c in higher.columns]))
    return pd.concat(parts, axis=1)
