"""Journals under stress: two Journal objects writing one database at once (SQLite and PostgreSQL), a
SQLite writer killed with SIGKILL at random points (nothing it reported done is lost, the file opens
cleanly), concurrent first opens, broken files."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from tradeforge.brokers.journal import Journal, OrderIntent, OrderState
from tradeforge.errors import ConfigError

ACCOUNT = "PA1TEST0001"

WRITER = textwrap.dedent("""
    import sys
    from datetime import datetime, timedelta, timezone
    from tradeforge.brokers.journal import Journal, OrderIntent
    path, start = sys.argv[1], int(sys.argv[2])
    j = Journal.open(path, account="PA1TEST0001", mode="paper")
    t0 = datetime(2024, 1, 2, 14, 30, tzinfo=timezone.utc)
    print("ready", flush=True)
    for i in range(start, start + 100000):
        cid = f"kill-{i}"
        at = t0 + timedelta(minutes=i)
        j.record_intent(OrderIntent(cid, "sma_cross", "SPY", "buy", 1 + i % 7, bar_time=at, intent="entry"))
        j.mark_submitted(cid, f"broker-{i}", "accepted", at)
        j.record_fill(cid, f"exec-{i}", 1 + i % 7, 100.0 + i, at)
        j.record_equity(at, 100000.0 + i)
        print(cid, flush=True)
""")


def _intent(cid: str) -> OrderIntent:
    return OrderIntent(cid, "sma_cross", "SPY", "buy", 1)


def test_two_journals_on_one_database_write_concurrently(open_journal):
    a, b = open_journal(), open_journal()
    won: dict[str, list[bool]] = {"a": [], "b": []}
    errors: list[BaseException] = []

    def work(name: str, journal: Journal) -> None:
        try:
            for i in range(40):
                journal.record_intent(_intent(f"{name}-{i}"))
                journal.record_intent(_intent(f"both-{i}"))  # the same intent from both: one row
                won[name].append(journal.record_fill(f"both-{i}", f"exec-both-{i}", 1, 10.0, "2024-01-02"))
                journal.update_order(f"{name}-{i}", status="accepted", at="2024-01-02")
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n, j)) for n, j in (("a", a), ("b", b))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    rows = a.orders()
    assert len(rows) == 120 and len({r.client_order_id for r in rows}) == 120
    assert [x or y for x, y in zip(won["a"], won["b"], strict=True)] == [True] * 40
    assert not any(x and y for x, y in zip(won["a"], won["b"], strict=True))  # each fill stored once
    assert len(b.fills_frame()) == 40
    assert {r.state for r in b.orders() if not r.client_order_id.startswith("both")} == {OrderState.SUBMITTED}


def _read_ids(proc: subprocess.Popen, count: int) -> list[str]:
    done = []
    while len(done) < count:
        line = proc.stdout.readline()
        if not line:
            raise AssertionError(f"writer died early: {proc.stderr.read()}")
        if line.strip() != "ready":
            done.append(line.strip())
    return done


def test_kill_9_loses_nothing_that_was_committed(tmp_path):
    path = tmp_path / "killed.db"
    rng = random.Random(9)
    reported: list[str] = []
    for round_ in range(3):  # each round's ids start afresh: an unreported in-flight order may remain
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(1000 * round_)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=os.environ.copy())
        try:
            reported += _read_ids(proc, rng.randint(5, 25))
            time.sleep(rng.uniform(0.0, 0.05))  # land anywhere in the next call
        finally:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(30)
            proc.stdout.close()
            proc.stderr.close()
        with sqlite3.connect(path) as raw:
            assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        with Journal.open(path, account=ACCOUNT, mode="paper") as j:
            rows = {r.client_order_id: r for r in j.orders()}
            missing = [cid for cid in reported if cid not in rows]
            assert missing == []
            for cid in reported:
                assert rows[cid].state == OrderState.SUBMITTED and rows[cid].filled_qty > 0
            fills = set(j.fills_frame()["client_order_id"])
            assert set(reported) <= fills
            assert len(j.equity_frame()) >= len(reported)
    assert len(reported) >= 15


def test_corrupt_and_missing_files_are_user_errors(tmp_path):
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not sqlite" * 500)
    with pytest.raises(ConfigError, match=r"bad.db: cannot open it \(file is not a database\)"):
        Journal.open(bad, account=ACCOUNT, mode="paper")
    with pytest.raises(ConfigError, match="no such journal"):
        Journal.open(tmp_path / "missing.db", mode=None, create=False)
    assert not (tmp_path / "missing.db").exists()
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    with pytest.raises(ConfigError, match="not a tradeforge journal"):
        Journal.open(empty, mode=None, create=False)


def test_default_file_per_account_and_mode(tmp_path):
    with Journal.open(account=ACCOUNT, mode="paper", root=tmp_path) as paper, \
            Journal.open(account=ACCOUNT, mode="live", root=tmp_path) as live:
        paper.record_intent(_intent("p1"))
        assert live.orders() == []
    assert sorted(p.name for p in tmp_path.glob("*.db")) == ["PA1TEST0001-live.db", "PA1TEST0001-paper.db"]
    with sqlite3.connect(tmp_path / "PA1TEST0001-paper.db") as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    with pytest.raises(ConfigError, match="mode: expected 'paper' or 'live'"):
        Journal.open(account=ACCOUNT, mode="demo", root=tmp_path)
    with pytest.raises(ConfigError, match="cannot name a journal file"):
        Journal.open(account="../etc", mode="paper", root=tmp_path)


def test_password_never_shown():
    url = "postgresql+psycopg://tf:Canary-S3cret@127.0.0.1:1/nowhere"
    with pytest.raises(ConfigError) as info:
        Journal.open(url, account=ACCOUNT, mode="paper")
    assert "Canary-S3cret" not in str(info.value) and "tf:***@127.0.0.1:1/nowhere" in str(info.value)
    assert info.value.__cause__ is None and info.value.__suppress_context__  # driver error not chained


def test_threads_opening_one_new_journal_at_once(tmp_path):
    journals: list[Journal] = []
    errors: list[BaseException] = []

    def opener() -> None:
        try:
            journals.append(Journal.open(account=ACCOUNT, mode="paper", root=tmp_path))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=opener) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert len(journals) == 4 and {(j.account, j.mode) for j in journals} == {(ACCOUNT, "paper")}
    for j in journals:
        j.close()


def test_unwritable_folder_is_a_user_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(ConfigError, match="cannot create its folder"):
        Journal.open(account=ACCOUNT, mode="paper", root=blocker / "journal")
