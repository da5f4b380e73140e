"""aiohttp handlers of the fake Alpaca's trading REST and market-data REST APIs.

One catch-all handler per API logs every request, checks the keys, applies the rate limiter and the scripted
faults, then routes by regex (so ``/v2/orders:by_client_order_id``, with its colon, routes like Alpaca's).
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import struct
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from ._fake_engine import OPEN_STATUSES, EngineError, asset_id, iso

# ``fake`` below is the FakeAlpaca that owns these handlers (typed loosely: fake_alpaca imports this module)
FakeAlpaca = Any

__all__ = ["make_data_handler", "make_trading_handler"]

_UNAUTHORIZED = {"code": 40110000, "message": "request is not authorized"}


def _json(status: int, body, headers: dict | None = None):
    from aiohttp import web

    text = "" if body is None else json.dumps(body)
    return web.Response(status=status, text=text, content_type="application/json", headers=headers)


def _error(exc: EngineError):
    return _json(exc.status, {"code": exc.code, "message": exc.message})


def _reset(request) -> None:
    """Close the TCP connection with an RST (the client sees 'connection reset by peer')."""
    sock = request.transport.get_extra_info("socket") if request.transport else None
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
    if request.transport is not None:
        request.transport.abort()


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    ts = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


async def _guarded(fake: FakeAlpaca, request, api: str, route):
    """Log, authenticate, rate-limit and fault-inject one request; ``route`` produces the real answer."""
    body = await request.read() if request.method in ("POST", "PATCH", "PUT") else b""
    try:
        payload = json.loads(body) if body else None
    except ValueError:
        payload = None
    coid = payload.get("client_order_id") if isinstance(payload, dict) else None
    entry = fake._log_request(api, request.method, request.path, dict(request.query), coid)
    refusal, limit_headers = _admit(fake, request, entry)
    if refusal is not None:
        return refusal
    fault = fake._faults.take(request.method, request.path)
    if fault is not None:
        entry["fault"] = fault.kind
        if fault.kind == "429":
            entry["status"] = 429
            reset = int(time.time()) + max(1, int(fault.delay_s))
            headers = {"X-RateLimit-Limit": "200", "X-RateLimit-Remaining": "0",
                       "X-RateLimit-Reset": str(reset)}
            return _json(429, {"code": 42910000, "message": "rate limit exceeded"}, headers)
    response = _answer(request, payload, route) if fault is None or fault.accept else None
    if fault is None:
        response.headers.update(limit_headers)
        entry["status"] = response.status
        return response
    return await _apply_fault(fault, request, response, entry)


def _admit(fake: FakeAlpaca, request, entry: dict):
    """(refusal or None, X-RateLimit-* headers): the keys, then the sliding-window limit."""
    if (request.headers.get("APCA-API-KEY-ID") != fake._api_key
            or request.headers.get("APCA-API-SECRET-KEY") != fake._secret_key):
        entry["status"] = 401
        return _json(401, _UNAUTHORIZED), {}
    if fake._limiter is None:
        return None, {}
    allowed, remaining, reset = fake._limiter.acquire()
    headers = {"X-RateLimit-Limit": str(fake._limiter.limit), "X-RateLimit-Remaining": str(remaining),
               "X-RateLimit-Reset": str(int(reset + 0.999))}
    if allowed:
        return None, headers
    entry["status"], entry["fault"] = 429, "rate_limit"
    return _json(429, {"code": 42910000, "message": "rate limit exceeded"}, headers), headers


def _answer(request, payload, route):
    try:
        return route(request, payload)
    except Exception as exc:  # a bug of the fake: answer (and log) it instead of hanging the client
        import logging

        logging.getLogger(__name__).exception("fake Alpaca failed on %s %s", request.method, request.path)
        return _json(500, {"code": 50010000, "message": f"fake Alpaca error: {type(exc).__name__}: {exc}"})


async def _apply_fault(fault, request, response, entry: dict):
    """The faulty answer; ``response`` is the real one when the request was processed, else None."""
    from aiohttp import web

    if fault.kind == "timeout":
        try:
            await asyncio.sleep(fault.delay_s)
        except asyncio.CancelledError:
            entry["status"] = 0
            raise
        entry["status"] = response.status if response is not None else 504
        return response if response is not None else web.Response(status=504, text="upstream timeout")
    if fault.kind == "reset":
        entry["status"] = 0
        _reset(request)
        return web.Response(status=500)  # never reaches the client: the connection is gone
    if fault.kind == "504":
        entry["status"] = 504
        return web.Response(status=504, text="<html><body><h1>504 Gateway Time-out</h1></body></html>",
                            content_type="text/html")
    entry["status"] = 500  # 500_after_accept
    return _json(500, {"code": 50010000, "message": "internal server error"})


# ----------------------------------------------------------------------------------------- trading API
_TRADING_ROUTES: list[tuple[str, re.Pattern, str]] = [
    ("GET", re.compile(r"/v2/account"), "account"),
    ("GET", re.compile(r"/v2/clock"), "clock"),
    ("GET", re.compile(r"/v2/positions"), "positions"),
    ("DELETE", re.compile(r"/v2/positions"), "close_all"),
    ("GET", re.compile(r"/v2/positions/(?P<symbol>[^/]+)"), "position"),
    ("DELETE", re.compile(r"/v2/positions/(?P<symbol>[^/]+)"), "close_position"),
    ("GET", re.compile(r"/v2/orders"), "list_orders"),
    ("POST", re.compile(r"/v2/orders"), "submit"),
    ("DELETE", re.compile(r"/v2/orders"), "cancel_all"),
    ("GET", re.compile(r"/v2/orders:by_client_order_id"), "by_client_id"),
    ("GET", re.compile(r"/v2/orders/(?P<order_id>[^/]+)"), "get_order"),
    ("DELETE", re.compile(r"/v2/orders/(?P<order_id>[^/]+)"), "cancel"),
    ("GET", re.compile(r"/v2/assets/(?P<symbol>[^/]+)"), "asset"),
]


def make_trading_handler(fake: FakeAlpaca):
    """The aiohttp handler of the trading REST API bound to ``fake``."""
    routes = _TradingRoutes(fake)

    async def handler(request):
        return await _guarded(fake, request, "trading", routes.dispatch)

    return handler


class _TradingRoutes:
    def __init__(self, fake: FakeAlpaca) -> None:
        self.fake = fake

    def dispatch(self, request, payload):
        for method, pattern, name in _TRADING_ROUTES:
            m = pattern.fullmatch(request.path)
            if m and request.method == method:
                with self.fake._lock:
                    try:
                        return getattr(self, name)(request.query, payload, **m.groupdict())
                    except EngineError as exc:
                        return _error(exc)
        message = f"endpoint not found: {request.method} {request.path}"
        return _json(404, {"code": 40410000, "message": message})

    @property
    def eng(self):
        return self.fake._engine

    def account(self, q, p):
        return _json(200, self.eng.account_json(self.fake._account_id, self.fake.account_number))

    def clock(self, q, p):
        now = self.fake._now()
        is_open, nxt_open, nxt_close = self.fake._clock_state(now)
        return _json(200, {"timestamp": iso(now), "is_open": is_open, "next_open": iso(nxt_open),
                           "next_close": iso(nxt_close)})

    def positions(self, q, p):
        return _json(200, [self.eng.position_json(s) for s in sorted(self.eng.positions)])

    def position(self, q, p, symbol):
        if symbol.upper() not in self.eng.positions:
            raise EngineError(404, 40410000, "position does not exist")
        return _json(200, self.eng.position_json(symbol.upper()))

    def close_position(self, q, p, symbol):
        order, events = self.eng.close_position(symbol.upper(), q.get("qty"))
        self.fake._emit(events)
        return _json(200, order.to_json())

    def close_all(self, q, p):
        if str(q.get("cancel_orders", "")).lower() == "true":
            for _, events in self.eng.cancel_all():
                self.fake._emit(events)
        out = []
        for symbol in sorted(self.eng.positions):
            order, events = self.eng.close_position(symbol)
            self.fake._emit(events)
            out.append({"symbol": symbol, "status": 200, "order_id": order.id, "body": order.to_json()})
        return _json(207, out)

    def submit(self, q, p):
        if not isinstance(p, dict):
            raise EngineError(422, 40010001, "request body must be a JSON object")
        coid = p.get("client_order_id")
        self.fake._order_hook("received", coid)
        try:
            order, events = self.eng.submit(p)
        except EngineError:
            self.fake._order_hook("refused", coid)
            raise
        self.fake._emit(events)
        self.fake._order_hook("accepted", coid)
        return _json(200, order.to_json())

    def cancel(self, q, p, order_id):
        self.fake._emit(self.eng.cancel(order_id))
        return _json(204, None)

    def cancel_all(self, q, p):
        out = []
        for order, events in self.eng.cancel_all():
            self.fake._emit(events)
            out.append({"id": order.id, "status": 200, "body": order.to_json()})
        return _json(207, out)

    def by_client_id(self, q, p):
        order = self.eng.by_client_id.get(q.get("client_order_id", ""))
        if order is None:
            raise EngineError(404, 40410000, "order not found")
        return _json(200, order.to_json())

    def get_order(self, q, p, order_id):
        order = self.eng.orders.get(order_id)
        if order is None:
            raise EngineError(404, 40410000, "order not found")
        return _json(200, order.to_json(nested=q.get("nested", "").lower() == "true"))

    def list_orders(self, q, p):
        status = q.get("status", "open")
        nested = q.get("nested", "").lower() == "true"
        after, until = _parse_time(q.get("after")), _parse_time(q.get("until"))
        symbols = {s.strip().upper() for s in q.get("symbols", "").split(",") if s.strip()}
        side = q.get("side")
        rows = []
        for order in self.eng.orders.values():
            if nested and order.parent is not None:
                continue  # rolled up under its parent
            if status == "open" and order.status not in OPEN_STATUSES:
                continue
            if status == "closed" and order.status in OPEN_STATUSES:
                continue
            if (after and order.created_at <= after) or (until and order.created_at >= until):
                continue
            if (symbols and order.symbol not in symbols) or (side and order.side != side):
                continue
            rows.append(order)
        rows.sort(key=lambda o: o.created_at, reverse=q.get("direction", "desc") != "asc")
        limit = min(int(q.get("limit", 50)), 500)
        return _json(200, [o.to_json(nested=nested) for o in rows[:limit]])

    def asset(self, q, p, symbol):
        sym = symbol.upper()
        return _json(200, {"id": asset_id(sym), "class": "us_equity", "exchange": "NASDAQ", "symbol": sym,
                           "name": sym, "status": "active", "tradable": True, "marginable": True,
                           "shortable": True, "easy_to_borrow": True, "fractionable": True})


# ----------------------------------------------------------------------------------------- data API
_BARS = re.compile(r"/v2/stocks/bars")
_SYMBOL_BARS = re.compile(r"/v2/stocks/(?P<symbol>[^/]+)/bars")


def make_data_handler(fake: FakeAlpaca):
    """The aiohttp handler of the market-data REST API bound to ``fake``."""

    def route(request, payload):
        if request.method != "GET":
            return _json(405, {"code": 40510000, "message": "method not allowed"})
        m = _SYMBOL_BARS.fullmatch(request.path)
        if m:
            symbols, single = [m.group("symbol").upper()], True
        elif _BARS.fullmatch(request.path):
            symbols = [s.strip().upper() for s in request.query.get("symbols", "").split(",") if s.strip()]
            single = False
            if not symbols:
                return _json(400, {"code": 40010001, "message": "symbols is required"})
        else:
            return _json(404, {"code": 40410000, "message": f"endpoint not found: {request.path}"})
        return _bars_page(fake, request.query, symbols, single)

    async def handler(request):
        return await _guarded(fake, request, "data", route)

    return handler


def _bars_page(fake: FakeAlpaca, q, symbols: list[str], single: bool):
    start, end = _parse_time(q.get("start")), _parse_time(q.get("end"))
    descending = q.get("sort", "asc") == "desc"
    limit = int(q.get("limit") or 1000)
    offset = int(q.get("page_token") or 0)
    try:
        size = parse_timeframe(q.get("timeframe", "1Min"))
    except ValueError as exc:
        return _json(400, {"code": 40010001, "message": str(exc)})
    with fake._lock:
        stored = {s: list(fake._history.get(s, [])) for s in symbols}
    rows = [(s, b) for s in symbols for b in aggregate(stored[s], size)
            if (start is None or b["ts"] >= start) and (end is None or b["ts"] <= end)]
    rows.sort(key=lambda r: (r[0], r[1]["ts"]), reverse=False)
    if descending:
        rows.sort(key=lambda r: (r[0], -r[1]["ts"].timestamp()))
    page = rows[offset:offset + limit]
    token = str(offset + limit) if offset + limit < len(rows) else None
    bars: dict[str, list] = {}
    for symbol, bar in page:
        bars.setdefault(symbol, []).append(
            {"t": bar["ts"].strftime("%Y-%m-%dT%H:%M:%SZ"), "o": bar["o"], "h": bar["h"], "l": bar["l"],
             "c": bar["c"], "v": bar["v"], "n": bar["n"], "vw": bar["vw"]})
    if single:
        return _json(200, {"bars": bars.get(symbols[0], []), "symbol": symbols[0], "next_page_token": token})
    return _json(200, {"bars": bars, "next_page_token": token})


_TF = re.compile(r"(?P<n>\d+)(?P<unit>Min|T|Hour|H|Day|D|Week|W|Month|M)")
_UNIT_SECONDS = {"Min": 60, "T": 60, "Hour": 3600, "H": 3600}


def parse_timeframe(text: str) -> int | str:
    """Seconds of an intraday timeframe ("5Min" -> 300), "day" for 1Day, "as_stored" for weeks and months."""
    m = _TF.fullmatch(text or "")
    if m is None:
        raise ValueError(f"invalid timeframe: {text!r} (expected e.g. 1Min, 5Min, 1Hour, 1Day)")
    n, unit = int(m.group("n")), m.group("unit")
    if unit in _UNIT_SECONDS:
        return n * _UNIT_SECONDS[unit]
    return "day" if unit in ("Day", "D") and n == 1 else "as_stored"


def aggregate(bars: list[dict], size: int | str) -> list[dict]:
    """Bars of the requested size from stored bars (finer ones aggregated; equal or coarser ones as stored).

    Intraday bins are aligned on the clock (multiples of the size since the epoch, as Alpaca's); a day is a
    New York calendar day labelled at its midnight, in UTC.
    """
    if size == "as_stored" or len(bars) < 2:
        return bars
    spacing = min((b["ts"] - a["ts"]).total_seconds() for a, b in zip(bars, bars[1:], strict=False))
    if size == "day":
        if spacing >= 86_400:
            return bars
        from zoneinfo import ZoneInfo

        ny = ZoneInfo("America/New_York")

        def key(ts):
            local = ts.astimezone(ny)
            return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)
    else:
        if spacing >= size:
            return bars

        def key(ts):
            epoch = int(ts.timestamp())
            return datetime.fromtimestamp(epoch - epoch % size, UTC)
    groups: dict[datetime, list[dict]] = {}
    for bar in bars:
        groups.setdefault(key(bar["ts"]), []).append(bar)
    out = []
    for ts, group in groups.items():
        volume = sum(b["v"] for b in group)
        vwap = (sum(b["vw"] * b["v"] for b in group) / volume if volume
                else sum(b["vw"] for b in group) / len(group))
        out.append({"ts": ts, "o": group[0]["o"], "h": max(b["h"] for b in group),
                    "l": min(b["l"] for b in group), "c": group[-1]["c"], "v": volume,
                    "n": sum(b["n"] for b in group), "vw": round(vwap, 6)})
    return out


def default_clock_state(now: datetime, is_open: bool) -> tuple[bool, datetime, datetime]:
    """(is_open, next_open, next_close) around ``now`` for GET /v2/clock."""
    if is_open:
        return True, now + timedelta(days=1), now + timedelta(hours=1)
    return False, now + timedelta(hours=1), now + timedelta(hours=7, minutes=30)
