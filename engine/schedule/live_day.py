"""The :class:`~tradeforge.engine.schedule.jobs.TradingDay` of the live runner (issue 9): one session a day.

``run_live`` (:mod:`tradeforge.engine.live`) is an event loop: it trades each new completed bar of its
live feeds (new bar -> predictions -> risk gate -> orders) until stopped. :class:`LiveTradingDay` gives
the scheduler's jobs their meaning on top of it:

- ``premarket_review`` (04:00 ET): reconcile the journal with the broker (open orders, positions, fills,
  protective stops for filled entries), log what it found; a mismatch raises (the dispatcher alerts);
- ``trade_step(minute)`` (every minute of the session): the session's supervisor. It starts the day's
  ``run_live`` session in a thread if it is not running (with the current champion model), turns its events
  into alerts (kill switch tripped, runner stopped, stale feed, confidence drift), and restarts a crashed
  session at most ``max_restarts`` times a day. The per-bar trading itself happens inside the session,
  on the bar's completion, exactly as ``tradeforge paper`` trades;
- ``daily_summary`` (16:30 ET): stops the session (open orders left as they are), then reads P&L today /
  this week / total, trades, positions, equity and the kill switch from the journal;
- ``retrain`` (20:00 ET): the :class:`~tradeforge.engine.schedule.retrain.Retrainer` when one is configured;
  a promoted model is used from the next session on (and the decision is written to the journal).

**Confidence drift** (``ml`` only). Each ``bar`` event of the session carries the model's confidence per
symbol. Every ``trade_step`` pools today's confidences of the model the session started with and, once
there are at least ``drift_min_bars`` of them, compares them with the out-of-fold confidence profile that
``tradeforge train`` stored in that version's manifest (``metrics["confidence"]``) by the population
stability index (:func:`tradeforge.models.drift.psi`); a PSI above ``drift_threshold`` (default 0.25) sends
a ``confidence_drift`` warning, throttled per kind by the notifier like every alert. A version without a
profile (trained before profiles existed) is not checked, with one log line.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from tradeforge.engine.notify.base import Notifier
from tradeforge.errors import ConfigError

from .calendar import NEW_YORK
from .jobs import RetrainOutcome
from .summary import SummaryNumbers, format_summary

__all__ = ["LiveTradingDay"]

_log = logging.getLogger("tradeforge.schedule.live")


def _when(text: str) -> datetime:
    """An event's ISO time as an aware datetime (naive = UTC)."""
    at = datetime.fromisoformat(text)
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


