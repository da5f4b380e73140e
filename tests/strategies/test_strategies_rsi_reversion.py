"""rsi_reversion matches a vanilla backtrader strategy on TA-Lib's RSI, and respects its warm-up."""

from __future__ import annotations

import backtrader as bt
import numpy as np

from tradeforge.engine.runner import run_backtest
from tradeforge.feeds import load
from tradeforge.strategies.rsi_reversion import RsiReversion


class VanillaRsi(bt.Strategy):
    params = dict(period=14, lower=30.0, upper=70.0, target=0.95)

    def __init__(self):
        self.rsi = bt.talib.RSI(self.data.close, timeperiod=self.p.period)

    def next(self):
        if not self.position and self.rsi[0] < self.p.lower:
            self.order_target_percent(target=self.p.target)
        elif self.position and self.rsi[0] > self.p.upper:
            self.close()


def test_same_final_value_as_vanilla_backtrader_with_talib_rsi():
    df = load("sample:nasdaq")["NASDAQ"].iloc[:2000]
    cerebro = bt.Cerebro()
    cerebro.adddata(bt.feeds.PandasData(dataname=df))
    cerebro.addstrategy(VanillaRsi, period=10, lower=35.0)
    cerebro.broker.setcash(100_000.0)
    cerebro.broker.setcommission(commission=0.001, percabs=True)
    cerebro.run()
    ours = run_backtest({"NASDAQ": df}, "rsi_reversion", {"period": "10", "lower": "35"})
    assert ours.metrics["n_trades"] >= 5
    assert round(ours.metrics["final_value"], 2) == round(cerebro.broker.getvalue(), 2)


def test_precompute_is_talib_rsi_and_first_entry_after_warmup():
    import talib

    df = load("sample:nasdaq")["NASDAQ"].iloc[:600]
    params = {"period": 14, "lower": 30.0, "upper": 70.0, "target": 0.95}
    line = RsiReversion.precompute(df, params)["rsi"]
    np.testing.assert_allclose(line, talib.RSI(df["close"].to_numpy(), 14), rtol=0, atol=1e-9)
    result = run_backtest({"NASDAQ": df}, "rsi_reversion")
    first_buy = result.orders.loc[result.orders["side"] == "buy", "date"].iloc[0]
    signal_bar = df.index.get_loc(first_buy) - 1  # sent at the signal bar's close, filled next open
    assert signal_bar >= RsiReversion.warmup(params)
    assert line[signal_bar] < 30.0
