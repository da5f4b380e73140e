"""``tradeforge signals``: JSON-only stdout, --stage scan, --at, the no-model message, one-line errors."""

from __future__ import annotations

import json

from click.testing import CliRunner

from tradeforge.engine._cli_signals import signals
from tradeforge.engine.cli import main

from .conftest import UNIVERSE

main.add_command(signals)  # what engine/cli.py does; idempotent


def _run(*args):
    return CliRunner().invoke(main, ["signals", "--universe", UNIVERSE, *args])


def test_json_prints_only_the_signals(trained):
    registry, _ = trained
    out = _run("--registry", str(registry), "--json", "--min-confidence", "0.3", "--top", "2",
               "--candidates", "12")
    assert out.exit_code == 0, out.stderr
    assert out.stdout.count("\n") == 1
    payload = json.loads(out.stdout)
    assert isinstance(payload, list) and 1 <= len(payload) <= 2
    assert all(s["decision"] == "BUY" and s["confidence"] >= 0.3 and s["risk_score"] <= 6 for s in payload)
    assert "12 modelled" in out.stderr and "stage2" in out.stderr
    table = _run("--registry", str(registry), "--min-confidence", "0.3", "--top", "2", "--candidates", "12")
    assert table.exit_code == 0 and payload[0]["symbol"] in table.stdout and "BUY signals at" in table.stdout


def test_stage_scan_and_at(tmp_path):
    out = _run("--stage", "scan", "--json", "--candidates", "3", "--at", "2021-06-01",
               "--registry", str(tmp_path / "none"))
    assert out.exit_code == 0, out.stderr
    rows = json.loads(out.stdout)
    assert [r["rank"] for r in rows] == [1, 2, 3] and all(0 <= r["momentum_score"] <= 100 for r in rows)
    assert "signals at 2021-06-01 00:00:00" in out.stderr
    assert set(rows[0]) == {"symbol", "price", "rsi", "rvol", "change", "trend", "momentum_score", "rank"}


def test_no_model_says_which_train_to_run(tmp_path):
    out = _run("--registry", str(tmp_path / "empty"), "--json")
    assert out.exit_code == 2 and out.stdout == ""
    assert out.stderr.startswith("tradeforge: error: ") and out.stderr.count("\n") == 1
    assert "no trained model; run `tradeforge train --data 'synth:symbols=4,bars=500,freq=1d" in out.stderr
    assert f"--registry {tmp_path / 'empty'}`" in out.stderr


def test_user_errors_are_one_line(tmp_path):
    for args, needle in ((["--at", "not-a-date"], "at: cannot parse"),
                         (["--at", "1999-01-01"], "no bar at or before"),
                         (["--min-confidence", "1.5"], "min_confidence"),
                         (["--benchmarks", "SPY,SPY"], "benchmarks")):
        out = _run("--registry", str(tmp_path), *args)
        assert out.exit_code == 2 and out.stderr.count("\n") == 1 and needle in out.stderr, (args, out.stderr)
