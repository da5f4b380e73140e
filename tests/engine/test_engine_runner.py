"""run_backtest: determinism, plain backtrader strategies, several symbols, costs, trades, no lookahead."""

from __future__ import annotations

import backtrader as bt
import numpy as np
import pandas as pd
import pytest

from tradeforge.engine.report import METRIC_KEYS
from tradeforge.engine.runner import run_backtest
from tradeforge.errors import ConfigError, DataError
from tradeforge.feeds import load


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    sp = load("sample:sp500")["SP500"].iloc[:1200]
    nq = load("sample:nasdaq")["NASDAQ"].iloc[:1200]
    return {"SP500": sp, "NASDAQ": nq}


def test_same_inputs_give_identical_results(frames):
    data = {"SP500": frames["SP500"]}
    a = run_backtest(data, "sma_cross", {"fast": 5, "slow": 20}, slippage_bps=3)
    b = run_backtest(data, "sma_cross", {"fast": "5", "slow": "20"}, slippage_bps=3)
    assert {k: v for k, v in a.metrics.items() if k != "seconds"} == \
           {k: v for k, v in b.metrics.items() if k != "seconds"}
    pd.testing.assert_frame_equal(a.trades, b.trades)
    pd.testing.assert_frame_equal(a.orders, b.orders)
    pd.testing.assert_series_equal(a.equity, b.equity)
    assert set(a.metrics) == set(METRIC_KEYS)
    assert a.params == {"fast": 5, "slow": 20, "target": 0.95}


def test_result_shapes_and_trade_accounting(frames):
    df = frames["SP500"]
    full = run_backtest({"SP500": df}, "sma_cross")
    assert full.equity.index.equals(df.index) and len(full.exposure) == len(df)
    assert full.metrics["bars"] == len(df)
    assert full.metrics["exposure"] == pytest.approx(full.exposure.mean())
    assert (full.trades["exit_date"] > full.trades["entry_date"]).all()
    completed = full.orders[full.orders["status"] == "Completed"]
    assert completed["commission"].sum() > 0
    # Cut the data on the bar of the last exit: the strategy is flat, so P&L == sum of trade P&L,
    # and every trade before the cut is unchanged (no lookahead).
    cut = full.trades["exit_date"].iloc[-2]
    part = run_backtest({"SP500": df.loc[:cut]}, "sma_cross")
    assert part.metrics["final_value"] - 100_000 == pytest.approx(part.trades["pnlcomm"].sum(), abs=1e-6)
    pd.testing.assert_frame_equal(part.trades, full.trades.iloc[: len(part.trades)])
    pd.testing.assert_series_equal(part.equity, full.equity.loc[:cut])


def test_plain_backtrader_strategy_runs_unchanged(frames):
    class BuyAndHold(bt.Strategy):
        params = dict(size=10)

        def next(self):
            if not self.position:
                self.buy(size=self.p.size)

    df = frames["SP500"]
    result = run_backtest({"SP500": df}, BuyAndHold, {"size": "3"}, commission=0.0)
    first = result.orders.iloc[0]
    assert first["size"] == 3 and first["price"] == df["open"].iloc[1]
    expected = 100_000 + 3 * (df["close"].iloc[-1] - df["open"].iloc[1])
    assert result.metrics["final_value"] == pytest.approx(expected)
    assert result.metrics["n_trades"] == 0 and result.metrics["win_rate"] is None


def test_several_symbols_trade_each_data_with_split_target(frames):
    result = run_backtest(frames, "sma_cross", {"target": 0.9})
    assert set(result.trades["symbol"]) == {"SP500", "NASDAQ"}
    buys = result.orders[(result.orders["side"] == "buy") & (result.orders["status"] == "Completed")]
    weights = buys["value"] / result.equity.reindex(buys["date"]).to_numpy()
    assert weights.max() < 0.47  # 0.9 / 2 of the portfolio per symbol (priced at the previous close)


def test_costs_lower_the_final_value(frames):
    data = {"SP500": frames["SP500"]}
    free = run_backtest(data, commission=0.0).metrics["final_value"]
    comm = run_backtest(data, commission=0.002).metrics["final_value"]
    slip = run_backtest(data, commission=0.0, slippage_bps=20).metrics["final_value"]
    assert comm < free and slip < free


