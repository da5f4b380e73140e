"""Batched last-window LSTM inference: ``LSTMPredictor.predict_last`` for many symbols in one forward pass.

The last window of every symbol (its look-back rows, scaled as the predictor scales them, and the
indicator values of its last row) is stacked into one batch and the network runs once. The numbers equal
``predict_last`` on each symbol's own matrix up to float32 rounding: on CPU a window's rounding depends on
its row in the batch (``tradeforge.models._trainer.predict_windows`` keeps a window at row
``end % CPU_CHUNK`` to make the pipeline's batch and live paths bitwise equal; here the rows are the
candidates' order).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["predict_last_many"]


def predict_last_many(model, frames: Sequence[pd.DataFrame]) -> np.ndarray:
    """Prediction of *model* at the last row of every frame (``predict_last`` up to float32 rounding).

    Parameters
    ----------
    model : LSTMPredictor
        A fitted predictor.
    frames : sequence of DataFrame
        Each symbol's feature rows ending at the row to predict (at least the model's look-back rows;
        fewer or non-finite rows give NaN).

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
    with tr.run_context(choice, model._threads(model.config_), None), torch.inference_mode():
        x = torch.as_tensor(windows)
        ind = x[:, -1, :][:, torch.as_tensor(ind_cols)]
        scaled = net(x.to(choice.device), ind.to(choice.device)).double().cpu().numpy()
    out[usable] = model.scaler_.inverse_target(scaled)
    return out
