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

from ._cli_common import (
    check_out,
    check_scheduler,
    command_data,
    cost_options,
    csv_options,
    lenient_option,
    parse_params,
    range_options,
    report_options,
)

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


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("tradeforge")
    except PackageNotFoundError:
        return "unknown (not installed)"


def _show_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(f"tradeforge {_version()}")
        ctx.exit(0)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_show_version,
              help="Print the version and exit.")
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
@range_options
@report_options("backtest")
@lenient_option
@csv_options
def backtest(strategy: str, data: str, params: tuple[str, ...], cash: float, commission: float,
             slippage_bps: float, volume_cap: float | None, impact: float | None, start: str | None,
             end: str | None, out: str | None, as_json: bool, tearsheet: bool, lenient: bool,
             csv_sep: str | None, dayfirst: bool, tz: str | None) -> None:
    """Run a backtest and write its report (metrics, trades, equity, tearsheet, plot)."""
    from tradeforge.engine._render import side_renderer
    from tradeforge.engine.config import BacktestConfig
    from tradeforge.engine.report import write_report
    from tradeforge.engine.runner import run_backtest

    config = BacktestConfig(cash=cash, commission=commission, slippage_bps=slippage_bps, start=start, end=end,
                            volume_cap=volume_cap, impact=impact)
    check_out(out)
    # with a tearsheet and a spare core, a second process imports matplotlib and quantstats while the
    # backtest runs; otherwise (measured: no gain on a busy machine) everything is drawn here
    with side_renderer(tearsheet, method="fork") as renderer:
        frames = command_data(data, lenient, csv_sep=csv_sep, dayfirst=dayfirst, tz=tz)
        result = run_backtest(frames, strategy, parse_params(params), config=config,
                              progress=sys.stderr.isatty())
        out_dir = write_report(result, Path(out) if out else _default_out(strategy, data),
                               tearsheet=tearsheet, renderer=renderer)
    from tradeforge.engine.explain import backtest_warnings, diagnose, strategy_warmup

    _emit(result.metrics, out_dir, as_json)
    warm = strategy_warmup(strategy, result.params)
    if result.fills.get("orders_split"):
        click.echo(f"tradeforge: volume cap {config.volume_cap:g}: {result.fills['orders_split']} order(s) "
                   f"filled over several bars ({result.fills['partial_fills']} partial fills)", err=True)
    for warning in backtest_warnings(result, diagnose(result, result.params, warmup=warm)):
        click.echo(f"tradeforge: warning: {warning}", err=True)


