"""Metrics against quantstats, annualisation, and one full report (with the tearsheet) on a short run."""

from __future__ import annotations

import json
import logging

import numpy as np
import pandas as pd
import pytest

from tradeforge.engine.report import (
    METRIC_KEYS,
    buy_and_hold,
    compute_metrics,
    periods_per_year,
    write_report,
)
from tradeforge.engine.runner import run_backtest
from tradeforge.feeds import load


def _equity(n=600, seed=0, freq="B") -> pd.Series:
    rng = np.random.default_rng(seed)
    returns = rng.normal(0.0004, 0.01, n)
    index = pd.date_range("2021-01-04", periods=n, freq=freq)
    return pd.Series(100_000 * np.cumprod(1 + returns), index=index)


def test_ratios_and_drawdown_match_quantstats():
    import quantstats as qs

    equity = _equity()
    returns = equity.pct_change().dropna()
    m = compute_metrics(equity.iloc[1:], pd.DataFrame({"pnlcomm": []}), start_value=equity.iloc[0],
                        periods=252)
    assert m["sharpe"] == pytest.approx(qs.stats.sharpe(returns, periods=252), rel=1e-9)
    assert m["sortino"] == pytest.approx(qs.stats.sortino(returns, periods=252), rel=1e-9)
    assert m["max_drawdown"] == pytest.approx(qs.stats.max_drawdown(returns), rel=1e-9)
    assert m["total_return"] == pytest.approx(qs.stats.comp(returns), rel=1e-9)
    assert m["calmar"] == pytest.approx(m["cagr"] / -m["max_drawdown"])
    assert json.loads(json.dumps(m)) == m and set(m) == set(METRIC_KEYS)


def test_trade_statistics_and_undefined_values():
    equity = pd.Series([100.0, 100.0, 100.0], index=pd.date_range("2024-01-01", periods=3))
    trades = pd.DataFrame({"pnlcomm": [30.0, -10.0, -5.0, 20.0]})
    m = compute_metrics(equity, trades, positions_exposure=0.5)
    assert m["win_rate"] == 0.5 and m["profit_factor"] == pytest.approx(50 / 15) and m["n_trades"] == 4
    assert m["sharpe"] is None and m["calmar"] is None and m["max_drawdown"] == 0.0
    assert m["exposure"] == 0.5 and m["bars"] == 3


def test_periods_per_year_from_bar_size():
    assert periods_per_year(pd.date_range("2024-01-01", periods=50, freq="B")) == 252.0
    assert periods_per_year(pd.date_range("2024-01-01", periods=50, freq="W")) == pytest.approx(365.25 / 7)
    session = pd.date_range("2024-01-02 09:30", periods=390, freq="min")
    two_days = session.append(session + pd.Timedelta(days=1))
    assert periods_per_year(two_days) == 252.0 * 390


def test_buy_and_hold_is_the_price_return():
    df = load("sample:sp500")["SP500"].iloc[:100]
    bench = buy_and_hold({"SP500": df})
    assert (1 + bench).prod() == pytest.approx(df["close"].iloc[-1] / df["close"].iloc[0])


def test_full_report_is_written_offline(tmp_path, caplog):
    df = load("sample:sp500")["SP500"].iloc[:300]
    result = run_backtest({"SP500": df}, "sma_cross", {"fast": 5, "slow": 15})
    with caplog.at_level(logging.INFO):
        out = write_report(result, tmp_path / "report")
    names = {p.name for p in out.iterdir()}
    assert {"metrics.json", "trades.csv", "orders.csv", "equity.csv", "equity.png", "tearsheet.html"} <= names
    assert json.loads((out / "metrics.json").read_text()) == result.metrics
    trades = pd.read_csv(out / "trades.csv")
    assert len(trades) == result.metrics["n_trades"] and "pnlcomm" in trades
    equity = pd.read_csv(out / "equity.csv", index_col=0, parse_dates=True)
    np.testing.assert_allclose(equity["equity"].to_numpy(), result.equity.to_numpy())
    html = (out / "tearsheet.html").read_text()
    assert "Benchmark" in html or "benchmark" in html
    assert (out / "equity.png").read_bytes()[:4] == b"\x89PNG"
    assert not [r for r in caplog.records if "findfont" in r.getMessage()]


def test_intraday_returns_become_daily_for_the_tearsheet():
    from tradeforge.engine.report import daily_returns

    index = pd.date_range("2024-01-02 09:30", periods=78, freq="5min").append(
        pd.date_range("2024-01-03 09:30", periods=78, freq="5min"))
    rng = np.random.default_rng(1)
    bars = pd.Series(rng.normal(0, 0.001, len(index)), index=index)
    daily, freq = daily_returns(bars)
    assert freq == "daily" and list(daily.index) == list(pd.to_datetime(["2024-01-02", "2024-01-03"]))
    assert daily.iloc[0] == pytest.approx(np.prod(1 + bars.iloc[:78]) - 1, rel=1e-12)
    same, freq = daily_returns(bars.iloc[::78].set_axis(pd.to_datetime(["2024-01-02", "2024-01-03"])))
    assert freq == "daily" and len(same) == 2


def test_side_renderer_draws_the_figures_and_reports_failures(tmp_path):
    from tradeforge.engine._render import SideRenderer

    df = load("sample:sp500")["SP500"].iloc[:300]
    result = run_backtest({"SP500": df}, "sma_cross", {"fast": 5, "slow": 15})
    with SideRenderer(tearsheet=False) as renderer:
        out = write_report(result, tmp_path / "r", tearsheet=False, renderer=renderer)
    assert (out / "equity.png").stat().st_size > 10_000
    with pytest.raises(FileNotFoundError):
        with SideRenderer(tearsheet=False) as renderer:
            renderer.submit(open, str(tmp_path / "missing" / "x"))
