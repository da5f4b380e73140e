"""Benchmark of the LSTM predictors (and, when present, the ensemble/GARCH benchmark in models_ensemble.py).

Measures, on CPU and on CUDA when available (with and without mixed precision):

* training throughput (windows/s) at the ``size="auto"`` CPU shape ("small") and at the seed shape; the seed
  shape on CPU is timed on a few batches only and extrapolated to an epoch of 20,000 windows;
* inference for 50 symbols × 6 timeframes: one batched forward of the 50 last windows per timeframe
  (300 windows in all), and the per-call latency of ``LSTMPredictor.predict_last`` (the live path).

Run: ``.venv/bin/python bench/models.py [--quick] [--lstm-only]``. Not a test; prints a table.
"""

from __future__ import annotations

import argparse
import importlib.util
import time
from pathlib import Path

import numpy as np
import torch

from tradeforge.models import _trainer as tr
from tradeforge.models._nets import NetConfig, SeedNet
from tradeforge.models.lstm import SMALL, LSTMPredictor

N_FEATURES = 20
SYMBOLS, TIMEFRAMES = 50, 6
SHAPES = {
    "small": dict(conv_channels=SMALL["conv_channels"], hidden=SMALL["hidden"], layers=SMALL["layers"],
                  heads=SMALL["heads"], indicator_dim=SMALL["indicator_dim"], lookback=SMALL["lookback_cap"]),
    "seed": dict(conv_channels=64, hidden=128, layers=2, heads=4, indicator_dim=64, lookback=100),
}


def _sync(choice: tr.DeviceChoice) -> None:
    if choice.is_cuda:
        torch.cuda.synchronize()


def _net(shape: dict) -> SeedNet:
    keys = ("conv_channels", "hidden", "layers", "heads", "indicator_dim")
    return SeedNet(NetConfig(N_FEATURES, N_FEATURES, dropout=0.2, **{k: shape[k] for k in keys}))


def train_throughput(shape: dict, choice: tr.DeviceChoice, n_windows: int, batch: int) -> float:
    """Windows per second of one training epoch over *n_windows* random windows (after a warm-up)."""
    rng = np.random.default_rng(0)
    lookback = shape["lookback"]
    feats = rng.normal(size=(n_windows + lookback, N_FEATURES)).astype(np.float32)
    ends = np.arange(lookback - 1, n_windows + lookback - 1)
    data = tr.TrainData(feats, np.arange(N_FEATURES), lookback, ends, rng.normal(size=len(ends)),
                        ends[:0], ends[:0].astype(float))
    warm = tr.TrainData(feats, data.ind_cols, lookback, ends[: 2 * batch], data.train_y[: 2 * batch],
                        ends[:0], ends[:0].astype(float))
    with tr.run_context(choice, 1 if shape is SHAPES["small"] else torch.get_num_threads(), 0):
        net = _net(shape)
        tr.train(net, warm, choice, epochs=1, batch_size=batch, lr=1e-3, patience=1, seed=0)
        _sync(choice)
        t0 = time.perf_counter()
        tr.train(net, data, choice, epochs=1, batch_size=batch, lr=1e-3, patience=1, seed=0)
        _sync(choice)
    return n_windows / (time.perf_counter() - t0)


def batched_inference_ms(shape: dict, choice: tr.DeviceChoice, repeats: int) -> float:
    """Milliseconds to predict the last window of 50 symbols for 6 timeframe models (300 windows)."""
    lookback = shape["lookback"]
    nets = [_net(shape).to(choice.device).eval() for _ in range(TIMEFRAMES)]
    x = torch.randn(SYMBOLS, lookback, N_FEATURES, device=choice.device)
    ind = x[:, -1, :]
    autocast = (torch.autocast("cuda", dtype=getattr(torch, choice.amp_dtype)) if choice.amp_dtype
                else torch.autocast("cpu", enabled=False))
    threads = 1 if shape is SHAPES["small"] else torch.get_num_threads()
    with tr.run_context(choice, threads, 0), torch.inference_mode(), autocast:
        for net in nets:
            net(x, ind)  # warm-up
        _sync(choice)
        t0 = time.perf_counter()
        for _ in range(repeats):
            for net in nets:
                net(x, ind).float().cpu()
        _sync(choice)
    return (time.perf_counter() - t0) / repeats * 1e3