@main.command()
@click.argument("name", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the strategies as JSON on stdout.")
def strategies(name: str | None, as_json: bool) -> None:
    """List every strategy (built-in and installed) with its parameters and defaults; with NAME, that one
    strategy with its full description."""
    from tradeforge.strategies import list_strategies, resolve_strategy, strategy_params

    found = {name: resolve_strategy(name)} if name else list_strategies()
    if as_json:
        click.echo(json.dumps({key: {"class": f"{cls.__module__}:{cls.__qualname__}",
                                     "doc": (cls.__doc__ or "").strip(), "params": strategy_params(cls)}
                               for key, cls in found.items()}, default=repr))
        return
    for key, cls in found.items():
        doc = (cls.__doc__ or "").strip().splitlines()
        params = strategy_params(cls)
        click.echo(f"{key}  ({cls.__module__}:{cls.__qualname__})")
        if name:
            click.echo("\n".join(f"    {line.strip()}".rstrip() for line in doc).replace("``", ""))
            click.echo("    params:" if params else "    params: (no parameters)")
            for param, default in params.items():
                click.echo(f"      {param} = {default!r}")
            continue
        if doc:
            click.echo(f"    {doc[0].replace('``', '')}")
        click.echo(f"    params: {' '.join(f'{k}={v!r}' for k, v in params.items()) or '(no parameters)'}")


def _fold_line(result: FoldResult, total: int) -> str:
    row = result.row
    sharpe = "n/a" if row["sharpe"] is None else f"{row['sharpe']:.2f}"
    auc = "" if row.get("auc") is None else f", AUC {row['auc']:.3f}"
    return (f"fold {result.fold} done ({result.fold + 1} of {total}): test {row['test_start']:%Y-%m-%d}.."
            f"{row['test_end']:%Y-%m-%d}, return {row['total_return']:+.2%}, sharpe {sharpe}{auc}, "
            f"{row['n_trades']} trades, {result.timings['total']:.1f}s")


def _fold_progress() -> tuple[Any, Any]:
    """``(callback(result, n_folds), close)``: a rich bar on a terminal, one line per fold otherwise,
    printed in fold order (the numbers of folds.csv) whatever order the workers finish in."""
    if not sys.stderr.isatty():
        waiting: dict[int, FoldResult] = {}
        state = {"next": 0, "total": 0}  # folds are numbered 0..: print each finished one up to the first gap

        def line(result: FoldResult, total: int) -> None:
            waiting[result.fold], state["total"] = result, total
            while state["next"] in waiting:
                click.echo(_fold_line(waiting.pop(state["next"]), total), err=True)
                state["next"] += 1

        def flush() -> None:  # a run that stopped early: print what is left, in order
            for fold in sorted(waiting):
                click.echo(_fold_line(waiting.pop(fold), state["total"]), err=True)

        return line, flush
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
@click.option("--trials-db", default=None, metavar="PATH",
              help="Trials ledger for the deflated Sharpe [default: trials.jsonl next to the output folder].")
@cost_options()
@range_options
@report_options("walkforward")
@lenient_option
@csv_options
def walkforward(strategy: str, data: str, train_bars: int, test_bars: int, anchored: bool,
                params: tuple[str, ...], workers: int | None, scheduler: str | None, seed: int,
                trials_db: str | None, cash: float, commission: float, slippage_bps: float,
                volume_cap: float | None, impact: float | None, start: str | None, end: str | None,
                out: str | None, as_json: bool, tearsheet: bool, lenient: bool, csv_sep: str | None,
                dayfirst: bool, tz: str | None) -> None:
    """Walk-forward: fit on each training window, trade the next one, stitch the out-of-sample results."""
    from tradeforge.engine.checks import walkforward_params
    from tradeforge.engine.config import WalkForwardConfig

    config = WalkForwardConfig(train_bars=train_bars, test_bars=test_bars, anchored=anchored, seed=seed,
                               workers=workers, scheduler=scheduler, cash=cash, commission=commission,
                               slippage_bps=slippage_bps, volume_cap=volume_cap, impact=impact)
    walkforward_params(strategy, parse_params(params))  # a bad --param fails before the model libraries load
    from tradeforge.engine._render import side_renderer
    from tradeforge.engine.walkforward import run_walkforward, write_walkforward

    check_out(out)
    check_scheduler(scheduler)
    out_dir = Path(out) if out else _default_out(strategy, data, "walkforward")
    ledger = Path(trials_db) if trials_db else out_dir.parent / "trials.jsonl"
    callback, close = _fold_progress()
    try:
        result = run_walkforward(command_data(data, lenient, start, end, csv_sep=csv_sep, dayfirst=dayfirst,
                                              tz=tz), strategy, parse_params(params),
                                 config=config, progress=callback, trials_db=ledger)
    finally:
        close()
    with side_renderer(tearsheet) as renderer:
        out_dir = write_walkforward(result, out_dir, tearsheet=tearsheet, renderer=renderer)
    from tradeforge.engine.explain import verdict
    from tradeforge.engine.report import periods_per_year

    _emit(result.metrics, out_dir, as_json)
    click.echo("\n".join(verdict(result, result.diagnoses, periods_per_year(result.equity.index))), err=True)


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
