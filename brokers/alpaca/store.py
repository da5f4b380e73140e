"""AlpacaStore: the REST clients, the two streams, the journal and the one rate limiter of a session.

Every REST call goes through :mod:`._calls` (shared limiter, socket timeout, alpaca-py's retries off).
:meth:`AlpacaStore.submit` writes the intent to the journal BEFORE the POST; an ambiguous outcome
(timeout, 5xx, reset, 422 duplicate client id) marks the order UNKNOWN and is resolved by
``GET /v2/orders:by_client_order_id``, never by sending again. Trade updates are queued by the stream
thread and drained by the broker on backtrader's thread; reconnects of either stream are reported to
the ``on_reconnect`` callbacks from :meth:`AlpacaStore.poll`, on the caller's thread, so that callbacks
may call REST and the journal safely.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from tradeforge.errors import BrokerError, ConfigError, TransientBrokerError

from ._calls import DuplicateClientOrderId, GuardedSession, OrderOutcomeUnknown, call, guard_client
from ._models import AccountView, BrokerOrder, TradeEvent, order_from_alpaca
from .config import AlpacaConfig
from .ratelimit import RateLimiter
from .streams import StreamThread, make_data_stream, make_trading_stream

__all__ = ["AlpacaStore"]

log = logging.getLogger(__name__)


def _utcnow() -> datetime:
    return datetime.now(UTC)


class AlpacaStore:
    """One Alpaca account: REST clients, streams, the journal and the shared rate limiter.

    Parameters
    ----------
    config : AlpacaConfig
        Keys, endpoints, timeout and rate limit.
    journal : Journal
        ``tradeforge.brokers.journal.Journal`` (intents before every POST, states, fills).
    clock : callable, optional
        Returns the current time as an aware UTC datetime (default: the system clock).
    limiter : RateLimiter, optional
        Share one limiter between several stores of a process (default: a new one at
        ``config.rate_limit_per_minute``).
    lookup_waits_s : sequence of float
        Pauses between the lookups that resolve an ambiguous submit.
    reconnect_backoff_s : (float, float), optional
        Minimum and maximum reconnect backoff of both streams (alpaca-py: 1 and 30 s).
    time_in_force : {"gtc", "day"}
        For whole-share orders (fractional quantities are always ``day``, as Alpaca requires).
    """

    def __init__(
        self,
        config: AlpacaConfig,
        journal: Any,
        *,
        clock: Callable[[], datetime] | None = None,
        limiter: RateLimiter | None = None,
        lookup_waits_s: Iterable[float] = (0.0, 0.2, 0.5, 1.0),
        reconnect_backoff_s: tuple[float, float] | None = None,
        time_in_force: str = "gtc",
    ) -> None:
        if not isinstance(config, AlpacaConfig):
            raise ConfigError(
                f"config: expected an AlpacaConfig, got {type(config).__name__}; "
                "build one with AlpacaConfig.from_env('paper')"
            )
        if time_in_force not in ("gtc", "day"):
            raise ConfigError(f"time_in_force: expected 'gtc' or 'day', got {time_in_force!r}")
        self.config, self.journal = config, journal
        self.clock = clock or _utcnow
        self.limiter = limiter or RateLimiter(config.rate_limit_per_minute)
        self.lookup_waits_s = tuple(lookup_waits_s)
        self.time_in_force = time_in_force
        self._backoff = reconnect_backoff_s
        self.sessions: list[GuardedSession] = []
        self._trading = self._rest_client("trading")
        self._data = self._rest_client("data")
        self.events: queue.Queue[TradeEvent] = queue.Queue()
        self._reconnect_flags: set[str] = set()
        self._flag_lock = threading.Lock()
        self._callbacks: list[Callable[[str], None]] = []
        self._trading_stream: StreamThread | None = None
        self._data_stream: StreamThread | None = None
        self._bar_handlers: dict[str, Callable[[Any], None]] = {}
        self._clock_cache: tuple[float, bool] | None = None
        self.reconnects = {"trading": 0, "data": 0}
        self.bar_seq = 0  # bars delivered by this store's feeds (the broker syncs on a change)

    # ---------------------------------------------------------------- clients
    def _rest_client(self, kind: str) -> Any:
        key, secret = self.config.secrets()
        session = GuardedSession(self.limiter, self.config.timeout_s)
        self.sessions.append(session)
        if kind == "trading":
            from alpaca.trading.client import TradingClient

            client = TradingClient(key, secret, paper=self.config.paper, url_override=self.config.base_url)
        else:
            from alpaca.data.historical.stock import StockHistoricalDataClient

            client = StockHistoricalDataClient(key, secret, url_override=self.config.data_url)
        return guard_client(client, session)

    @property
    def responses_429(self) -> int:
        """HTTP 429 answers received by this store's REST clients."""
        return sum(s.responses_429 for s in self.sessions)

    def getbroker(self, **kwargs: Any) -> Any:
        """An :class:`~tradeforge.brokers.alpaca.broker.AlpacaBroker` on this store (``kwargs``: params)."""
        from .broker import AlpacaBroker

        return AlpacaBroker(store=self, **kwargs)

    def getdata(self, symbol: str, timeframe: str = "1m", backfill: int = 0, **kwargs: Any) -> Any:
        """An :class:`~tradeforge.brokers.alpaca.data.AlpacaData` feed of *symbol* on this store."""
        from .data import make_alpaca_data

        return make_alpaca_data(self, symbol, timeframe=timeframe, backfill=backfill, **kwargs)

    # ---------------------------------------------------------------- reads
    def account(self) -> AccountView:
        """Cash, equity, buying power and status of the account."""
        return AccountView.from_alpaca(call(self._trading.get_account, what="GET /v2/account"))

    def positions(self) -> dict[str, tuple[float, float]]:
        """``{symbol: (qty, avg_entry_price)}``; short positions have a negative qty."""
        out: dict[str, tuple[float, float]] = {}
        for pos in call(self._trading.get_all_positions, what="GET /v2/positions"):
            qty = float(pos.qty)
            if str(getattr(pos.side, "value", pos.side)) == "short" and qty > 0:
                qty = -qty
            out[str(pos.symbol)] = (qty, float(pos.avg_entry_price))
        return out

    def _orders(self, status: str, after: datetime | None = None, what: str = "GET /v2/orders") -> list:
        from alpaca.trading.enums import QueryOrderStatus
        from alpaca.trading.requests import GetOrdersRequest

        req = GetOrdersRequest(
            status=QueryOrderStatus(status), after=after, nested=True, limit=500, direction="asc"
        )
        return [order_from_alpaca(o) for o in call(self._trading.get_orders, req, what=what)]

    def open_orders(self) -> list[BrokerOrder]:
        """Open orders (bracket legs nested under their parent)."""
        return self._orders("open")

    def orders_since(self, ts: datetime) -> list[BrokerOrder]:
        """Every order submitted after *ts* (open or closed, legs nested), oldest first."""
        return self._orders("all", after=ts)

    def order_by_client_id(self, client_order_id: str) -> BrokerOrder | None:
        """The order Alpaca holds under *client_order_id*, or None when it holds none (404)."""
        try:
            order = call(
                self._trading.get_order_by_client_id,
                client_order_id,
                what=f"GET order by client id {client_order_id}",
            )
        except BrokerError as exc:
            if " 404" in str(exc) or "HTTP 404" in str(exc):
                return None
            raise
        return order_from_alpaca(order)

    def order_by_id(self, broker_id: str) -> BrokerOrder:
        """The order with Alpaca id *broker_id* (legs nested)."""
        from alpaca.trading.requests import GetOrderByIdRequest

        return order_from_alpaca(
            call(
                self._trading.get_order_by_id,
                broker_id,
                GetOrderByIdRequest(nested=True),
                what=f"GET /v2/orders/{broker_id}",
            )
        )

    def market_open(self, max_age_s: float = 30.0) -> bool:
        """Whether the market is open now (``GET /v2/clock``, cached *max_age_s* seconds)."""
        now = time.monotonic()
        if self._clock_cache is None or now - self._clock_cache[0] > max_age_s:
            self._clock_cache = (now, bool(call(self._trading.get_clock, what="GET /v2/clock").is_open))
        return self._clock_cache[1]

    def bars(
        self, symbol: str, bar: pd.Timedelta, start: datetime, end: datetime | None = None
    ) -> pd.DataFrame:
        """Completed OHLCV bars of *symbol* with start times in [start, end) from the market-data REST API.

        Returns a frame indexed by tz-naive UTC bar start times with open, high, low, close, volume.
        """
        from alpaca.data.requests import StockBarsRequest

        req = StockBarsRequest(
            symbol_or_symbols=symbol,
            timeframe=_alpaca_timeframe(bar),
            start=start,
            end=end,
            feed=self.config.feed,
        )
        barset = call(self._data.get_stock_bars, req, what=f"GET /v2/stocks/bars {symbol}")
        rows = [(b.timestamp, b.open, b.high, b.low, b.close, b.volume) for b in barset.data.get(symbol, [])]
        frame = pd.DataFrame(rows, columns=["time", "open", "high", "low", "close", "volume"])
        index = pd.DatetimeIndex(pd.to_datetime(frame.pop("time"), utc=True)).tz_convert(None)
        frame.index = index.rename(None)
        frame = frame[~frame.index.duplicated(keep="last")].sort_index().astype("float64")
        if end is not None:  # a bar still running at `end` is not complete yet
            end_ts = pd.Timestamp(end)
            end_ts = end_ts.tz_convert(None) if end_ts.tzinfo is not None else end_ts
            frame = frame[frame.index + bar <= end_ts]
        return frame

    # ---------------------------------------------------------------- writes
    def submit(self, intent: Any) -> BrokerOrder | None:
        """Send one order: journal intent first, then one POST; resolve an ambiguous outcome by lookup.

        Returns the order Alpaca holds, or None when the outcome is still UNKNOWN after the lookups (the
        journal says UNKNOWN; call :meth:`resolve` later, never submit again).

        Raises
        ------
        TransientBrokerError
            The POST provably did not reach Alpaca or was rate limited (journal: REJECTED).
        BrokerError
            Alpaca refused the order (journal: REJECTED).
        """
        self.journal.record_intent(intent)  # BEFORE the POST, always
        cid = intent.client_order_id
        try:
            order = call(
                self._trading.submit_order,
                _order_request(intent, self.time_in_force),
                what=f"POST /v2/orders {cid}",
                write=True,
                attempts=2,
            )
        except OrderOutcomeUnknown as exc:
            reason = "duplicate client_order_id" if isinstance(exc, DuplicateClientOrderId) else str(exc)
            self.journal.mark_unknown(cid, reason, self.clock())
            log.warning("order %s: outcome unknown (%s); resolving by client id", cid, reason)
            return self.resolve(cid)
        except BrokerError:
            self.journal.update_order(cid, status="REJECTED", at=self.clock())
            raise
        snap = order_from_alpaca(order)
        self._record_submitted(snap)
        return snap

    def _record_submitted(self, snap: BrokerOrder) -> None:
        self.journal.mark_submitted(snap.client_order_id, snap.broker_id, snap.status, self.clock())

    def resolve(self, client_order_id: str, *, waits_s: Iterable[float] | None = None) -> BrokerOrder | None:
        """Look an UNKNOWN order up by client id; on success journal it as submitted and return it."""
        for wait in self.lookup_waits_s if waits_s is None else tuple(waits_s):
            if wait:
                time.sleep(wait)
            try:
                snap = self.order_by_client_id(client_order_id)
            except TransientBrokerError as exc:
                log.warning("lookup of %s failed transiently: %s", client_order_id, exc)
                continue
            if snap is not None:
                self._record_submitted(snap)
                return snap
        return None

    def cancel(self, broker_id: str) -> bool:
        """Ask Alpaca to cancel an order; True if asked. The cancel completes asynchronously (watch trade
        updates / the next order sync); an order that is no longer cancelable (422, 404) returns False."""
        try:
            call(self._trading.cancel_order_by_id, broker_id, what=f"DELETE /v2/orders/{broker_id}",
                 write=True, attempts=2)
        except OrderOutcomeUnknown as exc:
            log.warning("cancel of %s: outcome unknown (%s); the next order sync tells", broker_id, exc)
        except BrokerError as exc:
            if isinstance(exc, TransientBrokerError) or not ("HTTP 422" in str(exc) or "HTTP 404" in str(exc)):
                raise
            log.info("cancel of %s refused: %s", broker_id, exc)
            return False
        return True

    def close_position(self, symbol: str) -> BrokerOrder | None:
        """Close the whole position in *symbol* with a market order placed by Alpaca."""
        order = call(
            self._trading.close_position,
            symbol,
            what=f"DELETE /v2/positions/{symbol}",
            write=True,
            attempts=2,
        )
        return order_from_alpaca(order) if order is not None and hasattr(order, "client_order_id") else None

    # ---------------------------------------------------------------- streams
    def on_reconnect(self, callback: Callable[[str], None]) -> None:
        """Register ``callback(stream_name)``, run by :meth:`poll` after a stream reconnected."""
        self._callbacks.append(callback)

    def _flag_reconnect(self, name: str) -> None:
        with self._flag_lock:
            self._reconnect_flags.add(name)
            self.reconnects[name] += 1

    def poll(self) -> list[str]:
        """Run the reconnect callbacks of streams that reconnected since the last call; return their names."""
        with self._flag_lock:
            names, self._reconnect_flags = sorted(self._reconnect_flags), set()
        for name in names:
            for callback in list(self._callbacks):
                callback(name)
        return names

    def _tune(self, stream: Any) -> Any:
        if self._backoff is not None:
            stream._reconnect_min_backoff, stream._reconnect_max_backoff = self._backoff
        return stream

    def start_trading_stream(self, wait_s: float = 10.0) -> StreamThread:
        """Start the trade-updates stream (idempotent); events go to :attr:`events`."""
        if self._trading_stream is None:
            key, secret = self.config.secrets()

            def factory(on_connect: Callable[[], None]) -> Any:
                return self._tune(
                    make_trading_stream(
                        key,
                        secret,
                        paper=self.config.paper,
                        url=self.config.stream_url,
                        on_connect=on_connect,
                    )
                )

            thread = StreamThread("trading", factory, self._flag_reconnect)

            async def handler(update: Any) -> None:
                self.events.put(TradeEvent.from_alpaca(update))

            thread.stream.subscribe_trade_updates(handler)
            thread.start()
            self._trading_stream = thread
            if not thread.wait_connected(wait_s):
                log.warning("trading stream not connected after %.1fs; it keeps trying", wait_s)
        return self._trading_stream

    def subscribe_bars(
        self, symbol: str, handler: Callable[[Any], None], wait_s: float = 10.0
    ) -> StreamThread:
        """Route completed 1-minute bars of *symbol* (alpaca-py ``Bar``) to ``handler`` (stream thread)."""
        self._bar_handlers[symbol] = handler
        if self._data_stream is None:
            key, secret = self.config.secrets()

            def factory(on_connect: Callable[[], None]) -> Any:
                return self._tune(
                    make_data_stream(
                        key,
                        secret,
                        feed=self.config.feed,
                        url=self.config.data_stream_url,
                        on_connect=on_connect,
                    )
                )

            self._data_stream = StreamThread("data", factory, self._flag_reconnect)
            self._data_stream.stream.subscribe_bars(self._on_bar, symbol)
            self._data_stream.start()
            if not self._data_stream.wait_connected(wait_s):
                log.warning("data stream not connected after %.1fs; it keeps trying", wait_s)
        else:
            self._data_stream.stream.subscribe_bars(self._on_bar, symbol)
        return self._data_stream

    async def _on_bar(self, bar: Any) -> None:
        handler = self._bar_handlers.get(str(bar.symbol))
        if handler is not None:
            handler(bar)

    def restart_data_stream(self) -> bool:
        """Force the data stream to reconnect and re-subscribe (a silent stream); False if not running."""
        return self._data_stream.restart() if self._data_stream is not None else False

    @property
    def trading_stream(self) -> StreamThread | None:
        """The trade-updates stream thread, once started."""
        return self._trading_stream

    @property
    def data_stream(self) -> StreamThread | None:
        """The market-data stream thread, once started."""
        return self._data_stream

    def stop(self) -> None:
        """Stop both streams (REST clients need no closing)."""
        for thread in (self._data_stream, self._trading_stream):
            if thread is not None:
                thread.stop()
        self._data_stream = self._trading_stream = None


