"""The stacking meta-learner never inverts a base model (non-negative weights)."""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression

from tradeforge.models._meta import NonNegativeLogit


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
