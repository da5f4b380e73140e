"""feeds.load: samples, spec dispatch, start/end slicing and errors."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from tradeforge.errors import ConfigError, DataError
from tradeforge.feeds import load


def test_sample_sp500_is_real_validated_data():
    data = load("sample:sp500")
    assert list(data) == ["SP500"]
    df = data["SP500"]
    assert df.attrs["symbol"] == "SP500" and df.attrs["bar"] == pd.Timedelta(days=1)
    assert len(df) == 5031
    assert str(df.index[0].date()) == "1999-01-04" and str(df.index[-1].date()) == "2018-12-31"
    assert df.loc["1999-01-04", "open"] == pytest.approx(1229.22998)  # golden value from arch.data.sp500


def test_sample_nasdaq_and_case_insensitive_name():
    df = load("sample:NASDAQ")["NASDAQ"]
    assert df.attrs["symbol"] == "NASDAQ" and len(df) == 5031


def test_start_end_inclusive_and_date_types():
    df = load("sample:sp500", start="2018-01-02", end=dt.date(2018, 1, 31))["SP500"]
    assert df.index[0] == pd.Timestamp("2018-01-02") and df.index[-1] == pd.Timestamp("2018-01-31")
    assert len(df) == 21 and df.attrs["symbol"] == "SP500"


@pytest.mark.parametrize(
    "spec, kwargs, error, match",
    [
        ("sample:sp5000", {}, ConfigError, "Did you mean 'sp500'"),
        ("sampel:sp500", {}, ConfigError, "Did you mean 'sample'"),
        ("no/such/file.csv", {}, ConfigError, "no such file or directory"),
        ("sample:sp500", {"start": "2030-01-01"}, DataError, "no bars between.*1999-01-04"),
        ("sample:sp500", {"start": "2010-01-01", "end": "2009-01-01"}, ConfigError, "after end"),
        ("sample:sp500", {"start": "yesterday-ish"}, ConfigError, "start: cannot parse"),
        ("synth:symbols=1,bars=10", {"adjust": True}, ConfigError, "no 'Adj Close'"),
    ],
)
def test_load_errors(spec, kwargs, error, match):
    with pytest.raises(error, match=match):
        load(spec, **kwargs)
