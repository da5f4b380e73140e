"""An in-process fake of Alpaca on 127.0.0.1, spoken to by the REAL alpaca-py clients.

Four servers on free ports, each on its own port, all on one background thread with its own asyncio loop
(aiohttp): the trading REST API, the market-data REST API, the JSON trading stream and the msgpack
market-data stream. Orders fill exactly as backtrader's ``BackBroker`` fills them (no commission, no
slippage; see :mod:`tradeforge.testing._fake_engine`), so a live run replayed through the fake gives the
same fills as a backtest on the same bars.

Contract (LIVE-INTERFACES.md section 1)::

    fake = FakeAlpaca(account_number="PA1TEST0001", cash=100_000.0, api_key=..., secret_key=...,
                      rate_limit_per_minute=200)   # None: no limit
    fake.start(); fake.stop()                       # or ``with FakeAlpaca() as fake:``
    fake.base_url / fake.data_url                   # http://127.0.0.1:P (clients add /v2)
    fake.stream_url                                 # ws://127.0.0.1:Q/stream
    fake.data_stream_url                            # ws://127.0.0.1:R/v2/iex (used as is by StockDataStream)
    fake.add_history(symbol, df); fake.set_market_open(flag)
    fake.push_bar(symbol, ts, open, high, low, close, volume)
    fake.orders / fake.fills / fake.positions / fake.account / fake.requests / fake.post_count(coid)
    fake.fault_rest(path="/v2/orders", method="POST", kind="timeout"|"429"|"500_after_accept"|"504"|"reset",
                    count=1)
    fake.drop_streams(); fake.silence_data_stream(flag); fake.reject_data_auth(code=406, count=1)

Additions (never removed once committed; also listed in briefs/requests/ADDED-fake.md):

- ``FakeAlpaca(..., rate_limit_window_s=60.0, clock=None, require_client_order_id=True)``: the limiter's
  window (a test may scale "200 per minute" down to "200 per second"); a UTC clock for every timestamp the
  fake writes (default: the wall clock, strictly increasing); refuse POST /v2/orders without a client id.
- ``fault_rest(..., delay_s=None, accept=None)``: how long a ``timeout`` holds the response (default 3 s) or
  the ``429`` reset horizon; whether the request is processed before the fault (defaults: ``timeout`` yes,
  ``500_after_accept`` yes, ``504`` yes, ``reset`` no, ``429`` never). ``path`` is a regex that must
  match the whole path; ``method=None`` matches any method. ``clear_faults()``.
- ``drop_streams(which="all"|"trading"|"data")`` returns how many sockets it closed;
  ``silence_trading_stream(flag)`` (events while silent are lost, as on a real dead socket).
- ``wait_listening(n=1, timeout=5)`` / ``wait_subscribed(symbol, n=1, timeout=5)`` -> bool: block until that
  many trading-stream listeners / bar subscribers are connected (what a test waits for after a (re)connect).
- ``stream_connections`` -> {"trading": n, "data": m} accepted connections so far; ``status_counts()`` ->
  {status: n}; ``cancel_order(order_id)``; ``expire_orders(time_in_force="day")``; ``history(symbol)``;
  ``set_order_hook(fn(phase, client_order_id))`` around each POST /v2/orders (for kill -9 chaos tests).
- ``set_fill_cap(max_qty_per_bar)``: opt-in partial fills (``partial_fill`` events); None = whole fills.
- ``set_market_open(flag, *, next_open=None, next_close=None)``; ``silence_data_stream(flag, *,
  until_reconnect=False)`` (True: only the sockets open now go mute, a reconnect heals);
  ``drop_streams(which, *, abrupt=False)`` (True: cut TCP without a close frame).

GET /v2/stocks/bars aggregates stored bars finer than the requested ``timeframe`` (N Min / N Hour bins
aligned on the clock, 1Day = New York calendar day labelled at its midnight in UTC); bars as coarse as the
request, and weeks/months, are served as stored.
"""

from __future__ import annotations

import asyncio
import re
import threading
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Any

from ._fake_engine import AccountEngine, EngineError, strictly_increasing_clock
from ._fake_faults import REST_FAULT_KINDS, FaultBook, RestFault, SlidingWindowLimiter
from ._fake_rest import default_clock_state, make_data_handler, make_trading_handler
from ._fake_streams import StreamHub

__all__ = ["FakeAlpaca"]

_HOST = "127.0.0.1"


