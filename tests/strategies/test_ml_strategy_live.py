"""MLStrategy: batch prediction lines and the live predictor give the same predictions and orders;
truncation leaves earlier trades unchanged; bad parameters raise ConfigError."""

from __future__ import annotations

import doctest
from collections.abc import Mapping

import backtrader as bt
import numpy as np
import pandas as pd
import pytest

import tradeforge.strategies.ml as ml_module
from tradeforge.brokers.sim import configure_broker
from tradeforge.engine.runner import run_backtest
from tradeforge.errors import ConfigError
from tradeforge.feeds import load, make_feed
from tradeforge.strategies import check_params
from tradeforge.strategies.ml import MLStrategy


class MomentumPredictor:
    """A causal rule: probability = logistic(gain * (close / SMA(period) - 1)), sigma = std of log returns.

    ``predict_batch`` is vectorised over a whole frame (pandas rolling windows); ``predict_latest`` computes
    the same numbers from one trailing window with numpy. It records every window it is given.
    """

    def __init__(self, period: int = 20, gain: float = 40.0) -> None:
        self.period, self.gain = period, gain
        self.warmup = self.window = period + 1      # period log returns need period + 1 closes
        self.seen: list[tuple[pd.Timestamp, int]] = []

    def _values(self, ratio: np.ndarray, sigma: np.ndarray) -> dict[str, np.ndarray]:
        proba = 1.0 / (1.0 + np.exp(-self.gain * ratio))
        decision = np.where(proba >= 0.6, 1.0, np.where(proba <= 0.4, -1.0, 0.0))
        return dict(ml_proba=proba, ml_decision=decision, ml_confidence=np.maximum(proba, 1.0 - proba),
                    ml_expected_return=ratio, ml_risk=np.clip(1.0 + 200.0 * sigma, 1.0, 10.0), ml_sigma=sigma)

    def predict_batch(self, df: pd.DataFrame) -> dict[str, np.ndarray]:
        close = df["close"]
        ratio = (close / close.rolling(self.period).mean() - 1.0).to_numpy(copy=True)
        sigma = np.log(close).diff().rolling(self.period).std(ddof=1).to_numpy(copy=True)
        out = self._values(ratio, sigma)
        for values in out.values():
            values[: self.warmup - 1] = np.nan
        return out

    def predict_latest(self, window: pd.DataFrame) -> Mapping[str, float]:
        self.seen.append((window.index[-1], len(window)))
        close = window["close"].to_numpy()[-(self.period + 1):]
        ratio = close[-1] / close[-self.period:].mean() - 1.0
        sigma = np.diff(np.log(close)).std(ddof=1)
        return {k: float(v[0]) for k, v in self._values(np.array([ratio]), np.array([sigma])).items()}


class _BadWindow(MomentumPredictor):
    def __init__(self):
        super().__init__()
        self.window = 5


class _Recorded(MLStrategy):
    def __init__(self):
        super().__init__()
        self.preds: list[tuple] = []
        self.done: list[tuple] = []

    def prediction(self, data):
        pred = super().prediction(data)
        self.preds.append((data._name, len(data), *(pred.get(k, np.nan) for k in ml_module.LINE_NAMES)))
        return pred

    def notify_order(self, order):
        if order.status == order.Completed:
            self.done.append((bt.num2date(order.executed.dt), order.data._name, order.executed.size,
                              order.executed.price, order.getordername()))


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    both = {**load("sample:sp500", start="2005-01-01", end="2006-12-31"),
            **load("sample:nasdaq", start="2005-01-01", end="2006-12-31")}
    return both


PARAMS = dict(bracket="sigma", stop_mult=2.0, tp_mult=3.0, max_open_positions=2)


def _run(frames, lines=None, predictor=None):
    cerebro = bt.Cerebro(stdstats=False)
    configure_broker(cerebro.broker, cash=100_000.0, commission=0.001)
    for symbol, df in frames.items():
        cerebro.adddata(make_feed(df, (lines or {}).get(symbol), name=symbol))
    cerebro.addstrategy(_Recorded, predictor=predictor, **PARAMS)
    return cerebro.run()[0]


def test_batch_lines_and_live_predictor_give_same_predictions_and_orders(frames):
    batch = {sym: MomentumPredictor().predict_batch(df) for sym, df in frames.items()}
    live_predictor = MomentumPredictor()
    offline = _run(frames, lines=batch)
    live = _run(frames, predictor=live_predictor)
    # the same predictions, bar by bar and symbol by symbol (vectorised vs per-window arithmetic)
    assert len(offline.preds) == len(live.preds) == sum(len(df) for df in frames.values())
    a = np.array([p[1:] for p in offline.preds], dtype=np.float64)
    b = np.array([p[1:] for p in live.preds], dtype=np.float64)
    assert [p[0] for p in offline.preds] == [p[0] for p in live.preds]
    np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    assert np.isnan(b[:, 1]).sum() == 2 * 20                   # NaN until the predictor's warmup
    # the same orders: dates, symbols, sizes and order types exactly, prices up to rounding
    assert len(offline.done) >= 10
    assert [o[:3] + o[4:] for o in offline.done] == [o[:3] + o[4:] for o in live.done]
    np.testing.assert_allclose([o[3] for o in offline.done], [o[3] for o in live.done], rtol=1e-12)
    # the live windows end at the current bar and hold at most `window` bars: never a later bar
    ends = [t for t, _ in live_predictor.seen]
    expected = [t for df in frames.values() for t in df.index[20:]]
    assert sorted(ends) == sorted(expected) and {n for _, n in live_predictor.seen} == {21}


