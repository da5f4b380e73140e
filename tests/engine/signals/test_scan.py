"""Stage 1: the vectorised scanner against per-symbol references, stale/short symbols, no lookahead."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tradeforge import indicators as ta
from tradeforge.engine.signals import load_universe, scan
from tradeforge.engine.signals.scan import SCAN_COLUMNS
from tradeforge.errors import ConfigError

SPEC = "synth:symbols=40,bars=300,freq=5m,seed=1"


@pytest.fixture(scope="module")
def uni():
    return load_universe(SPEC)


def test_measures_equal_per_symbol_references(uni):
    table = scan(uni.frames, uni.at, bars=100).set_index("symbol")
    assert list(table.columns) == [*SCAN_COLUMNS[1:], "rank"] and len(table) == 40
    for sym in ("SYN00", "SYN17", "SYN39"):
        df = uni.frames[sym].iloc[-101:]
        close, vol = df["close"].to_numpy(), df["volume"].to_numpy()
        row = table.loc[sym]
        assert row["rsi"] == pytest.approx(ta.rsi(close, 14)[-1], rel=1e-12)  # TA-Lib's RSI on the window
        assert row["change"] == pytest.approx(close[-1] / close[0] - 1.0, rel=1e-12)
        assert row["rvol"] == pytest.approx(vol[-5:].mean() / vol[:-5].mean(), rel=1e-12)
        logc = np.log(close)
        slope = np.polyfit(np.arange(101.0), logc, 1)[0]
        assert row["trend"] == pytest.approx(slope / np.diff(logc).std(), rel=1e-9)
        assert row["price"] == close[-1]


def test_score_is_0_to_100_sorted_and_ranked(uni):
    table = scan(uni.frames, uni.at, bars=100)
    scores = table["momentum_score"].to_numpy()
    assert ((scores >= 0) & (scores <= 100)).all() and (np.diff(scores) <= 0).all()
    assert table["rank"].tolist() == list(range(1, 41))
    assert scan(uni.frames, uni.at, bars=100, keep=7).equals(table.head(7))
    # the ranks of change and trend are cross-sectional: the best change ranks 1.0
    best = table.loc[table["change"].idxmax()]
    assert best["momentum_score"] >= 25.0 * 1.0


def test_stale_and_short_symbols_are_skipped(uni):
    frames = dict(uni.frames)
    frames["STALE"] = frames["SYN00"].iloc[:-3]
    frames["SHORT"] = frames["SYN01"].iloc[-50:]
    table = scan(frames, uni.at, bars=100)
    assert "STALE" not in set(table["symbol"]) and "SHORT" not in set(table["symbol"])
    assert len(table) == 40


def test_cut_universe_scans_like_the_full_one_at_that_bar(uni):
    at = uni.frames["SYN00"].index[200]
    cut = load_universe(SPEC, at=at)
    assert cut.at == at and all(df.index[-1] <= at for df in cut.frames.values())
    frames = {s: df.loc[:at] for s, df in uni.frames.items()}
    pd.testing.assert_frame_equal(scan(cut.frames, at), scan(frames, at), check_exact=True)


def test_universe_has_benchmarks_and_refuses_missing_ones(uni, tmp_path):
    assert sorted(uni.benchmarks) == ["QQQ", "SPY"] and "SPY" not in uni.frames
    uni.frames["SYN00"].to_csv(tmp_path / "AAA.csv")
    with pytest.raises(ConfigError, match="--benchmarks"):
        load_universe(str(tmp_path))
