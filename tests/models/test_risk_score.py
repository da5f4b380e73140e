"""risk_score bounds and monotonicity, beta and historical VaR, and the GARCH + copula risk profile."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradeforge.errors import ConfigError, DataError
from tradeforge.models.risk import risk_profile
from tradeforge.models.risk_metrics import historical_var, ols_beta, risk_score

_inputs = st.fixed_dictionaries({
    "sigma": st.floats(0, 0.2), "var": st.floats(-0.05, 0.3), "beta": st.floats(-3, 4),
    "tail_dep": st.floats(0, 1),
})


@settings(max_examples=150, deadline=None)
@given(_inputs, st.sampled_from(["sigma", "var", "beta", "tail_dep"]), st.floats(0, 0.5))
def test_score_is_bounded_and_monotone_in_every_input(values, key, bump):
    base = risk_score(**values)
    assert isinstance(base, int) and 1 <= base <= 10
    higher = {**values, key: min(values[key] + bump, 1.0) if key == "tail_dep" else values[key] + bump}
    assert risk_score(**higher) >= base


def test_score_extremes_and_a_typical_stock():
    assert risk_score(0.0, 0.0, 0.0, 0.0) == 1
    assert risk_score(1.0, 1.0, 5.0, 1.0) == 10
    assert 3 <= risk_score(sigma=0.013, var=0.022, beta=1.1, tail_dep=0.35) <= 5


@pytest.mark.parametrize("kwargs, match", [
    ({"sigma": -0.1}, "sigma must be >= 0"),
    ({"tail_dep": 1.5}, r"tail_dep is a probability"),
    ({"var": float("nan")}, "var must be finite"),
    ({"beta": "high"}, "beta must be a number"),
])
def test_bad_inputs_name_the_argument(kwargs, match):
    with pytest.raises(DataError, match=match):
        risk_score(**{"sigma": 0.01, "var": 0.02, "beta": 1.0, "tail_dep": 0.2, **kwargs})


def test_beta_and_historical_var():
    rng = np.random.default_rng(0)
    b = rng.normal(0, 0.01, 500)
    assert ols_beta(0.7 * b + 0.001, b) == pytest.approx(0.7)
    var, cvar = historical_var(rng.normal(0, 0.01, 20_000), alpha=0.05)
    assert var == pytest.approx(0.01645, rel=0.05) and cvar == pytest.approx(0.02063, rel=0.05)
    with pytest.raises(DataError, match="constant"):
        ols_beta(b, np.ones(500))
    with pytest.raises(ConfigError, match="alpha"):
        historical_var(b, alpha=0.9)


def test_risk_profile_ranks_a_wild_stock_above_a_calm_one():
    rng = np.random.default_rng(4)
    spy = pd.Series(0.01 * rng.standard_t(5, 700), name="SPY")
    calm = risk_profile(0.3 * spy + 0.003 * rng.normal(size=700), spy)
    wild = risk_profile(2.0 * spy + 0.02 * rng.standard_t(4, 700), spy)
    assert len(calm["sigma_forecast"]) == 5 and calm["cvar"] > calm["var"] > 0
    assert wild["beta"] > 1.5 > 0.5 > calm["beta"]
    assert wild["risk_score"] > calm["risk_score"]
