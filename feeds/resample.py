"""Bar sizes: the timeframe names, bar-size inference and OHLCV resampling to larger bars.

Bins follow the contract's convention: a bar's timestamp is the *start* of its interval
(label = left edge, interval closed on the left). Bins are aligned to midnight, so daily bars
group intraday bars by calendar date and ``1h`` bins start on the hour (a 09:30-10:00 bar goes to
the bar labelled 09:00). Bins without any input bar are dropped, never filled.
"""

from __future__ import annotations

import pandas as pd

from tradeforge.errors import DataError
from tradeforge.timeframes import TIMEFRAMES, infer_bar_size, to_timedelta

# TIMEFRAMES, infer_bar_size and to_timedelta live in tradeforge.timeframes (re-exported here)
__all__ = ["TIMEFRAMES", "infer_bar_size", "resample", "to_timedelta"]

_AGG = {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}


def resample(df: pd.DataFrame, timeframe: str | pd.Timedelta) -> pd.DataFrame:
    """Aggregate validated OHLCV bars into larger bars.

    open = first, high = max, low = min, close = last, volume = sum; label = left edge, closed
    left; empty bins dropped. Extra columns are dropped (recompute indicators on the new bars).

    Parameters
    ----------
    df : DataFrame
        A frame from :func:`tradeforge.feeds.validate_ohlcv` (``attrs["bar"]`` is used when present).
    timeframe : str or Timedelta
        A name of :data:`TIMEFRAMES` or a bar size; must be a whole multiple of the data's bar.

    Returns
    -------
    DataFrame
        Same layout, ``attrs["bar"]`` set to the new bar size, other attrs kept.

    Raises
    ------
    DataError
        If the target bar is smaller than (or not a multiple of) the data's bar.

    Examples
    --------
    >>> import pandas as pd
    >>> idx = pd.date_range("2024-01-02 09:30", periods=4, freq="30min", name="datetime")
    >>> bars = pd.DataFrame({"open": [1.0, 2, 3, 4], "high": [2.0, 3, 4, 5], "low": [0.5, 1, 2, 3],
    ...                      "close": [2.0, 3, 4, 5], "volume": [10.0, 20, 30, 40]}, index=idx)
    >>> hourly = resample(bars, "1h")
    >>> hourly.index.strftime("%H:%M").tolist(), hourly["open"].tolist(), hourly["volume"].tolist()
    (['09:00', '10:00', '11:00'], [1.0, 2.0, 4.0], [10.0, 50.0, 40.0])
    """
    target = to_timedelta(timeframe)
    missing = [c for c in _AGG if c not in df.columns]
    if missing or not isinstance(df.index, pd.DatetimeIndex):
        raise DataError("resample: expected a validated OHLCV frame "
                        f"(missing {missing or 'a DatetimeIndex'}). "
                        "Fix: pass it through tradeforge.feeds.validate_ohlcv first")
    bar = df.attrs.get("bar") or (infer_bar_size(df.index) if len(df) > 1 else target)
    symbol = df.attrs.get("symbol", "<data>")
    if target < bar:
        raise DataError(f"{symbol}: cannot resample {bar} bars to smaller {target} bars (resampling only "
                        "aggregates). Fix: load data at the smaller bar size")
    if target % bar != pd.Timedelta(0):
        raise DataError(f"{symbol}: target bar {target} is not a whole multiple of the data's bar {bar}; "
                        "bins would mix partial bars. Fix: pick a multiple of the data's bar size")
    grouped = df[list(_AGG)].resample(target, label="left", closed="left", origin="start_day")
    out = grouped.agg(_AGG)
    counts = grouped["open"].count()
    out = out[counts.to_numpy() > 0].astype("float64")
    out.index = pd.DatetimeIndex(out.index, name="datetime", freq=None)
    out.attrs = {**df.attrs, "bar": target}
    return out