def _utc(ts: Any) -> datetime:
    import pandas as pd

    t = pd.Timestamp(ts)
    t = t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")
    return t.to_pydatetime()


class FakeAlpaca:
    """A fake Alpaca account, its REST APIs and its two websockets, for tests (see the module docstring).

    Parameters
    ----------
    account_number : str
        Shown by GET /v2/account.
    cash : float
        Starting cash.
    api_key, secret_key : str
        The only keys accepted by REST (headers) and both streams.
    rate_limit_per_minute : int or None
        Sliding-window limit over every REST request of both APIs; over it -> 429 with ``X-RateLimit-*``.
    rate_limit_window_s : float
        The window of that limit in seconds.
    clock : Callable[[], datetime] or None
        Source of the fake's timestamps (made strictly increasing); default the wall clock.
    require_client_order_id : bool
        Refuse POST /v2/orders without ``client_order_id`` (422).
    """

    def __init__(self, account_number: str = "PA1TEST0001", cash: float = 100_000.0, *,
                 api_key: str = "PKFAKEKEY0000000000", secret_key: str = "fake-secret-key",
                 rate_limit_per_minute: int | None = 200, rate_limit_window_s: float = 60.0,
                 clock: Callable[[], datetime] | None = None, require_client_order_id: bool = True) -> None:
        self.account_number = account_number
        self._api_key, self._secret_key = api_key, secret_key
        self._account_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"fake-alpaca/{account_number}"))
        self._now = strictly_increasing_clock(clock)
        self._lock = threading.RLock()
        self._engine = AccountEngine(cash, self._now, require_client_order_id=require_client_order_id)
        self._limiter = (SlidingWindowLimiter(rate_limit_per_minute, rate_limit_window_s)
                         if rate_limit_per_minute is not None else None)
        self._faults = FaultBook()
        self._history: dict[str, list[dict]] = {}
        self._requests: list[dict] = []
        self._market_open = True
        self._next_times: tuple[datetime | None, datetime | None] = (None, None)
        self._hub = StreamHub(self)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runners: list = []
        self._ports: dict[str, int] = {}
        self._events: asyncio.Queue | None = None
        self._hook: Callable[[str, str | None], None] | None = None
        self._sender: asyncio.Task | None = None

    def __repr__(self) -> str:  # never the keys
        state = "running" if self._thread else "stopped"
        return f"FakeAlpaca(account_number={self.account_number!r}, {state}, ports={self._ports})"

    # ---------------------------------------------------------------- lifecycle
    def start(self) -> FakeAlpaca:
        """Start the four servers on free ports of 127.0.0.1; returns self."""
        if self._thread is not None:
            raise RuntimeError("FakeAlpaca is already running; call stop() first")
        loop = asyncio.new_event_loop()
        ready = threading.Event()
        self._loop = loop
        self._thread = threading.Thread(target=self._run_loop, args=(loop, ready), name="fake-alpaca",
                                        daemon=True)
        self._thread.start()
        ready.wait(5)
        try:
            asyncio.run_coroutine_threadsafe(self._start_servers(), loop).result(10)
        except BaseException:
            self.stop()
            raise
        return self

    @staticmethod
    def _run_loop(loop: asyncio.AbstractEventLoop, ready: threading.Event) -> None:
        asyncio.set_event_loop(loop)
        loop.call_soon(ready.set)
        loop.run_forever()

    async def _start_servers(self) -> None:
        from aiohttp import web

        self._events = asyncio.Queue()
        self._sender = asyncio.get_running_loop().create_task(self._send_events())
        apps = {
            "trading": [web.route("*", "/{tail:.*}", make_trading_handler(self))],
            "data": [web.route("*", "/{tail:.*}", make_data_handler(self))],
            "stream": [web.get("/{tail:.*}", self._hub.trading_handler)],
            "data_stream": [web.get("/{tail:.*}", self._hub.data_handler)],
        }
        for name, routes in apps.items():
            app = web.Application()
            app.add_routes(routes)
            runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
            await runner.setup()
            site = web.TCPSite(runner, _HOST, 0, shutdown_timeout=0.5)
            await site.start()
            self._runners.append(runner)
            self._ports[name] = runner.addresses[-1][1]  # the port the OS chose for this site

    def stop(self) -> None:
        """Close every socket and server, stop the loop thread; idempotent."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        try:
            if loop.is_running():
                asyncio.run_coroutine_threadsafe(self._stop_servers(), loop).result(10)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)
            loop.close()
            self._loop = self._thread = None
            self._runners, self._ports = [], {}

    async def _stop_servers(self) -> None:
        await self._hub.close_all()
        for runner in self._runners:
            await runner.cleanup()
        if self._sender is not None:
            self._sender.cancel()
            try:
                await self._sender
            except asyncio.CancelledError:
                pass
        pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    def __enter__(self) -> FakeAlpaca:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _url(self, scheme: str, name: str, path: str = "") -> str:
        if name not in self._ports:
            raise RuntimeError("FakeAlpaca is not running: call start() (or use it as a context manager)")
        return f"{scheme}://{_HOST}:{self._ports[name]}{path}"

    @property
    def base_url(self) -> str:
        return self._url("http", "trading")

    @property
    def data_url(self) -> str:
        return self._url("http", "data")

    @property
    def stream_url(self) -> str:
        return self._url("ws", "stream", "/stream")

    @property
    def data_stream_url(self) -> str:
        return self._url("ws", "data_stream", "/v2/iex")

    # ---------------------------------------------------------------- loop plumbing
    def _call(self, coro, timeout: float = 10.0):
        if self._loop is None:
            coro.close()
            raise RuntimeError("FakeAlpaca is not running: call start() first")
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def _emit(self, events: list[dict], done: asyncio.Future | None = None) -> None:
        """Queue trade-update events for the trading stream, in order (call on the loop thread)."""
        if events or done is not None:
            self._events.put_nowait((events, done))

    async def _send_events(self) -> None:
        while True:
            events, done = await self._events.get()
            try:
                if events:
                    await self._hub.publish_events(events)
            finally:
                if done is not None and not done.done():
                    done.set_result(None)

    def _log_request(self, api: str, method: str, path: str, query: dict, coid: str | None) -> dict:
        entry = {"api": api, "method": method, "path": path, "query": query, "client_order_id": coid,
                 "status": None, "fault": None, "at": self._now()}
        with self._lock:
            self._requests.append(entry)
        return entry

    def _clock_state(self, now: datetime):
        is_open, nxt_open, nxt_close = default_clock_state(now, self._market_open)
        fixed_open, fixed_close = self._next_times
        return is_open, fixed_open or nxt_open, fixed_close or nxt_close

    # ---------------------------------------------------------------- market
    def add_history(self, symbol: str, df) -> None:
        """Store OHLCV bars (DatetimeIndex of bar START times; naive means UTC) for GET /v2/stocks/bars."""
        import pandas as pd

        cols = {c.lower(): c for c in df.columns}
        missing = [c for c in ("open", "high", "low", "close", "volume") if c not in cols]
        if missing:
            raise ValueError(f"add_history: df lacks columns {missing}; expected open/high/low/close/volume")
        index = pd.DatetimeIndex(df.index)
        index = index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")
        bars = []
        for i, ts in enumerate(index):
            row = {k: float(df[cols[k]].iloc[i]) for k in ("open", "high", "low", "close", "volume")}
            bars.append(self._bar(ts.to_pydatetime(), row["open"], row["high"], row["low"], row["close"],
                                  row["volume"]))
        with self._lock:
            merged = {b["ts"]: b for b in self._history.get(symbol.upper(), [])}
            merged.update({b["ts"]: b for b in bars})
            self._history[symbol.upper()] = [merged[t] for t in sorted(merged)]

    @staticmethod
    def _bar(ts: datetime, o: float, h: float, low: float, c: float, v: float) -> dict:
        return {"ts": ts, "o": float(o), "h": float(h), "l": float(low), "c": float(c), "v": float(v),
                "n": max(1, int(v // 100)), "vw": round((float(h) + float(low) + float(c)) / 3.0, 6)}

    def history(self, symbol: str):
        """The stored bars of ``symbol`` as an OHLCV DataFrame (UTC index)."""
        import pandas as pd

        with self._lock:
            rows = list(self._history.get(symbol.upper(), []))
        data = {"open": [b["o"] for b in rows], "high": [b["h"] for b in rows], "low": [b["l"] for b in rows],
                "close": [b["c"] for b in rows], "volume": [b["v"] for b in rows]}
        return pd.DataFrame(data, index=pd.DatetimeIndex([b["ts"] for b in rows], name="datetime"))

    def set_market_open(self, is_open: bool, *, next_open=None, next_close=None) -> None:
        """What GET /v2/clock says (``next_open`` / ``next_close``: fixed times, else derived from now)."""
        self._market_open = bool(is_open)
        self._next_times = (_utc(next_open) if next_open is not None else None,
                            _utc(next_close) if next_close is not None else None)

    def push_bar(self, symbol: str, ts, open: float, high: float, low: float, close: float,
                 volume: float = 0.0) -> list[dict]:
        """Execute working orders against this bar, store it, publish it; returns the fills it caused.

        Returns only after the trade updates it caused were written to every listening trading stream
        and the bar to every subscribed data stream.
        """
        if not (low <= min(open, close) and high >= max(open, close)):
            raise ValueError(f"push_bar: inconsistent bar o={open} h={high} l={low} c={close}; "
                             "expected low <= open, close <= high")
        bar = self._bar(_utc(ts), open, high, low, close, volume)
        return self._call(self._push(symbol.upper(), bar))

    async def _push(self, symbol: str, bar: dict) -> list[dict]:
        with self._lock:
            before = len(self._engine.fills)
            events = self._engine.on_bar(symbol, bar["ts"], bar["o"], bar["h"], bar["l"], bar["c"])
            fills = [dict(f) for f in self._engine.fills[before:]]
            hist = self._history.setdefault(symbol, [])
            if hist and hist[-1]["ts"] >= bar["ts"]:
                hist[:] = [b for b in hist if b["ts"] != bar["ts"]]
                hist.append(bar)
                hist.sort(key=lambda b: b["ts"])
            else:
                hist.append(bar)
        done = asyncio.get_running_loop().create_future()
        self._emit(events, done)
        await done
        await self._hub.publish_bar(symbol, bar)
        return fills

    def set_fill_cap(self, max_qty_per_bar: float | None) -> None:
        """Fill at most ``max_qty_per_bar`` of each order per bar (``partial_fill`` events); None: whole.

        Partial fills are not what BackBroker does: leave this off for backtest-parity runs.
        """
        if max_qty_per_bar is not None and not max_qty_per_bar > 0:
            raise ValueError(f"set_fill_cap: max_qty_per_bar={max_qty_per_bar!r}; expected > 0 or None")
        with self._lock:
            self._engine.fill_cap = None if max_qty_per_bar is None else float(max_qty_per_bar)

    def expire_orders(self, time_in_force: str = "day") -> int:
        """End every open order of ``time_in_force`` as ``expired`` (what Alpaca does to day orders at the
        close); emits the trade updates; returns how many expired."""
        async def run():
            with self._lock:
                events = self._engine.expire(time_in_force)
            done = asyncio.get_running_loop().create_future()
            self._emit(events, done)
            await done
            return len(events)

        return self._call(run())

    def set_order_hook(self, hook: Callable[[str, str | None], None] | None) -> None:
        """Call ``hook(phase, client_order_id)`` around every processed POST /v2/orders, on the server thread.

        ``phase``: "received" (before the order exists), "accepted" (it exists, the answer is not sent yet) or
        "refused" (422/403). A chaos test kills the runner there; the hook must be quick; None removes it.
        """
        self._hook = hook

    def _order_hook(self, phase: str, coid: str | None) -> None:
        if self._hook is None:
            return
        try:
            self._hook(phase, coid)
        except Exception:  # a test's hook must not break the server
            import logging

            logging.getLogger(__name__).exception("FakeAlpaca order hook failed")

    def cancel_order(self, order_id: str) -> None:
        """Cancel as the broker would on its own (e.g. end of day); emits the trade updates."""
        async def run():
            with self._lock:
                events = self._engine.cancel(order_id)
            done = asyncio.get_running_loop().create_future()
            self._emit(events, done)
            await done

        try:
            self._call(run())
        except EngineError as exc:
            raise ValueError(exc.message) from None

    # ---------------------------------------------------------------- faults
    def fault_rest(self, path: str = "/v2/orders", method: str | None = "POST", kind: str = "timeout",
                   count: int = 1, *, delay_s: float | None = None, accept: bool | None = None) -> None:
        """Inject ``kind`` into the next ``count`` REST requests of ``method`` whose path matches ``path``."""
        if kind not in REST_FAULT_KINDS:
            raise ValueError(f"fault_rest: kind={kind!r}; expected one of {sorted(REST_FAULT_KINDS)}")
        if kind == "429":
            accept = False
        elif kind == "500_after_accept":
            accept = True
        elif accept is None:
            accept = REST_FAULT_KINDS[kind]
        self._faults.add(RestFault(re.compile(path), method.upper() if method else None, kind, int(count),
                                   3.0 if delay_s is None else float(delay_s), bool(accept)))

    def clear_faults(self) -> None:
        self._faults.clear()
        self._hub.auth_rejections.clear()

    def drop_streams(self, which: str = "all", *, abrupt: bool = False) -> int:
        """Close every websocket (``which``: all, trading or data); the clients reconnect by themselves.

        ``abrupt``: cut the TCP connections without a close frame (a network drop) instead of closing them
        with code 1011. Returns how many sockets were dropped.
        """
        if which not in ("all", "trading", "data"):
            raise ValueError(f"drop_streams: which={which!r}; expected 'all', 'trading' or 'data'")
        return self._call(self._hub.drop(which, abrupt=abrupt))

    def silence_data_stream(self, silent: bool = True, *, until_reconnect: bool = False) -> None:
        """Keep the market-data sockets open but send no bars (bars still reach the REST history).

        ``until_reconnect``: silence only the sockets open now, so a client that reconnects is healed;
        otherwise every socket, new ones too, stays silent until ``silence_data_stream(False)``.
        """
        self._silence("data", silent, until_reconnect)

    def silence_trading_stream(self, silent: bool = True, *, until_reconnect: bool = False) -> None:
        """Keep the trading sockets open but send no trade updates (those events are lost)."""
        self._silence("trading", silent, until_reconnect)

    def _silence(self, which: str, silent: bool, until_reconnect: bool) -> None:
        if until_reconnect:
            self._call(self._async(self._hub.silence_current, which, bool(silent)))
        else:
            self._hub.silent[which] = bool(silent)
            if not silent:
                self._call(self._async(self._hub.silence_current, which, False))

    @staticmethod
    async def _async(fn, *args):
        return fn(*args)

    def reject_data_auth(self, code: int = 406, count: int = 1) -> None:
        """Answer the next ``count`` data-stream auth attempts with error ``code`` and close the socket."""
        self._hub.auth_rejections.append([int(code), int(count)])

    # ---------------------------------------------------------------- waits
    def wait_listening(self, n: int = 1, timeout: float = 5.0) -> bool:
        return self._hub.wait(lambda: self._hub.listening() >= n, timeout)

    def wait_subscribed(self, symbol: str, n: int = 1, timeout: float = 5.0) -> bool:
        return self._hub.wait(lambda: self._hub.subscribed(symbol.upper()) >= n, timeout)

    @property
    def stream_connections(self) -> dict[str, int]:
        return dict(self._hub.connections)

    # ---------------------------------------------------------------- views
    @property
    def orders(self) -> list[dict]:
        """Every order (legs too, flat), in submission order, in Alpaca's JSON shape."""
        with self._lock:
            return [o.to_json(nested=True) for o in self._engine.orders.values()]

    @property
    def fills(self) -> list[dict]:
        """Every fill: order_id, client_order_id, symbol, side, qty, price, bar_time, timestamp, ..."""
        with self._lock:
            return [dict(f) for f in self._engine.fills]

    @property
    def positions(self) -> dict[str, dict]:
        """{symbol: {"qty", "avg_entry_price", "current_price", "market_value"}} as floats (signed qty)."""
        with self._lock:
            return {s: {"qty": p.qty, "avg_entry_price": p.price,
                        "current_price": self._engine.last_price.get(s, p.price),
                        "market_value": p.qty * self._engine.last_price.get(s, p.price)}
                    for s, p in self._engine.positions.items()}

    @property
    def account(self) -> dict:
        """{"account_number", "cash", "equity", "long_market_value", "short_market_value"} as floats."""
        with self._lock:
            eng = self._engine
            long_mv, short_mv = eng.market_values()
            return {"account_number": self.account_number, "cash": eng.cash, "equity": eng.equity(),
                    "long_market_value": long_mv, "short_market_value": short_mv}

    @property
    def requests(self) -> list[dict]:
        """Every REST request: api, method, path, query, client_order_id, status (0: reset), fault, at."""
        with self._lock:
            return [dict(r) for r in self._requests]

    def post_count(self, client_order_id: str) -> int:
        """How many POST /v2/orders carried ``client_order_id`` (every attempt, refused ones too)."""
        with self._lock:
            return sum(1 for r in self._requests if r["method"] == "POST" and r["path"] == "/v2/orders"
                       and r["client_order_id"] == client_order_id)

    def status_counts(self) -> dict[int, int]:
        with self._lock:
            return dict(Counter(r["status"] for r in self._requests))
