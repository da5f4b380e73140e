"""Checksums catch accidental damage, not tampering; an HMAC key in TRADEFORGE_REGISTRY_KEY catches both."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from tradeforge.errors import ModelError
from tradeforge.models.garch import GarchModel
from tradeforge.models.registry import KEY_ENV, ModelRegistry

KEY = "s3cret-registry-key-for-tests"


@pytest.fixture(scope="module")
def garch():
    return GarchModel().fit(0.01 * np.random.default_rng(0).standard_t(6, size=300))


def _save(reg, garch):
    return reg.save({"garch": garch}, data_range=("2020-01-01", "2020-12-31"), data_hash="h",
                    feature_names=["ret"], params={}, metrics={})


def _tamper(folder):
    """Edit one artifact AND its hash in the manifest, as someone with write access could."""
    manifest_path = folder / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    files = manifest["models"]["garch"]["files"]
    name = sorted(files)[0]
    artifact = folder / "garch" / name
    artifact.write_bytes(artifact.read_bytes() + b" ")
    files[name] = hashlib.sha256(artifact.read_bytes()).hexdigest()
    manifest_path.write_text(json.dumps(manifest, indent=1, sort_keys=True))


def test_checksums_alone_do_not_detect_tampering(tmp_path, garch, monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    reg = ModelRegistry(tmp_path)
    version = _save(reg, garch)
    assert not (tmp_path / version / "manifest.sig").exists()
    _tamper(tmp_path / version)
    reg.load(version)  # what the docstring says: corruption is caught, a consistent edit is not


def test_signed_version_loads_and_tampering_is_refused(tmp_path, garch, monkeypatch):
    monkeypatch.setenv(KEY_ENV, KEY)
    reg = ModelRegistry(tmp_path)
    version = _save(reg, garch)
    sig = (tmp_path / version / "manifest.sig").read_text()
    assert len(sig.strip()) == 64 and KEY not in sig
    assert float(reg.load(version)["garch"].var()) == float(garch.var())
    _tamper(tmp_path / version)
    with pytest.raises(ModelError, match=f"version {version} .* failed its signature check") as info:
        reg.load(version)
    assert "\n" not in str(info.value) and KEY not in str(info.value)


def test_unsigned_or_other_key_is_refused_when_a_key_is_set(tmp_path, garch, monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    reg = ModelRegistry(tmp_path)
    unsigned = _save(reg, garch)
    monkeypatch.setenv(KEY_ENV, KEY)
    with pytest.raises(ModelError, match=f"version {unsigned} .* is not signed and {KEY_ENV} is set"):
        reg.load(unsigned)
    signed = _save(reg, garch)
    monkeypatch.setenv(KEY_ENV, "another-key")
    with pytest.raises(ModelError, match="failed its signature check"):
        reg.load(signed)
    monkeypatch.delenv(KEY_ENV)
    reg.load(signed)  # without a key, signatures are not checked (checksums still are)
