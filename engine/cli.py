"""The ``tradeforge`` command line: a click group whose commands are thin calls into the library.

Nothing heavy is imported at module level, so ``tradeforge --help`` starts fast; each command imports
what it needs. User mistakes (a :class:`~tradeforge.errors.TradeforgeError` or a click usage error)
end as one ``tradeforge: error: ...`` line on stderr and exit code 2; anything else is a bug and keeps
its traceback. Other commands are added with ``@main.command()``.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from tradeforge.errors import TradeforgeError

from ._cli_common import command_data, cost_options, lenient_option, parse_params, report_options

if TYPE_CHECKING:  # pandas: not at --help time
    from tradeforge.engine.results import FoldResult

__all__ = ["main", "parse_params"]  # parse_params re-exported from ._cli_common

USAGE_EXIT = 2


def _fail(message: str) -> None:
    click.echo(f"tradeforge: error: {' '.join(str(message).split())}", err=True)
    sys.exit(USAGE_EXIT)


class _Group(click.Group):
    """A click group that turns user errors into one line on stderr and exit code 2."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True, **extra: Any) -> Any:
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except (click.ClickException, TradeforgeError) as exc:
            if not standalone_mode:
                raise
            message = exc.format_message() if isinstance(exc, click.ClickException) else str(exc)
            hint = " (see --help)" if isinstance(exc, click.UsageError) else ""
            _fail(message + hint)
        except click.Abort:
            if not standalone_mode:
                raise
            click.echo("tradeforge: aborted", err=True)
            sys.exit(1)
        if standalone_mode:
            sys.exit(rv if isinstance(rv, int) else 0)
        return rv


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """tradeforge: ML trading strategies on backtrader."""


def _default_out(strategy: str, data: str, command: str = "backtest") -> Path:
    def slug(text: str) -> str:
        return re.sub(r"[^A-Za-z0-9_]+", "_", text).strip("_")[-40:] or "x"

    return Path("runs") / f"{command}-{slug(strategy)}-{slug(data)}"


def _summary(metrics: dict[str, Any]) -> str:
    lines = []
    for key, value in metrics.items():
        shown = f"{value:,.4f}" if isinstance(value, float) else str(value)
        lines.append(f"{key:>14}  {shown}")
    return "\n".join(lines)


def _emit(metrics: dict[str, Any], out_dir: Path, as_json: bool) -> None:
    """The metrics JSON alone on stdout (``--json``) or a summary of the scalar metrics; where the report
    went on stderr."""
    if as_json:
        click.echo(json.dumps(metrics))
    else:
        click.echo(_summary({k: v for k, v in metrics.items() if not isinstance(v, dict)}))
    click.echo(f"report written to {out_dir}", err=True)


@main.command()
@click.option("--strategy", default="sma_cross", show_default=True,
              help="Built-in name, entry point, or package.module:Class.")
@click.option("--data", default="sample:sp500", show_default=True,
              help="Data spec: sample:NAME, a CSV/Parquet file, a directory, or synth:KEY=VALUE,...")
@click.option("--param", "params", multiple=True, metavar="KEY=VALUE",
              help="Strategy parameter (repeatable).")
@cost_options()
@click.option("--from", "start", default=None, metavar="DATE", help="First bar to use.")
@click.option("--to", "end", default=None, metavar="DATE", help="Last bar to use.")
@report_options("backtest")
@lenient_option
def backtest(strategy: str, data: str, params: tuple[str, ...], cash: float, commission: float,
             slippage_bps: float, start: str | None, end: str | None, out: str | None, as_json: bool,
             tearsheet: bool, lenient: bool) -> None:
    """Run a backtest and write its report (metrics, trades, equity, tearsheet, plot)."""
    from tradeforge.engine.config import BacktestConfig
    from tradeforge.engine.report import write_report
    from tradeforge.engine.runner import run_backtest

    config = BacktestConfig(cash=cash, commission=commission, slippage_bps=slippage_bps, start=start, end=end)
    result = run_backtest(command_data(data, lenient), strategy, parse_params(params), config=config,
                          progress=sys.stderr.isatty())
    out_dir = write_report(result, Path(out) if out else _default_out(strategy, data), tearsheet=tearsheet)
    _emit(result.metrics, out_dir, as_json)


