"""``LSTMPredictor.predict_last_many``: one batch equals ``predict_last`` (and the rolling ``predict``) per
frame up to float32 rounding; short frames and NaN windows give NaN."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tradeforge.models.lstm import LSTMPredictor


def test_batch_equals_the_rolling_prediction_of_each_frame():
    rng = np.random.default_rng(4)
    X = pd.DataFrame(rng.normal(size=(260, 3)), columns=["a", "b", "c"])
    model = LSTMPredictor(lookback=6, epochs=1, size="small", device="cpu", random_state=0).fit(
        X, np.r_[X["a"].to_numpy()[1:], np.nan])
    rolling = model.predict(X)  # the prediction at every bar of the whole series
    cuts = [6, 7, 50, 51, 128, 199, 260, 5]
    frames = [X.iloc[:c] for c in cuts]
    got = model.predict_last_many(frames)
    assert got.shape == (len(cuts),) and np.isnan(got[-1]) and np.isfinite(got[:-1]).all()
    np.testing.assert_allclose(got[:-1], rolling[np.array(cuts[:-1]) - 1], rtol=1e-5, atol=1e-9)
    tails = model.predict_last_many([f.iloc[-6:] for f in frames[:-1]])  # only the last window is read
    np.testing.assert_allclose(tails, got[:-1], rtol=1e-5, atol=1e-9)
    holed = X.copy()
    holed.iloc[100, 1] = np.nan
    assert np.isnan(model.predict_last_many([holed.iloc[:103]])[0])
    assert model.predict_last_many([]).shape == (0,)
