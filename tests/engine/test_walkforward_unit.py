"""Walk-forward without models: folds, statistics, sma_cross end to end, truncation, determinism, CLI,
errors."""

from __future__ import annotations

import doctest
import json
import math

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from tradeforge.engine import config, data, results, walkforward
from tradeforge.engine.cli import main
from tradeforge.engine.walkforward import executors, run_walkforward, splits, stats, write_walkforward
from tradeforge.errors import ConfigError, DataError
from tradeforge.feeds import load

SMA = {"fast": 5, "slow": 20}


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    return load("synth:symbols=2,bars=500,seed=7")


@pytest.fixture(scope="module")
def sma_run(frames):
    return run_walkforward(frames, "sma_cross", SMA, train_bars=200, test_bars=100, workers=1)


def test_doctests():
    for module in (splits, stats, executors, config, data, results):
        assert doctest.testmod(module).failed == 0


def test_folds_rolling_anchored_and_warmup():
    idx = pd.date_range("2024-01-01", periods=23, freq="D")
    rolling = splits.make_folds(idx, 10, 5, warmup_bars=3)
    assert [(f.warm_lo, f.train_lo, f.test_lo, f.test_hi) for f in rolling] == [(0, 0, 10, 15),
                                                                                 (2, 5, 15, 20)]
    assert rolling[1].train_end == idx[14] and rolling[1].test_start == idx[15]
    assert rolling[1].test_end == idx[19]
    anchored = splits.make_folds(idx, 10, 5, anchored=True)
    assert [(f.train_lo, f.test_lo) for f in anchored] == [(0, 10), (0, 15)]
    assert rolling[1].as_row()["train_bars"] == 10 and rolling[1].as_row()["warmup_bars"] == 3


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(train_bars=10, test_bars=0), ConfigError, "test_bars"),
    (dict(train_bars=0, test_bars=5), ConfigError, "train_bars"),
    (dict(train_bars=20, test_bars=5), DataError, "exceed the 23 bars"),
    (dict(train_bars=10, test_bars=5, warmup_bars=-1), ConfigError, "warmup_bars"),
])
def test_fold_errors(kwargs, error, words):
    with pytest.raises(error, match=words):
        splits.make_folds(pd.date_range("2024-01-01", periods=23, freq="D"), **kwargs)


def test_psr_matches_formula_and_dsr_is_stricter():
    r = np.random.default_rng(3).standard_t(5, 800) * 0.01 + 0.001
    sr = r.mean() / r.std(ddof=1)
    c = r - r.mean()
    g3, g4 = np.mean(c**3) / np.mean(c**2) ** 1.5, np.mean(c**4) / np.mean(c**2) ** 2
    z = sr * math.sqrt(len(r) - 1) / math.sqrt(1 - g3 * sr + (g4 - 1) / 4 * sr**2)
    assert stats.probabilistic_sharpe(r) == pytest.approx(0.5 * (1 + math.erf(z / math.sqrt(2))), rel=1e-12)
    trials = np.array([0.02, 0.08, -0.01, 0.05, 0.1])
    assert stats.expected_max_sharpe(trials) > 0
    assert stats.deflated_sharpe(r, trials) < stats.probabilistic_sharpe(r)
    assert math.isnan(stats.deflated_sharpe(r, np.array([0.1])))


def test_sma_walkforward_stitches_folds(sma_run, frames):
    r = sma_run
    assert list(r.folds["fold"]) == [0, 1, 2] and len(r.equity) == 300
    assert r.equity.index[0] == frames["SYN00"].index[200]
    # one continuous run: each fold's return is cut from it (from the value at the close before the window)
    per_fold = r.equity.groupby(np.repeat([0, 1, 2], 100)).last().to_numpy()
    starts = np.concatenate([[r.cash], per_fold[:-1]])
    np.testing.assert_allclose(per_fold / starts - 1.0, r.folds["total_return"].to_numpy(), rtol=1e-12)
    # no trade opens before the first test bar; a trade belongs to the fold it closes in, and positions
    # carry over fold boundaries (some trade opens in one fold and closes in a later one)
    entry = pd.to_datetime(r.trades["entry_date"])
    assert (entry >= r.folds.loc[0, "test_start"]).all()
    for fold, group in r.trades.groupby("fold"):
        row = r.folds.loc[fold]
        assert pd.to_datetime(group["exit_date"]).between(row["test_start"], row["test_end"]).all()
    assert (entry < pd.DatetimeIndex(r.folds.loc[r.trades["fold"], "test_start"])).any()
    assert r.metrics["folds"] == 3 and r.metrics["n_trades"] == len(r.trades) > 0
    assert set(r.metrics["buy_and_hold"]) >= {"sharpe", "total_return", "max_drawdown"}
    assert list(r.predictions.columns) == ["datetime", "fold", "symbol"] and len(r.predictions) == 0


