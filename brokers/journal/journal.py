"""The trading journal: every order intent (before it is sent), every state change, fill, position and
equity snapshot, signal, retrain decision (champion / challenger) and the latching risk state, in SQLite
(default) or PostgreSQL.

Every write is one transaction committed before the method returns, so a process killed at any point
loses nothing that a call reported done. A journal belongs to one account in one mode: opening it for
another refuses (a paper journal is never reused for live).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from tradeforge.errors import BrokerError, ConfigError

from . import _engine
from ._frames import (
    equity_frame,
    fills_frame,
    model_decisions_frame,
    orders_frame,
    signals_frame,
    trades_frame,
)
from ._models import (
    EquitySnapshot,
    Fill,
    Meta,
    ModelDecision,
    Order,
    OrderEvent,
    Position,
    PositionSnapshot,
    Risk,
    RiskEvent,
)
from ._models import Signal as SignalRow
from ._transitions import decide
from ._types import (
    OPEN_STATES,
    TERMINAL_STATES,
    OrderIntent,
    OrderRow,
    OrderState,
    RiskState,
    order_state,
    utc,
)

__all__ = ["Journal"]

_INTENT_FIELDS = ("strategy", "symbol", "side", "qty", "order_type", "limit_price", "stop_price",
                  "take_profit", "stop_loss", "bar_time", "intent", "parent_client_order_id")


def _now() -> datetime:
    return datetime.now(UTC)


def _to_row(order: Order) -> OrderRow:
    intent = OrderIntent(order.client_order_id, **{k: getattr(order, k) for k in _INTENT_FIELDS},
                         created_at=order.created_at)
    return OrderRow(intent=intent, state=OrderState(order.state), broker_order_id=order.broker_order_id,
                    broker_status=order.broker_status, filled_qty=order.filled_qty,
                    filled_avg_price=order.filled_avg_price, reason=order.reason, updated_at=order.updated_at)


def _json_default(value: Any) -> Any:
    if hasattr(value, "tolist"):  # numpy arrays and scalars
        return value.tolist()
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _payload(payload: Mapping[str, Any] | None) -> dict[str, Any]:
    try:
        return json.loads(json.dumps(dict(payload or {}), default=_json_default, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"payload: cannot be stored as JSON ({exc}); pass numbers, strings, lists and "
                          "dicts (NaN/inf as None)") from None


def _scores(scores: Mapping[str, Any]) -> dict[str, Any]:
    """Model scores with NaN/inf as None (an undefined AUC is stored as null, not refused)."""
    return {str(k): (None if isinstance(v, float) and not math.isfinite(v) else v)
            for k, v in dict(scores or {}).items()}


class Journal:
    """The journal of one account in one mode. Build it with :meth:`Journal.open`; thread-safe (each call
    takes its own connection); close it with :meth:`close` or use it as a context manager.

    Examples
    --------
    >>> import tempfile
    >>> with Journal.open(account="PA1DOCTEST", mode="paper", root=tempfile.mkdtemp()) as j:
    ...     _ = j.record_intent(OrderIntent("c1", "sma_cross", "SPY", "buy", 10))
    ...     j.order("c1").state
    <OrderState.NEW: 'NEW'>
    """

    def __init__(self, engine: Any, url: str, account: str, mode: str) -> None:
        self._engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self.url = _engine.mask_url(url)
        self.account = account
        self.mode = mode

    # ------------------------------------------------------------------ opening
    @classmethod
    def open(cls, url: str | Path | None = None, *, account: str | None = None, mode: str | None = "paper",
             root: str | Path = "runs/journal", create: bool = True) -> Journal:
        """Open (and migrate to the newest schema) the journal at *url*, or the SQLite file of *account*
        and *mode* under *root* when *url* is None.

        ``create=False`` refuses a journal that does not exist yet (for read-only commands);
        ``account=None`` / ``mode=None`` then accept whatever the journal was created for. A journal created
        for another account or mode raises ConfigError naming the file and the fix.
        """
        if mode is not None:
            _engine.check_mode(mode)
        if url is None and (account is None or mode is None):
            raise ConfigError("journal: pass --db URL, or --account and --mode to use the default SQLite "
                              "file")
        if create and (account is None or mode is None):
            raise ConfigError("journal: creating a journal needs both an account and a mode")
        full = _engine.resolve_url(url, account or "", mode or "paper", root)
        path = _engine.sqlite_path(full)
        shown = str(path) if path is not None else _engine.mask_url(full)
        if not create and path is not None and not path.is_file():
            raise ConfigError(f"journal {path}: no such journal; pass the file a paper/live run wrote (under "
                              f"{root}/), or --account and --mode")
        try:
            engine = _engine.make_engine(full)
        except OSError as exc:
            raise ConfigError(f"journal {shown}: cannot create its folder ({exc.strerror}); pass --db with a "
                              "writable path") from None
        try:
            meta = cls._prepare(engine, shown, create, account, mode)
        except sa.exc.SQLAlchemyError as exc:
            engine.dispose()
            raise ConfigError(f"journal {shown}: cannot open it ({_driver_message(exc, full)}); pass a "
                              "journal database tradeforge wrote, or a new path") from None
        except BaseException:
            engine.dispose()
            raise
        return cls(engine, full, meta[0], meta[1])

    @staticmethod
    def _prepare(engine: Any, shown: str, create: bool, account: str | None,
                 mode: str | None) -> tuple[str, str]:
        if not create and _engine.current_revision(engine) is None:
            raise ConfigError(f"journal {shown}: not a tradeforge journal (no schema); pass the database a "
                              "paper/live run wrote")
        _engine.migrate(engine, shown)
        with Session(engine) as session, session.begin():
            meta = session.get(Meta, 1)
            if meta is None:
                if not create:
                    raise ConfigError(f"journal {shown}: empty (never used by a run); pass the journal a "
                                      "run wrote")
                meta = Meta(id=1, account=account, mode=mode, created_at=_now(), last_event_at=None)
                session.add(meta)
            _check_owner(shown, meta, account, mode)
            return meta.account, meta.mode

    def close(self) -> None:
        """Release the database connections (the journal stays on disk)."""
        self._engine.dispose()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Journal(url={self.url!r}, account={self.account!r}, mode={self.mode!r})"

    @contextmanager
    def _write(self) -> Iterator[Session]:
        """One transaction, committed before the block's caller returns."""
        with self._sessions() as session, session.begin():
            yield session

    def _order(self, session: Session, client_order_id: str, *, lock: bool = True) -> Order:
        query = sa.select(Order).where(Order.client_order_id == client_order_id)
        order = session.scalars(query.with_for_update() if lock else query).one_or_none()
        if order is None:
            raise BrokerError(f"order {client_order_id!r} is unknown to the journal; record_intent must come "
                              "before any broker call or event for it")
        return order

    # ------------------------------------------------------------------ orders
    def record_intent(self, intent: OrderIntent) -> bool:
        """Write *intent* as a NEW order, BEFORE it is sent. Returns True if written, False if the
        identical intent is already there (idempotent); a different intent under the same client id raises
        BrokerError."""
        return self._insert_intent(intent, OrderState.NEW, None)

    def record_refusal(self, intent: OrderIntent, reason: str) -> bool:
        """Journal *intent* as REFUSED by the pre-trade gate with *reason* (a NEW order of the same intent
        becomes REFUSED). Returns False if it was already refused."""
        if not reason:
            raise ConfigError(f"reason: a refusal of {intent.client_order_id!r} needs a reason")
        return self._insert_intent(intent, OrderState.REFUSED, str(reason))

    def _insert_intent(self, intent: OrderIntent, state: OrderState, reason: str | None) -> bool:
        at = intent.created_at or _now()
        values = dict(client_order_id=intent.client_order_id,
                      **{k: getattr(intent, k) for k in _INTENT_FIELDS},
                      created_at=at, state=str(state), filled_qty=0.0, reason=reason, updated_at=at)
        with self._write() as session:
            insert = _insert_ignore(session, Order, values, "client_order_id")
            order = self._order(session, intent.client_order_id)
            if insert:
                session.add(OrderEvent(order_id=order.id, at=at, state=str(state), detail=reason))
                return True
            _same_intent(order, intent)
            if state == OrderState.REFUSED and order.state == OrderState.NEW:
                order.state, order.reason, order.updated_at = str(state), reason, at
                session.add(OrderEvent(order_id=order.id, at=at, state=str(state), detail=reason))
                return True
            return False

    def mark_submitted(self, client_order_id: str, broker_order_id: str, status: Any = OrderState.SUBMITTED,
                       at: Any = None) -> bool:
        """The broker accepted the order: store its id and status (an Alpaca status or an OrderState)."""
        return self.update_order(client_order_id, status=status, at=at, broker_order_id=broker_order_id)

    def mark_unknown(self, client_order_id: str, reason: str, at: Any = None) -> bool:
        """An ambiguous outcome (timeout, 5xx, reset, duplicate client id): UNKNOWN until a lookup by client
        id resolves it. Ignored (False) if the order already reached a final state."""
        return self.update_order(client_order_id, status=OrderState.UNKNOWN, at=at, reason=reason)

    def update_order(self, client_order_id: str, *, status: Any, at: Any = None,
                     broker_order_id: str | None = None, filled_qty: float | None = None,
                     filled_avg_price: float | None = None, reason: str | None = None) -> bool:
        """Apply a broker status (an Alpaca order status or an OrderState) observed at *at*.

        Returns True if anything changed (one ``order_events`` row is written), False for a repeat or a
        stale update (an order never moves backwards, e.g. FILLED -> SUBMITTED is ignored). Raises
        BrokerError for contradictions (two final states, a different broker id, a REFUSED order).
        """
        new = order_state(status)
        at = _now() if at is None else utc(at)
        with self._write() as session:
            order = self._order(session, client_order_id)
            if broker_order_id and order.broker_order_id and order.broker_order_id != str(broker_order_id):
                raise BrokerError(f"order {client_order_id!r}: journaled broker id "
                                  f"{order.broker_order_id!r}, now reported {broker_order_id!r}; one client "
                                  "id cannot have two broker orders: check the account's orders")
            decision = decide(client_order_id, OrderState(order.state), new)
            if decision == "stale":
                return False
            if new == OrderState.SUBMITTED and max(order.filled_qty, filled_qty or 0.0) > 0:
                new = OrderState.PARTIALLY_FILLED
            changes = _changes(order, new, _broker_status(status), broker_order_id, filled_qty,
                               filled_avg_price, reason)
            if decision == "same" and OrderState(order.state) in TERMINAL_STATES:
                changes = {k: v for k, v in changes.items() if k in ("broker_order_id", "filled_qty")}
            if decision == "same" and not changes:
                return False
            for name, value in changes.items():
                setattr(order, name, value)
            order.state, order.updated_at = str(new), at
            session.add(OrderEvent(order_id=order.id, at=at, state=str(new),
                                   broker_status=order.broker_status, filled_qty=order.filled_qty,
                                   filled_avg_price=order.filled_avg_price,
                                   detail=reason))
            return True

    def record_fill(self, client_order_id: str, execution_id: str, qty: float, price: float, at: Any) -> bool:
        """Store one execution; True if new, False if *execution_id* was already journaled (idempotent).
        The order's filled quantity and average price follow the sum of its fills; its state changes only
        through :meth:`update_order`."""
        qty, price = float(qty), float(price)
        if not (math.isfinite(qty) and qty > 0 and math.isfinite(price) and price > 0):
            raise BrokerError(f"fill {execution_id!r} of {client_order_id!r}: qty {qty} and price {price} "
                              "must be positive numbers")
        at = utc(at)
        with self._write() as session:
            order = self._order(session, client_order_id)
            if order.state == OrderState.REFUSED:
                decide(client_order_id, OrderState.REFUSED, OrderState.FILLED)  # raises
            values = dict(execution_id=str(execution_id), order_id=order.id, qty=qty, price=price, at=at)
            if not _insert_ignore(session, Fill, values, "execution_id"):
                return False
            sums = sa.select(sa.func.sum(Fill.qty), sa.func.sum(Fill.qty * Fill.price))
            total, notional = session.execute(sums.where(Fill.order_id == order.id)).one()
            if total >= order.filled_qty:
                order.filled_qty, order.filled_avg_price = float(total), float(notional) / float(total)
            return True

    def order(self, client_order_id: str) -> OrderRow | None:
        """The journaled order, or None."""
        with self._sessions() as session:
            query = sa.select(Order).where(Order.client_order_id == client_order_id)
            order = session.scalars(query).one_or_none()
            return None if order is None else _to_row(order)

    def orders(self, states: Iterable[Any] | None = None) -> list[OrderRow]:
        """All orders in the order they were journaled, or those in *states*."""
        query = sa.select(Order).order_by(Order.id)
        if states is not None:
            query = query.where(Order.state.in_([str(order_state(s)) for s in states]))
        with self._sessions() as session:
            return [_to_row(o) for o in session.scalars(query)]

    def open_orders(self) -> list[OrderRow]:
        """Orders the broker may still act on: NEW, SUBMITTED, PARTIALLY_FILLED and UNKNOWN."""
        return self.orders(OPEN_STATES)

    def order_events(self, client_order_id: str) -> list[dict[str, Any]]:
        """Every state change of one order, oldest first (``at, state, broker_status, filled_qty,
        filled_avg_price, detail``)."""
        with self._sessions() as session:
            order = self._order(session, client_order_id, lock=False)
            rows = session.scalars(sa.select(OrderEvent).where(OrderEvent.order_id == order.id)
                                   .order_by(OrderEvent.id))
            return [dict(at=e.at, state=OrderState(e.state), broker_status=e.broker_status,
                         filled_qty=e.filled_qty, filled_avg_price=e.filled_avg_price, detail=e.detail)
                    for e in rows]

    # ------------------------------------------------------------------ positions, equity, signals
    def snapshot_positions(self, positions: Mapping[str, Any], at: Any) -> None:
        """Store the positions ``{symbol: (qty, avg_price)}`` (or ``{symbol: qty}``) held at *at*; an empty
        mapping records a flat book. Zero quantities are left out."""
        rows = []
        for symbol, value in positions.items():
            qty, avg = (value, None) if isinstance(value, (int, float)) else tuple(value)
            if float(qty) != 0.0:
                rows.append((str(symbol), float(qty), None if avg is None else float(avg)))
        with self._write() as session:
            snapshot = PositionSnapshot(at=utc(at))
            session.add(snapshot)
            session.flush()
            session.add_all(Position(snapshot_id=snapshot.id, symbol=s, qty=q, avg_price=a)
                            for s, q, a in rows)

    def positions(self) -> dict[str, tuple[float, float | None]]:
        """The latest position snapshot ``{symbol: (qty, avg_price)}`` (empty if none was taken)."""
        with self._sessions() as session:
            latest = session.scalar(sa.select(sa.func.max(PositionSnapshot.id)))
            if latest is None:
                return {}
            query = sa.select(Position).where(Position.snapshot_id == latest).order_by(Position.id)
            rows = session.scalars(query)
            return {p.symbol: (p.qty, p.avg_price) for p in rows}

    def record_equity(self, at: Any, equity: float, cash: float | None = None) -> None:
        """Store the account's equity (and cash) at *at*."""
        equity = float(equity)
        if not math.isfinite(equity):
            raise BrokerError(f"equity: expected a finite number, got {equity!r}")
        with self._write() as session:
            session.add(EquitySnapshot(at=utc(at), equity=equity, cash=None if cash is None else float(cash)))

    def record_signal(self, at: Any, symbol: str, decision: str, confidence: float | None = None,
                      payload: Mapping[str, Any] | None = None) -> None:
        """Store a strategy decision with its confidence (None: not a probabilistic signal) and a JSON
        payload."""
        conf = None if confidence is None or not math.isfinite(float(confidence)) else float(confidence)
        with self._write() as session:
            session.add(SignalRow(at=utc(at), symbol=str(symbol), decision=str(decision), confidence=conf,
                                  payload=_payload(payload)))

    def record_model_decision(self, at: Any, *, promoted: bool, challenger: str, champion: str | None,
                              challenger_scores: Mapping[str, Any],
                              champion_scores: Mapping[str, Any] | None = None, reason: str = "",
                              holdout_start: Any = None) -> None:
        """Store a champion / challenger decision of a retrain: the challenger (new version) and the
        champion (None: there was none yet), both out-of-sample score sets (JSON; NaN stored as null),
        whether the challenger was promoted and why, and the first bar of the holdout both were scored on.
        """
        if not isinstance(challenger, str) or not challenger:
            raise ConfigError(f"challenger: expected the new model version id, got {challenger!r}")
        with self._write() as session:
            session.add(ModelDecision(
                at=utc(at), promoted=bool(promoted), challenger=challenger,
                champion=None if champion is None else str(champion),
                challenger_scores=_payload(_scores(challenger_scores)),
                champion_scores=None if champion_scores is None else _payload(_scores(champion_scores)),
                holdout_start=None if holdout_start is None else utc(holdout_start), reason=str(reason)))

    # ------------------------------------------------------------------ risk state
    def risk_state(self) -> RiskState:
        """The persisted risk state (defaults before the first save: nothing latched)."""
        with self._sessions() as session:
            row = session.get(Risk, 1)
            return RiskState() if row is None else _risk(row)

    def save_risk_state(self, state: RiskState, at: Any = None) -> None:
        """Persist *state*; a newly latched kill switch or daily limit is also written to the audit trail."""
        at = _now() if at is None else utc(at)
        with self._write() as session:
            row = session.get(Risk, 1, with_for_update=True)
            before = RiskState() if row is None else _risk(row)
            if row is None:
                row = Risk(id=1)
                session.add(row)
            _store_risk(row, state, at)
            if state.tripped and not before.tripped:
                session.add(RiskEvent(at=state.tripped_at or at, kind="kill_switch",
                                      detail=state.tripped_reason))
            if state.daily_blocked and not before.daily_blocked:
                session.add(RiskEvent(at=at, kind="daily_limit", detail=f"day {state.day}"))

    def unlock(self, at: Any = None) -> RiskState:
        """Reset the kill switch and the daily limit latches (``tradeforge unlock``). The high-water mark and
        the day's start equity restart at the last equity (``last_equity``, else the latest equity
        snapshot, else unchanged), so the same drawdown does not trip again at once. Returns the new
        state; the unlock is written to the audit trail."""
        at = _now() if at is None else utc(at)
        with self._write() as session:
            row = session.get(Risk, 1, with_for_update=True)
            before = RiskState() if row is None else _risk(row)
            equity = session.scalar(sa.select(EquitySnapshot.equity).order_by(EquitySnapshot.at.desc(),
                                                                               EquitySnapshot.id.desc()).limit(1))
            last = before.last_equity if before.last_equity is not None else equity
            hwm = before.high_water_mark if last is None else last
            start = before.day_start_equity if last is None else last
            state = RiskState(high_water_mark=hwm, last_equity=before.last_equity, tripped=False,
                              day=before.day, day_start_equity=start, daily_blocked=False)
            if row is None:
                row = Risk(id=1)
                session.add(row)
            _store_risk(row, state, at)
            detail = (f"was tripped={before.tripped} ({before.tripped_reason or '-'}), "
                      f"daily_blocked={before.daily_blocked}; high_water_mark -> {hwm}")
            session.add(RiskEvent(at=at, kind="unlock", detail=detail))
            return state

    def risk_events(self) -> list[dict[str, Any]]:
        """The audit trail of the risk latches, oldest first (``at, kind, detail``)."""
        with self._sessions() as session:
            return [dict(at=e.at, kind=e.kind, detail=e.detail)
                    for e in session.scalars(sa.select(RiskEvent).order_by(RiskEvent.id))]

    # ------------------------------------------------------------------ reconciliation bookkeeping
    def last_event_at(self) -> datetime | None:
        """The newest broker event time seen (reconciliation asks the broker for what came after)."""
        with self._sessions() as session:
            return session.get(Meta, 1).last_event_at

    def set_last_event_at(self, at: Any) -> None:
        """Advance the newest event time to *at* (an older time leaves it unchanged)."""
        at = utc(at)
        with self._write() as session:
            meta = session.get(Meta, 1, with_for_update=True)
            if meta.last_event_at is None or at > meta.last_event_at:
                meta.last_event_at = at

    # ------------------------------------------------------------------ frames for reports
    def fills_frame(self) -> Any:
        """Fills, oldest first: ``at, client_order_id, execution_id, strategy, symbol, side, qty, price,
        signed_qty`` (positive buys)."""
        return fills_frame(self._engine)

    def equity_frame(self) -> Any:
        """Equity snapshots indexed by UTC time ``at``: ``equity, cash``."""
        return equity_frame(self._engine)

    def orders_frame(self) -> Any:
        """One row per order with its intent, state, broker id, filled quantity and average price."""
        return orders_frame(self._engine)

    def trades_frame(self) -> Any:
        """Closed round trips rebuilt from the fills, with the columns of a backtest's ``trades.csv``
        (``symbol, entry_date, exit_date, size, entry_price, exit_price, pnl, pnlcomm, bars_held``)."""
        return trades_frame(self.fills_frame(), self.equity_frame().index)

    def signals_frame(self) -> Any:
        """Signals, oldest first: ``at, symbol, decision, confidence, payload``."""
        return signals_frame(self._engine)

    def model_decisions_frame(self) -> Any:
        """Retrain decisions, oldest first: ``at, promoted, challenger, champion, challenger_scores,
        champion_scores, holdout_start, reason`` (scores as dicts, None without a champion)."""
        return model_decisions_frame(self._engine)


