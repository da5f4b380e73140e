"""Training targets: forward log returns and triple-barrier labels.

Targets look into the future by definition; what matters is that callers know exactly how far.
:func:`forward_log_return` at bar ``t`` uses ``close[t + horizon]``; :func:`triple_barrier` at bar
``t`` uses bars up to its ``label_end``. Rows whose target is NaN (the last bars, where the future is
not known yet) must be dropped before training, and a walk-forward split must purge the training rows
whose ``label_end`` reaches into the test fold (``models.validation`` does this).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from tradeforge.errors import ConfigError, DataError

from ._targets_nb import triple_barrier_nb

__all__ = ["forward_log_return", "triple_barrier"]


def _horizon(value: Any, name: str = "horizon") -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ConfigError(f"{name}: expected an integer number of bars >= 1, got {value!r}")
    return int(value)


def _positive_prices(values: np.ndarray, name: str, index: Any = None) -> None:
    bad = np.flatnonzero(~(np.isfinite(values) & (values > 0)))
    if bad.size:
        pos = int(bad[0])
        where = f" ({index[pos]})" if index is not None else ""
        raise DataError(
            f"{name}: expected positive finite prices, got {float(values[pos])} at row {pos}{where}; "
            "clean the data first (tradeforge.feeds.validate_ohlcv)"
        )


def forward_log_return(close: pd.Series | np.ndarray, horizon: int | Sequence[int] = 1):
    """``log(close[t + horizon] / close[t])`` at every bar ``t``: what an LSTM predicts.

    A predicted return ``r`` maps back to a price as ``close[t] * exp(r)``. The last *horizon* rows are
    NaN (their future is unknown): **exclude them from training**.

    Parameters
    ----------
    close : Series or ndarray
        Positive close prices.
    horizon : int or sequence of int
        Bars ahead; a sequence gives one column per horizon (``fwd_logret_<h>``).

    Returns
    -------
    Series (named ``fwd_logret_<h>``), ndarray, or DataFrame for a sequence of horizons.

    Examples
    --------
    >>> forward_log_return(np.array([1.0, np.e, np.e ** 3]), 1).round(6).tolist()
    [1.0, 2.0, nan]
    """
    if isinstance(horizon, Sequence) and not isinstance(horizon, str):
        if not horizon:
            raise ConfigError("horizon: expected at least one horizon, got an empty sequence")
        cols = {f"fwd_logret_{_horizon(h)}": forward_log_return(close, h) for h in horizon}
        index = close.index if isinstance(close, pd.Series) else None
        return pd.DataFrame({k: np.asarray(v) for k, v in cols.items()}, index=index)
    h = _horizon(horizon)
    values = np.asarray(close, dtype=np.float64)
    if values.ndim != 1:
        raise DataError(f"close: expected one column of prices, got shape {values.shape}")
    _positive_prices(values, "close", getattr(close, "index", None))
    out = np.full(values.shape[0], np.nan)
    logs = np.log(values)
    out[:-h] = logs[h:] - logs[:-h]
    if isinstance(close, pd.Series):
        return pd.Series(out, index=close.index, name=f"fwd_logret_{h}")
    return out


def _barrier_widths(df: pd.DataFrame, take_profit: float, stop_loss: float, vol: Any,
                    vol_mult: float | tuple[float, float] | None) -> tuple[np.ndarray, np.ndarray]:
    """Per-bar take-profit and stop-loss widths (fractions of the entry price)."""
    n = len(df)
    if vol is None:
        if vol_mult is not None:
            raise ConfigError("vol_mult is set but vol is None: pass vol (a column name or a per-bar series)")
        for name, value in (("take_profit", take_profit), ("stop_loss", stop_loss)):
            if not isinstance(value, int | float) or not 0 < value < (1 if name == "stop_loss" else np.inf):
                raise ConfigError(f"{name}: expected a fraction of the entry price in (0, 1), e.g. 0.02, "
                                  f"got {value!r}")
        return np.full(n, float(take_profit)), np.full(n, float(stop_loss))
    if vol_mult is None:
        raise ConfigError("vol is set but vol_mult is None: pass vol_mult=k or (k_take_profit, k_stop_loss)")
    tp_mult, sl_mult = (vol_mult, vol_mult) if np.isscalar(vol_mult) else tuple(vol_mult)
    if not (tp_mult > 0 and sl_mult > 0):
        raise ConfigError(f"vol_mult: expected positive multiples of volatility, got {vol_mult!r}")
    if isinstance(vol, str):
        if vol not in df.columns:
            raise ConfigError(f"vol: no column '{vol}' in the frame (has {list(df.columns)})")
        vol = df[vol]
    if isinstance(vol, pd.Series) and not vol.index.equals(df.index):
        raise DataError("vol: the Series' index differs from the frame's; align it (vol.reindex(df.index))")
    sigma = np.asarray(vol, dtype=np.float64)
    if sigma.shape != (n,):
        raise DataError(f"vol: expected {n} values (one per bar), got shape {sigma.shape}")
    sigma = np.where(sigma > 0, sigma, np.nan)  # no volatility estimate yet -> no label
    return tp_mult * sigma, np.minimum(sl_mult * sigma, 0.999)


def triple_barrier(
    df: pd.DataFrame,
    horizon: int = 10,
    take_profit: float = 0.04,
    stop_loss: float = 0.02,
    vol: str | pd.Series | np.ndarray | None = None,
    vol_mult: float | tuple[float, float] | None = None,
) -> pd.DataFrame:
    """Triple-barrier labels for a long entry at the next bar's open (seed 004: profitable = 1).

    For each bar ``t`` a trade enters at ``open[t + 1]``; it exits at the take-profit, the stop-loss,
    or the close of bar ``t + horizon``, whichever comes first (see ``_targets_nb.triple_barrier_nb``:
    a bar touching both barriers counts as a stop, a stop gapped through fills at the open).

    Parameters
    ----------
    df : DataFrame
        OHLCV bars (open, high, low, close).
    horizon : int
        Time limit in bars after the signal bar.
    take_profit, stop_loss : float
        Fixed barrier widths as fractions of the entry price (ignored when *vol* is given).
    vol : str, Series or ndarray, optional
        Per-bar volatility known at ``t`` (a column name of *df* or values aligned to it, e.g. the
        ``realized_vol_20`` feature): barriers become ``vol_mult * vol[t]``.
    vol_mult : float or (float, float), optional
        Volatility multiples for (take-profit, stop-loss); required with *vol*.

    Returns
    -------
    DataFrame
        Same index as *df*: ``label`` (1.0 profitable, 0.0 not, NaN unknown), ``ret`` (the trade's
        simple return), ``exit_offset`` (bars from ``t`` to the exit, nullable Int64), ``barrier``
        (1 take-profit, -1 stop-loss, 0 time limit, nullable Int64), ``label_end`` (0-based position in
        *df* of the exit bar, the last bar the label depends on: the per-row purge array of
        ``models.validation.WalkForwardSplit``; nullable Int64) and ``exit_time`` (that bar's timestamp).
        Unknown labels (the future is not in *df* yet) have NaN/NA/NaT everywhere: drop them before
        training. Positions refer to *df*: after keeping rows ``start:``, subtract ``start``.

    Examples
    --------
    >>> idx = pd.date_range("2024-01-01", periods=4, freq="D")
    >>> px = pd.DataFrame({"open": [10.0, 10, 10, 10], "high": [10.0, 10.5, 10.2, 10],
    ...                    "low": [10.0, 9.9, 9.9, 10], "close": [10.0, 10, 10, 10]}, index=idx)
    >>> triple_barrier(px, horizon=2, take_profit=0.05, stop_loss=0.05)["barrier"].tolist()
    [1, 0, <NA>, <NA>]
    """
    h = _horizon(horizon)
    missing = [c for c in ("open", "high", "low", "close") if c not in getattr(df, "columns", ())]
    if missing or not isinstance(df, pd.DataFrame):
        raise DataError(f"triple_barrier: expected an OHLCV DataFrame, missing columns {missing}")
    arrays = [np.ascontiguousarray(df[c].to_numpy(dtype=np.float64))
              for c in ("open", "high", "low", "close")]
    for name, arr in zip(("open", "high", "low", "close"), arrays, strict=True):
        _positive_prices(arr, name, df.index)
    tp, sl = _barrier_widths(df, take_profit, stop_loss, vol, vol_mult)
    ret, offset, barrier = triple_barrier_nb(*arrays, tp, sl, h)
    known = offset >= 0
    ends = np.where(known, np.arange(len(df)) + offset, 0)
    return pd.DataFrame(
        {
            "label": np.where(known, (ret > 0).astype(np.float64), np.nan),
            "ret": ret,
            "exit_offset": pd.Series(offset, index=df.index, dtype="Int64").where(known),
            "barrier": pd.Series(barrier, index=df.index, dtype="Int64").where(known),
            "label_end": pd.Series(ends, index=df.index, dtype="Int64").where(known),
            "exit_time": pd.Series(df.index[ends], index=df.index).where(known),
        },
        index=df.index,
    )
