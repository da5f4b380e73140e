"""Walk-forward evaluation: fit on each training window, freeze, trade the test windows as one run.

The flow lives here (:func:`run_walkforward`, :func:`write_walkforward`); its seams are modules of this
package: :mod:`.splits` (fold plans), :mod:`.executors` (fold tasks, where they run, and the one
continuous out-of-sample backtest), :mod:`.stats` (PSR/DSR) and :mod:`.trials` (the trials ledger).

Folds are counted in bars of the common index of the data (the sorted union of every symbol's
timestamps); only complete test windows become folds. Each fold's model is fitted on its training window
only (ML strategies: an ``MLPipeline`` with purged labels and a seed derived from ``seed`` and the fold
number) and frozen; fits run in this process, in a ``spawn`` process pool or on a Dask cluster with
identical results. Then the test windows are traded as ONE backtest whose prediction lines switch to the
next fold's model at each boundary (positions, cash, high-water mark, kill switch and daily loss limit
carry over); per-fold figures are cut from it, and trades, orders and predictions carry a ``fold`` column
(a trade belongs to the fold it closes in).
``metrics`` holds the out-of-sample metrics (:func:`~tradeforge.engine.report.compute_metrics`
without ``seconds``), ``psr`` and ``dsr`` (per-bar Sharpe ratios; the DSR is deflated for the
``dsr_trials`` configurations tried on the same data, from the trials ledger :mod:`.trials` when one is
given, never for the folds), ``dsr_configs``, ``trades_per_year``, the number of folds and a
``buy_and_hold`` block over the same bars. Wall-clock timings live apart, in
``timings``, so ``metrics`` is identical run to run.

Output files (:func:`write_walkforward`): ``folds.csv``, ``predictions.csv``, ``trades.csv``,
``orders.csv``, ``equity.csv`` (out-of-sample value, fold, exposure), ``metrics.json``
(deterministic: byte-identical run to run), ``timings.json`` (wall-clock seconds), ``folds.png`` (stitched
equity against buy-and-hold with the fold boundaries, and each fold's test return) and ``tearsheet.html``
(quantstats, offline, buy-and-hold benchmark).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tradeforge.errors import ConfigError, DataError

from .._csv import write_csv
from .._render import SideRenderer, render
from ..checks import walkforward_params
from ..config import ML_FILLS, WalkForwardConfig, model_defaults
from ..data import common_index, load_frames, slice_frames
from ..report import (
    buy_and_hold,
    compute_metrics,
    equity_returns,
    periods_per_year,
    prepare_out,
    two_panels,
    write_tearsheet,
)
from ..results import FoldResult, WalkForwardResult
from .executors import FoldTask, default_workers, pool_scope, run_fold, run_tasks, start_pool, trade_folds
from .splits import Fold, make_folds
from .stats import deflated_sharpe, null_sharpe_variance, per_bar_sharpe, probabilistic_sharpe, stitch
from .trials import Trials, TrialsLedger, data_hash, single_trial, trial_choices

__all__ = ["WalkForwardResult", "WalkForwardConfig", "run_walkforward", "write_walkforward", "assemble",
           "plot_folds"]

_PREDICTION_KEYS = ["datetime", "fold", "symbol"]
_BENCH_KEYS = ("total_return", "cagr", "sharpe", "sortino", "max_drawdown")


def _warmup_bars(model_params: dict[str, Any] | None, warmup_bars: int | None) -> int:
    """Bars of history before each window: given, or the pipeline's feature/GARCH/LSTM look-backs."""
    if warmup_bars is not None:
        return warmup_bars
    if model_params is None:
        return 0
    from tradeforge.models.features import default_feature_set

    p = {**model_defaults(), **model_params}
    return max(int(default_feature_set().warmup), int(p["garch_window"]) + 1) + int(p["lstm_lookback"])


def min_bars(cfg: WalkForwardConfig, warmup: int = 0) -> int:
    """Bars a walk-forward needs: one training window and one test window, plus the *warmup* bars that let
    the first fold's features (ML) start warm (with fewer, the first fold trains on cold features)."""
    return int(cfg.train_bars) + int(cfg.test_bars) + int(warmup)


def _check_length(index: pd.DatetimeIndex, cfg: WalkForwardConfig, warmup: int, ml: bool) -> None:
    n = len(index)
    if n >= min_bars(cfg):
        return
    warm = (f" ({min_bars(cfg, warmup)} with the {warmup} warm-up bars the ML features need for a warm "
            "first fold)") if ml and warmup else ""
    raise DataError(f"walk-forward: train_bars={cfg.train_bars} + test_bars={cfg.test_bars} exceed the {n} "
                    f"bars of the data: at least {min_bars(cfg)} bars needed{warm}; give more data, or "
                    f"smaller windows, e.g. --train-bars {max(1, n // 2)} --test-bars {max(2, n // 8)}")


