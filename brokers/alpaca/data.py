"""AlpacaData: a live backtrader feed: REST backfill, then completed bars from the market-data stream.

Bars carry their START time (tz-naive UTC, like every tradeforge feed). The stream sends 1-minute bars;
longer timeframes are aggregated here and a bar is delivered when its last minute arrives (or a minute of
a later bar). Every delivered bar is marked tradable or not (:attr:`AlpacaData.tradable`, which the
broker checks before sending an order): backfill and REST gap-fill bars are never tradable, nor is a
stream bar that arrives more than ``max_lag_s`` after it closed.

A silent stream (connected, no bar for more than ``stale_factor`` bar lengths while the market is open)
is a fault: the stream is forced to reconnect and re-subscribe and the missed bars are fetched over REST
(after a reconnect of the data stream too). Optional extra lines (a strategy's precomputed indicators)
are recomputed causally from the whole history at every bar with ``compute(frame) -> {name: array}``.

For deterministic replays, :meth:`AlpacaData.wait_consumed` tells a driver when the strategy has
processed a given bar (and sent that bar's orders), so the next bar can be pushed.
"""

from __future__ import annotations

import collections
import logging
import queue
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from functools import cache
from typing import Any

import backtrader as bt
import numpy as np
import pandas as pd

from tradeforge.errors import ConfigError, TransientBrokerError
from tradeforge.timeframes import to_timedelta

__all__ = ["AlpacaData", "make_alpaca_data"]

log = logging.getLogger(__name__)
_MINUTE = pd.Timedelta(minutes=1)


