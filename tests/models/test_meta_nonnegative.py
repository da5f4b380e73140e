"""The stacking meta-learner never inverts a base model (non-negative weights); ``RecentSlopeLogit`` takes
its slope from the latest rows and its level from all of them."""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression

from tradeforge.models._meta import NonNegativeLogit, RecentSlopeLogit


def test_matches_the_unconstrained_fit_when_weights_are_positive_and_clips_a_negative_one():
    rng = np.random.default_rng(3)
    Z = rng.normal(size=(2000, 3))
    y = (0.8 * Z[:, 0] + 0.3 * Z[:, 1] - 0.6 * Z[:, 2] + rng.normal(size=2000) > 0).astype(int)
    free = LogisticRegression(C=1.0).fit(Z[:, :2], y)
    ours = NonNegativeLogit(C=1.0).fit(Z[:, :2], y)
    assert np.allclose(ours.coef_, free.coef_, atol=1e-3)
    assert np.allclose(ours.intercept_, free.intercept_, atol=1e-3)
    clipped = NonNegativeLogit().fit(Z, y)
    assert clipped.coef_[0, 2] == 0.0 and clipped.coef_[0, 0] > 0.5


def test_rows_alone_equal_the_batch_bitwise():
    rng = np.random.default_rng(4)
    Z = rng.normal(size=(300, 2))
    y = (Z[:, 0] + rng.normal(size=300) > 0).astype(int)
    m = NonNegativeLogit().fit(Z, y)
    single = np.vstack([m.predict_proba(Z[i:i + 1]) for i in range(40)])
    assert np.array_equal(m.predict_proba(Z[:40]), single)


def _scores(n, early_noise, late_noise, seed, late_shift=0.0):
    """A true log-odds, and a score of it whose noise drops from *early_noise* to *late_noise* for the last
    quarter of the rows (the out-of-fold rows of stronger models); labels drawn from the true log-odds."""
    rng = np.random.default_rng(seed)
    truth = rng.normal(size=n)
    late = np.arange(n) >= 3 * n // 4
    score = truth + np.where(late, late_noise, early_noise) * rng.normal(size=n)
    y = (truth + np.where(late, late_shift, 0.0) + rng.logistic(size=n) > 0).astype(int)
    return score, y, truth


def _log_loss(p, y):
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def test_recent_slope_stretches_a_score_that_got_sharper_and_predicts_new_rows_better():
    score, y, _ = _scores(4000, early_noise=1.5, late_noise=0.5, seed=5)
    pooled = NonNegativeLogit().fit(score[:, None], y)
    recent = RecentSlopeLogit(recent=0.25).fit(score[:, None], y)
    # the last quarter's slope is about twice the pooled one (1.9-2.5 over seeds), below the bound of 3
    assert 1.6 < recent.slope_ < 2.9
    assert np.isclose(recent.coef_[0, 0], recent.slope_ * pooled.coef_[0, 0])
    # new rows scored as sharply as the latest ones: the stretched probabilities are the better forecast
    new, y_new, _ = _scores(4000, early_noise=0.5, late_noise=0.5, seed=6)
    assert (_log_loss(recent.predict_proba(new[:, None])[:, 1], y_new)
            < _log_loss(pooled.predict_proba(new[:, None])[:, 1], y_new) - 0.02)


def test_recent_slope_leaves_a_score_of_constant_quality_alone():
    score, y, _ = _scores(4000, early_noise=1.0, late_noise=1.0, seed=7)
    recent = RecentSlopeLogit(recent=0.25).fit(score[:, None], y)
    assert abs(recent.slope_ - 1.0) < 0.3      # ~3 standard errors of a 1,000-row slope


def test_recent_slope_keeps_the_pooled_level_and_its_bounds():
    # the latest rows' base rate is higher: their level is not taken (it does not persist on a random walk)
    score, y, _ = _scores(4000, early_noise=1.0, late_noise=1.0, seed=8, late_shift=1.0)
    recent = RecentSlopeLogit(recent=0.25).fit(score[:, None], y)
    p = recent.predict_proba(score[:, None])[:, 1]
    assert abs(p.mean() - y.mean()) < 1e-4     # the intercept's score equation over every row
    assert p[-1000:].mean() < y[-1000:].mean() - 0.1
    # a latest block that claims an extreme slope is held to max_slope; one whose slope is not significantly
    # positive (here reversed: never inverted) leaves the pooled slope
    steep, y2, _ = _scores(4000, early_noise=6.0, late_noise=0.05, seed=9)
    assert RecentSlopeLogit(max_slope=3.0).fit(steep[:, None], y2).slope_ == 3.0
    flip = np.r_[score[:3000], -score[3000:]]
    m = RecentSlopeLogit().fit(flip[:, None], y)
    assert m.slope_z_ == 0.0 and m.slope_ == 1.0


def test_recent_slope_learns_nothing_from_noise():
    rng = np.random.default_rng(10)
    Z = rng.normal(size=(2000, 3))
    y = rng.integers(0, 2, 2000)
    m = RecentSlopeLogit().fit(Z, y)
    p = m.predict_proba(Z)[:, 1]
    assert m.slope_ == 1.0 and m.slope_z_ < 2.0      # a noise fit is not stretched
    assert p.std() < 0.03 and abs(p.mean() - y.mean()) < 1e-4
