"""MLStrategy on crafted price paths: brackets, SELL exits, kill switch, sizing caps, position limit."""

from __future__ import annotations

import backtrader as bt
import numpy as np
import pandas as pd
import pytest

from tradeforge.brokers.sim import configure_broker
from tradeforge.feeds import make_feed
from tradeforge.strategies.ml import MLStrategy

N = 12
# the signal-close bracket ("fixed"), the rule these crafted paths were written for (bracket="trade" is the
# default since the label became the traded trade: tests/models/test_trade_targets.py)
BASE = dict(bracket="fixed", min_confidence=0.65, max_risk=6.0, risk_per_trade=0.01, max_position_pct=0.2)


def _frame(close, open_=None, high=None, low=None, start="2024-01-01") -> pd.DataFrame:
    """Daily bars; by default open = previous close and high/low = max/min(open, close) (no barrier
    touched)."""
    close = np.asarray(close, dtype=np.float64)
    open_ = np.r_[close[0], close[:-1]] if open_ is None else np.asarray(open_, dtype=np.float64)
    high = np.maximum(open_, close) if high is None else np.asarray(high, dtype=np.float64)
    low = np.minimum(open_, close) if low is None else np.asarray(low, dtype=np.float64)
    index = pd.date_range(start, periods=len(close), freq="D", name="datetime")
    return pd.DataFrame({"open": open_, "high": high, "low": low, "close": close, "volume": 1e6}, index=index)


def _lines(n, buy=(), sell=(), proba=0.7, confidence=0.8, risk=3.0, sigma=0.01) -> dict[str, np.ndarray]:
    decision = np.zeros(n)
    decision[list(buy)] = 1.0
    decision[list(sell)] = -1.0
    full = {"ml_proba": proba, "ml_confidence": confidence, "ml_risk": risk, "ml_sigma": sigma}
    out = {name: np.broadcast_to(np.asarray(v, dtype=np.float64), (n,)).copy() for name, v in full.items()}
    out["ml_decision"] = decision
    return out


class _Recorded(MLStrategy):
    """MLStrategy that records final orders and the position of each data at every bar."""

    def __init__(self):
        super().__init__()
        self.done: list[dict] = []
        self.held: list[tuple[float, ...]] = []

    def notify_order(self, order):
        if order.alive() or order.status in (order.Submitted, order.Accepted):
            return
        info = order.executed if order.status == order.Completed else order.created
        self.done.append(dict(date=bt.num2date(info.dt).date().isoformat(), symbol=order.data._name,
                              side="buy" if order.isbuy() else "sell", status=order.getstatusname(),
                              size=info.size, price=info.price, type=order.getordername()))

    def next(self):
        super().next()
        self.held.append(tuple(self.getposition(d).size for d in self.datas))


def _run(
    feeds: dict[str, tuple[pd.DataFrame, dict]], cash=100_000.0, cls=_Recorded, commission=0.0, **params
):
    cerebro = bt.Cerebro(stdstats=False)
    configure_broker(cerebro.broker, cash=cash, commission=commission)
    for symbol, (df, lines) in feeds.items():
        cerebro.adddata(make_feed(df, lines, name=symbol))
    cerebro.addstrategy(cls, **{**BASE, **params})
    strat = cerebro.run()[0]
    strat.alive_at_end = [o for o in strat.broker.orders if o.alive()]
    return strat


def _completed(strat, symbol=None):
    return [o for o in strat.done if o["status"] == "Completed" and symbol in (None, o["symbol"])]


# -------------------------------------------------------------------------------------------------- brackets
def _bracket_path(bar4_open, bar4_high, bar4_low):
    close = np.full(N, 100.0)
    open_, high, low = close.copy(), close.copy(), close.copy()
    # entry bar: crosses the stop, but children are not live yet
    open_[3], high[3], low[3] = 100.5, 101.0, 97.0
    open_[4], high[4], low[4] = bar4_open, bar4_high, bar4_low
    return _frame(close, open_, high, low)


@pytest.mark.parametrize(
    ("bar4", "exit_price", "cancelled"),
    [((99.5, 100.0, 97.5), 98.0, "Limit"),      # low crosses the stop: filled exactly at the stop
     ((100.2, 105.0, 99.0), 104.0, "Stop"),     # high crosses the take-profit: filled exactly at it
     ((96.0, 96.5, 95.0), 96.0, "Limit")],      # gap below the stop: filled at the open
)
def test_fixed_bracket_entry_at_next_open_and_exit_at_barrier(bar4, exit_price, cancelled):
    strat = _run({"A": (_bracket_path(*bar4), _lines(N, buy=[2]))})
    buy, sell = _completed(strat)
    assert (buy["date"], buy["side"], buy["price"], buy["type"]) == ("2024-01-04", "buy", 100.5, "Market")
    # size from the signal close (100): 1 % risk / (2 % of 100) = 500 shares, capped at 20 % / 100 = 200
    assert buy["size"] == 200
    assert sell["date"] == "2024-01-05" and sell["price"] == pytest.approx(exit_price, abs=1e-12)
    assert sell["size"] == -200
    entry = strat.entry_log[0]
    assert entry["stop"] == pytest.approx(98.0) and entry["take_profit"] == pytest.approx(104.0)
    assert [o["type"] for o in strat.done if o["status"] == "Canceled"] == [cancelled]
    assert strat.alive_at_end == [] and strat.getposition(strat.datas[0]).size == 0
    assert len(strat.entry_log) == 1


