"""Backtrader integration: feed lines and bt.Indicator wrappers agree with backtrader's own indicators."""

from __future__ import annotations

import backtrader as bt
import numpy as np
import pandas as pd
import pytest
import talib

from tradeforge import indicators as ta
from tradeforge.errors import ConfigError, DataError
from tradeforge.feeds import make_feed
from tradeforge.indicators.lines import TFATR, TFEMA, TFMACD, TFRSI, TFSMA, TFBBands, indicator_lines

SPEC = {
    "sma_20": ("sma", {"timeperiod": 20}),
    "ema_20": ("ema", {"timeperiod": 20}),
    "rsi_14": ("rsi", {"timeperiod": 14}),
    "atr_14": ("atr", {"timeperiod": 14}),
    "bb": ("bbands", {"timeperiod": 20, "nbdevup": 2.0, "nbdevdn": 2.0}),
    "macd_sig": ("macd", {}, "macdsignal"),
}


def _frame(n: int = 300, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    c = 100.0 + np.cumsum(rng.normal(0.0, 1.0, n))
    o = c + rng.normal(0.0, 0.3, n)
    df = pd.DataFrame({"open": o, "high": np.maximum(o, c) + rng.exponential(0.5, n),
                       "low": np.minimum(o, c) - rng.exponential(0.5, n), "close": c,
                       "volume": rng.integers(100, 10_000, n).astype(float)},
                      index=pd.date_range("2020-01-01", periods=n, freq="D", name="datetime"))
    df.attrs["symbol"] = "TEST"
    df.attrs["bar"] = pd.Timedelta("1D")
    return df


class _Record(bt.Strategy):
    """Declares ours and backtrader's indicators side by side and records them every bar."""

    def __init__(self):
        d = self.data
        self.pairs = {
            "sma": (TFSMA(d, timeperiod=20), bt.ind.SMA(d.close, period=20), d.sma_20),
            "ema": (TFEMA(d, timeperiod=20), bt.ind.EMA(d.close, period=20), d.ema_20),
            "rsi": (TFRSI(d, timeperiod=14), bt.ind.RSI(d.close, period=14), d.rsi_14),
            "atr": (TFATR(d, timeperiod=14), bt.ind.ATR(d, period=14), d.atr_14),
            "bb_top": (TFBBands(d, timeperiod=20).upperband, bt.ind.BollingerBands(d.close, period=20).top,
                       d.bb_upperband),
            "macd_sig": (TFMACD(d).macdsignal, None, d.macd_sig),
        }
        self.rows = []

    def next(self):
        self.rows.append({k: tuple(np.nan if x is None else x[0] for x in v) for k, v in self.pairs.items()})


def _run(df: pd.DataFrame, runonce: bool, preload: bool = True):
    cerebro = bt.Cerebro(stdstats=False, runonce=runonce, preload=preload)
    cerebro.adddata(make_feed(df, lines=indicator_lines(df, SPEC)))
    cerebro.addstrategy(_Record)
    return cerebro.run()[0].rows


@pytest.mark.parametrize(("runonce", "preload"), [(True, True), (False, True), (False, False)])
def test_wrappers_and_feed_lines_equal_backtrader_and_talib(runonce, preload):
    df = _frame()
    rows = _run(df, runonce, preload)
    first = len(df) - len(rows)  # backtrader starts next() once every indicator is warm
    c, h, low = df.close.to_numpy(), df.high.to_numpy(), df.low.to_numpy()
    ref = {"sma": talib.SMA(c, 20), "ema": talib.EMA(c, 20), "rsi": talib.RSI(c, 14),
           "atr": talib.ATR(h, low, c, 14), "bb_top": talib.BBANDS(c, 20)[0], "macd_sig": talib.MACD(c)[1]}
    for key, series in ref.items():
        ours = np.array([r[key][0] for r in rows])
        feed = np.array([r[key][2] for r in rows])
        np.testing.assert_allclose(ours, series[first:], rtol=1e-9, err_msg=key)
        np.testing.assert_array_equal(feed, ours, err_msg=key)
        if key != "macd_sig":  # backtrader's MACD has no TA-Lib-style signal seeding to compare with
            theirs = np.array([r[key][1] for r in rows])
            np.testing.assert_allclose(ours, theirs, rtol=1e-9, err_msg=f"{key} vs backtrader")


def test_next_mode_without_preload_has_no_lookahead():
    """Live-style (preload=False) values equal those computed on the data truncated at each bar."""
    df = _frame(n=80)
    rows = _run(df, runonce=False, preload=False)
    first = len(df) - len(rows)
    for t in (first, first + 7, len(df) - 1):
        cut = df.close.to_numpy()[: t + 1]
        assert rows[t - first]["rsi"][0] == pytest.approx(ta.rsi(cut, 14)[-1], rel=1e-12)


def test_indicator_lines_outputs_and_errors():
    df = _frame(n=60)
    out = indicator_lines(df, {"st": ("stoch", {}), "o": ("rsi", {"timeperiod": 5, "real": "open"})})
    assert sorted(out) == ["o", "st_slowd", "st_slowk"]
    np.testing.assert_allclose(out["o"], talib.RSI(df.open.to_numpy(), 5))
    with pytest.raises(ConfigError, match="Did you mean 'rsi'"):
        indicator_lines(df, {"x": ("rsii", {})})
    with pytest.raises(ConfigError, match="output of bbands"):
        indicator_lines(df, {"x": ("bbands", {}, "upper")})
    with pytest.raises(ConfigError, match="expected"):
        indicator_lines(df, {"x": "rsi"})
    with pytest.raises(DataError, match="column 'volume'"):
        indicator_lines(df.drop(columns="volume"), {"m": ("mfi", {})})


def test_lazy_names_on_package():
    assert ta.indicator_lines is indicator_lines and ta.TFRSI is TFRSI
    with pytest.raises(AttributeError):
        _ = ta.not_there
