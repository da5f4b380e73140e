"""Risk numbers: OLS beta, historical VaR/CVaR, and the 1-10 risk score (the composer is :mod:`.risk`).

The risk score
--------------
Each input is mapped linearly onto ``[0, 1]`` between a *calm* and a *wild* level (values beyond are
clipped), the four sub-scores are averaged with fixed weights, and the average ``c`` becomes
``score = 1 + round(9 c)`` (1 = calmest, 10 = riskiest):

=================  ==========================================  =======  =======  ======
input              meaning (per period, usually daily)          calm     wild     weight
=================  ==========================================  =======  =======  ======
``sigma``          forecast volatility of the next period       0.005    0.040    0.35
``var``            95 % value at risk of the next period        0.010    0.070    0.25
``beta``           OLS beta to the market benchmark             0.0      2.0      0.20
``tail_dep``       lower-tail dependence with the benchmarks    0.0      0.6      0.20
=================  ==========================================  =======  =======  ======

The score is non-decreasing in every input (a negative beta counts as 0: it hedges rather than adds
market risk). The levels suit daily bars of equities; for other bar sizes scale ``sigma`` and ``var`` to
daily first (``sqrt`` of bars per day).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tradeforge.errors import ConfigError, DataError

__all__ = ["RISK_SCALE", "ols_beta", "historical_var", "risk_score"]

#: input -> (calm level, wild level, weight); see the module docstring.
RISK_SCALE: dict[str, tuple[float, float, float]] = {
    "sigma": (0.005, 0.040, 0.35),
    "var": (0.010, 0.070, 0.25),
    "beta": (0.0, 2.0, 0.20),
    "tail_dep": (0.0, 0.6, 0.20),
}


def ols_beta(returns: Any, benchmark: Any) -> float:
    """OLS slope of *returns* on *benchmark* (with intercept): ``cov(r, b) / var(b)``.

    Examples
    --------
    >>> b = np.array([0.01, -0.02, 0.03, 0.0]); round(ols_beta(2 * b + 0.001, b), 10)
    2.0
    """
    r = np.asarray(returns, dtype=np.float64)
    b = np.asarray(benchmark, dtype=np.float64)
    if r.shape != b.shape or r.ndim != 1:
        raise DataError(f"ols_beta: expected two aligned 1-D series, got shapes {r.shape} and {b.shape}")
    ok = np.isfinite(r) & np.isfinite(b)
    if ok.sum() < 3:
        raise DataError(f"ols_beta: only {int(ok.sum())} rows where both series are finite; need at least 3")
    r, b = r[ok], b[ok]
    vb = float(np.var(b))
    if vb == 0.0:
        raise DataError("ols_beta: the benchmark returns are constant, beta is undefined")
    return float(np.mean((r - r.mean()) * (b - b.mean())) / vb)


def historical_var(returns: Any, alpha: float = 0.05) -> tuple[float, float]:
    """Empirical ``(VaR, CVaR)`` at tail probability *alpha*, as positive losses.

    Examples
    --------
    >>> historical_var(np.linspace(-0.05, 0.05, 101), alpha=0.1)[0] > 0
    True
    """
    r = np.asarray(returns, dtype=np.float64)
    r = r[np.isfinite(r)]
    if not 0.0 < alpha < 0.5:
        raise ConfigError(f"alpha: expected a tail probability in (0, 0.5), got {alpha!r}")
    if r.size < int(np.ceil(1 / alpha)):
        raise DataError(f"historical_var: {r.size} returns are too few for alpha={alpha}; "
                        f"need >= {1 / alpha:.0f}")
    q = float(np.quantile(r, alpha))
    return -q, -float(r[r <= q].mean())


def _unit(name: str, value: Any) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError) as exc:
        raise DataError(f"risk_score: {name} must be a number, got {value!r}") from exc
    if not np.isfinite(x):
        raise DataError(f"risk_score: {name} must be finite, got {value!r}")
    if name in ("sigma", "tail_dep") and x < 0:
        raise DataError(f"risk_score: {name} must be >= 0, got {value!r}")
    if name == "tail_dep" and x > 1:
        raise DataError(f"risk_score: tail_dep is a probability in [0, 1], got {value!r}")
    lo, hi, _ = RISK_SCALE[name]
    return float(np.clip((x - lo) / (hi - lo), 0.0, 1.0))


def risk_score(sigma: float, var: float, beta: float, tail_dep: float) -> int:
    """Risk score from 1 (calm) to 10 (wild); the mapping is in the module docstring.

    Examples
    --------
    >>> risk_score(sigma=0.004, var=0.008, beta=0.2, tail_dep=0.0)
    1
    >>> risk_score(sigma=0.012, var=0.02, beta=1.0, tail_dep=0.3)
    4
    >>> risk_score(sigma=0.05, var=0.09, beta=2.5, tail_dep=0.8)
    10
    """
    values = {"sigma": sigma, "var": var, "beta": beta, "tail_dep": tail_dep}
    c = sum(_unit(k, v) * RISK_SCALE[k][2] for k, v in values.items())
    return int(np.floor(9.0 * c + 0.5)) + 1
