"""The pipeline's GARCH feature row at a candidate's last bar, with fits cached across bars.

:func:`last_garch` is :func:`tradeforge.models.garch.last_garch_row` (the last row of
``garch_features`` from its one fit, plus the multi-step forecast) with the fit cached on the exact returns
it was fitted on, so a later bar before the next refit reuses the fit, as the pipeline does.
"""

from __future__ import annotations

import hashlib

import numpy as np

from tradeforge.models.garch import GarchRow

__all__ = ["GarchRow", "last_garch", "clear_cache"]

_CACHE: dict[tuple[int, str], object] = {}
_CACHE_MAX = 4096


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
    """``last_garch_row(returns, window, refit_every, horizon, alpha)`` with cached fits (None: too short)."""
    from tradeforge.models.garch import last_garch_row

    return last_garch_row(returns, window, refit_every, horizon, alpha, fit=_fit)