def test_sigma_bracket_uses_multiples_of_the_sigma_forecast():
    close = np.full(N, 100.0)
    low = close.copy()
    low[5] = 96.0                                    # crosses 100 * (1 - 2 * 0.015) = 97
    df = _frame(close, low=low)
    strat = _run({"A": (df, _lines(N, buy=[2], sigma=0.015))}, bracket="sigma", stop_mult=2.0, tp_mult=4.0)
    entry = strat.entry_log[0]
    assert entry["stop"] == pytest.approx(97.0) and entry["take_profit"] == pytest.approx(106.0)
    # 1 % risk / (3 % of 100) = 333 shares, capped at 200
    sell = _completed(strat)[1]
    assert sell["date"] == "2024-01-06" and sell["price"] == pytest.approx(97.0)
    # NaN sigma: no entry at all
    strat = _run({"A": (df, _lines(N, buy=[2], sigma=np.nan))}, bracket="sigma")
    assert strat.done == [] and strat.entry_log == []


def test_sell_cancels_children_and_closes_without_orphans():
    close = np.full(N, 100.0)
    low = close.copy()
    low[8] = 90.0                                    # would hit the stop (98) if a child had lingered
    strat = _run({"A": (_frame(close, low=low), _lines(N, buy=[2], sell=[5]))})
    completed = _completed(strat)
    assert [(o["date"], o["side"], o["size"]) for o in completed] == [("2024-01-04", "buy", 200),
                                                                       ("2024-01-07", "sell", -200)]
    cancelled = [o for o in strat.done if o["status"] == "Canceled"]
    assert sorted(o["type"] for o in cancelled) == ["Limit", "Stop"]
    assert all(o["date"] == "2024-01-03" for o in cancelled)   # created on the signal bar, cancelled on SELL
    assert strat.alive_at_end == []
    assert min(p[0] for p in strat.held) == 0            # never short


def test_filters_min_confidence_max_risk_and_nan():
    df = _frame(np.full(N, 100.0))
    assert _run({"A": (df, _lines(N, buy=[2], confidence=0.6))}).entry_log == []
    assert _run({"A": (df, _lines(N, buy=[2], risk=7.0))}).entry_log == []
    assert _run({"A": (df, _lines(N, buy=[2], proba=np.nan))}).entry_log == []
    assert _run({"A": (df, _lines(N, buy=[2], confidence=np.nan))}).entry_log == []
    assert len(_run({"A": (df, _lines(N, buy=[2], confidence=0.65, risk=6.0))}).entry_log) == 1
    # a SELL without a position does nothing
    assert _run({"A": (df, _lines(N, sell=[2, 3]))}).done == []


# ------------------------------------------------------------------------------------------------ kill switch
class _ResetAt(_Recorded):
    def next(self):
        if len(self) == 12:
            self.reset_kill_switch()
        super().next()


@pytest.mark.parametrize("reset", [False, True])
def test_kill_switch_closes_next_bar_and_blocks_entries_until_reset(reset):
    close = np.r_[[100.0] * 5, [97.0, 94.0, 91.0, 88.0], [90.0] * 9]
    n = len(close)
    lines = _lines(n, buy=range(n))                 # BUY on every bar
    params = dict(max_drawdown=0.05, daily_loss_limit=0.5, risk_per_trade=1.0, max_position_pct=1.0,
                  kelly_fraction=0.0, stop_loss=0.5, take_profit=1.0)
    strat = _run({"A": (_frame(close), lines)}, cls=_ResetAt if reset else _Recorded, **params)
    completed = _completed(strat)
    # entry at bar 1's open (100), 1,000 shares = all the cash; 6 % down at bar 6's close (94) trips the
    # switch and the position is sold at bar 7's open (94), although BUY signals go on
    assert completed[0]["date"] == "2024-01-02" and completed[0]["size"] == 1000
    assert (completed[1]["date"], completed[1]["side"], completed[1]["price"]) == ("2024-01-08", "sell", 94.0)
    assert strat.held[6] == (1000,) and strat.held[7] == (0,)
    assert strat.rules.tripped_at.date().isoformat() == "2024-01-07"   # bar 6
    if reset:   # re-armed at bar 11: entry signalled at its close, filled at bar 12's open
        assert not strat.rules.tripped
        assert [(o["date"], o["side"]) for o in completed[2:3]] == [("2024-01-13", "buy")]
    else:
        assert strat.rules.tripped and len(completed) == 2 and len(strat.entry_log) == 1
        assert all(p == (0,) for p in strat.held[7:])
        assert strat.alive_at_end == []             # the stop and take-profit children were cancelled


