"""Stage 1, the momentum scanner: RSI, relative volume, percent change and trend -> a 0-100 score.

Vectorised over symbols: the last ``bars + 1`` closes and volumes of every live symbol are stacked into
``(symbols, bars + 1)`` matrices once, and every measure is a numpy expression over the matrix (RSI runs
TA-Lib's Wilder recursion over time, as one vector step per bar). A symbol is scanned when it has
``bars + 1`` bars and its last bar is the universe's ``at`` (stale symbols are skipped).

Measures at the last bar ``t`` (``n = bars``):

``rsi``     RSI(14) of the window (Wilder smoothing seeded on the window's first 14 changes)
``rvol``    mean volume of the last 5 bars / mean volume of the window's earlier bars
``change``  ``close[t] / close[t - n] - 1``
``trend``   least-squares slope of log close over the window divided by the std of its one-bar log
            returns (drift in sigmas per bar)

Score = 100 x the mean of four sub-scores in [0, 1]: ``clip((rsi - 40) / 30)``, ``clip((rvol - 1) / 2)``
and the cross-sectional percentile ranks of ``change`` and ``trend``. Ties are broken by symbol.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

__all__ = ["SCAN_COLUMNS", "scan", "stack_tail"]

SCAN_COLUMNS = ("symbol", "price", "rsi", "rvol", "change", "trend", "momentum_score")
_RSI = 14
_RECENT = 5


def stack_tail(frames: Mapping[str, pd.DataFrame], at: pd.Timestamp, length: int,
               columns: tuple[str, ...] = ("close", "volume")) -> tuple[list[str], dict[str, np.ndarray]]:
    """``(symbols, {column: (symbols, length) matrix})`` of the symbols whose last bar is *at*.

    A lazily built universe's frames (their own ``stack_tail``) hand their matrices over directly.
    """
    if hasattr(frames, "stack_tail"):
        return frames.stack_tail(at, length, columns)
    names: list[str] = []
    rows: dict[str, list[np.ndarray]] = {c: [] for c in columns}
    for sym, df in frames.items():
        if len(df) < length or df.index[-1] != at:
            continue
        names.append(sym)
        for c in columns:
            rows[c].append(df[c].to_numpy()[-length:])
    mats = {c: (np.vstack(v) if v else np.empty((0, length))) for c, v in rows.items()}
    return names, mats


def _rsi_last(close: np.ndarray, period: int = _RSI) -> np.ndarray:
    """TA-Lib RSI at the last column of each row, Wilder-smoothed over the row (vectorised over rows)."""
    diff = np.diff(close, axis=1)
    gain, loss = np.clip(diff, 0.0, None), np.clip(-diff, 0.0, None)
    avg_g = gain[:, :period].mean(axis=1)
    avg_l = loss[:, :period].mean(axis=1)
    for j in range(period, diff.shape[1]):
        avg_g = (avg_g * (period - 1) + gain[:, j]) / period
        avg_l = (avg_l * (period - 1) + loss[:, j]) / period
    total = avg_g + avg_l
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0.0, 100.0 * avg_g / total, 0.0)


def _pct_rank(x: np.ndarray) -> np.ndarray:
    """Cross-sectional percentile rank in [0, 1] (average rank for ties; 0.5 for a single value)."""
    if x.size < 2:
        return np.full(x.size, 0.5)
    return (pd.Series(x).rank(method="average").to_numpy() - 1.0) / (x.size - 1)


def _measures(close: np.ndarray, volume: np.ndarray) -> dict[str, np.ndarray]:
    logc = np.log(close)
    n = close.shape[1]
    t = np.arange(n, dtype=np.float64) - (n - 1) / 2.0
    slope = (logc - logc.mean(axis=1, keepdims=True)) @ t / float(t @ t)
    vol = np.diff(logc, axis=1).std(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        trend = np.where(vol > 0.0, slope / vol, 0.0)
        base = volume[:, :-_RECENT].mean(axis=1)
        rvol = np.where(base > 0.0, volume[:, -_RECENT:].mean(axis=1) / base, 1.0)
    return {"price": close[:, -1], "rsi": _rsi_last(close), "rvol": rvol,
            "change": close[:, -1] / close[:, 0] - 1.0, "trend": trend}


def scan(frames: Mapping[str, pd.DataFrame], at: pd.Timestamp, *, bars: int = 100,
         keep: int | None = None) -> pd.DataFrame:
    """Score every live symbol and return the table sorted by ``momentum_score`` (best first).

    Parameters
    ----------
    frames : mapping symbol -> DataFrame
        Validated OHLCV frames cut at *at* (benchmarks excluded).
    at : Timestamp
        The evaluation bar; symbols whose last bar differs are skipped.
    bars : int
        Window length (the change and trend span ``bars`` bars).
    keep : int, optional
        Keep the best *keep* rows (None: all).

    Returns
    -------
    DataFrame
        Columns :data:`SCAN_COLUMNS` plus ``rank`` (1 = best), one row per scanned symbol.

    Examples
    --------
    >>> from tradeforge.feeds import load
    >>> frames = load("synth:symbols=4,bars=200,freq=1d,seed=0")
    >>> table = scan(frames, frames["SYN00"].index[-1], bars=100, keep=2)
    >>> len(table), bool(table["momentum_score"].is_monotonic_decreasing)
    (2, True)
    """
    names, mats = stack_tail(frames, at, bars + 1)
    if not names:
        return pd.DataFrame(columns=[*SCAN_COLUMNS, "rank"])
    m = _measures(mats["close"], mats["volume"])
    sub = (np.clip((m["rsi"] - 40.0) / 30.0, 0.0, 1.0) + np.clip((m["rvol"] - 1.0) / 2.0, 0.0, 1.0)
           + _pct_rank(m["change"]) + _pct_rank(m["trend"]))
    table = pd.DataFrame({"symbol": names, **m, "momentum_score": 25.0 * sub})
    table = table.sort_values(["momentum_score", "symbol"], ascending=[False, True], kind="mergesort")
    table = table.reset_index(drop=True)
    table["rank"] = np.arange(1, len(table) + 1)
    return table if keep is None else table.head(keep)