def _tasks(frames: dict[str, pd.DataFrame], index: pd.DatetimeIndex, folds: list[Fold], **common: Any
           ) -> list[FoldTask]:
    """One :class:`FoldTask` per fold holding only the fold's bars ``[warm_lo, test_hi)``."""
    return [FoldTask(fold=fold, frames=slice_frames(frames, index[fold.warm_lo], fold.test_end), **common)
            for fold in folds]


def run_walkforward(
    data: str | Mapping[str, pd.DataFrame] = "sample:sp500",
    strategy: str | type = "ml",
    params: Mapping[str, Any] | None = None,
    *,
    config: WalkForwardConfig | None = None,
    progress: Callable[[FoldResult, int], None] | None = None,
    trials_db: str | Path | None = None,
    **settings: Any,
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
    config : WalkForwardConfig, optional
        Windows, seed, executor and costs; default ``WalkForwardConfig()``.
    progress : callable, optional
        Called as ``progress(fold_result, n_folds)`` with each :class:`FoldResult` once it is traded.
    trials_db : str or Path, optional
        The trials ledger (:mod:`.trials`) to record this configuration in; the DSR is deflated for every
        configuration recorded there on the same data. None: this configuration's own choices only.
    **settings
        Instead of *config*: its fields as keywords (``train_bars=1000, test_bars=250, anchored=False,
        warmup_bars=None, seed=0, workers=None, scheduler=None, cash=100_000.0, commission=0.001,
        slippage_bps=0.0``), checked by :meth:`WalkForwardConfig.from_mapping`.

    Examples
    --------
    >>> r = run_walkforward("synth:symbols=1,bars=400,seed=1", "sma_cross", {"fast": 5, "slow": 20},
    ...                     train_bars=200, test_bars=100, workers=1)
    >>> len(r.folds), len(r.equity), sorted(r.metrics)[:3]
    (2, 200, ['bars', 'buy_and_hold', 'cagr'])
    """
    started = time.perf_counter()
    if config is not None and settings:
        raise ConfigError(f"run_walkforward: got config= and the settings {sorted(settings)}; pass one or "
                          "the other (config.replace(...) changes a config)")
    cfg = config if config is not None else WalkForwardConfig.from_mapping(settings)
    spec = strategy
    cls, ml, strategy_params, model_params = walkforward_params(strategy, params)  # before anything slow
    if ml:  # an ML walk-forward fills like a broker unless told otherwise (volume cap, impact)
        cfg = cfg.replace(**{k: v for k, v in ML_FILLS.items() if getattr(cfg, k) is None})
    n_workers = 1 if cfg.scheduler else (default_workers() if cfg.workers is None else cfg.workers)
    # worker processes start (and import) while this process loads the data and plans the folds
    pool = start_pool(n_workers, ml=ml) if n_workers > 1 and ml else None  # only model fits run in parallel
    with pool_scope(pool):
        frames = load_frames(data)
        warm = _warmup_bars(model_params, cfg.warmup_bars)
        index = common_index(frames)
        _check_length(index, cfg, warm, ml)
        folds = make_folds(index, cfg.train_bars, cfg.test_bars, anchored=cfg.anchored, warmup_bars=warm)
        periods = periods_per_year(index)
        tasks = _tasks(frames, index, folds, strategy=spec, strategy_params=strategy_params,
                       model_params=model_params, config=cfg, warmup_bars=warm, periods=periods)
        fits = (run_tasks(tasks, workers=cfg.workers, scheduler=cfg.scheduler,
                          pool=pool if pool is not None and len(tasks) > 1 else None)
                if ml else [run_fold(task) for task in tasks])
    # one continuous out-of-sample backtest over every test window (models switch at fold boundaries)
    results = trade_folds(folds, fits, frames, strategy=spec, strategy_params=strategy_params, config=cfg,
                          periods=periods, ml=ml)
    for result in results if progress else ():
        progress(result, len(results))
    trials = _record_trial(trials_db, results, frames, cls.__name__, strategy_params, model_params, cfg)
    return assemble(results, frames, cls.__name__, {**strategy_params, **(model_params or {})}, cfg.cash,
                    seconds=time.perf_counter() - started, trials=trials)


def _record_trial(trials_db: str | Path | None, results: list[FoldResult], frames: dict[str, pd.DataFrame],
                  strategy: str, strategy_params: dict[str, Any], model_params: dict[str, Any] | None,
                  cfg: WalkForwardConfig) -> Trials:
    """This configuration's out-of-sample Sharpe in the ledger (if any); the trials to deflate for."""
    returns = pd.concat([r.returns for r in results]).to_numpy(dtype=np.float64)
    sharpe, choices = per_bar_sharpe(returns), trial_choices(model_params)
    if trials_db is None:
        return single_trial(choices, sharpe)
    config = {k: getattr(cfg, k) for k in ("train_bars", "test_bars", "anchored", "warmup_bars", "seed",
                                           "cash", "commission", "slippage_bps")}
    return TrialsLedger(trials_db).record(data=data_hash(frames), strategy=strategy,
                                          params={"strategy": strategy_params, "model": model_params},
                                          config=config, choices=choices, sharpe=sharpe, n=len(returns))


def _clean(value: float) -> float | None:
    value = float(value)
    return value if np.isfinite(value) else None


def _frame(parts: list[pd.DataFrame | None], columns: list[str]) -> pd.DataFrame:
    parts = [p for p in parts if p is not None and len(p)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)


def _oos_metrics(results: list[FoldResult], equity: pd.Series, exposure: pd.Series, trades: pd.DataFrame,
                 benchmark: pd.Series, cash: float, periods: float, trials: Trials | None) -> dict[str, Any]:
    metrics = compute_metrics(equity, trades, float(exposure.mean()), start_value=cash, periods=periods)
    metrics.pop("seconds", None)
    returns = pd.concat([r.returns for r in results]).to_numpy(dtype=np.float64)
    trials = trials or single_trial(1, per_bar_sharpe(returns))
    variance = trials.variance()
    variance = null_sharpe_variance(returns) if variance is None else variance
    bench_equity = cash * (1.0 + benchmark).cumprod()
    bench = compute_metrics(bench_equity, pd.DataFrame({"pnlcomm": []}), 1.0, start_value=cash,
                            periods=periods)
    metrics.update(
        sharpe_per_bar=_clean(per_bar_sharpe(returns)),
        psr=_clean(probabilistic_sharpe(returns)),
        dsr=_clean(deflated_sharpe(returns, n_trials=trials.n_trials, variance=variance)),
        dsr_trials=trials.n_trials,
        dsr_configs=trials.n_configs,
        trades_per_year=_clean(len(trades) * periods / len(returns)) if len(returns) else None,
        folds=len(results),
        buy_and_hold={k: bench[k] for k in _BENCH_KEYS},
    )
    metrics["ratios"].update(
        sharpe_per_bar=f"per {metrics['ratios']['bar']} bar, not annualised (mean / std of per-bar returns)",
        psr="probability that the true per-bar Sharpe ratio is above 0", dsr="the PSR against the largest "
        "Sharpe expected from dsr_trials trials (the folds' per-bar Sharpe ratios)")
    metrics["excess_return"] = (None if metrics["total_return"] is None or bench["total_return"] is None
                                else metrics["total_return"] - bench["total_return"])
    return metrics


def assemble(results: list[FoldResult], frames: dict[str, pd.DataFrame], strategy: str,
             params: dict[str, Any], cash: float, *, seconds: float, trials: Trials | None = None
             ) -> WalkForwardResult:
    """A :class:`WalkForwardResult` from the fold results (sorted by fold): the out-of-sample equity,
    concatenated trades/orders/predictions, out-of-sample metrics (the DSR deflated for *trials*; None:
    this configuration alone) and the timings kept apart."""
    if all(r.equity is not None for r in results):  # traded as one run: its equity, not a re-chaining
        equity = pd.concat([r.equity for r in results]).rename("equity")
        equity.index = pd.DatetimeIndex(equity.index, name="datetime")
    else:
        equity = stitch([r.returns for r in results], cash)
    exposure = pd.concat([r.exposure for r in results]).rename("exposed")
    exposure.index = equity.index
    trades = _frame([r.trades for r in results], ["fold"])
    orders = _frame([r.orders for r in results], ["fold"])
    predictions = _frame([r.predictions for r in results], _PREDICTION_KEYS)
    folds = pd.DataFrame([r.row for r in results])
    benchmark = buy_and_hold(frames, equity.index)
    periods = periods_per_year(common_index(frames))
    metrics = _oos_metrics(results, equity, exposure, trades, benchmark, cash, periods, trials)
    timings = {"total": round(seconds, 3), "folds": {str(r.fold): r.timings for r in results}}
    return WalkForwardResult(folds=folds, predictions=predictions, trades=trades, orders=orders,
                             equity=equity, exposure=exposure, benchmark=benchmark, metrics=metrics,
                             timings=timings, prices=frames, strategy=strategy, params=params, cash=cash,
                             diagnoses={r.fold: r.diagnosis for r in results})


def write_walkforward(result: WalkForwardResult, out_dir: str | Path, *, tearsheet: bool = True,
                      renderer: SideRenderer | None = None) -> Path:
    """Write folds.csv, predictions.csv, trades.csv, orders.csv, equity.csv, metrics.json, timings.json,
    folds.png and (unless ``tearsheet=False``) tearsheet.html into *out_dir*; return the directory.

    With a *renderer* (:class:`~tradeforge.engine._render.SideRenderer`) the figures are drawn in its
    process and are complete once its block ends; without one they are drawn here.

    Examples
    --------
    >>> import tempfile
    >>> r = run_walkforward("synth:symbols=1,bars=300,seed=1", "sma_cross", {"fast": 5, "slow": 20},
    ...                     train_bars=100, test_bars=100, workers=1)
    >>> out = write_walkforward(r, tempfile.mkdtemp(), tearsheet=False)
    >>> sorted(p.name for p in out.iterdir())[:3]
    ['equity.csv', 'folds.csv', 'folds.png']
    """
    out = prepare_out(out_dir)  # no file of an earlier run stays next to this one
    if tearsheet:
        render(renderer, write_tearsheet, equity_returns(result.equity, result.cash, "strategy"),
               result.benchmark, out / "tearsheet.html",
               title=f"{result.strategy} walk-forward (out of sample)",
               periods=periods_per_year(result.equity.index))
    render(renderer, plot_folds, result, out / "folds.png")
    tables = {"folds": result.folds, "predictions": result.predictions, "trades": result.trades,
              "orders": result.orders}
    for name, frame in tables.items():
        write_csv(frame, out / f"{name}.csv", index=False)
    write_csv(_equity_frame(result), out / "equity.csv", index_label="datetime")
    (out / "metrics.json").write_text(json.dumps(result.metrics, indent=2) + "\n")
    (out / "timings.json").write_text(json.dumps(result.timings, indent=2) + "\n")
    return out


def plot_folds(result: WalkForwardResult, path: str | Path) -> Path:
    """Two panels: stitched out-of-sample equity vs buy-and-hold with fold boundaries (decimated lines,
    money axis); per-fold test returns by fold number, folds without a trade hatched and labelled."""
    from matplotlib.ticker import FuncFormatter

    from ..plots import decimate, money

    bench = decimate(result.cash * (1.0 + result.benchmark).cumprod())
    equity = decimate(result.equity)
    folds = result.folds
    with two_panels(path) as (top, bottom):
        top.plot(equity.index, equity.to_numpy(), lw=1.0, label=f"{result.strategy} (out of sample)")
        top.plot(bench.index, bench.to_numpy(), lw=0.8, color="gray", label="buy and hold")
        for start in folds["test_start"]:
            top.axvline(start, color="tab:orange", lw=0.5, alpha=0.6)
        top.set_ylabel("portfolio value")
        top.yaxis.set_major_formatter(FuncFormatter(money))
        top.set_title("walk-forward: stitched out-of-sample equity (fold starts in orange)")
        top.legend(loc="upper left")
        returns = folds["total_return"].astype(float).fillna(0.0).to_numpy() * 100.0
        numbers = folds["fold"].to_numpy()
        bars = bottom.bar(numbers, returns, color=np.where(returns >= 0, "tab:green", "tab:red"))
        idle = (folds["n_trades"].fillna(0).to_numpy() == 0 if "n_trades" in folds
                else np.zeros(len(folds), dtype=bool))
        for bar, none in zip(bars, idle, strict=True):
            if none:
                bar.set_hatch("//")
                bar.set_facecolor("none")
                bar.set_edgecolor("gray")
                bottom.annotate("no trades", (bar.get_x() + bar.get_width() / 2, 0.0), ha="center",
                                va="bottom", fontsize=7, color="gray", rotation=90)
        bottom.set_xticks(numbers) if len(numbers) <= 30 else None
        bottom.set_xlabel("fold" + (" (hatched: no trades)" if idle.any() else ""))
        bottom.set_ylabel("test return %")
    return Path(path)


def _equity_frame(result: WalkForwardResult) -> pd.DataFrame:
    fold = np.empty(len(result.equity), dtype=np.int64)
    starts = result.equity.index.searchsorted(pd.DatetimeIndex(result.folds["test_start"]))
    for k, lo in enumerate(starts):
        fold[lo:] = result.folds["fold"].iloc[k]
    return pd.DataFrame({"fold": fold, "equity": result.equity.to_numpy(),
                         "exposed": result.exposure.astype(int).to_numpy()}, index=result.equity.index)
