"""The last rows of a candidate's feature matrices without computing the whole window.

Stage 2 needs, per candidate, only the multi-timeframe feature row of its last bar (what
``build_multi_timeframe(window)`` holds in its last row) and, per LSTM timeframe, the LSTM feature rows of
the last ``lookback`` completed bars of that timeframe (the tail of ``timeframe_inputs(window)``). A window
holding 100 completed daily bars is some 40,000 one-minute bars, so computing every feature on all of them
(and resampling them with pandas twice) is what made the six-timeframe cycle slow.

:class:`LastRows` splits a :class:`~tradeforge.models.features.FeatureSet` into

* *windowed* specs: a value at bar ``t`` depends on bars ``t - lookback .. t`` only (rolling means, sums,
  extremes, slopes, oscillators of windowed sums, returns, bar shapes, calendar; :data:`WINDOWED` names
  them, and a TA-Lib moving-average parameter ``*matype`` other than 0 = SMA disqualifies a spec). They
  are computed on the last ``rows + lookback`` bars only: the same values as on the whole window, up to
  the rounding of running sums (a test checks every default spec);
* *recursive* specs (EMA, Wilder smoothing, KAMA, ...: their value depends on every earlier bar): computed
  on the whole window, as the pipeline does.

Higher timeframes are resampled by :func:`resample_bars` (numpy, the bins and aggregates of
:func:`tradeforge.feeds.resample.resample`, checked by a test), cut at their last bar complete by the end
of the window's last bar, which is all that the completed-bar alignment ever shows of them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["WINDOWED", "LastRows", "LastInputs", "resample_bars"]

#: Feature functions whose value at a bar depends on the last ``lookback + 1`` bars only.
WINDOWED = frozenset({
    "bollinger", "trange", "stddev", "willr", "stoch", "stochf", "cci", "aroon", "aroonosc", "ultosc", "bop",
    "mom", "trima", "wma", "sma", "donchian_pos", "zscore", "obv_slope", "ad_slope", "mfi", "vwap",
    "volume_ratio", "rvol", "log_volume_zscore", "ma_cross", "rolling_max", "rolling_min", "bar_range",
    "bar_body", "close_location", "gap", "logret", "realized_vol", "hour", "minute", "weekday",
})
_AGG_COLUMNS = ("open", "high", "low", "close", "volume")


def _is_windowed(spec) -> bool:
    from tradeforge.models.features.functions import resolve

    if spec.function not in WINDOWED:
        return False
    params = {**resolve(spec.function).defaults, **dict(spec.params)}
    return all(int(v) == 0 for k, v in params.items() if k.endswith("matype"))


class LastRows:
    """The last rows of ``feature_set.matrix(df)``, computing windowed specs on a tail only.

    Parameters
    ----------
    feature_set : FeatureSet

    Attributes
    ----------
    windowed, recursive : FeatureSet or None
        The two parts (None when empty); ``memory`` is the largest lookback of the windowed part.
    """

    def __init__(self, feature_set) -> None:
        from tradeforge.models.features import FeatureSet

        self.feature_set = feature_set
        specs = list(feature_set.specs)
        win = [i for i, s in enumerate(specs) if _is_windowed(s)]
        rec = [i for i in range(len(specs)) if i not in set(win)]
        self._win_idx, self._rec_idx = np.array(win, dtype=np.int64), np.array(rec, dtype=np.int64)
        self.windowed = FeatureSet(tuple(specs[i] for i in win)) if win else None
        self.recursive = FeatureSet(tuple(specs[i] for i in rec)) if rec else None
        self.memory = self.windowed.warmup if self.windowed is not None else 0

    def matrix(self, df: pd.DataFrame, rows: int) -> np.ndarray:
        """``feature_set.matrix(df)[-rows:]`` (fewer rows when *df* is shorter)."""
        n = len(df)
        rows = min(int(rows), n)
        out = np.empty((rows, len(self.feature_set.specs)))
        if rows == 0:
            return out
        if self.windowed is not None:
            lo = max(0, n - rows - self.memory)
            out[:, self._win_idx] = self.windowed.matrix(df.iloc[lo:])[-rows:]
        if self.recursive is not None:
            out[:, self._rec_idx] = self.recursive.matrix(df)[-rows:]
        return out


def resample_bars(df: pd.DataFrame | dict[str, np.ndarray], size: pd.Timedelta,
                  index: pd.DatetimeIndex | None = None) -> pd.DataFrame:
    """:func:`tradeforge.feeds.resample.resample` of a validated, sorted frame to *size* bars (a divisor of a
    day: every :data:`~tradeforge.timeframes.TIMEFRAMES` size), in numpy.

    Bins start at multiples of *size* from midnight (pandas' ``origin="start_day"``), labelled by their start;
    open = first, high = max, low = min, close = last, volume = sum; empty bins do not exist. *df* may also
    be a dict of the five column arrays with their *index*; bars of a size dividing *size* give the same
    bars as their base bars (up to the order of the volume sums).
    """
    stamps = (df.index if index is None else index).as_unit("ns").asi8
    values = df if isinstance(df, dict) else {c: df[c].to_numpy(dtype=np.float64) for c in _AGG_COLUMNS}
    key = stamps // size.value
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    last = np.r_[starts[1:] - 1, len(stamps) - 1]
    cols = {"open": values["open"][starts], "high": np.maximum.reduceat(values["high"], starts),
            "low": np.minimum.reduceat(values["low"], starts), "close": values["close"][last],
            "volume": np.add.reduceat(values["volume"], starts)}
    out = pd.DataFrame(cols, index=pd.DatetimeIndex(key[starts] * size.value, name="datetime"))
    out.attrs = {**(getattr(df, "attrs", None) or {}), "bar": size}
    return out


class LastInputs:
    """Per candidate window: the last multi-timeframe feature row and the LSTM tails (see the module notes).

    Parameters
    ----------
    full_fs, lstm_fs : FeatureSet
        The pipeline's feature sets (``MLPipeline._feature_sets()``): of the ensemble and of the LSTMs.
    bar : Timedelta
        The base bar size.
    higher : sequence of str
        Timeframes above the bar whose features join the row.
    lstm_lookbacks : mapping timeframe -> int
        Each LSTM timeframe's look-back (rows of its tail).
    """

    def __init__(self, full_fs, lstm_fs, bar: pd.Timedelta, higher: Sequence[str],
                 lstm_lookbacks: dict[str, int]) -> None:
        from tradeforge.timeframes import TIMEFRAMES, timeframe_name

        self.bar, self.higher, self.lookbacks = bar, list(higher), dict(lstm_lookbacks)
        self.full_fs, self.higher_fs = full_fs, full_fs.select(exclude=("time",))
        self._full, self._higher = LastRows(full_fs), LastRows(self.higher_fs)
        self._base_cols = [f"{timeframe_name(bar, default='base')}_{c}" for c in full_fs.columns]
        lstm_low, lstm_high = list(lstm_fs.columns), list(lstm_fs.select(exclude=("time",)).columns)
        self._low_where = [list(full_fs.columns).index(c) for c in lstm_low]
        self._high_where = [list(self.higher_fs.columns).index(c) for c in lstm_high]
        self._low_cols, self._high_cols = lstm_low, lstm_high
        self._sizes = {tf: TIMEFRAMES[tf] for tf in dict.fromkeys([*higher, *lstm_lookbacks])}

    def compute(self, df: pd.DataFrame) -> tuple[dict[str, float], dict[str, pd.DataFrame]]:
        """``(row, tails)`` of window *df*: the last row of ``build_multi_timeframe(df, higher, full_fs)``
        as a dict, and per LSTM timeframe the rows of ``timeframe_inputs(df, ...)[tf].X`` ending at its last
        bar complete by the end of *df*'s last bar (at most its look-back)."""
        bar = self.bar
        end = (df.index[-1] + bar).value
        base_look = max([k for tf, k in self.lookbacks.items() if self._sizes[tf] == bar] or [1])
        rows = self._full.matrix(df, base_look)
        row = dict(zip(self._base_cols, rows[-1], strict=True))
        tails: dict[str, pd.DataFrame] = {}
        lasts: dict[str, np.ndarray] = {}
        built = [(bar, {c: df[c].to_numpy(dtype=np.float64) for c in _AGG_COLUMNS}, df.index)]
        for tf, size in sorted(self._sizes.items(), key=lambda kv: kv[1]):
            look = self.lookbacks.get(tf, 1)
            if size == bar:
                tails[tf] = _tail(rows, df.index, self._low_where, self._low_cols, look)
                continue
            src = next(b for b in reversed(built) if size % b[0] == pd.Timedelta(0))  # largest divisor
            bars = resample_bars(src[1], size, src[2])
            built.append((size, {c: bars[c].to_numpy() for c in _AGG_COLUMNS}, bars.index))
            bars.attrs = {**df.attrs, "bar": size}
            done = int(np.searchsorted(bars.index.asi8 + size.value, end, side="right"))
            bars = bars.iloc[:done]
            hrows = self._higher.matrix(bars, look)
            if tf in self.higher:
                last = hrows[-1] if done else np.full(len(self.higher_fs.columns), np.nan)
                lasts[tf] = last
            if tf in self.lookbacks:
                tails[tf] = _tail(hrows, bars.index, self._high_where, self._high_cols, look)
        for tf in self.higher:
            row.update(zip((f"{tf}_{c}" for c in self.higher_fs.columns), lasts[tf], strict=True))
        return row, tails


def _tail(rows: np.ndarray, index: pd.DatetimeIndex, where: list[int], columns: list[str],
          look: int) -> pd.DataFrame:
    part = rows[len(rows) - min(look, len(rows)):][:, where] if len(rows) else np.empty((0, len(where)))
    return pd.DataFrame(part, index=index[len(index) - len(part):], columns=columns)