def _alpaca_timeframe(bar: pd.Timedelta) -> Any:
    from alpaca.data.timeframe import TimeFrame, TimeFrameUnit

    minutes = int(bar / pd.Timedelta(minutes=1))
    if bar == pd.Timedelta(days=1):
        return TimeFrame(1, TimeFrameUnit.Day)
    if minutes >= 60 and minutes % 60 == 0:
        return TimeFrame(minutes // 60, TimeFrameUnit.Hour)
    if 1 <= minutes < 60 and bar == pd.Timedelta(minutes=minutes):
        return TimeFrame(minutes, TimeFrameUnit.Minute)
    raise ConfigError(f"timeframe: Alpaca has no bars of {bar}; use 1m, 5m, 30m, 1h, 6h or 1d")


def _order_request(intent: Any, time_in_force: str) -> Any:
    """The alpaca-py order request of a journal ``OrderIntent`` (a bracket when it has both legs)."""
    from alpaca.trading import requests as r
    from alpaca.trading.enums import OrderClass, OrderSide, TimeInForce

    qty = float(intent.qty)
    tif = TimeInForce.DAY if qty != int(qty) else TimeInForce(time_in_force)
    common: dict[str, Any] = dict(
        symbol=intent.symbol,
        qty=qty,
        side=OrderSide(intent.side),
        time_in_force=tif,
        client_order_id=intent.client_order_id,
    )
    if intent.take_profit is not None or intent.stop_loss is not None:
        if intent.take_profit is None or intent.stop_loss is None:
            raise ConfigError(
                f"order {intent.client_order_id}: a bracket needs both take_profit and stop_loss"
            )
        common.update(
            order_class=OrderClass.BRACKET,
            take_profit=r.TakeProfitRequest(limit_price=intent.take_profit),
            stop_loss=r.StopLossRequest(stop_price=intent.stop_loss),
        )
    kind = intent.order_type
    if kind == "market":
        return r.MarketOrderRequest(**common)
    if kind == "limit":
        return r.LimitOrderRequest(limit_price=intent.limit_price, **common)
    if kind == "stop":
        return r.StopOrderRequest(stop_price=intent.stop_price, **common)
    if kind == "stop_limit":
        return r.StopLimitOrderRequest(stop_price=intent.stop_price, limit_price=intent.limit_price, **common)
    raise ConfigError(
        f"order_type: {kind!r} is not supported by the Alpaca adapter; use market, limit, stop or stop_limit"
    )
