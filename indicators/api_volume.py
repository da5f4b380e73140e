"""TA-Lib compatible volume indicators (obv, ad, adosc, mfi)."""

from __future__ import annotations

import numpy as np  # noqa: F401  (used by the docstring examples)

from . import _kernels_volume as kvo
from ._wrap import check_period, run, run_into

__all__ = ["obv", "ad", "adosc", "mfi"]


def obv(real, volume):
    """On-balance volume (TA-Lib ``OBV``), starting at the first bar's volume.

    Examples
    --------
    >>> obv(np.array([1.0, 2.0, 1.0]), np.array([10.0, 20.0, 5.0])).tolist()
    [10.0, 30.0, 25.0]
    """
    return run_into(kvo.obv_into_nb, {"real": real, "volume": volume}, names=("obv",))


def ad(high, low, close, volume):
    """Chaikin accumulation/distribution line (TA-Lib ``AD``).

    Examples
    --------
    >>> ad(np.array([2.0, 2.0]), np.array([0.0, 0.0]), np.array([2.0, 0.0]), np.array([5.0, 5.0])).tolist()
    [5.0, 0.0]
    """
    return run(kvo.ad_nb, {"high": high, "low": low, "close": close, "volume": volume}, names=("ad",))


def adosc(high, low, close, volume, fastperiod: int = 3, slowperiod: int = 10):
    """Chaikin A/D oscillator, EMA(AD, fast) - EMA(AD, slow) (TA-Lib ``ADOSC``).

    Examples
    --------
    >>> c = np.arange(1.0, 21.0)
    >>> int(np.isnan(adosc(c + 1, c - 1, c + 0.5, np.ones(20))).sum())
    9
    """
    f = check_period("fastperiod", fastperiod, 2)
    s = check_period("slowperiod", slowperiod, 2)
    inputs = {"high": high, "low": low, "close": close, "volume": volume}
    return run(kvo.adosc_nb, inputs, f, s, names=("adosc",))


def mfi(high, low, close, volume, timeperiod: int = 14):
    """Money flow index (TA-Lib ``MFI``).

    Examples
    --------
    >>> c = np.arange(1.0, 10.0)
    >>> float(mfi(c + 1, c - 1, c, np.ones(9), timeperiod=3)[-1])
    100.0
    """
    p = check_period("timeperiod", timeperiod, 2)
    inputs = {"high": high, "low": low, "close": close, "volume": volume}
    return run_into(kvo.mfi_into_nb, inputs, p, names=("mfi",))
