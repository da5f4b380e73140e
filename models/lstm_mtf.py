"""The multi-timeframe LSTM: one :class:`~tradeforge.models.lstm.LSTMPredictor` per timeframe.

For a timeframe ``tf`` (bar size ``H``) the LSTM sees the features of ``tf``'s own bars and learns a
per-bar target on them; its prediction of a ``tf`` bar reaches the base bars once that bar is complete
(the completed-bar alignment of :mod:`tradeforge.models.features`), never while it is forming.

:class:`MultiTimeframeLSTM` is the estimator on ready per-timeframe matrices. :func:`timeframe_inputs`,
:func:`fit_known_by` and :func:`oof_predictions` build it from OHLCV bars for
:class:`~tradeforge.models.pipeline.MLPipeline`: a label is usable before a *cutoff* only when its last
bar is complete by then (``start(j + horizon) + H <= cutoff``), and targets before ``train_start`` are
never used (warm-up only).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from tradeforge.errors import ConfigError, DataError, ModelError, unknown_name_error
from tradeforge.timeframes import TIMEFRAMES, check_timeframes, to_timedelta

from .features.multi_timeframe import align_completed
from .lstm import LSTMPredictor, lstm_param_names
from .targets import forward_log_return

__all__ = ["MultiTimeframeLSTM", "TfData", "timeframe_inputs", "fit_known_by", "oof_predictions"]


class MultiTimeframeLSTM(BaseEstimator):
    """One :class:`LSTMPredictor` per timeframe, predictions aligned causally to the base bars.

    Parameters
    ----------
    timeframes : sequence of str
        Timeframe names of :data:`tradeforge.timeframes.TIMEFRAMES`, none below the base bar size.
    bar : str or Timedelta, optional
        Bar size of the base data the predictions are aligned to; None means the smallest timeframe.
    lstm_params : mapping, optional
        Hyper-parameters shared by every :class:`LSTMPredictor` (None: its defaults).

    ``fit`` takes ``X[tf]``/``y[tf]`` per timeframe (a list per timeframe for several symbols);
    ``predict`` takes one symbol's frames, indexed by their bar starts.

    Attributes
    ----------
    models_ : dict
        Timeframe -> fitted :class:`LSTMPredictor`.
    timeframes_ : list of str
        The fitted timeframes.

    Examples
    --------
    >>> idx = pd.date_range("2024-01-01", periods=240, freq="1h")
    >>> rng = np.random.default_rng(0)
    >>> X = {tf: pd.DataFrame({"f": rng.normal(size=n)}, index=idx[::k]) for tf, n, k in
    ...      (("1h", 240, 1), ("6h", 40, 6))}
    >>> y = {tf: np.r_[X[tf]["f"].to_numpy()[1:], np.nan] for tf in X}
    >>> params = dict(lookback=4, epochs=1, size="small", device="cpu")
    >>> mtf = MultiTimeframeLSTM(("1h", "6h"), lstm_params=params).fit(X, y)
    >>> list(mtf.predict(X, idx).columns)
    ['lstm_1h', 'lstm_6h']
    """

    def __init__(self, timeframes: Sequence[str] = ("1d",), bar: str | pd.Timedelta | None = None,
                 lstm_params: Mapping[str, Any] | None = None) -> None:
        self.timeframes = timeframes
        self.bar = bar
        self.lstm_params = lstm_params

    def fit(self, X: Mapping[str, Any], y: Mapping[str, Any]) -> MultiTimeframeLSTM:
        """Fit one predictor per timeframe on ``X[tf]`` (features of that timeframe's bars) and ``y[tf]``."""
        tfs = self._check(X, "X")
        self._check(y, "y")
        params = dict(self.lstm_params or {})
        for name in params:
            if name not in lstm_param_names():
                raise unknown_name_error("LSTMPredictor parameter", name, lstm_param_names())
        self.models_ = {tf: LSTMPredictor(**params).fit(X[tf], y[tf]) for tf in tfs}
        self.timeframes_ = tfs
        return self

    def predict(self, X: Mapping[str, pd.DataFrame], index: pd.DatetimeIndex) -> pd.DataFrame:
        """Columns ``lstm_<tf>`` on the base bars *index*; a timeframe's bar counts once it is complete."""
        if not hasattr(self, "models_"):
            raise ModelError("this MultiTimeframeLSTM is not fitted yet; call fit(X, y) first")
        if not isinstance(index, pd.DatetimeIndex):
            raise DataError(f"index: expected the base bars' DatetimeIndex, got {type(index).__name__}")
        if not isinstance(X, Mapping) or any(tf not in X for tf in self.timeframes_):
            raise DataError(f"X: expected a mapping with the timeframes {self.timeframes_}")
        bar = self._base_bar(self.timeframes_)
        out = {}
        for tf in self.timeframes_:
            frame = X[tf]
            if not isinstance(frame, pd.DataFrame) or not isinstance(frame.index, pd.DatetimeIndex):
                raise DataError(f"X[{tf!r}]: expected a DataFrame with a DatetimeIndex of {tf} bar starts")
            pred = pd.DataFrame({tf: self.models_[tf].predict(frame)}, index=frame.index)
            out[f"lstm_{tf}"] = align_completed(pred, TIMEFRAMES[tf], index, bar)[:, 0]
        return pd.DataFrame(out, index=index)

    def _base_bar(self, tfs: list[str]) -> pd.Timedelta:
        if self.bar is None:
            return min(TIMEFRAMES[tf] for tf in tfs)
        try:
            bar = self.bar if isinstance(self.bar, str | pd.Timedelta) else pd.Timedelta(self.bar)
            return to_timedelta(bar)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"bar: expected a timeframe name or a Timedelta, got {self.bar!r}") from exc

    def _check(self, mapping: Any, label: str) -> list[str]:
        tfs = [self.timeframes] if isinstance(self.timeframes, str) else list(self.timeframes)
        for tf in tfs:
            if tf not in TIMEFRAMES:
                raise unknown_name_error("timeframe", str(tf), TIMEFRAMES)
        base = self._base_bar(tfs)
        low = [tf for tf in tfs if TIMEFRAMES[tf] < base]
        if low:
            raise ConfigError(f"timeframes {low} are below the data's bar size {base}; "
                              "keep only timeframes at or above it")
        tfs = list(check_timeframes(tfs, base))
        if not isinstance(mapping, Mapping):
            raise DataError(f"{label}: expected a mapping timeframe -> data, got {type(mapping).__name__}")
        missing = [tf for tf in tfs if tf not in mapping]
        extra = [k for k in mapping if k not in tfs]
        if missing or extra:
            raise ConfigError(f"{label}: timeframes missing {missing}, unexpected {extra}; "
                              f"pass exactly {tfs}")
        return tfs


