"""Benchmark: ArrayFeed vs backtrader's PandasData (not collected by pytest; run it by hand).

    .venv/bin/python tests/feeds/bench_feeds_arrays.py [bars]

Runs the same SMA-cross backtest on synthetic 1-minute bars with each feed and prints bars/s,
the speed-up, and whether the final values are identical. Also times the feed load alone
(a strategy that does nothing) and a run with a precomputed signal line read by ``next``.
"""

from __future__ import annotations

import sys
import time

import backtrader as bt
import numpy as np

from tradeforge.feeds import make_feed
from tradeforge.feeds.synthetic import synthetic_universe


class SmaCross(bt.Strategy):
    def __init__(self):
        self.cross = bt.ind.CrossOver(bt.ind.SMA(period=10), bt.ind.SMA(period=30))

    def next(self):
        if self.cross[0] > 0:
            self.order_target_percent(target=0.95)
        elif self.cross[0] < 0:
            self.order_target_percent(target=0.0)


class SignalLine(bt.Strategy):
    def next(self):
        if self.data.signal[0] > 0 and not self.position:
            self.buy()
        elif self.data.signal[0] < 0 and self.position:
            self.close()


def _run(feed, strategy) -> tuple[float, float]:
    cerebro = bt.Cerebro(stdstats=False)
    cerebro.adddata(feed)
    cerebro.addstrategy(strategy)
    t0 = time.perf_counter()
    cerebro.run()
    return time.perf_counter() - t0, cerebro.broker.getvalue()


def main(bars: int = 50_000) -> None:
    df = synthetic_universe(symbols=1, bars=bars, freq="1m", seed=0)["SYN00"]
    close = df["close"].to_numpy()
    fast = np.convolve(close, np.ones(10) / 10)[: len(close)]
    slow = np.convolve(close, np.ones(30) / 30)[: len(close)]
    signal = np.sign(fast - slow)
    for label, strategy in [("no-op strategy (feed load)", bt.Strategy), ("SMA cross (bt indicators)", SmaCross)]:
        t_pd, v_pd = _run(bt.feeds.PandasData(dataname=df), strategy)
        t_ar, v_ar = _run(make_feed(df), strategy)
        print(f"{label}: PandasData {bars / t_pd:,.0f} bars/s ({t_pd:.2f}s), ArrayFeed {bars / t_ar:,.0f} bars/s "
              f"({t_ar:.2f}s), speed-up x{t_pd / t_ar:.2f}, identical final value: {v_pd == v_ar}")
    t_sig, _ = _run(make_feed(df, {"signal": signal}), SignalLine)
    print(f"precomputed signal line: ArrayFeed {bars / t_sig:,.0f} bars/s ({t_sig:.2f}s)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50_000)