def test_start_end_and_extra_lines(frames):
    class ReadsPred(bt.Strategy):
        def next(self):
            if self.data.pred[0] > 0 and not self.position:
                self.buy(size=1)

    df = frames["SP500"].loc["2000-01-01":"2000-12-31"]
    pred = np.where(np.arange(len(df)) == 100, 1.0, 0.0)
    result = run_backtest({"SP500": frames["SP500"]}, ReadsPred, start="2000-01-01", end="2000-12-31",
                          extra_lines={"SP500": {"pred": pred}})
    assert result.equity.index[0] == df.index[0] and result.equity.index[-1] == df.index[-1]
    assert result.orders["date"].iloc[0] == df.index[101]
    with pytest.raises(DataError, match=r"extra_lines\['SP500'\]\['pred'\]: expected 1200 values"):
        run_backtest({"SP500": frames["SP500"]}, ReadsPred, extra_lines={"SP500": {"pred": pred}})
    with pytest.raises(ConfigError, match="not in the data"):
        run_backtest({"SP500": df}, ReadsPred, extra_lines={"QQQ": {"pred": pred}})


@pytest.mark.parametrize("kwargs,error,pattern", [
    (dict(strategy="sma_crss"), ConfigError, "Did you mean 'sma_cross'"),
    (dict(params={"slwo": 3}), ConfigError, "Did you mean 'slow'"),
    (dict(commission=-0.1), ConfigError, "commission: -0.1 is outside"),
    (dict(cash="lots"), ConfigError, "cash: expected a number, got 'lots'"),
    (dict(start="2030-01-01"), DataError, "widen the date range"),
])
def test_bad_inputs_fail_with_clear_errors(frames, kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        run_backtest({"SP500": frames["SP500"]}, **kwargs)


def test_symbols_on_different_calendars_only_trade_fresh_bars(frames):
    sp = frames["SP500"]
    data = {"EARLY": sp.iloc[:700], "LATE": frames["NASDAQ"].iloc[300:]}
    result = run_backtest(data, "sma_cross")
    assert len(result.equity) == len(sp.index[:700].union(frames["NASDAQ"].index[300:]))
    assert (result.orders["status"] == "Completed").all()
    late = result.orders[result.orders["symbol"] == "LATE"]
    assert late["date"].min() > frames["NASDAQ"].index[300 + 30]
    assert result.orders[result.orders["symbol"] == "EARLY"]["date"].max() <= sp.index[699]


def test_synthetic_universe_spec_runs_one_feed_per_symbol():
    result = run_backtest("synth:symbols=3,bars=400,seed=5", "rsi_reversion", {"lower": 40, "upper": 60})
    assert set(result.prices) == set(result.trades["symbol"]) and len(result.prices) == 3
    assert result.metrics["bars"] == 400 and 0 < result.metrics["exposure"] <= 1


def test_commission_is_a_fraction_of_notional_and_slippage_in_bps(frames):
    df = frames["SP500"]
    result = run_backtest({"SP500": df}, "sma_cross", commission=0.002, slippage_bps=10)
    fills = result.orders[result.orders["status"] == "Completed"]
    np.testing.assert_allclose(fills["commission"], 0.002 * fills["size"].abs() * fills["price"], rtol=1e-12)
    bars = df.reindex(fills["date"])
    buys = (fills["side"] == "buy").to_numpy()
    expected_buy = np.minimum(bars["open"].to_numpy() * 1.001, bars["high"].to_numpy())
    expected_sell = np.maximum(bars["open"].to_numpy() * 0.999, bars["low"].to_numpy())
    np.testing.assert_allclose(fills["price"].to_numpy(), np.where(buys, expected_buy, expected_sell),
                               rtol=1e-12)


def test_progress_bar_goes_to_stderr_only(frames, capsys):
    result = run_backtest({"SP500": frames["SP500"].iloc[:300]}, "sma_cross", progress=True)
    assert len(result.equity) == 300
    assert capsys.readouterr().out == ""
