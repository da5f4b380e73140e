"""Timeframe names and bar sizes: the one home of ``TIMEFRAMES`` and every check on them.

A leaf module (pandas and :mod:`tradeforge.errors` only) that feeds, models and engine all import
one way. A bar's timestamp is the *start* of its interval; a timeframe is usable on data of bar size
``bar`` when it is a whole multiple of ``bar``.

Examples
--------
>>> import pandas as pd
>>> from tradeforge.timeframes import check_timeframes, usable_timeframes
>>> usable_timeframes(pd.Timedelta(hours=1))
['1h', '6h', '1d']
>>> check_timeframes("1h,1d", pd.Timedelta(hours=1))
('1h', '1d')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from tradeforge.errors import ConfigError, DataError, did_you_mean, unknown_name_error

__all__ = [
    "TIMEFRAMES",
    "to_timedelta",
    "infer_bar_size",
    "frame_bar_size",
    "common_bar_size",
    "timeframe_name",
    "usable_timeframes",
    "check_timeframes",
]

#: Timeframe name -> bar size, from the smallest to the largest.
TIMEFRAMES: dict[str, pd.Timedelta] = {
    "1m": pd.Timedelta(minutes=1),
    "5m": pd.Timedelta(minutes=5),
    "30m": pd.Timedelta(minutes=30),
    "1h": pd.Timedelta(hours=1),
    "6h": pd.Timedelta(hours=6),
    "1d": pd.Timedelta(days=1),
}


def to_timedelta(timeframe: str | pd.Timedelta) -> pd.Timedelta:
    """Return the bar size of a timeframe name (``"5m"``) or pass a positive Timedelta through.

    Raises
    ------
    ConfigError
        An unknown name (with a did-you-mean) or a non-positive Timedelta.

    Examples
    --------
    >>> to_timedelta("30m")
    Timedelta('0 days 00:30:00')
    """
    if isinstance(timeframe, pd.Timedelta):
        if timeframe <= pd.Timedelta(0):
            raise ConfigError(f"timeframe: expected a positive bar size, got {timeframe}")
        return timeframe
    if timeframe in TIMEFRAMES:
        return TIMEFRAMES[timeframe]
    raise unknown_name_error("timeframe", str(timeframe), TIMEFRAMES)


def infer_bar_size(index: pd.DatetimeIndex) -> pd.Timedelta:
    """Infer the bar size of sorted timestamps: the most common gap between consecutive bars.

    Gaps between sessions (nights, weekends, holidays) are rarer than the bar itself, so the most
    common gap is the bar size; on a tie the smaller gap wins.

    Parameters
    ----------
    index : DatetimeIndex
        Sorted, unique timestamps (at least two).

    Returns
    -------
    Timedelta

    Raises
    ------
    DataError
        Fewer than two timestamps, or none increasing.

    Examples
    --------
    >>> import pandas as pd
    >>> infer_bar_size(pd.bdate_range("2024-01-01", periods=20))
    Timedelta('1 days 00:00:00')
    """
    if len(index) < 2:
        raise DataError(f"cannot infer the bar size from {len(index)} timestamp(s); need at least 2. "
                        "Fix: load more data or set df.attrs['bar'] yourself")
    gaps = pd.Series(index[1:] - index[:-1])
    gaps = gaps[gaps > pd.Timedelta(0)]
    if gaps.empty:
        raise DataError("cannot infer the bar size: timestamps are not increasing. "
                        "Fix: validate the data first")
    counts = gaps.value_counts()
    best = counts[counts == counts.max()].index.min()
    return pd.Timedelta(best)


def frame_bar_size(df: pd.DataFrame) -> pd.Timedelta:
    """The bar size of one OHLCV frame: ``df.attrs["bar"]`` when set (the validator sets it), else inferred.
    """
    bar = df.attrs.get("bar")
    return pd.Timedelta(bar) if bar is not None else infer_bar_size(df.index)


def common_bar_size(frames: Mapping[str, pd.DataFrame], *, known: bool = False,
                    what: str = "data") -> pd.Timedelta:
    """The one bar size shared by every frame of a universe.

    Parameters
    ----------
    frames : Mapping[str, DataFrame]
        Symbol -> OHLCV frame (at least one).
    known : bool, default False
        Also require the bar size to be one of :data:`TIMEFRAMES`.
    what : str, default "data"
        The name used in error messages (an argument or option).

    Raises
    ------
    DataError
        The symbols have different bar sizes, or (``known``) the size is not a timeframe.
    """
    sizes = {sym: frame_bar_size(df) for sym, df in frames.items()}
    if len(set(sizes.values())) > 1:
        shown = ", ".join(f"{sym}: {size}" for sym, size in sizes.items())
        raise DataError(f"{what}: the symbols have different bar sizes ({shown}); "
                        "resample them to one timeframe")
    bar = next(iter(sizes.values()))
    if known and bar not in TIMEFRAMES.values():
        listed = ", ".join(f"{k} ({v})" for k, v in TIMEFRAMES.items())
        raise DataError(f"{what}: bar size {bar} is not one of the timeframes {listed}; "
                        "resample the data first")
    return bar


def timeframe_name(size: pd.Timedelta, default: str | None = None) -> str:
    """The timeframe name of a bar size (``1d`` for one day); *default*, or ``str(size)``, when it has none.
    """
    name = next((k for k, v in TIMEFRAMES.items() if v == size), None)
    if name is not None:
        return name
    return default if default is not None else str(size)


def usable_timeframes(bar: pd.Timedelta) -> list[str]:
    """Every timeframe at or above *bar* that is a whole multiple of it, smallest first."""
    return [k for k, v in TIMEFRAMES.items() if v >= bar and v % bar == pd.Timedelta(0)]


def check_timeframes(timeframes: str | Sequence[str], bar: pd.Timedelta, *, above: bool = False,
                     what: str = "timeframes") -> tuple[str, ...]:
    """Validate requested timeframe names against the data's bar size.

    Parameters
    ----------
    timeframes : str or sequence of str
        ``"1h,1d"`` or ``["1h", "1d"]``; at least one name.
    bar : Timedelta
        The data's bar size.
    above : bool, default False
        Require each timeframe to be strictly larger than *bar* (higher timeframes only).
    what : str, default "timeframes"
        The name used in error messages.

    Returns
    -------
    tuple of str
        The names, in the order given.

    Raises
    ------
    ConfigError
        No name, an unknown name (did-you-mean), a name finer than or not a multiple of *bar*, or a repeat;
        the message lists the valid timeframes for *bar*.
    """
    valid = [k for k in usable_timeframes(bar) if not (above and TIMEFRAMES[k] == bar)]
    bar_name = timeframe_name(bar)
    hint = (f"Valid timeframes for {bar_name} bars: {', '.join(valid)}." if valid
            else f"No timeframe fits {bar_name} bars ({', '.join(TIMEFRAMES)}); resample the data.")
    names = timeframes.split(",") if isinstance(timeframes, str) else list(timeframes)
    names = [str(n).strip() for n in names if str(n).strip()]
    if not names:
        raise ConfigError(f"{what}: got {timeframes!r}, expected names like 1d or 1h,1d. {hint}")
    for name in names:
        if name not in TIMEFRAMES:
            raise ConfigError(f"{what}: unknown timeframe '{name}'.{did_you_mean(name, TIMEFRAMES)} {hint}")
        if name not in valid:
            coarse = above and TIMEFRAMES[name] == bar
            relation = "not larger than" if coarse else "finer than, or not a multiple of,"
            raise ConfigError(f"{what}: '{name}' is {relation} the data's bar size {bar_name}. {hint}")
    if len(set(names)) != len(names):
        raise ConfigError(f"{what}: {names} lists a timeframe twice; give each once")
    return tuple(names)
