"""Assemble fold results into a :class:`~tradeforge.engine.walkforward.WalkForwardResult`.

Stitched out-of-sample equity (chained fold returns), concatenated trades/orders/predictions, the
out-of-sample metrics with PSR/DSR and a buy-and-hold comparison over the same bars, and the timings
kept apart from the metrics.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ._wf_splits import common_index
from ._wf_stats import deflated_sharpe, per_bar_sharpe, probabilistic_sharpe, stitch

__all__ = ["assemble"]

_PREDICTION_KEYS = ["datetime", "fold", "symbol"]
_BENCH_KEYS = ("total_return", "cagr", "sharpe", "sortino", "max_drawdown")


def _clean(value: float) -> float | None:
    value = float(value)
    return value if np.isfinite(value) else None


def _frame(parts: list[pd.DataFrame | None], columns: list[str]) -> pd.DataFrame:
    parts = [p for p in parts if p is not None and len(p)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)


def _oos_metrics(results: list[dict[str, Any]], equity: pd.Series, exposure: pd.Series, trades: pd.DataFrame,
                 benchmark: pd.Series, cash: float, periods: float) -> dict[str, Any]:
    from .report import compute_metrics

    metrics = compute_metrics(equity, trades, float(exposure.mean()), start_value=cash, periods=periods)
    metrics.pop("seconds", None)
    returns = pd.concat([r["returns"] for r in results]).to_numpy(dtype=np.float64)
    fold_sharpes = np.array([per_bar_sharpe(r["returns"].to_numpy()) for r in results])
    bench_equity = cash * (1.0 + benchmark).cumprod()
    bench = compute_metrics(bench_equity, pd.DataFrame({"pnlcomm": []}), 1.0, start_value=cash, periods=periods)
    metrics.update(
        sharpe_per_bar=_clean(per_bar_sharpe(returns)),
        psr=_clean(probabilistic_sharpe(returns)),
        dsr=_clean(deflated_sharpe(returns, fold_sharpes)),
        dsr_trials=int(np.isfinite(fold_sharpes).sum()),
        folds=len(results),
        buy_and_hold={k: bench[k] for k in _BENCH_KEYS},
    )
    metrics["excess_return"] = (None if metrics["total_return"] is None or bench["total_return"] is None
                                else metrics["total_return"] - bench["total_return"])
    return metrics


def assemble(results: list[dict[str, Any]], frames: dict[str, pd.DataFrame], strategy: str,
             params: dict[str, Any], cash: float, *, seconds: float) -> Any:
    """A :class:`WalkForwardResult` from the fold results (sorted by fold)."""
    from .report import buy_and_hold, periods_per_year
    from .walkforward import WalkForwardResult

    equity = stitch([r["returns"] for r in results], cash)
    exposure = pd.concat([r["exposure"] for r in results]).rename("exposed")
    exposure.index = equity.index
    trades = _frame([r["trades"] for r in results], ["fold"])
    orders = _frame([r["orders"] for r in results], ["fold"])
    predictions = _frame([r["predictions"] for r in results], _PREDICTION_KEYS)
    folds = pd.DataFrame([r["row"] for r in results])
    benchmark = buy_and_hold(frames, equity.index)
    periods = periods_per_year(common_index(frames))
    metrics = _oos_metrics(results, equity, exposure, trades, benchmark, cash, periods)
    timings = {"total": round(seconds, 3), "folds": {str(r["fold"]): r["timings"] for r in results}}
    return WalkForwardResult(folds=folds, predictions=predictions, trades=trades, orders=orders, equity=equity,
                             exposure=exposure, benchmark=benchmark, metrics=metrics, timings=timings,
                             prices=frames, strategy=strategy, params=params, cash=cash)
