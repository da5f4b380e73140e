"""engine._qs_fast: quantstats' report figures are the same with its vectorised helpers as without."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

qs = pytest.importorskip("quantstats")

from tradeforge.engine._qs_fast import fast_quantstats  # noqa: E402


@pytest.fixture(scope="module")
def series() -> tuple[pd.Series, pd.Series]:
    """Twelve years of seeded daily returns (business days, NaN-free) and a correlated benchmark."""
    rng = np.random.default_rng(11)
    index = pd.bdate_range("2001-01-02", periods=3_000)
    bench = pd.Series(rng.normal(0.0003, 0.011, len(index)), index=index, name="Benchmark")
    strat = 0.6 * bench + pd.Series(rng.normal(0.0001, 0.008, len(index)), index=index)
    strat[rng.random(len(index)) < 0.3] = 0.0  # flat days, as a strategy out of the market has
    return strat.rename("Strategy"), bench


def _both(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = fn(*args, **kwargs)
        with fast_quantstats():
            ours = fn(*args, **kwargs)
    return theirs, ours


def _cell_equal(a, b) -> bool:
    """Equal figures: numbers to float rounding (also inside strings such as '12.5%'), text exactly."""
    if isinstance(a, str) and isinstance(b, str):
        if a == b:
            return True
        try:
            return math.isclose(float(a.rstrip("%").replace(",", "")), float(b.rstrip("%").replace(",", "")),
                                rel_tol=1e-9, abs_tol=1e-12)
        except ValueError:
            return False
    number = float | int | np.floating | np.integer
    if isinstance(a, number) and isinstance(b, number):
        return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a == b or (pd.isna(a) and pd.isna(b))


def _frames_equal(theirs: pd.DataFrame, ours: pd.DataFrame) -> None:
    assert list(theirs.index) == list(ours.index)
    assert list(theirs.columns) == list(ours.columns)
    rows, cols = theirs.shape
    bad = [(theirs.index[i], theirs.columns[j], theirs.iat[i, j], ours.iat[i, j]) for i in range(rows)
           for j in range(cols) if not _cell_equal(theirs.iat[i, j], ours.iat[i, j])]
    assert not bad, bad[:5]


def test_every_figure_of_the_full_metrics_table(series):
    strat, bench = series
    theirs, ours = _both(qs.reports.metrics, strat, benchmark=bench, mode="full", display=False)
    assert len(theirs) > 50
    _frames_equal(theirs, ours)


def test_the_formatted_metrics_table_of_the_tearsheet(series):
    strat, bench = series
    theirs, ours = _both(qs.reports.metrics, strat, benchmark=bench, mode="full", display=False, sep=True,
                         internal="True", prepare_returns=False, benchmark_title="Benchmark",
                         strategy_title="Strategy")
    _frames_equal(theirs, ours)


def test_eoy_drawdown_and_monthly_tables(series):
    strat, bench = series
    _frames_equal(*_both(qs.stats.compare, strat, bench, "YE", compounded=True, prepare_returns=False))
    dd = qs.stats.to_drawdown_series(strat)
    _frames_equal(*_both(qs.stats.drawdown_details, dd))
    _frames_equal(*_both(qs.stats.monthly_returns, strat))
    for period in ("month", "year", "week", "eow", "eom", "eoy"):
        theirs, ours = _both(qs.utils.aggregate_returns, strat, period)
        np.testing.assert_allclose(ours.to_numpy(), theirs.to_numpy(), rtol=1e-9, atol=1e-15)
        assert list(ours.index) == list(theirs.index)


def test_resampled_distributions(series):
    strat, _ = series
    theirs, ours = _both(qs.stats.distribution, strat)
    for period in theirs:
        for part in ("values", "outliers"):
            np.testing.assert_allclose(ours[period][part], theirs[period][part], rtol=1e-9, atol=1e-15)


def test_a_benchmark_on_other_dates_is_still_realigned(series):
    strat, bench = series
    shifted = bench.iloc[5:-5]
    theirs, ours = _both(qs.utils._prepare_benchmark, shifted, strat.index)
    pd.testing.assert_series_equal(ours, theirs)
    same_theirs, same_ours = _both(qs.utils._prepare_benchmark, bench, strat.index)
    pd.testing.assert_series_equal(same_ours, same_theirs)


def test_quantstats_own_helpers_are_back_after_the_block():
    before = (qs.utils.group_returns, qs.utils._prepare_benchmark, qs.stats.safe_resample)
    with fast_quantstats():
        assert qs.utils.group_returns is not before[0]
    assert (qs.utils.group_returns, qs.utils._prepare_benchmark, qs.stats.safe_resample) == before
    with pytest.raises(RuntimeError), fast_quantstats():
        raise RuntimeError("boom")
    assert qs.stats.safe_resample is before[2]
