"""Engine benchmark: ``sma_cross`` on one long series through tradeforge (the library call and the
``tradeforge backtest --no-tearsheet`` command with its report), vanilla backtrader and backtesting.py,
each in its own fresh Python process.

Usage::

    .venv/bin/python bench/engine.py [--bars 50000] [--seed 0] [--repeat 3]

Every engine runs ``--repeat`` times, round-robin (so a burst of load from elsewhere hits all engines
alike); each reported time is the best of those runs. Times are measured two ways:

* CPU time (``time.process_time`` in the worker, ``RUSAGE_CHILDREN`` for the whole process): what the
  engine itself costs; on a shared machine it moves far less than wall time, so the speed ratios are
  judged on it;
* wall time (``time.perf_counter``): what a user waits, which includes time spent waiting for a core.

"whole process" is a fresh interpreter with imports, data loading and the backtest; "backtest only" is
the call that loads the data and runs it, after the engine's package has been imported. The load average
is printed before and after so readers can judge the noise.
tradeforge and vanilla backtrader must end on the same value to the cent (same data, cash, commission
0.1 % of notional); backtesting.py is shown for speed only (its order sizing differs).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

CASH, COMMISSION, FAST, SLOW, TARGET = 100_000.0, 0.001, 10, 30, 0.95


def make_series(bars: int, seed: int) -> pd.DataFrame:
    """A seeded geometric random walk of daily OHLCV bars (prices rounded to the cent)."""
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0002, 0.012, bars)))
    open_ = close * np.exp(rng.normal(0.0, 0.004, bars))
    high = np.maximum(open_, close) * np.exp(np.abs(rng.normal(0.0, 0.004, bars)))
    low = np.minimum(open_, close) * np.exp(-np.abs(rng.normal(0.0, 0.004, bars)))
    index = pd.date_range("1950-01-02", periods=bars, freq="D", name="datetime")
    frame = pd.DataFrame({"open": open_, "high": high, "low": low, "close": close,
                          "volume": rng.integers(1_000, 100_000, bars).astype(float)}, index=index)
    return frame.round(2)


def run_tradeforge(path: str) -> float:
    from tradeforge.engine.runner import run_backtest

    result = run_backtest(path, "sma_cross", {"fast": FAST, "slow": SLOW, "target": TARGET}, cash=CASH,
                          commission=COMMISSION)
    return result.metrics["final_value"]


def run_backtrader(path: str) -> float:
    import backtrader as bt

    class SmaCross(bt.Strategy):
        params = dict(fast=FAST, slow=SLOW, target=TARGET)

        def __init__(self):
            self.x = bt.ind.CrossOver(bt.ind.SMA(period=self.p.fast), bt.ind.SMA(period=self.p.slow))

        def next(self):
            if not self.position and self.x[0] > 0:
                self.order_target_percent(target=self.p.target)
            elif self.position and self.x[0] < 0:
                self.close()

    cerebro = bt.Cerebro()
    cerebro.adddata(bt.feeds.PandasData(dataname=pd.read_parquet(path)))
    cerebro.addstrategy(SmaCross)
    cerebro.broker.setcash(CASH)
    cerebro.broker.setcommission(commission=COMMISSION, percabs=True)
    cerebro.run()
    return cerebro.broker.getvalue()


def run_backtesting(path: str) -> float:
    from backtesting import Backtest, Strategy
    from backtesting.lib import crossover
    from backtesting.test import SMA

    class SmaCross(Strategy):
        def init(self):
            self.fast = self.I(SMA, self.data.Close, FAST)
            self.slow = self.I(SMA, self.data.Close, SLOW)

        def next(self):
            if not self.position and crossover(self.fast, self.slow):
                self.buy(size=TARGET)
            elif self.position and crossover(self.slow, self.fast):
                self.position.close()

    df = pd.read_parquet(path).rename(columns=str.capitalize)
    stats = Backtest(df, SmaCross, cash=CASH, commission=COMMISSION).run()
    return float(stats["Equity Final [$]"])


def run_tradeforge_cli(path: str) -> float:
    """The command a user types: ``tradeforge backtest ... --no-tearsheet`` (report written, equity.png
    included); the final value is read back from its metrics.json."""
    from tradeforge.engine.cli import main

    with tempfile.TemporaryDirectory() as out:
        main(["backtest", "--data", path, "--param", f"fast={FAST}", "--param", f"slow={SLOW}", "--param",
              f"target={TARGET}", "--cash", str(CASH), "--commission", str(COMMISSION), "--no-tearsheet",
              "--out", out], standalone_mode=False)
        return json.loads((Path(out) / "metrics.json").read_text())["final_value"]


ENGINES = {"tradeforge": run_tradeforge, "tradeforge cli": run_tradeforge_cli, "backtrader": run_backtrader,
           "backtesting.py": run_backtesting}


# imported before the "backtest only" clock starts: that clock times loading the data and running (for
# the CLI: its command imports, the backtest and the report without tearsheet)
_IMPORTS = {"tradeforge": "tradeforge.engine.runner", "tradeforge cli": "tradeforge.engine.cli",
            "backtrader": "backtrader", "backtesting.py": "backtesting"}


def _worker(engine: str, path: str) -> None:
    importlib.import_module(_IMPORTS[engine])
    t0, c0 = time.perf_counter(), time.process_time()
    value = ENGINES[engine](path)
    print(json.dumps({"final_value": value, "run_s": time.perf_counter() - t0,
                      "run_cpu": time.process_time() - c0}))


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _measure(engine: str, path: str) -> dict:
    t0, c0 = time.perf_counter(), _children_cpu()
    proc = subprocess.run([sys.executable, __file__, "--worker", engine, path], capture_output=True,
                          text=True)
    wall, cpu = time.perf_counter() - t0, _children_cpu() - c0
    if proc.returncode != 0:
        raise SystemExit(f"{engine} failed:\n{proc.stderr}")
    return {**json.loads(proc.stdout.strip().splitlines()[-1]), "wall_s": wall, "cpu_s": cpu}


_TIMES = {  # result key -> (clock, scope)
    "cpu_s": ("CPU", "whole process"),
    "run_cpu": ("CPU", "backtest only"),
    "wall_s": ("wall", "whole process"),
    "run_s": ("wall", "backtest only"),
}


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} / {five:.2f} / {fifteen:.2f} (1/5/15 min) on {os.cpu_count()} cpus"


def _best(runs: list[dict]) -> dict:
    """Per time column, the best (smallest) of the runs; the final values must agree across runs."""
    values = {round(r["final_value"], 2) for r in runs}
    if len(values) != 1:
        raise SystemExit(f"final value changed between runs: {sorted(values)}")
    return {"final_value": runs[0]["final_value"], **{k: min(r[k] for r in runs) for k in _TIMES}}


def _report(results: dict[str, dict], bars: int) -> None:
    base = results["backtrader"]
    head = "".join(f"{clock + ' ' + scope:>26}" for clock, scope in _TIMES.values())
    print(f"\n{'seconds (bars/s)':<15}{head}   final value")
    for engine, r in results.items():
        cells = "".join(f"{f'{r[k]:.2f} ({bars / r[k]:,.0f})':>26}" for k in _TIMES)
        print(f"{engine:<15}{cells}   {r['final_value']:,.2f}")
    print("\nspeed-up vs vanilla backtrader (x, higher is faster):")
    for engine, r in results.items():
        if engine != "backtrader":
            ratios = "   ".join(f"{clock} {scope} {base[k] / r[k]:.2f}x"
                                  for k, (clock, scope) in _TIMES.items())
            print(f"  {engine:<15}{ratios}")
    for name in ("tradeforge", "tradeforge cli"):
        same = round(results[name]["final_value"], 2) == round(base["final_value"], 2)
        print(f"{name} final value equals vanilla backtrader to the cent: {same}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bars", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3, help="runs per engine; the best time is kept (3)")
    parser.add_argument("--worker", nargs=2, metavar=("ENGINE", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return _worker(*args.worker)
    if args.repeat < 1:
        parser.error(f"--repeat {args.repeat}: expected at least 1 run per engine")
    print(f"sma_cross({FAST}, {SLOW}) on {args.bars:,} bars, cash {CASH:,.0f}, commission {COMMISSION:.1%}, "
          f"best of {args.repeat} run(s) per engine")
    print(f"start: {_load()}")
    runs: dict[str, list[dict]] = {engine: [] for engine in ENGINES}
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "bench.parquet")
        make_series(args.bars, args.seed).to_parquet(path)
        for _ in range(args.repeat):
            for engine in ENGINES:
                runs[engine].append(_measure(engine, path))
    print(f"end:   {_load()}")
    _report({engine: _best(r) for engine, r in runs.items()}, args.bars)


if __name__ == "__main__":
    main()
