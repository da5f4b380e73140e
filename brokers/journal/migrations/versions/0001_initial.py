"""journal: initial schema (meta, orders + events, fills, positions, equity, signals, risk)

Revision ID: 0001
Revises:
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

STATE_CHECK = ("state IN ('NEW', 'SUBMITTED', 'PARTIALLY_FILLED', 'FILLED', 'CANCELED', 'REJECTED', "
               "'EXPIRED', 'UNKNOWN', 'REFUSED')")


def _time(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _float(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.Float(), nullable=nullable)


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer(), nullable=False)


def upgrade() -> None:
    op.create_table(
        "journal_meta", _id(),
        sa.Column("account", sa.String(64), nullable=False), sa.Column("mode", sa.String(8), nullable=False),
        _time("created_at"), _time("last_event_at", True),
        sa.PrimaryKeyConstraint("id", name="pk_journal_meta"))
    op.create_table(
        "orders", _id(),
        sa.Column("client_order_id", sa.String(64), nullable=False),
        sa.Column("strategy", sa.String(128), nullable=False),
        sa.Column("symbol", sa.String(32), nullable=False),
        sa.Column("side", sa.String(4), nullable=False), _float("qty", False),
        sa.Column("order_type", sa.String(16), nullable=False),
        _float("limit_price"), _float("stop_price"), _float("take_profit"), _float("stop_loss"),
        _time("bar_time", True), sa.Column("intent", sa.String(64), nullable=False),
        sa.Column("parent_client_order_id", sa.String(64), nullable=True), _time("created_at"),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("broker_order_id", sa.String(64), nullable=True),
        sa.Column("broker_status", sa.String(32), nullable=True),
        _float("filled_qty", False), _float("filled_avg_price"),
        sa.Column("reason", sa.Text(), nullable=True),
        _time("updated_at"),
        sa.CheckConstraint(STATE_CHECK, name="ck_orders_state"),
        sa.PrimaryKeyConstraint("id", name="pk_orders"),
        sa.UniqueConstraint("client_order_id", name="uq_orders_client_order_id"))
    op.create_index("ix_orders_symbol", "orders", ["symbol"])
    op.create_index("ix_orders_state", "orders", ["state"])
    op.create_index("ix_orders_broker_order_id", "orders", ["broker_order_id"])
    op.create_table(
        "order_events", _id(),
        sa.Column("order_id", sa.Integer(), nullable=False), _time("at"),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("broker_status", sa.String(32), nullable=True),
        _float("filled_qty"), _float("filled_avg_price"), sa.Column("detail", sa.Text(), nullable=True),
        sa.CheckConstraint(STATE_CHECK, name="ck_order_events_state"),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name="fk_order_events_order_id_orders"),
        sa.PrimaryKeyConstraint("id", name="pk_order_events"))
    op.create_index("ix_order_events_order_id", "order_events", ["order_id"])
    op.create_table(
        "fills", _id(),
        sa.Column("execution_id", sa.String(64), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False), _float("qty", False), _float("price", False),
        _time("at"),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name="fk_fills_order_id_orders"),
        sa.PrimaryKeyConstraint("id", name="pk_fills"),
        sa.UniqueConstraint("execution_id", name="uq_fills_execution_id"))
    op.create_index("ix_fills_order_id", "fills", ["order_id"])
    op.create_index("ix_fills_at", "fills", ["at"])
    op.create_table(
        "position_snapshots", _id(), _time("at"),
        sa.PrimaryKeyConstraint("id", name="pk_position_snapshots"))
    op.create_table(
        "positions", _id(),
        sa.Column("snapshot_id", sa.Integer(), nullable=False),
        sa.Column("symbol", sa.String(32), nullable=False),
        _float("qty", False), _float("avg_price"),
        sa.ForeignKeyConstraint(["snapshot_id"], ["position_snapshots.id"],
                                name="fk_positions_snapshot_id_position_snapshots"),
        sa.PrimaryKeyConstraint("id", name="pk_positions"))
    op.create_index("ix_positions_snapshot_id", "positions", ["snapshot_id"])
    op.create_table(
        "equity_snapshots", _id(), _time("at"), _float("equity", False), _float("cash"),
        sa.PrimaryKeyConstraint("id", name="pk_equity_snapshots"))
    op.create_index("ix_equity_snapshots_at", "equity_snapshots", ["at"])
    op.create_table(
        "signals", _id(), _time("at"), sa.Column("symbol", sa.String(32), nullable=False),
        sa.Column("decision", sa.String(32), nullable=False), _float("confidence"),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_signals"))
    op.create_index("ix_signals_at", "signals", ["at"])
    op.create_table(
        "risk_state", _id(), _float("high_water_mark"),
        sa.Column("tripped", sa.Boolean(), nullable=False), _time("tripped_at", True),
        sa.Column("tripped_reason", sa.Text(), nullable=True), sa.Column("day", sa.Date(), nullable=True),
        _float("day_start_equity"), sa.Column("daily_blocked", sa.Boolean(), nullable=False),
        _time("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_risk_state"))
    op.create_table(
        "risk_events", _id(), _time("at"), sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_risk_events"))


def downgrade() -> None:
    for index, table in (("ix_signals_at", "signals"), ("ix_equity_snapshots_at", "equity_snapshots"),
                         ("ix_positions_snapshot_id", "positions"), ("ix_fills_at", "fills"),
                         ("ix_fills_order_id", "fills"), ("ix_order_events_order_id", "order_events"),
                         ("ix_orders_broker_order_id", "orders"), ("ix_orders_state", "orders"),
                         ("ix_orders_symbol", "orders")):
        op.drop_index(index, table_name=table)
    for table in ("risk_events", "risk_state", "signals", "equity_snapshots", "positions",
                  "position_snapshots", "fills", "order_events", "orders", "journal_meta"):
        op.drop_table(table)
