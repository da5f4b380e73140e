"""Walk-forward benchmark: the README's main job (``tradeforge walkforward``, ML strategy on sample:sp500)
end to end, with 1 and with 2 worker processes, each in a fresh process.

Usage::

    .venv/bin/python bench/walkforward.py [--workers 1,2] [--bars N] [--train-bars 1000] [--test-bars 250]

``--bars N`` keeps the last N bars of sample:sp500 (written to a temporary CSV) for a shorter run; the
default is the whole series (5,031 bars, 16 folds). Prints, per worker count, the wall time of the whole
command (imports, every fold, report and tearsheet), the mean seconds per fold of each stage (feature
building, GARCH, LSTM training, ensemble training, prediction, backtest; measured inside the folds, from
``timings.json``), the CPU seconds used by the command and its workers (CPU/wall near the worker count
means the cores were free; well below it means other processes competed for them), the speed-up of the
largest worker count over 1 worker, and whether the outputs of all runs were byte-identical. Target on 2
cores: under 3 minutes with 2 workers, speed-up >= 1.6x.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STAGES = ("features", "garch", "lstm", "ensemble", "predict", "backtest", "total")
COMPARED = ("predictions.csv", "trades.csv", "equity.csv", "metrics.json")


def _data(bars: int | None, tmp: Path) -> str:
    if not bars:
        return "sample:sp500"
    from tradeforge.feeds import load

    df = load("sample:sp500")["SP500"].iloc[-bars:]
    path = tmp / "SP500.csv"
    df.to_csv(path)
    return str(path)


def _run(workers: int, data: str, args: argparse.Namespace, out: Path) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system, the command and its worker processes)."""
    cmd = [str(Path(sys.executable).parent / "tradeforge"), "walkforward", "--data", data, "--workers",
           str(workers), "--train-bars", str(args.train_bars), "--test-bars", str(args.test_bars),
           "--out", str(out), "--json"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _stages(out: Path) -> dict[str, float]:
    folds = json.loads((out / "timings.json").read_text())["folds"]
    return {s: sum(f.get(s, 0.0) for f in folds.values()) / max(1, len(folds)) for s in STAGES} | {
        "n_folds": len(folds)}


def _digest(out: Path) -> dict[str, str]:
    return {name: hashlib.sha256((out / name).read_bytes()).hexdigest()[:16] for name in COMPARED}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    parser.add_argument("--bars", type=int, default=None, help="keep the last N bars (default: all)")
    parser.add_argument("--train-bars", type=int, default=1000)
    parser.add_argument("--test-bars", type=int, default=250)
    args = parser.parse_args()
    counts = [int(w) for w in args.workers.split(",")]
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        data = _data(args.bars, tmp)
        walls, digests = {}, {}
        for workers in counts:
            out = tmp / f"w{workers}"
            walls[workers], cpu = _run(workers, data, args, out)
            stages = _stages(out)
            digests[workers] = _digest(out)
            per_fold = "  ".join(f"{s} {stages[s]:.2f}s" for s in STAGES)
            print(f"workers={workers}: {walls[workers]:.1f}s wall, {cpu:.1f}s CPU (CPU/wall "
                  f"{cpu / walls[workers]:.2f}) for {stages['n_folds']} folds; per fold: {per_fold}",
                  flush=True)
    if 1 in walls and len(walls) > 1:
        best = max(walls)
        print(f"speed-up {best} workers vs 1: {walls[1] / walls[best]:.2f}x")
    first = next(iter(digests.values()))
    differ = sorted({name for d in digests.values() for name in COMPARED if d[name] != first[name]})
    print(f"outputs identical across worker counts: {not differ}" + (f" (differ: {', '.join(differ)})"
                                                                     if differ else ""))


if __name__ == "__main__":
    main()
