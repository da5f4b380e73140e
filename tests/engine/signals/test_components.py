"""Stage 2's fast paths against the library pieces they stand for: GARCH row (cached fits), LSTM batch, tail
dependence."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tradeforge.engine.signals._garch_last import clear_cache, last_garch
from tradeforge.engine.signals.risk import candidate_risk, clayton_lower_tail
from tradeforge.models.copula import CopulaDependence
from tradeforge.models.garch import garch_features
from tradeforge.models.lstm import LSTMPredictor


@pytest.mark.parametrize("n", [120, 187, 260])
def test_last_garch_row_is_the_rolling_features_last_row(n):
    r = 0.01 * np.random.default_rng(n).standard_t(6, size=n)
    ref = garch_features(r, window=60, refit_every=50).to_numpy()[-1]
    clear_cache()
    row = last_garch(r, 60, 50, horizon=5)
    assert (row.sigma, row.var, row.cvar) == tuple(ref)  # bitwise
    again = last_garch(r, 60, 50, horizon=5)  # from the cache
    assert again.sigma == row.sigma and np.array_equal(again.sigma_path, row.sigma_path)
    assert row.sigma_path.shape == (5,) and row.sigma_path[0] == row.sigma
    assert last_garch(r[:59], 60, 50) is None


def test_clayton_tail_is_copula_dependence_lower_tail():
    rng = np.random.default_rng(0)
    b = 0.01 * rng.standard_t(5, 400)
    x = 1.1 * b + 0.006 * rng.normal(size=400)
    dep = CopulaDependence().fit(pd.Series(x), pd.Series(b, name="SPY"))
    assert clayton_lower_tail(x, b) == pytest.approx(dep.max_lower_tail(), abs=1e-12)
    assert clayton_lower_tail(x, -b) == 0.0


def test_candidate_risk_metrics():
    rng = np.random.default_rng(1)
    spy = 0.01 * rng.standard_t(5, 300)
    x = 1.3 * spy + 0.004 * rng.normal(size=300)
    row = last_garch(x, 100, 50, horizon=5)
    out = candidate_risk(x, {"SPY": spy, "QQQ": np.full(300, np.nan)}, row)
    assert out["beta"] == pytest.approx(1.3, abs=0.1) and out["correlation_spy"] > 0.9
    assert np.isnan(out["correlation_qqq"]) and np.isnan(out["tail_dependence"])  # no QQQ data: no tail term
    assert 1 <= out["ml_risk"] <= 10 and out["cvar_95"] > out["var_95"] > 0
    assert out["forecast_volatility"] == pytest.approx(np.sqrt(np.sum(row.sigma_path ** 2)))
    assert np.isnan(candidate_risk(x, {"SPY": spy}, None)["ml_risk"])


def test_one_batch_equals_predict_last_per_symbol_up_to_float32_rounding():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(300, 3))
    model = LSTMPredictor(lookback=8, epochs=1, size="small", device="cpu", random_state=0).fit(
        X, np.r_[X[1:, 0], np.nan])
    X[120, 1] = np.nan
    cuts = [40, 72, 73, 104, 200, 232, 299, 8, 7, 125] + list(range(150, 190))  # too short, NaN in window
    frames = [pd.DataFrame(X[:c]) for c in cuts]
    got = model.predict_last_many([f.iloc[-8:] for f in frames])
    ref = np.asarray([model.predict_last(f.to_numpy()) if len(f) >= 8 else np.nan for f in frames])
    assert np.isnan(got[[8, 9]]).all() and np.isnan(ref[[8, 9]]).all() and np.isfinite(got[:8]).all()
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-9)
    assert len(set(got[10:].round(12))) > 30  # every window has its own prediction
