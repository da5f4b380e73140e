"""Numba kernels of the lazily generated synthetic universe (:mod:`tradeforge.feeds.lazy_synthetic`)."""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["garch_path_nb", "plant_edge_nb"]


@njit(cache=True, nogil=True)
def garch_path_nb(z: np.ndarray, omega: float, alpha: float, beta: float, burn: int):
    """Zero-mean GARCH(1,1) driven by unit-variance shocks *z*: ``(returns, sigma)`` after *burn* steps.

    ``s2[0] = omega / (1 - alpha - beta)``, ``e[t] = sqrt(s2[t]) z[t]``,
    ``s2[t + 1] = omega + alpha e[t]^2 + beta s2[t]`` (the recursion ``arch``'s ``GARCH.simulate`` runs).
    """
    n = z.shape[0]
    e = np.empty(n)
    s = np.empty(n)
    s2 = omega / (1.0 - alpha - beta)
    for t in range(n):
        s[t] = np.sqrt(s2)
        e[t] = s[t] * z[t]
        s2 = omega + alpha * e[t] * e[t] + beta * s2
    return e[burn:], s[burn:]


@njit(cache=True, nogil=True)
def plant_edge_nb(base: np.ndarray, sigma: np.ndarray, edge: float, lookback: int, kind: int,
                  shock: np.ndarray, gate: float) -> np.ndarray:
    """``r[t] = base[t] + edge * sigma[t] * s[t-1]`` with ``s`` the sign of the last *lookback* returns of
    ``r`` (kind 0 momentum, 1 reversal, 2 momentum on ``shock[t-1] > gate``); causal, one symbol."""
    n = base.shape[0]
    r = base.copy()
    for t in range(1, n):
        total = 0.0
        for k in range(max(0, t - lookback), t):
            total += r[k]
        signal = 1.0 if total > 0.0 else (-1.0 if total < 0.0 else 0.0)
        if kind == 1:
            signal = -signal
        elif kind == 2 and not shock[t - 1] > gate:
            signal = 0.0
        r[t] += edge * sigma[t] * signal
    return r
