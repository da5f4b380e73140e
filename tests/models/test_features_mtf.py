"""Multi-timeframe features: higher bars are seen only once complete, and nothing leaks the future."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tradeforge.errors import ConfigError
from tradeforge.feeds import resample
from tradeforge.models.features import FeatureSet, FeatureSpec, build_multi_timeframe, default_feature_set

SMALL = FeatureSet([
    FeatureSpec("rsi_3", "rsi", {"timeperiod": 3}, normalize="pct"),
    FeatureSpec("ret_1", "logret"),
    FeatureSpec("sma_dist_3", "sma", {"timeperiod": 3}, normalize="distance", group="price"),
    FeatureSpec("hour", "hour", group="time"),
])


def _sessions(days: int, seed: int, freq: str = "5min") -> pd.DataFrame:
    """Regular-hours bars 09:30-16:00 on *days* business days, as a random walk."""
    stamps = [pd.date_range(d + pd.Timedelta("9h30min"), d + pd.Timedelta("15h55min"), freq=freq)
              for d in pd.bdate_range("2024-03-04", periods=days)]
    index = pd.DatetimeIndex(np.concatenate(stamps), name="datetime")
    rng = np.random.default_rng(seed)
    n = len(index)
    close = 20.0 * np.exp(np.cumsum(rng.normal(0, 0.003, n)))
    open_ = np.concatenate([[20.0], close[:-1]])
    wick = np.abs(rng.normal(0, 0.001, (2, n))) * close
    return pd.DataFrame(
        {"open": open_, "high": np.maximum(open_, close) + wick[0], "low": np.minimum(open_, close) - wick[1],
         "close": close, "volume": rng.integers(100, 5_000, n).astype(float)},
        index=index,
    )


def test_daily_features_seen_intraday_are_the_previous_sessions():
    df = _sessions(12, 0)
    x = build_multi_timeframe(df, ["1d"], SMALL)
    assert list(x.columns) == ["5m_rsi_3", "5m_ret_1", "5m_sma_dist_3", "5m_hour",
                               "1d_rsi_3", "1d_ret_1", "1d_sma_dist_3"]
    daily = SMALL.select(exclude=["time"]).transform(resample(df, "1d"))
    at_1030 = x[x.index.time == pd.Timestamp("10:30").time()]
    assert at_1030[["1d_rsi_3", "1d_ret_1"]].iloc[0].isna().all()  # first session: no completed day yet
    for ts, row in at_1030.iloc[1:].iterrows():
        yesterday = daily.index[daily.index < ts.normalize()][-1]
        expected = daily.loc[yesterday].to_numpy()
        np.testing.assert_array_equal(row[["1d_rsi_3", "1d_ret_1", "1d_sma_dist_3"]].to_numpy(), expected)
    # the base features are the 5m ones
    pd.testing.assert_series_equal(x["5m_ret_1"], SMALL.transform(df)["ret_1"], check_names=False)


def test_changing_the_rest_of_today_changes_nothing_at_1030():
    df = _sessions(12, 1)
    day = df.index.normalize().unique()[8]
    later = (df.index.normalize() == day) & (df.index.time > pd.Timestamp("10:30").time())
    shocked = df.copy()
    shocked.loc[later, ["open", "high", "low", "close"]] *= 1.3
    shocked.loc[later, "volume"] *= 7.0
    a = build_multi_timeframe(df, ["1h", "1d"], SMALL)
    b = build_multi_timeframe(shocked, ["1h", "1d"], SMALL)
    upto = df.index <= day + pd.Timedelta("10h30min")
    pd.testing.assert_frame_equal(a[upto], b[upto], check_exact=True)
    # the check is sensitive: the next session sees a different daily bar
    nxt = df.index.normalize() == df.index.normalize().unique()[9]
    assert not np.allclose(a.loc[nxt, "1d_rsi_3"], b.loc[nxt, "1d_rsi_3"])


def test_hourly_bar_is_visible_exactly_when_complete():
    df = _sessions(3, 2)
    x = build_multi_timeframe(df, ["1h"], SMALL)
    hourly = SMALL.select(exclude=["time"]).transform(resample(df, "1h"))
    day = df.index[0].normalize()
    # the 11:55 bar ends at 12:00, completing the 11:00 hourly bar; the 11:50 bar does not
    assert x.loc[day + pd.Timedelta("11h55min"), "1h_ret_1"] == hourly.loc[day + pd.Timedelta("11h"), "ret_1"]
    assert x.loc[day + pd.Timedelta("11h50min"), "1h_ret_1"] == hourly.loc[day + pd.Timedelta("10h"), "ret_1"]
    assert np.isfinite(x.loc[day + pd.Timedelta("11h50min"), "1h_ret_1"])


def test_round_the_clock_data_sees_todays_daily_bar_at_its_last_hour():
    idx = pd.date_range("2024-01-01", periods=24 * 6, freq="1h", name="datetime")
    close = np.linspace(10.0, 20.0, len(idx))
    df = pd.DataFrame({"open": close, "high": close, "low": close, "close": close, "volume": 1.0}, index=idx)
    x = build_multi_timeframe(df, ["1d"], SMALL)
    daily = SMALL.select(exclude=["time"]).transform(resample(df, "1d"))
    # the 23:00 bar ends at 24:00, when the daily bar is complete
    assert x.loc["2024-01-03 23:00", "1d_ret_1"] == daily.loc["2024-01-03", "ret_1"]
    assert x.loc["2024-01-03 22:00", "1d_ret_1"] == daily.loc["2024-01-02", "ret_1"]


@pytest.mark.parametrize("seed", [3, 4])
def test_truncation_never_changes_earlier_rows_multi_timeframe(seed):
    df = _sessions(14, seed)
    fs = default_feature_set()
    full = build_multi_timeframe(df, ["30m", "1h", "1d"], fs)
    assert full.shape[1] == len(fs.columns) + 3 * (len(fs.columns) - 3)
    rng = np.random.default_rng(seed)
    for cut in rng.integers(2, len(df), 4):
        part = build_multi_timeframe(df.iloc[:cut], ["30m", "1h", "1d"], fs)
        pd.testing.assert_frame_equal(part, full.iloc[:cut], check_exact=True)


def test_bad_timeframes_raise_config_errors():
    df = _sessions(2, 5)
    with pytest.raises(ConfigError, match="finer than, or not a multiple of"):
        build_multi_timeframe(df, ["1m"], SMALL)
    with pytest.raises(ConfigError, match="Did you mean '1d'"):
        build_multi_timeframe(df, ["1dd"], SMALL)
    assert list(build_multi_timeframe(df, "1d", SMALL).columns)[-1] == "1d_sma_dist_3"
