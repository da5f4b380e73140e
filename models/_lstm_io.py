"""Input checks, windowing, scaling and checkpoints of :class:`tradeforge.models.lstm.LSTMPredictor`.

numpy/pandas only at import time; torch is imported inside the checkpoint functions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tradeforge.errors import ConfigError, DataError, ModelError, unknown_name_error

CHECKPOINT = "lstm.pt"
FORMAT = "tradeforge.lstm/1"
_SIZES = ("auto", "seed", "small")


# -- parameters ------------------------------------------------------------------------------------
def _int(est, name: str, minimum: int, optional: bool = False) -> None:
    value = getattr(est, name)
    if optional and value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        hint = " or None" if optional else ""
        raise ConfigError(f"{name}: expected an integer >= {minimum}{hint}, got {value!r}")


def _float(est, name: str, low: float, high: float, optional: bool = False) -> None:
    value = getattr(est, name)
    if optional and value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise ConfigError(f"{name}: expected a number in [{low}, {high}], got {value!r}")


def check_params(est) -> None:
    """Raise :class:`ConfigError` naming the first invalid hyper-parameter of *est*."""
    for name in ("lookback", "horizon", "conv_channels", "hidden", "layers", "heads", "indicator_dim",
                 "patience"):
        _int(est, name, 1)
    _int(est, "epochs", 1, optional=True)
    _int(est, "batch_size", 2, optional=True)
    _int(est, "random_state", 0)
    _int(est, "num_threads", 1, optional=True)
    _float(est, "dropout", 0.0, 0.95)
    _float(est, "val_fraction", 0.0, 0.5)
    _float(est, "lr", 1e-8, 10.0, optional=True)
    if est.size not in _SIZES:
        raise unknown_name_error("size", str(est.size), _SIZES)
    if est.hidden % est.heads:
        raise ConfigError(f"hidden={est.hidden} must be divisible by heads={est.heads} (attention splits it)")


def net_config(cfg: dict, n_features: int, n_indicators: int):
    """:class:`NetConfig` of a resolved config dict."""
    from ._nets import NetConfig

    keys = ("conv_channels", "hidden", "layers", "heads", "indicator_dim", "dropout")
    return NetConfig(n_features=n_features, n_indicators=n_indicators, **{k: cfg[k] for k in keys})


# -- inputs ----------------------------------------------------------------------------------------
def _one_matrix(X, label: str) -> tuple[np.ndarray, list[str] | None]:
    """scikit-learn's ``check_array`` (dense, 2-D, numeric, >= 1 row and feature; NaN allowed), then a
    located infinity check; a rejected input raises :class:`DataError` with scikit-learn's message."""
    from sklearn.utils.validation import check_array

    names = [str(c) for c in X.columns] if isinstance(X, pd.DataFrame) else None
    try:
        mat = check_array(X, dtype=np.float64, ensure_all_finite=False, input_name=label)
    except ValueError as exc:
        msg = str(exc).replace("\n", " ")
        raise DataError(f"{label}: expected a 2-D numeric matrix (bars × features), non-empty: "
                        f"{msg}") from exc
    if np.isinf(mat).any():
        row = int(np.flatnonzero(np.isinf(mat).any(axis=1))[0])
        raise DataError(f"{label}: infinite value at row {row}; replace inf by NaN or clip it")
    return mat, names


def as_matrices(X, label: str) -> tuple[list[np.ndarray], list[str] | None]:
    """``(list of float64 matrices, column names or None)`` for one matrix or a list of them."""
    items = list(X) if isinstance(X, list | tuple) else [X]
    if not items:
        raise DataError(f"{label}: got an empty list; pass one feature matrix per symbol")
    out = [_one_matrix(x, f"{label}[{i}]" if len(items) > 1 else label) for i, x in enumerate(items)]
    names = out[0][1]
    for i, (mat, nm) in enumerate(out):
        if mat.shape[1] != out[0][0].shape[1] or nm != names:
            raise DataError(f"{label}[{i}]: columns {nm or mat.shape[1]} differ from {label}[0]'s "
                            f"{names or out[0][0].shape[1]}; every symbol needs the same features")
    return [m for m, _ in out], names


