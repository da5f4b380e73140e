"""Targets: forward log returns and triple-barrier labels on crafted price paths."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tradeforge.errors import ConfigError, DataError
from tradeforge.feeds import load
from tradeforge.models.targets import forward_log_return, triple_barrier


def _bars(open_, high, low, close) -> pd.DataFrame:
    idx = pd.date_range("2024-01-01", periods=len(close), freq="D", name="datetime")
    return pd.DataFrame({"open": open_, "high": high, "low": low, "close": close, "volume": 1.0}, index=idx)


def _flat_then(bar_high: float, bar_low: float, bar_open: float = 100.0, n: int = 6) -> pd.DataFrame:
    """Flat bars at 100, except bar 2 with the given range (the signal bar is 0, entry at open[1])."""
    o, h, lo, c = (np.full(n, 100.0) for _ in range(4))
    o[2], h[2], lo[2] = bar_open, bar_high, bar_low
    return _bars(o, h, lo, c)


def test_forward_log_return_values_and_nan_tail():
    index = pd.date_range("2024-01-01", periods=4, name="datetime")
    close = pd.Series([100.0, 110.0, 99.0, 120.0], index=index)
    r = forward_log_return(close, 2)
    assert r.name == "fwd_logret_2" and r.index.equals(close.index)
    np.testing.assert_allclose(r.to_numpy()[:2], np.log([99.0 / 100.0, 120.0 / 110.0]))
    assert r.iloc[2:].isna().all()
    np.testing.assert_allclose(close.iloc[0] * np.exp(r.iloc[0]), close.iloc[2])  # price = close * exp(ret)
    both = forward_log_return(close, [1, 3])
    assert list(both.columns) == ["fwd_logret_1", "fwd_logret_3"]
    np.testing.assert_allclose(both["fwd_logret_3"].iloc[0], np.log(1.2))


def test_take_profit_hit():
    out = triple_barrier(_flat_then(105.0, 99.0), horizon=4, take_profit=0.04, stop_loss=0.02)
    row = out.iloc[0]
    assert row["barrier"] == 1 and row["label"] == 1.0 and row["exit_offset"] == 2
    assert row["ret"] == pytest.approx(0.04)  # filled at the limit, not at the high
    assert row["label_end"] == 2 and row["exit_time"] == out.index[2]


def test_stop_loss_hit_and_gap_through_the_stop():
    out = triple_barrier(_flat_then(100.5, 97.0), horizon=4, take_profit=0.04, stop_loss=0.02)
    assert out.iloc[0]["barrier"] == -1 and out.iloc[0]["label"] == 0.0
    assert out.iloc[0]["ret"] == pytest.approx(-0.02)
    gap = triple_barrier(_flat_then(96.0, 95.0, bar_open=96.0), horizon=4, take_profit=0.04, stop_loss=0.02)
    assert gap.iloc[0]["ret"] == pytest.approx(-0.04)  # a gap through the stop fills at the open


def test_both_barriers_in_one_bar_count_as_the_stop():
    out = triple_barrier(_flat_then(106.0, 97.0), horizon=4, take_profit=0.04, stop_loss=0.02)
    assert out.iloc[0]["barrier"] == -1 and out.iloc[0]["label"] == 0.0


def test_time_limit_exits_at_the_close_of_the_last_bar():
    close = np.array([100.0, 100.0, 101.0, 101.5, 100.0, 100.0, 100.0])
    df = _bars(close, close + 0.5, close - 0.5, close)
    out = triple_barrier(df, horizon=3, take_profit=0.04, stop_loss=0.02)
    assert out.iloc[0]["barrier"] == 0 and out.iloc[0]["exit_offset"] == 3
    assert out.iloc[0]["ret"] == pytest.approx(101.5 / 100.0 - 1) and out.iloc[0]["label"] == 1.0
    assert out.iloc[1]["ret"] == pytest.approx(100.0 / 101.0 - 1) and out.iloc[1]["label"] == 0.0
    # not enough future bars and no barrier touched: unknown, not a guess
    assert out.iloc[-3:]["label"].isna().all() and out.iloc[-3:]["exit_time"].isna().all()
    assert out["label_end"].isna().sum() == 3
    known = out["label_end"].dropna()
    ends = np.flatnonzero(out["label"].notna()) + out["exit_offset"].dropna().to_numpy()
    assert (known.to_numpy() == ends).all()
    assert out["exit_offset"].isna().sum() == 3


def test_volatility_barriers():
    df = _flat_then(103.0, 99.5)
    vol = pd.Series(0.01, index=df.index)
    wide = triple_barrier(df, horizon=4, vol=vol, vol_mult=(4.0, 1.0))  # tp 4%, sl 1%
    narrow = triple_barrier(df, horizon=4, vol=vol, vol_mult=2.5)  # tp 2.5%, sl 2.5%
    assert wide.iloc[0]["barrier"] == 0 and narrow.iloc[0]["barrier"] == 1
    df["sigma"] = np.where(np.arange(len(df)) == 0, np.nan, 0.01)
    assert np.isnan(triple_barrier(df, horizon=4, vol="sigma", vol_mult=2.5).iloc[0]["label"])


def test_labels_do_not_change_when_data_after_label_end_is_cut():
    df = load("sample:sp500")["SP500"].iloc[:400]
    full = triple_barrier(df, horizon=5, take_profit=0.015, stop_loss=0.015)
    assert set(full["barrier"].dropna().unique()) == {-1, 0, 1}
    rng = np.random.default_rng(0)
    for cut in rng.integers(20, len(df), 8):
        part = triple_barrier(df.iloc[:cut], horizon=5, take_profit=0.015, stop_loss=0.015)
        settled = (full.iloc[:cut]["label_end"] <= cut - 1).fillna(False).to_numpy(dtype=bool)
        pd.testing.assert_frame_equal(part[settled], full.iloc[:cut][settled])
        assert part[~settled]["label"].isna().all()  # what needs later bars is unknown, never guessed


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"horizon": 0}, ConfigError, r"horizon: expected an integer number of bars >= 1, got 0"),
        ({"stop_loss": 1.5}, ConfigError, r"stop_loss: expected a fraction"),
        ({"vol_mult": 2.0}, ConfigError, "vol_mult is set but vol is None"),
        ({"vol": "atr"}, ConfigError, "vol is set but vol_mult is None"),
        ({"vol": "atr", "vol_mult": 2.0}, ConfigError, "no column 'atr'"),
        ({"vol": np.ones(3), "vol_mult": 2.0}, DataError, "expected 6 values"),
    ],
)
def test_bad_arguments_raise_errors_naming_them(kwargs, error, message):
    with pytest.raises(error, match=message):
        triple_barrier(_flat_then(101.0, 99.0), **kwargs)


def test_bad_prices_raise_data_errors_naming_the_row():
    df = _flat_then(101.0, 99.0)
    df.iloc[3, df.columns.get_loc("low")] = -1.0
    with pytest.raises(DataError, match=r"low: expected positive finite prices, got -1.0 at row 3"):
        triple_barrier(df)
    with pytest.raises(DataError, match="at row 1"):
        forward_log_return(np.array([1.0, np.nan, 2.0]))


def test_label_end_is_the_purge_array_of_the_walk_forward_split():
    from tradeforge.models.validation import WalkForwardSplit

    df = load("sample:sp500")["SP500"].iloc[:300]
    tb = triple_barrier(df, horizon=10, take_profit=0.02, stop_loss=0.02).dropna(subset=["label"])
    label_end = tb["label_end"].to_numpy(dtype=np.int64)  # known labels only: the tail was dropped
    split = WalkForwardSplit(n_splits=3, purge=label_end)
    folds = list(split.split(np.zeros((len(tb), 1))))
    assert len(folds) == 3
    for train, test in folds:
        assert (label_end[train] < test[0]).all()  # no training label reaches into the test block
