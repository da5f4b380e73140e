"""Users' own CSV files: detected separators, decimal commas and thousands separators, --csv-sep,
day-first dates (with a hint when they look day-first), one time zone across daylight saving, line numbers."""

from __future__ import annotations

import pytest

from tradeforge.errors import ConfigError, DataError
from tradeforge.feeds import load
from tradeforge.feeds.files import csv_dialect


def _write(path, text):
    path.write_text(text)
    return path


def test_semicolons_with_decimal_comma_and_thousands_dot(tmp_path):
    path = _write(tmp_path / "eu.csv", "Datum;Open;High;Low;Close;Volume\n"
                  "2024-01-02;1.234,5;1.240,0;1.230,0;1.238,0;1.000\n"
                  "2024-01-03;1.238,0;1.250,5;1.236,0;1.249,0;2.500\n")
    assert csv_dialect(path) == {"sep": ";", "decimal": ",", "thousands": "."}
    with pytest.raises(DataError, match="no timestamps|Datum"):
        load(path)  # 'Datum' is not a timestamp column name: the error says so
    path = _write(tmp_path / "eu2.csv", path.read_text().replace("Datum", "date"))
    df = load(path)["EU2"]
    assert df["open"].tolist() == [1234.5, 1238.0] and df["volume"].tolist() == [1000.0, 2500.0]


def test_quoted_thousands_and_explicit_separator(tmp_path):
    path = _write(tmp_path / "us.csv", 'date,open,high,low,close,volume\n'
                  '2024-01-02,"1,234.50","1,240.00","1,230.00","1,238.00","10,000"\n'
                  '2024-01-03,"1,238.00","1,250.00","1,236.00","1,249.00","12,000"\n')
    assert load(path)["US"]["volume"].tolist() == [10000.0, 12000.0]
    pipe = _write(tmp_path / "p.csv", "date|open|high|low|close|volume\n2024-01-02|1|2|0.5|1.5|10\n"
                  "2024-01-03|1.5|2|1|1.8|10\n")
    assert load(pipe)["P"]["close"].tolist() == [1.5, 1.8]
    assert load(pipe, sep="|")["P"]["close"].tolist() == [1.5, 1.8]


def test_day_first_dates_hint_and_option(tmp_path):
    path = _write(tmp_path / "d.csv", "date,open,high,low,close,volume\n"
                  "02/01/2024,1,2,0.5,1.5,10\n13/01/2024,1.5,2,1,1.8,10\n")
    with pytest.raises(DataError, match=r"row 1 .*look day-first.*pass --dayfirst.*\(line 3 of the file\)"):
        load(path)
    df = load(path, dayfirst=True)["D"]
    assert [str(t.date()) for t in df.index] == ["2024-01-02", "2024-01-13"]


def test_one_zone_across_daylight_saving(tmp_path):
    path = _write(tmp_path / "ny.csv", "datetime,open,high,low,close,volume\n"
                  "2024-03-08 09:30:00-05:00,1,2,0.5,1.5,10\n2024-03-11 09:30:00-04:00,1.5,2,1,1.8,10\n")
    with pytest.raises(DataError, match="mixed time zones.*--tz"):
        load(path)
    df = load(path, tz="America/New_York")["NY"]
    assert [str(t) for t in df.index] == ["2024-03-08 09:30:00", "2024-03-11 09:30:00"]
    assert df.attrs["tz"] == "America/New_York"
    with pytest.raises(ConfigError, match="unknown time zone"):
        load(path, tz="Mars/Olympus")


def test_errors_cite_the_line_of_the_file(tmp_path):
    path = _write(tmp_path / "bad.csv", "date,open,high,low,close,volume\n2024-01-02,10,11,9,10.5,100\n"
                  "2024-01-03,10,11,9,10.5,100\n2024-01-04,10,9,9.5,10,100\n")
    with pytest.raises(DataError, match=r"row 2 \(timestamp 2024-01-04.*\(line 4 of the file\)$"):
        load(path)
