"""Signals benchmark: ``compute_signals`` over a synthetic 1,453-symbol 1-minute universe, per stage.

Usage::

    .venv/bin/python bench/signals.py [--symbols 1453] [--bars B] [--timeframes 1m,5m,30m,1h,6h,1d]
                                      [--candidates 50] [--dask] [--cache runs/bench_signals]

Once (cached under ``--cache``): a model is trained with ``tradeforge train`` on 2 synthetic symbols of the
same kind (``--train-bars`` bars, default 3 x ``--bars`` up to 1h, 90,000 = 230 sessions with 6h or 1d:
the daily LSTM needs its warm-up and training days; fast settings, small LSTMs). The universe is
``synth:symbols=N,bars=B,freq=1m,seed=0,lazy=1`` plus SPY and QQQ (:mod:`tradeforge.feeds.lazy_synthetic`):
``B`` defaults to 6,000 bars up to 1h and 45,000 (115 sessions: 100 completed daily bars and the warm-up)
with 1d. It is built once ("universe": every symbol's recent bars, what the scanner reads); a symbol's deep
history is built when it becomes a candidate (stage ``history``) and kept. Then, with the model and bars in
memory as a running service holds them, it times:

* ``first cycle at T-2``: builds the candidates' deep history (``history``) - the lazy universe's cost;
* ``cycle at bar T-1``: a cold run (empty GARCH-fit cache; the candidates' frames are built);
* ``cycle at bar T``: the next bar (fits whose refit point did not move are reused, as the pipeline does);

each with the per-stage seconds of :attr:`SignalReport.timings` (load = cutting the universe at ``at``,
scan, model, stage2 and its steps features/garch/lstm/ensemble/risk) and the process CPU seconds (CPU/wall
well below the 2 cores means other processes competed). ``--dask`` runs stage 2 again on a local Dask
cluster (2 worker processes) and checks that the signals are identical. Target: under 10 s per cycle on
2 cores.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path


def _cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def _model(cache: Path, bars: int, timeframes: str) -> tuple[object, str]:
    from tradeforge.models.registry import ModelRegistry

    registry = cache / f"registry_{timeframes.replace(',', '_')}_{bars}"
    reg = ModelRegistry(registry)
    if not reg.versions():
        cmd = [sys.executable, "-c", "from tradeforge.engine.cli import main; main()", "train",
               "--data", f"synth:symbols=2,bars={bars},freq=1m,seed=7,lazy=1", "--timeframes", timeframes,
               "--registry", str(registry), "--param", "fast=true", "--param", "lstm_epochs=1",
               "--param", "garch_refit_every=500"]
        if len(timeframes.split(",")) > 4:  # the six: bounded ensemble and LSTM cost on ~170k rows
            cmd += ["--param", "base_models=lgbm,xgb", "--param", "lstm_lookback=10",
                    "--param", "garch_refit_every=1000"]
        clock = time.perf_counter()
        subprocess.run(cmd, check=True)
        print(f"trained the model in {time.perf_counter() - clock:.1f}s ({' '.join(cmd[3:])})")
    loaded = reg.load()
    return loaded["pipeline"], loaded.version


def _universe(symbols: int, bars: int):
    from tradeforge.engine.signals import load_universe
    from tradeforge.engine.signals.scan import stack_tail

    clock = time.perf_counter()
    uni = load_universe(f"synth:symbols={symbols},bars={bars},freq=1m,seed=0,lazy=1")
    stack_tail(uni.frames, uni.at, 101)  # builds every symbol's recent bars once
    print(f"universe: {len(uni.source)} symbols x {bars} 1m bars (lazy; recent bars of every symbol built) "
          f"in {time.perf_counter() - clock:.1f}s")
    return uni.source


def _cycle(label: str, config, frames, model) -> object:
    from tradeforge.engine.signals import compute_signals

    wall, cpu = time.perf_counter(), _cpu()
    report = compute_signals(config, frames=frames, model=model)
    wall, cpu = time.perf_counter() - wall, _cpu() - cpu
    stages = "  ".join(f"{k}={v:.3f}" for k, v in report.timings.items() if k != "total")
    print(f"{label:<22} total {wall:6.2f}s  cpu {cpu:6.2f}s  | {stages}")
    counts = f"{len(report.scan)} scanned, {len(report.candidates)} modelled, {len(report.signals)} kept"
    decisions = {d: sum(c["decision"] == d for c in report.candidates) for d in ("BUY", "SELL", "HOLD")}
    print(f"{'':<22} {counts}; candidates' decisions {decisions}")
    return report


def _dask(config, frames, model, reference) -> None:
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        remote = config.replace(scheduler=cluster.scheduler_address)
        report = _cycle("dask (2 workers)", remote, frames, model)
    same = report.candidates == reference.candidates and report.signals == reference.signals
    print(f"{'':<22} same signals and candidates as in process: {same}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--symbols", type=int, default=1453)
    parser.add_argument("--bars", type=int, default=None)
    parser.add_argument("--train-bars", type=int, default=None)
    parser.add_argument("--timeframes", default="1m,5m,30m,1h,6h,1d")
    parser.add_argument("--candidates", type=int, default=50)
    parser.add_argument("--dask", action="store_true")
    parser.add_argument("--cache", type=Path, default=Path("runs/bench_signals"))
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)

    from tradeforge.engine.signals import SignalConfig
    from tradeforge.engine.signals._garch_last import clear_cache

    deep = any(tf in args.timeframes.split(",") for tf in ("6h", "1d"))
    bars = args.bars or (45_000 if deep else 6000)
    train_bars = args.train_bars or (90_000 if deep else 3 * bars)
    model = _model(args.cache, train_bars, args.timeframes)
    frames = _universe(args.symbols, bars)
    index = frames.index
    config = SignalConfig(universe=f"synth:symbols={args.symbols},bars={bars},freq=1m,seed=0,lazy=1",
                          candidates=args.candidates, at=index[-3])
    print(f"universe {args.symbols} symbols + SPY, QQQ; {bars} 1m bars; model {model[1]} "
          f"(timeframes {args.timeframes}); {args.candidates} candidates")
    _cycle("first cycle at T-2", config, frames, model)
    clear_cache()
    _cycle("cycle at bar T-1", config.replace(at=index[-2]), frames, model)
    report = _cycle("cycle at bar T", config.replace(at=index[-1]), frames, model)
    shown = report.signals[:1] or [{k: v for k, v in report.candidates[0].items() if k != "lines"}]
    print(("first signal: " if report.signals else "best candidate (no signal kept): ")
          + json.dumps(shown[0])[:700])
    if args.dask:
        clear_cache()
        _dask(config.replace(at=index[-1]), frames, model, report)


if __name__ == "__main__":
    main()
