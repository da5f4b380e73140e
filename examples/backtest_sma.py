"""Backtest the built-in SMA crossover on a synthetic universe and write its report.

The library form of ``tradeforge backtest --strategy sma_cross --param fast=10 --param slow=40``:
a :class:`~tradeforge.engine.config.BacktestConfig` holds cash and costs, :func:`run_backtest` runs the
strategy, :func:`write_report` writes ``metrics.json``, ``trades.csv``, ``orders.csv``, ``equity.csv`` and
``equity.png``. The metrics are printed as one JSON line on stdout.

Run it::

    python examples/backtest_sma.py --out runs/examples/backtest_sma
"""

from __future__ import annotations

import argparse
import json

from tradeforge.engine import BacktestConfig, run_backtest, write_report


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="synth:symbols=3,bars=1500,seed=11", help="tradeforge data spec")
    parser.add_argument("--out", default="runs/examples/backtest_sma", help="report directory")
    args = parser.parse_args(argv)

    config = BacktestConfig.from_mapping({"cash": 50_000, "commission": 0.0005, "slippage_bps": 2.0})
    result = run_backtest(args.data, "sma_cross", {"fast": 10, "slow": 40}, config=config)
    out = write_report(result, args.out, tearsheet=False)
    print(json.dumps({"out": str(out), "trades": len(result.trades), **result.metrics}))
    return result.metrics


if __name__ == "__main__":
    main()
