"""scikit-learn's input contract in tradeforge's error types, for the estimators of :mod:`tradeforge.models`.

:func:`check_input` runs ``sklearn.utils.validation.validate_data`` (dtype, 2-D, no complex or sparse
data, a row minimum, feature count and names, ``n_features_in_``/``feature_names_in_``) and re-raises its
``ValueError`` as :class:`~tradeforge.errors.DataError` (itself a ``ValueError``), keeping scikit-learn's
message so that ``check_estimator`` still recognises it. The two error classes below are ours and
scikit-learn's at once: callers catch :class:`~tradeforge.errors.ModelError`, scikit-learn's checks
catch ``ValueError`` / ``NotFittedError``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.exceptions import NotFittedError

from tradeforge.errors import DataError, ModelError, TradeforgeError

__all__ = ["NotFittedModelError", "ModelValueError", "check_input"]


class NotFittedModelError(ModelError, NotFittedError):
    """An estimator is used before ``fit``: fit it or load a saved one."""


class ModelValueError(ModelError, ValueError):
    """The training data cannot train the model (one class, too few usable rows): use more or other data."""


def check_input(est: Any, X: Any, y: Any = None, *, reset: bool, min_rows: int = 1, allow_nan: bool = True,
                ensure_2d: bool = True) -> Any:
    """``validate_data(est, X[, y])`` with float64 output; a rejected input raises :class:`DataError`.

    With *reset* (``fit``) *y* is required and validated too (finite, 1-D) and ``n_features_in_`` /
    ``feature_names_in_`` are set; without it (predict) the feature count and names are checked.
    ``min_rows`` rows are required (scikit-learn's ``ensure_min_samples``); NaN passes when *allow_nan*
    (infinity never does).
    """
    from sklearn.utils.validation import validate_data

    kw = {"reset": reset, "dtype": np.float64, "ensure_min_samples": int(min_rows), "ensure_2d": ensure_2d,
          "ensure_all_finite": "allow-nan" if allow_nan else True}
    try:
        if reset:
            return validate_data(est, X, y, y_numeric=False, **kw)
        return validate_data(est, X, **kw)
    except TradeforgeError:
        raise
    except ValueError as exc:
        msg = str(exc).replace("\n", " ").strip()
        name = type(est).__name__
        if "minimum of" in msg and "sample(s)" in msg:
            raise DataError(f"X: too few rows for {name} ({msg}); pass at least {min_rows} rows") from exc
        raise DataError(f"{name}: input rejected: {msg}") from exc
