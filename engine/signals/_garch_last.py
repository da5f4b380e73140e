"""The pipeline's GARCH feature row at the last bar from one fit, plus its multi-step forecast.

:func:`tradeforge.models.garch.garch_features` refits every ``refit_every`` bars counted from the series'
start and holds the parameters between refits, so its *last* row depends on the last refit only: the fit
on the ``window`` returns ending at refit bar ``t0``, advanced with :func:`~tradeforge.models.garch.
variance_path` to the last return. :func:`last_garch` computes that row from that one fit (bitwise the
same as the full rolling run, which a test checks) and keeps the fitted parameters for the
``horizon``-step variance forecast of GARCH(1,1): ``s2[h] = omega + (alpha + beta) * s2[h-1]``.

Fits are cached on the exact returns they were fitted on, so a later bar before the next refit reuses
the fit, as the pipeline does.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

__all__ = ["GarchRow", "last_garch", "clear_cache"]

_CACHE: dict[tuple[int, str], object] = {}
_CACHE_MAX = 4096


@dataclass(frozen=True)
class GarchRow:
    """GARCH state at the last bar: the pipeline's three feature values and the forecast path."""

    sigma: float  # garch_sigma: one-step sigma (return units)
    var: float  # garch_var: one-step 95 % VaR (positive loss)
    cvar: float  # garch_cvar: one-step 95 % CVaR (positive loss)
    sigma_path: np.ndarray  # sigma of each of the next `horizon` returns


def clear_cache() -> None:
    """Forget the cached fits."""
    _CACHE.clear()


def _fit(window_returns: np.ndarray):
    from tradeforge.models.garch import _fit_arch

    key = (window_returns.size, hashlib.sha1(np.ascontiguousarray(window_returns).tobytes()).hexdigest())
    res = _CACHE.get(key)
    if res is None:
        res = _fit_arch(window_returns, 1, 1, "t", True)
        if len(_CACHE) >= _CACHE_MAX:
            _CACHE.clear()
        _CACHE[key] = res
    return res


def last_garch(returns: np.ndarray, window: int, refit_every: int, horizon: int = 5,
               alpha: float = 0.05) -> GarchRow | None:
    """The last row of ``garch_features(returns, window, refit_every, alpha)`` and its forecast path.

    *returns* are finite log returns (the pipeline passes every return after the first bar). None when
    fewer than *window* returns exist (the rolling features are NaN there).
    """
    from tradeforge.models.garch import _one_step_path, standardized_quantile_es

    m = returns.shape[0]
    if m < window:
        return None
    t0 = (window - 1) + ((m - 1) - (window - 1)) // refit_every * refit_every
    res = _fit(returns[t0 - window + 1:t0 + 1])
    scale = float(res.scale)
    s2 = _one_step_path(returns * scale, t0, m, res, 1, 1)[-1]
    sigma = float(np.sqrt(s2) / scale)
    prm = res.params
    mu = float(prm.iloc[0]) / scale
    qa, es = standardized_quantile_es(alpha, "t", float(prm["nu"]))
    persistence = float(prm["alpha[1]"] + prm["beta[1]"])
    path = [s2]
    for _ in range(horizon - 1):
        path.append(float(prm["omega"]) + persistence * path[-1])
    return GarchRow(sigma, -(mu + sigma * qa), -(mu - sigma * es), np.sqrt(np.asarray(path)) / scale)
