"""Pieces shared by the command modules (``cli`` and ``_cli_*``): ``--param`` parsing and shared options.

Kept in a module of its own, importing only click, so that every command module can use them at import
time without importing each other.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import click

from tradeforge.errors import ConfigError

__all__ = ["parse_params", "lenient_option", "command_data", "cost_options", "report_options",
           "range_options", "csv_options", "check_out", "check_scheduler"]


def parse_params(pairs: Sequence[str]) -> dict[str, str]:
    """``["fast=5", "slow=20"]`` -> ``{"fast": "5", "slow": "20"}`` (values are coerced later).

    Examples
    --------
    >>> parse_params(["fast=5", "target=0.5"])
    {'fast': '5', 'target': '0.5'}
    """
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--param {pair!r}: expected KEY=VALUE, e.g. --param fast=20")
        out[key.strip()] = value.strip()
    return out


def lenient_option(command: Callable) -> Callable:
    """The ``--lenient`` flag shared by the commands that read data."""
    return click.option("--lenient", is_flag=True,
                        help="Sort unsorted bars and drop exact duplicate rows (reported on stderr) "
                             "instead of refusing the data; nothing else is repaired.")(command)


def cost_options(*, slippage: bool = True) -> Callable[[Callable], Callable]:
    """``--cash``, ``--commission``, ``--slippage-bps``, ``--volume-cap`` and ``--impact``: the fields of a
    ``BacktestConfig``'s costs."""
    def apply(command: Callable) -> Callable:
        command = click.option("--impact", type=float, default=None, metavar="K",
                               help="Square-root market impact: each fill pays K x sigma x sqrt(size / "
                                    "bar volume) x notional [default: 0.1 for ml's walk-forward, else "
                                    "0].")(command)
        command = click.option("--volume-cap", type=float, default=None, metavar="FRACTION",
                               help="Fill at most this fraction of a bar's volume per bar, the rest on later "
                                    "bars [default: 0.1 for ml's walk-forward, else no cap].")(command)
        if slippage:
            command = click.option("--slippage-bps", default=0.0, show_default=True,
                                   help="Slippage in basis points.")(command)
        command = click.option("--commission", default=0.001, show_default=True,
                               help="Commission, fraction of notional.")(command)
        return click.option("--cash", default=100_000.0, show_default=True, help="Starting cash.")(command)

    return apply


def report_options(command_name: str) -> Callable[[Callable], Callable]:
    """``--out``, ``--json`` and ``--tearsheet/--no-tearsheet`` of a command that writes a report."""
    def apply(command: Callable) -> Callable:
        command = click.option("--tearsheet/--no-tearsheet", default=True, show_default=True,
                               help="Write the quantstats HTML tearsheet (the slowest part of the "
                                    "report).")(command)
        command = click.option("--json", "as_json", is_flag=True,
                               help="Print the metrics JSON (only) on stdout.")(command)
        default = f"runs/{command_name}-<strategy>-<data>"
        return click.option("--out", type=click.Path(file_okay=False), default=None,
                            help=f"Report directory [default: {default}].")(command)

    return apply


def range_options(command: Callable) -> Callable:
    """``--from`` / ``--to``: the first and last bar to use (backtest, walkforward)."""
    command = click.option("--to", "end", default=None, metavar="DATE", help="Last bar to use.")(command)
    return click.option("--from", "start", default=None, metavar="DATE", help="First bar to use.")(command)


def csv_options(command: Callable) -> Callable:
    """``--csv-sep``, ``--dayfirst`` and ``--tz``: how to read the user's own files."""
    command = click.option("--tz", default=None, metavar="ZONE",
                           help="Convert the files' timestamps to this IANA zone (e.g. America/New_York); "
                                "offsets that change with daylight saving are one zone.")(command)
    command = click.option("--dayfirst", is_flag=True,
                           help="Read dates such as 02/01/2024 day-first (2 January).")(command)
    return click.option("--csv-sep", "csv_sep", default=None, metavar="SEP",
                        help="CSV separator [default: detected; ';' files with decimal commas and "
                             "thousands separators are detected too].")(command)


def command_data(spec: str, lenient: bool, start: str | None = None, end: str | None = None, *,
                 csv_sep: str | None = None, dayfirst: bool = False, tz: str | None = None) -> Any:
    """What a command passes as ``data``: the spec (validated strictly downstream) or, with ``--lenient``,
    a ``--from``/``--to`` range or CSV options, the frames loaded here (the feeds layer logs each lenient
    repair as a warning on stderr)."""
    csv = {k: v for k, v in dict(sep=csv_sep, dayfirst=dayfirst, tz=tz).items() if v}
    if not lenient and start is None and end is None and not csv:
        return spec
    from tradeforge.engine.data import load_frames
    from tradeforge.feeds import load

    frames = load(spec, lenient=lenient, **csv) if lenient or csv else spec
    return load_frames(frames, start=start, end=end)


def check_out(out: str | None) -> None:
    """Fail at once (ConfigError) when the report directory *out* cannot be created or written."""
    import os
    import tempfile
    from pathlib import Path

    if out is None:
        return
    path = Path(out)
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".tradeforge-write-test-"):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConfigError(f"--out {out!r}: cannot write a report there ({reason}); pass a writable "
                          f"directory, e.g. --out {os.path.join('runs', path.name or 'report')}") from None


def check_scheduler(address: str | None, timeout: float = 3.0) -> None:
    """Fail within *timeout* seconds (ConfigError) when the Dask scheduler at *address* does not answer."""
    import socket
    from urllib.parse import urlsplit

    if address is None:
        return
    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        host, port = None, None
    if not host or not port:
        raise ConfigError(f"--scheduler {address!r}: expected tcp://HOST:PORT, e.g. tcp://127.0.0.1:8786")
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as exc:
        raise ConfigError(f"--scheduler {address!r}: no Dask scheduler answers at {host}:{port} "
                          f"({exc.strerror or type(exc).__name__}); start one (dask scheduler) or drop "
                          "--scheduler to run the folds locally") from None
