"""Walk-forward evaluation: fit on each training window, freeze, trade the next window, stitch the results.

Folds (:mod:`tradeforge.engine._wf_splits`) are counted in bars of the common index of the data (the
sorted union of every symbol's timestamps); only complete test windows become folds. Each fold
(:mod:`tradeforge.engine._wf_fold`) is fitted on its training window only (ML strategies: an
``MLPipeline`` with purged labels and a seed derived from ``seed`` and the fold number), frozen, and its
test window is backtested with warm-up bars taken from before the window and no order before its first
bar. Folds run in this process, in a ``spawn`` process pool or on a Dask cluster
(:mod:`tradeforge.engine._wf_exec`) with identical results.

The out-of-sample equity is stitched by chaining the folds' per-bar returns (each fold starts from the
previous fold's ending value); trades, orders and predictions are concatenated with a ``fold`` column.
``metrics`` holds the stitched out-of-sample metrics (:func:`~tradeforge.engine.report.compute_metrics`
without ``seconds``), ``psr`` and ``dsr`` (:mod:`tradeforge.engine._wf_stats`: per-bar Sharpe ratios,
the DSR's trials are the folds), the number of folds and a ``buy_and_hold`` block over the same bars.
Wall-clock timings live apart, in ``timings``, so ``metrics`` is identical run to run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from tradeforge.errors import ConfigError

from ._wf_splits import Fold, common_index, make_folds

__all__ = ["WalkForwardResult", "run_walkforward", "write_walkforward"]


@dataclass
class WalkForwardResult:
    """What a walk-forward produced (see the module notes for how each part is built).

    Attributes
    ----------
    folds : DataFrame
        One row per fold: dates, train/test/warm-up sizes, seed, OOF AUC and ECE (ML), Sharpe, return,
        max drawdown and number of trades of the test window.
    predictions : DataFrame
        ML strategies: ``datetime, fold, symbol`` and the prediction lines of every test bar (the model's
        own decisions, before the end-of-fold flattening); other strategies: those three columns, no rows.
    trades, orders : DataFrame
        The backtests' closed trades and final orders, with a leading ``fold`` column.
    equity : Series
        Stitched out-of-sample portfolio value; ``exposure`` is True where a position was held.
    benchmark : Series
        Buy-and-hold per-bar returns (equal weight) over the same out-of-sample bars.
    metrics : dict
        Out-of-sample metrics (deterministic: no timings).
    timings : dict
        Seconds: ``total`` and per fold (fit stages, predict, backtest).
    """

    folds: pd.DataFrame
    predictions: pd.DataFrame
    trades: pd.DataFrame
    orders: pd.DataFrame
    equity: pd.Series
    exposure: pd.Series
    benchmark: pd.Series
    metrics: dict[str, Any]
    timings: dict[str, Any]
    prices: dict[str, pd.DataFrame] = field(default_factory=dict)
    strategy: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    cash: float = 100_000.0


def _resolve(strategy: Any) -> tuple[Any, type, bool]:
    from tradeforge.strategies import resolve_strategy
    from tradeforge.strategies.ml import MLStrategy

    cls = resolve_strategy(strategy)
    return strategy, cls, issubclass(cls, MLStrategy)


def _frames(data: str | Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    from tradeforge.feeds import load, validate_ohlcv

    if isinstance(data, str):
        return load(data)
    if isinstance(data, Mapping) and data:
        return {str(sym): validate_ohlcv(df, str(sym)) for sym, df in data.items()}
    raise ConfigError(f"data: expected a spec string like 'sample:sp500' or a non-empty mapping symbol -> "
                      f"DataFrame, got {type(data).__name__}")


def _warmup_bars(model_params: dict[str, Any] | None, warmup_bars: int | None) -> int:
    """Bars of history before each window: given, or the pipeline's feature/GARCH/LSTM look-backs."""
    if warmup_bars is not None:
        return warmup_bars
    if model_params is None:
        return 0
    from tradeforge.models.features import default_feature_set

    from ._wf_params import model_defaults

    p = {**model_defaults(), **model_params}
    return max(int(default_feature_set().warmup), int(p["garch_window"]) + 1) + int(p["lstm_lookback"])


def _tasks(frames: dict[str, pd.DataFrame], index: pd.DatetimeIndex, folds: list[Fold], **common: Any
           ) -> list[dict[str, Any]]:
    """One plain-data task per fold holding only the fold's bars ``[warm_lo, test_hi)``."""
    tasks = []
    for fold in folds:
        part = {}
        for sym, df in frames.items():
            part[sym] = df.loc[index[fold.warm_lo]:fold.test_end]
            part[sym].attrs = dict(df.attrs)
        tasks.append(dict(fold=fold, frames=part, **common))
    return tasks


