"""CopulaDependence: recovers planted Clayton / Gaussian dependence, beta, alignment and user errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from tradeforge.errors import ConfigError, DataError, ModelError
from tradeforge.models.copula import CopulaDependence


def _clayton_sample(theta: float, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Marshall-Olkin sampler of a Clayton copula, margins mapped to fat-tailed 'returns'."""
    rng = np.random.default_rng(seed)
    v = rng.gamma(1.0 / theta, size=n)
    u = (1.0 + rng.exponential(size=(n, 2)) / v[:, None]) ** (-1.0 / theta)
    return 0.01 * stats.t.ppf(u[:, 0], 5), 0.012 * stats.t.ppf(u[:, 1], 5)


def test_planted_clayton_dependence_is_recovered():
    x, b = _clayton_sample(theta=2.0, n=2000, seed=0)
    dep = CopulaDependence().fit(pd.Series(x), pd.Series(b, name="SPY"))
    row = dep.summary_.loc["SPY"]
    assert row["kendall_tau"] == pytest.approx(0.5, abs=0.04)  # tau = theta / (theta + 2)
    assert row["lower_tail_dep"] == pytest.approx(2 ** -0.5, abs=0.04)
    assert row["implied_corr"] == pytest.approx(np.sin(np.pi * row["kendall_tau"] / 2))
    assert 0 < row["upper_tail_dep"] < row["lower_tail_dep"]
    assert dep.max_lower_tail() == row["lower_tail_dep"] and row["n_obs"] == 2000


def test_gaussian_dependence_beta_and_several_benchmarks():
    rng = np.random.default_rng(1)
    idx = pd.bdate_range("2020-01-01", periods=800)
    spy = pd.Series(rng.normal(0, 0.01, 800), index=idx)
    qqq = 0.8 * spy + pd.Series(rng.normal(0, 0.006, 800), index=idx)
    stock = 1.5 * spy + pd.Series(rng.normal(0, 0.01, 800), index=idx)
    dep = CopulaDependence().fit(stock, {"SPY": spy, "QQQ": qqq})
    s = dep.summary_
    assert list(s.index) == ["SPY", "QQQ"]
    rho = 1.5 * 0.01 / np.sqrt((1.5 * 0.01) ** 2 + 0.01**2)
    assert s.loc["SPY", "gaussian_corr"] == pytest.approx(rho, abs=0.03)
    assert s.loc["SPY", "implied_corr"] == pytest.approx(rho, abs=0.04)
    assert dep.beta() == pytest.approx(1.5, abs=0.08) and dep.beta("QQQ") > 1.0
    with pytest.raises(ModelError, match="Did you mean 'QQQ'"):
        dep.beta("QQ")


def test_alignment_by_date_and_negative_dependence():
    rng = np.random.default_rng(2)
    idx = pd.bdate_range("2021-01-01", periods=300)
    bench = pd.Series(rng.normal(0, 0.01, 300), index=idx, name="B")
    hedge = -bench.iloc[50:] + rng.normal(0, 0.002, 250)
    hedge.iloc[10] = np.nan
    s = CopulaDependence().fit(hedge, bench).summary_.loc["B"]
    assert s["n_obs"] == 249 and s["kendall_tau"] < -0.5
    assert s["lower_tail_dep"] == 0.0 and s["upper_tail_dep"] == 0.0 and s["beta"] < -0.9


def test_user_errors():
    rng = np.random.default_rng(3)
    b = pd.Series(rng.normal(size=40), name="B")
    with pytest.raises(DataError, match="only 40 common observations"):
        CopulaDependence().fit(b * 2, b)
    with pytest.raises(DataError, match="constant"):
        CopulaDependence(min_obs=10).fit(np.zeros(40), b)
    with pytest.raises(DataError, match="Series with a DatetimeIndex"):
        CopulaDependence().fit(np.zeros(30), b)
    with pytest.raises(DataError, match="benchmarks"):
        CopulaDependence().fit(b, [1, 2, 3])
    with pytest.raises(ConfigError, match="min_obs"):
        CopulaDependence(min_obs=2).fit(b, b)
    with pytest.raises(ModelError, match="not fitted"):
        CopulaDependence().max_lower_tail()
