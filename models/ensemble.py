"""Stacked ensemble on chronological out-of-fold predictions, with calibrated probability and decisions.

How a fit works (rows are in time order):

1. NaN features are imputed with the training medians (a column that is all NaN in training becomes 0);
   the medians are stored and reused at prediction time, so a row never sees statistics of later rows.
2. Level 1: every base model (random forest, XGBoost, LightGBM, MLP, Platt-scaled RBF SVM) produces
   out-of-fold probabilities over ``n_splits`` blocks with ``purge``/``embargo``: by default
   (``level1="walkforward"``) an anchored :class:`WalkForwardSplit`, each OOF value from a model fitted
   only on earlier rows (the first block gets none); ``level1="kfold"`` uses a
   :class:`~tradeforge.models.validation.PurgedKFold` instead, each block predicted by a model fitted on
   the purged rows on both sides of it, so every row gets a value from a model fitted on
   ``(n_splits - 1) / n_splits`` of the window (the window's own later rows are no lookahead for the
   data after it, which the walk-forward runner keeps apart). Measured on planted edges
   (``bench/edges.py``-style, 2 x 1,500 daily bars, five seeds), k-fold made the stack trade more on some
   seeds and less on others; on one 500-bar symbol its OOF AUC was lower (0.59 vs 0.74); it is not the
   default.
3. Level 2: the logistic-regression meta-learner takes the log-odds of those OOF probabilities, with
   non-negative weights (:class:`~tradeforge.models._meta.NonNegativeLogit`: a base model can be dropped,
   never inverted). Under ``meta_slope="latest_block"`` (default) the slope of the combined log-odds is
   then refitted on the latest level-1 block alone, where that block measures it as significantly
   positive, and the intercept on every row again (:class:`~tradeforge.models._meta.RecentSlopeLogit`):
   pooled weights are attenuated by the early blocks, whose base models saw a fifth of the window, so
   the final stack's probabilities came out squeezed towards the base rate. Its own
   out-of-fold predictions (a second anchored walk-forward over the OOF rows, with the same purge and
   embargo) fit the calibrator, so no row's calibration uses a base model or a meta-learner that saw that
   row or a label overlapping it.
4. The meta-learner is then refitted on all OOF rows and the base models on the whole window.

``report_`` gives, per base model and for the stack, the OOF AUC, Brier score and expected calibration error;
``stack`` is the meta-learner's own OOF probability and ``stack_calibrated`` the same after calibration,
measured honestly: each block is calibrated by a calibrator fitted on earlier blocks only. Under
``calibration="auto"`` the method is *chosen* on the first half (in time) of those honestly calibrated rows
and every row of the report is *scored* on the rows after it (less the label horizon between them), so the
reported Brier/ECE are not those of a winner picked on the same rows. Otherwise all honest rows are scored.
All rows of the report are measured on the same rows (``n`` says how many). ``oof_proba_`` keeps the
honestly calibrated OOF probabilities of those rows and ``oof_rows_`` their positions among the rows of
``X`` (both in memory, not saved): through
:meth:`StackedEnsemble.confidence` they give the training distribution of the confidence, which live
predictions are compared with.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin

from tradeforge.errors import DataError, ModelError, unknown_name_error

from . import _base_models as bm
from ._calibration import CALIBRATIONS, Calibrator, chronological_calibration, logit, scores, sigmoid
from ._meta import NonNegativeLogit, RecentSlopeLogit
from ._sklearn import ModelValueError, NotFittedModelError, check_input
from .params import DEFAULT_BASE_MODELS, check_ensemble_params
from .validation import PurgedKFold, WalkForwardSplit, fit_with_weight, oof_predict

__all__ = ["StackedEnsemble"]

_META_SPLITS = 3
_MIN_OOF_ROWS = 20
_MAX_META_SLOPE = 3.0  # the most the latest level-1 block may stretch the pooled meta-learner's log-odds


class StackedEnsemble(ClassifierMixin, BaseEstimator):
    """Stack of base learners (logits, RF, XGBoost, LightGBM, MLP, SVM) under a logistic meta-learner.

    Parameters
    ----------
    base_models : tuple of str
        Any of ``"screen", "logit", "rf", "xgb", "lgbm", "mlp", "svm"`` (``"logit"``: L1-penalised logistic
        regression on standardised features, :class:`~tradeforge.models._base_models.SparseLogit`;
        ``"screen"``: a logistic regression on the few individually significant features,
        :class:`~tradeforge.models._base_models.ScreenedLogit`); default
        :data:`~tradeforge.models.params.DEFAULT_BASE_MODELS` (``screen, logit, rf, mlp``).
    meta : str
        Meta-learner; ``"logreg"`` (logistic regression on the base models' OOF log-odds).
    meta_slope : {"latest_block", "pooled"}
        Where the meta-learner's slope comes from: ``"latest_block"`` refits the slope of its combined
        log-odds on the latest ``1 / n_splits`` of the OOF rows (the block predicted by the base models
        fitted on the most rows), where those rows measure it at >= 2 standard errors above 0, at most 3x
        the pooled slope, and keeps the pooled level; ``"pooled"`` fits it on every OOF row. See
        :class:`~tradeforge.models._meta.RecentSlopeLogit`; the slope used is ``meta_slope_``.
    calibration : str
        ``"isotonic"``, ``"platt"``, ``"none"`` or ``"auto"``. ``"auto"`` measures each method honestly
        (chronologically: every block calibrated by a calibrator fitted on earlier blocks only) and keeps the
        one with the lowest out-of-sample Brier score, ``"none"`` included: on small, drifting windows a
        calibrator fitted on a few hundred rows can make probabilities worse, and only this measurement
        says so. The method is chosen on the earlier half of those rows and scored on the later half (see
        the module notes). The choice is in ``calibration_``, the choosing rows' Brier scores in
        ``calibration_brier_``.
    n_splits : int
        Test blocks for the level-1 out-of-fold predictions.
    level1 : {"kfold", "walkforward"}
        How the level-1 out-of-fold predictions are cut (see the module notes).
    purge : int or array-like
        Label horizon in rows, or per-row ``label_end`` positions (see :class:`WalkForwardSplit`).
    embargo : int, optional
        Extra rows dropped before each test block; None (default): the label horizon (the integer
        ``purge``, or the longest ``label_end[i] - i``), 0 for none.
    buy_threshold, sell_threshold : float
        ``decide`` says BUY when the calibrated probability is >= ``buy_threshold``, SELL when it is
        <= ``sell_threshold``, HOLD otherwise.
    random_state : int
        Seed of every base model.
    n_jobs : int
        Threads for the tree models.
    fast : bool
        Small base models (for tests and quick experiments).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 4)); y = (X[:, 0] + 0.5 * rng.normal(size=300) > 0).astype(int)
    >>> model = StackedEnsemble(base_models=("rf", "lgbm"), fast=True).fit(X, y)
    >>> list(model.decide(X[-2:]).columns)
    ['proba', 'confidence', 'decision', 'expected_return']
    """

    def __init__(
        self,
        base_models: tuple[str, ...] = DEFAULT_BASE_MODELS,
        meta: str = "logreg",
        meta_slope: str = "latest_block",
        calibration: str = "isotonic",
        n_splits: int = 4,
        level1: str = "walkforward",
        purge: int | np.ndarray = 0,
        embargo: int | None = None,
        buy_threshold: float = 0.6,
        sell_threshold: float = 0.4,
        random_state: int = 0,
        n_jobs: int = 1,
        fast: bool = False,
    ) -> None:
        self.base_models = base_models
        self.meta = meta
        self.meta_slope = meta_slope
        self.calibration = calibration
        self.n_splits = n_splits
        self.level1 = level1
        self.purge = purge
        self.embargo = embargo
        self.buy_threshold = buy_threshold
        self.sell_threshold = sell_threshold
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.fast = fast

    def __sklearn_tags__(self):
        """Binary classification on numeric rows in time order; NaN features allowed (imputed)."""
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        tags.input_tags.allow_nan = True
        tags.non_deterministic = False
        return tags

    # ------------------------------------------------------------------ validation helpers
    def _check_params(self) -> tuple[str, ...]:
        names = check_ensemble_params(self.base_models, self.meta, self.calibration, self.embargo,
                                      self.sell_threshold, self.buy_threshold, self.meta_slope)
        if self.level1 not in ("kfold", "walkforward"):
            raise unknown_name_error("level1", str(self.level1), ["kfold", "walkforward"])
        return names

    def _min_rows(self) -> int:
        return 4 * (int(self.n_splits) + 1)

    def _matrix(self, X: Any, fitting: bool, y: Any = None) -> Any:
        """scikit-learn's input checks (NaN allowed, imputed later), then a located infinity check."""
        out = check_input(self, X, y, reset=fitting)
        arr = out[0] if fitting else out
        if np.isinf(arr).any():
            row, col = np.argwhere(np.isinf(arr))[0]
            raise DataError(f"X: infinite value at row {row}, column {col}; replace infinities by NaN or "
                            "clip them")
        return out

    def _impute(self, arr: np.ndarray) -> np.ndarray:
        out = arr.copy()
        rows, cols = np.nonzero(np.isnan(out))
        out[rows, cols] = self.medians_[cols]
        return out

    @staticmethod
    def _labels(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        from sklearn.utils.multiclass import check_classification_targets

        try:
            check_classification_targets(y)
        except ValueError as exc:
            raise DataError(f"y: {exc}; pass binary labels (1 = the trade was profitable)") from exc
        classes = np.unique(y)
        if classes.size != 2:
            raise ModelValueError(
                f"y: training labels hold {classes.size} class(es) ({classes.tolist()[:5]}); Only binary "
                "classification is supported, with both classes present: use a longer or different window"
            )
        return classes, (y == classes[1]).astype(np.int64)

    # ------------------------------------------------------------------ fitting
    def fit(self, X: Any, y: Any, sample_weight: Any = None, returns: Any = None) -> StackedEnsemble:
        """Fit base models, meta-learner and calibrator on chronological out-of-fold predictions.

        Parameters
        ----------
        X : DataFrame or 2-D array
            Features, rows in time order (NaN allowed: imputed with training medians).
        y : array-like
            Binary labels (1 = the trade was profitable).
        sample_weight : array-like, optional
            Per-row weights for the base models (e.g. label uniqueness).
        returns : array-like, optional
            Realised trade return per row; gives ``expected_return`` in :meth:`decide`.
        """
        names = self._check_params()
        arr, y = self._matrix(X, fitting=True, y=y)
        self.classes_, yb = self._labels(y)
        weight = None if sample_weight is None else self._weights(sample_weight, arr, yb)
        if len(arr) < self._min_rows():  # after the labels and weights: a one-class y is named first
            raise DataError(f"X: {len(arr)} rows are too few for n_splits={self.n_splits}: found array with "
                            f"{len(arr)} sample(s) while a minimum of {self._min_rows()} is required "
                            "(more rows or fewer splits)")
        with np.errstate(all="ignore"):
            med = np.nanmedian(np.where(np.isnan(arr).all(axis=0), 0.0, arr), axis=0)
        self.medians_ = np.nan_to_num(med, nan=0.0)
        Xi = self._impute(arr)
        self._fit_returns(returns, yb)
        oof, mask = self._level1(names, Xi, yb, weight)
        self._level2(names, oof, mask, yb)
        self.base_ = {n: fit_with_weight(self._make(n), Xi, yb, weight) for n in names}
        return self

    @staticmethod
    def _weights(sample_weight: Any, arr: np.ndarray, yb: np.ndarray) -> np.ndarray:
        from sklearn.utils.validation import _check_sample_weight

        try:
            weight = _check_sample_weight(sample_weight, arr, dtype=np.float64, ensure_non_negative=True)
        except ValueError as exc:
            raise DataError(f"sample_weight: {exc}; pass one non-negative weight per row") from exc
        if not weight.sum() > 0:
            raise DataError("sample_weight: all weights are zero; pass positive weights for some rows")
        if np.unique(yb[weight > 0]).size < 2:
            raise DataError("sample_weight: the rows with a positive weight hold a single class; a binary "
                            "model needs weight on both classes")
        return weight

    def _make(self, name: str) -> Any:
        return bm.make_base(name, random_state=self.random_state, n_jobs=self.n_jobs, fast=self.fast)

    def _fit_returns(self, returns: Any, yb: np.ndarray) -> None:
        self.win_mean_ = self.loss_mean_ = float("nan")
        if returns is None:
            return
        r = np.asarray(returns, dtype=np.float64)
        if r.shape != yb.shape:
            raise DataError(f"returns: expected one realised return per row ({len(yb)}), got shape {r.shape}")
        self.win_mean_ = float(np.nanmean(r[yb == 1]))
        self.loss_mean_ = float(np.nanmean(r[yb == 0]))

    def _level1(self, names, Xi, yb, weight) -> tuple[np.ndarray, np.ndarray]:
        n = len(yb)
        if n < 4 * (self.n_splits + 1):
            raise DataError(
                f"X: {n} rows are too few for n_splits={self.n_splits}; need at least "
                f"{4 * (self.n_splits + 1)} (more rows or fewer splits)"
            )
        if self.level1 == "kfold":
            split = PurgedKFold(n_splits=self.n_splits, purge=self.purge, embargo=self.embargo)
        else:
            split = WalkForwardSplit(n_splits=self.n_splits, purge=self.purge, embargo=self.embargo,
                                     anchored=True)
        cols = []
        for name in names:
            p, _ = oof_predict(lambda name=name: self._make(name), Xi, yb, split, sample_weight=weight)
            cols.append(p)
        oof = np.column_stack(cols)
        mask = np.isfinite(oof).all(axis=1)
        if mask.sum() < _MIN_OOF_ROWS or np.unique(yb[mask]).size < 2:
            raise ModelValueError(
                f"fit: only {int(mask.sum())} out-of-fold rows (or a single class among them) to train the "
                f"meta-learner; need >= {_MIN_OOF_ROWS} with both classes: more rows or fewer splits"
            )
        return oof, mask

    def _meta_purge(self, mask: np.ndarray) -> tuple[int | np.ndarray, int]:
        """Purge for the level-2 split over the OOF rows (a contiguous run of the original rows), and an
        integer gap (the longest label horizon) for the calibration measurement."""
        pos = np.flatnonzero(mask)
        embargo = self._embargo()
        if np.isscalar(self.purge):
            return int(self.purge), int(self.purge) + embargo
        label_end = np.asarray(self.purge)[pos]
        horizon = np.nan_to_num(label_end - pos, nan=0.0)
        return label_end - pos[0], int(max(horizon.max(initial=0), 0)) + embargo

    def _embargo(self) -> int:
        """The embargo in rows (the label horizon when ``embargo`` is None)."""
        return WalkForwardSplit(purge=self.purge, embargo=self.embargo).resolved_embargo()

    def _level2(self, names, oof, mask, yb) -> None:
        Z, yz = logit(oof[mask]), yb[mask]
        purge, gap = self._meta_purge(mask)
        meta_split = WalkForwardSplit(n_splits=_META_SPLITS, anchored=True, purge=purge,
                                      embargo=self._embargo())
        meta_oof, meta_mask = oof_predict(self._meta_model(), Z, yz, meta_split)
        if np.unique(yz[meta_mask]).size < 2:
            raise ModelValueError("fit: the meta-learner's out-of-fold rows hold one class; use more data")
        p_meta, y_meta = meta_oof[meta_mask], yz[meta_mask]
        honest, self.calibration_, scored = self._honest_calibration(p_meta, y_meta, gap)
        self.calibrator_ = Calibrator(self.calibration_).fit(p_meta, y_meta)
        meta = self._meta_model().fit(Z, yz)
        self.meta_coef_ = meta.coef_[0].astype(np.float64)
        self.meta_intercept_ = float(meta.intercept_[0])
        self.meta_slope_ = float(getattr(meta, "slope_", 1.0))
        # every row of the report is measured on the same rows: those with an honest calibrated OOF value
        ok = scored & np.isfinite(honest)
        if not ok.any():
            raise ModelValueError("fit: too few out-of-fold rows to measure calibration; use more data")
        base_oof = oof[mask][meta_mask][ok]
        rows = {n: scores(y_meta[ok], base_oof[:, j]) for j, n in enumerate(names)}
        rows["stack"] = scores(y_meta[ok], p_meta[ok])
        rows["stack_calibrated"] = scores(y_meta[ok], honest[ok])
        self.report_ = pd.DataFrame(rows).T[["auc", "brier", "ece", "n"]].rename_axis("model")
        self.report_["n"] = self.report_["n"].astype(int)
        self.n_oof_rows_ = int(mask.sum())
        # the honestly calibrated OOF probabilities of the scored rows, in time order (set by fit, not saved)
        self.oof_proba_ = honest[ok].astype(np.float64)
        self.oof_rows_ = np.flatnonzero(mask)[np.flatnonzero(meta_mask)][ok]

    def _meta_model(self) -> NonNegativeLogit:
        """A fresh meta-learner: its honest out-of-fold predictions and the final one are fitted alike."""
        if self.meta_slope == "pooled":
            return NonNegativeLogit(C=1.0)
        return RecentSlopeLogit(C=1.0, recent=1.0 / int(self.n_splits), max_slope=_MAX_META_SLOPE)

    def _honest_calibration(self, p: np.ndarray, y: np.ndarray, gap: int
                            ) -> tuple[np.ndarray, str, np.ndarray]:
        """Chronologically calibrated OOF probabilities, the method used and the rows to score it on.

        One method: every honest row is scored. ``"auto"``: the best Brier score on the first half of the
        honest rows chooses; the rows from ``gap`` rows after that half on are the ones scored."""
        methods = CALIBRATIONS if self.calibration == "auto" else (self.calibration,)
        honest = {m: chronological_calibration(p, y, m, gap=gap) for m in methods}
        common = np.logical_and.reduce([np.isfinite(h) for h in honest.values()])
        self.calibration_brier_ = {}
        if len(methods) == 1 or not common.any():
            return honest[methods[0]], methods[0], np.isfinite(honest[methods[0]])
        rows = np.flatnonzero(common)
        cut = rows[rows.size // 2]
        choose = common & (np.arange(len(p)) < cut)
        scored = common & (np.arange(len(p)) >= cut + gap)
        if not choose.any():
            choose = common
        brier = {m: float(np.mean((h[choose] - y[choose]) ** 2)) for m, h in honest.items()}
        best = min(methods, key=lambda m: (brier[m], methods.index(m)))
        self.calibration_brier_ = brier
        return honest[best], best, scored

    # ------------------------------------------------------------------ prediction
    def _check_fitted(self) -> None:
        if not hasattr(self, "base_"):
            raise NotFittedModelError(
                "StackedEnsemble is not fitted: call fit(X, y) or load a saved model first")

    def _raw_meta(self, X: Any) -> np.ndarray:
        self._check_fitted()
        Xi = self._impute(self._matrix(X, fitting=False))
        cols = [self.base_[n].predict_proba(Xi)[:, 1] for n in self.base_]
        # an elementwise product summed per row, not a matrix product: BLAS rounds a one-row product and a
        # batched one differently in the last bit, and the live path predicts one row at a time
        z = (logit(np.column_stack(cols)) * self.meta_coef_).sum(axis=1) + self.meta_intercept_
        return sigmoid(z)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Calibrated probabilities, shape ``(n, 2)``: column 1 is P(trade profitable)."""
        raw = self._raw_meta(X)
        p = self.calibrator_.transform(raw)
        return np.column_stack([1.0 - p, p])

    def predict(self, X: Any) -> np.ndarray:
        """Class labels (``classes_[1]`` when the calibrated probability is >= 0.5)."""
        p = self.predict_proba(X)[:, 1]
        return self.classes_[(p >= 0.5).astype(np.int64)]

    def decide(self, X: Any) -> pd.DataFrame:
        """Per-row decision table.

        Columns: ``proba`` (calibrated P(profitable)), ``decision`` (BUY / SELL / HOLD by the thresholds),
        ``confidence`` (calibrated probability of the decided side: ``proba`` for BUY, ``1 - proba`` for
        SELL, ``max(proba, 1 - proba)`` for HOLD) and ``expected_return``
        (``proba * mean win + (1 - proba) * mean loss`` over the training rows; NaN without ``returns``).

        Examples
        --------
        >>> rng = np.random.default_rng(1)
        >>> X = rng.normal(size=(300, 3)); y = (X[:, 1] > 0).astype(int)
        >>> m = StackedEnsemble(base_models=("lgbm",), fast=True).fit(X, y, returns=np.where(y, 0.01, -0.01))
        >>> set(m.decide(X[:20])["decision"]) <= {"BUY", "SELL", "HOLD"}
        True
        """
        p = self.predict_proba(X)[:, 1]
        decision, confidence = self._decide(p)
        index = X.index if isinstance(X, pd.DataFrame) else None
        return pd.DataFrame(
            {"proba": p, "confidence": confidence, "decision": decision,
             "expected_return": p * self.win_mean_ + (1.0 - p) * self.loss_mean_},
            index=index,
        )

    def _decide(self, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        sell = np.where(p <= self.sell_threshold, "SELL", "HOLD")
        decision = np.where(p >= self.buy_threshold, "BUY", sell)
        hold = np.where(decision == "SELL", 1.0 - p, np.maximum(p, 1 - p))
        return decision, np.where(decision == "BUY", p, hold)

    def confidence(self, proba: Any) -> np.ndarray:
        """The ``confidence`` column of :meth:`decide` for calibrated probabilities *proba* (no features
        needed), e.g. ``model.confidence(model.oof_proba_)``: the training distribution of the confidence.

        Examples
        --------
        >>> StackedEnsemble(buy_threshold=0.6, sell_threshold=0.4).confidence([0.7, 0.3, 0.45]).tolist()
        [0.7, 0.7, 0.55]
        """
        return self._decide(np.asarray(proba, dtype=np.float64))[1]

    # ------------------------------------------------------------------ persistence
    def save(self, directory: str | Path) -> list[Path]:
        """Write the fitted ensemble into *directory*; return the files written.

        ``ensemble.json`` holds the parameters, medians, meta-learner coefficients and calibrator knots;
        XGBoost and LightGBM use their native formats; the scikit-learn base models are pickles, which
        :meth:`load` must only read after their checksums were verified (``ModelRegistry`` does this).
        """
        self._check_fitted()
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        params = self.get_params()
        names = getattr(self, "feature_names_in_", None)
        params["base_models"] = list(params["base_models"])
        params["purge"] = np.asarray(self.purge).tolist()
        state = {
            "params": params,
            "feature_names": None if names is None else list(names),
            "n_features": self.n_features_in_,
            "classes": self.classes_.tolist(),
            "medians": self.medians_.tolist(),
            "meta_coef": self.meta_coef_.tolist(),
            "meta_intercept": self.meta_intercept_,
            "meta_slope": self.meta_slope_,
            "calibrator": self.calibrator_.to_dict(),
            "win_mean": self.win_mean_,
            "loss_mean": self.loss_mean_,
            "n_oof_rows": self.n_oof_rows_,
            "report": self.report_.reset_index().to_dict(orient="list"),
        }
        path = directory / "ensemble.json"
        path.write_text(json.dumps(state, indent=1))
        files = [path]
        for name, model in self.base_.items():
            files += bm.save_base(name, model, directory)
        return files

    @classmethod
    def load(cls, directory: str | Path) -> StackedEnsemble:
        """Read an ensemble written by :meth:`save` (use ``ModelRegistry.load`` to verify checksums first)."""
        directory = Path(directory)
        try:
            state = json.loads((directory / "ensemble.json").read_text())
        except FileNotFoundError as exc:
            raise ModelError(f"{exc.filename} is missing; retrain the ensemble or restore the file") from exc
        params = dict(state["params"])
        params["base_models"] = tuple(params["base_models"])
        params.setdefault("meta_slope", "pooled")  # files written before the parameter existed
        purge = params["purge"]
        params["purge"] = purge if isinstance(purge, int) else np.asarray(purge, dtype=np.int64)
        model = cls(**params)
        names = state["feature_names"]
        if names is not None:
            model.feature_names_in_ = np.asarray(names, dtype=object)
        model.n_features_in_ = int(state["n_features"])
        model.classes_ = np.asarray(state["classes"])
        model.medians_ = np.asarray(state["medians"], dtype=np.float64)
        model.meta_coef_ = np.asarray(state["meta_coef"], dtype=np.float64)
        model.meta_intercept_ = float(state["meta_intercept"])
        model.meta_slope_ = float(state.get("meta_slope", 1.0))
        model.calibrator_ = Calibrator.from_dict(state["calibrator"])
        model.calibration_ = model.calibrator_.method
        model.win_mean_ = float(state["win_mean"])
        model.loss_mean_ = float(state["loss_mean"])
        model.n_oof_rows_ = int(state["n_oof_rows"])
        model.report_ = pd.DataFrame(state["report"]).set_index("model")
        model.base_ = {n: bm.load_base(n, directory) for n in params["base_models"]}
        return model
