"""Report benchmark: ``tradeforge backtest`` with its default report (tearsheet included) against vanilla
backtrader plus ``quantstats.reports.html`` of its daily returns written by hand, each a fresh process.

Usage::

    .venv/bin/python bench/report.py [--bars 50000] [--seed 0] [--repeat 1] [--freq both|1d|5m]

Two data sets of ``--bars`` bars: daily bars and five-minute bars (78 a day, 09:30-16:00, business
days). The hand-written baseline is what a user would write: ``bt.feeds.PandasData``, ``bt.ind.SMA`` /
``CrossOver``, a ``TimeReturn`` analyzer at daily resolution, and ``qs.reports.html(returns,
benchmark=<buy-and-hold daily returns>)`` with quantstats' defaults. Both sides end on the same final
value (printed); the speed-up is baseline time / tradeforge time, wall and CPU (see ``bench/engine.py``
for why both), best of ``--repeat`` runs, with the load average before and after.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from engine import CASH, COMMISSION, FAST, SLOW, TARGET, _children_cpu, _load, make_series  # noqa: E402


def make_intraday(bars: int, seed: int) -> pd.DataFrame:
    """*bars* five-minute bars of a seeded random walk, 78 a session (09:30-16:00) on business days."""
    days = pd.bdate_range("2020-01-02", periods=-(-bars // 78))
    session = pd.timedelta_range("09:30:00", periods=78, freq="5min")
    index = (days.values[:, None] + session.values[None, :]).ravel()[:bars]
    frame = make_series(bars, seed)
    frame.index = pd.DatetimeIndex(index, name="datetime")
    return frame


def run_tradeforge(path: str, out: str) -> float:
    """``tradeforge backtest`` with its default report, as typed (final value from metrics.json)."""
    from tradeforge.engine.cli import main

    main(["backtest", "--data", path, "--param", f"fast={FAST}", "--param", f"slow={SLOW}", "--param",
          f"target={TARGET}", "--cash", str(CASH), "--commission", str(COMMISSION), "--out", out],
         standalone_mode=False)
    return json.loads((Path(out) / "metrics.json").read_text())["final_value"]


def run_by_hand(path: str, out: str) -> float:
    """Vanilla backtrader and quantstats' HTML tearsheet of its daily returns against buy and hold."""
    import logging
    import warnings

    import backtrader as bt
    import matplotlib

    matplotlib.use("Agg")
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    warnings.simplefilter("ignore")
    import quantstats as qs

    class SmaCross(bt.Strategy):
        params = dict(fast=FAST, slow=SLOW, target=TARGET)

        def __init__(self):
            self.x = bt.ind.CrossOver(bt.ind.SMA(period=self.p.fast), bt.ind.SMA(period=self.p.slow))

        def next(self):
            if not self.position and self.x[0] > 0:
                self.order_target_percent(target=self.p.target)
            elif self.position and self.x[0] < 0:
                self.close()

    df = pd.read_parquet(path)
    intraday = pd.Series(df.index).diff().median() < pd.Timedelta(hours=12)
    kind = dict(timeframe=bt.TimeFrame.Minutes, compression=5) if intraday else {}
    cerebro = bt.Cerebro()
    cerebro.adddata(bt.feeds.PandasData(dataname=df, **kind))
    cerebro.addstrategy(SmaCross)
    cerebro.addanalyzer(bt.analyzers.TimeReturn, timeframe=bt.TimeFrame.Days, _name="daily")
    cerebro.broker.setcash(CASH)
    cerebro.broker.setcommission(commission=COMMISSION, percabs=True)
    strat = cerebro.run()[0]
    returns = pd.Series(strat.analyzers.daily.get_analysis())
    returns.index = pd.DatetimeIndex(returns.index).normalize()
    daily_close = df["close"].groupby(df.index.normalize()).last()
    bench = daily_close.pct_change().fillna(0.0).reindex(returns.index).fillna(0.0)
    qs.reports.html(returns, benchmark=bench, output=str(Path(out) / "tearsheet.html"), title="by hand")
    return cerebro.broker.getvalue()


SIDES = {"tradeforge": run_tradeforge, "by hand": run_by_hand}


def _worker(side: str, path: str) -> None:
    with tempfile.TemporaryDirectory() as out:
        value = SIDES[side](path, out)
        size = (Path(out) / "tearsheet.html").stat().st_size
    print(json.dumps({"final_value": value, "html_bytes": size}))


def _measure(side: str, path: str) -> dict:
    t0, c0 = time.perf_counter(), _children_cpu()
    proc = subprocess.run([sys.executable, __file__, "--worker", side, path], capture_output=True, text=True)
    wall, cpu = time.perf_counter() - t0, _children_cpu() - c0
    if proc.returncode != 0:
        raise SystemExit(f"{side} failed:\n{proc.stderr[-3000:]}")
    return {**json.loads(proc.stdout.strip().splitlines()[-1]), "wall_s": wall, "cpu_s": cpu}


def _bench(name: str, frame: pd.DataFrame, repeat: int) -> None:
    runs: dict[str, list[dict]] = {side: [] for side in SIDES}
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "bench.parquet")
        frame.to_parquet(path)
        for _ in range(repeat):
            for side in SIDES:
                runs[side].append(_measure(side, path))
    best = {side: {**rs[0], "wall_s": min(r["wall_s"] for r in rs), "cpu_s": min(r["cpu_s"] for r in rs)}
            for side, rs in runs.items()}
    print(f"\n{name}: {len(frame):,} bars, {frame.index[0]} .. {frame.index[-1]}")
    print(f"{'':<12}{'wall s':>9}{'CPU s':>9}{'tearsheet':>12}   final value")
    for side, r in best.items():
        print(f"{side:<12}{r['wall_s']:>9.2f}{r['cpu_s']:>9.2f}{r['html_bytes'] / 1e6:>10.1f}MB   "
              f"{r['final_value']:,.2f}")
    base, ours = best["by hand"], best["tradeforge"]
    print(f"speed-up of tradeforge (x, higher is faster): wall {base['wall_s'] / ours['wall_s']:.2f}x, "
          f"CPU {base['cpu_s'] / ours['cpu_s']:.2f}x; same final value to the cent: "
          f"{round(base['final_value'], 2) == round(ours['final_value'], 2)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bars", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=1, help="runs per side; the best time is kept (1)")
    parser.add_argument("--freq", choices=("both", "1d", "5m"), default="both")
    parser.add_argument("--worker", nargs=2, metavar=("SIDE", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return _worker(*args.worker)
    if args.repeat < 1:
        parser.error(f"--repeat {args.repeat}: expected at least 1 run per side")
    print(f"sma_cross({FAST}, {SLOW}), default report vs backtrader + quantstats by hand; "
          f"best of {args.repeat}")
    print(f"start: {_load()}")
    if args.freq in ("both", "1d"):
        _bench("daily bars", make_series(args.bars, args.seed), args.repeat)
    if args.freq in ("both", "5m"):
        _bench("five-minute bars", make_intraday(args.bars, args.seed), args.repeat)
    print(f"end:   {_load()}")


if __name__ == "__main__":
    main()
