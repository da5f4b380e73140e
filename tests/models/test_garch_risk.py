"""GARCH: forecasts match a direct arch fit, VaR/CVaR formulas, causal rolling features, user errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from arch import arch_model
from scipy import integrate

from tradeforge.errors import ConfigError, DataError, ModelError
from tradeforge.models.garch import GarchModel, garch_features, standardized_quantile_es


@pytest.fixture(scope="module")
def sp500_returns():
    from arch.data import sp500

    close = sp500.load()["Adj Close"]
    return np.log(close).diff().dropna().iloc[-1000:]


def test_sigma_forecast_matches_direct_arch_fit(sp500_returns):
    model = GarchModel(horizon=5).fit(sp500_returns)
    assert model.scale_ == 100.0  # daily returns are rescaled into arch's comfortable range
    direct = arch_model(100 * sp500_returns.to_numpy(), mean="Constant", vol="GARCH", p=1, q=1, dist="t",
                        rescale=False).fit(disp="off")
    expected = np.sqrt(direct.forecast(horizon=5, reindex=False).variance.to_numpy()[-1]) / 100
    np.testing.assert_allclose(model.forecast_sigma(), expected, rtol=1e-6)
    assert model.nu_ == pytest.approx(direct.params["nu"], rel=1e-6)


def test_var_and_cvar_use_the_standardised_t(sp500_returns):
    from arch.univariate import StudentsT

    model = GarchModel().fit(sp500_returns)
    nu, mu, sigma = model.nu_, model.mean_forecast_[0], model.sigma_forecast_[0]
    q_arch = StudentsT().ppf(0.05, np.array([nu]))
    assert model.var(0.05) == pytest.approx(-(mu + sigma * q_arch), rel=1e-9)
    es_numeric = -integrate.quad(lambda u: StudentsT().ppf(u, np.array([nu])), 0, 0.05)[0] / 0.05
    assert standardized_quantile_es(0.05, "t", nu)[1] == pytest.approx(es_numeric, rel=1e-6)
    assert model.cvar(0.01) > model.cvar(0.05) > model.var(0.05) > 0
    assert model.var(0.05, step=5) != model.var(0.05, step=1)


def test_save_load_round_trip(tmp_path, sp500_returns):
    model = GarchModel(dist="normal").fit(sp500_returns.iloc[-300:])
    model.save(tmp_path)
    loaded = GarchModel.load(tmp_path)
    np.testing.assert_array_equal(loaded.forecast_sigma(), model.forecast_sigma())
    assert loaded.cvar() == model.cvar() and loaded.get_params() == model.get_params()


def test_rolling_features_are_causal_and_match_arch_fixed_filter():
    rng = np.random.default_rng(0)
    r = pd.Series(0.01 * rng.standard_t(6, size=420), index=pd.date_range("2021-01-01", periods=420))
    full = garch_features(r, window=200, refit_every=60)
    assert full.index.equals(r.index) and full.iloc[:199].isna().all().all()
    assert full.iloc[199:].notna().all().all() and (full["garch_cvar"] > full["garch_var"]).iloc[199:].all()
    cut = garch_features(r.iloc[:300], window=200, refit_every=60)
    pd.testing.assert_frame_equal(full.iloc[:300], cut)
    # bar 230 sits between refits (199, 259): equal to arch's filter with the bar-199 parameters fixed
    res = arch_model(r.to_numpy()[:200], dist="t", rescale=True).fit(disp="off")
    fixed = arch_model(res.scale * r.to_numpy()[:231], dist="t", rescale=False).fix(res.params.to_numpy())
    sigma = np.sqrt(fixed.forecast(horizon=1, reindex=False).variance.to_numpy()[-1, 0]) / res.scale
    assert full["garch_sigma"].iloc[230] == pytest.approx(sigma, rel=1e-8)


def test_user_errors():
    with pytest.raises(DataError, match="at least 50"):
        GarchModel().fit(np.zeros(10))
    with pytest.raises(DataError, match="position 3"):
        GarchModel().fit([0.1, 0.2, 0.3, np.nan])
    with pytest.raises(DataError, match="rescale=True"):
        GarchModel(rescale=False).fit(1e-4 * np.random.default_rng(0).normal(size=200))
    with pytest.raises(DataError, match="all 100 values equal"):
        GarchModel().fit(np.zeros(100))
    with pytest.raises(ConfigError, match="Did you mean 'normal'"):
        GarchModel(dist="norml").fit(np.ones(100))
    with pytest.raises(ModelError, match="not fitted"):
        GarchModel().var()
    with pytest.raises(ConfigError, match="alpha"):
        standardized_quantile_es(0.7)
    with pytest.raises(ConfigError, match="window"):
        garch_features(np.zeros(100), window=10)


def test_estimator_contract_clone_and_params():
    from sklearn.base import clone

    model = GarchModel(dist="normal", horizon=3)
    fitted = model.fit(0.01 * np.random.default_rng(1).standard_t(5, size=200))
    assert fitted is model and clone(model).get_params() == model.get_params()
    assert not hasattr(clone(model), "sigma_forecast_") and len(model.forecast_sigma()) == 3
    with pytest.raises(ConfigError, match="step"):
        model.var(step=4)
