"""``last_garch_row``: the last row of the rolling ``garch_features`` bitwise from one fit, its forecast path,
an injected fit, and its checks."""

from __future__ import annotations

import numpy as np
import pytest

from tradeforge.errors import ConfigError
from tradeforge.models.garch import _fit_arch, garch_features, last_garch_row


@pytest.mark.parametrize("n", [120, 169, 170, 301])
def test_last_row_equals_the_rolling_features_bitwise(n):
    r = 0.01 * np.random.default_rng(n).standard_t(6, size=n)
    ref = garch_features(r, window=60, refit_every=50).to_numpy()[-1]
    row = last_garch_row(r, window=60, refit_every=50, horizon=4)
    assert (row.sigma, row.var, row.cvar) == tuple(ref)
    assert row.sigma_path.shape == (4,) and row.sigma_path[0] == pytest.approx(row.sigma, rel=1e-12)
    assert np.isfinite(row.sigma_path).all() and (row.sigma_path > 0).all()
    assert last_garch_row(r[:59], window=60, refit_every=50) is None


def test_injected_fit_is_used_and_checks():
    r = 0.01 * np.random.default_rng(0).standard_t(6, size=200)
    seen = []

    def fit(chunk):
        seen.append(chunk.copy())
        return _fit_arch(chunk, 1, 1, "t", True)

    row = last_garch_row(r, window=80, refit_every=30, fit=fit)
    assert len(seen) == 1 and np.array_equal(seen[0], r[120:200])  # the last refit: bar 79 + 4 * 30
    assert row.sigma == garch_features(r, window=80, refit_every=30).to_numpy()[-1, 0]
    with pytest.raises(ConfigError, match="horizon"):
        last_garch_row(r, window=80, refit_every=30, horizon=0)