class LiveTradingDay:
    """Run the live runner's sessions under the scheduler (see the module docstring).

    Parameters
    ----------
    config : LiveConfig
        The session to run each day (paper by default).
    notifier : Notifier
        Where alerts go.
    retrainer : callable, optional
        ``() -> RetrainOutcome`` (a :class:`Retrainer`); None: no nightly retrain.
    env, store_options, confirm
        Passed to ``run_live`` (the environment with keys and endpoints, AlpacaStore options, the live
        account confirmation).
    stale_after_s : float
        A session running with no completed bar for this long while the market is open: a ``stale_feed``
        warning.
    runner : callable, optional
        ``run_live`` (tests may wrap it).
    drift_threshold : float
        PSI of today's live confidences against the training profile above which a ``confidence_drift``
        warning is sent.
    drift_min_bars : int
        Live confidences (symbols x bars, today, this model) needed before the PSI is computed.
    """

    def __init__(self, config: Any, notifier: Notifier, *,
                 retrainer: Callable[[], RetrainOutcome] | None = None,
                 env: Mapping[str, str] | None = None, store_options: Mapping[str, Any] | None = None,
                 confirm: Callable[[str], str] | None = None, stale_after_s: float = 180.0,
                 max_restarts: int = 3, runner: Callable[..., Any] | None = None,
                 clock: Callable[[], datetime] | None = None, drift_threshold: float | None = None,
                 drift_min_bars: int | None = None) -> None:
        from tradeforge.models.drift import MIN_LIVE, PSI_THRESHOLD

        drift_threshold = PSI_THRESHOLD if drift_threshold is None else drift_threshold
        drift_min_bars = MIN_LIVE if drift_min_bars is None else drift_min_bars
        if isinstance(drift_threshold, bool) or not isinstance(drift_threshold, int | float) \
                or not drift_threshold > 0:
            raise ConfigError(f"drift_threshold: got {drift_threshold!r}; expected a PSI > 0 such as 0.25")
        if isinstance(drift_min_bars, bool) or not isinstance(drift_min_bars, int) or drift_min_bars < 10:
            raise ConfigError(f"drift_min_bars: got {drift_min_bars!r}; expected an integer >= 10 such as "
                              f"{MIN_LIVE} (fewer live values make the PSI noise)")
        self.drift_threshold = float(drift_threshold)
        self.drift_min_bars = drift_min_bars
        self.config = config
        self.notifier = notifier
        self.retrainer = retrainer
        self.env = dict(os.environ if env is None else env)
        self.store_options = dict(store_options or {})
        self.confirm = confirm
        self.stale_after_s = stale_after_s
        self.max_restarts = max_restarts
        self.runner = runner
        self.clock = clock
        self.account: str | None = None
        self.journal_url: str | None = None
        self.events: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._result: Any = None
        self._error: BaseException | None = None
        self._day: Any = None
        self._starts = 0
        self._started_at: datetime | None = None
        self._alerted: set[str] = set()
        self._bar_arrived: float | None = None
        self._started_mono: float | None = None
        self._profiles: dict[str, dict[str, Any] | None] = {}

    # ---------------------------------------------------------------- the session thread
    def _on_event(self, event: dict[str, Any]) -> None:
        with self._lock:
            self.events.append(event)
        kind = event.get("event")
        if kind == "bar":
            self._bar_arrived = time.monotonic()
        if kind == "start":
            self.account = event.get("account") or self.account
        elif kind == "kill_switch":
            self.notifier.send("kill_switch", "critical", str(event.get("message", "kill switch tripped")))
        if kind in ("bar", "refused", "kill_switch", "error", "stop", "start"):
            _log.info("%s", event.get("message", kind), extra={"event": kind})

    def _target(self) -> None:
        from tradeforge.engine.live import run_live

        runner = self.runner or run_live
        try:
            self._result = runner(self.config, stop=self._stop, status=self._on_event, env=self.env,
                                  clock=self.clock, confirm=self.confirm, store_options=self.store_options)
            self.journal_url = self._result.journal_url
            self.account = self._result.account
        except BaseException as exc:  # reported by the next trade_step
            self._error = exc
            _log.error("session ended with %s: %s", type(exc).__name__, exc)

    def _start(self, now: datetime) -> None:
        self._stop = threading.Event()
        self._error, self._result = None, None
        self._starts += 1
        self._started_at = now
        self._started_mono, self._bar_arrived = time.monotonic(), None
        self._thread = threading.Thread(target=self._target, name="tradeforge-run-session", daemon=True)
        self._thread.start()
        _log.info("session %d of %s started (model %s)", self._starts, now.astimezone(NEW_YORK).date(),
                  self.config.model or "newest")

    def stop_session(self, timeout_s: float = 60.0) -> None:
        """Stop the running session (open orders left as they are, unless the config flattens)."""
        thread = self._thread
        if thread is None:
            return
        self._stop.set()
        thread.join(timeout_s)
        if thread.is_alive():
            _log.error("session did not stop within %.0f s", timeout_s)
        self._thread = None

    def _last_bar(self) -> datetime | None:
        with self._lock:
            for event in reversed(self.events):
                if event.get("event") == "bar":
                    return _when(event["time"])
        return None

    # ---------------------------------------------------------------- TradingDay
    def trade_step(self, now: datetime) -> None:
        """Keep the day's session running and healthy (see the module docstring)."""
        day = now.astimezone(NEW_YORK).date()
        if day != self._day:                                 # a new trading day: fresh session and counters
            if self._thread is not None and self._thread.is_alive():
                _log.warning("a session of %s was still running (no summary ran): restarting it for %s",
                             self._day, day)
                self.stop_session()
            self._day, self._starts, self._alerted = day, 0, set()
            with self._lock:
                self.events = []
        alive = self._thread is not None and self._thread.is_alive()
        if not alive and self._thread is not None:
            self._session_ended()
        if not alive and self._may_start():
            self._start(now)
            return
        # bars arrive in real time: staleness is measured on the monotonic clock, not the scheduler's
        since = self._bar_arrived or self._started_mono
        if alive and since is not None and time.monotonic() - since > self.stale_after_s:
            last = self._last_bar()
            shown = f"{last.astimezone(NEW_YORK):%H:%M} ET" if last else "the session start"
            self.notifier.send("stale_feed", "warning",
                               f"no completed bar since {shown} ({(time.monotonic() - since) / 60:.0f} min) "
                               "while the market is open")
        self._check_drift()

    # ---------------------------------------------------------------- confidence drift
    def _live_confidences(self) -> tuple[str | None, list[float]]:
        """The model of the latest ``start`` event today and the confidences of the bars since it started."""
        with self._lock:
            events = list(self.events)
        model, values = None, []
        for event in events:
            kind = event.get("event")
            if kind == "start":
                if event.get("model") != model:
                    model, values = event.get("model"), []
            elif kind == "bar" and model is not None:
                values.extend(float(c) for c in (event.get("confidence") or {}).values() if c is not None)
        return model, values

    def _profile(self, version: str) -> dict[str, Any] | None:
        """The training confidence profile of *version* (None when its manifest has none), cached."""
        if version not in self._profiles:
            from tradeforge.errors import ModelError
            from tradeforge.models.registry import ModelRegistry

            try:
                metrics = ModelRegistry(self.config.registry).manifest(version).get("metrics") or {}
                profile = metrics.get("confidence")
            except ModelError as exc:
                _log.warning("confidence drift not checked: %s", exc)
                profile = None
            else:
                if profile is None:
                    _log.warning("confidence drift not checked: version %s has no confidence profile in its "
                                 "manifest (trained by an older tradeforge; retrain to add one)", version)
            self._profiles[version] = profile
        return self._profiles[version]

    def _check_drift(self) -> None:
        """A ``confidence_drift`` warning when today's live confidences drifted (module docstring)."""
        if self.config.strategy != "ml":
            return
        version, live = self._live_confidences()
        if version is None or len(live) < self.drift_min_bars:
            return
        profile = self._profile(version)
        if profile is None:
            return
        import numpy as np

        from tradeforge.models.drift import psi

        value = psi(profile, live)
        if value > self.drift_threshold:
            trained = (profile.get("quantiles") or {}).get("0.5")
            self.notifier.send("confidence_drift", "warning",
                               f"model {version} confidence drifted from training: PSI {value:.2f} > "
                               f"{self.drift_threshold:.2f} over {len(live)} live signals today (median "
                               f"{float(np.median(live)):.3f} live vs {trained:.3f} out-of-fold)")

    def _may_start(self) -> bool:
        if self._tripped():
            if "tripped" not in self._alerted:
                self._alerted.add("tripped")
                _log.warning("kill switch latched: no session started (tradeforge unlock)")
            return False
        return self._starts < 1 + self.max_restarts

    def _session_ended(self) -> None:
        from tradeforge.errors import BrokerError, TransientBrokerError

        error, self._thread = self._error, None
        if error is None:
            return
        what = f"{type(error).__name__}: {str(error)[:160]}"
        if isinstance(error, TransientBrokerError | ConnectionError | TimeoutError):
            kind = "broker_unreachable"
        elif isinstance(error, BrokerError) and "reconcil" in str(error).lower():
            kind = "reconciliation_mismatch"
        else:
            kind = "runner_stopped"
        left = 1 + self.max_restarts - self._starts
        self.notifier.send(kind, "critical", f"trading session stopped: {what}; "
                           + (f"restarting ({left} restart(s) left today)" if left > 0
                              else "no restart left today"))

    def _tripped(self) -> bool:
        with self._lock:
            return any(e.get("event") == "kill_switch" for e in self.events) or bool(
                self.events and self.events[-1].get("tripped"))

    def premarket_review(self) -> None:
        """Reconcile journal and broker before the open; log the report (a mismatch raises)."""
        from tradeforge.brokers.alpaca.config import AlpacaConfig
        from tradeforge.brokers.alpaca.store import AlpacaStore
        from tradeforge.brokers.journal import Journal
        from tradeforge.engine.live.reconcile import protective_stop, reconcile

        options = dict(self.store_options)
        timeout = options.pop("timeout_s", None)
        acfg = AlpacaConfig.from_env(self.config.mode, env=self.env, feed=self.config.feed,
                                     **self.config.endpoint_overrides(),
                                     **({"timeout_s": timeout} if timeout is not None else {}))
        store = AlpacaStore(acfg, None, clock=self.clock, **options)
        try:
            self.account = store.account().account_number
            journal = Journal.open(self.config.db, account=self.account, mode=self.config.mode,
                                   root=self.config.journal_root)
            try:
                store.journal = journal
                report = reconcile(journal, store, protect=protective_stop(store, self.config.strategy))
                self.journal_url = journal.url
                opened = journal.open_orders()
            finally:
                journal.close()
        finally:
            store.stop()
        _log.info("pre-market review: %s; %d open order(s) in the journal", report.summary(), len(opened))

    def daily_summary(self, now: datetime) -> str:
        """Stop the day's session, then the summary text from the journal."""
        self.stop_session()
        numbers = self.summary_numbers(now)
        if numbers is None:
            return f"{now.astimezone(NEW_YORK).date()} no trading session today (no journal yet)"
        return format_summary(numbers)

    def summary_numbers(self, now: datetime) -> SummaryNumbers | None:
        """P&L today / week / total, trades today, positions, equity and the kill switch, from the journal."""
        from tradeforge.brokers.journal import Journal

        if self.journal_url is None:
            return None
        journal = Journal.open(self.journal_url, account=None, mode=None, create=False)
        try:
            equity, fills, risk = journal.equity_frame(), journal.fills_frame(), journal.risk_state()
            positions = {s: q for s, (q, _p) in journal.positions().items() if q}
        finally:
            journal.close()
        local = now.astimezone(NEW_YORK)
        midnight = datetime.combine(local.date(), datetime.min.time(), tzinfo=NEW_YORK).astimezone(UTC)
        monday = midnight - timedelta(days=local.weekday())
        series = equity["equity"] if len(equity) else None
        last = float(series.iloc[-1]) if series is not None else 0.0

        def since(t: datetime) -> float:
            if series is None:
                return 0.0
            before = series[series.index < t]
            base = float(before.iloc[-1]) if len(before) else float(series.iloc[0])
            return last - base

        today_fills = fills[fills["at"] >= midnight] if len(fills) else fills
        return SummaryNumbers(session=local.date(), pnl_today=since(midnight), pnl_week=since(monday),
                              pnl_total=last - float(series.iloc[0]) if series is not None else 0.0,
                              trades_today=len(today_fills), open_positions=positions, equity=last,
                              kill_switch=bool(risk.tripped), kill_reason=str(risk.tripped_reason or ""))

    def retrain(self) -> RetrainOutcome | None:
        """Run the retrainer; a promoted version is used by the next session."""
        if self.retrainer is None:
            _log.info("retrain: none configured (strategy %s; pass --train-data for ml)",
                      self.config.strategy)
            return None
        outcome = self.retrainer()
        if outcome.promoted and self.config.strategy == "ml":
            self.config = self.config.replace(model=outcome.challenger)
        self._journal_decision(outcome)
        return outcome

    def _journal_decision(self, outcome: RetrainOutcome) -> None:
        """The decision as a ``model_decisions`` row of the day's journal (none yet: only champion.json)."""
        from tradeforge.brokers.journal import Journal

        from .retrain import record_decision

        if self.journal_url is None:
            _log.info("retrain decision not journaled: no journal opened yet (it is in champion.json)")
            return
        journal = Journal.open(self.journal_url, account=None, mode=None, create=False)
        try:
            record_decision(journal, outcome, datetime.now(UTC) if self.clock is None else self.clock())
        finally:
            journal.close()

    def status(self, now: datetime) -> dict[str, Any]:
        """``positions`` (count), ``pnl_today`` (since the session's first bar), ``kill_switch``."""
        with self._lock:
            bars = [e for e in self.events if e.get("event") == "bar"
                    and _when(e["time"]).astimezone(NEW_YORK).date() == now.astimezone(NEW_YORK).date()]
        if not bars:
            return {"positions": 0, "pnl_today": 0.0, "kill_switch": self._tripped()}
        return {"positions": len(bars[-1].get("positions") or {}),
                "pnl_today": float(bars[-1]["equity"]) - float(bars[0]["equity"]),
                "kill_switch": bool(bars[-1].get("tripped"))}

    def close(self) -> None:
        """Stop the session if one runs."""
        self.stop_session()
