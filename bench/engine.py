"""Engine benchmark: ``sma_cross`` on one long series through tradeforge, vanilla backtrader and
backtesting.py, each in its own fresh Python process, in one run.

Usage::

    .venv/bin/python bench/engine.py [--bars 50000] [--seed 0]

Prints, per engine, the wall time of the whole process (imports included), the time of the backtest
alone, bars per second for both, the final portfolio value, and the speed ratios against vanilla
backtrader. tradeforge and vanilla backtrader must end on the same value to the cent (same data, cash,
commission 0.1 % of notional); backtesting.py is shown for speed only (its order sizing differs).
"""

from __future__ import annotations

import argparse
import json
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


ENGINES = {"tradeforge": run_tradeforge, "backtrader": run_backtrader, "backtesting.py": run_backtesting}


def _worker(engine: str, path: str) -> None:
    t0, c0 = time.perf_counter(), time.process_time()
    value = ENGINES[engine](path)
    print(json.dumps({"final_value": value, "run_s": time.perf_counter() - t0, "run_cpu": time.process_time() - c0}))


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _measure(engine: str, path: str) -> dict:
    t0, c0 = time.perf_counter(), _children_cpu()
    proc = subprocess.run([sys.executable, __file__, "--worker", engine, path], capture_output=True, text=True)
    wall, cpu = time.perf_counter() - t0, _children_cpu() - c0
    if proc.returncode != 0:
        raise SystemExit(f"{engine} failed:\n{proc.stderr}")
    return {**json.loads(proc.stdout.strip().splitlines()[-1]), "wall_s": wall, "cpu_s": cpu}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bars", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--worker", nargs=2, metavar=("ENGINE", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return _worker(*args.worker)
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "bench.parquet")
        make_series(args.bars, args.seed).to_parquet(path)
        results = {engine: _measure(engine, path) for engine in ENGINES}
    base = results["backtrader"]
    print(f"sma_cross({FAST}, {SLOW}) on {args.bars:,} bars, cash {CASH:,.0f}, commission {COMMISSION:.1%}")
    print("whole process = fresh interpreter, imports and data loading included; run = the backtest call")
    print("(CPU seconds are shown too: on a shared, loaded machine they are steadier than wall time)")
    head = ["engine", "proc wall", "bars/s", "proc cpu", "bars/s", "run wall", "bars/s", "run cpu", "bars/s"]
    print(f"{head[0]:<15}" + "".join(f"{h:>10}" for h in head[1:]) + "   final value")
    keys = ("wall_s", "cpu_s", "run_s", "run_cpu")
    for engine, r in results.items():
        cells = "".join(f"{r[k]:>10.2f}{args.bars / r[k]:>10,.0f}" for k in keys)
        print(f"{engine:<15}{cells}   {r['final_value']:,.2f}")
    print("speed vs vanilla backtrader (x):")
    for engine, r in results.items():
        ratios = "  ".join(f"{k}={base[k] / r[k]:.2f}" for k in keys)
        print(f"  {engine:<15}{ratios}")
    same = round(results["tradeforge"]["final_value"], 2) == round(base["final_value"], 2)
    print(f"tradeforge final value equals vanilla backtrader to the cent: {same}")


if __name__ == "__main__":
    main()
