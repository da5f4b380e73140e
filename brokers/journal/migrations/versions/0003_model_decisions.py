"""journal: model_decisions (the nightly retrain's champion / challenger decisions, formerly signal rows)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "model_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("promoted", sa.Boolean(), nullable=False),
        sa.Column("challenger", sa.String(64), nullable=False),
        sa.Column("champion", sa.String(64), nullable=True),
        sa.Column("challenger_scores", sa.JSON(), nullable=False),
        sa.Column("champion_scores", sa.JSON(), nullable=True),
        sa.Column("holdout_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_model_decisions"))
    op.create_index("ix_model_decisions_at", "model_decisions", ["at"])


def downgrade() -> None:
    op.drop_index("ix_model_decisions_at", table_name="model_decisions")
    op.drop_table("model_decisions")
