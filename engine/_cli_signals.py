"""``tradeforge signals``: scan a universe, run the trained models on the best candidates, print BUY signals.

Registered on the ``tradeforge`` group at the bottom of :mod:`tradeforge.engine.cli`; imports only click at
module level (the work is in :mod:`tradeforge.engine.signals`).
"""

from __future__ import annotations

import json

import click

__all__ = ["signals"]

_DEFAULT_REGISTRY = "runs/registry"  # = tradeforge.engine.train.DEFAULT_REGISTRY (not imported: pandas)


def _cell(value, digits: int = 4) -> str:
    if value is None:
        return "n/a"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def _print_signals(report, stage: str) -> None:
    import sys

    from rich.console import Console
    from rich.table import Table

    console = Console(width=None if sys.stdout.isatty() else 140)  # no squeezed columns in pipes
    if stage == "scan":
        rows = report.scan_records()
        table = Table(title=f"scanner at {report.at} ({len(report.scan)} symbols scanned, best {len(rows)})",
                      title_justify="left")
        for name in ("rank", "symbol", "price", "momentum_score", "rsi", "rvol", "change", "trend"):
            table.add_column(name, justify="left" if name == "symbol" else "right")
        for row in rows:
            table.add_row(*(_cell(row[name], 2 if name != "change" else 4) for name in
                            ("rank", "symbol", "price", "momentum_score", "rsi", "rvol", "change", "trend")))
        console.print(table)
        return
    table = Table(title=f"BUY signals at {report.at} (model {report.model_version})", title_justify="left")
    for name in ("symbol", "price", "confidence", "expected_return", "risk_score", "time_horizon",
                 "momentum_score"):
        table.add_column(name, justify="left" if name in ("symbol", "time_horizon") else "right")
    for sig in report.signals:
        table.add_row(sig["symbol"], _cell(sig["price"], 2), _cell(sig["confidence"], 3),
                      _cell(sig["expected_return"], 4), _cell(sig["risk_score"]), sig["time_horizon"],
                      _cell(sig["momentum_score"], 1))
    console.print(table)
    if not report.signals:
        console.print(f"no candidate of {len(report.candidates)} passed the filters "
                      f"(BUY, confidence >= {report.config.min_confidence}, "
                      f"risk <= {report.config.max_risk})")


@click.command("signals")
@click.option("--universe", default="synth:symbols=1453,bars=6000,freq=1m,seed=0,lazy=1", show_default=True,
              help="Directory of per-symbol files, or synth:symbols=N,bars=B,freq=1m,... (benchmarks added; "
                   "lazy=1: a symbol's frame is built when read).")
@click.option("--benchmarks", default="SPY,QQQ", show_default=True,
              help="Benchmark symbols in the universe (first = market for beta); never candidates.")
@click.option("--registry", type=click.Path(file_okay=False), default=_DEFAULT_REGISTRY, show_default=True,
              help="Model registry folder (tradeforge train --registry).")
@click.option("--model", "version", default=None, metavar="VERSION",
              help="Registry version (default: latest).")
@click.option("--top", default=10, show_default=True, help="Signals kept.")
@click.option("--candidates", default=50, show_default=True, help="Symbols the scanner passes to the models.")
@click.option("--min-confidence", default=0.7, show_default=True, help="Smallest confidence kept.")
@click.option("--max-risk", default=6.0, show_default=True, help="Largest risk score (1-10) kept.")
@click.option("--at", default=None, metavar="TIMESTAMP",
              help="Evaluate as of this bar (replay); nothing after it is read. Default: the last bar.")
@click.option("--stage", type=click.Choice(["all", "scan"]), default="all", show_default=True,
              help="'scan': stop after the scanner and print its candidates.")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="Dask scheduler address for the candidates' models (same results).")
@click.option("--json", "as_json", is_flag=True,
              help="Print only JSON on stdout: the signals (or, with --stage scan, the candidates).")
def signals(universe: str, benchmarks: str, registry: str, version: str | None, top: int, candidates: int,
            min_confidence: float, max_risk: float, at: str | None, stage: str, scheduler: str | None,
            as_json: bool) -> None:
    """Rank the top BUY signals: momentum scanner over the universe, then the trained models per candidate.

    Signals are kept when the ensemble says BUY with confidence >= --min-confidence and a risk score <=
    --max-risk (MLStrategy's entry rule), sorted by confidence. Timings per stage go to stderr.
    """
    from tradeforge.engine.signals import SignalConfig, compute_signals

    config = SignalConfig(universe=universe, benchmarks=benchmarks, registry=registry, model=version, top=top,
                          candidates=candidates, min_confidence=min_confidence, max_risk=max_risk, at=at,
                          stage=stage, scheduler=scheduler)
    report = compute_signals(config)
    if as_json:
        click.echo(json.dumps(report.scan_records() if stage == "scan" else report.signals))
    else:
        _print_signals(report, stage)
    stages = ", ".join(f"{k} {v:.3f}s" for k, v in report.timings.items())
    click.echo(f"signals at {report.at}: {len(report.scan)} scanned, {len(report.candidates)} modelled, "
               f"{len(report.signals)} kept; {stages}", err=True)