def predict_last_ms(size: str, device: str, amp: str, calls: int) -> float:
    """Mean latency of ``LSTMPredictor.predict_last`` on a 500-bar history (the live per-bar call)."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(500, N_FEATURES))
    y = np.r_[0.1 * X[1:, 0], np.nan]
    model = LSTMPredictor(size=size, device=device, amp=amp, epochs=1, batch_size=64).fit(X[:300], y[:300])
    model.predict_last(X)
    t0 = time.perf_counter()
    for i in range(calls):
        model.predict_last(X[: 400 + i % 100])
    return (time.perf_counter() - t0) / calls * 1e3


def run_device(device: str, amp: str, quick: bool) -> dict[str, dict[str, float]]:
    """All measurements for one device/AMP setting, keyed by network shape."""
    choice = tr.choose_device(device, amp)
    cuda = choice.is_cuda
    results = {}
    for size, shape in SHAPES.items():
        few = size == "seed" and not cuda  # seed size on CPU: a few batches only, extrapolated
        batch = 1024 if cuda else (256 if size == "seed" else 64)
        n = (3 if quick else 8) * batch if few else (2_000 if quick else 20_000)
        if cuda:
            n = max(n, 8 * batch)
        rate = train_throughput(shape, choice, n, batch)
        results[size] = {
            "train_windows_s": rate,
            "epoch_20k_s": 20_000 / rate,
            "batched_300_ms": batched_inference_ms(shape, choice, 3 if quick else 10),
            "predict_last_ms": predict_last_ms(size, device, amp, 20 if quick else 100),
            "extrapolated": float(few),
        }
    return results


def _print(label: str, results: dict) -> None:
    for size, r in results.items():
        note = " (few batches, extrapolated)" if r["extrapolated"] else ""
        print(f"{label:<14} {size:<6} train {r['train_windows_s']:>9.0f} windows/s  "
              f"epoch(20k) {r['epoch_20k_s']:>7.1f} s{note}  "
              f"batched 300 windows {r['batched_300_ms']:>7.1f} ms  "
              f"predict_last {r['predict_last_ms']:>6.2f} ms/call")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes (a smoke run)")
    parser.add_argument("--lstm-only", action="store_true", help="skip bench/models_ensemble.py")
    parser.add_argument("--threads", type=int, default=None, help="torch threads for the seed shape")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, small shape on 1 thread, seed on {torch.get_num_threads()}, "
          f"{N_FEATURES} features, {SYMBOLS} symbols x {TIMEFRAMES} timeframes")
    cpu = run_device("cpu", "off", args.quick)
    _print("cpu", cpu)
    if torch.cuda.is_available():
        print(f"GPU: {torch.cuda.get_device_name()}")
        for amp in ("off", "auto"):
            gpu = run_device("cuda", amp, args.quick)
            _print(f"cuda amp={amp}", gpu)
            for size in gpu:
                speed = gpu[size]['train_windows_s'] / cpu[size]['train_windows_s']
                print(f"  {size}: GPU/CPU training speed-up x{speed:.1f}, "
                      f"batched inference x{cpu[size]['batched_300_ms'] / gpu[size]['batched_300_ms']:.1f}")
    else:
        print("no CUDA GPU: GPU rows skipped")
    ensemble = Path(__file__).with_name("models_ensemble.py")
    if ensemble.exists() and not args.lstm_only:
        spec = importlib.util.spec_from_file_location("models_ensemble", ensemble)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.run()


if __name__ == "__main__":
    main()
