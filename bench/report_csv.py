"""Report CSV benchmark: ``engine._csv.write_csv`` against ``DataFrame.to_csv`` on the files of a report.

Usage::

    .venv/bin/python bench/report_csv.py [--bars 50000] [--seed 0] [--repeat 5]

The frames are those ``tradeforge backtest`` writes for ``sma_cross`` on ``--bars`` daily bars (equity.csv,
trades.csv, orders.csv) plus a predictions-like frame of the same length (a date, a fold number, a symbol
and thirteen float columns, as a walk-forward's predictions.csv). Per file: the best CPU time of
``--repeat`` writes each way, the speed-up, and whether the two files are byte-identical.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from engine import CASH, COMMISSION, FAST, SLOW, TARGET, make_series  # noqa: E402


def _frames(bars: int, seed: int) -> dict[str, tuple[pd.DataFrame, dict]]:
    from tradeforge.engine.runner import run_backtest

    prices = make_series(bars, seed)
    result = run_backtest({"X": prices}, "sma_cross", {"fast": FAST, "slow": SLOW, "target": TARGET},
                          cash=CASH, commission=COMMISSION)
    rng = np.random.default_rng(seed)
    predictions = pd.DataFrame({"datetime": prices.index, "fold": np.arange(bars) // 250, "symbol": "X",
                                **{f"ml_{i}": rng.normal(0.0, 0.01, bars) for i in range(13)}})
    equity = pd.DataFrame({"equity": result.equity, "exposed": result.exposure.astype(int)})
    return {"equity.csv": (equity, {"index_label": "datetime"}),
            "trades.csv": (result.trades, {"index": False}),
            "orders.csv": (result.orders, {"index": False}),
            "predictions.csv": (predictions, {"index": False})}


def _best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        c0 = time.process_time()
        fn()
        times.append(time.process_time() - c0)
    return min(times)


def main() -> None:
    from tradeforge.engine._csv import write_csv

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bars", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"report CSV files of sma_cross on {args.bars:,} bars, best CPU time of {args.repeat}")
    print(f"{'file':<17}{'rows':>8}{'to_csv s':>10}{'write_csv s':>13}{'speed-up':>10}   identical")
    with tempfile.TemporaryDirectory() as tmp:
        for name, (frame, kwargs) in _frames(args.bars, args.seed).items():
            ours, theirs = Path(tmp) / f"ours-{name}", Path(tmp) / f"pandas-{name}"
            slow = _best(lambda f=frame, k=kwargs, p=theirs: f.to_csv(p, **k), args.repeat)
            fast = _best(lambda f=frame, k=kwargs, p=ours: write_csv(f, p, **k), args.repeat)
            same = ours.read_bytes() == theirs.read_bytes()
            print(f"{name:<17}{len(frame):>8,}{slow:>10.4f}{fast:>13.4f}{slow / fast:>9.2f}x   {same}")


if __name__ == "__main__":
    main()
