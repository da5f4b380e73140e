"""Per-candidate risk at signal time: GARCH forecast, VaR/CVaR, correlation and beta, copula tail dependence.

The pipeline's own risk model is fitted on its training symbols and frozen; a scanned universe is mostly
other symbols, so a candidate's risk is estimated from its own bars when the signal is made, reusing the
one GARCH fit its features need (:func:`~tradeforge.engine.signals._garch_last.last_garch`):

* ``ml_sigma``, ``var_95``, ``cvar_95``: the one-step sigma and 95 % VaR/CVaR (positive losses) at the last
  bar - the pipeline's ``garch_sigma/var/cvar`` features of that bar;
* ``forecast_volatility``: volatility of the sum of the next ``horizon`` returns,
  ``sqrt(sum of the GARCH(1,1) variance forecasts)``;
* on the last ``n`` returns aligned with each benchmark's returns on the same bars: ``correlation_<name>``
  (Pearson; key = benchmark name in lower case), ``beta`` (:func:`~tradeforge.models.risk_metrics.
  ols_beta` against the first benchmark) and ``tail_dependence``, the largest lower-tail dependence of a
  Clayton copula fitted by Kendall's-tau inversion (``theta = 2 tau / (1 - tau)``, ``lambda_L =
  2 ** (-1 / theta)``, 0 for ``tau <= 0``): the numbers :class:`~tradeforge.models.copula.
  CopulaDependence` gives (a test checks it), without its joint Gaussian copula;
* ``ml_risk``: :meth:`~tradeforge.models.risk.SymbolRisk.scores`, the pipeline's 1-10 score (sigma and
  VaR scaled to daily with the bars per day).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ._garch_last import GarchRow

__all__ = ["candidate_risk", "clayton_lower_tail"]

_NAN = float("nan")


def clayton_lower_tail(x: np.ndarray, y: np.ndarray) -> float:
    """Lower-tail dependence of a Clayton copula fitted to ``(x, y)`` by Kendall's-tau inversion."""
    from scipy.stats import kendalltau

    tau = float(kendalltau(x, y)[0])
    if not tau > 0.0:
        return 0.0
    if tau >= 1.0:
        return 1.0
    return float(2.0 ** (-1.0 / (2.0 * tau / (1.0 - tau))))


def candidate_risk(returns: np.ndarray, bench_returns: Mapping[str, np.ndarray], garch: GarchRow | None, *,
                   bars_per_day: float = 1.0, min_obs: int = 60) -> dict[str, float]:
    """Risk lines and metrics of one candidate.

    Parameters
    ----------
    returns : ndarray
        The candidate's last log returns (the dependence window).
    bench_returns : mapping name -> ndarray
        Each benchmark's log returns on the same bars (NaN where it has none); the first is the market.
    garch : GarchRow or None
        The candidate's GARCH state at the last bar (None: too few returns).
    bars_per_day : float
        Bars per trading day, to scale sigma and VaR to daily for the score.
    min_obs : int
        Fewest common returns for beta and tail dependence.

    Returns
    -------
    dict
        ``ml_sigma, ml_risk, forecast_volatility, var_95, cvar_95, beta, tail_dependence`` and one
        ``correlation_<name>`` per benchmark (NaN where undefined).
    """
    from tradeforge.models.risk_metrics import ols_beta

    out = {"ml_sigma": _NAN, "ml_risk": _NAN, "forecast_volatility": _NAN, "var_95": _NAN, "cvar_95": _NAN,
           "beta": _NAN, "tail_dependence": _NAN, **{f"correlation_{b.lower()}": _NAN for b in bench_returns}}
    tails = []
    for i, (name, b) in enumerate(bench_returns.items()):
        ok = np.isfinite(returns) & np.isfinite(b)
        x, y = returns[ok], b[ok]
        if x.size < max(min_obs, 3) or np.ptp(x) == 0.0 or np.ptp(y) == 0.0:
            continue
        out[f"correlation_{name.lower()}"] = float(np.corrcoef(x, y)[0, 1])
        tails.append(clayton_lower_tail(x, y))
        if i == 0:
            out["beta"] = float(ols_beta(x, y))
    if tails and len(tails) == len(bench_returns):
        out["tail_dependence"] = max(tails)
    if garch is None:
        return out
    out.update(ml_sigma=garch.sigma, var_95=garch.var, cvar_95=garch.cvar,
               forecast_volatility=float(np.sqrt(np.sum(garch.sigma_path ** 2))))
    out["ml_risk"] = _score(garch.sigma, garch.var, out["beta"], out["tail_dependence"], bars_per_day)
    return out


def _score(sigma: float, var: float, beta: float, tail: float, bars_per_day: float) -> float:
    """The pipeline's 1-10 score (:meth:`SymbolRisk.scores`; beta/tail NaN: volatility and VaR only)."""
    from tradeforge.models.risk import SymbolRisk

    model = SymbolRisk(None, _NAN, beta, tail, bars_per_day)  # scores() reads beta, tail, bars_per_day only
    return float(model.scores(np.array([sigma]), np.array([var]))[0])
