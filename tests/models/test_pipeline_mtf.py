"""MLPipeline on hourly bars with a 6h LSTM: completed higher bars only, truncation inside a 6h bar."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tradeforge.errors import ConfigError
from tradeforge.feeds import load
from tradeforge.models.pipeline import MLPipeline

TRAIN_END = 1199


@pytest.fixture(scope="module")
def hourly():
    df = next(iter(load("synth:symbols=1,bars=1500,freq=1h,seed=2,edge=0.3").values()))
    pipe = MLPipeline(timeframes=("1h", "6h"), fast=True, garch_window=60, garch_refit_every=150,
                      lstm_epochs=2, lstm_lookback=10).fit(df, train_end=df.index[TRAIN_END])
    return df, pipe, pipe.predict_frame(df)


def test_hourly_lines_and_timeframes(hourly):
    df, pipe, frame = hourly
    assert pipe.timeframes_ == ["1h", "6h"]
    assert list(frame.columns)[-2:] == ["pred_1h", "pred_6h"]
    assert any(c.startswith("6h_") for c in pipe.columns_) and "pred_6h" in pipe.columns_
    assert np.isfinite(frame.iloc[pipe.warmup - 1:].to_numpy()).all()


def test_6h_prediction_changes_only_when_a_6h_bar_completes(hourly):
    _, _, frame = hourly
    pred = frame["pred_6h"].dropna()
    changed = pred.index[1:][pred.to_numpy()[1:] != pred.to_numpy()[:-1]]
    # session bars 09:30..14:30: the 06:00-12:00 bin is complete at the close of the 11:30 bar, the
    # 12:00-18:00 bin after the 14:30 bar, so its value first shows on the next day's 09:30 bar
    assert len(changed) > 50
    assert set(changed.strftime("%H:%M")) <= {"11:30", "09:30"}


def test_hourly_truncation_inside_a_6h_bar(hourly):
    df, pipe, frame = hourly
    cuts = [i for i in range(TRAIN_END + 2, len(df)) if df.index[i - 1].strftime("%H:%M") == "10:30"][:2]
    for cut in [*cuts, 1457]:
        pd.testing.assert_frame_equal(pipe.predict_frame(df.iloc[:cut]), frame.iloc[:cut], check_exact=True)
    live = pipe.predict_latest(df.iloc[:1300])
    np.testing.assert_array_equal(np.array(list(live.values())), frame.iloc[1299].to_numpy())


def test_timeframe_below_the_bar_size_is_refused():
    df = next(iter(load("synth:symbols=1,bars=50,freq=1h,seed=2").values()))
    with pytest.raises(ConfigError, match="'30m'"):
        MLPipeline(timeframes=("30m", "1h")).fit(df)
