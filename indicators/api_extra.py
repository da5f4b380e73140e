"""Indicators beyond TA-Lib's classic set: VWAP, relative volume, Keltner/Donchian, z-score, returns.

``rvol`` and ``donchian`` follow TA-Lib 0.8's ``RVOL``/``DONCHIAN`` exactly, and ``vwap`` without an anchor
equals TA-Lib 0.8's cumulative ``VWAP``. Conventions versus pandas-ta are stated in each docstring.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tradeforge.errors import ConfigError, DataError

from . import _kernels_extra as kx
from ._wrap import as_array, check_float, check_period, run

__all__ = ["vwap", "rolling_vwap", "rvol", "keltner", "donchian", "zscore", "logret", "realized_vol"]


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
            raise ConfigError(f"vwap: anchor={anchor!r} is not a pandas period alias such as 'D', 'W', 'M'") from exc
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


def rolling_vwap(high, low, close, volume, timeperiod: int = 20):
    """VWAP of the typical price over the last timeperiod bars.

    Examples
    --------
    >>> h = np.array([2.0, 4.0, 6.0]); v = np.array([1.0, 1.0, 2.0])
    >>> rolling_vwap(h, h, h, v, timeperiod=2).round(4).tolist()
    [nan, 3.0, 5.3333]
    """
    p = check_period("timeperiod", timeperiod, 1)
    inputs = {"high": high, "low": low, "close": close, "volume": volume}
    return run(kx.vwap_rolling_nb, inputs, p, names=("rolling_vwap",))


def rvol(volume, timeperiod: int = 20):
    """Relative volume, volume / mean volume of the previous timeperiod bars (TA-Lib 0.8 ``RVOL``).

    Examples
    --------
    >>> rvol(np.array([1.0, 1.0, 3.0]), timeperiod=2).tolist()
    [nan, nan, 3.0]
    """
    return run(kx.rvol_nb, {"volume": volume}, check_period("timeperiod", timeperiod, 1), names=("rvol",))


def keltner(high, low, close, timeperiod: int = 20, atrperiod: int = 10, nbdev: float = 2.0):
    """Keltner channel ``(upperband, middleband, lowerband)``: EMA(close, timeperiod) +- nbdev * ATR.

    The ATR is TA-Lib's Wilder ATR(atrperiod). pandas-ta ``kc`` has the same middle band but builds its
    bands from an EMA of the true range over ``length``; TA-Lib 0.8 ``KC`` uses yet another basis.

    Examples
    --------
    >>> c = np.arange(1.0, 31.0)
    >>> [round(float(b[-1]), 2) for b in keltner(c + 1, c - 1, c)]
    [24.5, 20.5, 16.5]
    """
    params = (
        check_period("timeperiod", timeperiod, 1),
        check_period("atrperiod", atrperiod, 1),
        check_float("nbdev", nbdev),
    )
    return run(kx.keltner_nb, {"high": high, "low": low, "close": close}, *params,
               names=("upperband", "middleband", "lowerband"))


def donchian(high, low, timeperiod: int = 20):
    """Donchian channel ``(upperband, middleband, lowerband)`` (TA-Lib 0.8 ``DONCHIAN``, pandas-ta
    ``donchian`` with equal lengths).

    Examples
    --------
    >>> h = np.array([3.0, 5.0, 4.0])
    >>> [b.tolist() for b in donchian(h, h - 2, timeperiod=2)]
    [[nan, 5.0, 5.0], [nan, 3.0, 3.5], [nan, 1.0, 2.0]]
    """
    p = check_period("timeperiod", timeperiod, 1)
    return run(kx.donchian_nb, {"high": high, "low": low}, p, names=("upperband", "middleband", "lowerband"))


def zscore(real, timeperiod: int = 20):
    """Rolling z-score, (real - SMA) / population std (pandas-ta ``zscore``); NaN where the std is 0.

    Examples
    --------
    >>> zscore(np.array([1.0, 3.0, 1.0]), timeperiod=2).tolist()
    [nan, 1.0, -1.0]
    """
    return run(kx.zscore_nb, {"real": real}, check_period("timeperiod", timeperiod, 2), names=("zscore",))


def _check_positive(real, fname: str) -> None:
    arr, _ = as_array(real, "real")
    bad = np.flatnonzero(arr <= 0)
    if bad.size:
        raise DataError(f"{fname}: real must be > 0 for log returns, got {arr[bad[0]]!r} at position {bad[0]}")


def logret(real, timeperiod: int = 1):
    """Log return over timeperiod bars, log(real / real[-timeperiod]) (pandas-ta ``log_return``).

    Examples
    --------
    >>> logret(np.array([1.0, np.e])).tolist()
    [nan, 1.0]
    """
    p = check_period("timeperiod", timeperiod, 1)
    _check_positive(real, "logret")
    return run(kx.logret_nb, {"real": real}, p, names=("logret",))


def realized_vol(real, timeperiod: int = 20, periods_per_year: float = 1.0):
    """Realized volatility: sqrt(periods_per_year * mean of the last timeperiod squared one-bar log
    returns); not mean-adjusted (the usual high-frequency convention). 252 annualises daily bars.

    Examples
    --------
    >>> realized_vol(np.exp(np.array([0.0, 0.1, 0.0])), timeperiod=2).round(6).tolist()
    [nan, nan, 0.1]
    """
    p = check_period("timeperiod", timeperiod, 1)
    ppy = check_float("periods_per_year", periods_per_year)
    if ppy <= 0:
        raise ConfigError(f"periods_per_year: expected a positive number, got {periods_per_year!r}")
    _check_positive(real, "realized_vol")
    return run(kx.realized_vol_nb, {"real": real}, p, ppy, names=("realized_vol",))
