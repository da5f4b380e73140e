"""ModelRegistry: round trip, ordering, and refusal of tampered, missing, unlisted or mismatched artifacts."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from tradeforge.errors import ConfigError, ModelError
from tradeforge.models import _base_models
from tradeforge.models.ensemble import StackedEnsemble
from tradeforge.models.garch import GarchModel
from tradeforge.models.registry import ModelRegistry, data_fingerprint

FEATURES = ["f0", "f1", "f2", "f3"]


def _clock(start=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)):
    ticks = iter(range(100))
    return lambda: start + timedelta(seconds=next(ticks))


@pytest.fixture(scope="module")
def models():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(240, 4)), columns=FEATURES)
    y = (X["f0"] + 0.5 * rng.normal(size=240) > 0).astype(int).to_numpy()
    ens = StackedEnsemble(base_models=("rf", "xgb", "lgbm", "svm"), fast=True, n_splits=3).fit(X, y)
    garch = GarchModel().fit(0.01 * rng.standard_t(6, size=300))
    return {"ensemble": ens, "garch": garch}, X


def _save(reg, models, **kw):
    meta = dict(data_range=(pd.Timestamp("2020-01-01"), pd.Timestamp("2020-12-31")), data_hash="h",
                feature_names=FEATURES, params={"n_splits": np.int64(3)}, metrics={"auc": np.float64(0.7)})
    return reg.save(models, **{**meta, **kw})


def test_round_trip_gives_identical_predictions_and_full_manifest(tmp_path, models):
    fitted, X = models
    reg = ModelRegistry(tmp_path, clock=_clock())
    version = _save(reg, fitted, data_hash=data_fingerprint(X))
    loaded = reg.load(version, expected_features=FEATURES)
    np.testing.assert_array_equal(loaded["ensemble"].predict_proba(X), fitted["ensemble"].predict_proba(X))
    assert loaded["garch"].cvar() == fitted["garch"].cvar()
    man = loaded.manifest
    assert man["created_at"] == "2026-01-02T03:04:05+00:00" and version.startswith("20260102T030405000000Z-")
    assert man["data_range"] == ["2020-01-01 00:00:00", "2020-12-31 00:00:00"]
    assert man["data_hash"] == data_fingerprint(X) and loaded.feature_names == FEATURES
    assert man["params"] == {"n_splits": 3} and man["metrics"] == {"auc": 0.7}
    assert {"numpy", "scikit-learn", "xgboost", "lightgbm", "arch", "tradeforge"} <= set(man["libraries"])
    files = man["models"]["ensemble"]["files"]
    assert set(files) == {"ensemble.json", "rf.pkl", "xgb.json", "lgbm.txt", "svm.pkl"}
    assert all(len(h) == 64 for h in files.values()) and man["models"]["garch"]["kind"] == "garch"


def test_latest_loads_the_newest_version(tmp_path, models):
    fitted, _ = models
    reg = ModelRegistry(tmp_path, clock=_clock())
    first = _save(reg, {"garch": fitted["garch"]})
    second = _save(reg, {"garch": fitted["garch"]}, metrics={"auc": 0.8})
    assert reg.versions() == [first, second]
    assert reg.latest().version == second and reg.latest().manifest["metrics"] == {"auc": 0.8}
    with pytest.raises(ModelError, match="unknown model version"):
        reg.load("20200101T000000000000Z-00000000")
    with pytest.raises(ModelError, match="no saved model versions"):
        ModelRegistry(tmp_path / "empty").latest()


def test_flipped_byte_is_refused_before_unpickling(tmp_path, models, monkeypatch):
    fitted, _ = models
    reg = ModelRegistry(tmp_path, clock=_clock())
    version = _save(reg, fitted)
    target = tmp_path / version / "ensemble" / "rf.pkl"
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01
    target.write_bytes(bytes(data))
    calls = []
    monkeypatch.setattr(_base_models.pickle, "loads", lambda *a, **k: calls.append(a))
    with pytest.raises(ModelError, match=r"rf\.pkl failed its checksum.*restore the file or retrain"):
        reg.load(version)
    assert calls == []  # nothing was unpickled


def test_missing_and_unlisted_files_are_refused(tmp_path, models):
    fitted, _ = models
    reg = ModelRegistry(tmp_path, clock=_clock())
    version = _save(reg, fitted)
    folder = tmp_path / version / "ensemble"
    (folder / "evil.pkl").write_bytes(b"not listed")
    with pytest.raises(ModelError, match="evil.pkl is not listed"):
        reg.load(version)
    (folder / "evil.pkl").unlink()
    (folder / "xgb.json").unlink()
    with pytest.raises(ModelError, match=r"xgb\.json is listed in the manifest but missing"):
        reg.load(version)


def test_feature_mismatch_is_refused(tmp_path, models):
    fitted, _ = models
    reg = ModelRegistry(tmp_path, clock=_clock())
    _save(reg, {"garch": fitted["garch"]})
    with pytest.raises(ModelError, match=r"missing \['f3'\], unexpected \['g'\]"):
        reg.latest(expected_features=["f0", "f1", "f2", "g"])
    with pytest.raises(ModelError, match="other order"):
        reg.latest(expected_features=FEATURES[::-1])


def test_manifest_kind_cannot_name_arbitrary_code(tmp_path, models):
    fitted, _ = models
    reg = ModelRegistry(tmp_path, clock=_clock())
    version = _save(reg, {"garch": fitted["garch"]})
    path = tmp_path / version / "manifest.json"
    man = json.loads(path.read_text())
    man["models"]["garch"]["kind"] = "os:system"
    path.write_text(json.dumps(man))
    with pytest.raises(ModelError, match="unknown model kind 'os:system'"):
        reg.load(version)


def test_bad_save_arguments(tmp_path, models):
    reg = ModelRegistry(tmp_path, clock=_clock())
    with pytest.raises(ConfigError, match="non-empty"):
        _save(reg, {})
    with pytest.raises(ConfigError, match="folder name"):
        _save(reg, {"../x": models[0]["garch"]})
    with pytest.raises(ModelError, match="cannot register a dict"):
        _save(reg, {"m": {}})
    assert reg.versions() == [] and not list(tmp_path.glob(".staging-*"))
