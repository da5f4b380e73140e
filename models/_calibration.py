"""Probability calibration (isotonic / Platt) and the scores we report: AUC, Brier, calibration error."""

from __future__ import annotations

from typing import Any

import numpy as np

from tradeforge.errors import ConfigError

CALIBRATIONS = ("isotonic", "platt", "none")
_EPS = 1e-6


def expected_calibration_error(y: np.ndarray, p: np.ndarray, n_bins: int = 10) -> float:
    """Expected calibration error with equal-width bins: sum over bins of ``|mean(y) - mean(p)| * share``.

    Examples
    --------
    >>> expected_calibration_error(np.array([0, 1, 1, 0]), np.array([0.0, 1.0, 1.0, 0.0]))
    0.0
    """
    y = np.asarray(y, dtype=np.float64)
    p = np.clip(np.asarray(p, dtype=np.float64), 0.0, 1.0)
    if y.size == 0:
        return float("nan")
    bins = np.minimum((p * n_bins).astype(np.int64), n_bins - 1)
    total = 0.0
    for b in np.unique(bins):
        sel = bins == b
        total += abs(y[sel].mean() - p[sel].mean()) * sel.mean()
    return float(total)


def scores(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """Return ``{"auc", "brier", "ece", "n"}`` for labels *y* and probabilities *p* (NaN AUC if one class)."""
    from sklearn.metrics import brier_score_loss, roc_auc_score

    y = np.asarray(y)
    p = np.asarray(p, dtype=np.float64)
    auc = float(roc_auc_score(y, p)) if np.unique(y).size == 2 else float("nan")
    return {
        "auc": auc,
        "brier": float(brier_score_loss(y, np.clip(p, 0.0, 1.0))),
        "ece": expected_calibration_error(y, p),
        "n": int(y.size),
    }


def logit(p: np.ndarray) -> np.ndarray:
    """Log-odds of probabilities clipped to ``[1e-6, 1 - 1e-6]``."""
    p = np.clip(np.asarray(p, dtype=np.float64), _EPS, 1.0 - _EPS)
    return np.log(p / (1.0 - p))


class Calibrator:
    """Map raw probabilities to calibrated ones: isotonic regression, Platt (logistic on log-odds) or none.

    The fitted state is plain numbers (isotonic knots, or Platt slope and intercept), so it round-trips
    through JSON without pickling; isotonic prediction is linear interpolation between knots, clipped at
    the ends (what ``IsotonicRegression(out_of_bounds="clip")`` does).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> p = rng.uniform(size=500); y = (rng.uniform(size=500) < p ** 3).astype(int)
    >>> cal = Calibrator("isotonic").fit(p, y)
    >>> expected_calibration_error(y, cal.transform(p)) < expected_calibration_error(y, p)
    True
    """

    def __init__(self, method: str = "isotonic") -> None:
        # Platt's slope is kept >= 0 (a negative one, fitted on a noisy window, would invert the ranking)
        if method not in CALIBRATIONS:
            raise ConfigError(f"calibration: expected one of {', '.join(CALIBRATIONS)}, got {method!r}")
        self.method = method

    def fit(self, p: np.ndarray, y: np.ndarray) -> Calibrator:
        p = np.asarray(p, dtype=np.float64)
        y = np.asarray(y)
        self.params_: dict[str, Any] = {}
        if self.method == "isotonic":
            from sklearn.isotonic import IsotonicRegression

            iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(p, y)
            self.params_ = {"x": iso.X_thresholds_.tolist(), "y": iso.y_thresholds_.tolist()}
        elif self.method == "platt":
            from sklearn.linear_model import LogisticRegression

            lr = LogisticRegression(C=1e4).fit(logit(p)[:, None], y)
            a, b = float(lr.coef_[0, 0]), float(lr.intercept_[0])
            if a < 0.0:  # a calibration never inverts the model's ranking: no slope left, only the base rate
                rate = float(np.clip(np.mean(y == np.max(y)), _EPS, 1.0 - _EPS))
                a, b = 0.0, float(np.log(rate / (1.0 - rate)))
            self.params_ = {"a": a, "b": b}
        return self

    def transform(self, p: np.ndarray) -> np.ndarray:
        p = np.asarray(p, dtype=np.float64)
        if self.method == "isotonic":
            return np.clip(np.interp(p, self.params_["x"], self.params_["y"]), 0.0, 1.0)
        if self.method == "platt":
            return sigmoid(self.params_["a"] * logit(p) + self.params_["b"])
        return np.clip(p, 0.0, 1.0)

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "params": self.params_}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Calibrator:
        cal = cls(data["method"])
        cal.params_ = dict(data["params"])
        return cal


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Logistic function, numerically stable for large ``|z|``."""
    z = np.asarray(z, dtype=np.float64)
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1.0 + ez)
    return out


def chronological_calibration(
    p: np.ndarray, y: np.ndarray, method: str, n_blocks: int = 4, gap: int = 0
) -> np.ndarray:
    """Honest calibrated probabilities: block ``k`` is calibrated by a calibrator fitted on blocks ``< k``,
    leaving out the last *gap* rows before the block (labels overlapping it).

    Rows of the first block get NaN. Used to *measure* what calibration buys out of sample.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> p = rng.uniform(size=400); y = (rng.uniform(size=400) < p).astype(int)
    >>> out = chronological_calibration(p, y, "platt")
    >>> bool(np.isnan(out[:100]).all()), bool(np.isfinite(out[100:]).all())
    (True, True)
    """
    n = len(p)
    out = np.full(n, np.nan)
    edges = np.linspace(0, n, n_blocks + 1).astype(np.int64)
    for k in range(1, n_blocks):
        lo, hi = edges[k], edges[k + 1]
        end = max(lo - gap, 0)
        if np.unique(y[:end]).size < 2 or hi <= lo:
            continue
        cal = Calibrator(method).fit(p[:end], y[:end])
        out[lo:hi] = cal.transform(p[lo:hi])
    return out
