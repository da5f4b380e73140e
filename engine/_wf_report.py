"""Walk-forward output files.

``folds.csv``, ``predictions.csv``, ``trades.csv``, ``orders.csv``, ``equity.csv`` (stitched
out-of-sample value, fold, exposure), ``metrics.json`` (deterministic: byte-identical run to run),
``timings.json`` (wall-clock seconds, kept out of ``metrics.json`` for that reason), ``folds.png``
(stitched equity against buy-and-hold with the fold boundaries, and each fold's test return) and
``tearsheet.html`` (quantstats, offline, buy-and-hold benchmark).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["write_outputs", "plot_folds"]


def plot_folds(result: Any, path: str | Path) -> Path:
    """Two panels: stitched out-of-sample equity vs buy-and-hold with fold boundaries; per-fold returns."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    bench = result.cash * (1.0 + result.benchmark).cumprod()
    folds = result.folds
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 6), height_ratios=(3, 1))
    try:
        top.plot(result.equity.index, result.equity.to_numpy(), lw=1.0, label=f"{result.strategy} (out of sample)")
        top.plot(bench.index, bench.to_numpy(), lw=0.8, color="gray", label="buy and hold")
        for start in folds["test_start"]:
            top.axvline(start, color="tab:orange", lw=0.5, alpha=0.6)
        top.set_ylabel("portfolio value")
        top.set_title("walk-forward: stitched out-of-sample equity (fold starts in orange)")
        top.legend(loc="upper left")
        returns = folds["total_return"].astype(float).fillna(0.0).to_numpy() * 100.0
        bottom.bar(folds["fold"].to_numpy(), returns, color=np.where(returns >= 0, "tab:green", "tab:red"))
        bottom.set_xlabel("fold")
        bottom.set_ylabel("test return %")
        fig.tight_layout()
        fig.savefig(path, dpi=100)
    finally:
        plt.close(fig)
    return Path(path)


def _equity_frame(result: Any) -> pd.DataFrame:
    fold = np.empty(len(result.equity), dtype=np.int64)
    starts = result.equity.index.searchsorted(pd.DatetimeIndex(result.folds["test_start"]))
    for k, lo in enumerate(starts):
        fold[lo:] = result.folds["fold"].iloc[k]
    return pd.DataFrame({"fold": fold, "equity": result.equity.to_numpy(),
                         "exposed": result.exposure.astype(int).to_numpy()}, index=result.equity.index)


def write_outputs(result: Any, out_dir: str | Path, *, tearsheet: bool = True) -> Path:
    """Write every walk-forward file (see the module notes) into *out_dir*; return the directory."""
    from .report import periods_per_year, write_tearsheet

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    result.folds.to_csv(out / "folds.csv", index=False)
    result.predictions.to_csv(out / "predictions.csv", index=False)
    result.trades.to_csv(out / "trades.csv", index=False)
    result.orders.to_csv(out / "orders.csv", index=False)
    _equity_frame(result).to_csv(out / "equity.csv", index_label="datetime")
    (out / "metrics.json").write_text(json.dumps(result.metrics, indent=2) + "\n")
    (out / "timings.json").write_text(json.dumps(result.timings, indent=2) + "\n")
    plot_folds(result, out / "folds.png")
    if tearsheet:
        path = np.concatenate([[result.cash], result.equity.to_numpy()])
        returns = pd.Series(path[1:] / path[:-1] - 1.0, index=result.equity.index, name="strategy")
        write_tearsheet(returns, result.benchmark, out / "tearsheet.html",
                        title=f"{result.strategy} walk-forward (out of sample)",
                        periods=periods_per_year(result.equity.index))
    return out
