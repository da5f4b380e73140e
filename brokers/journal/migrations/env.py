"""Alembic environment of the journal. Run programmatically by ``tradeforge.brokers.journal._migrate``,
which passes an open connection in ``config.attributes["connection"]`` (no alembic.ini, no logging setup).
For development, ``alembic -x url=sqlite:///runs/journal/x.db`` with a config naming this folder also works.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from tradeforge.brokers.journal._models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: sa.Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, compare_type=True,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
