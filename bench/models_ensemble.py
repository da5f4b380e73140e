"""Benchmark of the stacked ensemble and the risk models.

Measures:

* ``StackedEnsemble`` fit time on 5,000 rows x 100 features (default model sizes, the default base models;
  the fit includes the walk-forward out-of-fold passes, the meta-learner, the calibrator and the final refit),
  and its prediction time for those rows;
* GARCH(1,1) Student-t fit + 5-step forecast time per symbol (1,000 daily returns, several symbols);
* causal rolling GARCH features for one symbol (1,000 bars, window 500, refit every 20 bars);
* copula dependence of one symbol with two benchmarks.

Run: ``.venv/bin/python bench/models_ensemble.py [--quick]`` (``--quick``: 2,000 rows, 3 symbols), or call
``run()`` (``bench/models.py`` does). Not a test; prints a table and returns the numbers.

Threads default to 1: on a shared, oversubscribed machine OpenMP's spin-waiting makes XGBoost and LightGBM
with 2 threads 10-20x *slower* than with 1 (measured: 200 trees on 750 x 100, load average ~9 on 2 cores:
26 s with 2 threads vs 1.6-2.9 s with 1). Pass ``--n-jobs`` on a dedicated machine.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from tradeforge.models.copula import CopulaDependence
from tradeforge.models.ensemble import StackedEnsemble
from tradeforge.models.garch import GarchModel, garch_features


def _planted(n: int, k: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, k))
    X[rng.uniform(size=X.shape) < 0.01] = np.nan
    signal = np.nan_to_num(X[:, 0] - 0.5 * X[:, 1] + 0.3 * X[:, 2] * X[:, 3])
    return X, (signal + rng.normal(size=n) > 0).astype(int)


def _timed(fn) -> tuple[float, float]:
    """``(wall seconds, CPU seconds of this process)`` of ``fn()``: on a shared machine the CPU time is the
    steadier number."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def bench_ensemble(n: int, k: int, n_jobs: int) -> dict[str, float]:
    X, y = _planted(n, k)
    model = StackedEnsemble(n_jobs=n_jobs)
    fit_s, fit_cpu = _timed(lambda: model.fit(X, y))
    predict_s, predict_cpu = _timed(lambda: model.predict_proba(X))
    return {"rows": n, "features": k, "fit_s": fit_s, "fit_cpu_s": fit_cpu, "predict_s": predict_s,
            "predict_cpu_s": predict_cpu, "stack_oof_auc": float(model.report_.loc["stack", "auc"]),
            "stack_calibrated_ece": float(model.report_.loc["stack_calibrated", "ece"])}


def bench_garch(symbols: int, n: int = 1000) -> dict[str, float]:
    from arch.data import sp500

    base = np.log(sp500.load()["Adj Close"]).diff().dropna().to_numpy()
    GarchModel().fit(base[:n]).cvar()  # warm-up: imports and first-call costs
    times = np.array([_timed(lambda s=s: GarchModel().fit(base[s * 300: s * 300 + n]).cvar())
                      for s in range(symbols)])
    rolling, rolling_cpu = _timed(lambda: garch_features(base[:1000], window=500, refit_every=20))
    rng = np.random.default_rng(0)
    bench = pd.DataFrame({"SPY": base[:1000], "QQQ": 0.9 * base[:1000] + 0.004 * rng.normal(size=1000)})
    stock = 1.2 * bench["SPY"] + 0.01 * rng.normal(size=1000)
    copula, copula_cpu = _timed(lambda: CopulaDependence().fit(stock, bench))
    return {"symbols": symbols, "garch_fit_ms_per_symbol": 1000 * float(np.median(times[:, 0])),
            "garch_fit_cpu_ms_per_symbol": 1000 * float(np.median(times[:, 1])),
            "garch_features_1000_bars_s": rolling, "garch_features_cpu_s": rolling_cpu,
            "copula_2_benchmarks_ms": 1000 * copula, "copula_cpu_ms": 1000 * copula_cpu}


def run(quick: bool = False, n_jobs: int | None = None) -> dict[str, dict[str, float]]:
    """Run the benchmark, print a small table and return the numbers."""
    n_jobs = n_jobs or 1
    out = {"ensemble": bench_ensemble(2000 if quick else 5000, 100, n_jobs),
           "risk": bench_garch(3 if quick else 10)}
    print(f"StackedEnsemble (5 base models, n_jobs={n_jobs})")
    for key, value in out["ensemble"].items():
        print(f"  {key:<24} {value:.3f}" if isinstance(value, float) else f"  {key:<24} {value}")
    print("Risk models")
    for key, value in out["risk"].items():
        print(f"  {key:<28} {value:.3f}" if isinstance(value, float) else f"  {key:<28} {value}")
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 rows and 3 symbols")
    parser.add_argument("--n-jobs", type=int, default=None, help="threads for the tree models")
    args = parser.parse_args()
    run(args.quick, args.n_jobs)
