"""The journal's tables (SQLAlchemy 2 declarative models). The Alembic migrations in ``migrations/versions``
create exactly this schema; a test compares the two.

Every time is stored in UTC (``timestamptz`` on PostgreSQL, naive UTC text on SQLite) and read back aware.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

__all__ = ["Base", "UTCDateTime", "Meta", "Order", "OrderEvent", "Fill", "PositionSnapshot", "Position",
           "EquitySnapshot", "Signal", "ModelDecision", "Risk", "RiskEvent", "NAMING", "STATE_CHECK"]

NAMING = {"ix": "ix_%(column_0_label)s", "uq": "uq_%(table_name)s_%(column_0_name)s",
          "ck": "ck_%(table_name)s_%(constraint_name)s",
          "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s", "pk": "pk_%(table_name)s"}
STATE_CHECK = ("state IN ('NEW', 'SUBMITTED', 'PARTIALLY_FILLED', 'FILLED', 'CANCELED', 'REJECTED', "
               "'EXPIRED', 'UNKNOWN', 'REFUSED')")


class UTCDateTime(TypeDecorator):
    """An aware UTC datetime: naive input is taken as UTC, output is always aware UTC."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        to_py = getattr(value, "to_pydatetime", None)
        value = to_py() if to_py is not None else value
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), float: sa.Float(), date: sa.Date()}


class Meta(Base):
    """One row: which account and mode this journal belongs to, and reconciliation bookkeeping."""

    __tablename__ = "journal_meta"
    id: Mapped[int] = mapped_column(primary_key=True)
    account: Mapped[str] = mapped_column(sa.String(64))
    mode: Mapped[str] = mapped_column(sa.String(8))
    created_at: Mapped[datetime]
    last_event_at: Mapped[datetime | None]


class Order(Base):
    """The intent (written before the order is sent) and the order's latest known state."""

    __tablename__ = "orders"
    __table_args__ = (sa.CheckConstraint(STATE_CHECK, name="state"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    client_order_id: Mapped[str] = mapped_column(sa.String(64), unique=True)
    strategy: Mapped[str] = mapped_column(sa.String(128))
    symbol: Mapped[str] = mapped_column(sa.String(32), index=True)
    side: Mapped[str] = mapped_column(sa.String(4))
    qty: Mapped[float]
    order_type: Mapped[str] = mapped_column(sa.String(16))
    limit_price: Mapped[float | None]
    stop_price: Mapped[float | None]
    take_profit: Mapped[float | None]
    stop_loss: Mapped[float | None]
    bar_time: Mapped[datetime | None]
    intent: Mapped[str] = mapped_column(sa.String(64))
    parent_client_order_id: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(sa.String(16), index=True)
    broker_order_id: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    broker_status: Mapped[str | None] = mapped_column(sa.String(32))
    filled_qty: Mapped[float] = mapped_column(default=0.0)
    filled_avg_price: Mapped[float | None]
    reason: Mapped[str | None] = mapped_column(sa.Text)
    updated_at: Mapped[datetime]


class OrderEvent(Base):
    """Every state change of an order, in the order the journal learned them."""

    __tablename__ = "order_events"
    __table_args__ = (sa.CheckConstraint(STATE_CHECK, name="state"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id"), index=True)
    at: Mapped[datetime]
    state: Mapped[str] = mapped_column(sa.String(16))
    broker_status: Mapped[str | None] = mapped_column(sa.String(32))
    filled_qty: Mapped[float | None]
    filled_avg_price: Mapped[float | None]
    detail: Mapped[str | None] = mapped_column(sa.Text)


class Fill(Base):
    """One execution; ``execution_id`` is unique, so a fill seen twice (stream + REST) is stored once."""

    __tablename__ = "fills"
    id: Mapped[int] = mapped_column(primary_key=True)
    execution_id: Mapped[str] = mapped_column(sa.String(64), unique=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id"), index=True)
    qty: Mapped[float]
    price: Mapped[float]
    at: Mapped[datetime] = mapped_column(index=True)


class PositionSnapshot(Base):
    """A point-in-time set of positions (no position rows: flat)."""

    __tablename__ = "position_snapshots"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]


class Position(Base):
    __tablename__ = "positions"
    id: Mapped[int] = mapped_column(primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(sa.ForeignKey("position_snapshots.id"), index=True)
    symbol: Mapped[str] = mapped_column(sa.String(32))
    qty: Mapped[float]
    avg_price: Mapped[float | None]


class EquitySnapshot(Base):
    __tablename__ = "equity_snapshots"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    equity: Mapped[float]
    cash: Mapped[float | None]


class Signal(Base):
    """A strategy decision with its confidence and a JSON payload (features, probabilities, ...)."""

    __tablename__ = "signals"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    symbol: Mapped[str] = mapped_column(sa.String(32))
    decision: Mapped[str] = mapped_column(sa.String(32))
    confidence: Mapped[float | None]
    payload: Mapped[dict[str, Any]] = mapped_column(sa.JSON)


class ModelDecision(Base):
    """A champion / challenger decision of a retrain: both versions, both score sets, the verdict."""

    __tablename__ = "model_decisions"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    promoted: Mapped[bool] = mapped_column(sa.Boolean)
    challenger: Mapped[str] = mapped_column(sa.String(64))
    champion: Mapped[str | None] = mapped_column(sa.String(64))
    challenger_scores: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    champion_scores: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    holdout_start: Mapped[datetime | None]
    reason: Mapped[str] = mapped_column(sa.Text)


class Risk(Base):
    """One row: the latching risk state (kill switch, daily loss limit)."""

    __tablename__ = "risk_state"
    id: Mapped[int] = mapped_column(primary_key=True)
    high_water_mark: Mapped[float | None]
    last_equity: Mapped[float | None]
    tripped: Mapped[bool] = mapped_column(sa.Boolean)
    tripped_at: Mapped[datetime | None]
    tripped_reason: Mapped[str | None] = mapped_column(sa.Text)
    day: Mapped[date | None]
    day_start_equity: Mapped[float | None]
    daily_blocked: Mapped[bool] = mapped_column(sa.Boolean)
    updated_at: Mapped[datetime]


class RiskEvent(Base):
    """Audit trail of the risk latches: each trip, daily block and unlock."""

    __tablename__ = "risk_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(sa.String(16))
    detail: Mapped[str | None] = mapped_column(sa.Text)
