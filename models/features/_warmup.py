"""Imported by the feature workers' forkserver: loads every compiled kernel once, at import.

Workers forked from a warm server start with the numba kernels of the default feature set already
loaded, instead of paying numba's start-up and cache loading each. Importing this module
anywhere else is harmless (it only computes one small feature matrix).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .defaults import default_feature_set


def _warm() -> None:
    n = 80
    close = 100.0 + np.sin(np.arange(n))
    index = pd.date_range("2024-01-01", periods=n, freq="D", name="datetime")
    frame = pd.DataFrame({"open": close, "high": close + 1.0, "low": close - 1.0, "close": close,
                          "volume": 1_000.0}, index=index)
    default_feature_set().transform(frame)


_warm()