def run_walkforward(
    data: str | Mapping[str, pd.DataFrame] = "sample:sp500",
    strategy: str | type = "ml",
    params: Mapping[str, Any] | None = None,
    *,
    train_bars: int = 1000,
    test_bars: int = 250,
    anchored: bool = False,
    warmup_bars: int | None = None,
    seed: int = 0,
    workers: int | None = None,
    scheduler: str | None = None,
    cash: float = 100_000.0,
    commission: float = 0.001,
    slippage_bps: float = 0.0,
    progress: Callable[[dict[str, Any], int], None] | None = None,
) -> WalkForwardResult:
    """Walk-forward *strategy* over *data* (see the module notes) and return a :class:`WalkForwardResult`.

    Parameters
    ----------
    data : str or mapping
        A ``tradeforge.feeds.load`` spec or ``{symbol: OHLCV DataFrame}``.
    strategy : str or class
        ``"ml"`` (``MLStrategy``: fitted per fold), a built-in name, an entry point, ``package.module:Class``.
    params : mapping, optional
        Strategy parameters and, for ML strategies, ``MLPipeline`` hyper-parameters (``--param k=v``).
    train_bars, test_bars : int
        Window sizes in bars of the common index; the step is ``test_bars``.
    anchored : bool
        Train on every bar before the test window instead of the last ``train_bars``.
    warmup_bars : int, optional
        History before each window for look-backs (default: the pipeline's needs; 0 for other strategies,
        which get ``Strategy.warmup(params)`` bars before the test window).
    seed : int
        Run seed; fold ``k``'s models use ``fold_seed(seed, k)``.
    workers, scheduler
        Local worker processes (default: all cores; 1 runs in this process) or a Dask scheduler address.
    cash, commission, slippage_bps : float
        Backtest settings of every fold (each fold starts from *cash*; returns are chained).
    progress : callable, optional
        Called as ``progress(fold_result, n_folds)`` when a fold finishes.

    Examples
    --------
    >>> r = run_walkforward("synth:symbols=1,bars=400,seed=1", "sma_cross", {"fast": 5, "slow": 20},
    ...                     train_bars=200, test_bars=100, workers=1)
    >>> len(r.folds), len(r.equity), sorted(r.metrics)[:3]
    (2, 200, ['bars', 'buy_and_hold', 'cagr'])
    """
    import time

    from ._wf_exec import check_workers, default_workers, pool_scope, run_tasks, start_pool
    from ._wf_params import split_params
    from ._wf_result import assemble
    from .report import periods_per_year

    started = time.perf_counter()
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ConfigError(f"seed: expected an integer >= 0, got {seed!r}; e.g. --seed 0")
    spec, cls, ml = _resolve(strategy)
    strategy_params, model_params = split_params(cls, params, ml)
    n_workers = 1 if scheduler else check_workers(default_workers() if workers is None else workers)
    # worker processes start (and import) while this process loads the data and plans the folds
    pool = start_pool(n_workers, ml=ml) if n_workers > 1 else None
    with pool_scope(pool):
        frames = _frames(data)
        warm = _warmup_bars(model_params, warmup_bars)
        index = common_index(frames)
        folds = make_folds(index, train_bars, test_bars, anchored=anchored, warmup_bars=warm)
        costs = dict(cash=cash, commission=commission, slippage_bps=slippage_bps)
        tasks = _tasks(frames, index, folds, strategy=spec, strategy_params=strategy_params,
                       model_params=model_params, seed=seed, costs=costs, warmup_bars=warm,
                       periods=periods_per_year(index))
        done = (lambda result: progress(result, len(tasks))) if progress else None
        results = run_tasks(tasks, workers=workers, scheduler=scheduler, done=done,
                            pool=pool if pool is not None and len(tasks) > 1 else None)
    return assemble(results, frames, cls.__name__, {**strategy_params, **(model_params or {})}, float(cash),
                    seconds=time.perf_counter() - started)


def write_walkforward(result: WalkForwardResult, out_dir: Any, *, tearsheet: bool = True) -> Any:
    """Write folds.csv, predictions.csv, trades.csv, orders.csv, equity.csv, metrics.json, timings.json,
    folds.png and (unless ``tearsheet=False``) tearsheet.html into *out_dir*; return the directory.

    Examples
    --------
    >>> import tempfile
    >>> r = run_walkforward("synth:symbols=1,bars=300,seed=1", "sma_cross", {"fast": 5, "slow": 20},
    ...                     train_bars=100, test_bars=100, workers=1)
    >>> out = write_walkforward(r, tempfile.mkdtemp(), tearsheet=False)
    >>> sorted(p.name for p in out.iterdir())[:3]
    ['equity.csv', 'folds.csv', 'folds.png']
    """
    from ._wf_report import write_outputs

    return write_outputs(result, out_dir, tearsheet=tearsheet)
