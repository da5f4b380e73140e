"""What the live session does after every bar: persist risk, equity, positions and signals; react.

:class:`LiveRecorder` is a backtrader analyzer (its ``next`` runs right after the strategy's ``next``).
On a tradable bar (not backfill, not stale) it feeds the account equity to :class:`LiveRisk` and saves the
risk state, writes the equity, a position snapshot and one signal per symbol to the journal, flattens the
book when the kill switch trips, lets the runner re-check orders left by an earlier session, and reports
the bar (with each symbol's model confidence for ``ml``). Whatever the bar, it stops cerebro once the
session's stop event is set.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import backtrader as bt

__all__ = ["LiveRecorder", "RecordingPredictor"]


class RecordingPredictor:
    """Wraps a predictor (``warmup``, ``window``, ``predict_latest``) and keeps its last output per symbol.

    Transparent to :class:`~tradeforge.strategies.ml.MLStrategy`: same warm-up, window and values.
    """

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.warmup = int(inner.warmup)
        self.window = getattr(inner, "window", None)
        self.last: dict[str, dict[str, float]] = {}

    def predict_latest(self, window: Any) -> Mapping[str, float]:
        out = self.inner.predict_latest(window)
        self.last[str(window.attrs.get("symbol", ""))] = {str(k): float(v) for k, v in out.items()}
        return out


def _finite(value: Any) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


class LiveRecorder(bt.Analyzer):
    """Per-bar persistence and reactions of a live session (see the module notes).

    Params: ``session`` (the runner's session object: ``risk``, ``journal``, ``emit``, ``after_bar``,
    ``stop``, ``predictor``, ``line_names``, ``cerebro``).
    """

    params = (("session", None),)

    def start(self) -> None:
        self.bars = 0
        self._last_dt: float | None = None
        self.p.session.emit({"event": "ready", "symbols": [d._name for d in self.datas],
                             "message": "streaming: trading each new completed bar (Ctrl-C stops; open "
                                        "orders are left as they are unless --flatten-on-exit)"})

    def next(self) -> None:  # Analyzer.prenext calls next too: backfill bars arrive here as well
        session = self.p.session
        if session.stop.is_set():
            session.cerebro.runstop()
        fresh = [d for d in self.datas if len(d) and getattr(d, "tradable", True)]
        now = self.strategy.datetime[0] if len(self.strategy.datetime) else None
        if now is None or now == self._last_dt:
            return
        self._last_dt = now
        bar_time = self.strategy.datetime.datetime(0)
        if not fresh:  # backfill, REST gap fill or a late bar: never traded on
            if any(len(d) > session.backfill for d in self.datas):  # past the backfill: a late bar
                session.emit({"event": "stale_bar", "time": bar_time.isoformat(),
                              "message": f"{bar_time:%Y-%m-%d %H:%M} arrived late (gap fill): not traded on"})
            return
        broker = self.strategy.broker
        equity, cash = float(broker.getvalue()), float(broker.getcash())
        status = session.risk.update(equity, bar_time)
        journal = session.journal
        journal.record_equity(bar_time, equity, cash)
        journal.snapshot_positions({d._name: (broker.getposition(d).size, broker.getposition(d).price)
                                    for d in self.datas}, bar_time)
        confidence = {data._name: self._signal(journal, data, bar_time) for data in fresh}
        if status.tripped:
            self._flatten(status.just_tripped)
        self.bars += 1
        session.after_bar(bar_time, equity, cash, {d._name: broker.getposition(d).size for d in self.datas},
                          confidence if session.predictor is not None else None)

    def _signal(self, journal: Any, data: Any, bar_time: Any) -> float | None:
        """Journal the bar's signal of *data*; return its confidence (None: not a probabilistic one)."""
        session = self.p.session
        symbol = data._name
        predictor = session.predictor
        if predictor is not None:
            pred = predictor.last.get(symbol, {})
            value = _finite(pred.get("ml_decision"))
            decision = "hold" if not value else ("buy" if value > 0 else "sell")
            payload = {k: _finite(v) for k, v in pred.items()}
            confidence = _finite(pred.get("ml_confidence"))
        else:
            payload = {name: _finite(getattr(data.lines, name)[0]) for name in session.line_names}
            decision, confidence = "bar", None
        payload["close"] = _finite(data.close[0])
        payload["position"] = _finite(self.strategy.broker.getposition(data).size)
        journal.record_signal(bar_time, symbol, decision, confidence, payload)
        return confidence

    def _flatten(self, first: bool) -> None:
        """Kill switch: cancel every working order and close every position (once per trip)."""
        strategy = self.strategy
        if first:
            self.p.session.emit({"event": "kill_switch", "message": "kill switch tripped: "
                                 f"{self.p.session.risk.rules.tripped_reason}; cancelling orders and closing "
                                 "positions; `tradeforge unlock` re-arms it"})
        for order in strategy.broker.get_orders_open():
            strategy.broker.cancel(order)
        for data in self.datas:
            if strategy.getposition(data).size and not any(
                    o.data is data and o.alive() and not o.parent for o in strategy.broker.get_orders_open()
                    if getattr(o, "info", None) is not None and o.info.get("flatten")):
                strategy.close(data=data, flatten=True)

