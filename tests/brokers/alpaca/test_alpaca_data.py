"""AlpacaData: minute stream bars aggregated into longer bars (equal to resampling the minutes), extra
lines computed causally from the history, bad arguments."""

from __future__ import annotations

import backtrader as bt
import numpy as np
import pandas as pd
import pytest

from tradeforge.errors import ConfigError


class Lines(bt.Strategy):
    def __init__(self) -> None:
        self.rows: list[tuple] = []

    def next(self) -> None:
        d = self.data
        self.rows.append(
            (
                d.datetime.datetime(0),
                d.open[0],
                d.high[0],
                d.low[0],
                d.close[0],
                d.volume[0],
                getattr(d.lines, "sma3", None) and d.sma3[0],
            )
        )


def _push(fake, store, ts, row):
    store.clock.now = (pd.Timestamp(ts).tz_localize("UTC") + pd.Timedelta(minutes=1)).to_pydatetime()
    fake.push_bar("AAPL", ts, row.open, row.high, row.low, row.close, row.volume)


def test_five_minute_bars_from_the_minute_stream(fake, store, run_live, make_bars):
    minutes = make_bars(15)

    def driver(data):
        for i, (ts, row) in enumerate(minutes.iterrows()):
            _push(fake, store, ts, row)
            if i % 5 == 4:
                assert data.wait_consumed((i + 1) // 5, 10)

    strat, broker, data = run_live(Lines, driver, timeframe="5m")
    want = minutes.resample("5min").agg(
        {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}
    )
    got = pd.DataFrame([r[:6] for r in strat.rows], columns=["t", *want.columns]).set_index("t")
    pd.testing.assert_frame_equal(got, want, check_names=False, check_freq=False)
    assert data.tradable


def test_extra_lines_are_computed_from_the_history(fake, store, run_live, make_bars):
    bars = make_bars(6)

    def sma3(frame):
        return {"sma3": frame.close.rolling(3).mean().to_numpy()}

    strat, broker, data = run_live(Lines, bars, data_kw={"lines": ("sma3",), "compute": sma3})
    got = np.array([r[6] for r in strat.rows], dtype=float)
    want = bars.close.rolling(3).mean().to_numpy()
    np.testing.assert_allclose(got, want, equal_nan=True)
    pd.testing.assert_frame_equal(data.history(), bars, check_freq=False, check_names=False)


def test_bad_arguments(store):
    with pytest.raises(ConfigError, match="backfill"):
        store.getdata("AAPL", "1m", backfill=-1)
    with pytest.raises(ConfigError, match="compute"):
        store.getdata("AAPL", "1m", lines=("x",))
    with pytest.raises(ConfigError, match="timeframe"):
        store.getdata("AAPL", "7m")


def test_a_bar_whose_last_minute_never_comes_is_delivered_after_its_end(fake, store, run_live, make_bars):
    minutes = make_bars(10).drop(index=make_bars(10).index[[3, 4]])  # no trade in the bar's last 2 minutes

    def driver(data):
        for ts, row in minutes.iloc[:3].iterrows():
            _push(fake, store, ts, row)
        store.clock.now = (minutes.index[0] + pd.Timedelta(minutes=5, seconds=6)).tz_localize("UTC")
        assert data.wait_consumed(1, 10)  # flushed by the clock, not a late bar
        for ts, row in minutes.iloc[3:].iterrows():
            _push(fake, store, ts, row)
        assert data.wait_consumed(2, 10)

    strat, broker, data = run_live(Lines, driver, timeframe="5m")
    assert [r[0] for r in strat.rows] == list(pd.date_range(minutes.index[0], periods=2, freq="5min"))
    assert strat.rows[0][4] == minutes.close.iloc[2] and data.tradable