def _check_owner(shown: str, meta: Meta, account: str | None, mode: str | None) -> None:
    if mode is not None and meta.mode != mode:
        fix = (Path(shown).with_name(f"{meta.account}-{mode}.db") if "://" not in shown
               else f"a database of its own for {mode}")
        raise ConfigError(f"journal {shown}: created for account {meta.account!r} in mode {meta.mode!r}, "
                          f"opened for mode {mode!r}; a {meta.mode} journal is never reused for {mode}: pass "
                          f"another --db (e.g. {fix}) or leave --db out to use the default journal of each "
                          "mode")
    if account is not None and meta.account != account:
        raise ConfigError(f"journal {shown}: created for account {meta.account!r}, opened for account "
                          f"{account!r}; one journal belongs to one account: pass that account's journal "
                          "(--db)")


def _same_intent(order: Order, intent: OrderIntent) -> None:
    stored = {k: getattr(order, k) for k in _INTENT_FIELDS}
    diff = [k for k in _INTENT_FIELDS if stored[k] != getattr(intent, k)]
    if diff:
        k = diff[0]
        raise BrokerError(f"client_order_id {intent.client_order_id!r} is already journaled with {k}="
                          f"{stored[k]!r}, now {getattr(intent, k)!r}; a client id names exactly one order: "
                          "derive ids from strategy, symbol, bar time and intent")


