"""MLPipeline on several symbols: a planted edge is found out of fold, pure noise is not; risk inputs."""

from __future__ import annotations

import numpy as np

from tradeforge.feeds import load
from tradeforge.models.pipeline import MLPipeline

PARAMS = {"fast": True, "garch_window": 60, "garch_refit_every": 150, "lstm_epochs": 2}


def _null_se(report: dict) -> float:
    """Standard error of an AUC under 'no skill' (Hanley & McNeil 1982): sqrt((n + 1) / (12 n1 n0))."""
    n = report["n_scored"]
    n1 = max(1.0, round(report["positive_rate"] * n))
    return float(np.sqrt((n + 1) / (12.0 * n1 * (n - n1))))


def test_planted_edge_is_found_out_of_fold_on_two_symbols():
    data = load("synth:symbols=2,bars=700,freq=1d,seed=0,edge=0.8")
    pipe = MLPipeline(**PARAMS).fit(data)
    rep = pipe.report_
    # pooled rows of both symbols, in time order
    assert rep["n_train"] > 500 and pipe.train_rows_["time"].is_monotonic_increasing
    # a strong planted momentum (0.8 sigma per bar): both the meta-learner's OOF ranking and the honest
    # chronologically calibrated probability must beat 'no skill' by more than 2 standard errors
    assert rep["auc_stack"] > 0.5 + 2.0 * _null_se(rep), rep
    assert rep["auc"] > 0.5 + 2.0 * _null_se(rep), rep
    frames = pipe.predict_frame(data, start=next(iter(data.values())).index[-80])
    assert set(frames) == set(data)
    assert all(len(f) == 80 and f["ml_proba"].notna().all() for f in frames.values())
    # equal-weighted index of the two symbols as benchmark: beta near 1, positive tail dependence
    for risk in pipe.risk_.values():
        assert 0.5 < risk.beta < 1.5 and 0.0 < risk.tail <= 1.0


def test_pure_noise_scores_near_half_and_explicit_benchmark():
    data = load("synth:symbols=2,bars=700,freq=1d,seed=5,edge=0")
    first, second = data.values()
    pipe = MLPipeline(**PARAMS, benchmark=second["close"]).fit(first)
    rep = pipe.report_
    assert abs(rep["auc_stack"] - 0.5) < 3.0 * _null_se(rep), rep
    risk = next(iter(pipe.risk_.values()))
    assert np.isfinite(risk.beta) and 0.0 <= risk.tail <= 1.0
    frame = pipe.predict_frame(first)
    valid = frame.iloc[pipe.warmup - 1:]
    assert valid["ml_risk"].between(1, 10).all()
