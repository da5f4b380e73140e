"""Versioned model artifacts in a directory, each with a manifest and a SHA-256 per file.

Layout::

    root/
      20260102T030405123456Z-1a2b3c4d/      <- version id: UTC timestamp + short content hash
        manifest.json                       <- created_at, data range and hash, feature names,
                                               hyper-parameters, metrics, library versions, files + SHA-256
        manifest.sig                        <- only when signed: HMAC-SHA256 of manifest.json's bytes
        ensemble/ensemble.json, xgb.json, lgbm.txt, rf.pkl, ...
        lstm_1h/lstm.pt

Models are stored generically: any object with ``save(directory) -> list[Path]`` and a class method
``load(directory)`` whose class is in :data:`KINDS` (a fixed table of kind name -> import path; the manifest
never names a module to import). Loading verifies everything *before* any model file is opened: the
signature (when a key is set, below), the manifest, the feature list against ``expected_features``, every
listed file against its recorded SHA-256, and that no unlisted file sits next to them. Versions are written
to a staging folder and renamed into place, so a crash never leaves a half-written version behind.

**What this protects against.** The checksums detect *accidental* damage: a truncated or partial copy, a
disk or sync error, a file replaced or edited without its manifest entry, a stray file dropped into a
version. They do **not** detect deliberate tampering: the hashes live in the manifest, so whoever can write
a version's folder can edit an artifact (a pickle, which runs code when loaded) and its hash together, and
the version loads. For that, set a secret key in the environment variable ``TRADEFORGE_REGISTRY_KEY``
(:data:`KEY_ENV`): :meth:`ModelRegistry.save` then signs the manifest's exact bytes with HMAC-SHA256 into
``manifest.sig``, and :meth:`ModelRegistry.load` refuses, before reading anything else, a version whose
signature is missing or does not match (a one-line :class:`~tradeforge.errors.ModelError`). Since the
manifest holds every file's hash, a valid signature covers every artifact. The key is read from the
environment on each call and never written, logged or shown. A signature does not stop someone who holds
the key, nor the replay of an older, validly signed version of the same registry (compare the version id
you expect). Without the key, signatures are neither written nor checked.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tradeforge.errors import ConfigError, ModelError, did_you_mean

__all__ = ["ModelRegistry", "LoadedModels", "KINDS", "KEY_ENV", "data_fingerprint"]

KINDS: dict[str, str] = {
    "stacked_ensemble": "tradeforge.models.ensemble:StackedEnsemble",
    "garch": "tradeforge.models.garch:GarchModel",
    "lstm": "tradeforge.models.lstm:LSTMPredictor",
    "multi_timeframe_lstm": "tradeforge.models.lstm_mtf:MultiTimeframeLSTM",
    "ml_pipeline": "tradeforge.models.pipeline:MLPipeline",
}
_LIBRARIES = ("numpy", "pandas", "scikit-learn", "xgboost", "lightgbm", "torch", "arch", "copulas",
              "tradeforge")
_VERSION_RE = re.compile(r"^\d{8}T\d{12}Z-[0-9a-f]{8}$")
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_MANIFEST = "manifest.json"
_SIGNATURE = "manifest.sig"
#: Environment variable holding the registry's HMAC key (unset or empty: no signatures).
KEY_ENV = "TRADEFORGE_REGISTRY_KEY"
FORMAT = 1


def _key() -> bytes | None:
    value = os.environ.get(KEY_ENV, "")
    return value.encode() if value else None


def _sign(key: bytes, body: bytes) -> str:
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, pd.DataFrame):
        return obj.reset_index().to_dict(orient="list")
    if isinstance(obj, pd.Series):
        return obj.to_dict()
    if isinstance(obj, pd.Timestamp | datetime):
        return obj.isoformat()
    if isinstance(obj, tuple | set):
        return list(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")


def data_fingerprint(data: pd.DataFrame | pd.Series | np.ndarray) -> str:
    """SHA-256 of a frame's index, columns and values (for the manifest's ``data_hash``).

    Examples
    --------
    >>> df = pd.DataFrame({"a": [1.0, 2.0]})
    >>> data_fingerprint(df) == data_fingerprint(df.copy()), len(data_fingerprint(df))
    (True, 64)
    """
    digest = hashlib.sha256()
    if isinstance(data, pd.DataFrame | pd.Series):
        digest.update(pd.util.hash_pandas_object(data, index=True).to_numpy().tobytes())
        names = list(data.columns) if isinstance(data, pd.DataFrame) else [data.name]
        digest.update(json.dumps([str(c) for c in names]).encode())
    else:
        arr = np.ascontiguousarray(data)
        digest.update(str((arr.shape, arr.dtype.str)).encode())
        digest.update(arr.tobytes())
    return digest.hexdigest()


def _library_versions() -> dict[str, str]:
    out = {}
    for lib in _LIBRARIES:
        try:
            out[lib] = metadata.version(lib)
        except metadata.PackageNotFoundError:
            out[lib] = "not installed"
    return out


def _kind_of(model: Any) -> str:
    path = f"{type(model).__module__}:{type(model).__qualname__}"
    for kind, target in KINDS.items():
        if target == path:
            return kind
    raise ModelError(
        f"cannot register a {type(model).__name__} ({path}): known model kinds are "
        f"{', '.join(f'{k} ({v})' for k, v in KINDS.items())}"
    )


def _resolve_kind(kind: str) -> type:
    if kind not in KINDS:
        raise ModelError(f"manifest names unknown model kind '{kind}'.{did_you_mean(kind, KINDS)} "
                         f"Known: {', '.join(KINDS)}; upgrade tradeforge or retrain")
    module, name = KINDS[kind].split(":")
    return getattr(importlib.import_module(module), name)


@dataclass(frozen=True)
class LoadedModels:
    """Models of one verified version: ``models[name]``, plus the manifest they came with."""

    version: str
    manifest: dict[str, Any]
    models: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Any:
        if name not in self.models:
            raise ModelError(f"version {self.version} has no model '{name}'."
                             f"{did_you_mean(name, self.models)} It holds: {', '.join(self.models)}")
        return self.models[name]

    @property
    def feature_names(self) -> list[str]:
        return list(self.manifest["feature_names"])


class ModelRegistry:
    """Save, list and load verified model versions under *root*.

    Parameters
    ----------
    root : str or Path
        Directory holding one sub-folder per version (created when missing).
    clock : callable, optional
        Returns the current time as an aware UTC ``datetime`` (injectable for tests; default: now).

    Examples
    --------
    >>> import tempfile
    >>> from tradeforge.models.garch import GarchModel
    >>> g = GarchModel().fit(0.01 * np.random.default_rng(0).standard_t(6, size=300))
    >>> reg = ModelRegistry(tempfile.mkdtemp())
    >>> v = reg.save({"garch": g}, data_range=("2020-01-01", "2021-03-01"), data_hash="abc",
    ...              feature_names=["ret"], params={}, metrics={})
    >>> reg.versions() == [v], float(reg.latest()["garch"].var()) == float(g.var())
    (True, True)
    """

    def __init__(self, root: str | Path, *, clock: Callable[[], datetime] | None = None) -> None:
        self.root = Path(root)
        self.clock = clock

    def _now(self) -> datetime:
        now = self.clock() if self.clock is not None else datetime.now(UTC)
        if now.tzinfo is None:
            raise ConfigError(f"clock: expected an aware UTC datetime, got naive {now!r}")
        return now.astimezone(UTC)

    # ------------------------------------------------------------------ saving
    def save(
        self,
        models: Mapping[str, Any],
        *,
        data_range: Sequence[Any],
        data_hash: str,
        feature_names: Sequence[str],
        params: Mapping[str, Any] | None = None,
        metrics: Mapping[str, Any] | None = None,
    ) -> str:
        """Write *models* as a new version and return its id (``YYYYmmddTHHMMSSffffffZ-<hash8>``)."""
        if not models:
            raise ConfigError("models: expected a non-empty mapping of name -> fitted model")
        for name in models:
            if not isinstance(name, str) or not _NAME_RE.match(name) or name == _MANIFEST:
                raise ConfigError(f"models: name {name!r} must be letters, digits, '_', '.', '-' (a folder "
                                  "name)")
        if len(data_range) != 2:
            raise ConfigError(f"data_range: expected (start, end), got {data_range!r}")
        kinds = {name: _kind_of(model) for name, model in models.items()}
        now = self._now()
        self.root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=self.root))
        try:
            entries = {name: self._save_one(name, model, kinds[name], staging)
                       for name, model in models.items()}
            manifest = {
                "format": FORMAT,
                "created_at": now.isoformat(),
                "data_range": [str(x) for x in data_range],
                "data_hash": str(data_hash),
                "feature_names": [str(f) for f in feature_names],
                "params": dict(params or {}),
                "metrics": dict(metrics or {}),
                "libraries": _library_versions(),
                "models": entries,
            }
            body = json.dumps(manifest, indent=1, sort_keys=True, default=_jsonable)
            version = f"{now.strftime('%Y%m%dT%H%M%S%fZ')}-{hashlib.sha256(body.encode()).hexdigest()[:8]}"
            manifest["version"] = version
            text = json.dumps(manifest, indent=1, sort_keys=True, default=_jsonable)
            (staging / _MANIFEST).write_text(text)
            key = _key()
            if key is not None:
                (staging / _SIGNATURE).write_text(_sign(key, (staging / _MANIFEST).read_bytes()) + "\n")
            target = self.root / version
            if target.exists():
                raise ModelError(f"version {version} already exists in {self.root}; save again")
            os.replace(staging, target)
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
        return version

    @staticmethod
    def _save_one(name: str, model: Any, kind: str, staging: Path) -> dict[str, Any]:
        folder = staging / name
        folder.mkdir()
        if not callable(getattr(model, "save", None)):
            raise ModelError(f"model '{name}' ({type(model).__name__}) has no save(directory) method")
        model.save(folder)
        files = sorted(p for p in folder.rglob("*") if p.is_file())
        if not files:
            raise ModelError(f"model '{name}' ({type(model).__name__}) wrote no files in save()")
        return {"kind": kind, "files": {p.relative_to(folder).as_posix(): _sha256(p) for p in files}}

    # ------------------------------------------------------------------ listing and loading
    def versions(self) -> list[str]:
        """Version ids in chronological order (oldest first)."""
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir()
                      if p.is_dir() and _VERSION_RE.match(p.name) and (p / _MANIFEST).is_file())

    def manifest(self, version: str | None = None) -> dict[str, Any]:
        """The manifest of *version* (default: the newest), without loading or verifying the models."""
        version = self._pick(version)
        path = self.root / version / _MANIFEST
        try:
            return json.loads(path.read_text())
        except FileNotFoundError as exc:
            raise ModelError(f"{path} is missing; restore it or retrain and save a new version") from exc
        except json.JSONDecodeError as exc:
            raise ModelError(f"{path} is not valid JSON ({exc}); restore it or retrain") from exc

    def _pick(self, version: str | None) -> str:
        known = self.versions()
        if version is None:
            if not known:
                raise ModelError(f"no saved model versions in {self.root}; train and save a model first")
            return known[-1]
        if version not in known:
            raise ModelError(f"unknown model version '{version}' in {self.root}."
                             f"{did_you_mean(version, known)} Known: {', '.join(known) or '(none)'}")
        return version

    def load(self, version: str | None = None, *,
             expected_features: Sequence[str] | None = None) -> LoadedModels:
        """Verify and load *version* (default: the newest); refuse on any mismatch with a ModelError.

        With ``TRADEFORGE_REGISTRY_KEY`` set, an unsigned or mis-signed version is refused first."""
        version = self._pick(version)
        self._check_signature(version)
        manifest = self.manifest(version)
        if expected_features is not None:
            _check_features(version, manifest["feature_names"], list(map(str, expected_features)))
        folder = self.root / version
        for name, entry in manifest["models"].items():
            _verify_files(folder / name, entry["files"])
        models = {name: _resolve_kind(entry["kind"]).load(folder / name)
                  for name, entry in manifest["models"].items()}
        return LoadedModels(version=version, manifest=manifest, models=models)

    def _check_signature(self, version: str) -> None:
        """With a key in the environment: the version's manifest.sig must be the HMAC of its manifest."""
        key = _key()
        if key is None:
            return
        folder = self.root / version
        sig_path = folder / _SIGNATURE
        if not sig_path.is_file():
            raise ModelError(f"version {version} in {self.root} is not signed and {KEY_ENV} is set, so it "
                             "is refused; re-save it with the key set (or unset the key to load it unsigned)")
        try:
            body = (folder / _MANIFEST).read_bytes()
        except FileNotFoundError as exc:
            raise ModelError(f"{folder / _MANIFEST} is missing; restore it or retrain") from exc
        if not hmac.compare_digest(sig_path.read_text().strip(), _sign(key, body)):
            raise ModelError(f"version {version} in {self.root} failed its signature check: its manifest "
                             f"(and so its files) changed since it was signed, or {KEY_ENV} holds another "
                             "key; it will not be loaded: restore the version or retrain")

    def latest(self, *, expected_features: Sequence[str] | None = None) -> LoadedModels:
        """Verify and load the newest version."""
        return self.load(None, expected_features=expected_features)