@dataclass
class TfData:
    """One symbol's bars of one timeframe: features, forward-return target and label completion times."""

    index: pd.DatetimeIndex
    X: pd.DataFrame
    y: np.ndarray
    done: np.ndarray  # int64 ns: completion time of each bar
    label_done: np.ndarray  # int64 ns: completion time of the label's last bar (max int64 if unknown)


def timeframe_inputs(df: pd.DataFrame, timeframes: Sequence[str], bar: pd.Timedelta, feature_set,
                     horizon: int) -> dict[str, TfData]:
    """Per timeframe: *df*'s bars of it (resampled, left-labelled), features, targets, completion times.

    Higher timeframes drop the ``time`` feature group (calendar features of a 6 h bar say little).
    """
    from tradeforge.feeds.resample import resample

    out = {}
    for tf in timeframes:
        size = TIMEFRAMES[tf]
        fs = feature_set if size == bar else feature_set.select(exclude=("time",))
        frame = df
        if size != bar:
            src = df.copy(deep=False)
            src.attrs = {**df.attrs, "bar": bar}
            frame = resample(src, size)
        y = np.asarray(forward_log_return(frame["close"].to_numpy(dtype=np.float64), horizon))
        done = (frame.index + size).as_unit("ns").asi8
        label_done = np.full(len(frame), np.iinfo(np.int64).max)
        label_done[: max(len(frame) - horizon, 0)] = done[horizon:]
        out[tf] = TfData(frame.index, fs.transform(frame), y, done, label_done)
    return out


