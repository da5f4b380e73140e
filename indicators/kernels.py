"""Unchecked fast path: the TA-Lib compatible indicators without per-call input handling.

Each function here has the name, parameters, defaults and outputs of its checked twin in
:mod:`tradeforge.indicators` and calls the same numba kernel, so on valid input the result is
bitwise identical: both are derived from the same entry of :data:`tradeforge.indicators.table.INDICATORS`.
What it skips is everything the twin does per call: dtype conversion, Series in/out, leading-NaN
stripping, length and parameter checks. Use it only where the inputs were validated once, up front (the
feature builder checks a whole frame once, then makes one call per distinct indicator).

Contract, which the caller guarantees (nothing here checks it; breaking it gives garbage, not an error):

* every array is 1-D, ``float64``, C-contiguous, all of one length, and finite (no NaN, no inf);
  ``logret``/``realized_vol`` inputs are also > 0;
* parameters are what the twin accepts: integer periods within its range (most need >= 1, some >= 2),
  finite floats, ``matype`` in ``SUPPORTED_MATYPES``.

Outputs are new numpy arrays (a tuple for several outputs, as the twins return). Every kernel is
compiled with ``nogil=True``, so calls from several threads run in parallel.

Examples
--------
>>> import numpy as np
>>> from tradeforge import indicators as ta
>>> from tradeforge.indicators import kernels as tk
>>> close = np.linspace(10.0, 12.0, 40)
>>> bool((tk.rsi(close, 14) == ta.rsi(close, 14))[14:].all())
True
"""

from __future__ import annotations

from .spec import unchecked
from .table import INDICATORS as _T

__all__ = list(_T)

sma = unchecked(_T["sma"])
ema = unchecked(_T["ema"])
wma = unchecked(_T["wma"])
dema = unchecked(_T["dema"])
tema = unchecked(_T["tema"])
trima = unchecked(_T["trima"])
kama = unchecked(_T["kama"])
t3 = unchecked(_T["t3"])
ma = unchecked(_T["ma"])
bbands = unchecked(_T["bbands"])
macd = unchecked(_T["macd"])
ppo = unchecked(_T["ppo"])
apo = unchecked(_T["apo"])
rsi = unchecked(_T["rsi"])
cmo = unchecked(_T["cmo"])
roc = unchecked(_T["roc"])
mom = unchecked(_T["mom"])
trix = unchecked(_T["trix"])
stoch = unchecked(_T["stoch"])
stochf = unchecked(_T["stochf"])
stochrsi = unchecked(_T["stochrsi"])
willr = unchecked(_T["willr"])
cci = unchecked(_T["cci"])
aroon = unchecked(_T["aroon"])
aroonosc = unchecked(_T["aroonosc"])
ultosc = unchecked(_T["ultosc"])
bop = unchecked(_T["bop"])
stddev = unchecked(_T["stddev"])
var = unchecked(_T["var"])
trange = unchecked(_T["trange"])
atr = unchecked(_T["atr"])
natr = unchecked(_T["natr"])
plus_di = unchecked(_T["plus_di"])
minus_di = unchecked(_T["minus_di"])
dx = unchecked(_T["dx"])
adx = unchecked(_T["adx"])
adxr = unchecked(_T["adxr"])
obv = unchecked(_T["obv"])
ad = unchecked(_T["ad"])
adosc = unchecked(_T["adosc"])
mfi = unchecked(_T["mfi"])
rolling_vwap = unchecked(_T["rolling_vwap"])
rvol = unchecked(_T["rvol"])
keltner = unchecked(_T["keltner"])
donchian = unchecked(_T["donchian"])
zscore = unchecked(_T["zscore"])
logret = unchecked(_T["logret"])
realized_vol = unchecked(_T["realized_vol"])
