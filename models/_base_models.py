"""Base learners of the stacked ensemble: factories, a sparse logit, a Platt-scaled SVM, persistence.

Every factory sets its seed and thread count explicitly. ``fast=True`` gives small models for tests.
Persistence uses each library's native format where one exists (XGBoost JSON, LightGBM text model); the
scikit-learn models (sparse logit, random forest, MLP, SVM, logistic regression, isotonic) have no native
format and are pickled. A pickle runs code when loaded, so these files must only be read after their
SHA-256 was checked against a manifest: :class:`tradeforge.models.registry.ModelRegistry` does that
before calling ``load``.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from tradeforge.errors import ModelError

from .params import BASE_MODELS  # the names live in the light params module


class PlattSVC(ClassifierMixin, BaseEstimator):
    """RBF SVM whose decision values are mapped to probabilities by Platt scaling fitted chronologically.

    The SVM is first fitted on the earliest ``1 - holdout`` of the window; a logistic regression on its
    decision values for the last ``holdout`` rows gives the Platt parameters; the SVM is then refitted on the
    whole window. Cheaper and deterministic compared with ``SVC(probability=True)`` (internal 5-fold CV).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(120, 3)); y = (X[:, 0] > 0).astype(int)
    >>> PlattSVC().fit(X, y).predict_proba(X[:2]).shape
    (2, 2)
    """

    def __init__(self, C: float = 1.0, gamma: str | float = "scale", holdout: float = 0.2,
                 random_state: int | None = 0) -> None:
        self.C = C
        self.gamma = gamma
        self.holdout = holdout
        self.random_state = random_state

    def _svc(self):
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler
        from sklearn.svm import SVC

        svc = SVC(C=self.C, gamma=self.gamma, random_state=self.random_state)
        return make_pipeline(StandardScaler(), svc)

    def fit(self, X: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None) -> PlattSVC:
        from sklearn.linear_model import LogisticRegression

        from tradeforge.models.validation import fit_with_weight

        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y)
        w = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        self.classes_ = np.unique(y)
        cut = int(len(y) * (1.0 - self.holdout))
        head_ok = cut >= 4 and np.unique(y[:cut]).size == 2 and np.unique(y[cut:]).size == 2
        if head_ok:
            head = fit_with_weight(self._svc(), X[:cut], y[:cut], None if w is None else w[:cut])
            scores = head.decision_function(X[cut:])
            self.platt_ = LogisticRegression(C=1e4).fit(scores[:, None], y[cut:])
        self.svc_ = fit_with_weight(self._svc(), X, y, w)
        if not head_ok:  # tiny window: fall back to in-sample decision values, regularised
            self.platt_ = LogisticRegression(C=1.0).fit(self.svc_.decision_function(X)[:, None], y)
        return self

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        return self.svc_.decision_function(np.asarray(X, dtype=np.float64))

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return self.platt_.predict_proba(self.decision_function(X)[:, None])

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.classes_[(self.predict_proba(X)[:, 1] >= 0.5).astype(int)]


def _standardiser(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The training rows' column means and standard deviations (a constant column gets scale 1)."""
    std = X.std(axis=0)
    return X.mean(axis=0), np.where(std > 0, std, 1.0)


def _rowwise_proba(Z: np.ndarray, coef: np.ndarray, intercept: float) -> np.ndarray:
    """``[1 - p, p]`` with ``p = sigmoid(sum_j coef_j * Z_j + intercept)``, summed row by row (an elementwise
    product, not a matrix product), so a row gets the same bits alone or in a batch."""
    p = 1.0 / (1.0 + np.exp(-((Z * coef).sum(axis=1) + intercept)))
    return np.column_stack([1.0 - p, p])


class SparseLogit(ClassifierMixin, BaseEstimator):
    """L1-penalised logistic regression on standardised features: a linear model that selects its features.

    The features are standardised with the training rows' mean and standard deviation (a constant column
    gets scale 1), then scikit-learn's ``LogisticRegression`` (liblinear, ``l1_ratio=1``) is fitted with
    inverse penalty ``C``: on a window of a few thousand noisy rows most coefficients are exactly zero, so
    the selection of the few informative columns happens inside the training window only. Probabilities
    are ``sigmoid(sum_j coef_j * z_j + intercept)`` computed row by row (an elementwise product summed per
    row, not a matrix product), so a row gets the same bits alone or in a batch.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(400, 6)); y = (X[:, 0] + rng.normal(size=400) > 0).astype(int)
    >>> m = SparseLogit().fit(X, y)
    >>> int(np.argmax(np.abs(m.coef_))), m.predict_proba(X[:2]).shape
    (0, (2, 2))
    """

    def __init__(self, C: float = 0.05, random_state: int | None = 0) -> None:
        self.C = C
        self.random_state = random_state

    def fit(self, X: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None) -> SparseLogit:
        from sklearn.linear_model import LogisticRegression

        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y)
        self.classes_ = np.unique(y)
        self.mean_, self.scale_ = _standardiser(X)
        model = LogisticRegression(C=self.C, l1_ratio=1.0, solver="liblinear", max_iter=1000,
                                   random_state=self.random_state)
        model.fit((X - self.mean_) / self.scale_, y, sample_weight=sample_weight)
        self.coef_ = model.coef_[0].astype(np.float64)
        self.intercept_ = float(model.intercept_[0])
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        Z = (np.asarray(X, dtype=np.float64) - self.mean_) / self.scale_
        return _rowwise_proba(Z, self.coef_, self.intercept_)

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.classes_[(self.predict_proba(X)[:, 1] >= 0.5).astype(int)]


