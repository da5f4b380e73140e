"""Batched last-window LSTM inference: ``LSTMPredictor.predict_last`` for many symbols in few passes.

On CPU :func:`tradeforge.models._trainer.predict_windows` puts the window ending at row ``end`` at row
``end % CPU_CHUNK`` of a zero-padded batch, which makes its output independent of the other rows (bitwise).
Windows of *different* symbols whose ends fall on different rows can therefore share one batch: each keeps
its own row and its result equals ``predict_last`` on its own matrix. Candidates are packed greedily, so
a batch of ``CPU_CHUNK`` rows serves up to ``CPU_CHUNK`` symbols. On CUDA all windows go in one batch.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["predict_last_many"]


def _pack(ends: Sequence[int], chunk: int) -> list[dict[int, int]]:
    """Greedy packing: batches of {row: item}, each item at row ``end % chunk`` of the first free batch."""
    batches: list[dict[int, int]] = []
    for item, end in enumerate(ends):
        row = int(end) % chunk
        for batch in batches:
            if row not in batch:
                batch[row] = item
                break
        else:
            batches.append({row: item})
    return batches


def predict_last_many(model, frames: Sequence[pd.DataFrame], ends: Sequence[int]) -> np.ndarray:
    """Prediction of *model* at the last row of every frame, as ``predict_last`` would give it.

    Parameters
    ----------
    model : LSTMPredictor
        A fitted predictor.
    frames : sequence of DataFrame
        Each symbol's feature rows ending at the row to predict (at least the model's look-back rows;
        fewer or non-finite rows give NaN).
    ends : sequence of int
        The row number of each frame's last row in that symbol's full feature matrix (it fixes the
        window's batch row, hence its rounding).

    Returns
    -------
    ndarray
        One float64 prediction per frame (target units).
    """
    import torch

    from tradeforge.models import _trainer as tr

    out = np.full(len(frames), np.nan)
    if not frames:
        return out
    model._check_fitted()
    lookback = int(model.config_["lookback"])
    mats = model._prepare(list(frames))
    usable = [i for i, m in enumerate(mats) if len(m) >= lookback and np.isfinite(m[-lookback:]).all()]
    if not usable:
        return out
    windows = np.stack([model.scaler_.transform(mats[i][-lookback:]) for i in usable])  # (B, L, F) float32
    ind_cols = np.asarray(model.indicator_idx_, dtype=np.int64)
    choice = model._predict_device()
    net = model.net_.to(choice.device)
    net.eval()
    scaled = np.empty(len(usable))
    with tr.run_context(choice, model._threads(model.config_), None), torch.inference_mode():
        x_all = torch.as_tensor(windows)
        ind_all = x_all[:, -1, :][:, torch.as_tensor(ind_cols)]
        if choice.is_cuda:
            dev = choice.device
            scaled[:] = net(x_all.to(dev), ind_all.to(dev)).float().cpu().numpy()
        else:
            x = torch.zeros(tr.CPU_CHUNK, lookback, windows.shape[2])
            ind = torch.zeros(tr.CPU_CHUNK, len(ind_cols))
            for batch in _pack([ends[i] for i in usable], tr.CPU_CHUNK):
                rows = torch.as_tensor(list(batch))
                items = list(batch.values())
                x.zero_()
                ind.zero_()
                x[rows] = x_all[items]
                ind[rows] = ind_all[items]
                scaled[items] = net(x, ind)[rows].double().numpy()
    out[usable] = model.scaler_.inverse_target(scaled)
    return out
