"""Numba scans used by the wrappers to find leading NaNs and gaps without temporary arrays."""

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def first_finite_nb(x):
    """Index of the first finite value of x (len(x) when there is none)."""
    for i in range(x.shape[0]):
        if np.isfinite(x[i]):
            return i
    return x.shape[0]


@njit(cache=True, nogil=True, fastmath={"reassoc", "nsz", "arcp", "contract"})
def _zero_sum_nb(x, start):
    """Sum of x[i]*0 from *start*: 0.0 when every value is finite, NaN otherwise (vectorised: the
    fastmath flags allow reordering the sum but keep NaN/inf semantics)."""
    acc = 0.0
    for i in range(start, x.shape[0]):
        acc += x[i] * 0.0
    return acc


@njit(cache=True, nogil=True)
def first_nonfinite_from_nb(x, start):
    """Index of the first NaN/inf at or after *start* (-1 when there is none)."""
    if _zero_sum_nb(x, start) == 0.0:
        return -1
    for i in range(start, x.shape[0]):
        if not np.isfinite(x[i]):
            return i
    return -1