def test_truncation_leaves_earlier_folds_unchanged(sma_run, frames):
    longer = load("synth:symbols=2,bars=700,seed=7")
    for sym, df in frames.items():  # same generator: the first 500 bars are the same bars
        pd.testing.assert_frame_equal(longer[sym].iloc[:500], df)
    r = run_walkforward(longer, "sma_cross", SMA, train_bars=200, test_bars=100, workers=1)
    assert len(r.folds) == 5
    pd.testing.assert_frame_equal(r.folds.iloc[:3], sma_run.folds)
    pd.testing.assert_frame_equal(r.trades[r.trades["fold"] < 3], sma_run.trades)
    pd.testing.assert_series_equal(r.equity.iloc[:300], sma_run.equity)


def test_outputs_deterministic(sma_run, frames, tmp_path):
    again = run_walkforward(frames, "sma_cross", SMA, train_bars=200, test_bars=100, workers=1)
    a = write_walkforward(sma_run, tmp_path / "a")
    b = write_walkforward(again, tmp_path / "b", tearsheet=False)
    for name in ("predictions.csv", "trades.csv", "orders.csv", "equity.csv", "folds.csv", "metrics.json"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert (a / "tearsheet.html").stat().st_size > 10_000 and (a / "folds.png").stat().st_size > 0
    assert "seconds" not in json.loads((a / "metrics.json").read_text())
    assert json.loads((a / "timings.json").read_text())["total"] > 0


def test_cli_json_prints_only_json(tmp_path):
    args = ["walkforward", "--strategy", "sma_cross", "--data", "synth:symbols=1,bars=400,seed=2",
            "--train-bars", "200", "--test-bars", "100", "--workers", "1", "--param", "fast=5", "--json",
            "--no-tearsheet", "--out", str(tmp_path)]
    res = CliRunner().invoke(main, args, catch_exceptions=False, standalone_mode=False)
    metrics = json.loads(res.stdout)
    assert metrics["folds"] == 2 and "psr" in metrics and "dsr" in metrics
    assert (tmp_path / "trades.csv").exists()


@pytest.mark.parametrize("args, words", [
    (["--test-bars", "0"], "test_bars: expected an integer >= 2, got 0"),
    (["--train-bars", "5000"], "train_bars=5000 + test_bars=100 exceed the 400 bars"),
    (["--strategy", "sma_crss"], "unknown strategy 'sma_crss'. Did you mean 'sma_cross'?"),
    (["--param", "fsat=3"], "unknown SmaCross parameter 'fsat'. Did you mean 'fast'?"),
    (["--param", "fast=abc"], "parameter 'fast': cannot use 'abc'"),
    (["--workers", "0"], "workers: expected an integer >= 1, got 0"),
])
def test_cli_bad_arguments_one_line(args, words):
    base = ["walkforward", "--strategy", "sma_cross", "--data", "synth:symbols=1,bars=400,seed=2",
            "--train-bars", "200", "--test-bars", "100", "--workers", "1", "--no-tearsheet", "--out",
            "/tmp/x"]
    res = CliRunner().invoke(main, [*base, *args])
    assert res.exit_code == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tradeforge: error: ") and words in lines[0], res.stderr


def test_ml_param_errors():
    with pytest.raises(ConfigError, match="unknown MLStrategy or model parameter 'lstm_epoch'. Did you mean"):
        run_walkforward("synth:symbols=1,bars=300", "ml", {"lstm_epoch": 2}, train_bars=100, test_bars=100)
    with pytest.raises(ConfigError, match="'random_state' cannot be set.*--seed"):
        run_walkforward("synth:symbols=1,bars=300", "ml", {"random_state": 2}, train_bars=100, test_bars=100)
    with pytest.raises(ConfigError, match="model parameter 'fast': cannot use 'maybe'"):
        run_walkforward("synth:symbols=1,bars=300", "ml", {"fast": "maybe"}, train_bars=100, test_bars=100)


def test_module_doctests_run():
    assert doctest.testmod(walkforward).failed == 0
