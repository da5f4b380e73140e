"""Feature matrices for many symbols at once: in-process, threads, or worker processes.

The kernels release the GIL (``nogil``), but the Python between them holds it, so threads gain little;
processes scale with free cores but pay for moving frames out and results back, so workers write their
rows straight into one shared-memory block and the parent copies it out once (``bench/features.py``
measures the three). Workers come from a ``forkserver`` (``spawn`` where there is none) that preloads
tradeforge's feature modules: never a plain ``fork`` of a process that may run other threads (a live
runner does), which can deadlock the child. The executor knows a feature set only through
:class:`Transformer`, so it imports nothing of the package.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.shared_memory import SharedMemory
from typing import Protocol

import numpy as np
import pandas as pd

from tradeforge.errors import ConfigError, unknown_name_error


class Transformer(Protocol):
    """What the executor needs of a :class:`~tradeforge.models.features.Transformer` (no import of it)."""

    @property
    def columns(self) -> tuple[str, ...]: ...

    def transform(self, df: pd.DataFrame) -> pd.DataFrame: ...

    def matrix(self, df: pd.DataFrame) -> np.ndarray: ...

BACKENDS = ("processes", "threads")
_PRELOAD = ["tradeforge.models.features.parallel", "tradeforge.models.features._warmup"]


def _fill(fs: Transformer, items: list[tuple[int, pd.DataFrame]], shm_name: str, shape: tuple[int, int],
          offsets: np.ndarray) -> None:
    """In a worker: write the matrix of each ``(position, frame)`` into the shared block."""
    shm = SharedMemory(name=shm_name)
    try:
        out = np.ndarray(shape, dtype=np.float64, buffer=shm.buf)
        for i, df in items:
            out[offsets[i]:offsets[i + 1]] = fs.matrix(df)
        del out
    finally:
        shm.close()


def _context():
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(_PRELOAD)
        return ctx
    return multiprocessing.get_context("spawn")


def _in_processes(fs: Transformer, names: list[str], frames: Mapping[str, pd.DataFrame],
                  chunks: list[np.ndarray]) -> dict[str, pd.DataFrame]:
    dfs = [frames[n] for n in names]
    offsets = np.concatenate([[0], np.cumsum([len(df) for df in dfs])]).astype(np.int64)
    shape = (int(offsets[-1]), len(fs.columns))
    shm = SharedMemory(create=True, size=max(shape[0] * shape[1] * 8, 8))
    try:
        with ProcessPoolExecutor(len(chunks), mp_context=_context()) as pool:
            futures = [pool.submit(_fill, fs, [(int(i), dfs[i]) for i in chunk], shm.name, shape, offsets)
                       for chunk in chunks]
            try:
                for f in futures:
                    f.result()
            except BrokenProcessPool as exc:
                raise ConfigError(
                    "transform_many: a worker process died. Called from a script? Guard its entry point with "
                    "`if __name__ == '__main__':` (workers re-import the main module), or use n_jobs=1"
                ) from exc
        shared = np.ndarray(shape, dtype=np.float64, buffer=shm.buf)
        out = shared.copy()
        del shared
    finally:
        shm.close()
        shm.unlink()
    columns = list(fs.columns)
    return {name: pd.DataFrame(out[offsets[i]:offsets[i + 1]], index=dfs[i].index, columns=columns)
            for i, name in enumerate(names)}


def transform_many(fs: Transformer, frames: Mapping[str, pd.DataFrame], n_jobs: int,
                   backend: str) -> dict[str, pd.DataFrame]:
    """See :meth:`tradeforge.models.features.FeatureSet.transform_many`."""
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs < 1:
        raise ConfigError(f"transform_many: n_jobs must be an integer >= 1, got {n_jobs!r}")
    if backend not in BACKENDS:
        raise unknown_name_error("transform_many backend", str(backend), BACKENDS)
    names = list(frames)
    if n_jobs == 1 or len(names) < 2:
        return {name: fs.transform(frames[name]) for name in names}
    if backend == "threads":
        with ThreadPoolExecutor(max_workers=n_jobs) as pool:
            return dict(zip(names, pool.map(lambda name: fs.transform(frames[name]), names), strict=True))
    chunks = [c for c in np.array_split(np.arange(len(names)), min(n_jobs, len(names))) if c.size]
    return _in_processes(fs, names, frames, chunks)
