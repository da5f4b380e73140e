"""Session VWAP, the one indicator outside the table: its sessions come from labels or the index.

Without an anchor or session labels ``vwap`` equals TA-Lib 0.8's cumulative ``VWAP``; the other
indicators are derived from :data:`tradeforge.indicators.table.INDICATORS`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tradeforge.errors import ConfigError, DataError

from . import _kernels_extra as kx
from ._wrap import run

__all__ = ["vwap"]


def _session_codes(high, session: Any, anchor: str | None) -> np.ndarray:
    """Integer session labels (float64) from *session* labels or a pandas *anchor* on the index."""
    import pandas as pd

    if session is not None and anchor is not None:
        raise ConfigError("vwap: pass either session= or anchor=, not both")
    n = len(high)
    if anchor is not None:
        index = getattr(high, "index", None)
        if not isinstance(index, pd.DatetimeIndex):
            raise ConfigError(
                f"vwap: anchor={anchor!r} needs pandas Series inputs with a DatetimeIndex; "
                "with numpy arrays pass session= (one label per bar) instead"
            )
        try:
            labels = index.to_period(anchor)
        except (ValueError, TypeError) as exc:
            raise ConfigError(
                f"vwap: anchor={anchor!r} is not a pandas period alias such as 'D', 'W', 'M'"
            ) from exc
        return pd.factorize(labels)[0].astype(np.float64)
    if session is None:
        return np.zeros(n)
    labels = np.asarray(session)
    if labels.shape != (n,):
        raise DataError(f"vwap: session has shape {labels.shape}, expected ({n},): one label per bar")
    return pd.factorize(labels)[0].astype(np.float64)


def vwap(high, low, close, volume, anchor: str | None = None, session: Any = None):
    """Volume-weighted average price of the typical price (h+l+c)/3, restarted at each session.

    Parameters
    ----------
    high, low, close, volume : array-like or Series
    anchor : str, optional
        pandas period alias ('D', 'W', 'M', ...): a new session starts when the period of the Series'
        DatetimeIndex changes (pandas-ta ``vwap(anchor=...)`` convention).
    session : array-like, optional
        One label per bar (e.g. trading dates); a new session starts where the label changes.
        With neither, the VWAP is cumulative from the first bar (TA-Lib 0.8 ``VWAP``).

    Examples
    --------
    >>> h = np.array([2.0, 4.0, 6.0]); v = np.array([1.0, 1.0, 1.0])
    >>> vwap(h, h, h, v, session=[1, 1, 2]).tolist()
    [2.0, 3.0, 6.0]
    """
    codes = _session_codes(high, session, anchor)
    inputs = {"high": high, "low": low, "close": close, "volume": volume, "session": codes}
    return run(kx.vwap_session_nb, inputs, names=("vwap",))
