"""Train the ML pipeline on all available history and save it as a new model-registry version.

:func:`train_models` is the library side of ``tradeforge train``: it loads and validates the data, checks
the timeframes and hyper-parameters *before* any model is fitted (mistakes cost no training time), fits one
:class:`~tradeforge.models.pipeline.MLPipeline` (per-timeframe LSTMs, stacked ensemble, GARCH risk) on
every bar from the end of the pipeline's warm-up to the last bar, and saves it in a
:class:`~tradeforge.models.registry.ModelRegistry` under the model name ``"pipeline"``.

The version's manifest records the data range (first and last bar given to the pipeline, warm-up included), a
data hash (the :func:`~tradeforge.models.registry.data_fingerprint` of every symbol, combined in symbol
order), the feature names (``pipeline.columns_``), the hyper-parameters (``get_params``) and the metrics: the
out-of-fold scores of ``pipeline.report_`` plus one AUC/Brier/ECE/n entry per ensemble member under
``"models"``, and under ``"confidence"`` the distribution of the out-of-fold calibrated confidence
(:func:`~tradeforge.models.drift.confidence_profile`: decile bins and fractions, count, quantiles), which the
unattended trading day compares the live confidences with. Older manifests lack that key. Timings are kept out
of the manifest's metrics (so the same data and seed give the same metrics) and stay in the pipeline's own
``pipeline.json`` report and in :attr:`TrainResult.timings`.

The default registry is ``runs/registry``: ``runs/`` is where every command writes and is git-ignored,
while ``models/`` is a source folder of the repository.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from tradeforge.errors import ConfigError, DataError
from tradeforge.timeframes import (
    TIMEFRAMES,
    check_timeframes,
    common_bar_size,
    timeframe_name,
    usable_timeframes,
)

from .config import check_int, model_params
from .data import load_frames

__all__ = ["DEFAULT_REGISTRY", "MODEL_NAME", "TrainResult", "train_models", "list_versions", "auc_warning"]

DEFAULT_REGISTRY = "runs/registry"
MODEL_NAME = "pipeline"
_FIXED = {"random_state": "it is the seed; pass seed= (--seed) instead",
          "timeframes": "pass timeframes= (--timeframes 1d,...) instead",
          "benchmark": "it must be a price Series; fit MLPipeline(benchmark=...) in Python for a custom one"}


@dataclass(frozen=True)
class TrainResult:
    """What :func:`train_models` saved.

    Attributes
    ----------
    version : str
        The new registry version id.
    path : Path
        Its folder (``registry / version``).
    metrics : dict
        The metrics written to the manifest (no timings): ``auc, brier, ece, auc_stack, n_scored,
        positive_rate, n_train``, ``models`` (member name -> ``auc, brier, ece, n``), ``calibration``
        and ``confidence`` (the out-of-fold confidence profile).
    report : DataFrame
        The ensemble's out-of-fold table, one row per base model plus ``stack`` and ``stack_calibrated``.
    timings : dict
        Seconds per training stage (``features, garch, lstm, ensemble``) and ``total``.
    data_range, train_range : tuple of Timestamp
        First/last bar given to the pipeline, and the first/last bar whose label it may learn.
    pipeline : MLPipeline
        The fitted pipeline (the same one that was saved).
    """

    version: str
    path: Path
    metrics: dict[str, Any]
    report: pd.DataFrame
    timings: dict[str, float]
    data_range: tuple[pd.Timestamp, pd.Timestamp]
    train_range: tuple[pd.Timestamp, pd.Timestamp]
    pipeline: Any = field(repr=False)


def _timeframes(timeframes: str | Sequence[str] | None, bar: pd.Timedelta) -> tuple[str, ...] | None:
    """The requested timeframe names, checked against the data's bar size (None: the pipeline's choice)."""
    if timeframes is None:
        if not usable_timeframes(bar):
            raise ConfigError(f"timeframes: none fits the data's bar size {timeframe_name(bar)} (known: "
                              f"{', '.join(TIMEFRAMES)}); resample the data")
        return None
    return check_timeframes(timeframes, bar)


def _data_hash(frames: Mapping[str, pd.DataFrame]) -> str:
    """SHA-256 over ``symbol:fingerprint`` lines in symbol order (independent of the mapping's order)."""
    from tradeforge.models.registry import data_fingerprint

    digest = hashlib.sha256()
    for sym in sorted(frames):
        digest.update(f"{sym}:{data_fingerprint(frames[sym])}\n".encode())
    return digest.hexdigest()


def _train_range(frames: Mapping[str, pd.DataFrame], warmup: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First bar after the warm-up (earliest over the symbols) and the last bar."""
    firsts = [df.index[warmup - 1] for df in frames.values() if len(df) > warmup]
    if not firsts:
        longest = max(len(df) for df in frames.values())
        raise DataError(f"data: at most {longest} bars per symbol, but the pipeline needs {warmup} bars of "
                        "warm-up (features, GARCH window, LSTM look-back) before its first training row plus "
                        "enough labelled rows after it; pass more history (widen --from/--to) or lower "
                        "garch_window (--param garch_window=60)")
    return min(firsts), max(df.index[-1] for df in frames.values())


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _metrics(pipe: Any) -> tuple[dict[str, Any], pd.DataFrame, dict[str, float]]:
    """``(metrics without timings, ensemble report table, timings)`` of a fitted pipeline."""
    from tradeforge.models.drift import confidence_profile

    metrics = {k: _finite(v) for k, v in pipe.report_.items() if k != "timings"}
    report = pipe.ensemble_.report_.copy()
    metrics["models"] = {str(name): {"auc": _finite(float(row["auc"])), "brier": _finite(float(row["brier"])),
                                     "ece": _finite(float(row["ece"])), "n": int(row["n"])}
                         for name, row in report.iterrows()}
    # the calibration "auto" chose, and the Brier scores it chose by (rows the scores above do not use)
    metrics["calibration"] = {"method": str(pipe.ensemble_.calibration_),
                              "choice_brier": {k: _finite(float(v)) for k, v in
                                               getattr(pipe.ensemble_, "calibration_brier_", {}).items()}}
    # the out-of-fold calibrated confidence's distribution: what live confidences are compared with
    ensemble = pipe.ensemble_
    metrics["confidence"] = confidence_profile(ensemble.confidence(ensemble.oof_proba_))
    timings = {k: float(v) for k, v in pipe.report_["timings"].items()}
    return metrics, report, timings


def _fit(pipe: Any, frames: dict[str, pd.DataFrame], train_range: tuple, progress: bool) -> None:
    if not progress:
        pipe.fit(frames, *train_range)
        return
    from rich.console import Console

    with Console(stderr=True).status(f"training on {len(frames)} symbol(s), "
                                     f"{train_range[0]:%Y-%m-%d %H:%M}..{train_range[1]:%Y-%m-%d %H:%M}"):
        pipe.fit(frames, *train_range)


def train_models(
    data: str | Mapping[str, pd.DataFrame] = "sample:sp500",
    *,
    timeframes: str | Sequence[str] | None = None,
    registry: str | Path = DEFAULT_REGISTRY,
    seed: int = 0,
    params: Mapping[str, Any] | None = None,
    start: Any = None,
    end: Any = None,
    progress: bool = False,
) -> TrainResult:
    """Fit the ML pipeline on all of *data* and save it as a new version of the registry at *registry*.

    Parameters
    ----------
    data : str or mapping symbol -> DataFrame
        A :func:`tradeforge.feeds.load` spec (``sample:sp500``, a file, a directory, ``synth:...``) or
        OHLCV frames (validated here).
    timeframes : str or sequence of str, optional
        LSTM timeframes, e.g. ``"1d"`` or ``"1h,1d"``; each at or above the data's bar size and a whole
        multiple of it. None: every such timeframe.
    registry : str or Path
        Registry folder (created when missing); default ``runs/registry``.
    seed : int
        ``random_state`` of every model: same data, parameters and seed give the same metrics.
    params : mapping, optional
        Other :class:`~tradeforge.models.pipeline.MLPipeline` hyper-parameters; strings (``--param k=v``)
        are coerced to the default's type, tuples from comma lists.
    start, end : date-like, optional
        Inclusive bounds on the bars used (warm-up included).
    progress : bool
        Show a spinner on stderr while fitting.

    Returns
    -------
    TrainResult

    Raises
    ------
    ConfigError
        Unknown or badly typed parameter (with a did-you-mean hint), bad timeframe (the valid ones are
        named), bad seed; raised before anything is fitted.
    DataError
        Invalid data, or too few bars for the warm-up and the training rows.

    Examples
    --------
    >>> import tempfile
    >>> res = train_models("synth:symbols=1,bars=450,freq=1d,seed=0", registry=tempfile.mkdtemp(),
    ...                    params={"fast": True, "garch_window": 60, "lstm_epochs": 1})
    >>> res.path.name == res.version, sorted(res.metrics)[:3]
    (True, ['auc', 'auc_stack', 'brier'])
    """
    from tradeforge.models.pipeline import MLPipeline
    from tradeforge.models.registry import ModelRegistry

    check_int("seed", seed, 0, "e.g. --seed 0")
    hyper_params = model_params(params, _FIXED)
    frames = load_frames(data, start=start, end=end)
    tfs = _timeframes(timeframes, common_bar_size(frames))
    pipe = MLPipeline(timeframes=tfs, random_state=seed, **hyper_params)
    train_range = _train_range(frames, pipe.warmup)
    _fit(pipe, frames, train_range, progress)
    metrics, report, timings = _metrics(pipe)
    timings["total"] = round(sum(timings.values()), 4)
    data_range = (min(df.index[0] for df in frames.values()), max(df.index[-1] for df in frames.values()))
    hyper = {k: v for k, v in pipe.get_params().items() if k != "benchmark"}
    reg = ModelRegistry(registry)
    version = reg.save({MODEL_NAME: pipe}, data_range=data_range, data_hash=_data_hash(frames),
                       feature_names=pipe.columns_, params=hyper, metrics=metrics)
    return TrainResult(version=version, path=reg.root / version, metrics=metrics, report=report,
                       timings=timings, data_range=data_range, train_range=train_range, pipeline=pipe)


def auc_warning(metrics: Mapping[str, Any]) -> str | None:
    """A one-line warning when the traded model's out-of-fold AUC is below 0.5, else None.

    The traded model is the calibrated stack (``metrics["auc"]``); the line also names the ensemble members
    whose own out-of-fold AUC is below 0.5. A missing or non-finite AUC gives None.

    Examples
    --------
    >>> auc_warning({"auc": 0.62, "models": {}}) is None
    True
    >>> auc_warning({"auc": 0.45, "n_scored": 80, "models": {"rf": {"auc": 0.4}}})[:45]
    'out-of-fold AUC of the stacked model is 0.450'
    """
    auc = metrics.get("auc")
    if not isinstance(auc, int | float) or not math.isfinite(auc) or auc >= 0.5:
        return None
    members = [f"{name} {row['auc']:.3f}" for name, row in (metrics.get("models") or {}).items()
               if name not in ("stack", "stack_calibrated") and isinstance(row.get("auc"), int | float)
               and math.isfinite(row["auc"]) and row["auc"] < 0.5]
    scored = metrics.get("n_scored")
    return (f"out-of-fold AUC of the stacked model is {auc:.3f}, below 0.5 (worse than chance"
            + (f" on {scored} held-out rows" if scored is not None else "") + ")"
            + (f"; members below 0.5: {', '.join(members)}" if members else "")
            + "; its decisions are no better than a coin: check the data, the label parameters "
              "(label_horizon, take_profit, stop_loss) and the features, or train on more history, before "
              "trading this version")


def list_versions(registry: str | Path = DEFAULT_REGISTRY) -> pd.DataFrame:
    """One row per saved version (oldest first), read from the manifests without loading any model.

    Columns: ``version, created_at, data_start, data_end, models, auc, n_train``. An empty frame when the
    registry holds no version yet.

    Examples
    --------
    >>> import tempfile
    >>> list_versions(tempfile.mkdtemp()).empty
    True
    """
    from tradeforge.models.registry import ModelRegistry

    reg = ModelRegistry(registry)
    rows = []
    for version in reg.versions():
        man = reg.manifest(version)
        start, end = (list(man.get("data_range") or []) + [None, None])[:2]
        metrics = man.get("metrics") or {}
        rows.append({"version": version, "created_at": man.get("created_at"), "data_start": start,
                     "data_end": end, "models": ",".join(man.get("models", {})),
                     "auc": metrics.get("auc"), "n_train": metrics.get("n_train")})
    columns = ["version", "created_at", "data_start", "data_end", "models", "auc", "n_train"]
    return pd.DataFrame(rows, columns=columns)
