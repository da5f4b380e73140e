"""Benchmark: the default feature matrix for the seed's scanner universe (1,453 symbols x 500 bars).

Run: ``.venv/bin/python bench/features.py [--symbols 1453] [--bars 500] [--jobs 1 2]
[--backends threads processes]``.
Target (issue): under 5 s on 2 cores. The universe comes from ``tradeforge.feeds.synthetic_universe``
when that exists, else from seeded numpy random walks (same shape, same work).
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import pandas as pd


def _random_walks(symbols: int, bars: int, seed: int = 0) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    index = pd.date_range("2022-01-03", periods=bars, freq="B", name="datetime")
    frames = {}
    for i in range(symbols):
        close = rng.uniform(5, 500) * np.exp(np.cumsum(rng.normal(0, 0.02, bars)))
        open_ = np.concatenate([[close[0]], close[:-1]]) * np.exp(rng.normal(0, 0.003, bars))
        wick = np.abs(rng.normal(0, 0.01, (2, bars))) * close
        frames[f"S{i:04d}"] = pd.DataFrame(
            {"open": open_, "high": np.maximum(open_, close) + wick[0],
             "low": np.minimum(open_, close) - wick[1], "close": close,
             "volume": rng.lognormal(12, 1, bars).round()},
            index=index,
        )
    return frames


def _universe(symbols: int, bars: int) -> tuple[dict[str, pd.DataFrame], str]:
    try:
        from tradeforge.feeds import load

        return load(f"synth:symbols={symbols},bars={bars},freq=1d,seed=0"), "feeds synth"
    except Exception as exc:  # noqa: BLE001 - the synthetic feed may not exist yet: fall back
        return _random_walks(symbols, bars), f"numpy random walks ({type(exc).__name__} from feeds synth)"


def _run(fs, frames: dict[str, pd.DataFrame], jobs: int, backend: str) -> str:
    load = os.getloadavg()[0]
    cpu0 = time.process_time()
    start = time.perf_counter()
    out = fs.transform_many(frames, n_jobs=jobs, backend=backend)
    wall = time.perf_counter() - start
    cpu = time.process_time() - cpu0  # this process, all its threads (worker processes not included)
    cells = sum(x.size for x in out.values())
    per = 1e3 / len(frames)
    cpu_note = "" if backend == "threads" or jobs == 1 else " + workers' (not measured)"
    return (f"n_jobs={jobs} {backend:9s}: wall {wall:5.2f} s ({wall * per:.2f} ms/symbol), cpu {cpu:5.2f} s"
            f"{cpu_note} ({cpu * per:.2f} ms/symbol), {cells / wall / 1e6:5.1f} M cells/s, load {load:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--symbols", type=int, default=1453)
    parser.add_argument("--bars", type=int, default=500)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--backends", nargs="+", default=["threads", "processes"])
    parser.add_argument("--repeat", type=int, default=1, help="rounds over all settings (interleaved)")
    args = parser.parse_args()

    from tradeforge.models.features import default_feature_set

    fs = default_feature_set()
    frames, source = _universe(args.symbols, args.bars)
    few = dict(list(frames.items())[:4])
    for backend in args.backends:  # JIT cache loading and worker-server start-up, not timed
        fs.transform_many(few, n_jobs=max(args.jobs), backend=backend)
    print(f"universe: {len(frames)} symbols x {args.bars} bars ({source}); {len(fs.columns)} columns")
    print(f"{os.cpu_count()} cpus, load average {os.getloadavg()} (on a shared machine wall > cpu / jobs)")
    # the first full run also grows the heap (~0.4 s of page faults for 480 MB of results here); later
    # runs reuse those pages, so it is reported apart and every setting after it starts alike
    print(_run(fs, frames, 1, "threads"), "[first full run: fresh memory]", flush=True)
    for _ in range(args.repeat):
        for jobs in args.jobs:
            for backend in args.backends if jobs > 1 else ["threads"]:
                print(_run(fs, frames, jobs, backend), flush=True)


if __name__ == "__main__":
    main()
