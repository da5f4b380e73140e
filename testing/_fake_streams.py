"""The fake Alpaca's websockets: the JSON trading stream and the msgpack market-data stream.

Trading stream (what ``alpaca.trading.stream.TradingStream`` speaks): the client sends
``{"action": "authenticate", "data": {"key_id", "secret_key"}}`` and reads ONE reply whose
``data.status`` is ``"authorized"``; then ``{"action": "listen", "data": {"streams": ["trade_updates"]}}``;
events arrive as ``{"stream": "trade_updates", "data": {...}}``.

Market-data stream (``alpaca.data.live.StockDataStream``): on connect the server sends
``[{"T": "success", "msg": "connected"}]``; the client sends ``{"action": "auth", "key", "secret"}`` and gets
``[{"T": "success", "msg": "authenticated"}]`` or ``[{"T": "error", "code", "msg"}]``; subscribe messages
(possibly fragmented) get a ``{"T": "subscription", ...}`` answer; bars are ``{"T": "b", "S", "o", "h", "l",
"c", "v", "t": msgpack.Timestamp, "n", "vw"}``. Every frame is a msgpack list.
"""

from __future__ import annotations

import asyncio
import json
import threading
from dataclasses import dataclass, field
from typing import Any

# ``fake`` below is the FakeAlpaca that owns these handlers (typed loosely: fake_alpaca imports this module)
FakeAlpaca = Any

__all__ = ["StreamHub"]

_DATA_ERRORS = {401: "not authenticated", 402: "auth failed", 403: "already authenticated",
                404: "auth timeout", 405: "symbol limit exceeded", 406: "connection limit exceeded",
                407: "slow client", 409: "insufficient subscription"}
_CHANNELS = ("trades", "quotes", "bars", "updatedBars", "dailyBars", "statuses", "lulds", "orderbooks")


@dataclass(eq=False)
class _Conn:
    ws: object
    kind: str
    transport: object = None
    authed: bool = False
    listening: bool = False
    silent: bool = False  # this socket only: silence until the client reconnects
    subs: dict[str, set[str]] = field(default_factory=lambda: {c: set() for c in _CHANNELS})


