"""Walk-forward splits: chronology, purge, embargo, label_end purging, OOF predictions without leakage."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from tradeforge.errors import ConfigError, DataError, ModelError
from tradeforge.models.validation import WalkForwardSplit, oof_predict


def _folds(cv, n):
    return list(cv.split(np.zeros(n)))


def test_rolling_splits_are_chronological_and_purged():
    cv = WalkForwardSplit(n_splits=4, train_size=30, test_size=10, purge=3, embargo=2)
    folds = _folds(cv, 100)
    assert len(folds) == 4
    for train, test in folds:
        assert len(train) == 30
        assert train.max() == test.min() - 3 - 2 - 1  # purge + embargo rows dropped before the test block
        assert np.all(np.diff(test) == 1) and len(test) == 10
    assert [int(te[0]) for _, te in folds] == [60, 70, 80, 90]


def test_anchored_splits_start_at_zero_and_grow():
    folds = _folds(WalkForwardSplit(n_splits=3, anchored=True, purge=1, embargo=0), 80)
    assert all(tr[0] == 0 for tr, _ in folds)
    sizes = [len(tr) for tr, _ in folds]
    assert sizes == sorted(sizes) and sizes[0] == 20 - 1
    assert folds[-1][1][-1] == 79  # the last block ends at the last row


def test_open_ended_splits_cover_everything_after_min_train():
    folds = _folds(WalkForwardSplit(test_size=7, min_train=20, anchored=True), 50)
    tested = np.concatenate([te for _, te in folds])
    np.testing.assert_array_equal(tested, np.arange(20, 50))


def test_label_end_purges_exactly_the_overlapping_rows():
    n = 60
    label_end = np.minimum(np.arange(n) + np.where(np.arange(n) % 2 == 0, 5, 1), n - 1)
    cv = WalkForwardSplit(n_splits=2, test_size=20, purge=label_end, embargo=0, anchored=True)
    for train, test in _folds(cv, n):
        assert np.all(label_end[train] < test[0])
        dropped = np.setdiff1d(np.arange(test[0]), train)
        assert np.all(label_end[dropped] >= test[0])


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"n_splits": 0}, {"test_size": 5, "purge": -1}, {"test_size": 5, "embargo": 1.5}],
)
def test_bad_parameters_raise_config_error(kwargs):
    with pytest.raises(ConfigError):
        _folds(WalkForwardSplit(**kwargs), 50)


def test_too_little_data_and_bad_label_end_raise_data_error():
    with pytest.raises(DataError, match="rows"):
        _folds(WalkForwardSplit(n_splits=5, test_size=20), 50)
    with pytest.raises(DataError, match="label_end"):
        _folds(WalkForwardSplit(n_splits=2, purge=np.arange(10)), 50)


def test_oof_predict_learns_signal_but_not_noise():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 5))
    y_signal = (X[:, 0] + 0.5 * rng.normal(size=600) > 0).astype(int)
    y_noise = rng.integers(0, 2, 600)
    cv = WalkForwardSplit(n_splits=4, purge=2)
    oof, mask = oof_predict(LogisticRegression(), X, y_signal, cv)
    assert np.isnan(oof[~mask]).all() and np.isfinite(oof[mask]).all()
    assert roc_auc_score(y_signal[mask], oof[mask]) > 0.8
    oof_n, mask_n = oof_predict(LogisticRegression, X, y_noise, cv)  # a factory works too
    assert abs(roc_auc_score(y_noise[mask_n], oof_n[mask_n]) - 0.5) < 0.08


def test_oof_rows_are_unchanged_by_future_rows():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 3))
    y = (X[:, 1] > 0).astype(int)
    cv = WalkForwardSplit(test_size=50, min_train=100, anchored=True)
    full, _ = oof_predict(LogisticRegression(), X, y, cv)
    cut, _ = oof_predict(LogisticRegression(), X[:250], y[:250], cv)
    np.testing.assert_array_equal(full[:250], cut)


def test_single_class_fold_is_a_model_error():
    X = np.arange(100.0)[:, None]
    y = np.r_[np.zeros(60, int), np.ones(40, int)]
    with pytest.raises(ModelError, match="single class"):
        oof_predict(LogisticRegression(), X, y, WalkForwardSplit(n_splits=2, test_size=20))


def test_embargo_defaults_to_the_label_horizon():
    """embargo=None drops the label horizon's rows before each test block, on top of the purge."""
    n = 100
    plain = _folds(WalkForwardSplit(n_splits=2, test_size=20, purge=5, embargo=0, anchored=True), n)
    default = _folds(WalkForwardSplit(n_splits=2, test_size=20, purge=5, anchored=True), n)
    for (tr0, te0), (tr1, te1) in zip(plain, default, strict=True):
        np.testing.assert_array_equal(te0, te1)
        assert te1[0] - tr1[-1] - 1 == 5 + 5 and te0[0] - tr0[-1] - 1 == 5
    label_end = np.minimum(np.arange(n) + np.where(np.arange(n) % 2, 3, 7), n - 1)  # horizons 3 and 7
    cv = WalkForwardSplit(n_splits=2, test_size=20, purge=label_end, anchored=True)
    assert cv.resolved_embargo() == 7
    for tr, te in _folds(cv, n):
        assert tr[-1] < te[0] - 7 and (label_end[tr] < te[0]).all()
    with pytest.raises(ConfigError, match="embargo"):
        _folds(WalkForwardSplit(n_splits=2, embargo=-1), n)