class AlpacaData(bt.feed.DataBase):
    """Live bars of one symbol from an :class:`~tradeforge.brokers.alpaca.store.AlpacaStore`.

    Params
    ------
    dataname : str
        The symbol.
    bar : str
        Timeframe name (``"1m"``, ``"5m"``, ``"30m"``, ``"1h"``, ``"6h"``, ``"1d"``).
    backfill : int
        Completed bars fetched over REST at start (warm-up; never tradable).
    stale_factor : float
        A stream silent for longer than this many bar lengths while the market is open is a fault.
    max_lag_s : float or None
        A stream bar arriving later than this after its close is not tradable (None: no age check).
    compute : callable or None
        ``compute(frame) -> {line: float64 array aligned to frame}`` for the extra lines of the class.
    """

    params = (
        ("bar", "1m"),
        ("backfill", 0),
        ("qcheck", 0.5),
        ("stale_factor", 2.0),
        ("max_lag_s", None),
        ("compute", None),
    )

    _ST_START, _ST_LIVE, _ST_OVER = range(3)

    def __init__(self, store: Any) -> None:
        self.store = store
        self.symbol = str(self.p.dataname)
        self._bar = to_timedelta(self.p.bar)
        if self._bar < _MINUTE:
            raise ConfigError(f"bar: Alpaca streams minute bars; got {self.p.bar!r}")
        self._q: queue.Queue[tuple] = queue.Queue()
        self._ready: collections.deque[tuple] = collections.deque()
        self._rows: list[tuple] = []  # history (start, o, h, l, c, v) for compute
        self._bucket: list[tuple] | None = None
        self._last_ts: pd.Timestamp | None = None
        self._last_arrival: datetime | None = None
        self._gap_fill = False
        self._finish = threading.Event()
        self._cond = threading.Condition()
        self.delivered = 0
        self.consumed = 0
        self.stale_events = 0
        self.gap_filled_bars = 0
        self.tradable = False

    # ------------------------------------------------------------ backtrader hooks
    def islive(self) -> bool:
        return True

    def haslivedata(self) -> bool:
        return bool(self._ready) or not self._q.empty()

    def start(self) -> None:
        super().start()
        self._state = self._ST_START
        self.store.on_reconnect(self._on_reconnect)
        self.store.subscribe_bars(self.symbol, self._on_stream_bar)
        self._last_arrival = self.store.clock()
        if self.p.backfill:
            self.put_notification(self.DELAYED)
            self._backfill(int(self.p.backfill))
        self._state = self._ST_LIVE

    def stop(self) -> None:
        self._finish.set()

    def finish(self) -> None:
        """End the feed once every bar already received is delivered (the run then stops)."""
        self._finish.set()
        self._q.put(("finish",))

    # ------------------------------------------------------------ stream side (stream thread)
    def _on_stream_bar(self, bar: Any) -> None:
        ts = pd.Timestamp(bar.timestamp)
        ts = ts.tz_convert(None) if ts.tzinfo is not None else ts
        self._q.put(
            ("bar", ts, float(bar.open), float(bar.high), float(bar.low), float(bar.close), float(bar.volume))
        )

    def _on_reconnect(self, name: str) -> None:
        if name == "data":
            self._gap_fill = True

    # ------------------------------------------------------------ loading (backtrader's thread)
    def _load(self) -> bool | None:
        with self._cond:
            self.consumed = self.delivered
            self._cond.notify_all()
        while True:
            if self._ready:
                row = self._ready.popleft()
                if self._last_ts is not None and row[0] <= self._last_ts:
                    continue  # a repeat (stream bar also gap-filled)
                return self._deliver(row)
            if self._gap_fill:
                self._gap_fill = False
                self._fill_gap()
                continue
            try:
                item = self._q.get(timeout=self._qcheck)
            except queue.Empty:
                if self._finish.is_set():
                    return False
                self._watchdog()
                if not self._ready and not self._gap_fill:
                    return None
                continue
            if item[0] == "finish":
                if self._bucket:
                    self._emit_bucket(tradable=True)
                if not self._ready:
                    return False
                continue
            self._arrived(item[1], item[2:])

    def _arrived(self, ts: pd.Timestamp, ohlcv: tuple) -> None:
        self._last_arrival = self.store.clock()
        if self._last_ts is not None and ts <= self._last_ts:
            return  # already delivered (gap fill or a repeat)
        if self._bar == _MINUTE:
            self._ready.append((ts, *ohlcv, self._fresh(ts)))
            return
        start = self._bucket_start(ts)
        if self._bucket and self._bucket_start(self._bucket[0][0]) != start:
            self._emit_bucket(tradable=False)  # its last minute never came: complete but late
        self._bucket = (self._bucket or []) + [(ts, *ohlcv)]
        if ts + _MINUTE >= start + self._bar:
            self._emit_bucket(tradable=True)

    def _bucket_start(self, ts: pd.Timestamp) -> pd.Timestamp:
        return ts.floor(self._bar) if self._bar <= pd.Timedelta(days=1) else ts.floor("D")

    def _emit_bucket(self, *, tradable: bool) -> None:
        rows, self._bucket = self._bucket or [], None
        if not rows:
            return
        start = self._bucket_start(rows[0][0])
        bar = (
            start,
            rows[0][1],
            max(r[2] for r in rows),
            min(r[3] for r in rows),
            rows[-1][4],
            sum(r[5] for r in rows),
        )
        self._ready.append((*bar, tradable and self._fresh(start)))

    def _fresh(self, start: pd.Timestamp) -> bool:
        if self.p.max_lag_s is None:
            return True
        closed = (start + self._bar).tz_localize("UTC").to_pydatetime()
        return (self.store.clock() - closed).total_seconds() <= float(self.p.max_lag_s)

    def _deliver(self, row: tuple) -> bool:
        ts, o, h, lo, c, v, tradable = row
        self._last_ts = ts
        self._rows.append((ts, o, h, lo, c, v))
        lines = self.lines
        lines.datetime[0] = bt.date2num(ts.to_pydatetime())
        lines.open[0], lines.high[0], lines.low[0], lines.close[0], lines.volume[0] = o, h, lo, c, v
        lines.openinterest[0] = 0.0
        self._set_extra_lines()
        self.tradable = bool(tradable)
        if tradable and self._laststatus != self.LIVE:
            self.put_notification(self.LIVE)
        self.delivered += 1
        self.store.bar_seq += 1
        return True

    def _set_extra_lines(self) -> None:
        compute = self.p.compute
        names = [n for n in self.lines.getlinealiases() if n not in _BASE_LINES]
        if compute is None or not names:
            return
        frame = self.history()
        values = compute(frame)
        for name in names:
            getattr(self.lines, name)[0] = float(np.asarray(values[name], dtype=np.float64)[-1])

    def history(self) -> pd.DataFrame:
        """Every bar delivered so far (OHLCV, tz-naive UTC start times)."""
        frame = pd.DataFrame(self._rows, columns=["time", "open", "high", "low", "close", "volume"])
        return frame.set_index(pd.DatetimeIndex(frame.pop("time"), name=None))

    # ------------------------------------------------------------ REST: backfill, gap fill, watchdog
    def _backfill(self, n: int) -> None:
        end = self.store.clock()
        span = self._bar * n
        start = end - max(span * 3, span + pd.Timedelta(days=5))  # nights, weekends, holidays
        frame = self.store.bars(self.symbol, self._bar, start=start, end=end).tail(n)
        for ts, row in frame.iterrows():
            self._ready.append((ts, row.open, row.high, row.low, row.close, row.volume, False))

    def _fill_gap(self) -> None:
        if self._last_ts is None:
            return
        start = (self._last_ts + self._bar).tz_localize("UTC").to_pydatetime()
        try:
            frame = self.store.bars(self.symbol, self._bar, start=start, end=self.store.clock())
        except TransientBrokerError as exc:
            log.warning("gap fill of %s failed (%s); retrying at the next check", self.symbol, exc)
            self._gap_fill = True
            return
        rows = [
            (ts, r.open, r.high, r.low, r.close, r.volume, False)
            for ts, r in frame.iterrows()
            if ts > self._last_ts
        ]
        self.gap_filled_bars += len(rows)
        self._ready.extend(rows)
        if rows:
            log.warning("%s: %d missed bars fetched over REST (not tradable)", self.symbol, len(rows))

    def _watchdog(self) -> None:
        if self._last_arrival is None:
            return
        silent = (self.store.clock() - self._last_arrival).total_seconds()
        if silent <= float(self.p.stale_factor) * self._bar.total_seconds():
            return
        try:
            is_open = self.store.market_open()
        except TransientBrokerError:
            return
        if not is_open:
            return
        self.stale_events += 1
        self._last_arrival = self.store.clock()
        log.warning(
            "%s: no bar for %.0fs while the market is open: resubscribing and gap filling",
            self.symbol,
            silent,
        )
        self.store.restart_data_stream()
        self._gap_fill = True

    # ------------------------------------------------------------ for drivers of replays
    def wait_consumed(self, n: int, timeout: float = 10.0) -> bool:
        """Wait until the strategy has processed the first *n* delivered bars; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: self.consumed >= n, timeout)


_BASE_LINES = ("close", "low", "high", "open", "volume", "openinterest", "datetime")


@cache
def _data_class(extra: tuple[str, ...]) -> type[AlpacaData]:
    if not extra:
        return AlpacaData
    return type("AlpacaData_" + "_".join(extra), (AlpacaData,), {"lines": extra})


def make_alpaca_data(
    store: Any,
    symbol: str,
    *,
    timeframe: str = "1m",
    backfill: int = 0,
    lines: Sequence[str] = (),
    compute: Callable[[pd.DataFrame], Mapping[str, Any]] | None = None,
    **params: Any,
) -> AlpacaData:
    """An :class:`AlpacaData` of *symbol* (with extra *lines* filled by *compute*, if given).

    Raises
    ------
    ConfigError
        An unknown timeframe, a negative backfill, extra lines without *compute*.
    """
    if isinstance(backfill, bool) or not isinstance(backfill, int) or backfill < 0:
        raise ConfigError(f"backfill: expected a number of bars >= 0, got {backfill!r}")
    if lines and compute is None:
        raise ConfigError(f"lines: {list(lines)} need a compute(frame) function that returns them")
    bar = to_timedelta(timeframe)
    tf, comp = (
        (bt.TimeFrame.Days, 1) if bar >= pd.Timedelta(days=1) else (bt.TimeFrame.Minutes, int(bar / _MINUTE))
    )
    cls = _data_class(tuple(lines))
    return cls(
        store,
        dataname=symbol,
        name=symbol,
        bar=timeframe,
        backfill=backfill,
        compute=compute,
        timeframe=tf,
        compression=comp,
        **params,
    )
