"""``tradeforge train``: registry manifest, load-and-predict round trip, determinism, JSON output, errors."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from tradeforge.engine._cli_train import models, train
from tradeforge.engine.cli import main
from tradeforge.engine.train import MODEL_NAME, list_versions, train_models
from tradeforge.errors import ConfigError, DataError
from tradeforge.feeds import load
from tradeforge.models.pipeline import MLPipeline
from tradeforge.models.registry import ModelRegistry, data_fingerprint

SPEC = "synth:symbols=1,bars=600,freq=1d,seed=0"
FAST = {"fast": True, "garch_window": 60, "garch_refit_every": 150, "lstm_epochs": 1}
FAST_ARGS = [arg for k, v in FAST.items() for arg in ("--param", f"{k}={v}")]
STACK = ["stack", "stack_calibrated"]

main.add_command(train)  # what engine/cli.py does; idempotent
main.add_command(models)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    registry = tmp_path_factory.mktemp("registry")
    return registry, train_models(SPEC, registry=registry, seed=0, params=FAST)


def test_registry_holds_one_version_with_a_complete_manifest(trained):
    registry, result = trained
    df = load(SPEC)["SYN00"]
    reg = ModelRegistry(registry)
    assert reg.versions() == [result.version] and result.path == registry / result.version
    man = reg.manifest(result.version)
    assert man["data_range"] == [str(df.index[0]), str(df.index[-1])]
    expected_hash = hashlib.sha256(f"SYN00:{data_fingerprint(df)}\n".encode()).hexdigest()
    assert man["data_hash"] == expected_hash
    assert man["feature_names"] == result.pipeline.columns_ and "pred_1d" in man["feature_names"]
    assert man["params"]["random_state"] == 0 and man["params"]["lstm_epochs"] == 1
    assert man["params"]["garch_window"] == 60 and "benchmark" not in man["params"]
    assert man["metrics"] == json.loads(json.dumps(result.metrics)) and "timings" not in man["metrics"]
    members = [*MLPipeline().base_models, *STACK]
    assert list(result.metrics["models"]) == members and sorted(man["metrics"]["models"]) == sorted(members)
    assert man["metrics"]["n_train"] == len(result.pipeline.train_rows_) > 100
    assert 0.0 <= man["metrics"]["auc"] <= 1.0
    assert list(man["models"]) == [MODEL_NAME] and man["models"][MODEL_NAME]["kind"] == "ml_pipeline"
    assert set(result.timings) == {"features", "garch", "lstm", "ensemble", "total"}
    assert list(result.report.index) == members


def test_manifest_holds_the_out_of_fold_confidence_profile(trained):
    from tradeforge.models.drift import confidence_profile, psi

    registry, result = trained
    prof = ModelRegistry(registry).manifest(result.version)["metrics"]["confidence"]
    ens = result.pipeline.ensemble_
    oof = ens.confidence(ens.oof_proba_)
    assert prof["n"] == len(oof) == result.metrics["n_scored"]          # the rows the OOF scores use
    assert prof == json.loads(json.dumps(confidence_profile(oof)))
    assert sum(prof["fractions"]) == pytest.approx(1.0) and prof["statistic"] == "psi"
    assert 0.0 <= prof["quantiles"]["0.05"] <= prof["quantiles"]["0.95"] <= 1.0
    assert psi(prof, oof) == pytest.approx(0.0, abs=1e-2)


def test_training_window_starts_after_the_warmup_and_ends_at_the_last_bar(trained):
    _, result = trained
    df = load(SPEC)["SYN00"]
    warmup = MLPipeline(**FAST).warmup
    assert result.train_range == (df.index[warmup - 1], df.index[-1])
    assert result.data_range == (df.index[0], df.index[-1])
    assert result.pipeline.train_rows_["time"].min() >= result.train_range[0]


def test_latest_version_predicts_like_the_fitted_pipeline(trained):
    registry, result = trained
    df = load(SPEC)["SYN00"]
    loaded = ModelRegistry(registry).latest(expected_features=result.pipeline.columns_)
    assert loaded.version == result.version
    frame = loaded[MODEL_NAME].predict_frame(df)
    pd.testing.assert_frame_equal(frame, result.pipeline.predict_frame(df), check_exact=True)
    assert np.isfinite(frame["ml_proba"].iloc[-1])


def test_cli_json_is_only_json_and_same_seed_gives_same_metrics(trained, tmp_path):
    _, first = trained
    registry = tmp_path / "reg"
    out = CliRunner().invoke(main, ["train", "--data", SPEC, "--registry", str(registry), "--seed", "0",
                                    "--json", *FAST_ARGS])
    assert out.exit_code == 0, out.stderr
    assert out.stdout.count("\n") == 1  # one JSON line, nothing else
    payload = json.loads(out.stdout)
    timings, version = payload.pop("timings"), payload.pop("version")
    assert payload.pop("registry") == str(registry)
    assert payload == json.loads(json.dumps(first.metrics))  # identical metrics, timings aside
    assert set(timings) >= {"lstm", "ensemble", "total"}
    assert ModelRegistry(registry).versions() == [version]
    assert f"saved version {version} to {registry}" in out.stderr and "stack_calibrated" in out.stderr
    # the AUC warning appears exactly when the out-of-fold AUC is below chance (this seed is a random walk)
    assert ("warning: " in out.stderr) == (payload["auc"] < 0.5)

    listed = CliRunner().invoke(main, ["models", "--registry", str(registry), "--json"])
    assert listed.exit_code == 0, listed.stderr
    [row] = json.loads(listed.stdout)
    assert row["version"] == version and row["auc"] == payload["auc"] and row["models"] == MODEL_NAME
    table = CliRunner().invoke(main, ["models", "--registry", str(registry)])
    assert version in table.stdout and "data_start" in table.stdout


def test_cli_warns_in_one_line_when_the_oof_auc_is_below_chance(tmp_path):
    # a pure random walk (synth's edge=0): with this seed the calibrated stack scores below 0.5 out of fold
    spec = "synth:symbols=1,bars=600,freq=1d,seed=1"
    args = ["train", "--data", spec, "--registry", str(tmp_path), "--json", *FAST_ARGS]
    out = CliRunner().invoke(main, args)
    assert out.exit_code == 0, out.stderr
    auc = json.loads(out.stdout)["auc"]
    assert auc < 0.5
    [line] = [x for x in out.stderr.splitlines() if "warning" in x]
    assert line.startswith(f"tradeforge: warning: out-of-fold AUC of the stacked model is {auc:.3f}, "
                           "below 0.5")
    assert "members below 0.5:" in line and "before trading this version" in line
    assert len(ModelRegistry(tmp_path).versions()) == 1                     # still saved


@pytest.mark.parametrize(("args", "needles"), [
    (["--param", "lstm_epoch=2"],
     ["unknown MLPipeline parameter 'lstm_epoch'", "Did you mean 'lstm_epochs'?"]),
    (["--param", "random_state=3"], ["'random_state' cannot be set", "--seed"]),
    (["--param", "lstm_epochs=two"], ["'lstm_epochs'", "expected int"]),
    (["--timeframes", "1h"], ["'1h' is finer than", "Valid timeframes for 1d bars: 1d"]),
    (["--timeframes", "2d"], ["unknown timeframe '2d'", "Valid timeframes for 1d bars: 1d"]),
])
def test_cli_user_errors_are_one_line_exit_2_and_save_nothing(tmp_path, args, needles):
    registry = tmp_path / "reg"
    out = CliRunner().invoke(main, ["train", "--data", SPEC, "--registry", str(registry), *args])
    assert out.exit_code == 2 and out.stdout == ""
    assert out.stderr.startswith("tradeforge: error: ") and out.stderr.count("\n") == 1
    for needle in needles:
        assert needle in out.stderr
    assert list_versions(registry).empty and not registry.exists()


def test_library_errors_before_fitting(tmp_path):
    frames = load(SPEC, end="2020-03-31")
    with pytest.raises(DataError, match="warm-up"):
        train_models(frames, registry=tmp_path, params=FAST)
    with pytest.raises(ConfigError, match="seed"):
        train_models(frames, registry=tmp_path, seed=-1)
    with pytest.raises(ConfigError, match="Valid timeframes for 1d bars: 1d"):
        train_models(frames, registry=tmp_path, timeframes=["1d", "5m"])
    with pytest.raises(ConfigError, match="spec string"):
        train_models(["SYN00"], registry=tmp_path)
    assert list_versions(tmp_path).empty


def test_models_on_an_empty_registry_says_how_to_fill_it(tmp_path):
    out = CliRunner().invoke(main, ["models", "--registry", str(tmp_path)])
    assert out.exit_code == 0 and out.stdout == ""
    assert "no model versions" in out.stderr and "tradeforge train" in out.stderr


def test_data_hash_is_order_independent_and_content_sensitive():
    from tradeforge.engine.train import _data_hash

    frames = load("synth:symbols=2,bars=80,freq=1d,seed=0")
    a, b = frames["SYN00"], frames["SYN01"]
    assert _data_hash({"SYN00": a, "SYN01": b}) == _data_hash({"SYN01": b, "SYN00": a})
    changed = a.copy()
    changed.iloc[40, changed.columns.get_loc("close")] *= 1.0001
    assert _data_hash({"SYN00": changed, "SYN01": b}) != _data_hash(frames)
    assert _data_hash({"SYN00": b, "SYN01": a}) != _data_hash(frames)  # symbols are part of the hash


def test_help_names_every_option_and_the_default_registry():
    out = CliRunner().invoke(main, ["train", "--help"])
    assert out.exit_code == 0
    for option in ("--data", "--timeframes", "--registry", "--seed", "--param", "--from", "--to", "--json"):
        assert option in out.stdout
    assert "runs/registry" in out.stdout


def test_command_module_imports_nothing_heavy():
    import subprocess
    import sys

    code = ("import sys; import tradeforge.engine._cli_train; "
            "print([m for m in ('pandas', 'torch', 'sklearn', 'backtrader') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_auc_warning_examples_and_edges():
    import doctest

    from tradeforge.engine import train as train_module
    from tradeforge.engine.train import auc_warning

    finder = doctest.DocTestFinder()
    [test] = [t for t in finder.find(train_module) if t.name.endswith("auc_warning")]
    assert doctest.DocTestRunner().run(test).failed == 0
    assert auc_warning({"auc": None}) is None and auc_warning({"auc": float("nan")}) is None
    assert auc_warning({"auc": 0.5}) is None                                 # chance itself: no warning
    line = auc_warning({"auc": 0.3, "models": {"stack": {"auc": 0.2}, "svm": {"auc": 0.6}}})
    assert "\n" not in line and "members below 0.5" not in line and "held-out" not in line
