"""Edges found, noise refused: the default ML walk-forward against the one-line rule of a planted edge.

The rule (``feeds.synthetic.planted_rule``) knows the edge; the walk-forward must find it out of sample:
at least half the rule's Sharpe ratio on the same out-of-sample bars, with enough trades to mean something,
and on a pure random walk no Sharpe ratio distinguishable from zero. Standard errors of an annualised Sharpe
ratio over ``n`` bars count overlapping labels: ``n_eff = n / horizon``, ``se = sqrt(periods / n_eff)``.
Seeds here were never used to choose any default (bench/edges.py reports other seeds on bigger data).
Both the daily momentum bound and the intraday one (5-minute bars, one-bar momentum) pass; the intraday
one narrowly (see its comment).
"""

from __future__ import annotations

import numpy as np
import pytest

from tradeforge.engine.report import periods_per_year
from tradeforge.engine.walkforward import run_walkforward
from tradeforge.feeds.synthetic import planted_rule_entries, planted_rule_sharpe, synthetic_universe
from tradeforge.models.pipeline import MLPipeline

SETTINGS = dict(train_bars=1000, test_bars=250, workers=2, seed=0)   # the walk-forward defaults, 2 folds
FAST = {"fast": "true"}                                            # small models, as the CI budget needs
PERIODS = 252.0
HORIZON = MLPipeline().label_horizon                                # the default label horizon


def _rule_sharpe(frames, kind, lookback, start, commission, periods=PERIODS):
    """The rule held from the next open, net of the same commission, equal weight, its returns marked
    at the closes as the walk-forward's own equity is (``planted_rule_sharpe``)."""
    return planted_rule_sharpe(frames, kind, lookback, start, commission, periods)


def _se(n_bars: int, periods: float = PERIODS) -> float:
    return float(np.sqrt(periods / (n_bars / HORIZON)))


def _assert_half_the_rule(frames, res, kind: str, lookback: int, rule: float) -> None:
    """At least half the rule's Sharpe ratio, from at least half as many trades as the rule enters (it
    holds while its signal lasts, ~9 bars a trade on momentum-5, so a fixed count would ask for more than
    the edge offers)."""
    sharpe = res.metrics["sharpe"] or 0.0           # None: no trade at all
    assert sharpe >= 0.5 * rule, (sharpe, rule)
    trades = res.metrics["n_trades"]
    entries = planted_rule_entries(frames, kind, lookback, res.equity.index[0])
    assert trades >= 0.5 * entries, (trades, entries)


@pytest.fixture(scope="module")
def momentum():
    frames = synthetic_universe(symbols=2, bars=1500, seed=7, edge=0.2, edge_kind="momentum", edge_lookback=5)
    return frames, run_walkforward(frames, "ml", FAST, **SETTINGS)


def test_planted_momentum_reaches_half_the_rule_sharpe(momentum):
    # measured here: Sharpe 2.40 from 86 trades against the rule's 2.45 from 68 entries (both marked at the
    # closes); 2.59 from 87 with the boosted trees and the SVM in the stack, 1.28 from 26 trades (too few)
    # before the return signs joined the default features
    frames, res = momentum
    start = res.equity.index[0]
    rule, n = _rule_sharpe(frames, "momentum", 5, start, SETTINGS.get("commission", 0.001))
    assert rule > 3 * _se(n)                       # the edge is there to find (the rule is significant)
    _assert_half_the_rule(frames, res, "momentum", 5, rule)


def test_pure_noise_stays_flat():
    frames = synthetic_universe(symbols=2, bars=1500, seed=8, edge=0.0)
    res = run_walkforward(frames, "ml", FAST, **SETTINGS)
    n = len(res.equity)
    sharpe = res.metrics["sharpe"] or 0.0         # None: no trade at all, which is flat
    # flat: within two standard errors of zero (a leak would show up as a large positive Sharpe ratio)
    assert abs(sharpe) < 2 * _se(n), (sharpe, _se(n))
    assert res.metrics["total_return"] > -0.05     # and it does not bleed costs on noise


@pytest.fixture(scope="module")
def intraday():
    # 5-minute bars, a one-bar momentum edge, no commission (a 5-minute bar moves less than a 0.2 % round
    # trip, so no rule pays after costs) and 5-minute features only (daily ones need more warm-up than the
    # window holds)
    frames = synthetic_universe(symbols=2, bars=1750, seed=22, freq="5m", edge=0.2, edge_kind="momentum",
                                edge_lookback=1)
    return frames, run_walkforward(frames, "ml", {**FAST, "timeframes": "5m"}, commission=0.0, **SETTINGS)


def _intraday_rule(frames, res):
    periods = periods_per_year(res.equity.index)
    rule, n = _rule_sharpe(frames, "momentum", 1, res.equity.index[0], 0.0, periods)
    return rule, _se(n, periods)


def test_planted_intraday_edge_is_there_to_find(intraday):
    frames, res = intraday
    rule, se = _intraday_rule(frames, res)
    assert rule > 3 * se, (rule, se)               # measured: 24.1 against a standard error of 5.1


def test_planted_intraday_momentum_reaches_half_the_rule_sharpe(intraday):
    # measured here: 12.8 from 167 trades against the rule's 24.1 from 312 entries (half: 12.06 from 156),
    # a narrow pass: the walk-forward's model seeds 1 and 2 (not the test's) give 14.7 from 168 and 11.8
    # from 144, so the stack finds about half this edge; before the screened logit (#10) 6.37 from 127
    frames, res = intraday
    _assert_half_the_rule(frames, res, "momentum", 1, _intraday_rule(frames, res)[0])