def _one_target(t, n: int, label: str) -> np.ndarray:
    from sklearn.utils.validation import column_or_1d

    arr = np.asarray(t)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = column_or_1d(arr, warn=True)  # scikit-learn's DataConversionWarning, then flattened
    if arr.ndim != 1 or len(arr) != n:
        raise DataError(f"{label}: expected a 1-D target with {n} rows (one per bar of X), got shape "
                        f"{arr.shape}")
    try:
        vec = arr.astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{label}: expected numeric targets, got dtype {arr.dtype} ({exc})") from exc
    if np.isinf(vec).any():
        row = int(np.flatnonzero(np.isinf(vec))[0])
        raise DataError(f"{label}: Input y contains infinity or a value too large for dtype('float64') "
                        f"at row {row}; mark a bar without a target by NaN")
    return vec


def as_targets(y, mats: list[np.ndarray]) -> list[np.ndarray]:
    """Targets as float64 vectors, one per matrix, with matching lengths (NaN: no target at that bar)."""
    if y is None:
        raise DataError("y: LSTMPredictor requires y to be passed, but the target y is None; pass one "
                        "target per bar (NaN where unknown)")
    per_symbol = isinstance(y, list | tuple) and len(y) > 0 and all(np.asarray(t).ndim == 1 for t in y)
    items = list(y) if per_symbol else [y]
    if len(items) != len(mats):
        raise DataError(f"y: got {len(items)} target series for {len(mats)} feature matrices")
    return [_one_target(t, len(m), f"y[{i}]") for i, (t, m) in enumerate(zip(items, mats, strict=True))]


def indicator_index(columns, names: list[str] | None, n_features: int) -> list[int]:
    """Positions of the indicator-branch columns (all columns when *columns* is None)."""
    if columns is None:
        return list(range(n_features))
    out = []
    for col in columns:
        if isinstance(col, str):
            if names is None:
                raise ConfigError(f"indicator_columns: name {col!r} needs X as a DataFrame; pass positions")
            if col not in names:
                raise unknown_name_error("indicator column", col, names)
            out.append(names.index(col))
        elif isinstance(col, int | np.integer) and 0 <= col < n_features:
            out.append(int(col))
        else:
            raise ConfigError(f"indicator_columns: {col!r} is not a column name or position in "
                              f"[0, {n_features})")
    return out


def match_features(mat: np.ndarray, names, fit_names, n_fit: int) -> np.ndarray:
    """Check predict-time columns against fit-time ones (reordering by name); mismatch → ModelError."""
    if names is not None and fit_names is not None:
        missing = [c for c in fit_names if c not in names]
        extra = [c for c in names if c not in fit_names]
        if missing or extra:
            raise ModelError(f"X columns differ from the training features: missing {missing}, extra "
                             f"{extra}; pass the same feature columns the model was fitted on")
        return mat[:, [names.index(c) for c in fit_names]]
    if mat.shape[1] != n_fit:
        raise ModelError(f"X has {mat.shape[1]} features, the model was fitted on {n_fit}")
    return mat


# -- windows and scaling ---------------------------------------------------------------------------
def window_ok(mat: np.ndarray, lookback: int) -> np.ndarray:
    """``ok[t]``: rows t-lookback+1..t exist and are all finite."""
    good = np.isfinite(mat).all(axis=1).astype(np.int64)
    csum = np.concatenate([[0], np.cumsum(good)])
    ok = np.zeros(len(mat), dtype=bool)
    if len(mat) >= lookback:
        ok[lookback - 1 :] = (csum[lookback:] - csum[:-lookback]) == lookback
    return ok


@dataclass
class Scaler:
    """Per-feature mean/std of the training rows and the target's mean/std."""

    mean: np.ndarray
    std: np.ndarray
    y_mean: float
    y_std: float

    def transform(self, mat: np.ndarray) -> np.ndarray:
        """Standardised float32 features, NaN replaced by 0 (such rows are never used as inputs)."""
        return np.nan_to_num((mat - self.mean) / self.std, nan=0.0).astype(np.float32)

    def inverse_target(self, scaled: np.ndarray) -> np.ndarray:
        """Scaled predictions back to target units."""
        return scaled * self.y_std + self.y_mean


