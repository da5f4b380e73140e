"""The checked, TA-Lib compatible indicator functions, derived from :data:`.table.INDICATORS`.

Each name below is :func:`.spec.checked` of its table entry (one explicit line per indicator): inputs
converted and validated as described in :mod:`._wrap`, parameters checked against the entry's
:class:`~.spec.Param`, outputs named after the entry's outputs. ``vwap`` (sessions) is in :mod:`.vwap`.
"""

from __future__ import annotations

import numpy as np  # noqa: F401  (the docstring examples use it)

from .spec import checked
from .table import INDICATORS as _T

__all__ = list(_T)

sma = checked(_T["sma"])
ema = checked(_T["ema"])
wma = checked(_T["wma"])
dema = checked(_T["dema"])
tema = checked(_T["tema"])
trima = checked(_T["trima"])
kama = checked(_T["kama"])
t3 = checked(_T["t3"])
ma = checked(_T["ma"])
bbands = checked(_T["bbands"])
macd = checked(_T["macd"])
ppo = checked(_T["ppo"])
apo = checked(_T["apo"])
rsi = checked(_T["rsi"])
cmo = checked(_T["cmo"])
roc = checked(_T["roc"])
mom = checked(_T["mom"])
trix = checked(_T["trix"])
stoch = checked(_T["stoch"])
stochf = checked(_T["stochf"])
stochrsi = checked(_T["stochrsi"])
willr = checked(_T["willr"])
cci = checked(_T["cci"])
aroon = checked(_T["aroon"])
aroonosc = checked(_T["aroonosc"])
ultosc = checked(_T["ultosc"])
bop = checked(_T["bop"])
stddev = checked(_T["stddev"])
var = checked(_T["var"])
trange = checked(_T["trange"])
atr = checked(_T["atr"])
natr = checked(_T["natr"])
plus_di = checked(_T["plus_di"])
minus_di = checked(_T["minus_di"])
dx = checked(_T["dx"])
adx = checked(_T["adx"])
adxr = checked(_T["adxr"])
obv = checked(_T["obv"])
ad = checked(_T["ad"])
adosc = checked(_T["adosc"])
mfi = checked(_T["mfi"])
rolling_vwap = checked(_T["rolling_vwap"])
rvol = checked(_T["rvol"])
keltner = checked(_T["keltner"])
donchian = checked(_T["donchian"])
zscore = checked(_T["zscore"])
logret = checked(_T["logret"])
realized_vol = checked(_T["realized_vol"])

#: The docstring examples, run by ``doctest.testmod`` on this module.
__test__ = {name: _T[name].doc for name in __all__}
