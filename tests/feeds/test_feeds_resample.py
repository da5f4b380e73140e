"""resample / infer_bar_size against hand-computed bars."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tradeforge.errors import ConfigError, DataError
from tradeforge.feeds import TIMEFRAMES, infer_bar_size, resample, validate_ohlcv


def _frame(stamps, rows) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["open", "high", "low", "close", "volume"],
                      index=pd.DatetimeIndex(stamps))
    return validate_ohlcv(df, "hand")


@pytest.fixture()
def five_minute() -> pd.DataFrame:
    # two sessions; a gap 09:45 -> 10:05 leaves the 09:50-10:00 bins empty
    stamps = ["2024-01-02 09:30", "2024-01-02 09:35", "2024-01-02 09:40", "2024-01-02 09:45",
              "2024-01-02 10:05", "2024-01-03 09:30", "2024-01-03 09:35"]
    rows = [(10, 11, 9, 10.5, 100), (10.5, 12, 10, 11, 200), (11, 11.5, 10.5, 11.2, 50),
            (11.2, 11.3, 10.8, 11, 10), (11, 13, 11, 12.5, 300), (20, 21, 19, 20.5, 5),
            (20.5, 20.6, 18, 19, 7)]
    return _frame(stamps, rows)


def test_timeframes_and_inference(five_minute):
    assert list(TIMEFRAMES) == ["1m", "5m", "30m", "1h", "6h", "1d"]
    assert TIMEFRAMES["6h"] == pd.Timedelta(hours=6)
    assert infer_bar_size(five_minute.index) == pd.Timedelta(minutes=5)
    assert five_minute.attrs["bar"] == pd.Timedelta(minutes=5)
    assert infer_bar_size(pd.bdate_range("2024-01-01", periods=30)) == pd.Timedelta(days=1)
    with pytest.raises(DataError, match="at least 2"):
        infer_bar_size(pd.DatetimeIndex(["2024-01-01"]))


def test_resample_15m_by_hand(five_minute):
    out = resample(five_minute, pd.Timedelta(minutes=15))
    expected = _frame(
        ["2024-01-02 09:30", "2024-01-02 09:45", "2024-01-02 10:00", "2024-01-03 09:30"],
        [(10, 12, 9, 11.2, 350), (11.2, 11.3, 10.8, 11, 10), (11, 13, 11, 12.5, 300), (20, 21, 18, 19, 12)],
    )
    pd.testing.assert_frame_equal(out, expected)
    assert out.attrs["bar"] == pd.Timedelta(minutes=15)


def test_resample_30m_left_label_closed_left(five_minute):
    out = resample(five_minute, "30m")
    assert list(out.index.strftime("%d %H:%M")) == ["02 09:30", "02 10:00", "03 09:30"]
    np.testing.assert_array_equal(out["volume"], [360, 300, 12])
    np.testing.assert_array_equal(out["close"], [11, 12.5, 19])


def test_resample_daily_groups_by_calendar_date(five_minute):
    out = resample(five_minute, "1d")
    expected = _frame(["2024-01-02", "2024-01-03"], [(10, 13, 9, 12.5, 660), (20, 21, 18, 19, 12)])
    pd.testing.assert_frame_equal(out, expected)


def test_resample_hourly_bins_on_the_hour(five_minute):
    out = resample(five_minute, "1h")
    assert list(out.index.strftime("%d %H:%M")) == ["02 09:00", "02 10:00", "03 09:00"]
    np.testing.assert_array_equal(out["open"], [10, 11, 20])


def test_resample_refuses_smaller_or_non_multiple(five_minute):
    with pytest.raises(DataError, match="cannot resample 0 days 00:05:00 bars to smaller"):
        resample(five_minute, "1m")
    with pytest.raises(DataError, match="not a whole multiple"):
        resample(five_minute, pd.Timedelta(minutes=7))
    with pytest.raises(ConfigError, match="unknown timeframe '2h'"):
        resample(five_minute, "2h")


def test_resample_same_size_is_identity(five_minute):
    pd.testing.assert_frame_equal(resample(five_minute, "5m"), five_minute)