def _changes(order: Order, new: OrderState, broker_status: str | None, broker_order_id: str | None,
             filled_qty: float | None, filled_avg_price: float | None, reason: str | None) -> dict[str, Any]:
    """The columns of *order* that this update changes (filled quantity never decreases)."""
    changes: dict[str, Any] = {}
    if broker_order_id and order.broker_order_id is None:
        changes["broker_order_id"] = str(broker_order_id)
    if broker_status and broker_status != order.broker_status:
        changes["broker_status"] = broker_status
    if filled_qty is not None and float(filled_qty) > order.filled_qty:
        changes["filled_qty"] = float(filled_qty)
        if filled_avg_price is not None:
            changes["filled_avg_price"] = float(filled_avg_price)
    if reason and reason != order.reason:
        changes["reason"] = str(reason)
    return changes


def _insert_ignore(session: Session, model: type, values: dict[str, Any], key: str) -> bool:
    """INSERT unless a row with the same unique *key* exists (race-free on SQLite and PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    table = model.__table__
    statement = insert(table).values(**values).on_conflict_do_nothing(index_elements=[key])
    statement = statement.returning(table.c.id)
    return session.connection().execute(statement).first() is not None


def _risk(row: Risk) -> RiskState:
    return RiskState(high_water_mark=row.high_water_mark, last_equity=row.last_equity, tripped=row.tripped,
                     tripped_at=row.tripped_at, tripped_reason=row.tripped_reason, day=row.day,
                     day_start_equity=row.day_start_equity, daily_blocked=row.daily_blocked)


def _store_risk(row: Risk, state: RiskState, at: datetime) -> None:
    row.high_water_mark = None if state.high_water_mark is None else float(state.high_water_mark)
    row.last_equity = None if state.last_equity is None else float(state.last_equity)
    row.tripped, row.tripped_reason = bool(state.tripped), state.tripped_reason
    row.tripped_at = None if state.tripped_at is None else utc(state.tripped_at, "tripped_at")
    row.day, row.daily_blocked = state.day, bool(state.daily_blocked)
    row.day_start_equity = None if state.day_start_equity is None else float(state.day_start_equity)
    row.updated_at = at


def _broker_status(status: Any) -> str | None:
    """The broker's own status text (``"accepted"``), or None when *status* is a journal state."""
    if isinstance(status, OrderState):
        return None
    text = str(getattr(status, "value", status))
    return None if text in OrderState.__members__ else text.lower()


def _driver_message(exc: Exception, url: str) -> str:
    """The driver's first message line, with the URL's password (if any) masked."""
    from sqlalchemy.engine import make_url

    lines = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    text = lines[0] if lines else type(exc).__name__
    password = make_url(url).password
    return text.replace(str(password), "***") if password else text
