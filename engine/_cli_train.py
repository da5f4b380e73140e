"""``tradeforge train`` and ``tradeforge models``: fit the ML pipeline on all history, list saved versions.

Both are plain click commands registered on the ``tradeforge`` group in :mod:`tradeforge.engine.cli`
(``main.add_command(train)``, ``main.add_command(models)``); the group turns a
:class:`~tradeforge.errors.TradeforgeError` into one ``tradeforge: error: ...`` line and exit code 2.
Only click (and the click-only :mod:`._cli_common`) is imported at module level, so ``tradeforge --help``
stays fast.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from ._cli_common import command_data, lenient_option, parse_params

__all__ = ["train", "models"]

_DEFAULT_REGISTRY = "runs/registry"  # = tradeforge.engine.train.DEFAULT_REGISTRY (not imported: pandas)


def _fmt(value: Any, digits: int = 4) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _short(column: str, value: Any) -> str:
    """Compact listing cells: midnight timestamps as dates, created_at to the second."""
    text = _fmt(value)
    if column in ("data_start", "data_end") and text.endswith(" 00:00:00"):
        return text[:-9]
    if column == "created_at":
        return text[:19].replace("T", " ")
    return text


def _tables(metrics: dict[str, Any], timings: dict[str, float]) -> list[Any]:
    """Rich tables: OOF scores per ensemble member and stack, the training summary, stage timings."""
    from rich.table import Table

    scores = Table(title="out-of-fold scores (ensemble)", title_justify="left")
    for name in ("model", "AUC", "Brier", "ECE", "n"):
        scores.add_column(name, justify="left" if name == "model" else "right")
    for name, row in metrics["models"].items():
        scores.add_row(name, _fmt(row["auc"]), _fmt(row["brier"]), _fmt(row["ece"]), _fmt(row["n"]))
    summary = Table(title="training", title_justify="left", show_header=False)
    summary.add_column("key")
    summary.add_column("value", justify="right")
    for key in ("n_train", "positive_rate", "n_scored", "auc", "auc_stack"):
        summary.add_row(key, _fmt(metrics.get(key)))
    stages = Table(title="timings (s)", title_justify="left", show_header=False)
    stages.add_column("stage")
    stages.add_column("seconds", justify="right")
    for key, seconds in timings.items():
        stages.add_row(key, _fmt(seconds, 2))
    return [scores, summary, stages]


def _print_tables(tables: list[Any], stderr: bool) -> None:
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    console = Console(file=stream, width=None if stream.isatty() else 140)  # no squeezed columns in pipes
    for table in tables:
        console.print(table)


@click.command("train")
@click.option("--data", default="sample:sp500", show_default=True,
              help="Data spec: sample:NAME, a CSV/Parquet file, a directory, or synth:KEY=VALUE,...")
@click.option("--timeframes", default=None, metavar="TF[,TF...]",
              help="LSTM timeframes, e.g. 1d or 1h,1d [default: every timeframe at or above the bar size].")
@click.option("--registry", type=click.Path(file_okay=False), default=_DEFAULT_REGISTRY, show_default=True,
              help="Model registry folder (runs/ is git-ignored; models/ is a source folder).")
@click.option("--seed", default=0, show_default=True, help="random_state of every model.")
@click.option("--param", "params", multiple=True, metavar="KEY=VALUE",
              help="MLPipeline hyper-parameter (repeatable), e.g. --param lstm_epochs=4.")
@click.option("--from", "start", default=None, metavar="DATE", help="First bar to use (warm-up included).")
@click.option("--to", "end", default=None, metavar="DATE", help="Last bar to use.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the metrics JSON (only) on stdout; the tables go to stderr.")
@lenient_option
def train(data: str, timeframes: str | None, registry: str, seed: int, params: tuple[str, ...],
          start: str | None, end: str | None, as_json: bool, lenient: bool) -> None:
    """Train the LSTMs and the stacked ensemble on all history and save them as a new registry version.

    The JSON of --json holds the manifest's metrics plus "version", "registry" and "timings". A
    stacked model whose out-of-fold AUC is below 0.5 is still saved, with a one-line warning on stderr.
    """
    from tradeforge.engine.train import auc_warning, train_models

    result = train_models(command_data(data, lenient), timeframes=timeframes, registry=registry, seed=seed,
                          params=parse_params(params), start=start, end=end, progress=sys.stderr.isatty())
    _print_tables(_tables(result.metrics, result.timings), stderr=as_json)
    if as_json:
        payload = {**result.metrics, "version": result.version, "registry": str(registry),
                   "timings": result.timings}
        click.echo(json.dumps(payload))
    click.echo(f"saved version {result.version} to {registry}", err=True)
    warning = auc_warning(result.metrics)
    if warning is not None:
        click.echo(f"tradeforge: warning: {warning}", err=True)


@click.command("models")
@click.option("--registry", type=click.Path(file_okay=False), default=_DEFAULT_REGISTRY, show_default=True,
              help="Model registry folder.")
@click.option("--json", "as_json", is_flag=True, help="Print the versions as a JSON list on stdout.")
def models(registry: str, as_json: bool) -> None:
    """List the saved model versions: created at, data range, OOF AUC, training rows."""
    from tradeforge.engine.train import list_versions

    table = list_versions(registry)
    rows = [{k: (None if v != v else v) for k, v in row.items()} for row in table.to_dict(orient="records")]
    if as_json:
        click.echo(json.dumps(rows))
        return
    if not rows:
        click.echo(f"no model versions in {registry}; run `tradeforge train --registry {registry}`", err=True)
        return
    from rich.table import Table

    out = Table(title=f"model versions in {registry}", title_justify="left")
    for name in table.columns:
        out.add_column(name, justify="right" if name in ("auc", "n_train") else "left")
    for row in rows:
        out.add_row(*(_short(name, row[name]) for name in table.columns))
    _print_tables([out], stderr=False)
