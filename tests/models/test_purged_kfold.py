"""Purged k-fold inside a training window, and the expected legs the pipeline spreads an entry's cost over."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tradeforge.errors import ConfigError, DataError
from tradeforge.models.ensemble import StackedEnsemble
from tradeforge.models.pipeline import MLPipeline
from tradeforge.models.validation import PurgedKFold


@pytest.mark.parametrize("purge", [0, 3, "array"])
def test_every_row_is_tested_once_and_no_training_label_overlaps_the_block(purge):
    n = 103
    rng = np.random.default_rng(0)
    label_end = np.minimum(np.arange(n) + rng.integers(0, 6, n), n - 1) if purge == "array" else None
    cv = PurgedKFold(n_splits=4, purge=label_end if label_end is not None else purge, embargo=2)
    ends = label_end if label_end is not None else np.arange(n) + purge
    seen = np.zeros(n, dtype=int)
    for train, test in cv.split(np.zeros(n)):
        s, e = int(test[0]), int(test[-1]) + 1
        seen[test] += 1
        before, after = train[train < s], train[train >= e]
        assert np.all(ends[before] < s)                 # purged: no label reaches into the block
        assert after.size == 0 or after.min() >= e + 2  # embargoed after the block
        assert not np.isin(train, test).any()
        kept = np.flatnonzero(((np.arange(n) < s) & (ends < s)) | (np.arange(n) >= e + 2))
        assert np.array_equal(train, kept)              # and nothing else is dropped
    assert np.all(seen == 1)


def test_too_few_rows_and_bad_splits_are_refused():
    with pytest.raises(DataError, match="too few"):
        list(PurgedKFold(n_splits=4).split(np.zeros(5)))
    with pytest.raises(ConfigError):
        list(PurgedKFold(n_splits=1).split(np.zeros(50)))
    with pytest.raises(ConfigError, match="level1"):
        StackedEnsemble(level1="bogus").fit(np.zeros((200, 2)), np.arange(200) % 2)


def test_kfold_predicts_every_row_walkforward_leaves_the_first_block():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 3))
    y = (X[:, 0] + rng.normal(size=300) > 0).astype(int)
    kfold = StackedEnsemble(base_models=("logit",), calibration="none", fast=True, level1="kfold").fit(X, y)
    walk = StackedEnsemble(base_models=("logit",), calibration="none", fast=True).fit(X, y)  # the default
    assert kfold.n_oof_rows_ == 300
    assert walk.n_oof_rows_ == 300 - 300 // 5
    assert kfold.report_.loc["stack", "auc"] > 0.7   # a real signal is found either way
    assert walk.report_.loc["stack", "auc"] > 0.7


def _legs(hold_runs, horizon=1, gap_symbol=False):
    """An MLPipeline with payoff = loss = 1 (hold when p > 0.55 at min_edge 0.1) on crafted OOF rows."""
    pipe = MLPipeline(label_horizon=horizon, min_edge=0.1)
    pipe.payoff_, pipe.loss_ = 1.0, 1.0
    proba, sym, pos = [], [], []
    at = 0
    for run in hold_runs:
        proba += [0.6] * run + [0.5]
        pos += list(range(at, at + run + 1))
        at += run + 1
    sym = ["A"] * len(proba)
    if gap_symbol:  # the same bars of a second symbol, interleaved as the pipeline's rows are
        proba, pos, sym = proba * 2, pos * 2, sym + ["B"] * len(sym)
    ens = pd.DataFrame({"symbol": sym, "pos": pos})
    order = np.argsort(np.asarray(pos), kind="stable")
    ens = ens.iloc[order].reset_index(drop=True)
    p = np.asarray(proba)[order]
    return pipe._expected_legs(ens, np.arange(len(ens)), p)


def test_expected_legs_is_the_mean_run_of_held_bars_over_the_horizon():
    assert _legs([3, 1, 5]) == pytest.approx(3.0)
    assert _legs([3, 1, 5], gap_symbol=True) == pytest.approx(3.0)  # runs never join across symbols
    assert _legs([4, 8], horizon=2) == pytest.approx(3.0)
    assert _legs([]) == 1.0                                          # never held: one leg pays it all
    assert _legs([1, 1]) == 1.0
