"""The simulated broker's fill model on crafted bars: the volume cap spreads an order over bars, the
square-root impact costs k x sigma x sqrt(q / V) x q x p, both off unless asked for."""

from __future__ import annotations

import math

import backtrader as bt
import numpy as np
import pandas as pd
import pytest

from tradeforge.brokers.sim import configure_broker
from tradeforge.engine.config import ML_FILLS, BacktestConfig, WalkForwardConfig
from tradeforge.engine.runner import run_backtest
from tradeforge.errors import ConfigError


def _bars(n=40, volume=100.0, seed=0, scale=0.01) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, scale, n)))
    index = pd.date_range("2024-01-01", periods=n, freq="D", name="datetime")
    return pd.DataFrame({"open": close, "high": close * 1.01, "low": close * 0.99, "close": close,
                         "volume": np.full(n, volume)}, index=index)


class _BuyOnce(bt.Strategy):
    params = dict(size=250.0, at=25)

    def __init__(self):
        self.sizes, self.fills = [], []

    def notify_order(self, order):
        if order.status in (order.Partial, order.Completed):
            self.fills.append((len(self), order.executed.exbits[-1].size if order.executed.exbits else 0.0,
                               order.executed.comm))

    def next(self):
        self.sizes.append(self.position.size)
        if len(self) == self.p.at:
            self.buy(size=self.p.size)


def _run(df, **costs):
    cerebro = bt.Cerebro(stdstats=False)
    configure_broker(cerebro.broker, cash=1e9, **costs)
    data = bt.feeds.PandasData(dataname=df)
    cerebro.adddata(data, name="X")
    if costs.get("impact"):
        from tradeforge.brokers.sim import attach_impact

        attach_impact(cerebro.broker, cerebro.datas, commission=costs.get("commission", 0.0),
                      impact=costs["impact"])
    cerebro.addstrategy(_BuyOnce)
    return cerebro.run()[0]


def test_volume_cap_fills_over_later_bars():
    strat = _run(_bars(), commission=0.0, volume_cap=0.5)
    after = strat.sizes[25:31]  # the order is placed on bar 25 and fills from bar 26, 50 shares a bar
    assert after == [50.0, 100.0, 150.0, 200.0, 250.0, 250.0]
    uncapped = _run(_bars(), commission=0.0)
    assert uncapped.sizes[25:27] == [250.0, 250.0]


def test_square_root_impact_cost_matches_the_formula():
    df = _bars(volume=1_000.0)
    k, q, commission = 0.5, 250.0, 0.001
    strat = _run(df, commission=commission, impact=k)
    (bar, size, comm), = strat.fills
    fill = bar - 1  # position of the fill bar in df (len(self) counts from 1)
    price = df["open"].iloc[fill]
    sigma = np.std(np.diff(np.log(df["close"].iloc[fill - 21:fill].to_numpy())), ddof=1)
    expected = commission * q * price + k * sigma * math.sqrt(q / 1_000.0) * q * price
    assert size == q and comm == pytest.approx(expected, rel=1e-12)
    plain = _run(df, commission=commission).fills[0][2]
    assert plain == pytest.approx(commission * q * price, rel=1e-12)


def test_impact_grows_with_size_and_volatility():
    def impact(df, size):
        class Sized(_BuyOnce):
            params = dict(size=size, at=25)

        cerebro = bt.Cerebro(stdstats=False)
        configure_broker(cerebro.broker, cash=1e9, commission=0.0)
        cerebro.adddata(bt.feeds.PandasData(dataname=df), name="X")
        from tradeforge.brokers.sim import attach_impact

        attach_impact(cerebro.broker, cerebro.datas, commission=0.0, impact=0.2)
        cerebro.addstrategy(Sized)
        bar, _, comm = cerebro.run()[0].fills[0]
        return comm / (size * df["open"].iloc[bar - 1])  # cost as a fraction of notional

    calm, wild = _bars(volume=10_000.0, scale=0.005), _bars(volume=10_000.0, scale=0.02)
    assert impact(calm, 400.0) == pytest.approx(2.0 * impact(calm, 100.0), rel=1e-9)  # sqrt(4) = 2
    assert impact(wild, 100.0) > 3.0 * impact(calm, 100.0)


def test_fill_model_defaults_and_checks():
    assert BacktestConfig().costs == {"cash": 100_000.0, "commission": 0.001, "slippage_bps": 0.0}
    assert BacktestConfig(volume_cap=0.2, impact=0.1).costs["volume_cap"] == 0.2
    assert WalkForwardConfig().backtest.volume_cap == 0.0 and WalkForwardConfig().volume_cap is None
    assert ML_FILLS == {"volume_cap": 0.1, "impact": 0.1}
    result = run_backtest({"X": _bars(200, volume=1e9)}, "sma_cross", {"fast": 5, "slow": 20})
    assert result.fills == {"partial_fills": 0, "orders_split": 0}
    with pytest.raises(ConfigError, match=r"volume_cap: 1.5 is outside \[0, 1\]"):
        run_backtest({"X": _bars(50)}, "sma_cross", volume_cap=1.5)


def test_runner_reports_orders_split_by_the_cap():
    df = _bars(300, volume=50.0)
    result = run_backtest({"X": df}, "sma_cross", {"fast": 5, "slow": 20}, volume_cap=0.1)
    assert result.fills["orders_split"] > 0 and result.fills["partial_fills"] >= result.fills["orders_split"]
