"""Dependence of a symbol's returns with benchmark returns (SPY/QQQ live, any series in research).

For each benchmark, on the dates both series have:

* ``kendall_tau`` and the correlation it implies for an elliptical copula, ``implied_corr = sin(pi tau / 2)``;
* ``lower_tail_dep``: lower-tail dependence ``lambda_L = 2^(-1/theta)`` of a Clayton copula
  (``copulas.bivariate.Clayton``, ``theta = 2 tau / (1 - tau)``) fitted on the pseudo-observations
  (ranks / (n + 1)); the probability that the symbol crashes given the benchmark crashes, in the limit.
  With ``tau <= 0`` there is no positive dependence and it is 0;
* ``upper_tail_dep``: the same for rallies, ``lambda_U = 2 - 2^(1/theta)`` of a Gumbel copula;
* ``gaussian_corr``: the correlation of a Gaussian copula fitted jointly on the symbol and all benchmarks
  (``copulas.multivariate.GaussianMultivariate`` with ``GaussianUnivariate`` margins: the automatic margin
  search is far slower and changes little here, see ``bench/models_notes.md``);
* ``beta``: OLS slope of the symbol's returns on the benchmark's (with intercept).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from tradeforge.errors import ConfigError, DataError, ModelError

from .risk_metrics import ols_beta

__all__ = ["CopulaDependence"]

COLUMNS = ["n_obs", "kendall_tau", "implied_corr", "lower_tail_dep", "upper_tail_dep", "gaussian_corr",
           "beta"]


def _pseudo_obs(x: np.ndarray) -> np.ndarray:
    from scipy.stats import rankdata

    return rankdata(x) / (len(x) + 1.0)


def _archimedean(kind: str, u: np.ndarray, v: np.ndarray) -> tuple[float, float]:
    """Fit a Clayton or Gumbel copula with ``copulas``; return ``(tau, theta)``."""
    from copulas.bivariate import Clayton, Gumbel

    model = Clayton() if kind == "clayton" else Gumbel()
    with warnings.catch_warnings():  # ranks are uniform by construction; copulas' KS check is noise here
        warnings.simplefilter("ignore", RuntimeWarning)
        model.fit(np.column_stack([u, v]))
    return float(model.tau), float(model.theta)


class CopulaDependence(BaseEstimator):
    """Copula-based dependence of one return series with one or more benchmark series.

    Parameters
    ----------
    min_obs : int
        Fewest common observations accepted per benchmark.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> bench = pd.Series(rng.normal(0, 0.01, 500), name="SPY")
    >>> stock = 1.3 * bench + rng.normal(0, 0.005, 500)
    >>> dep = CopulaDependence().fit(stock, bench)
    >>> row = dep.summary_.loc["SPY"]
    >>> round(float(row["beta"]), 1), bool(row["lower_tail_dep"] > 0.5)
    (1.3, True)
    """

    def __init__(self, min_obs: int = 60) -> None:
        self.min_obs = min_obs

    def _align(self, returns: Any, benchmarks: Any) -> pd.DataFrame:
        if isinstance(benchmarks, pd.Series):
            benchmarks = {benchmarks.name if benchmarks.name is not None else "benchmark": benchmarks}
        if isinstance(benchmarks, Mapping):
            benchmarks = pd.DataFrame({str(k): v for k, v in benchmarks.items()})
        if not isinstance(benchmarks, pd.DataFrame) or benchmarks.shape[1] == 0:
            raise DataError("benchmarks: expected a Series, a DataFrame or a mapping name -> Series of "
                            "returns")
        if "__symbol__" in benchmarks.columns:
            raise DataError("benchmarks: the column name '__symbol__' is reserved")
        sym = returns if isinstance(returns, pd.Series) else pd.Series(np.asarray(returns, dtype=np.float64))
        if not isinstance(returns, pd.Series) and len(sym) != len(benchmarks):
            raise DataError(f"returns: {len(sym)} values but benchmarks have {len(benchmarks)} rows; pass "
                            "Series with a DatetimeIndex to align them by date")
        if not isinstance(returns, pd.Series):
            sym.index = benchmarks.index
        frame = pd.concat([sym.rename("__symbol__").astype(np.float64), benchmarks.astype(np.float64)],
                          axis=1, join="inner")
        return frame.replace([np.inf, -np.inf], np.nan)

    def fit(self, returns: Any, benchmarks: Any) -> CopulaDependence:
        """Fit on the symbol's *returns* and *benchmarks* (aligned by index; NaN rows dropped per pair)."""
        if isinstance(self.min_obs, bool) or not isinstance(self.min_obs, int) or self.min_obs < 10:
            raise ConfigError(f"min_obs: expected an integer >= 10, got {self.min_obs!r}")
        frame = self._align(returns, benchmarks)
        rows = {name: self._pair(frame["__symbol__"], frame[name], name) for name in frame.columns[1:]}
        self.summary_ = pd.DataFrame(rows).T[COLUMNS].rename_axis("benchmark")
        self.summary_["n_obs"] = self.summary_["n_obs"].astype(int)
        self.summary_["gaussian_corr"] = self._gaussian(frame.dropna())
        self.benchmarks_ = list(rows)
        return self

    def _pair(self, x: pd.Series, b: pd.Series, name: str) -> dict[str, float]:
        ok = x.notna() & b.notna()
        xs, bs = x[ok].to_numpy(), b[ok].to_numpy()
        if ok.sum() < self.min_obs:
            raise DataError(f"benchmark '{name}': only {int(ok.sum())} common observations with the symbol, "
                            f"need min_obs={self.min_obs}; use a longer window or check the dates")
        if np.ptp(xs) == 0 or np.ptp(bs) == 0:
            raise DataError(f"benchmark '{name}': constant returns leave dependence undefined; check the "
                            "data")
        u, v = _pseudo_obs(xs), _pseudo_obs(bs)
        from scipy.stats import kendalltau

        tau = float(kendalltau(u, v)[0])
        lower = upper = 0.0
        if tau > 0:
            _, theta_c = _archimedean("clayton", u, v)
            _, theta_g = _archimedean("gumbel", u, v)
            lower = float(2.0 ** (-1.0 / theta_c)) if np.isfinite(theta_c) else 1.0
            upper = float(2.0 - 2.0 ** (1.0 / theta_g)) if np.isfinite(theta_g) else 1.0
        return {"n_obs": int(ok.sum()), "kendall_tau": tau, "implied_corr": float(np.sin(np.pi * tau / 2)),
                "lower_tail_dep": lower, "upper_tail_dep": upper, "gaussian_corr": np.nan,
                "beta": ols_beta(xs, bs)}

    @staticmethod
    def _gaussian(frame: pd.DataFrame) -> np.ndarray:
        from copulas.multivariate import GaussianMultivariate
        from copulas.univariate import GaussianUnivariate

        if len(frame) < 10:
            raise DataError(f"only {len(frame)} dates where the symbol and every benchmark have returns; "
                            "need at least 10 for the joint Gaussian copula")
        model = GaussianMultivariate(distribution=GaussianUnivariate)
        model.fit(frame)
        corr = np.asarray(model.correlation, dtype=np.float64)
        return corr[0, 1:]

    def _fitted(self) -> None:
        if not hasattr(self, "summary_"):
            raise ModelError("CopulaDependence is not fitted: call fit(returns, benchmarks) first")

    def max_lower_tail(self) -> float:
        """Largest lower-tail dependence over the benchmarks (what a crash in any of them transmits)."""
        self._fitted()
        return float(self.summary_["lower_tail_dep"].max())

    def beta(self, benchmark: str | None = None) -> float:
        """OLS beta against *benchmark* (default: the first one given)."""
        self._fitted()
        name = self.benchmarks_[0] if benchmark is None else benchmark
        if name not in self.benchmarks_:
            from tradeforge.errors import unknown_name_error

            raise unknown_name_error("benchmark", name, self.benchmarks_, error=ModelError)
        return float(self.summary_.loc[name, "beta"])
