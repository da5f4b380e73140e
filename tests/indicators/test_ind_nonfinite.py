"""Every checked indicator rejects a NaN/inf after the leading NaNs, wherever it is and in whichever input.

The kernels that check their inputs as they read them (``Indicator.scans``) must see every value of every
input: a NaN at the first row after the warm-up, in a seed sum, at the last bar or in an input only some
rows read would otherwise slip through. Leading NaNs stay allowed, and stay NaN in the output.
"""

from __future__ import annotations

import numpy as np
import pytest

from tradeforge import indicators as ta
from tradeforge.errors import DataError
from tradeforge.indicators.table import INDICATORS


def _data(n: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(3)
    close = 50.0 * np.exp(np.cumsum(rng.normal(0, 0.02, n)))
    open_ = close * np.exp(rng.normal(0, 0.005, n))
    high = np.maximum(open_, close) * (1 + np.abs(rng.normal(0, 0.01, n)))
    low = np.minimum(open_, close) * (1 - np.abs(rng.normal(0, 0.01, n)))
    volume = rng.lognormal(8, 1, n).round() + 1.0
    return {"open": open_, "high": high, "low": low, "close": close, "real": close, "volume": volume}


def _positions(n: int, lookback: int) -> list[int]:
    cand = {1, 2, lookback - 1, lookback, lookback + 1, n // 2, n - 2, n - 1}
    return sorted(p for p in cand if 1 <= p < n)


@pytest.mark.parametrize("name", list(INDICATORS))
@pytest.mark.parametrize("n", [60, 7])
def test_a_gap_anywhere_in_any_input_raises_naming_it(name, n):
    ind = INDICATORS[name]
    fn = getattr(ta, name)
    clean = _data(n)
    fn(*(clean[i] for i in ind.inputs))  # valid input: no error
    for arg in ind.inputs:
        for pos in _positions(n, ind.lookback(ind.defaults)):
            for bad in (np.nan, np.inf, -np.inf):
                data = {k: v.copy() for k, v in clean.items()}
                data[arg][pos] = bad
                with pytest.raises(DataError, match=rf"^{arg}: non-finite value {bad} at position {pos} "):
                    fn(*(data[i] for i in ind.inputs))


@pytest.mark.parametrize("name", list(INDICATORS))
def test_leading_nans_are_skipped_and_kept(name):
    ind = INDICATORS[name]
    data = _data(80)
    args = [data[i].copy() for i in ind.inputs]
    args[-1][:4] = np.nan
    args[0][:2] = np.inf
    got = getattr(ta, name)(*args)
    want = getattr(ta, name)(*(a[4:] for a in args))
    got = got if isinstance(got, tuple) else (got,)
    want = want if isinstance(want, tuple) else (want,)
    for g, w in zip(got, want, strict=True):
        assert np.isnan(g[:4]).all()
        assert g[4:].tobytes() == w.tobytes(), name
