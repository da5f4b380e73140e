"""Validate OHLCV data into the one frame layout every layer of tradeforge relies on.

A validated frame (see ``docs/CONTRACTS.md``) has a tz-naive, strictly increasing, unique
``DatetimeIndex`` named ``datetime`` and float64 columns ``open, high, low, close, volume``.

Rules, checked in this order; the first broken one raises :class:`~tradeforge.errors.DataError`
naming the data (``name``), the first offending row (0-based position in the input and its
timestamp), the rule and the fix:

1. the data is not empty;
2. the columns open/high/low/close/volume exist (case-insensitive);
3. every timestamp parses; 4. all timestamps share one time zone (or none);
5. every price and volume is a finite number; 6. prices are positive;
7. ``high >= max(open, close)``; 8. ``low <= min(open, close)``; 9. volume is not negative;
10. timestamps are sorted; 11. timestamps are unique.

``lenient=True`` may only *sort* rows and drop *exact* duplicate rows (same timestamp and same
values); rows sharing a timestamp with different values still raise. What it did is logged as a
warning and stored in ``df.attrs["lenient_report"]``.

Adjusted prices: an ``Adj Close`` column is ignored by default, so prices are the prices that were
actually traded. ``adjust=True`` scales open/high/low/close by ``adj_close / close`` (volume is kept),
which removes the jumps of splits and dividends from long histories.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from tradeforge.errors import ConfigError, DataError
from tradeforge.timeframes import infer_bar_size

__all__ = ["OHLCV", "TIME_COLUMNS", "validate_ohlcv", "check_tz"]

OHLCV: tuple[str, ...] = ("open", "high", "low", "close", "volume")
#: Column names (case-insensitive) accepted as the timestamp when the index is not one.
TIME_COLUMNS: tuple[str, ...] = ("datetime", "date", "timestamp", "time")
_ADJ_NAMES = ("adj close", "adj_close", "adjclose", "adjusted close", "adjusted_close")

log = logging.getLogger(__name__)


def _norm(col: object) -> str:
    return str(col).strip().lower()


def _row(name: str, pos: int, ts: object, rule: str, fix: str) -> DataError:
    return DataError(f"{name}: row {pos} (timestamp {ts}): {rule}. Fix: {fix}")


def _find_columns(df: pd.DataFrame, name: str, adjust: bool) -> dict[str, object]:
    """Map each lower-case OHLCV name (plus ``adj_close`` when *adjust*) to the frame's own column."""
    found: dict[str, object] = {}
    for col in df.columns:
        key = _norm(col)
        key = "adj_close" if key in _ADJ_NAMES else key
        if key in found:
            raise DataError(
                f"{name}: columns {found[key]!r} and {col!r} both mean '{key}' (names are case-insensitive). "
                "Fix: drop or rename one of them"
            )
        found[key] = col
    wanted = OHLCV + (("adj_close",) if adjust else ())
    missing = [c for c in wanted if c not in found]
    if missing:
        hint = " (adjust=True needs an 'Adj Close' column)" if missing == ["adj_close"] else ""
        raise DataError(
            f"{name}: missing column(s) {', '.join(missing)}{hint}; found {[str(c) for c in df.columns]}. "
            "Fix: rename the columns to open, high, low, close, volume (any case)"
        )
    return found


def _raw_timestamps(df: pd.DataFrame, name: str) -> tuple[object, object | None]:
    """Return (timestamp values, name of the column they came from or None for the index)."""
    if isinstance(df.index, pd.DatetimeIndex):
        return df.index, None
    by_name = {_norm(c): c for c in df.columns}
    for key in TIME_COLUMNS:
        if key in by_name:
            return df[by_name[key]], by_name[key]
    if isinstance(df.index, pd.RangeIndex):
        raise DataError(
            f"{name}: no timestamps: the index is a plain row number and there is no column named one of "
            f"{', '.join(TIME_COLUMNS)}. Fix: set a DatetimeIndex or add a 'datetime' column"
        )
    return df.index, None


def _zone_of(value: object) -> str | None:
    tz = getattr(value, "tzinfo", None)
    return None if tz is None else str(tz)


def _check_one_zone(values: pd.Index, name: str) -> None:
    """Raise if an object array of datetimes mixes zones (or aware with naive)."""
    zones = [_zone_of(v) for v in values]
    first = zones[0]
    for pos, zone in enumerate(zones):
        if zone != first:
            raise _row(
                name, pos, values[pos], f"mixed time zones/offsets: {first} at row 0 but {zone} here",
                "convert every timestamp to one zone, e.g. "
                "pass --tz America/New_York (tz=...) to convert them (offsets that change with daylight "
                "saving are one zone)",
            )


