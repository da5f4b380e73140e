"""Out-of-sample statistics of a walk-forward: stitching, probabilistic and deflated Sharpe ratios.

References: D. H. Bailey and M. López de Prado, "The Sharpe Ratio Efficient Frontier" (2012, PSR) and
"The Deflated Sharpe Ratio" (2014, DSR). Both work on the *per-bar* (not annualised) Sharpe ratio ``SR``
of the stitched out-of-sample returns, with their skewness ``g3`` and (non-excess) kurtosis ``g4``::

    PSR(SR*) = Phi((SR - SR*) sqrt(n - 1) / sqrt(1 - g3 SR + (g4 - 1) / 4 SR^2))

The DSR is ``PSR(SR0)`` where ``SR0`` is the expected maximum Sharpe ratio of ``N`` unskilled trials::

    SR0 = sqrt(V) ((1 - gamma) Phi^-1(1 - 1/N) + gamma Phi^-1(1 - 1/(N e)))

The trials are **the configurations tried on the same data** (``N``), as recorded by the trials ledger
(:mod:`.trials`): every strategy/parameter/model configuration walked forward on the data, each counted
as many times as the candidates it chose among internally (three for ``calibration="auto"``). ``V`` is
the variance (ddof=1) of those configurations' per-bar out-of-sample Sharpe ratios; with fewer than two
recorded Sharpe ratios it is the sampling variance of the Sharpe estimate under the null,
``(1 - g3 SR + (g4 - 1) / 4 SR^2) / (n - 1)`` (the spread of unskilled trials' Sharpe ratios is their
estimation noise). ``N = 1`` gives ``SR0 = 0`` (DSR = PSR). Walk-forward folds are *not* trials: cutting
the same out-of-sample span into more folds does not change the DSR.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pandas as pd

__all__ = ["stitch", "per_bar_sharpe", "probabilistic_sharpe", "expected_max_sharpe", "deflated_sharpe",
           "null_sharpe_variance"]

_EULER_GAMMA = 0.5772156649015329
_NORMAL = NormalDist()


def stitch(returns: list[pd.Series], start_value: float) -> pd.Series:
    """Chain per-fold simple returns into one equity curve starting from *start_value*.

    Each fold starts from the previous fold's ending value.

    Examples
    --------
    >>> idx = pd.date_range("2024-01-01", periods=4)
    >>> stitch([pd.Series([0.1, 0.0], idx[:2]), pd.Series([-0.5, 1.0], idx[2:])], 100.0).round(6).tolist()
    [110.0, 110.0, 55.0, 110.0]
    """
    joined = pd.concat(returns) if returns else pd.Series(dtype=np.float64)
    values = start_value * np.cumprod(1.0 + joined.to_numpy(dtype=np.float64))
    return pd.Series(values, index=pd.DatetimeIndex(joined.index, name="datetime"), name="equity")


def per_bar_sharpe(returns: np.ndarray) -> float:
    """Mean over standard deviation (ddof=1) of per-bar returns; NaN when undefined.

    Examples
    --------
    >>> round(per_bar_sharpe(np.array([0.01, 0.02, 0.03])), 6)
    2.0
    """
    r = np.asarray(returns, dtype=np.float64)
    if r.size < 2:
        return float("nan")
    std = r.std(ddof=1)
    return float(r.mean() / std) if std > 0 else float("nan")


def _moments(r: np.ndarray) -> tuple[float, float]:
    """Skewness and non-excess kurtosis (population moments, as in Bailey & López de Prado)."""
    centred = r - r.mean()
    m2 = float(np.mean(centred**2))
    if m2 <= 0:
        return 0.0, 3.0
    return float(np.mean(centred**3)) / m2**1.5, float(np.mean(centred**4)) / m2**2


def probabilistic_sharpe(returns: np.ndarray, benchmark_sr: float = 0.0) -> float:
    """PSR: probability that the true per-bar Sharpe ratio exceeds *benchmark_sr* (per bar).

    Examples
    --------
    >>> r = np.random.default_rng(0).normal(0.001, 0.01, 1000)
    >>> 0.9 < probabilistic_sharpe(r + 0.002) <= 1.0, probabilistic_sharpe(-r - 0.002) < 0.1
    (True, True)
    """
    r = np.asarray(returns, dtype=np.float64)
    sr = per_bar_sharpe(r)
    if not math.isfinite(sr):
        return float("nan")
    g3, g4 = _moments(r)
    denom = 1.0 - g3 * sr + (g4 - 1.0) / 4.0 * sr**2
    if denom <= 0:
        return float("nan")
    return _NORMAL.cdf((sr - benchmark_sr) * math.sqrt(r.size - 1) / math.sqrt(denom))


def null_sharpe_variance(returns: np.ndarray) -> float:
    """Sampling variance of the per-bar Sharpe estimate of *returns*: ``(1 - g3 SR + (g4 - 1)/4 SR^2) /
    (n - 1)`` (NaN when undefined).

    Examples
    --------
    >>> r = np.random.default_rng(0).normal(0.0, 0.01, 1001)
    >>> 0.0009 < null_sharpe_variance(r) < 0.0011
    True
    """
    r = np.asarray(returns, dtype=np.float64)
    sr = per_bar_sharpe(r)
    if not math.isfinite(sr):
        return float("nan")
    g3, g4 = _moments(r)
    value = (1.0 - g3 * sr + (g4 - 1.0) / 4.0 * sr**2) / (r.size - 1)
    return float(value) if value > 0 else float("nan")


def expected_max_sharpe(trial_sharpes: np.ndarray | None = None, *, n_trials: int | None = None,
                        variance: float | None = None) -> float:
    """``SR0``: expected maximum per-bar Sharpe ratio of ``N`` unskilled trials of variance ``V``.

    ``N`` is *n_trials* (default: the number of finite *trial_sharpes*), ``V`` is *variance* (default: the
    variance, ddof=1, of the finite *trial_sharpes*; NaN with fewer than two). ``N = 1`` gives 0.

    Examples
    --------
    >>> round(expected_max_sharpe(np.array([0.0, 0.1, -0.1, 0.05])), 4)
    0.0898
    >>> round(expected_max_sharpe(n_trials=10, variance=0.01), 4), expected_max_sharpe(n_trials=1, variance=1)
    (0.1575, 0.0)
    """
    s = np.asarray([] if trial_sharpes is None else trial_sharpes, dtype=np.float64)
    s = s[np.isfinite(s)]
    n = s.size if n_trials is None else int(n_trials)
    if variance is None:
        variance = float(s.var(ddof=1)) if s.size >= 2 else float("nan")
    if n < 1 or not math.isfinite(variance) or variance < 0:
        return float("nan")
    if n == 1:
        return 0.0
    z1 = _NORMAL.inv_cdf(1.0 - 1.0 / n)
    z2 = _NORMAL.inv_cdf(1.0 - 1.0 / (n * math.e))
    return math.sqrt(variance) * ((1.0 - _EULER_GAMMA) * z1 + _EULER_GAMMA * z2)


def deflated_sharpe(returns: np.ndarray, trial_sharpes: np.ndarray | None = None, *,
                    n_trials: int | None = None, variance: float | None = None) -> float:
    """DSR: ``PSR(SR0)`` with ``SR0`` from :func:`expected_max_sharpe` (same arguments); NaN when undefined.

    Examples
    --------
    >>> r = np.random.default_rng(1).normal(0.002, 0.01, 500)
    >>> 0.0 <= deflated_sharpe(r, np.array([0.1, 0.3, 0.2])) <= probabilistic_sharpe(r)
    True
    >>> deflated_sharpe(r, n_trials=1, variance=0.01) == probabilistic_sharpe(r)
    True
    """
    sr0 = expected_max_sharpe(trial_sharpes, n_trials=n_trials, variance=variance)
    return probabilistic_sharpe(returns, sr0) if math.isfinite(sr0) else float("nan")
