"""Chronological validation splits with purging and embargo, and out-of-fold predictions.

Time series must never be cross-validated with shuffled or future-trained folds when the predictions feed a
second model: scikit-learn's ``KFold`` (and ``StackingClassifier``'s default ``cv``) trains on rows *after*
the rows it predicts, so the meta-learner learns from predictions that already saw the future. Here every
prediction at row ``i`` comes from a model fitted on rows strictly before ``i``, minus:

* the **purge**: training rows whose label reaches into the test block (their label horizon overlaps it).
  Give an integer (the label horizon in rows; the last ``purge`` rows before each test block are dropped)
  or a per-row ``label_end`` array (position of the last bar each label uses, e.g. from
  ``targets.triple_barrier``) to drop exactly the rows whose label ends at or after the test start;
* the **embargo**: in a forward-only walk-forward every training row precedes its test block, so the rows
  that could leak through serial correlation are the ones just *before* the test block; the embargo drops
  ``embargo`` further rows there, on top of the purge. By default (``embargo=None``) it is the label
  horizon: the integer ``purge``, or the longest ``label_end[i] - i`` of a ``label_end`` array. (In López
  de Prado's purged k-fold the embargo sits *after* the test block because training data also follows it;
  walk-forward never trains on data after the test block, so that case does not arise.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from tradeforge.errors import ConfigError, DataError

__all__ = ["WalkForwardSplit", "oof_predict"]


def _check_int(name: str, value: Any, minimum: int, allow_none: bool = False) -> int | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ConfigError(f"{name}: expected an integer >= {minimum}, got {value!r}")
    return int(value)


class WalkForwardSplit:
    """Rolling or anchored walk-forward splits with a purge gap and an embargo.

    Parameters
    ----------
    n_splits : int, optional
        Number of test blocks. With ``test_size`` the blocks are the last ``n_splits * test_size`` rows;
        without it, rows after the first training window are cut into ``n_splits`` equal blocks (the first
        training window then has ``min_train`` rows, or ``n // (n_splits + 1)`` when that is not given).
        When ``None``, as many blocks of ``test_size`` as fit after ``min_train`` (the last may be shorter).
    train_size : int, optional
        Rolling window length (rows before the purge/embargo gap). Ignored when ``anchored``; ``None``
        means every earlier row (expanding, like ``anchored``).
    test_size : int, optional
        Rows per test block.
    purge : int or array-like of int
        Label horizon in rows, or per-row ``label_end`` positions (see module docstring).
    embargo : int, optional
        Extra rows dropped from the end of each training window, after the purge; None (default): the
        label horizon (see the module notes), 0 for none.
    anchored : bool
        ``True``: every training window starts at row 0 (expanding); ``False``: rolling ``train_size``.
    min_train : int, optional
        Minimum rows in a training window; folds with fewer are skipped.

    Examples
    --------
    >>> import numpy as np
    >>> cv = WalkForwardSplit(n_splits=3, test_size=10, purge=2, embargo=0, anchored=True)
    >>> [(int(tr[-1]), int(te[0]), int(te[-1])) for tr, te in cv.split(np.zeros(50))]
    [(17, 20, 29), (27, 30, 39), (37, 40, 49)]
    >>> cv = WalkForwardSplit(n_splits=3, test_size=10, purge=2, anchored=True)  # embargo = horizon = 2
    >>> [int(tr[-1]) for tr, te in cv.split(np.zeros(50))]
    [15, 25, 35]
    """

    def __init__(
        self,
        n_splits: int | None = None,
        train_size: int | None = None,
        test_size: int | None = None,
        purge: int | np.ndarray = 0,
        embargo: int | None = None,
        anchored: bool = False,
        min_train: int | None = None,
    ) -> None:
        self.n_splits = n_splits
        self.train_size = train_size
        self.test_size = test_size
        self.purge = purge
        self.embargo = embargo
        self.anchored = anchored
        self.min_train = min_train

    def __repr__(self) -> str:
        purge = "label_end[...]" if not np.isscalar(self.purge) else self.purge
        return (
            f"WalkForwardSplit(n_splits={self.n_splits}, train_size={self.train_size}, "
            f"test_size={self.test_size}, purge={purge}, embargo={self.embargo}, "
            f"anchored={self.anchored}, min_train={self.min_train})"
        )

    def _test_starts(self, n: int) -> tuple[list[int], int]:
        """Return the start position of every test block and the block size."""
        n_splits = _check_int("n_splits", self.n_splits, 1, allow_none=True)
        test_size = _check_int("test_size", self.test_size, 1, allow_none=True)
        min_train = _check_int("min_train", self.min_train, 1, allow_none=True)
        train_size = _check_int("train_size", self.train_size, 1, allow_none=True)
        if n_splits is None and test_size is None:
            raise ConfigError("WalkForwardSplit: give n_splits, test_size or both (both are None)")
        first = min_train if min_train is not None else (train_size if not self.anchored else None)
        if test_size is None:
            first = n // (n_splits + 1) if first is None else first
            test_size = (n - first) // n_splits
            if test_size < 1:
                raise DataError(
                    f"WalkForwardSplit: {n} rows are too few for {n_splits} test blocks after a first "
                    f"training window of {first} rows; use fewer splits or more data"
                )
            start = n - n_splits * test_size
        elif n_splits is not None:
            start = n - n_splits * test_size
        else:
            start = first if first is not None else test_size
        if start < 1:
            raise DataError(
                f"WalkForwardSplit: {n} rows cannot hold {n_splits} test blocks of {test_size} rows plus "
                "a training window; lower n_splits or test_size"
            )
        return list(range(start, n, test_size)), test_size

    def _purge_mask(self, n: int) -> np.ndarray | None:
        if np.isscalar(self.purge):
            _check_int("purge", self.purge, 0)
            return None
        label_end = np.asarray(self.purge)
        if label_end.shape != (n,):
            raise DataError(
                f"purge: a label_end array must have one entry per row ({n}), got shape {label_end.shape}"
            )
        if not np.issubdtype(label_end.dtype, np.number):
            raise DataError(f"purge: label_end must hold integer positions, got dtype {label_end.dtype}")
        return label_end

    def resolved_embargo(self, label_end: np.ndarray | None = None) -> int:
        """The embargo in rows: ``embargo``, or the label horizon when it is None (see the module notes)."""
        if self.embargo is not None:
            return int(_check_int("embargo", self.embargo, 0))
        if label_end is None:
            if np.isscalar(self.purge):
                return int(self.purge)
            return self.resolved_embargo(np.asarray(self.purge))
        if label_end.size == 0:
            return 0
        return int(max(np.max(label_end - np.arange(label_end.size)), 0))

    def split(self, X: Any, y: Any = None, groups: Any = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield ``(train_idx, test_idx)`` positional arrays in chronological order.

        Examples
        --------
        >>> cv = WalkForwardSplit(test_size=5, train_size=10, purge=1)
        >>> [len(tr) for tr, te in cv.split(range(30))]
        [8, 10, 10, 10]
        """
        n = len(X)
        label_end = self._purge_mask(n)
        embargo = self.resolved_embargo(label_end)
        gap = embargo + (0 if label_end is not None else int(self.purge))
        starts, test_size = self._test_starts(n)
        min_train = self.min_train or 1
        for s in starts:
            e = min(s + test_size, n)
            hi = s - gap
            lo = 0 if self.anchored or self.train_size is None else max(0, hi - int(self.train_size))
            train = np.arange(lo, max(hi, lo), dtype=np.int64)
            if label_end is not None:
                train = train[label_end[train] < s]
            if len(train) < min_train:
                continue
            yield train, np.arange(s, e, dtype=np.int64)

    def get_n_splits(self, X: Any = None, y: Any = None, groups: Any = None) -> int:
        """Number of folds :meth:`split` yields for *X* (scikit-learn splitter protocol)."""
        if X is None:
            raise ConfigError("get_n_splits: pass X; the number of folds depends on its length")
        return sum(1 for _ in self.split(X))


class PurgedKFold:
    """K contiguous test blocks, each predicted by a model fitted on the rows on *both* sides of it, purged.

    A training row before a block is kept only if its label ends before the block starts; rows after a
    block are kept from ``embargo`` rows after its end on (de Prado, *Advances in Financial Machine
    Learning*, ch. 7). Unlike :class:`WalkForwardSplit` every row gets a prediction, each from a model
    fitted on ``(k - 1) / k`` of the window, so out-of-fold predictions are about as skilled as the model
    refitted on the whole window (an anchored walk-forward's first blocks are predicted by models fitted
    on a fifth of it). Use it *inside* a training window only: the window's own future is no lookahead
    for the test data after the window.

    Examples
    --------
    >>> import numpy as np
    >>> cv = PurgedKFold(n_splits=3, purge=2, embargo=1)
    >>> [(int(te[0]), int(te[-1]), len(tr)) for tr, te in cv.split(np.zeros(30))]
    [(0, 9, 19), (10, 19, 17), (20, 29, 18)]
    """

    def __init__(self, n_splits: int = 4, purge: int | np.ndarray = 0, embargo: int | None = None) -> None:
        self.n_splits = n_splits
        self.purge = purge
        self.embargo = embargo

    def split(self, X: Any, y: Any = None, groups: Any = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield ``(train_idx, test_idx)`` positional arrays, test blocks in chronological order."""
        n = len(X)
        k = _check_int("n_splits", self.n_splits, 2)
        if n < 2 * k:
            raise DataError(f"PurgedKFold: {n} rows are too few for {k} blocks; use fewer splits")
        helper = WalkForwardSplit(purge=self.purge, embargo=self.embargo)
        label_end = helper._purge_mask(n)
        if label_end is None:
            label_end = np.arange(n) + int(self.purge)
        embargo = helper.resolved_embargo(None if np.isscalar(self.purge) else label_end)
        bounds = np.linspace(0, n, k + 1).astype(np.int64)
        rows = np.arange(n, dtype=np.int64)
        for s, e in zip(bounds[:-1], bounds[1:], strict=True):
            train = rows[((rows < s) & (label_end < s)) | (rows >= e + embargo)]
            yield train, np.arange(s, e, dtype=np.int64)

    def get_n_splits(self, X: Any = None, y: Any = None, groups: Any = None) -> int:
        """Number of folds (``n_splits``)."""
        return int(self.n_splits)


def _positive_column(proba: np.ndarray) -> np.ndarray:
    proba = np.asarray(proba)
    if proba.ndim == 1:
        return proba
    if proba.shape[1] == 2:
        return proba[:, 1]
    return proba


def oof_predict(
    estimator: Any,
    X: Any,
    y: Any,
    splitter: WalkForwardSplit,
    *,
    method: str = "predict_proba",
    sample_weight: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold predictions: each test block predicted by a fresh model fitted on its training rows.

    Parameters
    ----------
    estimator : estimator or callable
        An unfitted scikit-learn estimator (cloned per fold with ``sklearn.clone``), or a zero-argument
        factory (a class or function) returning a new estimator.
    X, y : array-like
        Features (rows in time order) and labels.
    splitter : WalkForwardSplit
        Chronological splitter; anything with ``split(X)`` works.
    method : str
        ``"predict_proba"`` (binary: the probability of class 1), ``"decision_function"`` or ``"predict"``.
    sample_weight : array-like, optional
        Passed to ``fit`` for the training rows of each fold.

    Returns
    -------
    oof : ndarray
        Predictions, NaN on rows no fold predicted (the first training window, purged tails).
    mask : ndarray of bool
        ``True`` where ``oof`` holds a prediction.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 3)); y = (X[:, 0] > 0).astype(int)
    >>> oof, mask = oof_predict(LogisticRegression(), X, y, WalkForwardSplit(n_splits=3))
    >>> int(mask.sum()), bool(np.isnan(oof[~mask]).all())
    (150, True)
    """
    from sklearn.base import clone

    if method not in ("predict_proba", "decision_function", "predict"):
        raise ConfigError(f"method: expected predict_proba, decision_function or predict, got {method!r}")
    is_factory = isinstance(estimator, type) or (callable(estimator) and not hasattr(estimator, "fit"))
    make: Callable[[], Any] = estimator if is_factory else (lambda: clone(estimator))
    Xa = X if hasattr(X, "iloc") else np.asarray(X)
    ya = np.asarray(y)
    if len(Xa) != len(ya):
        raise DataError(f"oof_predict: X has {len(Xa)} rows but y has {len(ya)}; align them first")
    oof: np.ndarray | None = None
    mask = np.zeros(len(ya), dtype=bool)
    for k, (train, test) in enumerate(splitter.split(Xa)):
        if np.unique(ya[train]).size < 2:
            from ._sklearn import ModelValueError  # sklearn reads it as a ValueError

            raise ModelValueError(
                f"oof_predict: fold {k} trains on rows {train[0]}..{train[-1]} which hold a single class "
                f"({ya[train][0]!r}); use longer training windows (min_train/train_size) or fewer splits"
            )
        model = make()
        weight = None if sample_weight is None else np.asarray(sample_weight)[train]
        fit_with_weight(model, _rows(Xa, train), ya[train], weight)
        pred = getattr(model, method)(_rows(Xa, test))
        if method == "predict_proba":
            pred = _positive_column(pred)
        pred = np.asarray(pred, dtype=np.float64)
        if oof is None:
            oof = np.full((len(ya),) + pred.shape[1:], np.nan)
        oof[test] = pred
        mask[test] = True
    if oof is None:
        raise DataError(f"oof_predict: {splitter!r} produced no fold for {len(ya)} rows; use fewer splits")
    return oof, mask


def fit_with_weight(model: Any, X: Any, y: np.ndarray, sample_weight: np.ndarray | None) -> Any:
    """``model.fit(X, y)`` passing *sample_weight* (routed to the last step of a ``Pipeline``)."""
    if sample_weight is None:
        return model.fit(X, y)
    if hasattr(model, "steps"):
        return model.fit(X, y, **{f"{model.steps[-1][0]}__sample_weight": sample_weight})
    return model.fit(X, y, sample_weight=sample_weight)


def _rows(X: Any, idx: np.ndarray) -> Any:
    return X.iloc[idx] if hasattr(X, "iloc") else X[idx]
