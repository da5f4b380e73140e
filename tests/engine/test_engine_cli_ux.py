"""The CLI as a new user meets it: --version, one strategy's parameters, --json, early failures for a bad
--out or --scheduler, shared --from/--to, report folders that never mix runs, the walk-forward verdict."""

from __future__ import annotations

import json
import os
import socket
import time

import pytest
from click.testing import CliRunner

from tradeforge.engine.cli import main

SHORT = ["--from", "2003-01-01", "--to", "2004-12-31", "--no-tearsheet"]


@pytest.fixture()
def runner() -> CliRunner:
    return CliRunner()


def _one_line_error(result) -> str:
    assert result.exit_code == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tradeforge: error: "), lines
    return lines[0]


def test_version(runner):
    result = runner.invoke(main, ["--version"])
    assert result.exit_code == 0 and result.stdout.startswith("tradeforge ")


def test_strategies_name_shows_one_strategy_and_json(runner):
    result = runner.invoke(main, ["strategies", "rsi_reversion"])
    assert result.exit_code == 0, result.stderr
    assert "rsi_reversion  (tradeforge.strategies.rsi_reversion:RsiReversion)" in result.stdout
    assert "period = 14" in result.stdout and "sma_cross" not in result.stdout
    listing = json.loads(runner.invoke(main, ["strategies", "--json"]).stdout)
    assert listing["sma_cross"]["params"] == {"fast": 10, "slow": 30, "target": 0.95}
    assert "Did you mean 'sma_cross'" in _one_line_error(runner.invoke(main, ["strategies", "sma_crss"]))


def test_unwritable_out_fails_at_once(runner, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    started = time.perf_counter()
    line = _one_line_error(runner.invoke(main, ["backtest", "--out", str(blocker / "sub"), *SHORT]))
    assert "--out" in line and "cannot write a report there" in line
    assert time.perf_counter() - started < 5


def test_unreachable_scheduler_fails_within_seconds(runner, tmp_path):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    started = time.perf_counter()
    line = _one_line_error(runner.invoke(main, ["walkforward", "--strategy", "sma_cross", "--scheduler",
                                                f"tcp://127.0.0.1:{port}", "--out", str(tmp_path / "wf")]))
    assert "no Dask scheduler answers" in line and f"127.0.0.1:{port}" in line
    assert time.perf_counter() - started < 8
    assert "expected tcp://HOST:PORT" in _one_line_error(
        runner.invoke(main, ["walkforward", "--scheduler", "tcp://nohostport", "--out", str(tmp_path / "w")]))


def test_report_folder_keeps_no_file_of_an_earlier_run(runner, tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "tearsheet.html").write_text("old run")
    (out / "folds.csv").write_text("old walk-forward")
    (out / "notes.txt").write_text("mine")
    result = runner.invoke(main, ["backtest", "--out", str(out), *SHORT])
    assert result.exit_code == 0, result.stderr
    names = sorted(os.listdir(out))
    assert names == ["equity.csv", "equity.png", "metrics.json", "notes.txt", "orders.csv", "trades.csv"]


def test_walkforward_shares_range_options_and_prints_a_verdict(runner, tmp_path):
    out = tmp_path / "wf"
    result = runner.invoke(main, ["walkforward", "--strategy", "sma_cross", "--param", "fast=5", "--param",
                                  "slow=20", "--train-bars", "100", "--test-bars", "100", "--workers", "1",
                                  "--from", "2003-01-01", "--to", "2004-12-31", "--no-tearsheet", "--json",
                                  "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    metrics = json.loads(result.stdout)
    assert metrics["bars"] == 400 and metrics["folds"] == 4  # 504 bars: 4 complete test windows
    err = result.stderr
    assert "probability that the true Sharpe is above 0 (PSR):" in err and "buy & hold" in err
    assert [line.split()[1] for line in err.splitlines() if " done (" in line] == ["0", "1", "2", "3"]
    table = [line.split()[0] for line in err.splitlines() if line[:4].strip().isdigit()]
    assert table == ["0", "1", "2", "3"]  # the verdict's fold table, numbered as folds.csv
    folds = (out / "folds.csv").read_text().splitlines()
    assert [row.split(",")[0] for row in folds[1:]] == ["0", "1", "2", "3"]


def test_zero_trades_is_a_warning_with_its_reason(runner, tmp_path):
    result = runner.invoke(main, ["backtest", "--param", "fast=400", "--param", "slow=450", "--out",
                                  str(tmp_path / "r"), *SHORT])
    assert result.exit_code == 0, result.stderr
    assert "tradeforge: warning: no trades:" in result.stderr


def test_csv_options_reach_the_loader(runner, tmp_path):
    rows = "\n".join(f"{d:02d}/01/2024;1,0;2,0;0,5;1,5;1.000" for d in range(1, 32))
    path = tmp_path / "eu.csv"
    path.write_text("date;open;high;low;close;volume\n" + rows + "\n")
    line = _one_line_error(runner.invoke(main, ["backtest", "--data", str(path), "--no-tearsheet",
                                                "--out", str(tmp_path / "a")]))
    assert "look day-first" in line and "--dayfirst" in line
    assert "row 12 (timestamp 13/01/2024)" in line and "(line 14 of the file)" in line
    result = runner.invoke(main, ["backtest", "--data", str(path), "--dayfirst", "--csv-sep", ";", "--json",
                                  "--no-tearsheet", "--out", str(tmp_path / "b")])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["bars"] == 31
    assert "too few bars: 31 bars, the strategy needs 30" not in result.stderr  # 31 > 30 warm-up bars
