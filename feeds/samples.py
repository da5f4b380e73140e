"""Real daily OHLCV shipped inside the ``arch`` package (no network): ``sample:sp500``, ``sample:nasdaq``.

Both are daily bars of the index from 1999-01-04 to 2018-12-31 (5,031 rows) with an ``Adj Close``
column, read from ``arch.data.sp500`` / ``arch.data.nasdaq``. The index level itself has no
dividends or splits, so ``adjust=True`` changes nothing here but is accepted for symmetry.
"""

from __future__ import annotations

from functools import cache

import pandas as pd

from tradeforge.errors import unknown_name_error

from .schema import validate_ohlcv

__all__ = ["SAMPLES", "load_sample"]

#: sample name -> (arch.data module, symbol)
SAMPLES: dict[str, tuple[str, str]] = {
    "sp500": ("arch.data.sp500", "SP500"),
    "nasdaq": ("arch.data.nasdaq", "NASDAQ"),
}


@cache
def _raw(name: str) -> pd.DataFrame:
    import importlib

    module = importlib.import_module(SAMPLES[name][0])  # imports arch lazily
    return module.load()


def load_sample(name: str, *, adjust: bool = False) -> pd.DataFrame:
    """Load one bundled sample as a validated frame.

    Parameters
    ----------
    name : str
        ``"sp500"`` or ``"nasdaq"`` (case-insensitive).
    adjust : bool
        Scale prices by ``Adj Close / Close`` (see :func:`tradeforge.feeds.validate_ohlcv`).

    Returns
    -------
    DataFrame
        Validated daily bars with ``attrs["symbol"]`` (``"SP500"`` / ``"NASDAQ"``).

    Raises
    ------
    ConfigError
        For an unknown sample name (with a did-you-mean hint).

    Examples
    --------
    >>> df = load_sample("sp500")
    >>> df.attrs["symbol"], len(df), str(df.index[0].date())
    ('SP500', 5031, '1999-01-04')
    """
    key = str(name).strip().lower()
    if key not in SAMPLES:
        raise unknown_name_error("sample", str(name), SAMPLES)
    symbol = SAMPLES[key][1]
    raw = _raw(key).copy()
    raw.attrs["symbol"] = symbol
    return validate_ohlcv(raw, f"sample:{key}", adjust=adjust)
