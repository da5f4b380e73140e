"""CSV/Parquet files and directories: round trips, symbols, timestamp columns, errors naming the file."""

from __future__ import annotations

import pandas as pd
import pytest

from tradeforge.errors import ConfigError, DataError
from tradeforge.feeds import load
from tradeforge.feeds.files import load_directory, load_file, save_ohlcv, symbol_of
from tradeforge.feeds.synthetic import synthetic_universe


@pytest.fixture(scope="module")
def minutes() -> pd.DataFrame:
    return synthetic_universe(symbols=1, bars=300, freq="5m", seed=2)["SYN00"]


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz", ".parquet"])
def test_round_trip(tmp_path, minutes, suffix):
    path = save_ohlcv(minutes, tmp_path / f"abc{suffix}")
    back = load_file(path)
    pd.testing.assert_frame_equal(back, minutes)
    assert back.attrs["symbol"] == "ABC" and back.attrs["bar"] == pd.Timedelta(minutes=5)


def test_parquet_keeps_tz_attr(tmp_path, minutes):
    df = minutes.copy()
    df.attrs = {**minutes.attrs, "tz": "America/New_York"}
    back = load_file(save_ohlcv(df, tmp_path / "x.parquet"))
    assert back.attrs["tz"] == "America/New_York"
    pd.testing.assert_frame_equal(back, minutes)


@pytest.mark.parametrize("time_col", ["Date", "TIMESTAMP", "time", "Datetime"])
def test_csv_time_column_and_case(tmp_path, time_col):
    path = tmp_path / "spy.csv"
    path.write_text(f"{time_col},Open,HIGH,low,Close,Adj Close,Volume\n"
                    "2024-01-02,10,11,9,10.5,5.25,100\n2024-01-03,10.5,12,10,11,5.5,200\n")
    df = load(path)["SPY"]
    assert list(df["close"]) == [10.5, 11.0] and df.index[1] == pd.Timestamp("2024-01-03")
    assert list(load(str(path), adjust=True)["SPY"]["close"]) == [5.25, 5.5]


def test_directory_is_a_universe(tmp_path, minutes):
    save_ohlcv(minutes, tmp_path / "msft.parquet")
    save_ohlcv(minutes, tmp_path / "aapl.csv")
    (tmp_path / "README.txt").write_text("not data")
    data = load(str(tmp_path), start="2020-01-01 10:00", end="2020-01-01")
    assert list(data) == ["AAPL", "MSFT"]
    assert data["AAPL"].index[0] == pd.Timestamp("2020-01-01 10:00")
    assert data["AAPL"].index[-1] == pd.Timestamp("2020-01-01 15:55")  # date-only end includes the day
    assert load_directory(tmp_path)["MSFT"].attrs["symbol"] == "MSFT"


def test_errors_name_the_file(tmp_path, minutes):
    bad = tmp_path / "bad.csv"
    bad.write_text("date,open,high,low,close,volume\n2024-01-02,10,11,9,10.5,100\n2024-01-03,10,9,9.5,10,100\n")
    with pytest.raises(DataError, match=r"bad\.csv: row 1 \(timestamp 2024-01-03 00:00:00\): high 9\.0"):
        load(bad)
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(DataError, match=r"empty\.csv: cannot read"):
        load_file(tmp_path / "empty.csv")
    with pytest.raises(ConfigError, match="unsupported file type"):
        load_file(tmp_path / "x.xlsx")
    (tmp_path / "sub").mkdir()
    with pytest.raises(DataError, match="no data files"):
        load_directory(tmp_path / "sub")


def test_lenient_through_load(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text("date,open,high,low,close,volume\n2024-01-03,10,11,9,10.5,100\n"
                    "2024-01-02,10,11,9,10.5,100\n2024-01-03,10,11,9,10.5,100\n")
    with pytest.raises(DataError, match="not sorted"):
        load(path)
    df = load(path, lenient=True)["DUP"]
    assert len(df) == 2 and df.attrs["lenient_report"] == {"sorted_rows": 2, "dropped_duplicates": 1}


def test_case_clash_and_symbol_of(tmp_path, minutes):
    assert symbol_of("x/brk-b.csv.gz") == "BRK-B"
    save_ohlcv(minutes, tmp_path / "abc.csv")
    save_ohlcv(minutes, tmp_path / "ABC.parquet")
    with pytest.raises(DataError, match="both symbol ABC"):
        load_directory(tmp_path)
