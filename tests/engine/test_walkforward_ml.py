"""Walk-forward honesty with the real MLPipeline: a planted edge is found out of sample and a random walk
is not; the test windows are traded as one continuous backtest; outputs are byte-identical across runs and
executors (1 process, 2 spawned processes, Dask);
appending bars leaves earlier folds unchanged; batch lines and the live predictor give the same orders."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tradeforge.engine.runner import run_backtest
from tradeforge.engine.walkforward import run_walkforward, write_walkforward
from tradeforge.feeds import load
from tradeforge.models.pipeline import MLPipeline
from tradeforge.models.targets import triple_barrier

MODEL = {"fast": True, "garch_window": 60, "garch_refit_every": 40, "lstm_epochs": 2}
PARAMS = {**MODEL, "min_confidence": 0.6}
WINDOWS = {"train_bars": 600, "test_bars": 200, "seed": 0}
EDGE = "synth:symbols=2,bars={bars},freq=1d,seed=0,edge=0.5"
FILES = ("predictions.csv", "trades.csv", "orders.csv", "equity.csv", "folds.csv", "metrics.json")


def _oos_auc(result, frames) -> tuple[float, float]:
    """AUC of the out-of-sample ml_proba against the realised triple-barrier labels, and its null SE.

    The SE is Hanley & McNeil's ``sqrt((n + 1) / (12 n1 n0))`` with ``n`` divided by the label horizon
    (10 bars): labels of neighbouring bars overlap, so they are far from independent."""
    from sklearn.metrics import roc_auc_score

    scores, labels = [], []
    for sym, group in result.predictions.groupby("symbol"):
        tb = triple_barrier(frames[sym], 10, 0.04, 0.02)["label"].reindex(pd.DatetimeIndex(group["datetime"]))
        ok = tb.notna().to_numpy() & group["ml_proba"].notna().to_numpy()
        scores.append(group["ml_proba"].to_numpy()[ok])
        labels.append(tb.to_numpy()[ok])
    y, s = np.concatenate(labels), np.concatenate(scores)
    n = len(y) / 10.0
    n1 = max(1.0, y.mean() * n)
    return float(roc_auc_score(y, s)), float(np.sqrt((n + 1) / (12.0 * n1 * max(1.0, n - n1))))


@pytest.fixture(scope="module")
def edge_frames():
    return load(EDGE.format(bars=1000))


@pytest.fixture(scope="module")
def edge_run(edge_frames):
    return run_walkforward(edge_frames, "ml", PARAMS, workers=1, **WINDOWS)


def test_planted_edge_is_found_out_of_sample(edge_run, edge_frames):
    r = edge_run
    assert len(r.folds) == 2 and len(r.predictions) == 2 * 2 * 200
    assert r.predictions[["ml_proba", "ml_decision", "ml_risk", "pred_1d"]].notna().all().all()
    auc, se = _oos_auc(r, edge_frames)
    assert auc > 0.5, (auc, se)
    # traded out of sample, the edge pays: positive return, Sharpe and a PSR well above one half
    assert r.metrics["n_trades"] > 10 and r.metrics["total_return"] > 0, r.metrics
    assert r.metrics["sharpe"] > 0.5 and r.metrics["psr"] > 0.75, r.metrics


def test_random_walk_has_no_out_of_sample_edge():
    frames = load("synth:symbols=2,bars=1000,freq=1d,seed=5,edge=0")
    r = run_walkforward(frames, "ml", PARAMS, workers=1, **WINDOWS)
    auc, se = _oos_auc(r, frames)
    assert abs(auc - 0.5) < 3.0 * se, (auc, se)
    # no significant out-of-sample skill (a leak would show up as a high PSR, as in the edge test)
    assert r.metrics["psr"] is None or r.metrics["psr"] < 0.95, r.metrics


def test_no_position_before_the_first_test_bar_and_trades_cut_by_exit(edge_run):
    """One continuous out-of-sample run: nothing opens before the first test bar; a trade belongs to the
    fold it closes in (positions may carry over a boundary, the model switching under them)."""
    folds = edge_run.folds.set_index("fold")
    assert (pd.to_datetime(edge_run.trades["entry_date"]) >= folds.loc[0, "test_start"]).all()
    for fold, row in folds.iterrows():
        trades = edge_run.trades[edge_run.trades["fold"] == fold]
        assert pd.to_datetime(trades["exit_date"]).between(row["test_start"], row["test_end"]).all()
    assert folds["n_trades"].sum() == len(edge_run.trades) == edge_run.metrics["n_trades"]
    # the per-fold returns are cut from the one equity curve
    ends = edge_run.equity.groupby(np.repeat([0, 1], 200)).last().to_numpy()
    starts = np.concatenate([[edge_run.cash], ends[:-1]])
    np.testing.assert_allclose(ends / starts - 1.0, folds["total_return"].to_numpy(), rtol=1e-12)


def test_two_processes_give_byte_identical_files(edge_run, edge_frames, tmp_path):
    again = run_walkforward(edge_frames, "ml", PARAMS, workers=2, **WINDOWS)
    a = write_walkforward(edge_run, tmp_path / "one", tearsheet=False)
    b = write_walkforward(again, tmp_path / "two", tearsheet=False)
    for name in FILES:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_dask_on_longer_data_keeps_earlier_folds(edge_run, edge_frames):
    """Truncation and the Dask executor at once: 200 more bars add a fold, the first two stay bitwise
    equal."""
    from distributed import LocalCluster

    longer = load(EDGE.format(bars=1200))
    for sym, df in edge_frames.items():
        pd.testing.assert_frame_equal(longer[sym].iloc[:1000], df)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, protocol="tcp", host="127.0.0.1",
                      dashboard_address=None) as cluster:
        r = run_walkforward(longer, "ml", PARAMS, scheduler=cluster.scheduler_address, **WINDOWS)
    assert len(r.folds) == 3
    early = r.predictions["fold"] < 2
    pd.testing.assert_frame_equal(r.predictions[early], edge_run.predictions, check_exact=True)
    pd.testing.assert_frame_equal(r.trades[r.trades["fold"] < 2], edge_run.trades, check_exact=True)
    pd.testing.assert_frame_equal(r.folds.iloc[:2], edge_run.folds, check_exact=True)


class _Recording:
    """The fitted pipeline as MLStrategy's live predictor, recording what it returns."""

    def __init__(self, pipe: MLPipeline) -> None:
        self.pipe, self.warmup, self.window = pipe, pipe.warmup, pipe.window
        self.seen: dict[tuple[str, pd.Timestamp], dict[str, float]] = {}

    def predict_latest(self, window: pd.DataFrame) -> dict[str, float]:
        out = self.pipe.predict_latest(window)
        self.seen[(window.attrs["symbol"], window.index[-1])] = out
        return out


