"""The nightly retrain: train a challenger, score it and the champion on the newest bars, promote or keep.

Both models are scored on the same **holdout**: the newest *holdout_bars* bars of every symbol whose
label is complete, which the challenger never saw (it is trained on the bars before the holdout,
``train_models(..., end=cut)``). Each model is scored against its own label: whether the trade of its
:attr:`~tradeforge.models.pipeline.MLPipeline.trade` made money net of costs. The challenger is promoted by
:func:`~tradeforge.engine.schedule.promotion.decide_promotion` (AUC no lower, Brier no higher). The
champion is a pointer file ``champion.json`` in the registry folder, holding the current version and the
history of every decision (both versions and both score sets); the decision is also logged (JSON lines)
and handed to an optional ``record`` callable. :func:`record_decision` writes an outcome to the journal's
``model_decisions`` table (the live trading day does, after each retrain).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tradeforge.errors import ConfigError, ModelError

from .jobs import RetrainOutcome
from .promotion import decide_promotion

__all__ = ["Retrainer", "champion_version", "record_decision", "HIGHER_IS_BETTER"]

HIGHER_IS_BETTER = {"auc": True, "brier": False}


def _pointer(registry: str | Path) -> Path:
    return Path(registry) / "champion.json"


def champion_version(registry: str | Path) -> str | None:
    """The promoted version of *registry* (None when nothing was promoted yet)."""
    path = _pointer(registry)
    if not path.exists():
        return None
    return json.loads(path.read_text()).get("version")


def _score(pipe: Any, frames: Mapping[str, Any], start: Any) -> dict[str, float]:
    """Pooled AUC and Brier of *pipe* on the bars from *start* whose label is known."""
    import numpy as np
    from sklearn.metrics import brier_score_loss, roc_auc_score

    spec = pipe.trade  # the pipeline's own label: the trade it was trained on and trades
    probs, labels = [], []
    for sym, df in frames.items():
        pred = pipe.predict_frame({sym: df}, start=start)[sym]["ml_proba"]
        tb = spec.label(df)["label"]
        both = np.isfinite(pred.to_numpy()) & np.isfinite(tb.reindex(pred.index).to_numpy())
        probs.append(pred.to_numpy()[both])
        labels.append(tb.reindex(pred.index).to_numpy()[both])
    p, y = np.concatenate(probs), np.concatenate(labels)
    if len(y) == 0 or len(set(y.tolist())) < 2:
        classes = len(set(y.tolist()))
        raise ModelError(f"holdout: {len(y)} scored bars with {classes} label class(es); expected both "
                         "classes. Raise holdout_bars.")
    return {"auc": float(roc_auc_score(y, p)), "brier": float(brier_score_loss(y, p)), "n": float(len(y))}


def record_decision(journal: Any, outcome: RetrainOutcome, at: datetime) -> None:
    """Write *outcome* to *journal* (a :class:`~tradeforge.brokers.journal.Journal`) as one
    ``model_decisions`` row at *at*: both versions, both score sets, promoted or not, why, and the holdout.
    """
    champion_scores = None if outcome.champion_scores is None else dict(outcome.champion_scores)
    journal.record_model_decision(at, promoted=outcome.promoted, challenger=outcome.challenger,
                                  champion=outcome.champion,
                                  challenger_scores=dict(outcome.challenger_scores),
                                  champion_scores=champion_scores, reason=outcome.reason,
                                  holdout_start=outcome.holdout_start)


class Retrainer:
    """Champion / challenger retraining on the latest data.

    Parameters
    ----------
    load_frames : callable
        Returns the latest OHLCV frames ``{symbol: DataFrame}``, e.g. ``lambda: tradeforge.feeds.load(spec)``.
    registry : str or Path
        Registry folder (models and ``champion.json``).
    holdout_bars : int
        Newest bars per symbol kept out of the challenger's training and scored for both models.
    params, timeframes, seed
        Passed to :func:`tradeforge.engine.train.train_models`.
    record : callable, optional
        Called with the decision as a dict (for the journal).
    clock : callable, optional
        Returns the aware time written in the history.
    """

    def __init__(self, load_frames: Callable[[], Mapping[str, Any]], registry: str | Path, *,
                 holdout_bars: int = 390, params: Mapping[str, Any] | None = None,
                 timeframes: str | None = None, seed: int = 0,
                 record: Callable[[dict[str, Any]], None] | None = None,
                 clock: Callable[[], datetime] | None = None) -> None:
        if isinstance(holdout_bars, bool) or not isinstance(holdout_bars, int) or holdout_bars < 20:
            raise ConfigError(f"holdout_bars: got {holdout_bars!r}; expected an integer >= 20 (the newest "
                              "bars both models are scored on).")
        self.load_frames = load_frames
        self.registry = Path(registry)
        self.holdout_bars = holdout_bars
        self.params = dict(params or {})
        self.timeframes = timeframes
        self.seed = seed
        self.record = record
        self.clock = clock or (lambda: datetime.now(UTC))

    def __call__(self) -> RetrainOutcome:
        """Train, score both, decide, update ``champion.json``; returns the outcome."""
        from tradeforge.engine.train import MODEL_NAME, train_models
        from tradeforge.models.registry import ModelRegistry

        frames = dict(self.load_frames())
        shortest = min(len(df) for df in frames.values())
        if shortest <= 2 * self.holdout_bars:
            raise ConfigError(f"holdout_bars: {self.holdout_bars} leaves too little to train on "
                              f"({shortest} bars in the shortest symbol); lower it or load more history.")
        holdout_start = max(df.index[-self.holdout_bars] for df in frames.values())
        cut = max(df.index[df.index < holdout_start][-1] for df in frames.values())
        result = train_models(frames, registry=self.registry, seed=self.seed, params=self.params,
                              timeframes=self.timeframes, end=cut)
        challenger = _score(result.pipeline, frames, holdout_start)
        champion = champion_version(self.registry)
        champ_scores, note = None, ""
        if champion is not None:
            loaded = ModelRegistry(self.registry).load(champion)
            champ_scores = _score(loaded[MODEL_NAME], frames, holdout_start)
            seen = (loaded.manifest.get("data_range") or [None, None])[1]
            if seen is not None and str(seen) >= str(holdout_start):
                note = " (the champion was trained on part of the holdout: its score is optimistic)"
        promoted, reason = decide_promotion(challenger, champ_scores, higher_is_better=HIGHER_IS_BETTER)
        outcome = RetrainOutcome(promoted, result.version, champion, challenger, champ_scores, reason + note,
                                 holdout_start=str(holdout_start))
        self._write(outcome, holdout_start)
        return outcome

    def _write(self, outcome: RetrainOutcome, holdout_start: Any) -> None:
        path = _pointer(self.registry)
        state = json.loads(path.read_text()) if path.exists() else {"version": None, "history": []}
        entry = {"at": self.clock().isoformat(), "challenger": outcome.challenger,
                 "champion": outcome.champion,
                 "challenger_scores": dict(outcome.challenger_scores),
                 "champion_scores": dict(outcome.champion_scores or {}) or None,
                 "holdout_start": str(holdout_start), "promoted": outcome.promoted, "reason": outcome.reason}
        state["history"].append(entry)
        if outcome.promoted:
            state["version"] = outcome.challenger
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=1))
        tmp.replace(path)
        if self.record is not None:
            self.record(entry)
