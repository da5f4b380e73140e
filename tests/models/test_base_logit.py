"""The sparse logistic base model: selects its features in the training window; it and the screened logit
are row-invariant and persisted."""

from __future__ import annotations

import numpy as np
import pytest

from tradeforge.models import StackedEnsemble
from tradeforge.models._base_models import SparseLogit, make_base


def _data(n=1500, k=40, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, k)) * rng.uniform(0.01, 100.0, size=k)  # scales far apart: it standardises
    y = (X[:, 3] / np.std(X[:, 3]) * 0.4 + rng.normal(size=n) > 0).astype(int)
    return X, y


def test_selects_the_informative_column_and_zeroes_most_others():
    X, y = _data()
    m = SparseLogit().fit(X, y)
    assert int(np.argmax(np.abs(m.coef_))) == 3
    assert (m.coef_ == 0.0).sum() >= 30                       # L1: most noise columns are exactly zero
    auc_proxy = np.corrcoef(m.predict_proba(X)[:, 1], X[:, 3])[0, 1]
    assert auc_proxy > 0.9


@pytest.mark.parametrize("name", ["logit", "screen"])
def test_rows_alone_equal_the_batch_bitwise_and_fits_are_deterministic(name):
    X, y = _data(seed=1)
    a = make_base(name, random_state=0, n_jobs=1, fast=True).fit(X, y)
    b = make_base(name, random_state=0, n_jobs=1, fast=True).fit(X, y)
    batch = a.predict_proba(X[:50])
    single = np.vstack([a.predict_proba(X[i:i + 1]) for i in range(50)])
    assert np.array_equal(batch, single)
    assert np.array_equal(batch, b.predict_proba(X[:50]))


@pytest.mark.parametrize("name", ["logit", "screen"])
def test_in_the_stack_saved_and_loaded(tmp_path, name):
    X, y = _data(n=600, k=8, seed=2)
    ens = StackedEnsemble(base_models=(name, "lgbm"), fast=True, n_splits=3).fit(X, y)
    ens.save(tmp_path)
    again = StackedEnsemble.load(tmp_path)
    assert np.array_equal(ens.predict_proba(X[:20]), again.predict_proba(X[:20]))
    assert ens.report_.loc[name, "auc"] > 0.6
