"""``run_live``: one paper or live trading session of any strategy on Alpaca, bar by bar, until stopped.

Order of a session (each step refuses before the next one can trade):

1. the opt-ins (:mod:`.safety`): live needs ``TRADEFORGE_LIVE=1``, the live keys and the account number
   typed back; paper never talks to a real-money host or account;
2. the strategy, resolved exactly like a backtest's (:mod:`._strategy`; ``ml`` loads a registry version);
3. the account (``GET /v2/account``) and its journal (one per account and mode; a paper journal is never
   opened for live);
4. the account's risk state restored from the journal (a tripped kill switch stays tripped);
5. :func:`~tradeforge.engine.live.reconcile.reconcile` before any order (a mismatch stops here);
6. cerebro with the Alpaca broker (pre-trade gate = :meth:`LiveRisk.gate`) and one live feed per symbol,
   backfilled with the strategy's warm-up so the first bar it can trade on is the first live one;
7. after every bar: risk state, equity, positions and signals saved (:class:`._recorder.LiveRecorder`);
   after every stream reconnect: reconcile again; a mismatch stops the session with what differs;
8. stop (the *stop* event, Ctrl-C in the CLI): open orders are left as they are, and said so, unless
   ``flatten_on_exit`` cancels them and closes every position.
"""

from __future__ import annotations

import datetime as _dt
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tradeforge.errors import BrokerError, ConfigError

from ._previous import PreviousOrders, settle_previous, wait_final
from .config import LiveConfig
from .reconcile import ReconcileReport, broker_positions, protective_stop, reconcile, working_orders
from .safety import check_live_env, check_paper_target, confirm_account

__all__ = ["LiveResult", "run_live"]

Emit = Callable[[dict[str, Any]], None]


@dataclass
class LiveResult:
    """How a session ended.

    Attributes
    ----------
    mode, account, strategy : str
        What ran (the account number as the broker shows it).
    model_version : str or None
        The registry version traded by ``ml``.
    bars : int
        Live (tradable) bars processed.
    orders : int
        Orders the session sent (journal rows created by it, refusals excluded).
    refused : list of (client order id, reason)
        Orders the pre-trade gate refused.
    open_orders : list of str
        Client ids of orders still working at the broker when it ended.
    positions : dict
        Broker positions ``{symbol: qty}`` at the end.
    equity : float or None
        Account equity at the end.
    stopped_by : str
        ``"stop"`` (the stop event / Ctrl-C), ``"end"`` (the feeds ended) or ``"error"``.
    flattened : bool
        ``flatten_on_exit`` cancelled the orders and closed the positions.
    reconciliations : list of ReconcileReport
        The startup reconciliation and one per stream reconnect.
    error : str or None
        Why the session stopped on an error.
    journal_url : str
        The journal (masked URL).
    """

    mode: str
    account: str
    strategy: str
    model_version: str | None = None
    bars: int = 0
    orders: int = 0
    refused: list[tuple[str, str]] = field(default_factory=list)
    open_orders: list[str] = field(default_factory=list)
    positions: dict[str, float] = field(default_factory=dict)
    equity: float | None = None
    stopped_by: str = "stop"
    flattened: bool = False
    reconciliations: list[ReconcileReport] = field(default_factory=list)
    error: str | None = None
    journal_url: str = ""

    def summary(self) -> str:
        """What the CLI prints when the session ends."""
        head = (f"{self.mode} session of {self.strategy} on account {self.account} stopped "
                f"({self.stopped_by}) after {self.bars} live bar(s), {self.orders} order(s) sent, "
                f"{len(self.refused)} refused")
        if self.flattened:
            tail = "flatten-on-exit: open orders cancelled and positions closed"
        elif self.open_orders:
            tail = (f"{len(self.open_orders)} open order(s) left at the broker as they are "
                    f"({', '.join(self.open_orders[:5])}); --flatten-on-exit cancels and closes")
        else:
            tail = "no open orders left"
        return f"{head}; {tail}; positions {self.positions or '{}'}; journal {self.journal_url}"


