"""The risk composer: GARCH, copula dependence and the 1-10 score put together, above the pieces.

It sits above :mod:`~tradeforge.models.garch`, :mod:`~tradeforge.models.copula` and
:mod:`~tradeforge.models.risk_metrics` (which import nothing of it), in two forms:

* :func:`risk_profile` - one summary of a symbol's returns against benchmarks;
* :class:`SymbolRisk` - the per-bar risk lines of :class:`~tradeforge.models.pipeline.MLPipeline`.
  A GARCH(1,1)-t is fitted once on the training window's log returns and *frozen*: at predict time
  :func:`~tradeforge.models.garch.variance_path` (the one GARCH recursion) runs forward over the given
  bars, started at the training window's sample variance on the first return. The forecast made at bar
  ``t``'s close uses bars ``<= t`` only and, like an EMA, depends on where the bars start. Beta and
  lower-tail dependence are estimated on the training window and frozen too; without a benchmark they
  are undefined, and the score is the weighted mean of the volatility and VaR sub-scores alone (the
  weights of :data:`~tradeforge.models.risk_metrics.RISK_SCALE` renormalised).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tradeforge.errors import ConfigError, DataError

from .copula import CopulaDependence
from .garch import GarchModel, standardized_quantile_es, variance_path
from .risk_metrics import RISK_SCALE, risk_score

__all__ = ["risk_profile", "SymbolRisk", "log_returns", "benchmark_returns", "bars_per_day"]

#: Tail probability of the pipeline's VaR.
ALPHA = 0.05


def risk_profile(returns: Any, benchmarks: Any, *, alpha: float = 0.05, horizon: int = 5) -> dict[str, Any]:
    """GARCH + copula risk summary of one symbol: forecasts, VaR/CVaR, beta, tail dependence and score.

    *benchmarks* is a Series, DataFrame or mapping of benchmark returns aligned by index to *returns*; the
    first benchmark is the market for ``beta``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> spy = pd.Series(0.01 * rng.standard_t(5, 600), name="SPY")
    >>> prof = risk_profile(1.2 * spy + 0.004 * rng.normal(size=600), spy)
    >>> sorted(prof)[:4], 1 <= prof["risk_score"] <= 10
    (['beta', 'cvar', 'lower_tail_dep', 'risk_score'], True)
    """
    garch = GarchModel(horizon=horizon).fit(returns)
    dep = CopulaDependence().fit(returns, benchmarks)
    sigma, var, cvar = float(garch.forecast_sigma()[0]), garch.var(alpha), garch.cvar(alpha)
    beta, tail = dep.beta(), dep.max_lower_tail()
    return {
        "sigma": sigma,
        "sigma_forecast": garch.forecast_sigma().tolist(),
        "var": var,
        "cvar": cvar,
        "beta": beta,
        "lower_tail_dep": tail,
        "risk_score": risk_score(sigma, var, beta, tail),
    }


def log_returns(close: np.ndarray) -> np.ndarray:
    """``log(close[t]) - log(close[t-1])``; NaN at the first bar."""
    out = np.full(close.shape[0], np.nan)
    logs = np.log(close)
    out[1:] = logs[1:] - logs[:-1]
    return out


def bars_per_day(index: pd.DatetimeIndex, bar: pd.Timedelta) -> float:
    """Typical bars per trading day (1 for daily bars): the median count per calendar date."""
    if bar >= pd.Timedelta(days=1):
        return 1.0
    counts = pd.Series(1, index=index).groupby(index.normalize()).size()
    return float(max(1.0, np.median(counts.to_numpy())))


def benchmark_returns(benchmark: Any, frames: Mapping[str, pd.DataFrame]) -> pd.Series | None:
    """Benchmark log returns: from a close Series, or the equal-weighted index of several symbols, or None."""
    if benchmark is not None:
        if not isinstance(benchmark, pd.Series) or not isinstance(benchmark.index, pd.DatetimeIndex):
            raise ConfigError(f"benchmark: expected a close-price pandas Series on a DatetimeIndex, got "
                              f"{type(benchmark).__name__}")
        close = benchmark.astype(np.float64).dropna()
        if (close <= 0).any():
            raise DataError("benchmark: close prices must be positive; clean the series first")
        return pd.Series(log_returns(close.to_numpy()), index=close.index, name="benchmark")
    if len(frames) < 2:
        return None
    simple = pd.concat({k: df["close"].pct_change() for k, df in frames.items()}, axis=1)
    return np.log1p(simple.mean(axis=1, skipna=True)).rename("equal_weight")


def _unit(name: str, x: np.ndarray) -> np.ndarray:
    lo, hi, _ = RISK_SCALE[name]
    return np.clip((x - lo) / (hi - lo), 0.0, 1.0)


@dataclass
class SymbolRisk:
    """One symbol's frozen risk model: GARCH, start variance, beta, tail dependence and bars per day."""

    garch: GarchModel
    init_var: float
    beta: float
    tail: float
    bars_per_day: float

    @classmethod
    def fit(cls, returns: pd.Series, bench: pd.Series | None, bars_per_day: float) -> SymbolRisk:
        """Fit on the training window's finite log *returns* and the benchmark's returns (None: no beta)."""
        r = returns.to_numpy()
        garch = GarchModel(p=1, q=1, dist="t", horizon=1).fit(r[np.isfinite(r)])
        beta = tail = float("nan")
        if bench is not None:
            bench = bench.loc[returns.index.min():returns.index.max()]
            dep = CopulaDependence(min_obs=60).fit(returns.dropna(), bench.dropna().rename("benchmark"))
            beta, tail = dep.beta(), dep.max_lower_tail()
        return cls(garch, float(np.var(r)), beta, tail, bars_per_day)

    def sigma_var(self, returns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One-step sigma and 95 % VaR (positive loss) at each bar's close; NaN before the first return."""
        prm, scale = self.garch.params_, float(self.garch.scale_)
        mu = prm["mu"]
        q, _ = standardized_quantile_es(ALPHA, self.garch.dist, self.garch.nu_)
        e = returns * scale - mu
        s2 = np.full(returns.shape[0], np.nan)
        finite = np.flatnonzero(np.isfinite(e))
        if finite.size:
            t1 = int(finite[0])
            s2[t1:] = variance_path(e[t1:], prm["omega"], [prm["alpha[1]"]], [prm["beta[1]"]], [e[t1] ** 2],
                                    [self.init_var * scale * scale])
        sigma = np.sqrt(s2) / scale
        return sigma, -(mu / scale + sigma * q)

    def scores(self, sigma: np.ndarray, var: np.ndarray) -> np.ndarray:
        """Per-bar risk score 1-10 (float, NaN where sigma is unknown); sigma and VaR scaled to daily."""
        k = np.sqrt(self.bars_per_day)
        sig_d, var_d = sigma * k, var * k
        out = np.full(sigma.shape[0], np.nan)
        ok = np.isfinite(sig_d) & np.isfinite(var_d)
        if np.isfinite(self.beta) and np.isfinite(self.tail):
            for t in np.flatnonzero(ok):
                out[t] = risk_score(sig_d[t], var_d[t], self.beta, self.tail)
            return out
        ws, wv = RISK_SCALE["sigma"][2], RISK_SCALE["var"][2]
        c = (ws * _unit("sigma", sig_d[ok]) + wv * _unit("var", var_d[ok])) / (ws + wv)
        out[ok] = np.floor(9.0 * c + 0.5) + 1.0
        return out

    def lines(self, returns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(ml_sigma, ml_risk)`` of every bar of the per-bar log *returns* (NaN at bar 0)."""
        sigma, var = self.sigma_var(returns)
        return sigma, self.scores(sigma, var)

    def to_state(self, directory: Path, name: str) -> tuple[dict[str, Any], list[Path]]:
        """Save the GARCH under *directory* / *name*; return the JSON-able rest and the files written."""
        files = self.garch.save(directory / name)
        return {"garch": name, "init_var": self.init_var, "bars_per_day": self.bars_per_day,
                "beta": _json_float(self.beta), "tail": _json_float(self.tail)}, files

    @classmethod
    def from_state(cls, state: Mapping[str, Any], directory: Path) -> SymbolRisk:
        """Read what :meth:`to_state` wrote."""
        return cls(GarchModel.load(directory / state["garch"]), float(state["init_var"]), _nan(state["beta"]),
                   _nan(state["tail"]), float(state["bars_per_day"]))


def _json_float(x: float) -> float | None:
    return None if not np.isfinite(x) else float(x)


def _nan(x: float | None) -> float:
    return float("nan") if x is None else float(x)
