"""Per-timeframe LSTM inputs, targets, out-of-fold predictions and refits for :class:`MLPipeline`.

For a timeframe ``tf`` (bar size ``H``) the LSTM sees the features of ``tf``'s own bars (resampled from
the base bars) and learns ``log(close[j + horizon] / close[j])`` on those bars. A label is usable before a
*cutoff* time only when its last bar is complete by then (``start(j + horizon) + H <= cutoff``), and a
bar's prediction reaches the base bars once that bar is complete (the completed-bar alignment of
:mod:`tradeforge.models.features`). Targets before ``train_start`` are never used (warm-up only).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._feature_mtf import align_completed
from .targets import forward_log_return


@dataclass
class TfData:
    """One symbol's bars of one timeframe: features, forward-return target and label completion times."""

    index: pd.DatetimeIndex
    X: pd.DataFrame
    y: np.ndarray
    done: np.ndarray  # int64 ns: completion time of each bar
    label_done: np.ndarray  # int64 ns: completion time of the label's last bar (max int64 if unknown)


def tf_frame(df: pd.DataFrame, size: pd.Timedelta, bar: pd.Timedelta) -> pd.DataFrame:
    """The bars of timeframe *size*: *df* itself at the base size, else resampled (left-labelled)."""
    from tradeforge.feeds.resample import resample

    if size == bar:
        return df
    src = df.copy(deep=False)
    src.attrs = {**df.attrs, "bar": bar}
    return resample(src, size)


def tf_data(df: pd.DataFrame, size: pd.Timedelta, bar: pd.Timedelta, feature_set, horizon: int) -> TfData:
    """Features, targets and completion times of *df*'s bars at timeframe *size*."""
    frame = tf_frame(df, size, bar)
    X = feature_set.transform(frame)
    y = np.asarray(forward_log_return(frame["close"].to_numpy(dtype=np.float64), horizon))
    done = (frame.index + size).as_unit("ns").asi8
    label_done = np.full(len(frame), np.iinfo(np.int64).max)
    label_done[: max(len(frame) - horizon, 0)] = done[horizon:]
    return TfData(frame.index, X, y, done, label_done)


def fit_inputs(data: TfData, cutoff: pd.Timestamp, train_start: pd.Timestamp | None) -> tuple[pd.DataFrame, np.ndarray]:
    """``(X, y)`` for a fit that may only know bars complete by *cutoff*; targets before *train_start* NaN."""
    c = pd.Timestamp(cutoff).as_unit("ns").value
    n = int(np.searchsorted(data.done, c, side="right"))
    y = data.y[:n].copy()
    y[data.label_done[:n] > c] = np.nan
    if train_start is not None:
        y[data.index[:n] < train_start] = np.nan
    return data.X.iloc[:n], y


def fit_lstm(params: dict, datas: list[TfData], cutoff: pd.Timestamp, train_start: pd.Timestamp | None):
    """A fresh :class:`LSTMPredictor` fitted on every symbol's bars known by *cutoff*."""
    from .lstm import LSTMPredictor

    pairs = [fit_inputs(d, cutoff, train_start) for d in datas]
    pairs = [(X, y) for X, y in pairs if len(X) and np.isfinite(y).any()]
    if not pairs:
        from tradeforge.errors import DataError

        raise DataError(f"no LSTM training target is known before {cutoff}; pass more history after the warm-up")
    Xs, ys = [p[0] for p in pairs], [p[1] for p in pairs]
    model = LSTMPredictor(**params)
    return model.fit(Xs if len(Xs) > 1 else Xs[0], ys if len(ys) > 1 else ys[0])


def predict_aligned(model, data: TfData, size: pd.Timedelta, base_index: pd.DatetimeIndex,
                    bar: pd.Timedelta) -> np.ndarray:
    """The model's prediction of each *size* bar, seen by each base bar once that bar is complete."""
    pred = pd.DataFrame({"p": model.predict(data.X)}, index=data.index)
    return align_completed(pred, size, base_index, bar)[:, 0]


def oof_predictions(params: dict, datas: Mapping[str, TfData], size: pd.Timedelta, bar: pd.Timedelta,
                    base_index: Mapping[str, pd.DatetimeIndex], rows: pd.DataFrame, n_splits: int,
                    train_start: pd.Timestamp | None) -> np.ndarray:
    """Out-of-fold LSTM predictions for the ensemble *rows* (columns ``symbol``, ``pos``, ``time``).

    The rows' distinct times are cut into an anchored walk-forward (``n_splits`` test blocks); each block
    is predicted by an LSTM fitted only on labels complete before the block's first bar. Rows of the first
    training window stay NaN.
    """
    from .validation import WalkForwardSplit

    times = np.unique(rows["time"].to_numpy())
    out = np.full(len(rows), np.nan)
    split = WalkForwardSplit(n_splits=n_splits, anchored=True)
    row_times = rows["time"].to_numpy()
    for _, test in split.split(times):
        lo, hi = times[test[0]], times[test[-1]]
        model = fit_lstm(params, list(datas.values()), pd.Timestamp(lo), train_start)
        sel_block = (row_times >= lo) & (row_times <= hi)
        for sym, data in datas.items():
            sel = sel_block & (rows["symbol"].to_numpy() == sym)
            if sel.any():
                aligned = predict_aligned(model, data, size, base_index[sym], bar)
                out[sel] = aligned[rows["pos"].to_numpy()[sel]]
    return out
