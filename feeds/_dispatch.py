"""``feeds.load``: turn a data spec (sample, file, directory, synthetic) into validated frames."""

from __future__ import annotations

import datetime as _dt
import os
from pathlib import Path

import pandas as pd

from tradeforge.errors import ConfigError, DataError, did_you_mean

SPEC_KINDS = ("sample", "synth")


def _parse_bound(value: object, arg: str, tz: str | None, *, end: bool) -> pd.Timestamp | None:
    """Parse a start/end bound; a date-only *end* includes the whole day."""
    if value is None:
        return None
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{arg}: cannot parse {value!r} as a date ({exc}). Fix: use YYYY-MM-DD") from None
    if ts is pd.NaT:
        raise ConfigError(f"{arg}: got {value!r}, expected a date such as 2020-01-31")
    if ts.tzinfo is not None:
        ts = ts.tz_convert(tz or "UTC").tz_localize(None)
    date_only = (isinstance(value, str) and len(value.strip()) <= 10) or (
        isinstance(value, _dt.date) and not isinstance(value, _dt.datetime))
    if end and date_only and ts == ts.normalize():
        ts = ts + pd.Timedelta(days=1) - pd.Timedelta(1, "ns")
    return ts


def _slice(df: pd.DataFrame, start: object, end: object, label: str) -> pd.DataFrame:
    if start is None and end is None:
        return df
    tz = df.attrs.get("tz")
    lo = _parse_bound(start, "start", tz, end=False)
    hi = _parse_bound(end, "end", tz, end=True)
    if lo is not None and hi is not None and lo > hi:
        raise ConfigError(f"start {start!r} is after end {end!r}. Fix: swap them")
    out = df.loc[lo:hi]
    if out.empty:
        raise DataError(
            f"{label}: no bars between start={start!r} and end={end!r}; the data covers "
            f"{df.index[0]} to {df.index[-1]}. Fix: choose dates inside that range"
        )
    out = out.copy()
    out.attrs = dict(df.attrs)
    return out


def _unknown_kind(spec: str) -> ConfigError:
    kind = spec.split(":", 1)[0]
    return ConfigError(
        f"data spec {spec!r}: unknown kind '{kind}' and no such file or directory."
        f"{did_you_mean(kind, SPEC_KINDS)} "
        "Known: sample:NAME (sample:sp500, sample:nasdaq), synth:KEY=VALUE,..., a CSV/Parquet file or a "
        "directory of them"
    )


def _dispatch(spec: str | os.PathLike, *, lenient: bool, adjust: bool, **csv: object
              ) -> dict[str, pd.DataFrame]:
    if isinstance(spec, str) and not Path(spec).exists():
        kind, _, rest = spec.partition(":")
        if kind.lower() == "sample" and _:
            from .samples import load_sample

            df = load_sample(rest, adjust=adjust)
            return {df.attrs["symbol"]: df}
        if kind.lower() == "synth" and _:
            from .lazy_synthetic import synth_from_spec

            if adjust:
                raise ConfigError("adjust=True: synthetic data has no 'Adj Close' "
                                  "(its prices need no adjustment). Fix: drop adjust for synth: specs")
            return synth_from_spec(rest)
        if _ and not os.path.splitdrive(spec)[0]:
            raise _unknown_kind(spec)
    path = Path(spec).expanduser()
    from .files import load_directory, load_file

    if path.is_dir():
        return load_directory(path, lenient=lenient, adjust=adjust, **csv)
    if path.is_file():
        df = load_file(path, lenient=lenient, adjust=adjust, **csv)
        return {df.attrs["symbol"]: df}
    raise ConfigError(f"data spec {str(spec)!r}: no such file or directory. Fix: check the path, or use "
                      "sample:sp500, sample:nasdaq or synth:symbols=5,bars=2000")


def load(
    spec: str | os.PathLike,
    *,
    lenient: bool = False,
    start: object = None,
    end: object = None,
    adjust: bool = False,
    sep: str | None = None,
    dayfirst: bool = False,
    tz: str | None = None,
) -> dict[str, pd.DataFrame]:
    """Load validated OHLCV frames from a data spec.

    Parameters
    ----------
    spec : str or path
        ``sample:sp500`` / ``sample:nasdaq`` (real daily data bundled with ``arch``);
        ``synth:symbols=5,bars=2000,freq=1d,seed=0,...`` (see :func:`synthetic_universe`);
        a CSV or Parquet file (symbol = upper-cased file stem); a directory of such files (a universe).
    lenient : bool
        Sort rows and drop exact duplicate rows instead of raising (see :func:`validate_ohlcv`).
    start, end : str, date or Timestamp, optional
        Inclusive bounds; a date-only ``end`` includes that whole day.
    adjust : bool
        Scale open/high/low/close by ``Adj Close / Close`` (files and samples with that column).
    sep, dayfirst, tz
        Files only: the CSV separator (default: detected, with decimal commas and thousands
        separators), day-first dates, and the time zone to convert timestamps to (see
        :func:`~tradeforge.feeds.files.load_file`).

    Returns
    -------
    dict[str, DataFrame]
        Symbol -> validated frame, ordered by symbol; each has ``attrs["symbol"]`` and ``attrs["bar"]``.

    Raises
    ------
    ConfigError
        Unknown spec kind, sample name or synth key (with a did-you-mean hint), bad dates.
    DataError
        Invalid data, or no bars between start and end.

    Examples
    --------
    >>> data = load("sample:sp500", start="2018-01-01", end="2018-01-31")
    >>> list(data), len(data["SP500"])
    (['SP500'], 21)
    """
    csv = {k: v for k, v in dict(sep=sep, dayfirst=dayfirst, tz=tz).items() if v}
    frames = _dispatch(spec, lenient=lenient, adjust=adjust, **csv)
    return {sym: _slice(frames[sym], start, end, f"{spec}[{sym}]") for sym in sorted(frames)}
