"""Has a model's live confidence drifted from its training distribution? A profile and the PSI.

:func:`confidence_profile` summarises the out-of-fold calibrated confidences of training (what the model
said on rows it had not seen) as a JSON-able dict stored in the registry manifest: the bin edges (the
training deciles, ties merged), the training fraction in each bin, the count and a few quantiles.

:func:`psi` compares live confidences with a profile by the **population stability index** over those
bins::

    PSI = sum_b (live_b - train_b) * ln(live_b / train_b)

where ``live_b`` and ``train_b`` are the fractions of values in bin ``b``, each smoothed by adding half a
value to every bin (``(count_b + 0.5) / (n + 0.5 * bins)``), so that an empty bin gives a finite term. A
value ``x`` falls in bin ``b`` when ``edges[b-1] < x <= edges[b]`` (the first bin is unbounded below, the
last above); training and live values are binned by the same rule. The usual reading of the PSI: below
0.1 no shift, 0.1-0.25 a moderate one, above 0.25 (:data:`PSI_THRESHOLD`) a major one. Its sampling
noise shrinks like ``(bins - 1) / n``, which is why a decision waits for :data:`MIN_LIVE` live values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from tradeforge.errors import ModelError

__all__ = ["confidence_profile", "psi", "PSI_THRESHOLD", "MIN_LIVE", "BINS"]

#: PSI above which the live distribution is said to have drifted (the conventional "major shift")
PSI_THRESHOLD = 0.25
#: live values needed before the PSI is trusted
MIN_LIVE = 120
#: bins of the profile (training deciles; fewer when confidences tie)
BINS = 10
_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def _finite(values: Any) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64).ravel()
    return arr[np.isfinite(arr)]


def _fractions(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    counts = np.bincount(np.searchsorted(edges, values, side="left"), minlength=edges.size + 1)
    return (counts + 0.5) / (values.size + 0.5 * counts.size)


def confidence_profile(confidence: Any, bins: int = BINS) -> dict[str, Any]:
    """The training distribution of *confidence* (NaN ignored) as a JSON-able dict.

    Keys: ``statistic`` (``"psi"``), ``edges`` (interior bin edges: the training quantiles at
    ``1/bins .. (bins-1)/bins``, each a training value (inverted CDF), duplicates merged), ``fractions``
    (smoothed training fraction per bin, ``len(edges) + 1`` of them), ``n``, ``mean`` and ``quantiles``
    (``"0.05" .. "0.95"``).

    Raises
    ------
    ModelError
        No finite value.

    Examples
    --------
    >>> prof = confidence_profile(np.linspace(0.5, 1.0, 200))
    >>> len(prof["edges"]), len(prof["fractions"]), prof["n"], prof["quantiles"]["0.5"]
    (9, 10, 200, 0.75)
    """
    values = _finite(confidence)
    if values.size == 0:
        raise ModelError("confidence: no finite value to profile; the model produced no out-of-fold "
                         "probability (train on more data)")
    edges = np.unique(np.quantile(values, np.arange(1, bins) / bins, method="inverted_cdf"))
    return {"statistic": "psi", "edges": edges.tolist(), "fractions": _fractions(values, edges).tolist(),
            "n": int(values.size), "mean": float(values.mean()),
            "quantiles": {str(q): float(np.quantile(values, q)) for q in _QUANTILES}}


def psi(profile: Mapping[str, Any], live: Any) -> float:
    """Population stability index of the *live* confidences (NaN ignored) against a training *profile*.

    Returns NaN when *live* holds no finite value.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> prof = confidence_profile(rng.uniform(0.5, 0.8, 2000))
    >>> psi(prof, rng.uniform(0.5, 0.8, 500)) < 0.1, psi(prof, rng.uniform(0.7, 1.0, 500)) > 0.25
    (True, True)
    """
    values = _finite(live)
    if values.size == 0:
        return float("nan")
    edges = np.asarray(profile["edges"], dtype=np.float64)
    train = np.asarray(profile["fractions"], dtype=np.float64)
    if train.size != edges.size + 1:
        raise ModelError(f"confidence profile: {train.size} fractions for {edges.size} edges; expected "
                         f"{edges.size + 1}; retrain to store a fresh profile")
    actual = _fractions(values, edges)
    return float(np.sum((actual - train) * np.log(actual / train)))
