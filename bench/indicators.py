"""Benchmark: tradeforge's numba indicators vs TA-Lib vs pandas-ta vs backtrader's own indicator lines.

Run: ``.venv/bin/python bench/indicators.py [--bars 1000000] [--bt-bars 20000] [--pta-bars 100000]``;
``--every`` instead times every indicator of the table that TA-Lib has (checked function, unchecked twin,
TA-Lib, all with TA-Lib's defaults, interleaved round by round) and prints the ratios to TA-Lib, their
geometric means and the functions over 1.0x (``--only rsi,macd`` and ``--repeat N`` narrow it down).

* Times are best of 3 after one warm-up call, so numba compilation (and loading its cache) is excluded.
* pandas-ta is called with ``talib=False`` (otherwise it delegates to TA-Lib). Where its time on
  ``--pta-bars`` is over 1 s, it is timed on that slice only and scaled linearly (marked ``*``).
* backtrader's indicators are timed in a ``runonce`` Cerebro over tradeforge's bulk-preloaded feed on
  ``--bt-bars`` bars (a full run on 1M bars takes many minutes), as run time with the indicator minus run
  time without it (best of 3, interleaved, after a warm-up run), and scaled linearly
  (marked ``*``). backtrader has no OBV or MFI.
* Our time includes the wrapper (input checks, NaN stripping, re-padding), as a user calls it.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

warnings.filterwarnings("ignore")


def make_data(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    c = 100.0 + np.cumsum(rng.normal(0.0, 0.5, n))
    c = np.abs(c) + 10.0
    o = c + rng.normal(0.0, 0.2, n)
    h = np.maximum(o, c) + rng.exponential(0.3, n)
    low = np.minimum(o, c) - rng.exponential(0.3, n)
    v = rng.integers(100, 10_000, n).astype(float)
    idx = pd.date_range("2000-01-01", periods=n, freq="min", name="datetime")
    return pd.DataFrame({"open": o, "high": h, "low": low, "close": c, "volume": v}, index=idx)


def best_of(fn, repeat: int = 3) -> float:
    fn()  # warm-up: numba compile / cache load, pandas caches
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def implementations(df: pd.DataFrame):
    import pandas_ta as pta
    import talib

    from tradeforge import indicators as ta

    o, h, low, c, v = (df[k].to_numpy() for k in ("open", "high", "low", "close", "volume"))
    hs, ls, cs, vs = df.high, df.low, df.close, df.volume
    return {
        "rsi": (lambda: ta.rsi(c, 14), lambda: talib.RSI(c, 14), lambda: pta.rsi(cs, 14, talib=False)),
        "macd": (lambda: ta.macd(c), lambda: talib.MACD(c), lambda: pta.macd(cs, talib=False)),
        "bbands": (lambda: ta.bbands(c, 20), lambda: talib.BBANDS(c, 20),
                   lambda: pta.bbands(cs, 20, 2.0, talib=False)),
        "atr": (lambda: ta.atr(h, low, c, 14), lambda: talib.ATR(h, low, c, 14),
                lambda: pta.atr(hs, ls, cs, 14, talib=False)),
        "adx": (lambda: ta.adx(h, low, c, 14), lambda: talib.ADX(h, low, c, 14),
                lambda: pta.adx(hs, ls, cs, 14, talib=False)),
        "stoch": (lambda: ta.stoch(h, low, c), lambda: talib.STOCH(h, low, c),
                  lambda: pta.stoch(hs, ls, cs, 5, 3, 3, talib=False)),
        "obv": (lambda: ta.obv(c, v), lambda: talib.OBV(c, v), lambda: pta.obv(cs, vs, talib=False)),
        "mfi": (lambda: ta.mfi(h, low, c, v, 14), lambda: talib.MFI(h, low, c, v, 14),
                lambda: pta.mfi(hs, ls, cs, vs, 14, talib=False)),
        "cci": (lambda: ta.cci(h, low, c, 14), lambda: talib.CCI(h, low, c, 14),
                lambda: pta.cci(hs, ls, cs, 14, talib=False)),
        "ema": (lambda: ta.ema(c, 30), lambda: talib.EMA(c, 30), lambda: pta.ema(cs, 30, talib=False)),
    }


def _bt_factories():
    import backtrader as bt

    return {
        "rsi": lambda d: bt.ind.RSI(d.close, period=14),
        "macd": lambda d: bt.ind.MACD(d.close),
        "bbands": lambda d: bt.ind.BollingerBands(d.close, period=20),
        "atr": lambda d: bt.ind.ATR(d, period=14),
        "adx": lambda d: bt.ind.ADX(d, period=14),
        "stoch": lambda d: bt.ind.Stochastic(d, period=5, period_dfast=3, period_dslow=3),
        "cci": lambda d: bt.ind.CCI(d, period=14),
        "ema": lambda d: bt.ind.EMA(d.close, period=30),
    }


def time_backtrader(df: pd.DataFrame, name: str | None) -> float:
    """Seconds of one runonce Cerebro run over *df* with indicator *name* (None: no indicator)."""
    import backtrader as bt

    factory = _bt_factories().get(name) if name else None

    class _Strat(bt.Strategy):
        def __init__(self):
            self.ind = factory(self.data) if factory else None

    from tradeforge.feeds import make_feed

    cerebro = bt.Cerebro(stdstats=False)
    cerebro.adddata(make_feed(df))  # bulk-preloaded numpy feed: loading is not what we time
    cerebro.addstrategy(_Strat)
    t0 = time.perf_counter()
    cerebro.run()
    return time.perf_counter() - t0


def bt_indicator_time(df: pd.DataFrame, name: str, repeat: int = 3) -> float:
    """Seconds backtrader spends on indicator *name* over *df*: best run with it minus best run without,
    the two interleaved after a warm-up run (first runs are slower: class set-up, allocator growth)."""
    time_backtrader(df, name)
    base, ind = [], []
    for _ in range(repeat):
        base.append(time_backtrader(df, None))
        ind.append(time_backtrader(df, name))
    return max(min(ind) - min(base), 0.0)


def interleaved_best(fns, repeat: int) -> list[float]:
    """Best seconds of each of *fns* over *repeat* rounds, each round calling every function once in turn
    (after one warm-up call each), so that a load change on a shared machine hits all of them alike."""
    for fn in fns:
        fn()
    best = [float("inf")] * len(fns)
    for _ in range(repeat):
        for k, fn in enumerate(fns):
            t0 = time.perf_counter()
            fn()
            best[k] = min(best[k], time.perf_counter() - t0)
    return best


def _geo(values: list[float]) -> float:
    return float(np.exp(np.mean(np.log(values))))


def every_indicator(df: pd.DataFrame, repeat: int = 15, only: set[str] | None = None) -> None:
    """Per table indicator that TA-Lib has: seconds of ours, our unchecked twin and TA-Lib, and ratios."""
    import talib
    from talib import abstract

    from tradeforge import indicators as ta
    from tradeforge.indicators import kernels as tk
    from tradeforge.indicators.table import INDICATORS

    cols = {k: np.ascontiguousarray(df[k].to_numpy()) for k in ("open", "high", "low", "close", "volume")}
    cols["real"] = cols["close"]
    print(f"{len(df):,} bars; best of {repeat} interleaved rounds after a warm-up call; seconds; "
          "TA-Lib's default parameters")
    print(f"{'indicator':<13}{'ours':>9}{'unchecked':>11}{'talib':>9}{'ours/talib':>12}{'unchk/talib':>13}")
    ratios, fast_ratios = {}, {}
    for name, ind in INDICATORS.items():
        if not hasattr(abstract, name.upper()) or (only and name not in only):
            continue
        args = [cols[i] for i in ind.inputs]
        ref = getattr(talib, name.upper())
        checked, fast = getattr(ta, name), getattr(tk, name)
        t_ours, t_fast, t_ref = interleaved_best(
            [lambda f=f, a=args: f(*a) for f in (checked, fast, ref)], repeat)
        ratios[name], fast_ratios[name] = t_ours / t_ref, t_fast / t_ref
        print(f"{name:<13}{t_ours:>9.4f}{t_fast:>11.4f}{t_ref:>9.4f}"
              f"{ratios[name]:>12.2f}{fast_ratios[name]:>13.2f}")
    over = sorted((r, n) for n, r in ratios.items() if r > 1.0)
    print(f"{len(ratios)} indicators: ours/talib geometric mean {_geo(list(ratios.values())):.2f}, "
          f"max {max(ratios.values()):.2f}; unchecked/talib geometric mean "
          f"{_geo(list(fast_ratios.values())):.2f}, max {max(fast_ratios.values()):.2f}")
    print(f"ours over 1.0x TA-Lib: {', '.join(f'{n} {r:.2f}' for r, n in reversed(over)) or 'none'}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bars", type=int, default=1_000_000)
    ap.add_argument("--bt-bars", type=int, default=20_000)
    ap.add_argument("--pta-bars", type=int, default=100_000)
    ap.add_argument("--every", action="store_true", help="every table indicator against TA-Lib only")
    ap.add_argument("--only", default="", help="with --every: comma-separated indicator names")
    ap.add_argument("--repeat", type=int, default=15, help="with --every: timed rounds per indicator")
    args = ap.parse_args(argv)
    df = make_data(args.bars)
    if args.every:
        every_indicator(df, args.repeat, {n for n in args.only.split(",") if n} or None)
        return
    impls = implementations(df)
    small = implementations(df.iloc[: args.pta_bars])
    bt_df = df.iloc[: args.bt_bars]
    bt_scale = args.bars / len(bt_df)
    print(f"{args.bars:,} bars; best of 3 after a warm-up call (numba compile excluded); seconds")
    print(f"{'indicator':<10}{'ours':>10}{'talib':>10}{'ours/talib':>12}{'pandas-ta':>12}{'backtrader':>13}")
    tot_ours = tot_talib = 0.0
    for name, (ours, ref, pta_fn) in impls.items():
        t_ours, t_talib = best_of(ours), best_of(ref)
        tot_ours += t_ours
        tot_talib += t_talib
        t_small = best_of(small[name][2], repeat=1)
        if t_small > 1.0:
            pta_txt = f"{t_small * args.bars / args.pta_bars:.3f}*"
        else:
            pta_txt = f"{best_of(pta_fn):.3f}"
        if name in _bt_factories():
            t_bt = bt_indicator_time(bt_df, name) * bt_scale
            bt_txt = f"{t_bt:.1f}*"
        else:
            bt_txt = "n/a"
        print(f"{name:<10}{t_ours:>10.4f}{t_talib:>10.4f}{t_ours / t_talib:>12.2f}{pta_txt:>12}{bt_txt:>13}")
    print(f"{'TOTAL':<10}{tot_ours:>10.4f}{tot_talib:>10.4f}{tot_ours / tot_talib:>12.2f}")
    print(f"* scaled linearly from {args.pta_bars:,} (pandas-ta) / {args.bt_bars:,} (backtrader) bars")
    # --- hook: feature-matrix timing (bench/features.py, owned by the features engineer) -----------
    features = Path(__file__).with_name("features.py")
    if features.exists():
        print("\nbench/features.py:")
        subprocess.run([sys.executable, str(features)], check=False)


if __name__ == "__main__":
    main()
