"""Journal fixtures: every API test runs on SQLite and on a real PostgreSQL server.

PostgreSQL comes from ``TRADEFORGE_TEST_PG_URL`` (``.ci/run`` installs Debian's server, starts it and sets
it); the tests never start a server themselves. Each test gets a schema of its own, dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from urllib.parse import quote

import pytest

PG_ENV = "TRADEFORGE_TEST_PG_URL"
PG_SKIP = f"no PostgreSQL server: set {PG_ENV}, .ci/run starts one"


def _pg_base() -> str:
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(PG_SKIP)
    if url.startswith("postgresql://"):
        return url.replace("postgresql://", "postgresql+psycopg://", 1)
    return url


@pytest.fixture()
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh, empty schema (dropped after the test)."""
    import sqlalchemy as sa

    base = _pg_base()
    schema = f"tfj_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base, poolclass=sa.pool.NullPool)
    try:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    except sa.exc.OperationalError as exc:
        pytest.fail(f"{PG_ENV} is set but the server cannot be reached: {str(exc.orig).splitlines()[0]}")
    sep = "&" if "?" in base else "?"
    yield f"{base}{sep}options={quote(f'-csearch_path={schema}')}"
    with admin.begin() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> str:
    """A journal URL on each backend (a fresh SQLite file, or a fresh PostgreSQL schema)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'journal.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture()
def open_journal(db_url) -> Iterator[Callable]:
    """``open_journal(**kw)`` opens the test's journal (account PA1TEST0001, paper unless told); every
    journal opened is closed at the end."""
    from tradeforge.brokers.journal import Journal

    opened = []

    def _open(**kw):
        kw.setdefault("account", "PA1TEST0001")
        kw.setdefault("mode", "paper")
        journal = Journal.open(db_url, **kw)
        opened.append(journal)
        return journal

    yield _open
    for journal in opened:
        journal.close()
