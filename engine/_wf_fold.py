"""One walk-forward fold, from plain data to plain data: fit, freeze, predict, backtest.

:func:`run_fold` is a module-level function of one picklable ``dict`` so that any executor (this process,
a ``spawn`` process pool, a Dask worker) runs it identically; its seed comes from the task, never from
the worker. The task's frames hold only the bars ``[warm_lo, test_hi)`` of the fold.

ML strategies (``MLStrategy`` and subclasses): an :class:`~tradeforge.models.pipeline.MLPipeline` is fitted
on the training window (bars after ``train_end`` are cut off before the fit), frozen, and its
``predict_frame`` gives the lines of the test bars from a history that starts ``max(pipeline.warmup,
warmup_bars)`` bars before the test window. Warm-up bars carry NaN lines, so no order is placed before the
fold's first bar. **Positions are closed at the fold's end**: the lines handed to the backtest (not
``predictions.csv``) say SELL on the fold's last two bars, so an open position is closed at the open of
the last bar and no new one is opened. Other strategies get ``Strategy.warmup(params)`` bars before the
test window (``next`` first runs on the fold's first bar); a position still open at the fold's end is
valued at the last close (the stitched curve restarts the next fold from that value in cash).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd

from ._wf_splits import common_index

__all__ = ["run_fold", "fold_seed", "init_worker", "warm_worker"]

_FLAT_BARS = 2  # SELL on the last two bars: exit at the last bar's open, no entry that could not exit


def fold_seed(seed: int, fold: int) -> int:
    """Model seed of *fold*, derived from the run's *seed* only (never from the worker).

    Examples
    --------
    >>> fold_seed(0, 3) == fold_seed(0, 3) != fold_seed(0, 4)
    True
    """
    return int(np.random.SeedSequence([int(seed), int(fold)]).generate_state(1)[0] & 0x7FFFFFFF)


def init_worker() -> None:
    """Process-pool initializer: one thread per worker for torch and the BLAS/OpenMP pools."""
    import os

    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[name] = "1"
    import torch

    torch.set_num_threads(1)


def warm_worker(ml: bool) -> None:
    """Pay a worker's one-off costs before its first fold: the imports of the fold code and, for ML
    strategies, torch's first backward pass (~2 s on the first LSTM fit of a fresh process, measured).

    Nothing here touches a random state that a fold reads (torch's global generator is forked and restored),
    so results stay identical whether or not a worker was warmed.
    """
    import tradeforge.engine.runner  # noqa: F401  (backtrader, the feeds, the strategies)

    if not ml:
        return
    import torch

    import tradeforge.models.pipeline  # noqa: F401  (sklearn, xgboost, lightgbm, arch, numba kernels)

    with torch.random.fork_rng(devices=[]):
        net = torch.nn.LSTM(4, 4, batch_first=True)
        net(torch.zeros(2, 3, 4))[0].sum().backward()


@contextmanager
def _single_threaded(torch_too: bool) -> Iterator[None]:
    """One BLAS/OpenMP thread (and one torch thread) inside a fold, whatever the executor: thread counts
    change floating-point reduction order, and the results must not depend on where a fold runs."""
    from threadpoolctl import threadpool_limits

    if not torch_too:
        with threadpool_limits(limits=1):
            yield
        return
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(limits=1):
            yield
    finally:
        torch.set_num_threads(before)


def _slice(frames: dict[str, pd.DataFrame], start: pd.Timestamp, end: pd.Timestamp | None = None
           ) -> dict[str, pd.DataFrame]:
    out = {}
    for sym, df in frames.items():
        part = df.loc[start:end]
        part.attrs = dict(df.attrs)
        out[sym] = part
    return out


def _fit_predict(task: dict[str, Any], local: pd.DatetimeIndex) -> tuple[dict, dict, dict]:
    """Fit the pipeline on the training window; return (lines per symbol, report, timings)."""
    from tradeforge.models.pipeline import MLPipeline

    fold, frames = task["fold"], task["frames"]
    clock = time.perf_counter()
    pipe = MLPipeline(**task["model_params"], random_state=fold_seed(task["seed"], fold.fold))
    pipe.fit(_slice(frames, local[0], fold.train_end), fold.train_start, fold.train_end)
    fit_seconds = time.perf_counter() - clock
    test_lo = fold.test_lo - fold.warm_lo
    warm = min(test_lo, max(pipe.warmup, int(task["warmup_bars"])))
    clock = time.perf_counter()
    history = _slice(frames, local[test_lo - warm])
    lines = pipe.predict_frame(history, start=fold.test_start)
    timings = dict(pipe.report_["timings"], fit=fit_seconds, predict=time.perf_counter() - clock)
    report = {k: pipe.report_[k] for k in ("auc", "ece", "brier", "n_train")}
    return lines, report, timings


def _backtest_lines(lines: dict[str, pd.DataFrame], frames: dict[str, pd.DataFrame], test_start: pd.Timestamp
                    ) -> dict[str, dict[str, np.ndarray]]:
    """Prediction lines aligned to each backtest frame: NaN before the fold, SELL on its last bars."""
    out = {}
    for sym, df in frames.items():
        aligned = lines[sym].reindex(df.index)
        decision = aligned["ml_decision"].to_numpy(dtype=np.float64).copy()
        in_test = np.flatnonzero(df.index >= test_start)
        decision[in_test[-_FLAT_BARS:]] = -1.0
        cols = {name: aligned[name].to_numpy(dtype=np.float64) for name in aligned.columns}
        cols["ml_decision"] = decision
        out[sym] = cols
    return out


def _long_predictions(lines: dict[str, pd.DataFrame], fold: int) -> pd.DataFrame:
    parts = []
    for sym, frame in lines.items():
        part = frame.reset_index()
        part.insert(1, "fold", fold)
        part.insert(2, "symbol", sym)
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values(["datetime", "symbol"], kind="mergesort").reset_index(drop=True)


def _strategy_warmup(strategy: Any, params: dict[str, Any]) -> int:
    from tradeforge.strategies import resolve_strategy
    from tradeforge.strategies.base import Strategy

    cls = resolve_strategy(strategy)
    if not issubclass(cls, Strategy):
        return 0
    return int(cls.warmup({**dict(cls.params._getpairs()), **params}))


def _fold_result(task: dict[str, Any], result: Any, fold_row: dict[str, Any]) -> dict[str, Any]:
    """Slice the backtest to the test bars; per-fold returns, exposure, trades and metrics."""
    from .report import compute_metrics

    fold = task["fold"]
    before = result.equity.loc[:fold.test_start].iloc[:-1]
    start_value = float(before.iloc[-1]) if len(before) else float(result.cash)
    equity = result.equity.loc[fold.test_start:]
    path = np.concatenate([[start_value], equity.to_numpy(dtype=np.float64)])
    returns = pd.Series(path[1:] / path[:-1] - 1.0, index=equity.index, name="return")
    exposure = result.exposure.loc[fold.test_start:]
    metrics = compute_metrics(equity, result.trades, float(exposure.mean()), start_value=start_value,
                              periods=task["periods"])
    fold_row.update(sharpe=metrics["sharpe"], total_return=metrics["total_return"],
                    max_drawdown=metrics["max_drawdown"], n_trades=metrics["n_trades"])
    trades = result.trades.copy()
    trades.insert(0, "fold", fold.fold)
    orders = result.orders.copy()
    orders.insert(0, "fold", fold.fold)
    return dict(fold=fold.fold, row=fold_row, returns=returns, exposure=exposure, trades=trades, orders=orders)


def run_fold(task: dict[str, Any]) -> dict[str, Any]:
    """Run one fold (see the module notes) and return plain data: the ``folds.csv`` row, per-bar returns
    and exposure of the test bars, trades, orders, predictions (long form) and timings in seconds."""
    with _single_threaded(task["model_params"] is not None):
        return _run_fold(task)


def _run_fold(task: dict[str, Any]) -> dict[str, Any]:
    from .runner import run_backtest

    started = time.perf_counter()
    fold, frames = task["fold"], task["frames"]
    local = common_index(frames)
    test_lo = fold.test_lo - fold.warm_lo
    row: dict[str, Any] = {**fold.as_row(), "seed": fold_seed(task["seed"], fold.fold),
                           "auc": None, "ece": None}
    timings: dict[str, float] = {}
    if task["model_params"] is not None:
        lines, report, timings = _fit_predict(task, local)
        row.update(auc=report["auc"], ece=report["ece"])
        bt_frames = _slice(frames, local[test_lo - min(test_lo, int(task["warmup_bars"]))])
        extra = _backtest_lines(lines, bt_frames, fold.test_start)
        predictions = _long_predictions(lines, fold.fold)
    else:
        warm = min(test_lo, _strategy_warmup(task["strategy"], task["strategy_params"]))
        bt_frames, extra, predictions = _slice(frames, local[test_lo - warm]), None, None
    clock = time.perf_counter()
    result = run_backtest(bt_frames, task["strategy"], task["strategy_params"], extra_lines=extra,
                          **task["costs"])
    timings["backtest"] = time.perf_counter() - clock
    out = _fold_result(task, result, row)
    timings["total"] = time.perf_counter() - started
    out.update(predictions=predictions, timings={k: round(float(v), 4) for k, v in timings.items()})
    return out