def test_batch_lines_and_live_predictor_agree():
    """MLPipeline.window is None: MLStrategy passes every bar since the feed's start, as the batch run saw."""
    data = load("synth:symbols=2,bars=700,freq=1d,seed=0,edge=0.5")
    end = next(iter(data.values())).index[599]
    pipe = MLPipeline(**MODEL, random_state=1).fit(data, train_end=end)
    history = {s: df.iloc[600 - pipe.warmup + 1:660] for s, df in data.items()}  # first full row: bar 600
    lines = pipe.predict_frame(history)
    params = {"min_confidence": 0.55, "max_risk": 10.0}
    batch = run_backtest(history, "tradeforge.strategies.ml:MLStrategy", params,
                         extra_lines={s: {k: f[k].to_numpy() for k in f.columns} for s, f in lines.items()})
    live_predictor = _Recording(pipe)
    live = run_backtest(history, "tradeforge.strategies.ml:MLStrategy",
                        {**params, "predictor": live_predictor})
    for sym, frame in lines.items():
        seen = {t: v for (s, t), v in live_predictor.seen.items() if s == sym}
        seen = pd.DataFrame.from_dict(seen, orient="index")[list(frame.columns)]
        assert len(seen) >= 60
        pd.testing.assert_frame_equal(seen, frame.loc[seen.index], check_exact=True, check_names=False,
                                      check_freq=False)
    assert len(batch.orders) > 0
    pd.testing.assert_frame_equal(live.orders, batch.orders, check_exact=True)
    pd.testing.assert_frame_equal(live.trades, batch.trades, check_exact=True)