class _Unbounded(MomentumPredictor):
    """``window = None``: the strategy passes every bar since the start (MLPipeline's convention)."""

    def __init__(self):
        super().__init__()
        self.window = None


def test_window_none_passes_every_bar_since_the_start(frames):
    df = {"SP500": frames["SP500"].iloc[:80]}
    predictor = _Unbounded()
    live = _run(df, predictor=predictor)
    assert [n for _, n in predictor.seen] == list(range(21, 81))
    assert [t for t, _ in predictor.seen] == list(df["SP500"].index[20:])
    offline = _run(df, lines={"SP500": MomentumPredictor().predict_batch(df["SP500"])})
    np.testing.assert_allclose(np.array([p[1:] for p in offline.preds], dtype=float),
                               np.array([p[1:] for p in live.preds], dtype=float), rtol=1e-9, atol=1e-12)


def test_same_orders_through_the_backtest_runner(frames):
    batch = {sym: MomentumPredictor().predict_batch(df) for sym, df in frames.items()}
    offline = run_backtest(frames, MLStrategy, PARAMS, extra_lines=batch)
    live = run_backtest(frames, MLStrategy, {**PARAMS, "predictor": MomentumPredictor()})
    cols = ["date", "symbol", "side", "status", "size"]
    assert len(offline.orders) >= 10
    pd.testing.assert_frame_equal(offline.orders[cols], live.orders[cols])
    np.testing.assert_allclose(offline.equity.to_numpy(), live.equity.to_numpy(), rtol=1e-12)


def test_truncating_the_data_leaves_earlier_orders_unchanged(frames):
    predictor = MomentumPredictor()
    full_lines = {sym: predictor.predict_batch(df) for sym, df in frames.items()}
    full = _run(frames, lines=full_lines)
    for cut in (150, 377):
        short = {sym: df.iloc[:cut] for sym, df in frames.items()}
        lines = {sym: predictor.predict_batch(df) for sym, df in short.items()}
        for sym in frames:   # the batch lines themselves are causal
            for name, values in lines[sym].items():
                np.testing.assert_array_equal(values, full_lines[sym][name][:cut])
        last = min(df.index[-1] for df in short.values())
        part = _run(short, lines=lines)
        assert [o for o in full.done if o[0] < last] == [o for o in part.done if o[0] < last]


def test_missing_lines_without_predictor_raise_config_error(frames):
    df = {"SP500": frames["SP500"]}
    with pytest.raises(ConfigError, match="walkforward"):
        run_backtest(df, MLStrategy)
    n = len(df["SP500"])
    lines = {name: np.zeros(n) for name in ("ml_proba", "ml_decision", "ml_confidence", "ml_risk")}
    with pytest.raises(ConfigError, match="ml_sigma"):          # bracket="sigma" needs the sigma forecast
        run_backtest(df, MLStrategy, {"bracket": "sigma"}, extra_lines={"SP500": lines})
    # bracket="trade" (default) needs the trade's lines
    with pytest.raises(ConfigError, match="ml_take"):
        run_backtest(df, MLStrategy, extra_lines={"SP500": lines})
    assert run_backtest(df, MLStrategy, {"bracket": "fixed"}, extra_lines={"SP500": lines}).orders.empty


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({"bracket": "sigmaa"}, "Did you mean 'sigma'"),
        ({"stop_loss": 0.0}, "stop_loss"),
        ({"max_position_pct": 1.5}, "max_position_pct"),
        ({"min_confidence": -0.1}, "min_confidence"),
        ({"max_drawdown": 0.0}, "max_drawdown"),
        ({"max_open_positions": 0}, "max_open_positions"),
        ({"predictor": "no_such_module_xyz:Model"}, "cannot load"),
        ({"predictor": "tradeforge.strategies.ml:LINE_NAMES"}, "warmup"),
        ({"predictor": _BadWindow()}, "window=5 must be an integer >= its warmup"),
    ],
)
def test_bad_parameters_raise_config_error(frames, params, needle):
    lines = {name: np.zeros(len(frames["SP500"])) for name in ml_module.LINE_NAMES}
    with pytest.raises(ConfigError, match=needle):
        run_backtest({"SP500": frames["SP500"]}, MLStrategy, params, extra_lines={"SP500": lines})


def test_param_strings_are_coerced_like_the_cli():
    got = check_params(MLStrategy, {"min_confidence": "0.7", "bracket": "sigma", "max_open_positions": "3",
                                    "fractional": "yes", "max_risk": "5.5"})
    assert got == {"min_confidence": 0.7, "bracket": "sigma", "max_open_positions": 3, "fractional": True,
                   "max_risk": 5.5}


def test_docstring_examples_run():
    result = doctest.testmod(ml_module)
    assert result.attempted > 0 and result.failed == 0
