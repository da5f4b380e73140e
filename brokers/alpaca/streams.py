"""alpaca-py's two websockets, each on its own thread, with (re)connect detection.

``TradingStream.run()`` and ``StockDataStream.run()`` call ``asyncio.run``: each runs here in a daemon
thread of its own. Both reconnect and re-subscribe by themselves but never replay what was missed while
down, and neither tells anyone it reconnected: :class:`StreamThread` counts every completed
connect + authenticate and reports each one after the first as a reconnect, so the owner can reconcile
over REST. :meth:`StreamThread.restart` closes the socket on the stream's own loop, which makes the
client reconnect and re-subscribe (used for a connected but silent data stream).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["StreamThread", "make_trading_stream", "make_data_stream"]

log = logging.getLogger(__name__)


def make_trading_stream(
    api_key: str, secret_key: str, *, paper: bool, url: str, on_connect: Callable[[], None]
) -> Any:
    """An alpaca-py ``TradingStream`` on *url* that calls *on_connect* after every authenticated connect."""
    from alpaca.trading.stream import TradingStream

    class _TradingStream(TradingStream):
        async def _start_ws(self) -> None:
            await super()._start_ws()
            on_connect()

    return _TradingStream(api_key, secret_key, paper=paper, url_override=url)


def make_data_stream(
    api_key: str, secret_key: str, *, feed: str, url: str, on_connect: Callable[[], None]
) -> Any:
    """An alpaca-py ``StockDataStream`` on *url* that calls *on_connect* after every authenticated
    connect (the client sends its subscriptions right after)."""
    from alpaca.data.enums import DataFeed
    from alpaca.data.live.stock import StockDataStream

    class _DataStream(StockDataStream):
        async def _start_ws(self) -> None:
            await super()._start_ws()
            on_connect()

    return _DataStream(api_key, secret_key, feed=DataFeed(feed), url_override=url)


class StreamThread:
    """Run one alpaca-py stream in a daemon thread and count its connections.

    Parameters
    ----------
    name : str
        ``"trading"`` or ``"data"`` (thread name, messages).
    factory : callable
        ``factory(on_connect) -> stream``: builds the alpaca-py stream (handlers are subscribed by the
        caller through :attr:`stream` before :meth:`start`).
    on_reconnect : callable
        Called with *name* on the stream's thread after every connection but the first; keep it cheap
        (set a flag), never call REST from it.
    """

    def __init__(
        self, name: str, factory: Callable[[Callable[[], None]], Any], on_reconnect: Callable[[str], None]
    ) -> None:
        self.name = name
        self.connections = 0
        self._on_reconnect = on_reconnect
        self._connected = threading.Event()
        self.stream = factory(self._connected_once)
        self._thread: threading.Thread | None = None

    def _connected_once(self) -> None:
        self.connections += 1
        self._connected.set()
        if self.connections > 1:
            log.warning("%s stream reconnected (connection %d): reconciling", self.name, self.connections)
            self._on_reconnect(self.name)

    def start(self) -> None:
        """Start the thread (idempotent)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=f"alpaca-{self.name}-stream", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        try:
            self.stream.run()
        except Exception:  # a dead stream thread must be visible, not silent
            log.exception("%s stream thread ended with an error", self.name)

    def wait_connected(self, timeout: float) -> bool:
        """Wait until the first connection is authenticated; False on timeout."""
        return self._connected.wait(timeout)

    @property
    def alive(self) -> bool:
        """True while the stream thread runs."""
        return self._thread is not None and self._thread.is_alive()

    def _loop(self) -> asyncio.AbstractEventLoop | None:
        loop = getattr(self.stream, "_loop", None)
        return loop if loop is not None and loop.is_running() else None

    def restart(self) -> bool:
        """Close the current socket so the client reconnects and re-subscribes; False if not running."""
        loop = self._loop()
        if loop is None:
            return False
        asyncio.run_coroutine_threadsafe(self.stream.close(), loop)
        return True

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the stream and join its thread (at most *timeout* seconds).

        alpaca-py notices a stop request only between 5 s receive timeouts; closing the socket right after
        the request wakes the receive at once, and the client then sees the stop instead of reconnecting.
        """
        loop = self._loop()
        if loop is not None:
            try:
                asyncio.run_coroutine_threadsafe(self.stream.stop_ws(), loop).result(timeout)
                asyncio.run_coroutine_threadsafe(self.stream.close(), loop).result(timeout)
            except Exception:  # the loop may be closing already
                log.debug("%s stream stop: loop already closing", self.name)
        if self._thread is not None:
            self._thread.join(timeout)
