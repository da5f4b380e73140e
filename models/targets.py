"""Training targets: forward log returns, triple-barrier labels and the trade both are cut from.

:class:`TradeSpec` is the one description of the long trade ``MLStrategy`` places (entry at the next
bar's open, stop and target from the entry price, live from the entry bar, a time exit, commission):
:meth:`TradeSpec.label` gives the training label (that trade's outcome net of costs) and the strategy
derives its orders from the same spec's per-bar barrier widths (the ``ml_take``/``ml_stop``/``ml_horizon``
lines of :class:`~tradeforge.models.pipeline.MLPipeline`).

Targets look into the future by definition; what matters is that callers know exactly how far.
:func:`forward_log_return` at bar ``t`` uses ``close[t + horizon]``; :func:`triple_barrier` at bar
``t`` uses bars up to its ``label_end``. Rows whose target is NaN (the last bars, where the future is
not known yet) must be dropped before training, and a walk-forward split must purge the training rows
whose ``label_end`` reaches into the test fold (``models.validation`` does this).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from tradeforge.errors import ConfigError, DataError

__all__ = ["BARRIER_UNITS", "TradeSpec", "causal_sigma", "forward_log_return", "triple_barrier"]

#: Units of ``TradeSpec.take_profit`` / ``stop_loss``.
BARRIER_UNITS = ("sigma", "fraction")


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
    from ._targets_nb import triple_barrier_nb  # numba: imported on first use

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


def causal_sigma(close: pd.Series | np.ndarray, window: int = 20) -> np.ndarray:
    """Standard deviation (ddof=1) of the last *window* close-to-close log returns, known at bar ``t``.

    Value ``t`` uses ``close[t - window .. t]`` only (NaN for the first *window* bars); each window is
    computed on its own, so a prefix of the data gives the same values bitwise.

    Examples
    --------
    >>> s = causal_sigma(np.exp(np.array([0.0, 0.01, 0.0, 0.01])), window=2)
    >>> bool(np.isnan(s[:2]).all()), round(float(s[2]), 6)
    (True, 0.014142)
    """
    w = _horizon(window, "vol_window")
    if w < 2:
        raise ConfigError(f"vol_window: expected >= 2 bars for a standard deviation, got {window!r}")
    values = np.asarray(close, dtype=np.float64)
    out = np.full(values.shape[0], np.nan)
    if values.shape[0] > w:
        r = np.diff(np.log(values))
        out[w:] = np.lib.stride_tricks.sliding_window_view(r, w).std(axis=1, ddof=1)
    return out


@dataclass(frozen=True, kw_only=True, slots=True)
class TradeSpec:
    """The long trade behind both the training label and ``MLStrategy``'s orders.

    A signal at the close of bar ``t`` enters at ``open[t + 1]`` (the entry price ``E``); a stop at
    ``E * (1 - stop[t])`` and a target at ``E * (1 + take[t])`` are live from the entry bar; if neither
    is touched by bar ``t + horizon`` the trade exits at ``open[t + 1 + horizon]`` (it is held *horizon*
    bars). Fills as the simulated broker's stop/limit orders: at the barrier, or at the open when a bar
    gaps through it; a bar touching both barriers counts as the stop. Net return
    ``gross * (1 - c) - 2 c`` for a commission ``c`` per side on notional.

    Parameters
    ----------
    horizon : int
        Bars held at most (time exit at the open after *horizon* bars).
    take_profit, stop_loss : float
        Barrier widths: multiples of ``sigma_t * sqrt(horizon)`` with ``units="sigma"`` (``sigma_t`` =
        :func:`causal_sigma` over *vol_window* bars, known at ``t``), or fractions of the entry price with
        ``units="fraction"``.
    units : {"sigma", "fraction"}
        How the widths are expressed.
    vol_window : int
        Bars of the causal sigma.
    commission : float
        Commission per side as a fraction of notional (the broker's ``commission``).

    Examples
    --------
    >>> spec = TradeSpec(horizon=4, take_profit=2.0, stop_loss=1.0)
    >>> spec.net(0.0), spec.cost
    (-0.002, 0.002)
    """

    horizon: int = 1
    take_profit: float = 2.0
    stop_loss: float = 2.0
    units: str = "sigma"
    vol_window: int = 20
    commission: float = 0.001

    def __post_init__(self) -> None:
        _horizon(self.horizon)
        if self.units not in BARRIER_UNITS:
            raise ConfigError(f"barrier_units: expected one of {BARRIER_UNITS}, got {self.units!r}; "
                              "'sigma' scales the barriers with volatility, 'fraction' fixes them")
        for name in ("take_profit", "stop_loss"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not np.isfinite(value) \
                    or value <= 0 or (self.units == "fraction" and name == "stop_loss" and value >= 1):
                unit = "fraction of the entry price in (0, 1)" if self.units == "fraction" else \
                    "positive multiple of sigma * sqrt(horizon)"
                raise ConfigError(f"{name}: expected a {unit}, got {value!r}")
        causal_sigma(np.ones(3), self.vol_window)  # checks vol_window
        c = self.commission
        if isinstance(c, bool) or not isinstance(c, int | float) or not 0 <= c < 0.1:
            raise ConfigError(f"commission: expected a fraction of notional per side in [0, 0.1), got {c!r}")

    @property
    def cost(self) -> float:
        """Round-trip cost of a flat trade (``2 * commission``)."""
        return 2.0 * float(self.commission)

    def net(self, gross: float | np.ndarray) -> float | np.ndarray:
        """Net return of a trade with simple *gross* return: ``gross * (1 - c) - 2 c``."""
        return gross * (1.0 - self.commission) - 2.0 * self.commission

    def scale(self, close: pd.Series | np.ndarray) -> np.ndarray:
        """Per-bar unit of the widths: ``sigma_t * sqrt(horizon)`` (sigma units) or 1 (fractions)."""
        n = len(close)
        if self.units == "fraction":
            return np.ones(n)
        return causal_sigma(close, self.vol_window) * np.sqrt(float(self.horizon))

    def widths(self, close: pd.Series | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(take, stop)`` per bar as fractions of the entry price, known at ``t`` (NaN: no trade yet)."""
        unit = self.scale(close)
        unit = np.where(unit > 0, unit, np.nan)
        return self.take_profit * unit, np.minimum(self.stop_loss * unit, 0.999)

    @staticmethod
    def barrier_prices(entry: float, take: float, stop: float) -> tuple[float, float]:
        """``(stop price, target price)`` of a trade entered at *entry* with widths *take*, *stop*."""
        return entry * (1.0 - stop), entry * (1.0 + take)

    def label(self, df: pd.DataFrame) -> pd.DataFrame:
        """The outcome of this trade signalled at every bar of *df* (OHLCV).

        Returns
        -------
        DataFrame
            Same index: ``label`` (1.0 when the net return is > 0, 0.0 if not, NaN unknown), ``ret`` (net
            return), ``gross``, ``exit_offset`` (bars from ``t`` to the exit bar, nullable Int64),
            ``barrier`` (1 target, -1 stop, 0 time), ``label_end`` (position of the exit bar: the last bar
            the label depends on), ``exit_time``, ``take``/``stop`` (the widths) and ``scale``. Unknown
            rows (the future is not in *df*, or no sigma yet) are NaN/NA/NaT.
        """
        missing = [c for c in ("open", "high", "low", "close") if c not in getattr(df, "columns", ())]
        if missing or not isinstance(df, pd.DataFrame):
            raise DataError(f"TradeSpec.label: expected an OHLCV DataFrame, missing columns {missing}")
        cols = {c: np.ascontiguousarray(df[c].to_numpy(dtype=np.float64)) for c in ("open", "high", "low",
                                                                                   "close")}
        for name, arr in cols.items():
            _positive_prices(arr, name, df.index)
        take, stop = self.widths(cols["close"])
        from ._targets_nb import trade_outcome_nb  # numba: imported on first use

        gross, offset, barrier = trade_outcome_nb(cols["open"], cols["high"], cols["low"], take, stop,
                                                  int(self.horizon))
        known = offset >= 0
        ends = np.where(known, np.arange(len(df)) + offset, 0)
        net = np.where(known, self.net(gross), np.nan)
        return pd.DataFrame(
            {
                "label": np.where(known, (net > 0).astype(np.float64), np.nan),
                "ret": net,
                "gross": gross,
                "exit_offset": pd.Series(offset, index=df.index, dtype="Int64").where(known),
                "barrier": pd.Series(barrier, index=df.index, dtype="Int64").where(known),
                "label_end": pd.Series(ends, index=df.index, dtype="Int64").where(known),
                "exit_time": pd.Series(df.index[ends], index=df.index).where(known),
                "take": take,
                "stop": stop,
                "scale": self.scale(cols["close"]),
            },
            index=df.index,
        )