class _Session:
    """What the recorder and the reconnect hook share with the runner."""

    def __init__(self, *, journal: Any, store: Any, risk: Any, emit: Emit, stop: threading.Event,
                 predictor: Any, line_names: tuple[str, ...], strategy_name: str) -> None:
        self.journal, self.store, self.risk, self.emit, self.stop = journal, store, risk, emit, stop
        self.predictor, self.line_names, self.strategy_name = predictor, line_names, strategy_name
        self.backfill = 0           # bars each feed loads before the first live one
        self.cerebro: Any = None
        self.previous: Any = None   # PreviousOrders: the earlier sessions' orders still working
        self.reports: list[ReconcileReport] = []
        self.error: str | None = None
        self.bars = 0

    def after_bar(self, bar_time: Any, equity: float, cash: float, positions: Mapping[str, float],
                  confidence: Mapping[str, float | None] | None = None) -> None:
        """Report the bar: a ``bar`` event, with ``confidence`` ({symbol: the model's confidence of the
        bar's signal, None when undefined}) when the strategy has a model."""
        self.bars += 1
        held = {s: q for s, q in positions.items() if q}
        event = {"event": "bar", "time": bar_time.isoformat(), "equity": round(equity, 2),
                 "cash": round(cash, 2), "positions": held, "tripped": self.risk.rules.tripped,
                 "message": f"{bar_time:%Y-%m-%d %H:%M} equity {equity:,.2f} cash {cash:,.2f} "
                            f"positions {held}"}
        if confidence is not None:
            event["confidence"] = dict(confidence)
        self.emit(event)

    def on_reconnect(self, name: str) -> None:
        """After a stream reconnect: reconcile before the next bar trades; a mismatch ends the session."""
        try:
            protect = protective_stop(self.store, self.strategy_name)
            report = reconcile(self.journal, self.store, protect=protect)
        except BrokerError as exc:
            self.error = str(exc)
            self.stop.set()
            self.cerebro.runstop()
            self.emit({"event": "error", "message": f"stopping: {exc}"})
            return
        self.reports.append(report)
        if self.previous is not None:
            self.previous.followed.update(report.protected)
        self.emit({"event": "reconciled", "stream": name, "message": f"{name} stream reconnected; "
                   f"{report.summary()}"})


def _alpaca_config(config: LiveConfig, env: Mapping[str, str], extra: Mapping[str, Any]) -> Any:
    from tradeforge.brokers.alpaca.config import AlpacaConfig

    acfg = AlpacaConfig.from_env(config.mode, env=env, feed=config.feed, **config.endpoint_overrides(),
                                 **extra)
    if config.mode == "paper":
        check_paper_target(acfg.base_url)
    return acfg


def _open_account(config: LiveConfig, store: Any, confirm: Callable[[str], str] | None) -> str:
    number = store.account().account_number
    if config.mode == "live":
        if confirm is None:
            raise ConfigError("tradeforge live refused: nobody to type the account number (confirm=None); "
                              "run `tradeforge live` at a terminal")
        confirm_account(number, confirm)
    else:
        check_paper_target(store.config.base_url, number)
    return number


def _build(config: LiveConfig, strat: Any, session: _Session, store: Any) -> tuple[Any, list[Any]]:
    """Cerebro with the Alpaca broker, one backfilled live feed per symbol, the strategy and the recorder."""
    import backtrader as bt

    from ._previous import live_broker_class
    from ._recorder import LiveRecorder

    cerebro = bt.Cerebro(stdstats=False, live=True, preload=False, runonce=False, exactbars=False)
    from tradeforge.timeframes import to_timedelta

    compute = strat.lines if strat.line_names else None
    bar_s = to_timedelta(config.timeframe).total_seconds()
    lag = None if config.max_lag_bars is None else config.max_lag_bars * bar_s
    datas = []
    for symbol in config.symbols:
        data = store.getdata(symbol, timeframe=config.timeframe, backfill=strat.warmup,
                             lines=strat.line_names, compute=compute, max_lag_s=lag)
        cerebro.adddata(data, name=symbol)
        datas.append(data)
    broker = live_broker_class()(store=store, strategy_name=config.strategy, pre_trade_gate=session.risk.gate,
                                 previous=session.previous, datas=datas)
    cerebro.setbroker(broker)
    cerebro.addstrategy(strat.cls, **strat.params)
    cerebro.addanalyzer(LiveRecorder, _name="tradeforge_live", session=session)
    session.cerebro = cerebro
    return cerebro, datas


