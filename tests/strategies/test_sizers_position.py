"""position_size (risk at the stop, position cap, fractional Kelly, cash) and the MLRiskSizer wrapper."""

from __future__ import annotations

import doctest
import math

import backtrader as bt
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tradeforge.strategies.sizers as sizers_module
from tradeforge.brokers.sim import configure_broker
from tradeforge.errors import ConfigError, DataError
from tradeforge.feeds import make_feed
from tradeforge.strategies.sizers import MLRiskSizer, kelly_fraction_of, position_size


def test_each_cap_binds_in_turn():
    # risk: 100k * 1 % / 5 = 200 shares (cap 20 % / 50 = 400)
    assert position_size(100_000, 50.0, 5.0, 0.01, 0.2, proba=1.0) == 200
    # cap: 100k * 20 % / 50 = 400 (risk 1,000)
    assert position_size(100_000, 50.0, 1.0, 0.01, 0.2, proba=1.0) == 400
    # Kelly: p=0.4, b=2 -> f*=0.1, half Kelly 5 % of equity at risk / stop 5 = 1,000 (risk 2,000, cap 2,000)
    assert position_size(100_000, 50.0, 5.0, 0.1, 1.0, proba=0.4, payoff=2.0, kelly_fraction=0.5) == 1000
    # cash: 3,000 / 50 = 60 shares
    assert position_size(100_000, 50.0, 5.0, 0.01, 0.2, cash=3_000.0) == 60


def test_kelly_formula_and_no_edge_gives_zero():
    assert kelly_fraction_of(0.5, 1.0) == 0.0
    assert kelly_fraction_of(0.65, 2.0) == pytest.approx(0.65 - 0.35 / 2)
    assert position_size(100_000, 50.0, 1.0, proba=1 / 3, payoff=2.0) == 0      # f* = 0
    assert position_size(100_000, 50.0, 1.0, proba=0.2, payoff=2.0) == 0        # f* < 0: never negative
    # kelly_fraction=0 switches the Kelly cap off
    assert position_size(100_000, 50.0, 5.0, proba=0.2, payoff=2.0, kelly_fraction=0.0) == 200


def test_whole_or_fractional_shares_and_broke_accounts():
    assert position_size(10_000, 30.0, 1.0) == 66                               # 2,000 / 30 = 66.67
    assert position_size(10_000, 30.0, 1.0, fractional=True) == pytest.approx(2000 / 30)
    assert position_size(0.0, 30.0, 1.0) == 0
    assert position_size(-5.0, 30.0, 1.0) == 0
    assert position_size(10_000, 30.0, 1.0, cash=-100.0) == 0


@pytest.mark.parametrize(
    ("kwargs", "error", "needle"),
    [
        ({"price": 0.0}, DataError, "price"),
        ({"price": float("nan")}, DataError, "price"),
        ({"stop_distance": -1.0}, DataError, "stop_distance"),
        ({"proba": 1.2}, DataError, "proba"),
        ({"payoff": 0.0}, DataError, "payoff"),
        ({"risk_per_trade": 0.0}, ConfigError, "risk_per_trade"),
        ({"max_position_pct": 2.0}, ConfigError, "max_position_pct"),
        ({"kelly_fraction": -0.1}, ConfigError, "kelly_fraction"),
        ({"equity": "1e5"}, DataError, "equity"),
    ],
)
def test_bad_inputs_name_the_argument(kwargs, error, needle):
    args = dict(equity=100_000.0, price=50.0, stop_distance=1.0, proba=0.6, payoff=2.0)
    with pytest.raises(error, match=needle):
        position_size(**{**args, **kwargs})


@settings(max_examples=200, deadline=None)
@given(
    equity=st.floats(1e3, 1e8), price=st.floats(0.5, 5e3), stop_frac=st.floats(1e-3, 0.5),
    risk=st.floats(1e-4, 0.2), cap=st.floats(0.01, 1.0), proba=st.floats(0.0, 1.0),
    payoff=st.floats(0.2, 5.0),
    kelly=st.floats(0.0, 1.0), cash_frac=st.floats(0.0, 1.5), fractional=st.booleans(),
)
def test_size_never_breaks_a_cap(
    equity, price, stop_frac, risk, cap, proba, payoff, kelly, cash_frac, fractional
):
    stop = stop_frac * price
    cash = cash_frac * equity
    size = position_size(
        equity, price, stop, risk, cap, proba, payoff, kelly, cash=cash, fractional=fractional
    )
    tol = 1e-9 * equity + 1e-6
    assert size >= 0
    assert fractional or size == math.floor(size)
    assert size * price <= cap * equity + tol
    assert size * stop <= risk * equity + tol
    assert size * price <= cash + tol
    if kelly > 0:
        assert size * stop <= max(kelly * kelly_fraction_of(proba, payoff), 0.0) * equity + tol
    # whole shares: one more share would break a cap (the size is the largest allowed)
    if not fractional:
        limits = [risk * equity / stop, cap * equity / price, cash / price]
        if kelly > 0:
            limits.append(max(kelly * kelly_fraction_of(proba, payoff), 0.0) * equity / stop)
        assert size + 1 > min(limits) - 1e-6


class _BuyOnce(bt.Strategy):
    def __init__(self):
        self.sizes = []

    def next(self):
        if len(self) == 3:  # the bar closing at 80
            self.buy()

    def notify_order(self, order):
        if order.status == order.Completed:
            self.sizes.append(order.executed.size)


def test_ml_risk_sizer_wraps_position_size():
    index = pd.date_range("2024-01-01", periods=5, freq="D", name="datetime")
    close = np.array([100.0, 100.0, 80.0, 81.0, 82.0])
    df = pd.DataFrame(
        {"open": close, "high": close, "low": close, "close": close, "volume": 1e6}, index=index
    )
    cerebro = bt.Cerebro(stdstats=False)
    configure_broker(cerebro.broker, cash=50_000.0, commission=0.0)
    cerebro.adddata(make_feed(df, {"ml_proba": np.full(5, 0.4)}, name="X"))
    cerebro.addstrategy(_BuyOnce)
    cerebro.addsizer(MLRiskSizer, risk_per_trade=0.01, max_position_pct=1.0, stop_loss=0.05, take_profit=0.10)
    strat = cerebro.run()[0]
    # signal close 80: risk 500 / (0.05 * 80) = 125 shares;
    # Kelly 0.5 * (0.4 - 0.6 / 2) = 5 % -> 2,500 / 4 = 625
    assert strat.sizes == [125.0]
    assert strat.sizes[0] == position_size(50_000.0, 80.0, 4.0, 0.01, 1.0, 0.4, 2.0, 0.5, cash=50_000.0)


def test_docstring_examples_run():
    result = doctest.testmod(sizers_module)
    assert result.attempted > 0 and result.failed == 0