class ScreenedLogit(ClassifierMixin, BaseEstimator):
    """A logistic regression on the few features that are individually significant inside the window.

    Each feature is standardised (training mean and standard deviation, clipped at ``clip``) and screened
    by its correlation with the label, as a z-statistic ``r * sqrt(n)``; the features whose ``|z|`` clears
    the Bonferroni bound of a two-sided test at level ``alpha`` over all columns are kept, strongest
    first, at most ``max_features``, skipping any whose absolute correlation with one already kept is
    above ``max_overlap``. An unpenalised-in-effect logistic regression (``C``) is fitted on those; with
    none kept the model predicts the window's base rate (a constant the meta-learner weighs at zero).
    A step edge (a return's sign) is learned from a few hundred rows this way, where a learner that must
    pick among ~100 columns by its own fit needs many more. Probabilities are computed row by row, so a
    row gets the same bits alone or in a batch.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(600, 40)); y = (0.4 * np.sign(X[:, 3]) + rng.normal(size=600) > 0).astype(int)
    >>> ScreenedLogit().fit(X, y).selected_.tolist()
    [3]
    """

    def __init__(self, alpha: float = 0.05, max_features: int = 3, max_overlap: float = 0.7,
                 clip: float = 5.0, C: float = 1.0) -> None:
        self.alpha = alpha
        self.max_features = max_features
        self.max_overlap = max_overlap
        self.clip = clip
        self.C = C

    def _z(self, X: np.ndarray) -> np.ndarray:
        return np.clip((np.asarray(X, dtype=np.float64) - self.mean_) / self.scale_, -self.clip, self.clip)

    def fit(self, X: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None) -> ScreenedLogit:
        from scipy.stats import norm
        from sklearn.linear_model import LogisticRegression

        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y)
        self.classes_ = np.unique(y)
        yb = (y == self.classes_[-1]).astype(np.float64)
        n, k = X.shape
        self.mean_, self.scale_ = _standardiser(X)
        Z = self._z(X)
        Zc = Z - Z.mean(axis=0)
        zs = Zc.std(axis=0)
        yc = yb - yb.mean()
        denom = zs * yc.std() * n
        corr = np.divide(Zc.T @ yc, denom, out=np.zeros(k), where=denom > 0)
        stat = corr * np.sqrt(n)
        bound = norm.isf(self.alpha / (2.0 * max(k, 1)))
        chosen: list[int] = []
        for j in np.argsort(-np.abs(stat), kind="stable"):
            if abs(stat[j]) < bound or len(chosen) >= self.max_features:
                break
            if all(abs(np.corrcoef(Z[:, j], Z[:, c])[0, 1]) <= self.max_overlap for c in chosen):
                chosen.append(int(j))
        self.selected_ = np.asarray(chosen, dtype=np.int64)
        self.stat_ = stat
        rate = float(np.clip(yb.mean(), 1e-6, 1 - 1e-6))
        self.coef_ = np.zeros(len(chosen))
        self.intercept_ = float(np.log(rate / (1.0 - rate)))
        if chosen and np.unique(yb).size == 2:
            model = LogisticRegression(C=self.C, max_iter=1000)
            model.fit(Z[:, self.selected_], yb, sample_weight=sample_weight)
            self.coef_ = model.coef_[0].astype(np.float64)
            self.intercept_ = float(model.intercept_[0])
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return _rowwise_proba(self._z(X)[:, self.selected_], self.coef_, self.intercept_)

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.classes_[(self.predict_proba(X)[:, 1] >= 0.5).astype(int)]


