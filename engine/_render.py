"""Render report figures beside the rest: one ``spawn`` process that imports matplotlib (and quantstats)
while this process runs the backtest, then draws the PNGs and the tearsheet while this one writes the CSVs.

:class:`SideRenderer` is a context manager; ``submit(fn, *args, **kwargs)`` queues a picklable call and
returns a future; leaving the block waits for every call and re-raises the first failure. ``renderer=None``
in the report writers means "draw here, now" (library use, tests).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

__all__ = ["SideRenderer", "warm", "render"]


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


def render(renderer: SideRenderer | None, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)`` now (no renderer) or queued on *renderer*."""
    if renderer is None:
        return fn(*args, **kwargs)
    return renderer.submit(fn, *args, **kwargs)


class SideRenderer:
    """One spawned worker process for the report's figures (see the module notes)."""

    def __init__(self, *, tearsheet: bool = True) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        self._pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
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
