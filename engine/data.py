"""The engine's one loader of data (a spec or a mapping of frames -> validated OHLCV frames) and the
common bar index and date slices of a universe.

Every command (backtest, walk-forward, train) reads its data through :func:`load_frames`, so a spec and a
mapping of DataFrames are validated, bounded and checked the same way everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from tradeforge.errors import ConfigError, DataError

__all__ = ["load_frames", "common_index", "slice_frames"]


def load_frames(data: str | Mapping[str, pd.DataFrame], *, start: Any = None, end: Any = None
                ) -> dict[str, pd.DataFrame]:
    """Validated frames of *data* between *start* and *end* (inclusive), at least two bars each.

    Parameters
    ----------
    data : str or mapping
        A :func:`tradeforge.feeds.load` spec (``"sample:sp500"``, a file, a directory, ``"synth:..."``) or a
        non-empty ``{symbol: OHLCV DataFrame}`` (validated here with :func:`tradeforge.feeds.validate_ohlcv`).
    start, end : date-like, optional
        Inclusive bounds on the bars kept.

    Returns
    -------
    dict[str, DataFrame]
        Symbol -> validated frame; ``attrs`` (``bar``, ``symbol``, ...) survive the date bounds.

    Raises
    ------
    ConfigError
        *data* is neither a spec string nor a non-empty mapping.
    DataError
        Invalid data, or fewer than two bars of a symbol inside the bounds.

    Examples
    --------
    >>> frames = load_frames("synth:symbols=2,bars=50,seed=1", start="2020-01-10")
    >>> sorted(frames), frames["SYN00"].attrs["symbol"]
    (['SYN00', 'SYN01'], 'SYN00')
    """
    from tradeforge.feeds import load, validate_ohlcv

    if isinstance(data, str):
        frames = load(data, start=start, end=end)
    elif isinstance(data, Mapping) and data:
        frames = {}
        for sym, df in data.items():
            part = validate_ohlcv(df, str(sym))
            attrs = dict(part.attrs)
            part = part.loc[start:end]
            part.attrs = {**attrs, "symbol": str(sym)}
            frames[str(sym)] = part
    else:
        got = type(data).__name__ + (" (empty)" if isinstance(data, Mapping) else "")
        raise ConfigError(f"data: expected a spec string like 'sample:sp500' or a non-empty mapping symbol "
                          f"-> DataFrame, got {got}")
    if not frames:
        raise DataError(f"data {data!r}: no symbols to trade; check the spec")
    for sym, df in frames.items():
        if len(df) < 2:
            raise DataError(f"data '{sym}': {len(df)} bar(s) between start={start!r} and end={end!r}; "
                            "widen the date range (--from/--to)")
    return frames


def common_index(frames: dict[str, pd.DataFrame]) -> pd.DatetimeIndex:
    """Sorted union of the frames' timestamps (backtrader steps once per distinct timestamp).

    Examples
    --------
    >>> a = pd.DataFrame(index=pd.to_datetime(["2024-01-01", "2024-01-03"]))
    >>> b = pd.DataFrame(index=pd.to_datetime(["2024-01-02", "2024-01-03"]))
    >>> len(common_index({"A": a, "B": b}))
    3
    """
    index = None
    for df in frames.values():
        index = df.index if index is None else index.union(df.index)
    return pd.DatetimeIndex(index, name="datetime")


def slice_frames(frames: Mapping[str, pd.DataFrame], start: pd.Timestamp, end: pd.Timestamp | None = None
                 ) -> dict[str, pd.DataFrame]:
    """Every frame's bars in ``[start, end]`` (label-based, inclusive), each keeping its ``attrs``.

    Examples
    --------
    >>> df = pd.DataFrame({"close": [1.0, 2.0, 3.0]}, index=pd.date_range("2024-01-01", periods=3))
    >>> df.attrs["bar"] = pd.Timedelta(days=1)
    >>> part = slice_frames({"X": df}, df.index[1])["X"]
    >>> len(part), part.attrs["bar"]
    (2, Timedelta('1 days 00:00:00'))
    """
    out = {}
    for sym, df in frames.items():
        part = df.loc[start:end]
        part.attrs = dict(df.attrs)
        out[sym] = part
    return out
