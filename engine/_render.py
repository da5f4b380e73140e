"""Render report figures beside the rest: one process that imports matplotlib (and quantstats) while this
process runs the backtest, then draws the PNGs and the tearsheet while this one writes the CSVs.

``method="fork"`` (the backtest command, which starts it before any thread exists and after pandas and
backtrader are imported, so the child imports only the drawing libraries) or ``"spawn"`` (default: safe
after threaded libraries such as torch were loaded, as after a walk-forward).

:class:`SideRenderer` is a context manager; ``submit(fn, *args, **kwargs)`` queues a picklable call and
returns a future; leaving the block waits for every call and re-raises the first failure. ``renderer=None``
in the report writers means "draw here, now" (library use, tests).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

__all__ = ["SideRenderer", "side_renderer", "spare_core", "warm", "render"]


def warm(tearsheet: bool) -> bool:
    """Import what drawing needs (run in the side process as soon as it starts)."""
    import logging

    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: F401

    if tearsheet:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import quantstats  # noqa: F401
    return True


def spare_core() -> bool:
    """True when a core is likely idle (1-minute load average below the core count minus one): only then
    does drawing in a second process shorten the wait; on a busy machine it only adds its start-up."""
    import os

    cores = os.cpu_count() or 1
    try:
        load = os.getloadavg()[0]
    except OSError:
        return False
    return cores >= 2 and load <= cores - 1


def side_renderer(tearsheet: bool, method: str = "spawn") -> Any:
    """A :class:`SideRenderer` when there is a tearsheet to draw and a spare core, else a null context
    (figures drawn in this process); use as ``with side_renderer(...) as renderer``."""
    from contextlib import nullcontext

    return SideRenderer(tearsheet=True, method=method) if tearsheet and spare_core() else nullcontext()


def render(renderer: SideRenderer | None, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)`` now (no renderer) or queued on *renderer*."""
    if renderer is None:
        return fn(*args, **kwargs)
    return renderer.submit(fn, *args, **kwargs)


class SideRenderer:
    """One spawned worker process for the report's figures (see the module notes)."""

    def __init__(self, *, tearsheet: bool = True, method: str = "spawn") -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        if method not in multiprocessing.get_all_start_methods():
            method = "spawn"
        self._pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context(method))
        self._futures: list[Future] = [self._pool.submit(warm, tearsheet)]

    def submit(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Future:
        future = self._pool.submit(fn, *args, **kwargs)
        self._futures.append(future)
        return future

    def wait(self) -> None:
        """Wait for every queued call; re-raise the first failure."""
        try:
            for future in self._futures:
                future.result()
        finally:
            self._futures.clear()

    def __enter__(self) -> SideRenderer:
        return self

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> None:
        try:
            if kind is None:
                self.wait()
        finally:
            self._pool.shutdown(wait=kind is None, cancel_futures=kind is not None)
