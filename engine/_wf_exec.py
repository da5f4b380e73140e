"""Executors of walk-forward folds: this process, a ``spawn`` process pool, or a Dask cluster.

Every executor runs the same module-level function on the same plain-data tasks and the results are
sorted by fold afterwards, so the outputs do not depend on the executor, the worker count or the order in
which folds finish. Process pools use the ``spawn`` context (torch and ``fork`` do not mix) and one
torch/BLAS thread per worker.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from tradeforge.errors import ConfigError

from ._wf_fold import init_worker, run_fold, warm_worker

__all__ = ["run_tasks", "default_workers", "check_workers", "start_pool", "pool_scope"]

Done = Callable[[dict[str, Any]], None]


def default_workers() -> int:
    """All cores: ``os.cpu_count()`` (1 if unknown)."""
    return os.cpu_count() or 1


def check_workers(workers: Any) -> int:
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ConfigError(f"workers: expected an integer >= 1, got {workers!r}; e.g. --workers 2")
    return workers


def _serial(tasks: Sequence[dict], done: Done) -> list[dict]:
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

    pool = ProcessPoolExecutor(max_workers=check_workers(workers), mp_context=multiprocessing.get_context("spawn"),
                               initializer=init_worker)
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


def _processes(tasks: Sequence[dict], pool: Any, done: Done) -> list[dict]:
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


def _dask(tasks: Sequence[dict], scheduler: str, done: Done) -> list[dict]:
    try:
        from distributed import Client, as_completed
    except ImportError as exc:  # pragma: no cover - distributed is a dependency
        raise ConfigError(f"--scheduler {scheduler!r} needs dask.distributed ({exc}); install dask[distributed]"
                          ) from exc
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


def run_tasks(tasks: Sequence[dict], *, workers: int | None = None, scheduler: str | None = None,
              done: Done | None = None, pool: Any = None) -> list[dict]:
    """Run :func:`~tradeforge.engine._wf_fold.run_fold` on every task; results sorted by fold.

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
    return sorted(results, key=lambda r: r["fold"])
