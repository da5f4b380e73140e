"""Walk-forward fold tasks and their executors: this process, a ``spawn`` process pool, or a Dask cluster.

A :class:`FoldTask` is plain, picklable data (the fold, its bars ``[warm_lo, test_hi)``, the strategy, its
parameters and the :class:`~tradeforge.engine.config.WalkForwardConfig`); :func:`run_fold` turns one into a
:class:`~tradeforge.engine.results.FoldResult`. Every executor runs that same module-level function and the
results are sorted by fold afterwards, so the outputs do not depend on the executor, the worker count or
the order in which folds finish; a fold's seed comes from the task, never from the worker. Process pools
use the ``spawn`` context (torch and ``fork`` do not mix) and one torch/BLAS thread per worker.

ML strategies (``MLStrategy`` and subclasses): an :class:`~tradeforge.models.pipeline.MLPipeline` is fitted
on the training window (bars after ``train_end`` are cut off before the fit), frozen, and its
``predict_frame`` gives the lines of the test bars from a history that starts ``max(pipeline.warmup,
warmup_bars)`` bars before the test window. That is all a fold task does: fits run in parallel, trading
does not.

**One continuous out-of-sample run** (:func:`trade_folds`, in the calling process, after every fold is
fitted): the test windows are traded as ONE backtest from the first test bar to the last, whose prediction
lines switch from fold ``k``'s model to fold ``k + 1``'s at the boundary. Positions, cash, open orders, the
equity high-water mark, the drawdown kill switch and the daily loss limit therefore carry over from one
fold to the next, exactly as they would in live trading with a model swapped on schedule. The backtest
starts ``Strategy.warmup(params)`` bars before the first test bar (NaN prediction lines there, so no order
before the first fold). Per-fold figures are cut from that one run: a fold's return and Sharpe from the
equity over its test bars (the first return from the value at the close before the window), its trades
those *closed* inside its window (a trade belongs to the fold it exits in), its orders those dated inside
it. A position still open at the last bar is valued at the last close. The run is serial and depends only
on the fold results sorted by fold, so it is identical for every executor and worker count.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from tradeforge.errors import ConfigError

from ..config import WalkForwardConfig, check_int
from ..data import slice_frames
from ..explain import diagnose
from ..report import compute_metrics, equity_returns
from ..results import BacktestResult, FoldResult
from ..runner import run_backtest
from .splits import Fold, common_index

__all__ = ["FoldTask", "run_fold", "trade_folds", "fold_seed", "init_worker", "warm_worker", "run_tasks",
           "default_workers", "check_workers", "start_pool", "pool_scope"]

Done = Callable[[FoldResult], None]


@dataclass(frozen=True)
class FoldTask:
    """Everything one fold needs, as picklable data.

    Attributes
    ----------
    fold : Fold
        The fold's positions and dates.
    frames : dict[str, DataFrame]
        Only the fold's bars ``[warm_lo, test_hi)`` of every symbol.
    strategy : str or class
        What the user named (resolved again in the worker).
    strategy_params : dict
        Checked strategy parameters.
    model_params : dict or None
        MLPipeline hyper-parameters (ML strategies), else None.
    config : WalkForwardConfig
        The run's settings (seed, costs).
    warmup_bars : int
        Resolved warm-up history before each window.
    periods : float
        Bars per year of the whole data (for the fold's metrics).
    """

    fold: Fold
    frames: dict[str, pd.DataFrame]
    strategy: Any
    strategy_params: dict[str, Any]
    model_params: dict[str, Any] | None
    config: WalkForwardConfig
    warmup_bars: int
    periods: float

    @property
    def seed(self) -> int:
        """The fold's model seed (:func:`fold_seed` of the run's seed and the fold number)."""
        return fold_seed(self.config.seed, self.fold.fold)


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
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[name] = "1"
    import torch

    torch.set_num_threads(1)


def warm_worker(ml: bool) -> None:
    """Pay a worker's one-off costs before its first fold: the imports of the fold code and, for ML
    strategies, torch's first backward pass (a one-off cost of the first LSTM fit of a fresh process).

    Nothing here touches a random state that a fold reads (torch's global generator is forked and restored),
    so results stay identical whether or not a worker was warmed.
    """
    if not ml:  # this module's imports (runner: backtrader, the feeds, the strategies) ran on unpickling
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


def _fit_predict(task: FoldTask, local: pd.DatetimeIndex) -> tuple[dict, dict, dict]:
    """Fit the pipeline on the training window; return (lines per symbol, report, timings)."""
    from tradeforge.models.pipeline import MLPipeline

    fold, frames = task.fold, task.frames
    clock = time.perf_counter()
    # the label is the traded trade: its commission is the backtest's unless the user set one
    pipe = MLPipeline(**{"commission": task.config.commission, **(task.model_params or {})},
                      random_state=task.seed)
    pipe.fit(slice_frames(frames, local[0], fold.train_end), fold.train_start, fold.train_end)
    fit_seconds = time.perf_counter() - clock
    test_lo = fold.test_lo - fold.warm_lo
    warm = min(test_lo, max(pipe.warmup, task.warmup_bars))
    clock = time.perf_counter()
    history = slice_frames(frames, local[test_lo - warm])
    lines = pipe.predict_frame(history, start=fold.test_start)
    timings = dict(pipe.report_["timings"], fit=fit_seconds, predict=time.perf_counter() - clock)
    report = {k: pipe.report_[k] for k in ("auc", "ece", "brier", "n_train")}
    report["calibration"] = getattr(getattr(pipe, "ensemble_", None), "calibration_", None)
    return lines, report, timings


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


def run_fold(task: FoldTask) -> FoldResult:
    """Fit one fold (see the module notes): the ``folds.csv`` row without the trading figures, the
    predictions of the test bars (long form; ML strategies, else None) and timings in seconds. The trading
    figures are filled in by :func:`trade_folds`."""
    with _single_threaded(task.model_params is not None):
        return _run_fold(task)


def _run_fold(task: FoldTask) -> FoldResult:
    started = time.perf_counter()
    fold = task.fold
    row: dict[str, Any] = {**fold.as_row(), "seed": task.seed, "auc": None, "ece": None}
    timings: dict[str, float] = {}
    predictions = None
    if task.model_params is not None:
        lines, report, timings = _fit_predict(task, common_index(task.frames))
        row.update(auc=report["auc"], ece=report["ece"], brier=report["brier"],
                   calibration=report["calibration"])
        predictions = _long_predictions(lines, fold.fold)
    timings["total"] = time.perf_counter() - started
    empty = pd.Series(dtype=np.float64)
    return FoldResult(fold=fold.fold, row=row, returns=empty, exposure=empty.astype(bool),
                      trades=pd.DataFrame(), orders=pd.DataFrame(), predictions=predictions,
                      timings={k: round(float(v), 4) for k, v in timings.items()})


def _continuous_lines(fits: Sequence[FoldResult], frames: dict[str, pd.DataFrame]
                      ) -> dict[str, dict[str, np.ndarray]]:
    """Every fold's prediction lines on its own test bars, aligned to each backtest frame (NaN elsewhere):
    the lines switch model at each fold boundary."""
    preds = pd.concat([f.predictions for f in fits if f.predictions is not None], ignore_index=True)
    names = [c for c in preds.columns if c not in ("datetime", "fold", "symbol")]
    out = {}
    for sym, df in frames.items():
        own = preds[preds["symbol"] == sym].set_index("datetime")[names]
        aligned = own.reindex(df.index)
        out[sym] = {name: aligned[name].to_numpy(dtype=np.float64) for name in names}
    return out


def _fold_of(dates: pd.Series, starts: pd.DatetimeIndex) -> np.ndarray:
    """Fold number (position in *starts*) of each date: the last fold that starts at or before it."""
    when = pd.DatetimeIndex(pd.to_datetime(dates).ffill().bfill())  # an order without a date: its neighbour
    return np.maximum(starts.searchsorted(when, side="right") - 1, 0)


def _cut(fit: FoldResult, fold: Fold, result: BacktestResult, k: int, trade_fold: np.ndarray,
         order_fold: np.ndarray, periods: float) -> FoldResult:
    """Fold *k*'s figures cut from the one continuous backtest *result*."""
    before = result.equity.loc[:fold.test_start].iloc[:-1]
    start_value = float(before.iloc[-1]) if len(before) else float(result.cash)
    equity = result.equity.loc[fold.test_start:fold.test_end]
    exposure = result.exposure.loc[fold.test_start:fold.test_end]
    trades = result.trades[trade_fold == k].reset_index(drop=True)
    orders = result.orders[order_fold == k].reset_index(drop=True)
    metrics = compute_metrics(equity, trades, float(exposure.mean()), start_value=start_value,
                              periods=periods)
    row = {**fit.row, "sharpe": metrics["sharpe"], "total_return": metrics["total_return"],
           "max_drawdown": metrics["max_drawdown"], "n_trades": metrics["n_trades"]}
    trades.insert(0, "fold", fold.fold)
    orders.insert(0, "fold", fold.fold)
    return FoldResult(fold=fold.fold, row=row, returns=equity_returns(equity, start_value),
                      exposure=exposure, trades=trades, orders=orders, predictions=fit.predictions,
                      timings=fit.timings, equity=equity)


def trade_folds(folds: Sequence[Fold], fits: Sequence[FoldResult], frames: dict[str, pd.DataFrame], *,
                strategy: Any, strategy_params: dict[str, Any], config: WalkForwardConfig, periods: float,
                ml: bool) -> list[FoldResult]:
    """Trade every test window as ONE backtest and cut the per-fold figures from it (see the module notes).

    Parameters
    ----------
    folds : sequence of Fold
        The fold plan (positions on the common index of *frames*), in order.
    fits : sequence of FoldResult
        :func:`run_fold`'s results, sorted by fold (ML: their ``predictions`` become the lines).
    frames : dict[str, DataFrame]
        All the data.
    strategy, strategy_params, config, periods
        What to trade, its checked parameters, the run's settings (costs) and bars per year.
    ml : bool
        Whether *strategy* reads the prediction lines.

    Returns
    -------
    list of FoldResult
        One per fold, with the returns, equity, exposure, trades, orders and ``folds.csv`` figures of its
        test window.
    """
    index = common_index(frames)
    first, last = folds[0], folds[-1]
    warm = min(first.test_lo, _strategy_warmup(strategy, strategy_params))
    bt_frames = slice_frames(frames, index[first.test_lo - warm], last.test_end)
    extra = _continuous_lines(fits, bt_frames) if ml else None
    clock = time.perf_counter()
    result = run_backtest(bt_frames, strategy, strategy_params, config=config.backtest, extra_lines=extra)
    seconds = round(time.perf_counter() - clock, 4)
    starts = pd.DatetimeIndex([f.test_start for f in folds])
    trade_fold = _fold_of(result.trades["exit_date"], starts) if len(result.trades) else np.zeros(0, int)
    order_fold = _fold_of(result.orders["date"], starts) if len(result.orders) else np.zeros(0, int)
    out = [_cut(fit, fold, result, k, trade_fold, order_fold, periods)
           for k, (fold, fit) in enumerate(zip(folds, fits, strict=True))]
    for part, fold in zip(out, folds, strict=True):
        part.timings = {**part.timings, "backtest": seconds}
        part.diagnosis = diagnose(result, result.params, start=fold.test_start, end=fold.test_end,
                                  lines=extra)  # why a fold did (not) trade
    return out


# -- executors: the same run_fold here, in a spawn process pool, or on a Dask cluster --

def default_workers() -> int:
    """All cores: ``os.cpu_count()`` (1 if unknown)."""
    return os.cpu_count() or 1


def check_workers(workers: Any) -> int:
    """*workers* as an int >= 1, else a ConfigError."""
    return check_int("workers", workers, 1, "e.g. --workers 2")


def _serial(tasks: Sequence[FoldTask], done: Done) -> list[FoldResult]:
    out = []
    for task in tasks:
        out.append(run_fold(task))
        done(out[-1])
    return out


def start_pool(workers: int, *, ml: bool) -> Any:
    """A ``spawn`` process pool of *workers* processes, started now and warming up (imports, torch's first
    backward pass) while the caller loads data and plans the folds; pass it to :func:`run_tasks`.

    The caller shuts it down (``pool.shutdown()`` or a ``with`` block).
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    pool = ProcessPoolExecutor(max_workers=check_workers(workers),
                               mp_context=multiprocessing.get_context("spawn"), initializer=init_worker)
    for _ in range(workers):  # a spawn pool starts a process per pending task, up to max_workers
        pool.submit(warm_worker, ml)
    return pool


@contextmanager
def pool_scope(pool: Any) -> Iterator[None]:
    """Own *pool* (or nothing when None) for a block: wait for it on success; on an error (bad data, bad
    arguments found after the pool started) stop its workers at once instead of waiting for their warm-up."""
    if pool is None:
        yield
        return
    try:
        yield
    except BaseException:
        processes = getattr(pool, "_processes", None) or {}  # the executor's own table of its workers
        for process in list(processes.values()):
            process.terminate()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _processes(tasks: Sequence[FoldTask], pool: Any, done: Done) -> list[FoldResult]:
    from concurrent.futures import as_completed

    out = []
    futures = [pool.submit(run_fold, task) for task in tasks]
    try:
        for future in as_completed(futures):
            out.append(future.result())
            done(out[-1])
    except BaseException:
        for future in futures:
            future.cancel()
        raise
    return out


def _dask(tasks: Sequence[FoldTask], scheduler: str, done: Done) -> list[FoldResult]:
    try:
        from distributed import Client, as_completed
    except ImportError as exc:  # pragma: no cover - distributed is a dependency
        raise ConfigError(f"--scheduler {scheduler!r} needs dask.distributed ({exc}); "
                          "install dask[distributed]") from exc
    try:
        client = Client(scheduler, timeout="10s", set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ConfigError(f"--scheduler {scheduler!r}: cannot connect to a Dask scheduler ({exc}); start one "
                          "with `dask scheduler` and pass its address, e.g. tcp://127.0.0.1:8786") from exc
    out = []
    try:
        futures = [client.submit(run_fold, task, pure=False) for task in tasks]
        for future in as_completed(futures, loop=client.loop):
            out.append(future.result())
            done(out[-1])
    finally:
        client.close()
    return out


def run_tasks(tasks: Sequence[FoldTask], *, workers: int | None = None, scheduler: str | None = None,
              done: Done | None = None, pool: Any = None) -> list[FoldResult]:
    """Run :func:`run_fold` on every task; results sorted by fold.

    ``scheduler`` (a Dask address such as ``tcp://host:8786``) wins over ``workers``; ``workers=1`` (or a
    single task) runs in this process; ``workers=None`` uses every core. A *pool* from :func:`start_pool`
    is used as it is (and left running). *done* is called with each result as it arrives (in completion
    order).
    """
    done = done or (lambda result: None)
    if scheduler:
        results = _dask(tasks, str(scheduler), done)
    elif pool is not None:
        results = _processes(tasks, pool, done)
    else:
        workers = min(check_workers(default_workers() if workers is None else workers), len(tasks))
        if workers <= 1:
            results = _serial(tasks, done)
        else:
            with start_pool(workers, ml=False) as fresh:
                results = _processes(tasks, fresh, done)
    return sorted(results, key=lambda r: r.fold)