_DAY_FIRST = re.compile(r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-]\d{2,4}")


def _day_first_hint(values: pd.Index, name: str, dayfirst: bool) -> None:
    """Refuse dates like ``13/01/2024`` read month-first: they would mix two orders in one column."""
    if dayfirst or values.dtype != object:
        return
    for pos, value in enumerate(values[:5000]):
        match = _DAY_FIRST.match(str(value))
        if match and int(match.group(1)) > 12 >= int(match.group(2)):
            raise _row(name, pos, value, "the dates look day-first (day > 12 in the first field), which "
                       "would be read month-first elsewhere", "pass --dayfirst (dayfirst=True), or write "
                       "ISO 8601 dates (YYYY-MM-DD)")


def check_tz(tz: str | None) -> str | None:
    """*tz* if it names an IANA time zone (``America/New_York``), else a ConfigError.

    Examples
    --------
    >>> check_tz("Europe/Paris")
    'Europe/Paris'
    """
    if tz is None:
        return None
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(str(tz))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"tz {tz!r}: unknown time zone; pass an IANA name such as America/New_York, "
                          "Europe/London or UTC") from None
    return str(tz)


def _in_zone(values: pd.Index, tz: str, dayfirst: bool) -> pd.DatetimeIndex:
    """Timestamps converted to the zone *tz*: offsets (which change with daylight saving) through UTC;
    naive timestamps are taken as wall-clock times of *tz* already."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            parsed = pd.to_datetime(values, dayfirst=dayfirst)
        except (ValueError, TypeError):
            parsed = pd.to_datetime(values, utc=True, dayfirst=dayfirst, format="mixed", errors="coerce")
        if not isinstance(parsed, pd.DatetimeIndex):
            parsed = pd.to_datetime(values, utc=True, dayfirst=dayfirst, format="mixed", errors="coerce")
    return parsed if parsed.tz is None else parsed.tz_convert(tz)


def _parse_timestamps(raw: object, name: str, *, dayfirst: bool = False,
                      tz: str | None = None) -> pd.DatetimeIndex:
    """Parse *raw* into a DatetimeIndex (possibly tz-aware) or raise naming the first bad row."""
    values = pd.Index(raw)
    missing = np.flatnonzero(pd.isna(values))
    if missing.size:
        pos = int(missing[0])
        raise _row(name, pos, values[pos], "missing timestamp", "fill in or drop the row without a time")
    if isinstance(values, pd.DatetimeIndex):
        return values
    if pd.api.types.is_numeric_dtype(values.dtype):
        raise _row(name, 0, values[0], "numeric timestamps are ambiguous (seconds? days? YYYYMMDD?)",
                   "convert them first, e.g. pd.to_datetime(col, unit='s') or format='%Y%m%d'")
    _day_first_hint(values, name, dayfirst)
    if tz is not None:
        parsed = _in_zone(values, tz, dayfirst)
    else:
        if values.dtype == object and any(_zone_of(v) is not None for v in values[:1]):
            _check_one_zone(values, name)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                parsed = pd.to_datetime(values, dayfirst=dayfirst)
            except (ValueError, TypeError, OverflowError):
                parsed = pd.to_datetime(values, format="mixed", errors="coerce", dayfirst=dayfirst)
        if not isinstance(parsed, pd.DatetimeIndex):  # object index: mixed offsets or zones
            _check_one_zone(parsed, name)
            parsed = pd.DatetimeIndex(parsed)
    bad = np.flatnonzero(pd.isna(parsed))
    if bad.size:
        pos = int(bad[0])
        raise _row(
            name, pos, repr(values[pos]), "unparseable timestamp",
            "write timestamps as ISO 8601 (YYYY-MM-DD or YYYY-MM-DD HH:MM:SS) or parse them before loading",
        )
    return parsed


def _to_wall_clock(index: pd.DatetimeIndex) -> tuple[pd.DatetimeIndex, str | None]:
    if index.tz is None:
        return index, None
    return index.tz_localize(None), str(index.tz)


def _numeric(df: pd.DataFrame, cols: dict[str, object], stamps: pd.DatetimeIndex, name: str) -> np.ndarray:
    """Return an (n, k) float64 array of the wanted columns; raise on text, NaN or inf."""
    out = np.empty((len(df), len(cols)))
    for j, (key, col) in enumerate(cols.items()):
        series = df[col]
        try:
            out[:, j] = np.asarray(series, dtype=np.float64)
        except (TypeError, ValueError):
            coerced = pd.to_numeric(series, errors="coerce")
            pos = int(np.flatnonzero(coerced.isna().to_numpy() & series.notna().to_numpy())[0])
            raise _row(name, pos, stamps[pos], f"{key} is not a number ({series.iloc[pos]!r})",
                       "clean or drop the row") from None
    bad = ~np.isfinite(out)
    if bad.any():
        pos, j = (int(v) for v in np.argwhere(bad)[0])
        key = list(cols)[j]
        raise _row(name, pos, stamps[pos], f"{key} is {float(out[pos, j])} (NaN/inf are not allowed)",
                   "fill or drop the row before loading (lenient mode does not do that for you)")
    return out


def _first(mask: np.ndarray) -> int | None:
    hits = np.flatnonzero(mask)
    return int(hits[0]) if hits.size else None


def _check_values(v: np.ndarray, stamps: pd.DatetimeIndex, name: str) -> None:
    """Check positivity and the OHLC envelope on the (n, 5) array *v* in OHLCV order."""
    o, h, low, c, vol = v.T
    pos = _first((v[:, :4] <= 0).any(axis=1))
    if pos is not None:
        j = int(np.flatnonzero(v[pos, :4] <= 0)[0])
        raise _row(name, pos, stamps[pos], f"non-positive price: {OHLCV[j]} = {float(v[pos, j])}",
                   "prices must be > 0; drop the row or correct the price")
    pos = _first(h < np.maximum(o, c))
    if pos is not None:
        raise _row(name, pos, stamps[pos],
                   f"high {float(h[pos])} < max(open {float(o[pos])}, close {float(c[pos])})",
                   "correct the bar: high must be the largest price of the bar")
    pos = _first(low > np.minimum(o, c))
    if pos is not None:
        raise _row(name, pos, stamps[pos],
                   f"low {float(low[pos])} > min(open {float(o[pos])}, close {float(c[pos])})",
                   "correct the bar: low must be the smallest price of the bar")
    pos = _first(vol < 0)
    if pos is not None:
        raise _row(name, pos, stamps[pos], f"negative volume {float(vol[pos])}",
                   "volume must be >= 0; correct or drop the row")


def _check_order(stamps: pd.DatetimeIndex, name: str) -> None:
    """Strict mode: timestamps must be strictly increasing."""
    i8 = stamps.asi8
    step = np.diff(i8)
    pos = _first(step < 0)
    if pos is not None:
        raise _row(name, pos + 1, stamps[pos + 1], f"timestamps not sorted (earlier than row {pos}: "
                   f"{stamps[pos]})",
                   "sort by time, e.g. df.sort_index(), or pass lenient=True (--lenient on the command line)")
    pos = _first(step == 0)
    if pos is not None:
        raise _row(name, pos + 1, stamps[pos + 1], f"duplicate timestamp (same as row {pos})",
                   "drop the duplicate row; lenient=True (--lenient) drops rows that are exact copies")


def _lenient_order(stamps: pd.DatetimeIndex, values: np.ndarray, name: str) -> tuple[np.ndarray, dict]:
    """Return the row order (sorted, exact duplicates dropped) and a report; raise on conflicts."""
    order = np.argsort(stamps.asi8, kind="stable")
    n_unsorted = int(np.count_nonzero(order != np.arange(len(order))))
    srt = stamps.asi8[order]
    same_time = np.flatnonzero(srt[1:] == srt[:-1]) + 1
    earlier, later = order[same_time - 1], order[same_time]
    conflict = np.flatnonzero((values[earlier] != values[later]).any(axis=1))
    if conflict.size:
        a, b = int(earlier[conflict[0]]), int(later[conflict[0]])
        raise _row(name, b, stamps[b], f"duplicate timestamp with different values than row {a}",
                   "decide which row is right and drop the other (lenient mode only drops exact copies)")
    drop = np.zeros(len(order), dtype=bool)
    drop[same_time] = True
    report = {"sorted_rows": n_unsorted, "dropped_duplicates": int(drop.sum())}
    return order[~drop], report


def validate_ohlcv(
    df: pd.DataFrame,
    name: str = "<data>",
    *,
    lenient: bool = False,
    adjust: bool = False,
    keep: Sequence[str] = (),
    dayfirst: bool = False,
    tz: str | None = None,
) -> pd.DataFrame:
    """Check OHLCV data and return it in tradeforge's canonical layout.

    Parameters
    ----------
    df : DataFrame
        Bars with columns open/high/low/close/volume (any case) and timestamps in a
        ``DatetimeIndex`` or in a column named datetime/date/timestamp/time (any case).
    name : str
        The file or symbol the data came from; every error message starts with it.
    lenient : bool
        If True, sort the rows and drop exact duplicate rows instead of raising (reported in
        ``attrs["lenient_report"]`` and a logged warning). Nothing else is ever repaired.
    adjust : bool
        If True, scale open/high/low/close by ``adj_close / close`` (needs an ``Adj Close`` column).
        By default ``Adj Close`` is ignored and prices are the traded prices.
    keep : sequence of str
        Extra numeric columns to keep (after the five OHLCV columns, as float64).
    dayfirst : bool
        Read text dates day-first (``13/01/2024``); without it, dates that can only be day-first raise
        with a hint.
    tz : str, optional
        An IANA zone: timestamps with offsets (even offsets that change with daylight saving) are
        converted to its wall-clock time, naive ones are taken as its wall-clock time; ``attrs["tz"]``.

    Returns
    -------
    DataFrame
        Index ``datetime`` (tz-naive, strictly increasing, unique), float64 columns
        ``open, high, low, close, volume`` (+ *keep*). A tz-aware input is converted to the
        wall-clock time of its zone, whose name goes to ``attrs["tz"]``. Other attrs are kept.

    Raises
    ------
    DataError
        Naming *name*, the first offending row (position and timestamp), the rule and the fix.

    Examples
    --------
    >>> import pandas as pd
    >>> raw = pd.DataFrame({"Date": ["2024-01-02", "2024-01-03"], "Open": [10, 11], "High": [11, 12],
    ...                     "Low": [9, 10], "Close": [11, 11.5], "Volume": [100, 120]})
    >>> out = validate_ohlcv(raw, "demo.csv")
    >>> list(out.columns), out.index.name, str(out["open"].dtype)
    (['open', 'high', 'low', 'close', 'volume'], 'datetime', 'float64')
    """
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"{name}: expected a pandas DataFrame, got {type(df).__name__}. "
                        "Fix: pass a DataFrame")
    if len(df) == 0:
        raise DataError(f"{name}: the data is empty (0 rows). Fix: check the file, symbol or date range")
    cols = _find_columns(df, name, adjust)
    raw, time_col = _raw_timestamps(df, name)
    zone = check_tz(tz)
    stamps, tz = _to_wall_clock(_parse_timestamps(raw, name, dayfirst=dayfirst, tz=zone))
    tz = tz or zone  # naive timestamps with a zone given: already its wall-clock time
    wanted = {k: cols[k] for k in OHLCV}
    extra = {}
    for k in keep:
        if _norm(k) not in cols or cols[_norm(k)] == time_col:
            raise DataError(f"{name}: keep={list(keep)!r} names column {k!r}, which is not in the data "
                            f"(found {[str(c) for c in df.columns]}). Fix: drop it from keep")
        extra[_norm(k)] = cols[_norm(k)]
    if adjust:
        extra["adj_close"] = cols["adj_close"]
    values = _numeric(df, {**wanted, **extra}, stamps, name)
    _check_values(values[:, :5], stamps, name)
    if adjust:
        pos = _first(values[:, -1] <= 0)
        if pos is not None:
            raise _row(name, pos, stamps[pos], f"non-positive adj close {float(values[pos, -1])}",
                       "correct the row, or load without adjust=True")
        values[:, :4] *= (values[:, -1] / values[:, 3])[:, None]
        values = values[:, :-1]
        extra.pop("adj_close")
    report = None
    if lenient:
        order, report = _lenient_order(stamps, values, name)
        stamps, values = stamps[order], values[order]
    else:
        _check_order(stamps, name)
    index = pd.DatetimeIndex(stamps.as_unit("ns"), name="datetime", freq=None)
    out = pd.DataFrame(values, index=index, columns=list(OHLCV) + list(extra))
    out.attrs.update({k: v for k, v in df.attrs.items() if k not in ("tz", "lenient_report")})
    if "bar" not in out.attrs and len(out) > 1:
        out.attrs["bar"] = infer_bar_size(out.index)
    if tz is not None:
        out.attrs["tz"] = tz
    if report is not None:
        out.attrs["lenient_report"] = report
        if report["sorted_rows"] or report["dropped_duplicates"]:
            log.warning("%s: lenient mode sorted %d row(s) and dropped %d exact duplicate row(s)",
                        name, report["sorted_rows"], report["dropped_duplicates"])
    return out
