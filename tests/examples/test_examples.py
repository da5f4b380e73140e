"""Every script in examples/ runs as a user runs it (a subprocess of this Python) and writes real outputs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd

from tradeforge.feeds import load

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _run(script: str, *args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(EXAMPLES / script), *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300, env=env)


def _run_report(script: str, tmp_path: Path) -> tuple[dict, Path, dict]:
    """Run *script* with ``--out``; its last stdout line (JSON), the output folder and its metrics.json."""
    res = _run(script, "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    printed = json.loads(res.stdout.strip().splitlines()[-1])
    out = Path(printed["out"])
    return printed, out, json.loads((out / "metrics.json").read_text())


def test_backtest_sma_writes_its_report(tmp_path):
    printed, out, metrics = _run_report("backtest_sma.py", tmp_path)
    assert {k: printed[k] for k in metrics} == metrics
    trades = pd.read_csv(out / "trades.csv")
    equity = pd.read_csv(out / "equity.csv", index_col="datetime", parse_dates=True)
    assert len(trades) == metrics["n_trades"] == printed["trades"] > 0
    assert len(equity) == metrics["bars"] == 1500
    assert equity["equity"].iloc[-1] == metrics["final_value"]
    assert set(trades["symbol"]) <= {"SYN00", "SYN01", "SYN02"} and (out / "equity.png").stat().st_size > 0


def test_custom_strategy_runs_through_the_cli_as_module_class(tmp_path):
    res = _run("custom_strategy.py", "--json", "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    metrics = json.loads(res.stdout)
    trades = pd.read_csv(tmp_path / "out" / "trades.csv", parse_dates=["entry_date"])
    assert metrics["n_trades"] == len(trades) > 0
    # every entry fills on the bar after a close above the previous 30 bars' high (window=30 from --param)
    frames = load("synth:symbols=2,bars=1000,seed=5")
    for _, trade in trades.iterrows():
        df = frames[trade["symbol"]]
        signal = df.index.get_loc(trade["entry_date"]) - 1
        assert signal >= 30 and df["close"].iloc[signal] > df["high"].iloc[signal - 30:signal].max()


def test_custom_strategy_misspelt_class_is_one_line_with_a_hint(tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(EXAMPLES), os.environ.get("PYTHONPATH", "")])}
    code = "import sys; from tradeforge.engine.cli import main; sys.exit(main())"
    res = subprocess.run([sys.executable, "-c", code, "backtest", "--strategy", "custom_strategy:Breakot",
                          "--data", "synth:symbols=1,bars=100", "--out", str(tmp_path)],
                         capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "Did you mean 'Breakout'?" in lines[0]


def test_walkforward_ml_writes_folds_predictions_and_stitched_equity(tmp_path):
    printed, out, metrics = _run_report("walkforward_ml.py", tmp_path)
    folds = pd.read_csv(out / "folds.csv", parse_dates=["test_start", "test_end"])
    predictions = pd.read_csv(out / "predictions.csv", parse_dates=["datetime"])
    equity = pd.read_csv(out / "equity.csv", index_col="datetime", parse_dates=True)
    trades = pd.read_csv(out / "trades.csv", parse_dates=["entry_date", "exit_date"])
    assert metrics["folds"] == printed["folds"] == len(folds) == 2
    assert folds["auc"].notna().all() and list(folds["test_bars"]) == [150, 150]
    assert len(equity) == 300 and equity.index[0] == folds["test_start"].iloc[0]
    assert len(predictions) == 2 * 300 and predictions["ml_proba"].between(0, 1).all()
    assert 0.0 <= metrics["psr"] <= 1.0 and metrics["n_trades"] == len(trades)
    # no ledger, the default calibration="none": one trial, so the DSR is not deflated (it equals the PSR)
    assert metrics["dsr_trials"] == metrics["dsr_configs"] == 1 and metrics["dsr"] == metrics["psr"]
    # one continuous out-of-sample run: nothing opens before the first test bar, a trade belongs to the
    # fold it closes in
    assert (trades["entry_date"] >= folds.loc[0, "test_start"]).all()
    for fold, group in trades.groupby("fold"):
        assert group["exit_date"].between(folds.loc[fold, "test_start"], folds.loc[fold, "test_end"]).all()
