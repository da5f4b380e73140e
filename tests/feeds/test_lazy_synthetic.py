"""synth:...,lazy=1 - the lazily built universe: deterministic, prefix- and subset-stable, scanner tails equal
the frames, validated frames through feeds.load, the planted edge present."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tradeforge.errors import ConfigError
from tradeforge.feeds import load, validate_ohlcv
from tradeforge.feeds.lazy_synthetic import LazyUniverse, lazy_universe, synth_from_spec


def _momentum_score(close: pd.Series) -> float:
    r = np.log(close).diff()
    return float((r * np.sign(r.rolling(5).sum().shift(1))).mean() / r.std())


def test_deterministic_prefix_and_subset_stable():
    a = lazy_universe(symbols=4, bars=3000, freq="1m", seed=3, edge=0.2)
    b = lazy_universe(symbols=4, bars=3000, freq="1m", seed=3, edge=0.2)
    short = lazy_universe(symbols=2, bars=1200, freq="1m", seed=3, edge=0.2)
    for sym in ("SYN01", "SYN00"):  # any order of reading
        pd.testing.assert_frame_equal(a[sym], b[sym])
        pd.testing.assert_frame_equal(short[sym], a[sym].iloc[:1200])
    assert not np.allclose(a["SYN00"]["close"], a["SYN01"]["close"])
    other = lazy_universe(symbols=4, bars=3000, freq="1m", seed=4, edge=0.2)
    assert not np.allclose(a["SYN02"]["close"], other["SYN02"]["close"])


def test_stack_tail_equals_the_frames_inside_and_outside_the_kept_tail():
    u = lazy_universe(symbols=5, bars=2000, freq="1m", seed=1, tail=120)
    for at in (u.index[-1], u.index[-37], u.index[700]):
        names, mats = u.stack_tail(at, 101, ("close", "volume", "high"))
        assert names == sorted(names) and len(names) == 5
        for i, s in enumerate(names):
            frame = u[s].loc[:at]
            for c in ("close", "volume", "high"):
                np.testing.assert_array_equal(mats[c][i], frame[c].to_numpy()[-101:])
    names, _ = u.stack_tail(u.index[50], 101)  # fewer bars than asked: nobody
    assert names == []


def test_load_spec_gives_validated_frames_and_checks_lazy():
    frames = load("synth:symbols=3,bars=900,freq=5m,seed=2,lazy=1")
    lazy = synth_from_spec("symbols=3,bars=900,freq=5m,seed=2,lazy=1")
    assert isinstance(lazy, LazyUniverse) and list(frames) == ["SYN00", "SYN01", "SYN02"]
    for sym, df in frames.items():
        pd.testing.assert_frame_equal(df, validate_ohlcv(lazy[sym], sym))
        assert df.attrs["bar"] == pd.Timedelta(minutes=5)
        assert df.index[0] == pd.Timestamp("2020-01-01 09:30")
        assert (df.index.hour < 16).all() and (df.index.dayofweek < 5).all()
    with pytest.raises(ConfigError, match="lazy"):
        load("synth:symbols=3,lazy=2")


def test_planted_momentum_edge_is_there_and_only_when_planted():
    edge = lazy_universe(symbols=3, bars=20_000, freq="1m", seed=0, edge=0.3)
    noise = lazy_universe(symbols=3, bars=20_000, freq="1m", seed=0, edge=0.0)
    for sym in edge:
        assert _momentum_score(edge[sym]["close"]) > 0.1
        assert abs(_momentum_score(noise[sym]["close"])) < 0.03
