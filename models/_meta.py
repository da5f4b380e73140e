"""The stacking meta-learner: logistic regression with non-negative weights on the base models' log-odds."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin


class NonNegativeLogit(ClassifierMixin, BaseEstimator):
    """L2-penalised logistic regression whose coefficients are constrained to be ``>= 0`` (intercept free).

    Stacking under a non-negativity constraint (Breiman, "Stacked regressions", 1996): a base model's
    out-of-fold log-odds may be down-weighted to zero, never turned upside down. Without it, a window whose
    early out-of-fold predictions happen to be anti-correlated with the labels (small first blocks of a
    walk-forward) makes the meta-learner invert the fully trained base models that it then combines.
    Minimises ``sum(log loss) + ||coef||^2 / (2 C)`` with L-BFGS-B (deterministic).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> Z = rng.normal(size=(300, 2)); y = (Z[:, 0] - Z[:, 1] + rng.normal(size=300) > 0).astype(int)
    >>> m = NonNegativeLogit().fit(Z, y)
    >>> bool(m.coef_[0, 0] > 0), float(m.coef_[0, 1])
    (True, 0.0)
    """

    def __init__(self, C: float = 1.0) -> None:
        self.C = C

    def fit(self, X: np.ndarray, y: np.ndarray) -> NonNegativeLogit:
        from scipy.optimize import minimize

        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y)
        self.classes_ = np.unique(y)
        t = (y == self.classes_[-1]).astype(np.float64)
        k = X.shape[1]

        def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
            z = X @ w[:k] + w[k]
            value = np.sum(np.logaddexp(0.0, z) - t * z) + 0.5 * np.dot(w[:k], w[:k]) / self.C
            r = 1.0 / (1.0 + np.exp(-z)) - t
            return float(value), np.r_[X.T @ r + w[:k] / self.C, r.sum()]

        bounds = [(0.0, None)] * k + [(None, None)]
        res = minimize(loss, np.zeros(k + 1), jac=True, method="L-BFGS-B", bounds=bounds)
        self.coef_ = res.x[:k][None, :].astype(np.float64)
        self.intercept_ = np.array([res.x[k]], dtype=np.float64)
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        z = (np.asarray(X, dtype=np.float64) * self.coef_[0]).sum(axis=1) + self.intercept_[0]
        p = 1.0 / (1.0 + np.exp(-z))
        return np.column_stack([1.0 - p, p])

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.classes_[(self.predict_proba(X)[:, 1] >= 0.5).astype(int)]
