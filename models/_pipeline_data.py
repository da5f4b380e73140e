"""Input handling of :class:`tradeforge.models.pipeline.MLPipeline`: checks, slicing, timeframes, returns.

numpy/pandas only; every user mistake raises a :class:`~tradeforge.errors.DataError` or
:class:`~tradeforge.errors.ConfigError` naming the argument, the value and the fix.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from tradeforge.errors import ConfigError, DataError, unknown_name_error

OHLCV = ("open", "high", "low", "close", "volume")


def as_frames(history: Any, label: str = "history") -> tuple[dict[str, pd.DataFrame], bool]:
    """``({symbol: frame}, was_mapping)``; a single frame is keyed by ``attrs["symbol"]`` (or ``"data"``)."""
    if isinstance(history, pd.DataFrame):
        return {str(history.attrs.get("symbol", "data")): history}, False
    if isinstance(history, Mapping):
        if not history:
            raise DataError(f"{label}: got an empty mapping; pass symbol -> OHLCV DataFrame")
        return {str(k): v for k, v in history.items()}, True
    raise DataError(
        f"{label}: expected an OHLCV DataFrame or a mapping symbol -> DataFrame, got {type(history).__name__}; "
        "load data with tradeforge.feeds.load"
    )


def check_frame(df: Any, name: str) -> pd.DataFrame:
    """Check that *df* is a float OHLCV frame on a sorted unique DatetimeIndex; return the five columns."""
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"history['{name}']: expected a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in OHLCV if c not in df.columns]
    if missing:
        raise DataError(
            f"history['{name}']: missing column(s) {missing} (has {list(df.columns)}); pass lower-case "
            "open, high, low, close, volume (tradeforge.feeds.validate_ohlcv normalises them)"
        )
    if not isinstance(df.index, pd.DatetimeIndex):
        raise DataError(f"history['{name}']: the index must be a DatetimeIndex, got {type(df.index).__name__}; "
                        "validate it with tradeforge.feeds.validate_ohlcv")
    if not (df.index.is_monotonic_increasing and df.index.is_unique):
        raise DataError(f"history['{name}']: timestamps must be strictly increasing and unique; "
                        "validate it with tradeforge.feeds.validate_ohlcv")
    out = df.loc[:, list(OHLCV)].astype(np.float64)
    bad = ~np.isfinite(out.to_numpy()).all(axis=1)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataError(f"history['{name}']: non-finite OHLCV value at row {row} ({df.index[row]}); "
                        "fill or drop it (tradeforge.feeds.validate_ohlcv finds every such row)")
    out.attrs = dict(df.attrs)
    return out


def timestamp(value: Any, name: str) -> pd.Timestamp | None:
    """A tz-naive Timestamp from *value* (None passes through)."""
    if value is None:
        return None
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{name}: expected a date or timestamp, got {value!r}") from exc
    if ts.tzinfo is not None:
        raise ConfigError(f"{name}: got the tz-aware {ts}; pass wall-clock time like the data's index")
    return ts


def bar_size(frames: Mapping[str, pd.DataFrame]) -> pd.Timedelta:
    """The common bar size of *frames* (``attrs["bar"]``, else inferred); it must be a known timeframe."""
    from tradeforge.feeds.resample import TIMEFRAMES, infer_bar_size

    sizes = {}
    for name, df in frames.items():
        bar = df.attrs.get("bar")
        sizes[name] = pd.Timedelta(bar) if bar is not None else infer_bar_size(df.index)
    distinct = set(sizes.values())
    if len(distinct) > 1:
        raise DataError(f"history: symbols have different bar sizes {sizes}; resample them to one timeframe")
    bar = distinct.pop()
    if bar not in TIMEFRAMES.values():
        known = ", ".join(f"{k} ({v})" for k, v in TIMEFRAMES.items())
        raise DataError(f"history: bar size {bar} is not one of the timeframes {known}; resample the data first")
    return bar


def timeframe_name(size: pd.Timedelta) -> str:
    from tradeforge.feeds.resample import TIMEFRAMES

    return next(k for k, v in TIMEFRAMES.items() if v == size)


def resolve_timeframes(timeframes: Sequence[str] | None, bar: pd.Timedelta) -> list[str]:
    """LSTM timeframes: the given ones (each a whole multiple of *bar*), or every known one >= *bar*."""
    from tradeforge.feeds.resample import TIMEFRAMES

    if timeframes is None:
        return [k for k, v in TIMEFRAMES.items() if v >= bar and v % bar == pd.Timedelta(0)]
    tfs = [timeframes] if isinstance(timeframes, str) else list(timeframes)
    if not tfs:
        raise ConfigError("timeframes: expected at least one timeframe name, or None for automatic")
    for tf in tfs:
        if tf not in TIMEFRAMES:
            raise unknown_name_error("timeframe", str(tf), TIMEFRAMES)
        size = TIMEFRAMES[tf]
        if size < bar or size % bar != pd.Timedelta(0):
            raise ConfigError(f"timeframes: '{tf}' ({size}) is not a whole multiple of the data's bar size {bar}; "
                              "keep only timeframes at or above it")
    if len(set(tfs)) != len(tfs):
        raise ConfigError(f"timeframes: {tfs} lists a timeframe twice")
    return tfs


def log_returns(close: np.ndarray) -> np.ndarray:
    """``log(close[t] / close[t-1])``; NaN at the first bar."""
    out = np.full(close.shape[0], np.nan)
    logs = np.log(close)
    out[1:] = logs[1:] - logs[:-1]
    return out


def bars_per_day(index: pd.DatetimeIndex, bar: pd.Timedelta) -> float:
    """Typical bars per trading day (1 for daily bars): the median count per calendar date."""
    if bar >= pd.Timedelta(days=1):
        return 1.0
    counts = pd.Series(1, index=index).groupby(index.normalize()).size()
    return float(max(1.0, np.median(counts.to_numpy())))


def benchmark_returns(benchmark: Any, frames: Mapping[str, pd.DataFrame]) -> pd.Series | None:
    """Benchmark log returns: from a close Series, or the equal-weighted index of several symbols, or None."""
    if benchmark is not None:
        if not isinstance(benchmark, pd.Series) or not isinstance(benchmark.index, pd.DatetimeIndex):
            raise ConfigError(f"benchmark: expected a close-price pandas Series on a DatetimeIndex, got "
                              f"{type(benchmark).__name__}")
        close = benchmark.astype(np.float64).dropna()
        if (close <= 0).any():
            raise DataError("benchmark: close prices must be positive; clean the series first")
        return pd.Series(log_returns(close.to_numpy()), index=close.index, name="benchmark")
    if len(frames) < 2:
        return None
    simple = pd.concat({k: df["close"].pct_change() for k, df in frames.items()}, axis=1)
    return np.log1p(simple.mean(axis=1, skipna=True)).rename("equal_weight")


def TIMEFRAME_SIZES() -> dict[str, pd.Timedelta]:  # noqa: N802 - reads like the constant it returns
    """``feeds.TIMEFRAMES`` (name -> bar size), imported lazily."""
    from tradeforge.feeds.resample import TIMEFRAMES

    return TIMEFRAMES
