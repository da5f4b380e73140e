"""TradeSpec: the training label is the outcome of the very trade MLStrategy places; nothing looks ahead."""

from __future__ import annotations

import backtrader as bt
import numpy as np
import pandas as pd
import pytest

from tradeforge.brokers.sim import configure_broker
from tradeforge.errors import ConfigError
from tradeforge.feeds import load, make_feed
from tradeforge.models.targets import TradeSpec, causal_sigma
from tradeforge.strategies.ml import MLStrategy


def _crafted(n: int, seed: int) -> pd.DataFrame:
    """A random path with wide bars and gaps, so stops, targets, gaps and time exits all occur."""
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.02, n)))
    prev = np.r_[close[0], close[:-1]]
    open_ = prev * np.exp(rng.normal(0.0, 0.012, n))
    high = np.maximum(open_, close) * np.exp(np.abs(rng.normal(0.0, 0.012, n)))
    low = np.minimum(open_, close) * np.exp(-np.abs(rng.normal(0.0, 0.012, n)))
    index = pd.date_range("2024-01-01", periods=n, freq="D", name="datetime")
    return pd.DataFrame({"open": open_, "high": high, "low": low, "close": close, "volume": 1e6}, index=index)


def _lines(df: pd.DataFrame, spec: TradeSpec, signals: np.ndarray) -> dict[str, np.ndarray]:
    """The model's lines for *spec*: an expected value > 0 only on the *signals* bars."""
    n = len(df)
    take, stop = spec.widths(df["close"].to_numpy())
    proba = np.where(np.isin(np.arange(n), signals), 0.9, 0.0)
    return dict(ml_proba=proba, ml_decision=np.zeros(n), ml_confidence=proba, ml_risk=np.full(n, 1.0),
                ml_payoff=np.full(n, 0.05), ml_loss=np.full(n, 0.02), ml_cost=np.full(n, spec.cost),
                ml_take=take, ml_stop=stop, ml_horizon=np.full(n, float(spec.horizon)))


class _Trades(MLStrategy):
    def __init__(self):
        super().__init__()
        self.closed: list[tuple] = []
        self.opened: dict[int, tuple] = {}

    def notify_trade(self, trade):
        if trade.isclosed:
            size = trade.history[0].event.size if trade.history else 0
            self.closed.append((bt.num2date(trade.dtopen), bt.num2date(trade.dtclose), trade.price,
                                trade.pnl, trade.pnlcomm, size))


def _run(df: pd.DataFrame, lines: dict, commission: float) -> _Trades:
    cerebro = bt.Cerebro(stdstats=False, tradehistory=True)
    configure_broker(cerebro.broker, cash=1e7, commission=commission)
    cerebro.adddata(make_feed(df, lines, name="X"))
    cerebro.addstrategy(_Trades, risk_per_trade=1.0, max_position_pct=0.5, kelly_fraction=0.0,
                        fractional=True)
    return cerebro.run()[0]


@pytest.mark.parametrize(("spec", "seed"), [
    (TradeSpec(horizon=3, take_profit=1.0, stop_loss=0.8, commission=0.001), 0),
    (TradeSpec(horizon=1, take_profit=2.0, stop_loss=2.0, commission=0.0), 1),
    (TradeSpec(horizon=5, take_profit=0.08, stop_loss=0.06, units="fraction", commission=0.002), 2),
])
def test_label_is_the_outcome_of_the_trade_the_strategy_places(spec, seed):
    df = _crafted(260, seed)
    signals = np.arange(spec.vol_window + 1, len(df) - spec.horizon - 2, spec.horizon + 3)
    strat = _run(df, _lines(df, spec, signals), spec.commission)
    label = spec.label(df)
    assert len(strat.closed) == len(signals)
    kinds = set()
    for t, (opened, closed, entry, pnl, pnlcomm, size) in zip(signals, strat.closed, strict=True):
        row = label.iloc[t]
        assert opened.date() == df.index[t + 1].date()                      # entered at the next open
        assert entry == pytest.approx(df["open"].iloc[t + 1], rel=1e-12)
        assert closed.date() == row["exit_time"].date()                    # exit bar = label_end
        notional = size * entry
        assert pnl / notional == pytest.approx(row["gross"], abs=1e-9)     # same fills
        assert pnlcomm / notional == pytest.approx(row["ret"], abs=1e-9)   # same costs
        kinds.add(int(row["barrier"]))
    assert kinds == {-1, 0, 1} or spec.horizon == 1 and 0 in kinds         # every exit kind was exercised


def test_barriers_live_from_the_entry_bar_and_gaps_fill_at_the_open():
    n = 40
    close = np.full(n, 100.0)
    df = pd.DataFrame({"open": close, "high": close + 0.1, "low": close - 0.1, "close": close, "volume": 1.0},
                      index=pd.date_range("2024-01-01", periods=n, name="datetime"))
    df.iloc[30, [0, 1, 2]] = [100.0, 100.2, 95.0]     # the entry bar itself touches the stop
    df.iloc[35, [0, 1, 2]] = [106.0, 106.5, 105.5]    # a gap above the target fills at the open
    spec = TradeSpec(horizon=3, take_profit=0.02, stop_loss=0.02, units="fraction", commission=0.0)
    out = spec.label(df)
    assert out["barrier"].iloc[29] == -1 and out["exit_offset"].iloc[29] == 1
    assert out["gross"].iloc[29] == pytest.approx(-0.02)
    assert out["barrier"].iloc[33] == 1 and out["gross"].iloc[33] == pytest.approx(0.06)
    assert out["barrier"].iloc[20] == 0 and out["exit_offset"].iloc[20] == 4   # time exit at open[t + 4]
    assert out["label"].iloc[-4:].isna().all()                                 # the future is unknown


def test_truncation_nothing_at_bar_t_uses_later_bars():
    df = load("synth:symbols=1,bars=400,freq=1d,seed=3,edge=0.2")["SYN00"]
    spec = TradeSpec(horizon=4)
    full = spec.label(df)
    take, stop = spec.widths(df["close"].to_numpy())
    for cut in (60, 137, 251, 399):
        part = df.iloc[:cut]
        t_part, s_part = spec.widths(part["close"].to_numpy())
        np.testing.assert_array_equal(t_part, take[:cut])       # widths at t: bars <= t only, bitwise
        np.testing.assert_array_equal(s_part, stop[:cut])
        np.testing.assert_array_equal(causal_sigma(part["close"]), causal_sigma(df["close"])[:cut])
        lab = spec.label(part)
        known = lab["label_end"].notna().to_numpy()
        assert (lab["label_end"][known] <= cut - 1).all()      # a known label ends inside the cut
        pd.testing.assert_frame_equal(lab[known], full.iloc[:cut][known])


def test_bad_trade_settings_raise_config_error():
    for kwargs, needle in [({"horizon": 0}, "horizon"), ({"units": "pct"}, "barrier_units"),
                           ({"stop_loss": 1.5, "units": "fraction"}, "stop_loss"),
                           ({"take_profit": -1.0}, "take_profit"), ({"vol_window": 1}, "vol_window"),
                           ({"commission": 0.5}, "commission")]:
        with pytest.raises(ConfigError, match=needle):
            TradeSpec(**kwargs)
