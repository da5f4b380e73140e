"""sma_cross equals the vanilla backtrader strategy: the crossover line bar for bar, the final value to
the cent (real data and a synthetic series full of ties), and no lookahead."""

from __future__ import annotations

import backtrader as bt
import numpy as np
import pandas as pd
import pytest

from tradeforge.engine.runner import run_backtest
from tradeforge.feeds import load
from tradeforge.strategies.sma_cross import SmaCross, crossover


class VanillaSmaCross(bt.Strategy):
    params = dict(fast=10, slow=30, target=0.95)

    def __init__(self):
        self.x = bt.ind.CrossOver(bt.ind.SMA(period=self.p.fast), bt.ind.SMA(period=self.p.slow))
        self.seen = []

    def next(self):
        self.seen.append((len(self) - 1, self.x[0]))
        if not self.position and self.x[0] > 0:
            self.order_target_percent(target=self.p.target)
        elif self.position and self.x[0] < 0:
            self.close()


def _vanilla(df: pd.DataFrame, cash=100_000.0, commission=0.001, **params):
    cerebro = bt.Cerebro()
    cerebro.adddata(bt.feeds.PandasData(dataname=df))
    cerebro.addstrategy(VanillaSmaCross, **params)
    cerebro.broker.setcash(cash)
    cerebro.broker.setcommission(commission=commission, percabs=True)
    strat = cerebro.run()[0]
    return cerebro.broker.getvalue(), strat.seen


def _ties_frame(n=400, seed=3) -> pd.DataFrame:
    """Integer prices that often stay flat: the two SMAs are equal on many bars."""
    rng = np.random.default_rng(seed)
    close = 100.0 + np.cumsum(rng.choice([-1.0, 0.0, 0.0, 0.0, 1.0], size=n))
    index = pd.date_range("2020-01-01", periods=n, freq="D", name="datetime")
    return pd.DataFrame({"open": close, "high": close + 1, "low": close - 1, "close": close,
                         "volume": 1000.0}, index=index)


@pytest.fixture(scope="module")
def sp500() -> pd.DataFrame:
    return load("sample:sp500")["SP500"]


def test_crossover_matches_backtrader_bar_for_bar_with_ties():
    df = _ties_frame()
    ours = crossover(df["close"].to_numpy(), fast=2, slow=4)
    _, seen = _vanilla(df, fast=2, slow=4)
    bars = np.array([i for i, _ in seen])
    assert bars[0] == SmaCross.warmup({"fast": 2, "slow": 4}) == 4  # next() starts on the same bar
    assert np.isnan(ours[: bars[0]]).all()
    np.testing.assert_array_equal(ours[bars], np.array([x for _, x in seen]))
    diff = pd.Series(df["close"]).rolling(2).mean() - pd.Series(df["close"]).rolling(4).mean()
    assert (diff.iloc[4:] == 0).sum() > 50  # the series really has ties
    assert np.count_nonzero(ours[bars]) > 10


@pytest.mark.parametrize("fast,slow", [(2, 4), (4, 2), (3, 3)])
def test_final_value_to_the_cent_on_ties(fast, slow):
    df = _ties_frame(seed=7)
    vanilla, _ = _vanilla(df, fast=fast, slow=slow)
    ours = run_backtest({"X": df}, "sma_cross", {"fast": fast, "slow": slow})
    assert round(ours.metrics["final_value"], 2) == round(vanilla, 2)


def test_final_value_to_the_cent_on_sp500(sp500):
    df = sp500.iloc[:2500]
    vanilla, _ = _vanilla(df, cash=50_000.0, commission=0.002, fast=10, slow=30)
    ours = run_backtest({"SP500": df}, "sma_cross", cash=50_000.0, commission=0.002)
    assert ours.metrics["n_trades"] > 20
    assert round(ours.metrics["final_value"], 2) == round(vanilla, 2)


def test_crossover_has_no_lookahead(sp500):
    close = sp500["close"].to_numpy()[:1500]
    full = crossover(close, 10, 30)
    for cut in (31, 200, 777, 1499):
        np.testing.assert_array_equal(crossover(close[:cut], 10, 30), full[:cut])


def test_window_mean_equals_the_numba_sma():
    from tradeforge.indicators import sma
    from tradeforge.strategies.sma_cross import _window_mean

    x = np.random.default_rng(0).lognormal(5.0, 1.0, 3000)
    for period in (1, 2, 10, 30, 200):
        np.testing.assert_allclose(_window_mean(x, period), sma(x, timeperiod=period), rtol=1e-12)
    assert np.isnan(_window_mean(x[:5], 10)).all()
