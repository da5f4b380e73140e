"""Time one MLPipeline fit with default parameters on daily bars (the walk-forward fold size), one thread.

Run: ``.venv/bin/python bench/pipeline_fit.py [train_bars] [warmup_bars]`` (defaults 1000, 300).
Prints wall and CPU seconds per stage (``report_["timings"]`` is wall time) and the predict cost of a
250-bar test fold. A first fit in a fresh process also pays torch's and numba's start-up; it is timed
separately from a second, warm fit.
"""

from __future__ import annotations

import sys
import time


def main(train_bars: int = 1000, warmup_bars: int = 300) -> None:
    import torch

    from tradeforge.feeds import load
    from tradeforge.models.pipeline import MLPipeline

    torch.set_num_threads(1)
    bars = warmup_bars + train_bars + 250
    df = next(iter(load(f"synth:symbols=1,bars={bars},freq=1d,seed=0,edge=0.2").values()))
    start, end = df.index[warmup_bars], df.index[warmup_bars + train_bars - 1]
    for label in ("cold", "warm"):
        wall, cpu = time.perf_counter(), time.process_time()
        pipe = MLPipeline().fit(df, train_start=start, train_end=end)
        print(f"fit ({label}): wall {time.perf_counter() - wall:.2f} s, "
              f"cpu {time.process_time() - cpu:.2f} s, "
              f"stages {pipe.report_['timings']}, n_train {pipe.report_['n_train']}, "
              f"auc_stack {pipe.report_['auc_stack']:.3f}, warmup {pipe.warmup}")
    wall, cpu = time.perf_counter(), time.process_time()
    frame = pipe.predict_frame(df, start=df.index[warmup_bars + train_bars])
    print(f"predict_frame of {len(frame)} test bars: wall {time.perf_counter() - wall:.2f} s, "
          f"cpu {time.process_time() - cpu:.2f} s")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
