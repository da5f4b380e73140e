"""Kelly sizing of the model's trade: the same probability, payoff, loss and cost as the entry rule."""

from __future__ import annotations

import numpy as np
import pytest

from tradeforge.errors import DataError
from tradeforge.strategies.sizers import kelly_fraction_of, position_size, trade_payoff_ratio


def test_kelly_is_positive_exactly_when_the_expected_value_is():
    rng = np.random.default_rng(0)
    for _ in range(500):
        p, payoff, loss = rng.uniform(0, 1), rng.uniform(0.001, 0.05), rng.uniform(0.001, 0.05)
        cost = rng.uniform(0, 0.004)
        ev = p * payoff - (1 - p) * loss - cost
        b = trade_payoff_ratio(payoff, loss, cost)
        if b > 0 and abs(ev) > 1e-12:
            assert (kelly_fraction_of(p, b) > 0) == (ev > 0)
            # f* = EV / (payoff - cost): the full-Kelly stake is the expected value per unit of net win
            assert kelly_fraction_of(p, b) == pytest.approx(ev / (payoff - cost), rel=1e-9, abs=1e-12)


def test_no_size_when_the_win_does_not_cover_the_cost():
    assert trade_payoff_ratio(0.002, 0.01, 0.002) == 0.0
    b = trade_payoff_ratio(0.03, 0.01, 0.002)
    assert position_size(100_000, 50.0, 1.0, proba=0.3, payoff=b) == 0.0   # EV < 0: no stake
    assert position_size(100_000, 50.0, 1.0, proba=0.6, payoff=b) > 0.0


def test_bad_inputs_raise_data_error():
    with pytest.raises(DataError, match="loss"):
        trade_payoff_ratio(0.01, 0.0, 0.001)
    with pytest.raises(DataError, match="cost"):
        trade_payoff_ratio(0.01, 0.01, -0.001)