class StreamHub:
    """Live websocket connections of one fake, their faults and their counters."""

    def __init__(self, fake: FakeAlpaca) -> None:
        self.fake = fake
        self.conns: set[_Conn] = set()
        self.silent = {"trading": False, "data": False}
        self.connections = {"trading": 0, "data": 0}  # accepted connections, ever
        self.auth_rejections: list[list[int]] = []  # [code, remaining count] for the data stream
        self.trading_events_sent = 0
        self.bars_sent = 0
        self._state = threading.Condition()

    # ---------------------------------------------------------------- counters for waits
    def _changed(self) -> None:
        with self._state:
            self._state.notify_all()

    def wait(self, predicate, timeout: float) -> bool:
        with self._state:
            return self._state.wait_for(predicate, timeout)

    def listening(self) -> int:
        return sum(1 for c in list(self.conns) if c.kind == "trading" and c.listening)

    def subscribed(self, symbol: str) -> int:
        return sum(1 for c in list(self.conns) if c.kind == "data" and c.authed
                   and (symbol in c.subs["bars"] or "*" in c.subs["bars"]))

    # ---------------------------------------------------------------- publishing (loop thread)
    async def publish_events(self, events: list[dict]) -> None:
        if self.silent["trading"]:
            return
        for conn in [c for c in list(self.conns) if c.kind == "trading" and c.listening and not c.silent]:
            for ev in events:
                try:
                    await conn.ws.send_str(json.dumps({"stream": "trade_updates", "data": ev}))
                    self.trading_events_sent += 1
                except (ConnectionError, RuntimeError):
                    break

    async def publish_bar(self, symbol: str, bar: dict) -> None:
        import msgpack

        if self.silent["data"]:
            return
        frame = msgpack.packb([{"T": "b", "S": symbol, "o": bar["o"], "h": bar["h"], "l": bar["l"],
                                "c": bar["c"], "v": bar["v"], "t": msgpack.Timestamp.from_datetime(bar["ts"]),
                                "n": bar["n"], "vw": bar["vw"]}])
        for conn in [c for c in list(self.conns) if c.kind == "data" and c.authed and not c.silent]:
            if symbol in conn.subs["bars"] or "*" in conn.subs["bars"]:
                try:
                    await conn.ws.send_bytes(frame)
                    self.bars_sent += 1
                except (ConnectionError, RuntimeError):
                    pass

    async def drop(self, which: str = "all", abrupt: bool = False, code: int = 1011) -> int:
        """Close every matching websocket (``abrupt``: drop the TCP connection, no close frame)."""
        victims = [c for c in list(self.conns) if which in ("all", c.kind)]
        for conn in victims:  # gone at once: a wait for listeners after a drop waits for the reconnect
            self.conns.discard(conn)
        self._changed()
        for conn in victims:
            if abrupt:
                transport = conn.transport
                if transport is not None:
                    transport.abort()
            else:
                await conn.ws.close(code=code, message=b"dropped by the fake")
        return len(victims)

    def silence_current(self, which: str, silent: bool) -> None:
        """Silence (or not) only the sockets open now; a reconnect gets a healthy socket."""
        for conn in list(self.conns):
            if conn.kind == which:
                conn.silent = silent

    # ---------------------------------------------------------------- handlers
    async def trading_handler(self, request):
        from aiohttp import WSMsgType, web

        ws = web.WebSocketResponse(timeout=1.0)
        await ws.prepare(request)
        conn = _Conn(ws, "trading", transport=request.transport)
        self.conns.add(conn)
        self.connections["trading"] += 1
        self._changed()
        try:
            async for msg in ws:
                if msg.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                    continue
                try:
                    data = json.loads(msg.data)
                except ValueError:
                    continue
                await self._trading_message(conn, data)
        finally:
            self.conns.discard(conn)
            self._changed()
        return ws

    async def _trading_message(self, conn: _Conn, data: dict) -> None:
        action = data.get("action")
        body = data.get("data") or {}
        if action in ("authenticate", "auth"):
            key = body.get("key_id", data.get("key"))  # {"action":"auth","key","secret"} is accepted too
            secret = body.get("secret_key", data.get("secret"))
            ok = key == self.fake._api_key and secret == self.fake._secret_key
            conn.authed = ok
            await conn.ws.send_str(json.dumps({"stream": "authorization", "data": {
                "action": "authenticate", "status": "authorized" if ok else "unauthorized"}}))
            if not ok:
                await conn.ws.close(code=1008, message=b"unauthorized")
        elif action == "listen" and conn.authed:
            streams = list(body.get("streams") or [])
            conn.listening = "trade_updates" in streams
            await conn.ws.send_str(json.dumps({"stream": "listening", "data": {"streams": streams}}))
            self._changed()

    async def data_handler(self, request):
        import msgpack
        from aiohttp import WSMsgType, web

        ws = web.WebSocketResponse(timeout=1.0)
        await ws.prepare(request)
        conn = _Conn(ws, "data", transport=request.transport)
        self.conns.add(conn)
        self.connections["data"] += 1
        self._changed()
        try:
            await ws.send_bytes(msgpack.packb([{"T": "success", "msg": "connected"}]))
            async for msg in ws:
                if msg.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                    continue
                try:
                    data = msgpack.unpackb(msg.data) if msg.type == WSMsgType.BINARY else json.loads(msg.data)
                except ValueError:
                    continue
                if isinstance(data, dict):
                    await self._data_message(conn, data)
        finally:
            self.conns.discard(conn)
            self._changed()
        return ws

    async def _data_message(self, conn: _Conn, data: dict) -> None:
        import msgpack

        action = data.get("action")
        if action == "auth":
            code = self._take_auth_rejection()
            keys_ok = data.get("key") == self.fake._api_key and data.get("secret") == self.fake._secret_key
            if code is None and not keys_ok:
                code = 402
            if code is not None:
                await conn.ws.send_bytes(msgpack.packb([{"T": "error", "code": code,
                                                         "msg": _DATA_ERRORS.get(code, "error")}]))
                await conn.ws.close(code=1008, message=b"auth error")
                return
            conn.authed = True
            await conn.ws.send_bytes(msgpack.packb([{"T": "success", "msg": "authenticated"}]))
            self._changed()
        elif action in ("subscribe", "unsubscribe"):
            if not conn.authed:
                error = {"T": "error", "code": 401, "msg": "not authenticated"}
                await conn.ws.send_bytes(msgpack.packb([error]))
                return
            for channel in _CHANNELS:
                names = set(data.get(channel) or [])
                if action == "subscribe":
                    conn.subs[channel] |= names
                else:
                    conn.subs[channel] -= names
            reply = {"T": "subscription", **{c: sorted(conn.subs[c]) for c in _CHANNELS}}
            await conn.ws.send_bytes(msgpack.packb([reply]))
            self._changed()

    def _take_auth_rejection(self) -> int | None:
        for item in self.auth_rejections:
            if item[1] > 0:
                item[1] -= 1
                return item[0]
        return None

    async def close_all(self) -> None:
        for conn in list(self.conns):
            try:
                await asyncio.wait_for(conn.ws.close(code=1001, message=b"server shutdown"), 1.0)
            except (TimeoutError, ConnectionError, RuntimeError):
                pass
