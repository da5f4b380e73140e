"""CSV and Parquet files of OHLCV bars: one file is one symbol, a directory of files is a universe.

* Timestamps come from the index (Parquet) or from a column named datetime/date/timestamp/time
  (any case); a CSV whose first column is unnamed (a saved index) uses that column.
* Column names are case-insensitive; ``Adj Close`` is ignored unless ``adjust=True``.
* The symbol is the file name without its suffixes, **upper-cased** (``aapl.csv`` -> ``AAPL``),
  because tickers are case-insensitive; two files that differ only by case in one directory raise.
* :func:`save_ohlcv` writes a frame that :func:`load_file` reads back equal. CSV keeps wall-clock
  times only (the ``tz`` attribute is lost); Parquet keeps ``symbol`` and ``tz`` in its metadata.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd

from tradeforge.errors import ConfigError, DataError

from .schema import validate_ohlcv

__all__ = ["SUFFIXES", "csv_dialect", "load_directory", "load_file", "save_ohlcv", "symbol_of"]

#: Supported file suffixes -> format.
SUFFIXES: dict[str, str] = {".csv": "csv", ".csv.gz": "csv", ".parquet": "parquet", ".pq": "parquet"}


def _format_of(path: Path) -> str | None:
    name = path.name.lower()
    for suffix in sorted(SUFFIXES, key=len, reverse=True):
        if name.endswith(suffix):
            return SUFFIXES[suffix]
    return None


def symbol_of(path: str | os.PathLike) -> str:
    """Return the symbol of a data file: its name without suffixes, upper-cased.

    Examples
    --------
    >>> symbol_of("data/brk-b.csv.gz")
    'BRK-B'
    """
    name = Path(path).name
    for suffix in sorted(SUFFIXES, key=len, reverse=True):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
            break
    return name.upper()


_SEPARATORS = (",", ";", "\t", "|")


def _head(path: Path, lines: int = 20) -> list[str]:
    import gzip

    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8", errors="replace") as fh:
        return [line for _, line in zip(range(lines), fh, strict=False)]


def csv_dialect(path: str | os.PathLike, sep: str | None = None) -> dict[str, str | None]:
    """``read_csv`` keywords for a CSV file: the separator (given, or the one of ``, ; TAB |`` the
    header line uses most), the decimal mark (``,`` when the separator is ``;`` and numbers look like
    ``1,5``) and the thousands separator (``.`` with a decimal comma; ``,`` when quoted numbers such as
    ``"1,234.50"`` appear).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.csv"
    >>> _ = p.write_text("date;open;close\\n2024-01-02;1.234,5;1.240,0\\n")
    >>> csv_dialect(p)
    {'sep': ';', 'decimal': ',', 'thousands': '.'}
    """
    head = _head(Path(path))
    header = head[0] if head else ""
    body = "".join(head[1:])
    if sep is None:
        sep = max(_SEPARATORS, key=header.count) if header else ","
    decimal, thousands = ".", None
    if sep != "," and re.search(r"\d,\d", body):
        decimal, thousands = ",", "."
    elif re.search(r'"-?\d{1,3}(,\d{3})+(\.\d+)?"', body):
        thousands = ","
    return {"sep": sep, "decimal": decimal, "thousands": thousands}


def _read(path: Path, fmt: str, sep: str | None = None) -> pd.DataFrame:
    try:
        if fmt == "parquet":
            return pd.read_parquet(path)
        raw = pd.read_csv(path, **csv_dialect(path, sep))
    except (OSError, ValueError, ImportError) as exc:  # pandas/pyarrow parse errors are ValueErrors
        raise DataError(f"{path}: cannot read the file as {fmt.upper()} ({exc}). "
                        "Fix: check the file") from None
    if len(raw.columns) and str(raw.columns[0]).startswith("Unnamed: 0"):
        raw = raw.rename(columns={raw.columns[0]: "datetime"})
    return raw


def _with_line(exc: DataError) -> DataError:
    """A CSV error naming ``row P`` also names the file's line (P + 2: a header line, counted from 1;
    blank lines, which the reader skips, are not counted)."""
    text = str(exc)
    match = re.search(r"\brow (\d+) \(", text)
    return DataError(f"{text} (line {int(match.group(1)) + 2} of the file)") if match else exc


def load_file(
    path: str | os.PathLike, *, lenient: bool = False, adjust: bool = False, symbol: str | None = None,
    sep: str | None = None, dayfirst: bool = False, tz: str | None = None,
) -> pd.DataFrame:
    """Read and validate one CSV or Parquet file of bars.

    Parameters
    ----------
    path : str or path
        A ``.csv``, ``.csv.gz``, ``.parquet`` or ``.pq`` file.
    lenient, adjust : bool
        See :func:`tradeforge.feeds.validate_ohlcv`.
    symbol : str, optional
        Overrides the symbol taken from the file name.
    sep : str, optional
        CSV separator; default: detected (:func:`csv_dialect`, which also detects decimal commas and
        thousands separators). Errors in a CSV name the row and the file's line.
    dayfirst, tz
        See :func:`tradeforge.feeds.validate_ohlcv`.

    Returns
    -------
    DataFrame
        A validated frame with ``attrs["symbol"]``; error messages name the file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from tradeforge.feeds import load
    >>> df = load("sample:sp500", end="1999-01-08")["SP500"]
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = save_ohlcv(df, pathlib.Path(tmp) / "spx.csv")
    ...     back = load_file(pathlib.Path(tmp) / "spx.csv")
    >>> back.attrs["symbol"], back.equals(df)
    ('SPX', True)
    """
    path = Path(path)
    fmt = _format_of(path)
    if fmt is None:
        raise ConfigError(f"{path}: unsupported file type; expected one of {', '.join(SUFFIXES)}")
    if not path.is_file():
        raise ConfigError(f"{path}: no such file. Fix: check the path")
    raw = _read(path, fmt, sep)
    saved_tz = raw.attrs.get("tz")
    raw.attrs = {}
    try:
        df = validate_ohlcv(raw, str(path), lenient=lenient, adjust=adjust, dayfirst=dayfirst, tz=tz)
    except DataError as exc:
        if fmt != "csv":
            raise
        raise _with_line(exc) from None
    if saved_tz and "tz" not in df.attrs:
        df.attrs["tz"] = saved_tz
    df.attrs["symbol"] = symbol or symbol_of(path)
    return df


def load_directory(path: str | os.PathLike, *, lenient: bool = False, adjust: bool = False,
                   **csv: object) -> dict[str, pd.DataFrame]:
    """Load every CSV/Parquet file of a directory as a universe (symbol -> frame, sorted by symbol).

    *csv* are :func:`load_file`'s ``sep``, ``dayfirst`` and ``tz``, applied to every file.

    Examples
    --------
    >>> import tempfile
    >>> from tradeforge.feeds import load
    >>> df = load("sample:sp500", end="1999-01-08")["SP500"]
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = save_ohlcv(df, f"{tmp}/a.csv"), save_ohlcv(df, f"{tmp}/b.parquet")
    ...     sorted(load_directory(tmp))
    ['A', 'B']
    """
    path = Path(path)
    files = sorted(p for p in path.iterdir() if p.is_file() and _format_of(p))
    if not files:
        raise DataError(f"{path}: no data files in the directory (expected {', '.join(SUFFIXES)}). "
                        "Fix: point at the folder that holds one file per symbol")
    out: dict[str, pd.DataFrame] = {}
    seen: dict[str, Path] = {}
    for file in files:
        sym = symbol_of(file)
        if sym in seen:
            raise DataError(f"{path}: files {seen[sym].name} and {file.name} are both symbol {sym} "
                            "(symbols are upper-cased file stems). Fix: keep one of them")
        seen[sym] = file
        out[sym] = load_file(file, lenient=lenient, adjust=adjust, **csv)
    return dict(sorted(out.items()))


def save_ohlcv(df: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write bars to CSV or Parquet (by suffix) so that :func:`load_file` reads them back equal.

    Returns the path written. See the module docstring for what each format keeps.

    Examples
    --------
    See :func:`load_file`.
    """
    path = Path(path)
    fmt = _format_of(path)
    if fmt is None:
        raise ConfigError(f"{path}: unsupported file type; expected one of {', '.join(SUFFIXES)}")
    out = df.copy()
    out.index = out.index.rename("datetime")
    out.attrs = {k: str(df.attrs[k]) for k in ("symbol", "tz") if k in df.attrs}
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "parquet":
        out.to_parquet(path)
    else:
        out.to_csv(path, float_format="%.17g", date_format="%Y-%m-%d %H:%M:%S")
    return path