def _check_features(version: str, saved: list[str], expected: list[str]) -> None:
    if saved == expected:
        return
    missing = [f for f in saved if f not in expected]
    extra = [f for f in expected if f not in saved]
    what = (f"missing {missing[:10]}, unexpected {extra[:10]}" if missing or extra
            else "same names, other order")
    raise ModelError(
        f"version {version} was trained on {len(saved)} features but {len(expected)} were given ({what}); "
        "build the feature set the model was trained with, or retrain on the new features"
    )


def _verify_files(folder: Path, files: Mapping[str, str]) -> None:
    for rel, digest in files.items():
        path = folder / rel
        if not path.is_file():
            raise ModelError(f"{path} is listed in the manifest but missing; restore it or retrain")
        actual = _sha256(path)
        if actual != digest:
            raise ModelError(
                f"{path} failed its checksum (SHA-256 {actual[:12]}... != manifest {digest[:12]}...); it was "
                "modified or corrupted and will not be loaded: restore the file or retrain"
            )
    listed = {(folder / rel).resolve() for rel in files}
    extra = [p for p in folder.rglob("*") if p.is_file() and p.resolve() not in listed]
    if extra:
        raise ModelError(f"{extra[0]} is not listed in the manifest; remove it or retrain (unverified files "
                         "are never loaded)")
