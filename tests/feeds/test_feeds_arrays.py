"""ArrayFeed / make_feed: exact delivery in every cerebro mode, equality with PandasData, dates."""

from __future__ import annotations

import datetime as dt

import backtrader as bt
import numpy as np
import pandas as pd
import pytest

from tradeforge.errors import ConfigError, DataError
from tradeforge.feeds import load, make_feed
from tradeforge.feeds.arrays import bt_datetimes

pytestmark = pytest.mark.filterwarnings("ignore:datetime.datetime.utcnow:DeprecationWarning")  # backtrader


@pytest.fixture(scope="module")
def spx() -> pd.DataFrame:
    return load("sample:sp500", start="2015-01-01")["SP500"]


class _Recorder(bt.Strategy):
    def __init__(self):
        self.rows = []

    def next(self):
        d = self.data
        self.rows.append((d.datetime.datetime(0), d.close[0], d.volume[0], d.pred[0]))


@pytest.mark.parametrize("run_kwargs", [{}, {"preload": False}, {"runonce": False}, {"exactbars": 1}])
def test_strategy_sees_exactly_the_input_arrays(spx, run_kwargs):
    pred = np.random.default_rng(0).normal(size=len(spx))
    pred[:3] = np.nan
    cerebro = bt.Cerebro(stdstats=False)
    cerebro.adddata(make_feed(spx, {"pred": pred}))
    cerebro.addstrategy(_Recorder)
    rows = cerebro.run(**run_kwargs)[0].rows
    assert len(rows) == len(spx)
    assert [r[0] for r in rows] == list(spx.index.to_pydatetime())
    np.testing.assert_array_equal([r[1] for r in rows], spx["close"].to_numpy())
    np.testing.assert_array_equal([r[2] for r in rows], spx["volume"].to_numpy())
    np.testing.assert_array_equal([r[3] for r in rows], pred)


def test_intraday_datetimes_match_date2num():
    rng = np.random.default_rng(1)
    ns = rng.integers(pd.Timestamp("1900-01-01").value, pd.Timestamp("2100-01-01").value, 2000)
    idx = pd.DatetimeIndex(np.sort(ns // 1000 * 1000))  # backtrader keeps microseconds
    idx = idx.append(pd.DatetimeIndex(["2024-03-10 09:30", "2024-12-31 23:59:59.999999", "2024-01-01"]))
    expected = np.array([bt.date2num(t) for t in idx.to_pydatetime()])
    np.testing.assert_array_equal(bt_datetimes(idx), expected)


class _SmaCross(bt.Strategy):
    params = (("fast", 10), ("slow", 30))

    def __init__(self):
        self.cross = bt.ind.CrossOver(bt.ind.SMA(period=self.p.fast), bt.ind.SMA(period=self.p.slow))

    def next(self):
        if self.cross[0] > 0:
            self.order_target_percent(target=0.95)
        elif self.cross[0] < 0:
            self.order_target_percent(target=0.0)


def _final_value(feed, **run_kwargs) -> float:
    cerebro = bt.Cerebro(stdstats=False)
    cerebro.adddata(feed)
    cerebro.addstrategy(_SmaCross)
    cerebro.broker.setcommission(commission=0.001)
    cerebro.run(**run_kwargs)
    return cerebro.broker.getvalue()


def test_backtest_identical_to_pandasdata(spx):
    vanilla = _final_value(bt.feeds.PandasData(dataname=spx))
    fast = _final_value(make_feed(spx))
    assert fast == vanilla and fast != 100_000.0  # trades happened, to the cent identical
    assert _final_value(make_feed(spx), preload=False) == vanilla
    assert _final_value(make_feed(spx), runonce=False) == vanilla


def test_preload_is_bulk_not_bar_by_bar(spx, monkeypatch):
    def _no_per_bar_load(self):
        raise AssertionError("preload must not go through _load bar by bar")

    feed = make_feed(spx)
    monkeypatch.setattr(type(feed), "_load", _no_per_bar_load)
    cerebro = bt.Cerebro(stdstats=False)
    cerebro.adddata(feed)
    cerebro.addstrategy(bt.Strategy)
    strat = cerebro.run()[0]  # speed itself is measured by bench/feeds.py
    assert len(strat.data) == len(spx) and strat.data.close[0] == spx["close"].iloc[-1]


def test_feed_classes_cached_per_line_names(spx):
    a = make_feed(spx, {"x": np.zeros(len(spx)), "y": np.ones(len(spx))})
    b = make_feed(spx, {"x": np.ones(len(spx)), "y": np.ones(len(spx))})
    c = make_feed(spx)
    assert type(a) is type(b) and type(a).__name__ == "ArrayFeed_x_y"
    assert type(c).__name__ == "ArrayFeed"
    assert a._name == "SP500" and a._timeframe == bt.TimeFrame.Days


def test_fromdate_todate_still_honoured(spx):
    feed = make_feed(spx)
    feed.p.fromdate, feed.p.todate = dt.datetime(2016, 1, 1), dt.datetime(2016, 12, 31)
    cerebro = bt.Cerebro(stdstats=False)
    cerebro.adddata(feed)
    cerebro.addstrategy(_Recorder.__base__)
    strat = cerebro.run()[0]
    assert len(strat.data) == len(spx.loc["2016"])


@pytest.mark.parametrize(
    "lines, error, match",
    [
        ({"close": np.zeros(3)}, ConfigError, "clashes"),
        ({"1bad": np.zeros(3)}, ConfigError, "identifier"),
        ({"next": np.zeros(3)}, ConfigError, "clashes"),
        ({"ok": np.zeros(2)}, DataError, "shape"),
    ],
)
def test_bad_lines_rejected(lines, error, match):
    df = load("sample:sp500", end="1999-01-06")["SP500"]
    with pytest.raises(error, match=match):
        make_feed(df, lines)
