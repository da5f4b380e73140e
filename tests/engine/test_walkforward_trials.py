"""The deflated Sharpe ratio is deflated for the configurations tried on the same data (the trials ledger),
not for the folds: cutting one out-of-sample span into 2 or 16 folds leaves it unchanged, and it falls as
configurations accumulate."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from tradeforge.engine.walkforward import run_walkforward, trials
from tradeforge.errors import DataError
from tradeforge.feeds import load

TARGET = {"fast": 5, "slow": 20}
SWEEP = [{"fast": 3, "slow": 30}, {"fast": 10, "slow": 40}, {"fast": 8, "slow": 15}]
# a small, fast model (the ML test below)
FAST_ML = {"fast": True, "garch_window": 50, "garch_refit_every": 100, "lstm_epochs": 1,
           "base_models": "lgbm,xgb", "ensemble_splits": 2, "lstm_oof_splits": 1, "lstm_lookback": 5}
# the same out-of-sample span (bars 200..1000) cut into 2 folds of 400 bars or 16 of 50
CUTS = {2: {"train_bars": 200, "test_bars": 400}, 16: {"train_bars": 200, "test_bars": 50}}


@pytest.fixture(scope="module")
def frames():
    return load("synth:symbols=1,bars=1000,seed=11")


def _run(frames, params, ledger, cut):
    return run_walkforward(frames, "sma_cross", params, workers=1, trials_db=ledger, **CUTS[cut]).metrics


def test_dsr_does_not_depend_on_the_number_of_folds(frames, tmp_path):
    out = {}
    for cut in CUTS:
        ledger = tmp_path / f"cut{cut}" / "trials.jsonl"
        for params in SWEEP:
            _run(frames, params, ledger, cut)
        out[cut] = _run(frames, TARGET, ledger, cut)
    two, sixteen = out[2], out[16]
    assert two["folds"] == 2 and sixteen["folds"] == 16
    assert two["dsr_trials"] == sixteen["dsr_trials"] == 4  # configurations, not folds
    assert two["dsr"] is not None and two["dsr"] == pytest.approx(sixteen["dsr"], abs=1e-12)
    assert two["psr"] == pytest.approx(sixteen["psr"], abs=1e-12)


def test_dsr_falls_as_trials_accumulate_and_reruns_count_once(frames, tmp_path):
    ledger = tmp_path / "trials.jsonl"
    first = _run(frames, TARGET, ledger, 2)
    assert first["dsr_trials"] == 1 and first["dsr"] == pytest.approx(first["psr"])  # N = 1: no deflation
    seen = [first["dsr"]]
    for k, params in enumerate(SWEEP, 2):
        _run(frames, params, ledger, 2)
        again = _run(frames, TARGET, ledger, 2)  # the same configuration again: counted once
        assert again["dsr_trials"] == again["dsr_configs"] == k
        seen.append(again["dsr"])
    assert all(b < a for a, b in zip(seen, seen[1:], strict=False)), seen
    lines = [json.loads(line) for line in ledger.read_text().splitlines()]
    assert len(lines) == 1 + 2 * len(SWEEP) and {e["strategy"] for e in lines} == {"SmaCross"}
    # other data: a fresh count
    other = run_walkforward(load("synth:symbols=1,bars=1000,seed=12"), "sma_cross", TARGET, workers=1,
                            trials_db=ledger, **CUTS[2]).metrics
    assert other["dsr_trials"] == 1


def test_auto_calibration_counts_its_candidates():
    from tradeforge.models.pipeline import MLPipeline

    assert trials.trial_choices(None) == 1
    assert trials.trial_choices({"calibration": "auto"}) == 3
    assert trials.trial_choices({"calibration": "platt"}) == 1
    # no calibration given: the pipeline's default, calibration="none", chooses among nothing
    assert MLPipeline().calibration == "none" and trials.trial_choices({}) == 1


def test_ml_cli_ledger_counts_auto_calibration_and_the_default(tmp_path):
    """A user's ``--param calibration=auto`` counts its three candidates in metrics.json's ``dsr_trials``
    and in the ledger; the default configuration on the same data adds one trial."""
    from click.testing import CliRunner

    from tradeforge.engine.cli import main

    base = ["walkforward", "--strategy", "ml", "--data", "synth:symbols=1,bars=500,freq=1d,seed=4",
            "--train-bars", "300", "--test-bars", "100", "--workers", "1", "--json", "--no-tearsheet"]
    for key, value in FAST_ML.items():
        base += ["--param", f"{key}={value}"]
    db = tmp_path / "trials.jsonl"
    metrics, folds = {}, {}
    for name, extra in (("auto", ["--param", "calibration=auto"]), ("default", [])):
        out = tmp_path / name
        res = CliRunner().invoke(main, [*base, *extra, "--trials-db", str(db), "--out", str(out)],
                                 catch_exceptions=False)
        assert res.exit_code == 0, res.output
        metrics[name] = json.loads((out / "metrics.json").read_text())
        folds[name] = pd.read_csv(out / "folds.csv")
    assert (metrics["auto"]["dsr_trials"], metrics["auto"]["dsr_configs"]) == (3, 1)
    assert (metrics["default"]["dsr_trials"], metrics["default"]["dsr_configs"]) == (4, 2)
    assert [json.loads(line)["choices"] for line in db.read_text().splitlines()] == [3, 1]
    assert set(folds["auto"]["calibration"]) <= {"isotonic", "platt", "none"}
    assert set(folds["default"]["calibration"]) == {"none"}


def test_corrupt_ledger_line_is_one_line_error(tmp_path):
    ledger = tmp_path / "trials.jsonl"
    ledger.write_text("{not json\n")
    with pytest.raises(DataError, match=r"trials ledger .*trials.jsonl: line 1 is not a ledger entry"):
        trials.TrialsLedger(ledger).record(data="h", strategy="S", params={}, config={}, choices=1,
                                           sharpe=0.1, n=10)


def test_cli_records_in_the_ledger(tmp_path):
    from click.testing import CliRunner

    from tradeforge.engine.cli import main

    base = ["walkforward", "--strategy", "sma_cross", "--data", "synth:symbols=1,bars=400,seed=2",
            "--train-bars", "200", "--test-bars", "100", "--workers", "1", "--json", "--no-tearsheet"]
    res = CliRunner().invoke(main, [*base, "--out", str(tmp_path / "runs" / "a")], catch_exceptions=False)
    assert json.loads(res.stdout)["dsr_trials"] == 1
    assert len((tmp_path / "runs" / "trials.jsonl").read_text().splitlines()) == 1  # next to the run folder
    db = tmp_path / "elsewhere.jsonl"
    for fast in ("5", "7"):
        res = CliRunner().invoke(main, [*base, "--param", f"fast={fast}", "--trials-db", str(db), "--out",
                                        str(tmp_path / "runs" / fast)], catch_exceptions=False)
    assert json.loads(res.stdout)["dsr_trials"] == 2 and len(db.read_text().splitlines()) == 2


def test_trials_doctests():
    import doctest

    assert doctest.testmod(trials).failed == 0
