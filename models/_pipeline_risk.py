"""GARCH sigma path, dependence on a benchmark and the per-bar 1-10 risk score of :class:`MLPipeline`.

The GARCH(1,1)-t model is fitted once on the training window's log returns and then *frozen*: at predict
time its variance recursion ``s2[t+1] = omega + alpha (r[t] - mu)^2 + beta s2[t]`` is run forward over the
given bars, started at the training window's sample variance on the first return. The one-step forecast
made at bar ``t``'s close therefore uses bars ``<= t`` only, and, like an EMA, depends on where the bars
start (pass the same start to get the same numbers).

Beta and lower-tail dependence (``CopulaDependence``) are estimated on the training window against the
benchmark and frozen too. Without a benchmark they are not defined, and the score is the weighted mean of
the volatility and VaR sub-scores alone (the weights of :data:`risk_metrics.RISK_SCALE` renormalised),
rather than an invented beta or tail value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .risk_metrics import RISK_SCALE, risk_score

ALPHA = 0.05


def fit_garch(returns: np.ndarray):
    """A :class:`GarchModel` (1,1, Student-t) fitted on finite *returns*."""
    from .garch import GarchModel

    return GarchModel(p=1, q=1, dist="t", horizon=1).fit(returns[np.isfinite(returns)])


def sigma_var_path(model, returns: np.ndarray, init_var: float) -> tuple[np.ndarray, np.ndarray]:
    """One-step sigma and 95 % VaR (positive loss) forecast at each bar's close; NaN before the first return.

    *returns* are per-bar log returns (NaN at bar 0), *init_var* the variance the recursion starts from.
    """
    from .garch import standardized_quantile_es

    prm = model.params_
    scale = float(model.scale_)
    mu, omega = prm["mu"], prm["omega"]
    a, b = prm["alpha[1]"], prm["beta[1]"]
    q, _ = standardized_quantile_es(ALPHA, model.dist, model.nu_)
    n = returns.shape[0]
    s2_next = np.full(n, np.nan)
    s2 = float(init_var) * scale * scale
    for t in range(n):
        r = returns[t]
        if np.isfinite(r):
            e = r * scale - mu
            s2 = omega + a * e * e + b * s2
            s2_next[t] = s2
    sigma = np.sqrt(s2_next) / scale
    return sigma, -(mu / scale + sigma * q)


def dependence(sym_returns: pd.Series, bench_returns: pd.Series | None) -> tuple[float, float]:
    """``(beta, lower-tail dependence)`` of the symbol on the benchmark; ``(nan, nan)`` without one."""
    from .copula import CopulaDependence

    if bench_returns is None:
        return float("nan"), float("nan")
    dep = CopulaDependence(min_obs=60).fit(sym_returns.dropna(), bench_returns.dropna().rename("benchmark"))
    return dep.beta(), dep.max_lower_tail()


def _unit(name: str, x: np.ndarray) -> np.ndarray:
    lo, hi, _ = RISK_SCALE[name]
    return np.clip((x - lo) / (hi - lo), 0.0, 1.0)


def risk_scores(sigma: np.ndarray, var: np.ndarray, beta: float, tail: float, bars_per_day: float) -> np.ndarray:
    """Per-bar risk score 1-10 (float, NaN where sigma is unknown); sigma and VaR scaled to daily first."""
    k = np.sqrt(bars_per_day)
    sig_d, var_d = sigma * k, var * k
    out = np.full(sigma.shape[0], np.nan)
    ok = np.isfinite(sig_d) & np.isfinite(var_d)
    if np.isfinite(beta) and np.isfinite(tail):
        for t in np.flatnonzero(ok):
            out[t] = risk_score(sig_d[t], var_d[t], beta, tail)
        return out
    ws, wv = RISK_SCALE["sigma"][2], RISK_SCALE["var"][2]
    c = (ws * _unit("sigma", sig_d[ok]) + wv * _unit("var", var_d[ok])) / (ws + wv)
    out[ok] = np.floor(9.0 * c + 0.5) + 1.0
    return out
