"""Pieces shared by the command modules (``cli`` and ``_cli_*``): ``--param`` parsing and shared options.

Kept in a module of its own, importing only click, so that every command module can use them at import
time without importing each other.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import click

from tradeforge.errors import ConfigError

__all__ = ["parse_params", "lenient_option", "command_data", "cost_options", "report_options"]


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
    """``--cash``, ``--commission`` and ``--slippage-bps``: the fields of a ``BacktestConfig``'s costs."""
    def apply(command: Callable) -> Callable:
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


def command_data(spec: str, lenient: bool) -> Any:
    """What a command passes as ``data``: the spec (validated strictly downstream) or, with ``--lenient``,
    the frames loaded leniently (the feeds layer logs each repair as a warning on stderr)."""
    if not lenient:
        return spec
    from tradeforge.feeds import load

    return load(spec, lenient=True)
