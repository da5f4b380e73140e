"""The tradeforge CLI: fast --help, backtest --json, strategies listing, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from tradeforge.engine.cli import main, parse_params
from tradeforge.errors import ConfigError

SHORT = ["--from", "2003-01-01", "--to", "2004-12-31", "--no-tearsheet"]


@pytest.fixture()
def runner() -> CliRunner:
    return CliRunner()


def test_help_imports_nothing_heavy():
    code = ("import sys; from tradeforge.engine.cli import main; "
            "heavy = [m for m in ('backtrader', 'pandas', 'quantstats', 'matplotlib', 'numba') "
            "if m in sys.modules];"
            "print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_backtest_json_prints_only_the_metrics(runner, tmp_path):
    out = tmp_path / "run"
    result = runner.invoke(main, ["backtest", "--json", "--out", str(out), "--param", "fast=5", *SHORT])
    assert result.exit_code == 0, result.stderr
    metrics = json.loads(result.stdout)
    assert metrics["bars"] == 504 and metrics["n_trades"] > 0
    assert json.loads((out / "metrics.json").read_text())["final_value"] == metrics["final_value"]
    assert f"report written to {out}" in result.stderr


def test_backtest_summary_and_default_out(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(main, ["backtest", "--strategy", "rsi_reversion", "--cash", "5000", *SHORT])
    assert result.exit_code == 0, result.stderr
    assert "final_value" in result.stdout and "n_trades" in result.stdout
    assert (tmp_path / "runs" / "backtest-rsi_reversion-sample_sp500" / "equity.png").exists()


@pytest.mark.parametrize("args,message", [
    (["backtest", "--strategy", "sma_crss"], "unknown strategy 'sma_crss'. Did you mean 'sma_cross'?"),
    (["backtest", "--param", "fsat=3"], "unknown SmaCross parameter 'fsat'. Did you mean 'fast'?"),
    (["backtest", "--param", "fast"], "--param 'fast': expected KEY=VALUE"),
    (["backtest", "--cash", "lots"], "Invalid value for '--cash'"),
    (["backtest", "--data", "sample:sp5000"], "sp5000"),
    (["backtst"], "No such command 'backtst'"),
])
def test_user_errors_are_one_line_exit_2(runner, args, message):
    result = runner.invoke(main, args)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tradeforge: error: ")
    assert message in lines[0]
    assert result.stdout == ""


def test_strategies_lists_every_strategy_with_parameters(runner):
    result = runner.invoke(main, ["strategies"])
    assert result.exit_code == 0
    assert "sma_cross  (tradeforge.strategies.sma_cross:SmaCross)" in result.stdout
    assert "params: fast=10 slow=30 target=0.95" in result.stdout
    assert "params: period=14 lower=30.0 upper=70.0 target=0.95" in result.stdout


def test_parse_params_rejects_missing_key():
    assert parse_params([" a = 1 "]) == {"a": "1"}
    with pytest.raises(ConfigError, match="expected KEY=VALUE"):
        parse_params(["=1"])


def test_lenient_flag_sorts_and_dedups_what_strict_mode_refuses(tmp_path):
    import pandas as pd

    from tradeforge.feeds import load

    df = load("synth:symbols=1,bars=120,seed=4")["SYN00"].reset_index()
    shuffled = pd.concat([df, df.iloc[[10, 20]]]).sample(frac=1.0, random_state=0)
    path = tmp_path / "messy.csv"
    shuffled.to_csv(path, index=False)
    args = ["backtest", "--data", str(path), "--no-tearsheet", "--json", "--param", "fast=3", "--param",
            "slow=8"]
    strict = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "a")])
    assert strict.exit_code == 2 and "--lenient" in strict.output
    lenient = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "b"), "--lenient"])
    assert lenient.exit_code == 0, lenient.output
    clean = tmp_path / "clean.csv"
    df.to_csv(clean, index=False)
    reference = CliRunner().invoke(main, ["backtest", "--data", str(clean), "--no-tearsheet", "--json",
                                          "--param", "fast=3", "--param", "slow=8", "--out",
                                          str(tmp_path / "c")])
    lenient_metrics, reference_metrics = json.loads(lenient.stdout), json.loads(reference.stdout)
    lenient_metrics.pop("seconds"), reference_metrics.pop("seconds")
    assert lenient_metrics == reference_metrics