def _finish(config: LiveConfig, store: Any, journal: Any, emit: Emit) -> tuple[list[str], bool]:
    """Leave open orders as they are (said on screen), or cancel them and close every position.

    Flattening sends journaled market orders (intent ``flatten``, deterministic client ids), so the next
    session's reconciliation knows them and their fills.
    """
    from tradeforge.brokers.alpaca.ids import client_order_id
    from tradeforge.brokers.journal import OrderIntent

    open_orders = [part for _, part in working_orders(store)]
    if not config.flatten_on_exit:
        if open_orders:
            shown = ", ".join(o.client_order_id for o in open_orders[:5])
            emit({"event": "stop", "message": f"stopped: {len(open_orders)} open order(s) left at the broker "
                  f"as they are ({shown}); --flatten-on-exit cancels and closes"})
        else:
            emit({"event": "stop", "message": "stopped: no open orders left at the broker"})
        return [o.client_order_id for o in open_orders], False
    for order in open_orders:
        store.cancel(order.broker_id)
    wait_final(store, [o.client_order_id for o in open_orders])
    now = store.clock()
    closing = []
    for symbol, qty in broker_positions(store).items():
        cid = client_order_id(config.strategy, symbol, now, "flatten", 0)
        store.submit(OrderIntent(client_order_id=cid, strategy=config.strategy, symbol=symbol,
                                 side="sell" if qty > 0 else "buy", qty=abs(qty), bar_time=now,
                                 intent="flatten"))
        closing.append(f"{symbol} {qty:g}")
    emit({"event": "stop", "message": f"stopped: flatten-on-exit cancelled {len(open_orders)} order(s) and "
          f"sent market orders closing {', '.join(closing) or 'no position'}"})
    return [], True


def run_live(config: LiveConfig, *, stop: threading.Event | None = None,
             clock: Callable[[], _dt.datetime] | None = None, status: Emit | None = None,
             confirm: Callable[[str], str] | None = None, env: Mapping[str, str] | None = None,
             store_options: Mapping[str, Any] | None = None) -> LiveResult:
    """Run one trading session (see the module notes) until *stop* is set or the feeds end.

    Parameters
    ----------
    config : LiveConfig
        What to trade, where and with which limits (paper by default).
    stop : threading.Event, optional
        Set it (from any thread, a signal handler) to stop after the current bar.
    clock : callable, optional
        Current time as an aware UTC datetime (default: the system clock).
    status : callable, optional
        Receives one dict per event (``event`` + ``message`` + figures): start, reconciled, bar, refused,
        kill_switch, error, stop.
    confirm : callable, optional
        ``confirm(prompt) -> typed text``: the account-number prompt of a live session (required for live).
    env : mapping, optional
        Where keys and endpoint variables are read (default: ``os.environ``).
    store_options : mapping, optional
        Extra keyword arguments of ``AlpacaStore`` (tests: shorter lookups and backoffs), and the
        connection's ``timeout_s`` / ``rate_limit_per_minute``.

    Raises
    ------
    ConfigError
        A refused opt-in, missing keys (with how to get paper keys), a bad strategy / parameter / model.
    BrokerError
        The startup reconciliation found a mismatch (nothing was traded).
    """
    from tradeforge.brokers.alpaca.store import AlpacaStore
    from tradeforge.brokers.journal import Journal

    from ._strategy import resolve_live_strategy

    env = os.environ if env is None else env
    emit = status or (lambda _event: None)
    stop = stop or threading.Event()
    if config.mode == "live":
        check_live_env(env)
    options = dict(store_options or {})
    connection = {k: options.pop(k) for k in ("timeout_s", "rate_limit_per_minute") if k in options}
    acfg = _alpaca_config(config, env, connection)
    strat = resolve_live_strategy(config.strategy, config.params, model=config.model,
                                  registry=config.registry, backfill=config.backfill)
    predictor = _wrap_predictor(strat)
    store = AlpacaStore(acfg, None, clock=clock, **options)
    try:
        account = _open_account(config, store, confirm)
        journal = Journal.open(config.db, account=account, mode=config.mode, root=config.journal_root)
    except BaseException:
        store.stop()
        raise
    store.journal = journal
    result = LiveResult(mode=config.mode, account=account, strategy=config.strategy,
                        model_version=strat.model_version, journal_url=journal.url)
    try:
        _session_body(config, strat, predictor, store, journal, emit, stop, result)
    finally:
        store.stop()
        journal.close()
    return result


