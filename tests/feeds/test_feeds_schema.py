"""validate_ohlcv: canonical output, every rule, lenient mode, property tests."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tradeforge.errors import DataError
from tradeforge.feeds import validate_ohlcv


def _bars(n: int = 6, seed: int = 0, start: str = "2024-01-01") -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    open_ = close * np.exp(rng.normal(0, 0.005, n))
    high = np.maximum(open_, close) * (1 + rng.uniform(0, 0.01, n))
    low = np.minimum(open_, close) * (1 - rng.uniform(0, 0.01, n))
    idx = pd.date_range(start, periods=n, freq="D", name="datetime")
    return pd.DataFrame({"open": open_, "high": high, "low": low, "close": close,
                         "volume": rng.integers(0, 1000, n).astype(float)}, index=idx)


def test_canonical_output_from_messy_columns():
    raw = _bars().reset_index()
    raw.columns = ["Date", "OPEN", "High", "low", "Close", "Volume"]
    raw["Volume"] = raw["Volume"].astype(int)
    raw["note"] = "x"
    out = validate_ohlcv(raw, "demo.csv")
    assert list(out.columns) == ["open", "high", "low", "close", "volume"]
    assert out.index.name == "datetime" and out.index.tz is None
    assert all(out.dtypes == np.float64)
    assert out.attrs["bar"] == pd.Timedelta(days=1)
    pd.testing.assert_frame_equal(out, _bars(), check_freq=False)


def test_keep_extra_columns_and_adjust():
    raw = _bars()
    raw["Adj Close"] = raw["close"] / 2
    raw["signal"] = np.arange(len(raw), dtype=float)
    out = validate_ohlcv(raw, keep=["signal"], adjust=True)
    assert list(out.columns) == ["open", "high", "low", "close", "volume", "signal"]
    prices = ["open", "high", "low", "close"]
    np.testing.assert_allclose(out[prices], raw[prices] / 2)
    np.testing.assert_array_equal(out["volume"], raw["volume"])
    assert "Adj Close" not in validate_ohlcv(raw).columns  # ignored by default


def test_tz_aware_converts_to_wall_clock():
    raw = _bars()
    raw.index = pd.date_range("2024-03-08 09:30", periods=6, freq="D", tz="America/New_York")
    out = validate_ohlcv(raw)
    assert out.attrs["tz"] == "America/New_York"
    assert (out.index.hour == 9).all() and (out.index.minute == 30).all()  # across the DST change


@pytest.mark.parametrize(
    "corrupt, match",
    [
        (lambda d: d.iloc[:0], "empty"),
        (lambda d: d.drop(columns=["volume", "low"]), r"missing column\(s\) low, volume; found"),
        (lambda d: d.reset_index(drop=True), "no timestamps"),
        (lambda d: d.set_axis(["2024-01-01", "2024-01-02", "bad", "2024-01-04", "2024-01-05", "2024-01-06"]),
         r"row 2 .*unparseable timestamp"),
        (lambda d: d.set_axis(pd.Index([pd.Timestamp("2024-01-01", tz="UTC")] * 3
                                       + [pd.Timestamp("2024-01-05", tz="Europe/Paris")] * 3, dtype=object)),
         r"row 3 .*mixed time zones"),
        (lambda d: d.set_axis([f"2024-03-0{i + 4} 09:30{'-05:00' if i < 5 else '-04:00'}" for i in range(6)]),
         r"row 5 .*mixed time zones/offsets: UTC-05:00 at row 0 but UTC-04:00 here"),
        (lambda d: d.assign(close=d.close.where(d.index != d.index[4], np.inf)), r"row 4 .*close is inf"),
        (lambda d: d.assign(open=d.open.where(d.index != d.index[1], -1.0)), r"row 1 .*non-positive price"),
        (lambda d: d.assign(high=d.high.where(d.index != d.index[3], 1.0), low=0.5), r"row 3 .*high"),
        (lambda d: d.assign(low=d.low.where(d.index != d.index[2], 1e9)), r"row 2 .*low"),
        (lambda d: d.assign(volume=d.volume.where(d.index != d.index[5], -5.0)), r"row 5 .*negative volume"),
        (lambda d: d.iloc[[0, 1, 3, 2, 4, 5]], r"row 3 .*not sorted"),
        (lambda d: d.iloc[[0, 1, 2, 2, 3, 4]], r"row 3 .*duplicate timestamp"),
        (lambda d: d.set_axis(pd.Index(np.arange(6) + 20240101)), r"numeric timestamps"),
        (lambda d: d.assign(volume=["1", "2", "x", "4", "5", "6"]), r"row 2 .*volume is not a number"),
    ],
)
def test_each_rule_raises_naming_name_and_row(corrupt, match):
    with pytest.raises(DataError, match=match) as info:
        validate_ohlcv(corrupt(_bars()), "AAPL.csv")
    assert str(info.value).startswith("AAPL.csv:")
    assert "Fix:" in str(info.value)


def test_lenient_sorts_and_drops_exact_duplicates(caplog):
    bars = _bars()
    messy = bars.iloc[[0, 2, 1, 3, 3, 4, 5, 5]]
    with caplog.at_level(logging.WARNING):
        out = validate_ohlcv(messy, "m", lenient=True)
    pd.testing.assert_frame_equal(out, bars, check_freq=False)
    assert out.attrs["lenient_report"] == {"sorted_rows": 2, "dropped_duplicates": 2}
    assert "sorted 2 row(s) and dropped 2" in caplog.text


def test_lenient_refuses_conflicting_duplicates():
    bars = _bars()
    conflict = pd.concat([bars, bars.iloc[[2]].assign(close=bars.close.iloc[2] * 1.001)])
    with pytest.raises(DataError, match=r"row 6 .*different values than row 2"):
        validate_ohlcv(conflict, lenient=True)


def test_lenient_does_not_repair_values():
    bad = _bars().assign(volume=-1.0)
    with pytest.raises(DataError, match="negative volume"):
        validate_ohlcv(bad, lenient=True)


_SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


_price = st.floats(1e-4, 1e6, allow_nan=False, allow_infinity=False)
_wick = st.floats(0.0, 1.0, allow_nan=False)


@st.composite
def _valid_bars(draw) -> pd.DataFrame:
    """Any valid OHLCV: positive open/close, wicks that keep low <= min and high >= max, volume >= 0."""
    n = draw(st.integers(1, 30))
    rows = []
    for _ in range(n):
        o, c, up, down = draw(_price), draw(_price), draw(_wick), draw(_wick)
        vol = draw(st.floats(0.0, 1e12, allow_nan=False))
        rows.append((o, max(o, c) * (1 + up), min(o, c) * (1 - 0.99 * down), c, vol))
    gaps = draw(st.lists(st.integers(1, 10**6), min_size=n, max_size=n))
    index = pd.DatetimeIndex(pd.Timestamp("2000-01-01") + pd.to_timedelta(np.cumsum(gaps), unit="s"),
                             name="datetime")
    return pd.DataFrame(rows, index=index, columns=["open", "high", "low", "close", "volume"])


@_SETTINGS
@given(bars=_valid_bars())
def test_property_valid_data_passes_unchanged(bars):
    pd.testing.assert_frame_equal(validate_ohlcv(bars), bars, check_freq=False)


_CORRUPTIONS = {  # kind -> the rule the message must name
    "nan": "close is nan",
    "nonpos": "non-positive price",
    "high": "high",
    "low": "low",
    "volume": "negative volume",
    "unsorted": "not sorted",
    "duplicate": "duplicate timestamp",
}


def _inject(df: pd.DataFrame, kind: str, r: int) -> pd.DataFrame:
    d = df.copy()
    col = d.columns.get_loc
    if kind == "nan":
        d.iloc[r, col("close")] = np.nan
    elif kind == "nonpos":
        d.iloc[r, col("open")] = 0.0
    elif kind == "high":
        d.iloc[r, col("high")] = d.iloc[r][["open", "close"]].max() * 0.999
    elif kind == "low":
        d.iloc[r, col("low")] = d.iloc[r][["open", "close"]].min() * 1.001
    elif kind == "volume":
        d.iloc[r, col("volume")] = -1.0
    elif kind == "unsorted":  # row r goes before its predecessor
        idx = d.index.to_numpy().copy()
        idx[r] = idx[r - 1] - pd.Timedelta(hours=1)
        d.index = pd.DatetimeIndex(idx, name="datetime")
    elif kind == "duplicate":
        idx = d.index.to_numpy().copy()
        idx[r] = idx[r - 1]
        d.index = pd.DatetimeIndex(idx, name="datetime")
    return d


@_SETTINGS
@given(n=st.integers(2, 40), seed=st.integers(0, 2**16), kind=st.sampled_from(sorted(_CORRUPTIONS)),
       data=st.data())
def test_property_corruption_raises_naming_row(n, seed, kind, data):
    first = 1 if kind in ("unsorted", "duplicate") else 0  # these need a predecessor
    r = data.draw(st.integers(first, n - 1))
    bad = _inject(_bars(n, seed), kind, r)
    with pytest.raises(DataError, match=_CORRUPTIONS[kind]) as info:
        validate_ohlcv(bad, "X")
    assert f"X: row {r} (timestamp {bad.index[r]})" in str(info.value)
