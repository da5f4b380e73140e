"""The out-of-sample run is ONE backtest: the drawdown kill switch and the equity peak carry over fold
boundaries (crafted prices and prediction lines, no model fit), with the model's trade
(``bracket="trade"``, the default: entry at the next open, time exit, rolled legs) and with a fixed
bracket from the signal close."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tradeforge.engine.config import WalkForwardConfig
from tradeforge.engine.results import FoldResult
from tradeforge.engine.walkforward import assemble
from tradeforge.engine.walkforward.executors import trade_folds
from tradeforge.engine.walkforward.splits import make_folds

# all-in long positions, brackets far away, no costs: the equity moves one for one with the price
PARAMS = dict(min_confidence=0.5, stop_loss=0.5, take_profit=1.0, risk_per_trade=1.0, max_position_pct=1.0,
              kelly_fraction=0.0, daily_loss_limit=0.5, max_drawdown=0.05)
# bracket="trade": the same far barriers from the entry open, a 5-bar time exit that each leg rolls over
# (the expected value stays positive), so the one position lives through the fold boundary
TRADE_LINES = dict(ml_payoff=0.02, ml_loss=0.01, ml_cost=0.0, ml_take=1.0, ml_stop=0.5, ml_horizon=5.0)
CONFIG = WalkForwardConfig(train_bars=20, test_bars=20, commission=0.0, workers=1)


def _prices() -> pd.DataFrame:
    """Flat to bar 20, +0.5 % a bar to bar 36, then -1 % a bar: the peak is in fold 0 (bars 20-39), the
    drawdown reaches 5 % only in fold 1 (bars 40-59), less than 3 % below that fold's own start."""
    step = np.zeros(60)
    step[21:37] = 0.005
    step[37:] = -0.01
    close = 100.0 * np.cumprod(1.0 + step)
    open_ = np.concatenate([[100.0], close[:-1]])  # opens at the previous close: no gaps
    idx = pd.date_range("2024-01-01", periods=60, freq="D", name="datetime")
    df = pd.DataFrame({"open": open_, "high": np.maximum(open_, close) * 1.0001,
                       "low": np.minimum(open_, close) * 0.9999, "close": close, "volume": 1e6}, index=idx)
    df.attrs["symbol"] = "X"
    return df


def _fits(df: pd.DataFrame, folds) -> list[FoldResult]:
    """Each fold's 'model' says BUY with high confidence on every test bar."""
    out = []
    for fold in folds:
        when = df.index[fold.test_lo:fold.test_hi]
        pred = pd.DataFrame({"datetime": when, "fold": fold.fold, "symbol": "X", "ml_proba": 0.9,
                             "ml_decision": 1.0, "ml_confidence": 0.9, "ml_expected_return": 0.02,
                             "ml_risk": 1.0, "ml_sigma": 0.01, **TRADE_LINES})
        out.append(FoldResult(fold=fold.fold, row={**fold.as_row(), "seed": 0, "auc": None, "ece": None},
                              returns=pd.Series(dtype=float), exposure=pd.Series(dtype=bool),
                              trades=pd.DataFrame(), orders=pd.DataFrame(), predictions=pred))
    return out


@pytest.mark.parametrize("bracket", ["trade", "fixed"])
def test_kill_switch_acts_across_a_fold_boundary(bracket):
    df = _prices()
    folds = make_folds(df.index, 20, 20)
    params = {**PARAMS, "bracket": bracket}
    results = trade_folds(folds, _fits(df, folds), {"X": df}, strategy="ml", strategy_params=params,
                          config=CONFIG, periods=252.0, ml=True)
    r = assemble(results, {"X": df}, "MLStrategy", params, CONFIG.cash, seconds=0.0)
    # the position opened in fold 0 is still held at fold 1's first bar (no flattening at the boundary)
    assert bool(r.exposure.loc[df.index[39]]) and bool(r.exposure.loc[df.index[40]])
    assert len(r.trades) == 1 and r.trades["fold"].tolist() == [1]
    trade = r.trades.iloc[0]
    assert pd.Timestamp(trade["entry_date"]) == df.index[21]
    # the switch tripped at the close of bar 42 (1 - 0.99^6 = 5.9 % below the fold-0 peak), closed at bar
    # 43's open, and blocked every later entry although fold 1's model says BUY on every bar
    assert pd.Timestamp(trade["exit_date"]) == df.index[43]
    assert not r.exposure.loc[df.index[43]:].any()
    fold1_start = float(r.equity.loc[df.index[39]])
    assert float(r.equity.loc[df.index[42]]) / fold1_start - 1.0 > -0.03  # per fold it would never trip
    # the one equity curve never falls further than max_drawdown allows (plus the bar before the exit)
    drawdown = 1.0 - r.equity / r.equity.cummax()
    assert drawdown.max() <= PARAMS["max_drawdown"] + 0.011, drawdown.max()
    assert r.metrics["max_drawdown"] <= PARAMS["max_drawdown"] + 0.011