def _wrap_predictor(strat: Any) -> Any:
    """For ``ml``: the predictor wrapped so each bar's predictions can be journaled as the signal."""
    from ._recorder import RecordingPredictor

    if "predictor" not in strat.params or strat.params["predictor"] is None:
        return None
    wrapped = RecordingPredictor(strat.params["predictor"])
    strat.params["predictor"] = wrapped
    return wrapped


def _session_body(config: LiveConfig, strat: Any, predictor: Any, store: Any, journal: Any, emit: Emit,
                  stop: threading.Event, result: LiveResult) -> None:
    from .risk import LiveRisk

    risk = LiveRisk(journal, max_open_positions=config.max_open_positions,
                    max_position_pct=config.max_position_pct, max_drawdown=config.max_drawdown,
                    daily_loss_limit=config.daily_loss_limit)
    before = {row.client_order_id for row in journal.orders()}
    emit({"event": "start", "mode": config.mode, "account": result.account, "strategy": config.strategy,
          "model": strat.model_version, "symbols": list(config.symbols), "backfill": strat.warmup,
          "message": f"{config.mode} trading {config.strategy} on {', '.join(config.symbols)} "
                     f"({config.timeframe} bars, backfill {strat.warmup}) account {result.account}, journal "
                     f"{journal.url}" + (" -- kill switch TRIPPED (tradeforge unlock)"
                                         if risk.rules.tripped else "")})
    report = reconcile(journal, store, protect=protective_stop(store, config.strategy))
    result.reconciliations.append(report)
    emit({"event": "reconciled", "message": report.summary()})
    cancelled = settle_previous(journal, store)
    if cancelled:
        report = reconcile(journal, store, protect=protective_stop(store, config.strategy))
        result.reconciliations.append(report)
        emit({"event": "reconciled", "message": f"cancelled {len(cancelled)} working order(s) of an earlier "
              f"session (their bars are past: {', '.join(cancelled[:5])}); {report.summary()}"})
    session = _Session(journal=journal, store=store, risk=risk, emit=emit, stop=stop, predictor=predictor,
                       line_names=strat.line_names, strategy_name=config.strategy)
    session.backfill = strat.warmup
    followed = {row.client_order_id for row in journal.open_orders()}
    session.previous = PreviousOrders(journal, store, followed, before)
    cerebro, _datas = _build(config, strat, session, store)
    store.on_reconnect(session.on_reconnect)
    done = threading.Event()
    watcher = threading.Thread(target=_watch_stop, args=(stop, done, cerebro), name="tradeforge-live-stop",
                               daemon=True)
    watcher.start()
    try:
        strategies = cerebro.run()
        result.stopped_by = "error" if session.error else ("stop" if stop.is_set() else "end")
    finally:
        done.set()
        stop.set()
        result.bars = session.bars
        result.reconciliations.extend(session.reports)
        # the broker journals every refusal (gate, not-tradable bar) under its own id: report those
        result.refused = _broker_refusals(cerebro) or list(risk.refusals)
    result.error = session.error
    result.orders = sum(1 for row in journal.orders() if row.client_order_id not in before
                        and str(row.state) != "REFUSED")
    result.open_orders, result.flattened = _finish(config, store, journal, emit)
    result.positions = broker_positions(store)
    result.equity = float(store.account().equity)
    del strategies
    if session.error:
        raise BrokerError(session.error)


def _broker_refusals(cerebro: Any) -> list[tuple[str, str]]:
    return list(getattr(cerebro.broker, "refused", []) or [])


def _watch_stop(stop: threading.Event, done: threading.Event, cerebro: Any) -> None:
    """Stop cerebro from outside its thread once *stop* is set (the feeds wake up every qcheck).

    ``cerebro.run()`` clears a stop requested before it started, so the request is repeated until the
    run has ended (*done*).
    """
    stop.wait()
    while not done.wait(0.1):
        cerebro.runstop()
