"""The report's CSV writer (engine._csv) writes exactly what DataFrame.to_csv writes, byte for byte."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradeforge.engine._csv import _fast_text, write_csv


def _same(frame: pd.DataFrame, tmp_path, **kwargs) -> None:
    ours = write_csv(frame, tmp_path / "ours.csv", **kwargs).read_bytes()
    frame.to_csv(tmp_path / "pandas.csv", **kwargs)
    assert ours == (tmp_path / "pandas.csv").read_bytes()


def _report_like(n: int = 50) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    days = pd.date_range("1999-01-04", periods=n, freq="B")
    return pd.DataFrame({
        "fold": np.arange(n) // 10,
        "date": days,
        "symbol": ["SP500", "X"] * (n // 2),
        "size": rng.integers(-900, 900, n),
        "price": np.round(rng.lognormal(4, 1, n), 6),
        "value": rng.normal(0, 1e5, n) / 3.0,
        "tiny": rng.normal(0, 1e-7, n),
        "huge": rng.normal(0, 1e17, n),
        "ok": rng.random(n) > 0.5,
    })


def test_report_frames_take_the_fast_path_and_match(tmp_path):
    frame = _report_like()
    frame.loc[3, "value"] = np.nan
    frame.loc[4, "value"], frame.loc[5, "value"], frame.loc[6, "value"] = np.inf, -np.inf, -0.0
    frame.loc[7, "date"] = pd.NaT
    assert _fast_text(frame, False, None) is not None
    _same(frame, tmp_path, index=False)


def test_datetime_index_with_times_and_label(tmp_path):
    index = pd.date_range("2024-01-02 09:30", periods=200, freq="5min", name="when")
    frame = pd.DataFrame({"equity": np.linspace(1e5, 2e5, 200) / 7, "exposed": np.arange(200) % 2},
                         index=index)
    assert _fast_text(frame, True, "datetime") is not None
    _same(frame, tmp_path, index_label="datetime")
    _same(frame, tmp_path)  # the index's own name


def test_object_columns_missing_values_and_numpy_floats(tmp_path):
    frame = pd.DataFrame({"a": ["x", None, "z"], "b": [np.float64(0.1), None, 2.5],
                          "c": [1, np.nan, "t"], "d": [True, False, None]})
    assert _fast_text(frame, False, None) is not None
    _same(frame, tmp_path, index=False)


@pytest.mark.parametrize("frame", [
    pd.DataFrame({"a": ["x,y", "z"], "b": [1, 2]}),                               # needs quoting
    pd.DataFrame({"a": ['say "hi"', "z"], "b": [1, 2]}),
    pd.DataFrame({"a": ["line\nbreak", "z"], "b": [1, 2]}),
    pd.DataFrame({"t": pd.to_datetime(["2024-01-02 10:00:00.5", "2024-01-03 00:00:00.0"]), "b": [1, 2]}),
    pd.DataFrame({"t": pd.date_range("2024-01-02", periods=2, tz="UTC"), "b": [1, 2]}),
    pd.DataFrame({"t": np.array(["2024-01-02", "3024-01-03"], dtype="datetime64[s]"), "b": [1, 2]}),
    pd.DataFrame({"a": pd.Categorical(["u", "v"]), "b": [1, 2]}),
    pd.DataFrame({"a": [np.nan, 1.0]}),                                            # one column
    pd.DataFrame({0: [1.0, 2.0], 1: [3, 4]}),                                      # non-text names
], ids=["comma", "quote", "newline", "subsecond", "tz", "seconds-unit", "categorical", "one-column",
        "int-names"])
def test_what_is_not_formatted_here_goes_through_pandas(frame, tmp_path):
    assert _fast_text(frame, False, None) is None
    _same(frame, tmp_path, index=False)


def test_empty_frame(tmp_path):
    frame = _report_like().iloc[:0]
    _same(frame, tmp_path, index=False)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True, width=64), min_size=1, max_size=30),
       st.lists(st.integers(-2**62, 2**62), min_size=1, max_size=30))
def test_any_float_and_integer_is_written_as_pandas_writes_it(tmp_path_factory, floats, ints):
    n = min(len(floats), len(ints))
    frame = pd.DataFrame({"f": floats[:n], "i": ints[:n]})
    _same(frame, tmp_path_factory.mktemp("csv"), index=False)


def test_float_text_at_the_notation_boundaries(tmp_path):
    edges = [1e16, 9999999999999998.0, 1e-4, 9.999999999999999e-05, 5e-324, 1.7976931348623157e308, 0.1 + 0.2,
             -1e-5, 123456789.123456789, 2.0**53 + 2]
    frame = pd.DataFrame({"x": edges, "y": np.float32(edges[:1] * len(edges))})  # float32 too
    assert _fast_text(frame, False, None) is not None
    _same(frame, tmp_path, index=False)


def test_doctests():
    import doctest

    import tradeforge.engine._csv as module

    assert doctest.testmod(module).failed == 0