def _split(ends: np.ndarray, val_fraction: float, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    n_val = math.floor(val_fraction * len(ends))
    if n_val == 0:
        return ends, ends[:0]
    val = ends[len(ends) - n_val :]
    train = ends[: len(ends) - n_val]
    return train[train + horizon <= val[0]], val


def build_train_data(mats, ys, lookback: int, horizon: int, val_fraction: float, ind_idx: list[int]):
    """:class:`TrainData` and :class:`Scaler` for several symbols (windows never cross symbols)."""
    from ._trainer import TrainData

    splits = []
    for mat, y in zip(mats, ys, strict=True):
        ends = np.flatnonzero(window_ok(mat, lookback) & np.isfinite(y))
        splits.append(_split(ends, val_fraction, horizon))
    fit_rows = [m[: tr[-1] + 1] for m, (tr, _) in zip(mats, splits, strict=True) if len(tr)]
    if not fit_rows:
        from ._sklearn import ModelValueError

        n = sum(len(m) for m in mats)
        raise ModelValueError(f"no complete training window of lookback {lookback} with a finite target in "
                              f"{n} sample(s); pass more bars or fewer NaN rows")
    rows = np.concatenate(fit_rows)
    with np.errstate(all="ignore"):
        mean, std = np.nanmean(rows, axis=0), np.nanstd(rows, axis=0)
    std = np.where(np.isfinite(std) & (std > 0), std, 1.0)
    y_train = np.concatenate([y[tr] for y, (tr, _) in zip(ys, splits, strict=True)])
    y_std = float(np.std(y_train)) or 1.0
    scaler = Scaler(mean, std, float(np.mean(y_train)), y_std)
    offsets = np.cumsum([0] + [len(m) for m in mats[:-1]])
    parts = {"tr": [], "va": [], "ytr": [], "yva": []}
    for off, y, (tr, va) in zip(offsets, ys, splits, strict=True):
        parts["tr"].append(tr + off)
        parts["va"].append(va + off)
        parts["ytr"].append((y[tr] - scaler.y_mean) / y_std)
        parts["yva"].append((y[va] - scaler.y_mean) / y_std)
    cat = {k: np.concatenate(v) for k, v in parts.items()}
    feats = np.concatenate([scaler.transform(m) for m in mats])
    data = TrainData(feats, np.asarray(ind_idx, dtype=np.int64), lookback, cat["tr"], cat["ytr"],
                     cat["va"], cat["yva"])
    return data, scaler


# -- checkpoints -----------------------------------------------------------------------------------
def save_checkpoint(est, directory: Path) -> Path:
    """Write ``lstm.pt`` (tensors + plain values only, loadable with ``weights_only=True``)."""
    import torch

    directory.mkdir(parents=True, exist_ok=True)
    params = est.get_params()
    if params["indicator_columns"] is not None:
        params["indicator_columns"] = list(params["indicator_columns"])
    s = est.scaler_
    payload = {
        "format": FORMAT,
        "params": params,
        "config": dict(est.config_),
        "state_dict": {k: v.detach().cpu() for k, v in est.net_.state_dict().items()},
        "scaler_mean": torch.from_numpy(s.mean.copy()),
        "scaler_std": torch.from_numpy(s.std.copy()),
        "y_mean": s.y_mean,
        "y_std": s.y_std,
        "feature_names": est.feature_names_in_,
        "n_features": int(est.n_features_in_),
        "indicator_idx": list(est.indicator_idx_),
        "history": est.history_,
    }
    path = directory / CHECKPOINT
    tmp = path.with_suffix(".tmp")
    torch.save(payload, tmp)
    tmp.replace(path)
    return path


def _read(path: Path) -> dict[str, Any]:
    import torch

    if not path.is_file():
        raise ModelError(f"no LSTM checkpoint at {path}; train the model and save() it there first")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises RuntimeError, UnpicklingError, EOFError, zipfile errors...
        raise ModelError(f"LSTM checkpoint {path} is corrupt or truncated ({type(exc).__name__}: {exc}); "
                         "retrain or restore it from a backup") from exc
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ModelError(f"{path} is not a {FORMAT} checkpoint; retrain or restore it")
    return payload


def load_checkpoint(cls, directory: Path):
    """Rebuild a fitted estimator of class *cls* from ``directory/lstm.pt``."""
    from ._nets import SeedNet

    path = directory / CHECKPOINT
    p = _read(path)
    try:
        est = cls(**p["params"])
        net = SeedNet(net_config(p["config"], p["n_features"], len(p["indicator_idx"])))
        net.load_state_dict(p["state_dict"])
        scaler = Scaler(p["scaler_mean"].numpy(), p["scaler_std"].numpy(), float(p["y_mean"]),
                        float(p["y_std"]))
    except (KeyError, TypeError, RuntimeError, ValueError) as exc:
        raise ModelError(f"LSTM checkpoint {path} is incomplete or inconsistent ({exc}); "
                         "retrain or restore it") from exc
    est.net_ = net.eval()
    est.config_ = dict(p["config"])
    est.scaler_ = scaler
    est.feature_names_in_ = p["feature_names"]
    est.n_features_in_ = int(p["n_features"])
    est.indicator_idx_ = list(p["indicator_idx"])
    est.history_ = p["history"]
    return est
