"""``tradeforge status``, ``report --journal`` and ``unlock`` on a journal written through the Journal API:
known positions, orders, round trips and risk latches in, the same report files as a backtest out, and
user mistakes as one line with exit code 2."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from click.testing import CliRunner

from tradeforge.brokers.journal import Journal, OrderIntent, RiskState
from tradeforge.engine.cli import main
from tradeforge.engine.report import compute_metrics

T0 = datetime(2024, 1, 2, 14, 30, tzinfo=UTC)
ACCOUNT = "PA1TEST0001"
# (client id, symbol, side, fills as (qty, price, day, hour)); round trips: SPY +50, QQQ +140, IWM short +10
PLAN = [
    ("o1", "SPY", "buy", [(10, 100.0, 0, 1)]),
    ("o2", "SPY", "sell", [(10, 105.0, 1, 2)]),
    ("o3", "QQQ", "buy", [(4, 200.0, 1, 3), (6, 210.0, 1, 4)]),
    ("o4", "QQQ", "sell", [(10, 220.0, 2, 1)]),
    ("o5", "IWM", "sell", [(5, 50.0, 2, 2)]),
    ("o6", "IWM", "buy", [(10, 48.0, 3, 1)]),  # covers the short and opens a long of 5
]


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return T0 + timedelta(days=day, hours=hour, minutes=minute)


def _equity(day: int, hour: int) -> float:
    return 100_000.0 + 100 * day + 10 * hour - (300 if day == 2 else 0)


def build_journal(path, tripped: bool = True) -> None:
    with Journal.open(path, account=ACCOUNT, mode="paper") as j:
        execution = 0
        for cid, symbol, side, fills in PLAN:
            qty = sum(f[0] for f in fills)
            j.record_intent(OrderIntent(cid, "sma_cross", symbol, side, qty, bar_time=_at(fills[0][2], 0),
                                        intent="entry", created_at=_at(fills[0][2], fills[0][3])))
            j.mark_submitted(cid, f"b-{cid}", "accepted", _at(fills[0][2], fills[0][3]))
            for q, price, day, hour in fills:
                execution += 1
                j.record_fill(cid, f"e{execution}", q, price, _at(day, hour, 1))
            j.update_order(cid, status="filled", at=_at(fills[-1][2], fills[-1][3], 1), filled_qty=qty)
        j.record_intent(OrderIntent("o7", "sma_cross", "SPY", "buy", 3, order_type="limit", limit_price=90.0,
                                    bar_time=_at(3, 0)))
        j.mark_submitted("o7", "b-o7", "new", _at(3, 2))
        j.record_refusal(OrderIntent("o8", "sma_cross", "TSLA", "buy", 100, bar_time=_at(3, 0),
                                     created_at=_at(3, 3)), "max position size 10% exceeded")
        for day in range(5):
            for hour in range(7):
                j.record_equity(_at(day, hour), _equity(day, hour), 50_000.0)
        j.snapshot_positions({"IWM": (5, 48.0)}, _at(4, 6))
        if tripped:
            j.save_risk_state(RiskState(high_water_mark=100_500.0, tripped=True, tripped_at=_at(4, 3),
                                        tripped_reason="drawdown 5.1% > 5%", day=_at(4, 0).date(),
                                        day_start_equity=100_400.0, daily_blocked=True))
        j.set_last_event_at(_at(4, 6))


@pytest.fixture(scope="module")
def journal_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("journal") / f"{ACCOUNT}-paper.db"
    build_journal(path)
    return path


@pytest.fixture()
def runner() -> CliRunner:
    return CliRunner()


def _one_line_error(result, message: str) -> None:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tradeforge: error: ") and message in lines[0], lines


def test_status_shows_positions_orders_pnl_and_kill_switch(runner, journal_file):
    result = runner.invoke(main, ["status", "--db", str(journal_file)])
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert f"account {ACCOUNT}, paper" in out
    assert "equity       100,460.00 (cash 50,000.00)" in out
    assert "P&L          +460.00 (+0.46%)" in out and "today +60.00" in out  # vs day_start_equity 100,400
    assert "TRIPPED at 2024-01-06T17:30:00+00:00: drawdown 5.1% > 5%" in out
    assert "BLOCKED for 2024-01-06" in out
    assert "IWM" in out and "avg 48.00" in out
    assert "open orders  1" in out and "o7" in out and "SUBMITTED (new)" in out and "o8" not in out


def test_status_json(runner, journal_file):
    result = runner.invoke(main, ["status", "--json", "--journal", str(journal_file), "--mode", "paper"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["positions"] == {"IWM": {"qty": 5.0, "avg_price": 48.0}}
    assert [o["client_order_id"] for o in data["open_orders"]] == ["o7"]
    assert data["pnl"]["equity"] == 100_460.0 and data["pnl"]["pnl"] == 460.0
    assert data["pnl"]["drawdown"] == pytest.approx(100_460.0 / 100_500.0 - 1)
    assert data["kill_switch"]["tripped"] and data["kill_switch"]["daily_blocked"]
    assert data["last_event_at"] == "2024-01-06T20:30:00+00:00"


def test_status_finds_the_default_journal_of_an_account(runner, journal_file):
    root = str(journal_file.parent)
    result = runner.invoke(main, ["status", "--account", ACCOUNT, "--root", root])
    assert result.exit_code == 0 and "open orders  1" in result.stdout
    result = runner.invoke(main, ["status", "--root", root])  # the only journal there
    assert result.exit_code == 0 and f"account {ACCOUNT}" in result.stdout


def test_report_writes_the_backtest_report_files(runner, journal_file, tmp_path):
    out = tmp_path / "report"
    result = runner.invoke(main, ["report", "--journal", str(journal_file), "--out", str(out), "--json"])
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["equity.csv", "equity.png", "metrics.json", "orders.csv",
                                                      "tearsheet.html", "trades.csv"]
    metrics = json.loads(result.stdout)
    assert json.loads((out / "metrics.json").read_text()) == metrics
    assert metrics["n_trades"] == 3 and metrics["win_rate"] == 1.0 and metrics["bars"] == 35
    assert metrics["final_value"] == 100_460.0 and metrics["total_return"] == pytest.approx(0.0046)
    equity = pd.Series([_equity(d, h) for d in range(5) for h in range(7)],
                       index=pd.DatetimeIndex([_at(d, h) for d in range(5) for h in range(7)]))
    expected = compute_metrics(equity, pd.DataFrame({"pnlcomm": [50.0, 140.0, 10.0]}), metrics["exposure"])
    assert metrics.pop("ratios") == expected.pop("ratios")  # what each ratio is measured on (1h bars)
    assert metrics == pytest.approx(expected, nan_ok=True)
    trades = pd.read_csv(out / "trades.csv")
    assert trades[["symbol", "size", "entry_price", "exit_price", "pnl"]].values.tolist() == [
        ["SPY", 10.0, 100.0, 105.0, 50.0], ["QQQ", 10.0, 206.0, 220.0, 140.0],
        ["IWM", -5.0, 50.0, 48.0, 10.0]]
    orders = pd.read_csv(out / "orders.csv")
    assert orders["client_order_id"].tolist() == ["o1", "o2", "o3", "o4", "o5", "o6", "o8"]
    assert orders["status"].tolist() == ["Completed"] * 6 + ["Refused"]
    assert orders["size"].tolist()[:6] == [10.0, -10.0, 10.0, -10.0, -5.0, 10.0]
    eq = pd.read_csv(out / "equity.csv")
    assert list(eq.columns) == ["datetime", "equity", "exposed"] and len(eq) == 35
    assert "<html" in (out / "tearsheet.html").read_text()[:2000].lower()


def test_report_default_out_and_summary(runner, journal_file, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(main, ["report", "--db", str(journal_file), "--no-tearsheet"])
    assert result.exit_code == 0, result.stderr
    assert "n_trades  3" in result.stdout
    assert (tmp_path / "runs" / f"report-{ACCOUNT}-paper" / "trades.csv").is_file()
    assert not (tmp_path / "runs" / f"report-{ACCOUNT}-paper" / "tearsheet.html").exists()


def test_unlock_needs_the_typed_account_number(runner, tmp_path):
    path = tmp_path / "j.db"
    build_journal(path)
    result = runner.invoke(main, ["unlock", "--db", str(path)], input="PA1TEST0002\n")
    _one_line_error(result, "confirmation: typed 'PA1TEST0002', expected the account number 'PA1TEST0001'")
    with Journal.open(path, mode=None, create=False) as j:
        assert j.risk_state().tripped and j.risk_state().daily_blocked
    result = runner.invoke(main, ["unlock", "--db", str(path)], input=f"{ACCOUNT}\n")
    assert result.exit_code == 0, result.stderr
    assert "kill switch TRIPPED" in result.stdout and "unlocked PA1TEST0001 (paper)" in result.stdout
    with Journal.open(path, mode=None, create=False) as j:
        state = j.risk_state()
        assert not state.latched and state.high_water_mark == 100_460.0
        assert [e["kind"] for e in j.risk_events()][-1] == "unlock"
    result = runner.invoke(main, ["unlock", "--db", str(path)])
    assert result.exit_code == 0 and "nothing to unlock" in result.stdout


def test_unlock_yes_for_scripts(runner, tmp_path):
    path = tmp_path / "j.db"
    build_journal(path)
    result = runner.invoke(main, ["unlock", "--db", str(path), "--yes"])
    assert result.exit_code == 0 and "unlocked" in result.stdout and "Type the account" not in result.stdout
    with Journal.open(path, mode=None, create=False) as j:
        assert not j.risk_state().latched


def test_user_errors_are_one_line_exit_2(runner, journal_file, tmp_path):
    missing = tmp_path / "missing.db"
    for command in ("status", "report", "unlock"):
        _one_line_error(runner.invoke(main, [command, "--db", str(missing)]), "no such journal")
    assert not missing.exists()
    corrupt = tmp_path / "corrupt.db"
    corrupt.write_bytes(b"\x00garbage" * 400)
    _one_line_error(runner.invoke(main, ["status", "--db", str(corrupt)]), "file is not a database")
    _one_line_error(runner.invoke(main, ["report", "--journal", str(corrupt)]), "file is not a database")
    _one_line_error(runner.invoke(main, ["status", "--db", str(journal_file), "--mode", "live"]),
                    "a paper journal is never reused for live")
    _one_line_error(runner.invoke(main, ["unlock", "--db", str(journal_file), "--mode", "live", "--yes"]),
                    "opened for mode 'live'")
    _one_line_error(runner.invoke(main, ["status", "--root", str(tmp_path / "none")]), "0 journals under")
    plain = tmp_path / "plain.db"
    sqlite3.connect(plain).close()
    _one_line_error(runner.invoke(main, ["status", "--db", str(plain)]), "not a tradeforge journal")
    empty = tmp_path / "empty.db"
    Journal.open(empty, account=ACCOUNT, mode="paper").close()
    _one_line_error(runner.invoke(main, ["report", "--db", str(empty)]), "no equity recorded yet")


def test_the_commands_import_nothing_heavy():
    code = ("import sys; from tradeforge.engine.cli import main; "
            "print([m for m in ('sqlalchemy', 'alembic', 'pandas', 'quantstats') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.fixture()
def pg_journal_url():
    """A journal URL on the PostgreSQL server of TRADEFORGE_TEST_PG_URL, in a schema of its own."""
    import os
    import uuid
    from urllib.parse import quote

    import sqlalchemy as sa

    base = os.environ.get("TRADEFORGE_TEST_PG_URL")
    if not base:
        pytest.skip("no PostgreSQL server: set TRADEFORGE_TEST_PG_URL, .ci/run starts one")
    base = base.replace("postgresql://", "postgresql+psycopg://", 1)
    schema = f"tfcli_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base, poolclass=sa.pool.NullPool)
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    yield f"{base}{'&' if '?' in base else '?'}options={quote(f'-csearch_path={schema}')}"
    with admin.begin() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    admin.dispose()


def test_status_and_errors_on_postgresql_mask_the_password(runner, pg_journal_url):
    from sqlalchemy.engine import make_url

    password = make_url(pg_journal_url).password
    build_journal(pg_journal_url, tripped=False)
    result = runner.invoke(main, ["status", "--db", pg_journal_url])
    assert result.exit_code == 0, result.stderr
    assert "open orders  1" in result.stdout and "kill switch  ok" in result.stdout
    result = runner.invoke(main, ["status", "--db", pg_journal_url, "--mode", "live"])
    _one_line_error(result, "a paper journal is never reused for live")
    assert password and f":{password}@" not in result.output and ":***@" in result.stderr
