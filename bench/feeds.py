"""Feed benchmark: tradeforge's ArrayFeed against backtrader's PandasData on the same 1-minute bars.

Usage::

    .venv/bin/python bench/feeds.py [--bars 50000] [--repeat 3]

Three backtests per feed, in one process, each the best of ``--repeat`` runs (interleaved):

* ``load only``: a strategy that does nothing, i.e. preloading the feed plus backtrader's bar loop;
* ``sma_cross``: backtrader's own ``CrossOver(SMA(10), SMA(30))`` indicators, 95 % target orders;
* ``signal line`` (ArrayFeed only): the same decision read from a precomputed extra line.

Times are CPU seconds (``time.process_time``, steady on a shared machine) and wall seconds; ratios are
PandasData time / ArrayFeed time (higher is faster). Both feeds must end on the identical final value.
The load average is printed before and after.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable

import backtrader as bt

from tradeforge.feeds import make_feed
from tradeforge.feeds.synthetic import synthetic_universe
from tradeforge.strategies.sma_cross import crossover


class SmaCross(bt.Strategy):
    """backtrader's indicators on the feed's close."""

    def __init__(self):
        self.cross = bt.ind.CrossOver(bt.ind.SMA(period=10), bt.ind.SMA(period=30))

    def next(self):
        if self.cross[0] > 0:
            self.order_target_percent(target=0.95)
        elif self.cross[0] < 0:
            self.order_target_percent(target=0.0)


class SignalLine(bt.Strategy):
    """The same orders from a precomputed ``signal`` line (``tradeforge.strategies.sma_cross.crossover``)."""

    def next(self):
        signal = self.data.signal[0]
        if signal > 0:
            self.order_target_percent(target=0.95)
        elif signal < 0:
            self.order_target_percent(target=0.0)


def _run(make: Callable[[], bt.feed.DataBase], strategy: type[bt.Strategy]) -> dict:
    cerebro = bt.Cerebro(stdstats=False)
    cerebro.adddata(make())  # the feed is built outside the clocks, the preload is inside
    cerebro.addstrategy(strategy)
    t0, c0 = time.perf_counter(), time.process_time()
    cerebro.run()
    return {"cpu": time.process_time() - c0, "wall": time.perf_counter() - t0,
            "value": cerebro.broker.getvalue()}


def _best(runs: list[dict]) -> dict:
    return {"cpu": min(r["cpu"] for r in runs), "wall": min(r["wall"] for r in runs),
            "value": runs[0]["value"]}


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} / {five:.2f} / {fifteen:.2f} (1/5/15 min) on {os.cpu_count()} cpus"


def _cell(r: dict, bars: int) -> str:
    return f"cpu {r['cpu']:6.2f}s ({bars / r['cpu']:>8,.0f} bars/s)  wall {r['wall']:6.2f}s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bars", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per case; the best time is kept (3)")
    args = parser.parse_args()
    if args.repeat < 1 or args.bars < 100:
        parser.error("expected --repeat >= 1 and --bars >= 100")
    df = synthetic_universe(symbols=1, bars=args.bars, freq="1m", seed=0)["SYN00"]
    signal = crossover(df["close"].to_numpy(), 10, 30)  # equal to backtrader's CrossOver, vectorised
    cases = {
        "load only": [("PandasData", lambda: bt.feeds.PandasData(dataname=df), bt.Strategy),
                      ("ArrayFeed", lambda: make_feed(df), bt.Strategy)],
        "sma_cross": [("PandasData", lambda: bt.feeds.PandasData(dataname=df), SmaCross),
                      ("ArrayFeed", lambda: make_feed(df), SmaCross),
                      ("ArrayFeed + signal line", lambda: make_feed(df, {"signal": signal}), SignalLine)],
    }
    print(f"{args.bars:,} synthetic 1-minute bars, best of {args.repeat} run(s)\nstart: {_load()}")
    runs = {(case, label): [] for case, rows in cases.items() for label, _, _ in rows}
    for _ in range(args.repeat):
        for case, rows in cases.items():
            for label, make, strategy in rows:
                runs[case, label].append(_run(make, strategy))
    print(f"end:   {_load()}")
    for case, rows in cases.items():
        base = _best(runs[case, "PandasData"])
        print(f"\n{case}:")
        for label, _, _ in rows:
            r = _best(runs[case, label])
            ratio = f"x{base['cpu'] / r['cpu']:.2f} cpu, x{base['wall'] / r['wall']:.2f} wall"
            print(f"  {label:<25}{_cell(r, args.bars)}  {ratio:<24} final value {r['value']:,.2f}")
        values = {round(_best(runs[case, label])["value"], 2) for label, _, _ in rows}
        print(f"  identical final value across feeds: {len(values) == 1}")


if __name__ == "__main__":
    main()
