"""Results that say what they mean: why a fold or a backtest did not trade, warnings, and the console
verdict at the end of a walk-forward.

:func:`diagnose` turns one backtest (and, for ML strategies, its prediction lines) into plain counts over
the bars that matter: BUY decisions, how many passed ``min_confidence`` and ``max_risk``, orders by
final status. :func:`no_trade_reason` words those counts; :func:`verdict` writes the end-of-walk-forward
summary (out of sample vs buy and hold, trades a year, exposure, PSR/DSR in words, one line per fold in
fold order, warnings). Only numpy/pandas; nothing here changes a result.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from .results import BacktestResult, WalkForwardResult

__all__ = ["diagnose", "no_trade_reason", "strategy_warmup", "training_range", "backtest_warnings",
           "verdict"]

_MISSED = ("Margin", "Rejected")


def diagnose(result: BacktestResult, params: Mapping[str, Any], *, start: pd.Timestamp | None = None,
             end: pd.Timestamp | None = None, lines: Mapping[str, Mapping[str, np.ndarray]] | None = None,
             warmup: int = 0) -> dict[str, Any]:
    """Plain counts explaining a backtest over its bars in ``[start, end]`` (default: all of them).

    A trade counts in the window it closes in; an order in the window of its date.

    *lines* are the ML prediction lines per symbol aligned to ``result.prices`` (``ml_decision``,
    ``ml_confidence``, ``ml_risk``); *params* the strategy's effective parameters; *warmup* the bars the
    strategy needs before its first signal. Returns ``bars, warmup, n_trades, exposed_bars, orders`` (final
    status -> count) and, with *lines*: ``buy, buy_confident, buy_allowed, min_confidence, max_risk``.
    """
    lo = pd.Timestamp.min if start is None else pd.Timestamp(start)
    hi = pd.Timestamp.max if end is None else pd.Timestamp(end)
    equity = result.equity.loc[lo:hi]
    orders = result.orders
    if len(orders):
        dates = pd.to_datetime(orders["date"]).fillna(pd.Timestamp.max)
        orders = orders[(dates >= lo) & (dates <= hi)] if end is not None else orders[dates >= lo]
    trades = result.trades
    if len(trades) and (start is not None or end is not None):
        closed = pd.to_datetime(trades["exit_date"])
        trades = trades[(closed >= lo) & (closed <= hi)]
    exposed = result.exposure.loc[lo:hi]
    out: dict[str, Any] = dict(bars=int(len(equity)), warmup=int(warmup), n_trades=int(len(trades)),
                               exposed_bars=int(exposed.sum()), **dict(result.fills),
                               orders={str(k): int(v) for k, v in orders["status"].value_counts().items()}
                               if len(orders) else {})
    if lines:
        buy = confident = allowed = 0
        min_conf = float(params.get("min_confidence", 0.0))
        max_risk = float(params.get("max_risk", np.inf))
        for sym, cols in lines.items():
            index = result.prices[sym].index
            keep = (index >= lo) & (index <= hi)
            decision = np.asarray(cols["ml_decision"])[keep] > 0
            conf = np.asarray(cols.get("ml_confidence", np.full(len(index), np.nan)))[keep] >= min_conf
            risk = np.asarray(cols.get("ml_risk", np.zeros(len(index))))[keep] <= max_risk
            buy += int(decision.sum())
            confident += int((decision & conf).sum())
            allowed += int((decision & conf & risk).sum())
        out.update(buy=buy, buy_confident=confident, buy_allowed=allowed, min_confidence=min_conf,
                   max_risk=max_risk)
    return out


def strategy_warmup(strategy: Any, params: Mapping[str, Any]) -> int:
    """Bars a tradeforge :class:`~tradeforge.strategies.Strategy` needs before its first signal (0 for
    other strategies)."""
    from tradeforge.strategies import resolve_strategy
    from tradeforge.strategies.base import Strategy

    cls = resolve_strategy(strategy)
    return int(cls.warmup(dict(params))) if issubclass(cls, Strategy) else 0


def no_trade_reason(diag: Mapping[str, Any]) -> str | None:
    """Why there was no closed trade, in words (None when there were trades).

    Examples
    --------
    >>> no_trade_reason(dict(bars=250, warmup=0, n_trades=0, orders={}, buy=247, buy_confident=0,
    ...                      buy_allowed=0, min_confidence=0.65, max_risk=6.0))
    '247 BUY decisions, all below min_confidence 0.65'
    """
    if diag.get("n_trades", 0):
        return None
    missed = sum(diag.get("orders", {}).get(k, 0) for k in _MISSED)
    if missed:
        return f"{missed} order(s) rejected for margin or cash: lower the position size or raise --cash"
    if diag.get("bars", 0) <= diag.get("warmup", 0):
        return (f"too few bars: {diag['bars']} bars, the strategy needs {diag['warmup']} before its first "
                "signal; give more data or shorter windows")
    if diag.get("exposed_bars", 0):
        return (f"a position was held on {diag['exposed_bars']} of {diag.get('bars', 0)} bars but no trade "
                "closed (opened before the window or still open at its end)")
    if "buy" not in diag:
        return f"the strategy gave no entry signal in {diag.get('bars', 0)} bars"
    if diag["buy"] == 0:
        return f"no BUY decision in {diag['bars']} bars"
    if diag["buy_confident"] == 0:
        return f"{diag['buy']} BUY decisions, all below min_confidence {diag['min_confidence']:g}"
    if diag["buy_allowed"] == 0:
        return (f"{diag['buy_confident']} BUY decisions above min_confidence {diag['min_confidence']:g}, "
                f"all above max_risk {diag['max_risk']:g}")
    completed = diag.get("orders", {}).get("Completed", 0)
    return f"{diag['buy_allowed']} entry signals, {completed} filled order(s), no trade closed"


def training_range(model: Any) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """The first and last training bar of a fitted model or predictor: its ``train_range`` attribute
    ``(start, end)``, else the ``time`` column of an ``MLPipeline``'s ``train_rows_``; None if unknown."""
    span = getattr(model, "train_range", None)
    if span is not None and len(span) == 2:
        return pd.Timestamp(span[0]), pd.Timestamp(span[1])
    rows = getattr(model, "train_rows_", None)
    if isinstance(rows, pd.DataFrame) and "time" in rows and len(rows):
        return pd.Timestamp(rows["time"].min()), pd.Timestamp(rows["time"].max())
    inner = getattr(model, "pipeline", None)
    return training_range(inner) if inner is not None and inner is not model else None