def test_daily_loss_limit_blocks_entries_that_day_only():
    # A is held and drops 5 % on bar 4; B signals BUY on bars 4 and 5
    a = _frame(np.r_[[100.0] * 4, [95.0] * 8])
    b = _frame(np.full(N, 50.0))
    params = dict(daily_loss_limit=0.01, max_position_pct=0.5, stop_loss=0.2, take_profit=0.4,
                  risk_per_trade=0.5)
    strat = _run({"A": (a, _lines(N, buy=[1])), "B": (b, _lines(N, buy=[4, 5]))}, **params)
    buys = [(o["symbol"], o["date"]) for o in _completed(strat) if o["side"] == "buy"]
    assert buys == [("A", "2024-01-03"), ("B", "2024-01-07")]   # B's signal on bar 4 blocked, bar 5 taken


# ------------------------------------------------------------------------------------------- sizing and caps
def test_sizing_caps_hold_on_a_random_path():
    rng = np.random.default_rng(7)
    n = 150
    close = 100 * np.exp(np.cumsum(rng.normal(0.0, 0.02, n)))
    decision = rng.choice([1.0, 0.0, -1.0], size=n, p=[0.3, 0.5, 0.2])
    lines = dict(ml_decision=decision, ml_proba=rng.choice([0.3, 0.34, 0.6, 0.9], size=n),
                 ml_confidence=np.full(n, 0.9), ml_risk=np.full(n, 2.0),
                 ml_sigma=rng.uniform(0.004, 0.06, n))
    params = dict(bracket="sigma", risk_per_trade=0.01, max_position_pct=0.25, kelly_fraction=0.5,
                  daily_loss_limit=1.0, max_drawdown=1.0)
    strat = _run({"A": (_frame(close), lines)}, cash=50_000.0, **params)
    log = strat.entry_log
    assert len(log) >= 10
    binding = set()
    for e in log:
        value, risk = e["size"] * e["price"], e["size"] * (e["price"] - e["stop"])
        assert value <= 0.25 * e["equity"] + 1e-6
        assert risk <= 0.01 * e["equity"] + 1e-6
        assert value <= e["cash"] + 1e-6
        binding.add("cap" if value > 0.25 * e["equity"] - e["price"] else
                    "risk" if risk > 0.01 * e["equity"] - (e["price"] - e["stop"]) else "kelly")
    assert binding == {"cap", "risk", "kelly"}       # every cap was the binding one at least once
    # the fills (open = previous close, no gaps) match the reference prices
    fills = [o for o in _completed(strat) if o["side"] == "buy"]
    assert [o["price"] for o in fills] == pytest.approx([e["price"] for e in log][: len(fills)])


def test_max_open_positions_across_datas():
    df = _frame(np.full(N, 100.0))
    feeds = {"A": (df, _lines(N, buy=[2], sell=[5])), "B": (df, _lines(N, buy=[2])),
             "C": (df, _lines(N, buy=range(2, N))), "D": (df, _lines(N, buy=range(2, N)))}
    strat = _run(feeds, max_open_positions=2, max_position_pct=0.1)
    buys = [(o["symbol"], o["date"]) for o in _completed(strat) if o["side"] == "buy"]
    # A and B fill first; A's SELL (bar 5) closes at bar 6's open, then C enters on bar 6's signal
    assert buys == [("A", "2024-01-04"), ("B", "2024-01-04"), ("C", "2024-01-08")]
    assert max(sum(1 for s in p if s) for p in strat.held) == 2


def test_datas_starting_later_and_cash_cap_with_commission():
    a = _frame(np.full(N, 100.0))
    b = _frame(np.full(N - 4, 40.0), start="2024-01-05")          # B's first bar is A's bar 4
    params = dict(max_position_pct=1.0, risk_per_trade=1.0, kelly_fraction=0.0, stop_loss=0.5,
                  take_profit=1.0)
    cerebro_cash = 10_000.0
    strat = _run({"A": (a, _lines(N, buy=[1])), "B": (b, _lines(N - 4, buy=[1]))}, cash=cerebro_cash,
                 commission=0.001, **params)
    buys = [(o["symbol"], o["date"], o["size"]) for o in _completed(strat) if o["side"] == "buy"]
    # A takes all the cash it can with 0.1 % commission: floor(10,000 / 100.1) = 99 shares; B, trading from
    # its own first bar, gets what is left: floor((10,000 - 99 * 100.1) / 40.04) = 2 shares
    assert buys == [("A", "2024-01-03", 99), ("B", "2024-01-07", 2)]
    assert not [o for o in strat.done if o["status"] in ("Margin", "Rejected")]
