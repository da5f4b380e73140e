"""synth: universes — determinism, causality of the planted edge, calendar, statistics, spec errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tradeforge.errors import ConfigError
from tradeforge.feeds import load
from tradeforge.feeds.synthetic import parse_synth_spec, synthetic_universe


@pytest.fixture(scope="module")
def daily() -> dict[str, pd.DataFrame]:
    return load("synth:symbols=5,bars=2000,freq=1d,seed=0")


def _log_returns(data: dict[str, pd.DataFrame]) -> pd.DataFrame:
    return pd.DataFrame({k: np.log(v["close"]).diff() for k, v in data.items()}).dropna()


def _momentum_score(close: pd.Series) -> float:
    r = np.log(close).diff()
    return float((r * np.sign(r.rolling(5).sum().shift(1))).mean() / r.std())


def test_seeded_and_reproducible(daily):
    again = load("synth:symbols=5,bars=2000,freq=1d,seed=0")
    for sym in daily:
        pd.testing.assert_frame_equal(daily[sym], again[sym])
    other = synthetic_universe(symbols=5, bars=2000, seed=1)
    assert not np.allclose(other["SYN00"]["close"], daily["SYN00"]["close"])
    assert list(daily) == ["SYN00", "SYN01", "SYN02", "SYN03", "SYN04"]
    assert daily["SYN00"].attrs == {"symbol": "SYN00", "bar": pd.Timedelta(days=1)}


def test_prefix_stable_so_edge_is_causal():
    long = synthetic_universe(symbols=3, bars=600, seed=3, edge=0.3)
    short = synthetic_universe(symbols=2, bars=250, seed=3, edge=0.3)  # fewer symbols and bars
    for sym in short:
        pd.testing.assert_frame_equal(short[sym], long[sym].iloc[:250])


def test_calendar_daily_and_intraday(daily):
    assert (daily["SYN00"].index.dayofweek < 5).all()
    assert daily["SYN00"].index[0] == pd.Timestamp("2020-01-01")
    hourly = synthetic_universe(symbols=1, bars=30, freq="1h", start="2024-01-05")["SYN00"]  # a Friday
    assert sorted(set(hourly.index.strftime("%H:%M"))) == [
        "09:30", "10:30", "11:30", "12:30", "13:30", "14:30"
    ]
    assert (hourly.index.dayofweek < 5).all() and hourly.index[6] == pd.Timestamp("2024-01-08 09:30")
    minutes = synthetic_universe(symbols=1, bars=800, freq="1m")["SYN00"]
    assert minutes.index.indexer_between_time("09:30", "15:59").size == 800
    assert minutes.attrs["bar"] == pd.Timedelta(minutes=1)


def test_statistics_correlation_garch_volume(daily):
    r = _log_returns(daily)
    corr = r.corr().to_numpy()[np.triu_indices(5, 1)]
    assert 0.4 < corr.mean() < 0.6
    clustering = np.mean([r[c].abs().autocorr(1) for c in r])
    assert clustering > 0.05  # GARCH volatility clustering
    vol_link = np.mean([
        pd.Series(daily[c]["volume"].iloc[1:].to_numpy()).corr(r[c].abs().reset_index(drop=True),
                                                               method="spearman")
        for c in r
    ])
    assert vol_link > 0.2
    assert abs(np.mean([_momentum_score(daily[c]["close"]) for c in daily])) < 0.05  # edge=0: no momentum


def test_planted_edge_is_learnable():
    data = synthetic_universe(symbols=3, bars=3000, seed=5, edge=0.2)
    assert np.mean([_momentum_score(df["close"]) for df in data.values()]) > 0.12


@pytest.mark.parametrize(
    "spec, match",
    [
        ("synth:symbol=5", "unknown synth key 'symbol'. Did you mean 'symbols'"),
        ("synth:freq=2h", "unknown freq '2h'"),
        ("synth:bars=ten", "bars='ten' is not a valid int"),
        ("synth:corr=1.5", "corr: expected 0 <= corr < 1"),
        ("synth:bars", "expected key=value"),
    ],
)
def test_spec_errors(spec, match):
    with pytest.raises(ConfigError, match=match):
        load(spec)


def test_parse_spec_defaults():
    assert parse_synth_spec("") == parse_synth_spec("symbols=5,bars=2000,freq=1d,seed=0")
    assert parse_synth_spec("Seed=7,edge=0.1")["seed"] == 7