def _predictor(spec: Any) -> Any:
    if not isinstance(spec, str):
        return spec
    import importlib

    module, _, name = spec.partition(":")
    try:
        obj = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError, ValueError):
        return None
    return None if isinstance(obj, type) else obj


def backtest_warnings(result: BacktestResult, diag: Mapping[str, Any]) -> list[str]:
    """Warnings about a finished backtest: zero trades (and why); bars inside the training range of the
    saved model or predictor it traded with (in-sample results)."""
    reason = no_trade_reason(diag)
    out = [f"no trades: {reason}"] if reason else []
    model = _predictor(result.params.get("predictor"))
    span = training_range(model) if model is not None else None
    if span is not None and len(result.equity):
        inside = int(((result.equity.index >= span[0]) & (result.equity.index <= span[1])).sum())
        if inside:
            out.append(f"{inside:,} of {len(result.equity):,} bars lie inside the model's training range "
                       f"{span[0]:%Y-%m-%d}..{span[1]:%Y-%m-%d}: those results are in-sample; backtest "
                       f"from {span[1] + pd.Timedelta(days=1):%Y-%m-%d} (--from) for an honest test")
    return out


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.1%}"


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _chance(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


def _fold_lines(result: WalkForwardResult, diagnoses: Mapping[int, Mapping[str, Any]]) -> tuple[list[str],
                                                                                              list[str]]:
    lines = [f"{'fold':>4}  {'test window':<23} {'AUC':>5} {'trades':>6} {'return':>8}  note"]
    warnings = []
    for row in result.folds.sort_values("fold").to_dict("records"):
        fold = int(row["fold"])
        auc = row.get("auc")
        auc_ok = auc is not None and not (isinstance(auc, float) and np.isnan(auc))
        note = no_trade_reason(diagnoses.get(fold, {"n_trades": row.get("n_trades", 0)})) or ""
        if not row.get("n_trades"):
            warnings.append(f"fold {fold}: no trades ({note or 'no reason recorded'})")
        if auc_ok and auc < 0.5:
            warnings.append(f"fold {fold}: out-of-fold AUC {auc:.3f} < 0.5 (worse than chance)")
        window = f"{pd.Timestamp(row['test_start']):%Y-%m-%d}..{pd.Timestamp(row['test_end']):%Y-%m-%d}"
        lines.append(f"{fold:>4}  {window:<23} {(f'{auc:.3f}' if auc_ok else '-'):>5} "
                     f"{int(row.get('n_trades') or 0):>6} {_pct(row.get('total_return')):>8}  {note}")
    return lines, warnings


def verdict(result: WalkForwardResult, diagnoses: Mapping[int, Mapping[str, Any]] | None = None,
            periods: float = 252.0) -> list[str]:
    """The console summary of a walk-forward (lines without newlines); *diagnoses* maps fold -> the
    :func:`diagnose` counts (``FoldResult.diagnosis``), *periods* the bars per year."""
    m, bh = result.metrics, result.metrics.get("buy_and_hold", {})
    bars = len(result.equity)
    years = bars / periods if periods else float("nan")
    trades = int(m.get("n_trades") or 0)
    span = (f"{result.equity.index[0]:%Y-%m-%d} .. {result.equity.index[-1]:%Y-%m-%d}" if bars else "no bars")
    out = [f"out of sample: {m.get('folds', len(result.folds))} folds, {bars:,} bars ({span})",
           f"{'':<22}{'strategy':>10}{'buy & hold':>12}",
           f"{'total return':<22}{_pct(m.get('total_return')):>10}{_pct(bh.get('total_return')):>12}",
           f"{'Sharpe (annualised)':<22}{_num(m.get('sharpe')):>10}{_num(bh.get('sharpe')):>12}",
           f"{'max drawdown':<22}{_pct(m.get('max_drawdown')):>10}{_pct(bh.get('max_drawdown')):>12}",
           f"trades: {trades:,} ({trades / years:.1f} a year), in the market on "
           f"{(m.get('exposure') or 0.0):.0%} of the bars" if years > 0 else f"trades: {trades:,}",
           f"probability that the true Sharpe is above 0 (PSR): {_chance(m.get('psr'))}; "
           f"after {m.get('dsr_trials', 0)} trials (DSR): {_chance(m.get('dsr'))}"]
    excess = m.get("excess_return")
    if excess is not None:
        word = "beat" if excess > 0 else "trailed"
        out.append(f"verdict: the strategy {word} buy and hold by {abs(excess):.1%} of return out of sample"
                   + ("" if (m.get("psr") or 0) >= 0.95 else "; its Sharpe is not significantly above 0"))
    folds, warnings = _fold_lines(result, diagnoses or {})
    out += [""] + folds
    if trades == 0:
        warnings.insert(0, "the walk-forward made no trade at all")
    if warnings:
        out += ["", "warnings:"] + [f"  {w}" for w in warnings]
    return out
