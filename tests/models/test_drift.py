"""The confidence profile and its PSI: matching samples stay low, shifted ones go high; ties and NaN."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tradeforge.errors import ModelError
from tradeforge.models.drift import BINS, MIN_LIVE, PSI_THRESHOLD, confidence_profile, psi


def _draw(rng, n, shift=0.0):
    return np.clip(0.5 + 0.5 * rng.beta(2, 5, n) + shift, 0.0, 1.0)


def test_profile_is_json_with_decile_bins_summing_to_one():
    rng = np.random.default_rng(0)
    values = _draw(rng, 800)
    prof = confidence_profile(np.append(values, np.nan))
    assert json.loads(json.dumps(prof)) == prof and prof["statistic"] == "psi"
    assert prof["n"] == 800 and len(prof["edges"]) == BINS - 1 and len(prof["fractions"]) == BINS
    assert sum(prof["fractions"]) == pytest.approx(1.0)
    assert np.allclose(prof["fractions"], 0.1, atol=0.005)                   # deciles: ~10% per bin
    assert prof["quantiles"]["0.5"] == pytest.approx(float(np.median(values)))
    assert psi(prof, values) == pytest.approx(0.0, abs=1e-3)                 # the training sample itself


def test_psi_is_low_on_matching_samples_and_high_on_shifted_ones():
    rng = np.random.default_rng(1)
    prof = confidence_profile(_draw(rng, 600))
    same = [psi(prof, _draw(rng, MIN_LIVE)) for _ in range(200)]
    shifted = [psi(prof, _draw(rng, MIN_LIVE, shift=0.05)) for _ in range(200)]
    assert max(same) < PSI_THRESHOLD and np.median(same) < 0.1
    assert min(shifted) > PSI_THRESHOLD


def test_tied_confidences_merge_bins_and_bin_the_same_way_live():
    steps = np.repeat([0.55, 0.6, 0.7], [50, 30, 20])                       # an isotonic calibrator's steps
    prof = confidence_profile(steps)
    assert prof["edges"] == [0.55, 0.6, 0.7]                                # ties merged, no value between
    assert psi(prof, steps) == pytest.approx(0.0, abs=1e-12)
    assert psi(prof, np.full(200, 0.7)) > PSI_THRESHOLD


def test_errors_and_empty_inputs():
    with pytest.raises(ModelError, match="no finite value"):
        confidence_profile([np.nan])
    prof = confidence_profile(np.linspace(0.5, 1.0, 100))
    assert np.isnan(psi(prof, []))
    with pytest.raises(ModelError, match="retrain"):
        psi({**prof, "fractions": prof["fractions"][:-1]}, [0.6])


def test_doctests():
    import doctest

    from tradeforge.models import drift

    result = doctest.testmod(drift)
    assert result.failed == 0 and result.attempted >= 3