def _known_by(data: TfData, cutoff: pd.Timestamp, train_start: pd.Timestamp | None):
    """``(X, y)`` for a fit that may only know bars complete by *cutoff*; targets before *train_start* NaN."""
    c = pd.Timestamp(cutoff).as_unit("ns").value
    n = int(np.searchsorted(data.done, c, side="right"))
    y = data.y[:n].copy()
    y[data.label_done[:n] > c] = np.nan
    if train_start is not None:
        y[data.index[:n] < train_start] = np.nan
    return data.X.iloc[:n], y


def fit_known_by(estimator: MultiTimeframeLSTM, datas: Mapping[str, Mapping[str, TfData]],
                 cutoff: pd.Timestamp, train_start: pd.Timestamp | None) -> MultiTimeframeLSTM:
    """Fit *estimator* on every symbol's (``datas[symbol][tf]``) bars and labels known by *cutoff*."""
    X, y = {}, {}
    for tf in estimator.timeframes:
        pairs = [_known_by(per_tf[tf], cutoff, train_start) for per_tf in datas.values()]
        pairs = [(Xs, ys) for Xs, ys in pairs if len(Xs) and np.isfinite(ys).any()]
        if not pairs:
            raise DataError(f"no LSTM training target is known before {cutoff}; pass more history after the "
                            "warm-up")
        X[tf] = [p[0] for p in pairs] if len(pairs) > 1 else pairs[0][0]
        y[tf] = [p[1] for p in pairs] if len(pairs) > 1 else pairs[0][1]
    return estimator.fit(X, y)


def predict_frames(estimator: MultiTimeframeLSTM, datas: Mapping[str, TfData],
                   index: pd.DatetimeIndex) -> pd.DataFrame:
    """Columns ``pred_<tf>`` of one symbol on its base bars *index*."""
    out = estimator.predict({tf: d.X for tf, d in datas.items()}, index)
    return out.rename(columns=lambda c: "pred_" + c.removeprefix("lstm_"))


def oof_predictions(estimator: MultiTimeframeLSTM, datas: Mapping[str, Mapping[str, TfData]],
                    index: Mapping[str, pd.DatetimeIndex], rows: pd.DataFrame, n_splits: int,
                    train_start: pd.Timestamp | None) -> pd.DataFrame:
    """Out-of-fold ``pred_<tf>`` columns for the ensemble *rows* (columns ``symbol``, ``pos``, ``time``).

    The rows' distinct times are cut into an anchored walk-forward (``n_splits`` test blocks); each block
    is predicted by a clone of *estimator* fitted only on labels complete before the block's first bar.
    Rows of the first training window stay NaN.
    """
    from sklearn.base import clone

    from .validation import WalkForwardSplit

    times = np.unique(rows["time"].to_numpy())
    cols = [f"pred_{tf}" for tf in estimator.timeframes]
    out = np.full((len(rows), len(cols)), np.nan)
    row_times, row_syms, row_pos = rows["time"].to_numpy(), rows["symbol"].to_numpy(), rows["pos"].to_numpy()
    for _, test in WalkForwardSplit(n_splits=n_splits, anchored=True).split(times):
        lo, hi = times[test[0]], times[test[-1]]
        model = fit_known_by(clone(estimator), datas, pd.Timestamp(lo), train_start)
        block = (row_times >= lo) & (row_times <= hi)
        for sym, per_tf in datas.items():
            sel = block & (row_syms == sym)
            if sel.any():
                out[sel] = predict_frames(model, per_tf, index[sym])[cols].to_numpy()[row_pos[sel]]
    return pd.DataFrame(out, index=rows.index, columns=cols)
