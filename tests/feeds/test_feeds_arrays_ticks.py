"""ArrayFeed's per-bar fast paths (tick attributes, advance, advance_peek) match backtrader's own."""

from __future__ import annotations

import backtrader as bt
import numpy as np
import pandas as pd
import pytest

from tradeforge.feeds import load, make_feed

pytestmark = pytest.mark.filterwarnings("ignore:datetime.datetime.utcnow:DeprecationWarning")  # backtrader

_TICKS = ("tick_open", "tick_high", "tick_low", "tick_close", "tick_volume", "tick_openinterest", "tick_last")


@pytest.fixture(scope="module")
def spx() -> pd.DataFrame:
    return load("sample:sp500", start="2016-01-01", end="2017-12-31")["SP500"]


class _TickRecorder(bt.Strategy):
    """Records every tick attribute on every bar and trades a 3/8-bar crossover (orders read the ticks)."""

    def __init__(self):
        self.rows = []
        self.cross = bt.ind.CrossOver(bt.ind.SMA(period=3), bt.ind.SMA(period=8))

    def next(self):
        self.rows.append(tuple(getattr(self.data, name) for name in _TICKS) + (len(self.data),))
        if self.cross[0] > 0:
            self.order_target_percent(target=0.9)
        elif self.cross[0] < 0:
            self.close()


def _generic(feed):
    """The same feed with backtrader's own per-bar methods instead of ArrayFeed's fast ones."""
    base = bt.feed.AbstractDataBase
    names = ("_tick_fill", "_tick_nullify", "advance", "advance_peek")
    cls = type(f"Generic{type(feed).__name__}", (type(feed),), {n: getattr(base, n) for n in names})
    return cls(**{key: getattr(feed.p, key) for key in feed.p._getkeys()})


def _run(feed, replay: bool = False, **run_kwargs) -> tuple[list, float]:
    cerebro = bt.Cerebro(stdstats=False)
    if replay:
        cerebro.replaydata(feed, timeframe=bt.TimeFrame.Weeks)
    else:
        cerebro.adddata(feed)
    cerebro.addstrategy(_TickRecorder)
    cerebro.broker.setcommission(commission=0.001)
    strat = cerebro.run(**run_kwargs)[0]
    return strat.rows, cerebro.broker.getvalue()


@pytest.mark.parametrize("run_kwargs", [{}, {"preload": False}, {"runonce": False}])
def test_ticks_and_value_equal_pandasdata(spx, run_kwargs):
    feed = make_feed(spx, {"signal": np.arange(len(spx), dtype=float)})
    rows_bt, value_bt = _run(_generic(feed), **run_kwargs)
    rows_ar, value_ar = _run(feed, **run_kwargs)
    assert len(rows_ar) == len(spx) - 8
    assert rows_ar == rows_bt  # every tick value of every bar, and the bar count
    rows_pd, value_pd = _run(bt.feeds.PandasData(dataname=spx), **run_kwargs)
    # PandasData: no open interest
    assert [r[:5] + r[6:] for r in rows_ar] == [r[:5] + r[6:] for r in rows_pd]
    assert [type(v) for v in rows_ar[0][:-1]] == [float] * 7  # plain floats, like backtrader's buffers
    assert rows_ar[-2][3] == spx["close"].iloc[-2] == rows_ar[-2][6]  # backtrader leaves the last bar's unset
    assert value_ar == value_bt == value_pd != 100_000.0


def test_replay_uses_backtraders_tick_protocol(spx):
    # replay adds filters: ArrayFeed falls back to backtrader's bar loop, which forces tick fills
    rows_bt, value_bt = _run(_generic(make_feed(spx)), replay=True)
    rows_ar, value_ar = _run(make_feed(spx), replay=True)
    assert rows_ar == rows_bt and len(rows_ar) > 50
    assert value_ar == value_bt != 100_000.0


def test_two_feeds_on_different_calendars(spx):
    # a data with gaps: cerebro advances it only on its own timestamps (advance_peek decides)
    gappy = spx.iloc[::3]
    values = []
    for make in (lambda df: _generic(make_feed(df)), make_feed):
        cerebro = bt.Cerebro(stdstats=False)
        cerebro.adddata(make(spx))
        cerebro.adddata(make(gappy))
        cerebro.addstrategy(_TickRecorder)
        strat = cerebro.run()[0]
        values.append((strat.rows, len(strat.datas[1]), strat.datas[1].tick_close, cerebro.broker.getvalue()))
    assert values[0] == values[1]
    assert values[1][1] == len(gappy)