class RowInvariantProba(ClassifierMixin, BaseEstimator):
    """Wrap a classifier whose batched prediction depends on the batch (BLAS blocking in the MLP's matrix
    products changes the last bits with the number of rows) so that each row is predicted on its own.

    That keeps predictions bitwise identical whether a row is predicted with the whole test fold or alone
    on the live path, which the truncation and batch-vs-live tests demand (cost: ``bench/models_notes.md``).
    """

    def __init__(self, estimator: Any = None) -> None:
        self.estimator = estimator

    def fit(self, X: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None) -> RowInvariantProba:
        from sklearn.base import clone

        from .validation import fit_with_weight

        self.estimator_ = fit_with_weight(clone(self.estimator), X, y, sample_weight)
        self.classes_ = self.estimator_.classes_
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        if len(X) == 0:
            return np.empty((0, len(self.classes_)))
        return np.vstack([self.estimator_.predict_proba(X[i : i + 1]) for i in range(len(X))])

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


class BoosterProba:
    """Prediction-only wrapper of a LightGBM ``Booster`` loaded from its native text model."""

    def __init__(self, booster: Any) -> None:
        self.booster = booster

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        p = np.asarray(self.booster.predict(np.asarray(X, dtype=np.float64)), dtype=np.float64)
        return np.column_stack([1.0 - p, p])


def make_base(name: str, *, random_state: int, n_jobs: int, fast: bool) -> Any:
    """Build an unfitted base learner by short name (one of :data:`BASE_MODELS`)."""
    if name == "logit":
        return SparseLogit(random_state=random_state)
    if name == "screen":
        return ScreenedLogit()
    if name == "rf":
        from sklearn.ensemble import RandomForestClassifier

        return RandomForestClassifier(n_estimators=30 if fast else 100, max_depth=5 if fast else 8,
                                      min_samples_leaf=5, max_features="sqrt", n_jobs=n_jobs,
                                      random_state=random_state)
    if name == "xgb":
        from xgboost import XGBClassifier

        return XGBClassifier(n_estimators=40 if fast else 200, max_depth=3 if fast else 4,
                             learning_rate=0.1 if fast else 0.05, subsample=0.8, colsample_bytree=0.8,
                             tree_method="hist", eval_metric="logloss", nthread=n_jobs,
                             random_state=random_state, verbosity=0)
    if name == "lgbm":
        from lightgbm import LGBMClassifier

        return LGBMClassifier(n_estimators=40 if fast else 200, num_leaves=7 if fast else 15,
                              learning_rate=0.1 if fast else 0.05, subsample=0.8, subsample_freq=1,
                              colsample_bytree=0.8, min_child_samples=10, n_jobs=n_jobs,
                              random_state=random_state, deterministic=True, verbose=-1)
    if name == "mlp":
        from sklearn.neural_network import MLPClassifier
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        # L2 against ~1e2 noisy features, and small batches with a larger step so that early stopping
        # does not end training before it starts: with lr 1e-3 and batches of 200 the net stopped after
        # 12 epochs (~20 updates) at AUC 0.54-0.77 on a linearly separable target that this setting
        # learns to 0.92-0.96 on 300-650 rows (measured, 100 features, ~0.2 s CPU a fit)
        return RowInvariantProba(make_pipeline(StandardScaler(), MLPClassifier(
            hidden_layer_sizes=(16,) if fast else (32, 16), alpha=3.0 if fast else 1.0,
            learning_rate_init=1e-2 if fast else 3e-3, batch_size=32, max_iter=200,
            early_stopping=True, validation_fraction=0.2, n_iter_no_change=10 if fast else 15,
            random_state=random_state)))
    if name == "svm":
        return PlattSVC(random_state=random_state)
    from tradeforge.errors import unknown_name_error

    raise unknown_name_error("base model", name, BASE_MODELS)


def save_base(name: str, model: Any, directory: Path) -> list[Path]:
    """Write a fitted base learner into *directory*; native formats for XGBoost and LightGBM."""
    if name == "xgb":
        path = directory / "xgb.json"
        model.save_model(path)
    elif name == "lgbm":
        path = directory / "lgbm.txt"
        booster = model.booster if isinstance(model, BoosterProba) else model.booster_
        booster.save_model(str(path))
    else:
        path = directory / f"{name}.pkl"
        path.write_bytes(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL))
    return [path]


def load_base(name: str, directory: Path) -> Any:
    """Read a base learner written by :func:`save_base` (pickles: only after a checksum check)."""
    try:
        if name == "xgb":
            from xgboost import XGBClassifier

            model = XGBClassifier()
            model.load_model(directory / "xgb.json")
            return model
        if name == "lgbm":
            import lightgbm as lgb

            return BoosterProba(lgb.Booster(model_file=str(directory / "lgbm.txt")))
        return pickle.loads((directory / f"{name}.pkl").read_bytes())
    except FileNotFoundError as exc:
        raise ModelError(f"base model '{name}': file {exc.filename} is missing; retrain or restore "
                         "it") from exc
