"""The Alembic migrations shipped inside the package create exactly the models' schema, are applied on open
without any alembic.ini, and are plain package data."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from tradeforge.brokers.journal import Journal, _engine
from tradeforge.brokers.journal._models import Base
from tradeforge.errors import ConfigError


def _diff(url: str, metadata: sa.MetaData = Base.metadata) -> list:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True,
                                                             "compare_server_default": True})
            return compare_metadata(context, metadata)
    finally:
        engine.dispose()


def test_models_and_migrations_agree(db_url):
    Journal.open(db_url, account="PA1TEST0001", mode="paper").close()
    assert _diff(db_url) == []
    engine = sa.create_engine(db_url, poolclass=sa.pool.NullPool)
    assert _engine.current_revision(engine) == _engine.HEAD
    tables = set(sa.inspect(engine).get_table_names())
    engine.dispose()
    assert {"journal_meta", "orders", "order_events", "fills", "position_snapshots", "positions",
            "equity_snapshots", "signals", "model_decisions", "risk_state", "risk_events",
            "alembic_version"} <= tables


def test_a_changed_model_would_be_detected(db_url):
    Journal.open(db_url, account="PA1TEST0001", mode="paper").close()
    changed = sa.MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.sorted_tables:
        table.to_metadata(changed)
    changed.tables["orders"].append_column(sa.Column("extra", sa.Integer()))
    diff = _diff(db_url, changed)
    assert [d[0] for d in diff] == ["add_column"] and diff[0][3].name == "extra"


def test_reopening_migrates_nothing_and_keeps_data(db_url):
    from tradeforge.brokers.journal import OrderIntent

    with Journal.open(db_url, account="PA1TEST0001", mode="paper") as j:
        j.record_intent(OrderIntent("c1", "s", "SPY", "buy", 1))
    with Journal.open(db_url, account="PA1TEST0001", mode="paper") as j:
        assert [r.client_order_id for r in j.orders()] == ["c1"]


def test_an_old_journal_is_upgraded_in_place(db_url):
    from alembic import command

    engine = sa.create_engine(db_url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        command.upgrade(_engine._config(conn), "0001")
        conn.exec_driver_sql("INSERT INTO journal_meta (id, account, mode, created_at) "
                             "VALUES (1, 'PA1TEST0001', 'paper', '2024-01-02 14:30:00')")
        conn.exec_driver_sql("INSERT INTO risk_state (id, high_water_mark, tripped, tripped_reason, "
                             "daily_blocked, updated_at) VALUES (1, 105000.0, true, 'drawdown', false, "
                             "'2024-01-02 15:00:00')")
    assert _engine.current_revision(engine) == "0001"
    with Journal.open(db_url, account="PA1TEST0001", mode="paper") as j:
        state = j.risk_state()
    assert _engine.current_revision(engine) == _engine.HEAD
    engine.dispose()
    assert (state.high_water_mark, state.tripped, state.tripped_reason, state.last_equity) == (
        105_000.0, True, "drawdown", None)
    assert _diff(db_url) == []


def test_a_0002_journal_gains_the_model_decisions_table_and_keeps_its_signals(db_url):
    from alembic import command

    engine = sa.create_engine(db_url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        command.upgrade(_engine._config(conn), "0002")
        conn.exec_driver_sql("INSERT INTO journal_meta (id, account, mode, created_at) "
                             "VALUES (1, 'PA1TEST0001', 'paper', '2024-01-02 14:30:00')")
        conn.exec_driver_sql("INSERT INTO signals (at, symbol, decision, confidence, payload) "
                             "VALUES ('2024-01-02 15:00:00', 'SPY', 'buy', 0.7, '{}')")
    assert "model_decisions" not in sa.inspect(engine).get_table_names()
    with Journal.open(db_url, account="PA1TEST0001", mode="paper") as j:
        assert j.model_decisions_frame().empty and len(j.signals_frame()) == 1
    assert _engine.current_revision(engine) == "0003" == _engine.HEAD
    engine.dispose()
    assert _diff(db_url) == []


def test_0003_downgrades_cleanly(db_url):
    from alembic import command

    Journal.open(db_url, account="PA1TEST0001", mode="paper").close()
    engine = sa.create_engine(db_url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        command.downgrade(_engine._config(conn), "0002")
    assert "model_decisions" not in sa.inspect(engine).get_table_names()
    assert _engine.current_revision(engine) == "0002"
    engine.dispose()


def test_a_newer_schema_is_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 'j.db'}"
    Journal.open(url, account="PA1TEST0001", mode="paper").close()
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    engine.dispose()
    with pytest.raises(ConfigError, match="written by a newer tradeforge"):
        Journal.open(url, account="PA1TEST0001", mode="paper")


def test_migrations_are_plain_package_data():
    folder = _engine.MIGRATIONS
    assert (folder / "env.py").is_file() and (folder / "script.py.mako").is_file()
    versions = sorted(p.name for p in (folder / "versions").glob("*.py"))
    assert versions == ["0001_initial.py", "0002_risk_last_equity.py", "0003_model_decisions.py"]
    assert not (folder / "__init__.py").exists() and not (folder / "versions" / "__init__.py").exists()
    assert not list(Path(folder).rglob("alembic.ini"))
