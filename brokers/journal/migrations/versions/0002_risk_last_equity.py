"""journal: risk_state.last_equity (the equity at the last bar: the next day's start after a restart)

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("risk_state") as batch:
        batch.add_column(sa.Column("last_equity", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("risk_state") as batch:
        batch.drop_column("last_equity")