@main.command()
def strategies() -> None:
    """List every strategy (built-in and installed) with its parameters and defaults."""
    from tradeforge.strategies import list_strategies, strategy_params

    for name, cls in list_strategies().items():
        doc = (cls.__doc__ or "").strip().splitlines()
        params = " ".join(f"{k}={v!r}" for k, v in strategy_params(cls).items()) or "(no parameters)"
        click.echo(f"{name}  ({cls.__module__}:{cls.__qualname__})")
        if doc:
            click.echo(f"    {doc[0].replace('``', '')}")
        click.echo(f"    params: {params}")


def _fold_progress() -> tuple[Any, Any]:
    """``(callback(result, n_folds), close)``: a rich bar on a terminal, one line per fold otherwise."""
    if not sys.stderr.isatty():
        def line(result: FoldResult, total: int) -> None:
            row = result.row
            sharpe = "n/a" if row["sharpe"] is None else f"{row['sharpe']:.2f}"
            click.echo(f"fold {result.fold + 1}/{total} done: test {row['test_start']:%Y-%m-%d}.."
                       f"{row['test_end']:%Y-%m-%d}, return {row['total_return']:+.2%}, sharpe {sharpe}, "
                       f"{result.timings['total']:.1f}s", err=True)

        return line, lambda: None
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(TextColumn("walk-forward"), BarColumn(), TextColumn("{task.completed}/{task.total} folds"),
                   TimeElapsedColumn(), console=Console(stderr=True), transient=True)
    task = bar.add_task("folds", total=None)
    bar.start()

    def advance(result: FoldResult, total: int) -> None:
        bar.update(task, total=total, advance=1)

    return advance, bar.stop


@main.command()
@click.option("--strategy", default="ml", show_default=True,
              help="ml (models fitted per fold), a built-in name, an entry point, or package.module:Class.")
@click.option("--data", default="sample:sp500", show_default=True,
              help="Data spec: sample:NAME, a CSV/Parquet file, a directory, or synth:KEY=VALUE,...")
@click.option("--train-bars", default=1000, show_default=True, help="Training window in bars.")
@click.option("--test-bars", default=250, show_default=True, help="Test window (and step) in bars.")
@click.option("--anchored", is_flag=True, help="Train on every bar before the test window (expanding).")
@click.option("--param", "params", multiple=True, metavar="KEY=VALUE",
              help="Strategy or model parameter (repeatable), e.g. --param min_confidence=0.6.")
@click.option("--workers", type=int, default=None, help="Local worker processes [default: all cores].")
@click.option("--scheduler", default=None, metavar="ADDR", help="Dask scheduler, e.g. tcp://host:8786.")
@click.option("--seed", default=0, show_default=True, help="Seed of every fold's models.")
@cost_options()
@report_options("walkforward")
@lenient_option
def walkforward(strategy: str, data: str, train_bars: int, test_bars: int, anchored: bool,
                params: tuple[str, ...], workers: int | None, scheduler: str | None, seed: int, cash: float,
                commission: float, slippage_bps: float, out: str | None, as_json: bool, tearsheet: bool,
                lenient: bool) -> None:
    """Walk-forward: fit on each training window, trade the next one, stitch the out-of-sample results."""
    from tradeforge.engine.config import WalkForwardConfig
    from tradeforge.engine.walkforward import run_walkforward, write_walkforward

    config = WalkForwardConfig(train_bars=train_bars, test_bars=test_bars, anchored=anchored, seed=seed,
                               workers=workers, scheduler=scheduler, cash=cash, commission=commission,
                               slippage_bps=slippage_bps)
    callback, close = _fold_progress()
    try:
        result = run_walkforward(command_data(data, lenient), strategy, parse_params(params), config=config,
                                 progress=callback)
    finally:
        close()
    out_dir = write_walkforward(result, Path(out) if out else _default_out(strategy, data, "walkforward"),
                                tearsheet=tearsheet)
    _emit(result.metrics, out_dir, as_json)


from ._cli_train import models, train  # noqa: E402  (light: click only at import)

main.add_command(train)
main.add_command(models)

from ._cli_journal import report, status, unlock  # noqa: E402  (light: click only at import)

main.add_command(status)
main.add_command(report)
main.add_command(unlock)

from ._cli_run import run  # noqa: E402  (light: click only at import)

main.add_command(run)

from ._cli_live import live, paper  # noqa: E402  (light: click only at import)

main.add_command(paper)
main.add_command(live)

from ._cli_serve import serve  # noqa: E402  (light: click only at import)

main.add_command(serve)

from ._cli_signals import signals  # noqa: E402  (light: click only at import)

main.add_command(signals)
