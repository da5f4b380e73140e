"""One table entry per indicator: the checked function, the unchecked twin and the feature function agree.

For every entry of ``tradeforge.indicators.table.INDICATORS``: the same names, parameters, defaults (TA-Lib
0.8's where TA-Lib has the function), outputs and lookback, and bitwise the same values.
"""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd
import pytest
import talib
from talib import abstract

from tradeforge import indicators as ta
from tradeforge.indicators import kernels as tk
from tradeforge.indicators.table import INDICATORS
from tradeforge.models.features import FeatureSet, FeatureSpec, default_feature_set
from tradeforge.models.features.functions import REGISTRY, SHADOWED

# non-default parameters per indicator, to compare more than the defaults
_OTHER = {
    "ultosc": {"timeperiod1": 20, "timeperiod2": 3, "timeperiod3": 9},
    "macd": {"fastperiod": 20, "slowperiod": 6, "signalperiod": 4},
    "ppo": {"matype": 0}, "apo": {"matype": 3},
    "bbands": {"timeperiod": 7, "nbdevup": 1.5, "nbdevdn": 2.5, "matype": 5},
    "stoch": {"fastk_period": 9, "slowk_matype": 1, "slowd_matype": 6},
    "stochf": {"fastd_matype": 2}, "stochrsi": {"fastd_matype": 4}, "ma": {"matype": 6},
    "realized_vol": {"periods_per_year": 252.0}, "keltner": {"atrperiod": 5, "nbdev": 1.0},
    "var": {"nbdev": 3.0}, "t3": {"vfactor": 0.5},
}


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    n = 400
    close = 30.0 * np.exp(np.cumsum(rng.normal(0, 0.02, n)))
    open_ = close * np.exp(rng.normal(0, 0.004, n))
    high = np.maximum(open_, close) * (1 + np.abs(rng.normal(0, 0.01, n)))
    low = np.minimum(open_, close) * (1 - np.abs(rng.normal(0, 0.01, n)))
    volume = rng.lognormal(9, 1, n).round()
    index = pd.date_range("2022-03-01", periods=n, freq="D", name="datetime")
    columns = {"open": open_, "high": high, "low": low, "close": close, "volume": volume}
    return pd.DataFrame(columns, index=index)


def _columns(ind) -> tuple[str, ...]:
    return tuple("close" if i == "real" else i for i in ind.inputs)


def test_the_three_name_the_same_indicators():
    assert list(tk.__all__) == list(INDICATORS)
    assert [n for n in ta.__all__ if n != "vwap"] == list(INDICATORS)
    assert set(INDICATORS) <= set(REGISTRY)
    # the derived features that take an indicator's name on purpose (functions.py says why)
    assert SHADOWED == {"logret", "realized_vol", "zscore", "rvol"}


@pytest.mark.parametrize("name", list(INDICATORS))
def test_same_parameters_defaults_and_outputs(name, frame):
    ind = INDICATORS[name]
    for fn in (getattr(ta, name), getattr(tk, name)):
        params = inspect.signature(fn).parameters
        assert list(params) == [*ind.inputs, *ind.defaults]
        assert {p: v.default for p, v in params.items() if p not in ind.inputs} == ind.defaults
    series = getattr(ta, name)(*(frame[c] for c in _columns(ind)))
    assert tuple(s.name for s in (series if isinstance(series, tuple) else (series,))) == ind.outputs
    if name in SHADOWED:
        return
    entry = REGISTRY[name]
    assert (entry.inputs, dict(entry.defaults), entry.outputs) == (_columns(ind), ind.defaults, ind.outputs)


@pytest.mark.parametrize("name", [n for n in INDICATORS if hasattr(abstract, n.upper())])
def test_defaults_are_talibs(name):
    assert INDICATORS[name].defaults == dict(abstract.Function(name.upper()).parameters), name


@pytest.mark.parametrize("name", list(INDICATORS))
def test_bitwise_same_values_and_the_declared_lookback(name, frame):
    ind = INDICATORS[name]
    arrays = [frame[c].to_numpy() for c in _columns(ind)]
    for params in ({}, _OTHER.get(name, {})):
        full = {**ind.defaults, **params}
        want = getattr(ta, name)(*arrays, **params)
        want = want if isinstance(want, tuple) else (want,)
        fast = getattr(tk, name)(*arrays, **full)
        got = [fast if isinstance(fast, tuple) else (fast,)]
        if name not in SHADOWED:
            specs = [FeatureSpec(f"{name}_{o}", name, params, output=o) for o in range(len(ind.outputs))]
            matrix = FeatureSet(specs).transform(frame)
            got.append(tuple(matrix[s.name].to_numpy() for s in specs))
        for outs in got:
            assert [o.tobytes() for o in outs] == [w.tobytes() for w in want], f"{name}{params}"
        lookback = ind.lookback(full)
        for w in want:
            assert int(np.argmax(np.isfinite(w))) == lookback, f"{name}{params}: lookback"


def test_default_oscillator_columns_are_what_their_names_say(frame):
    """``ppo``/``apo`` columns are TA-Lib's PPO/APO with its defaults (EMA), not an SMA variant."""
    fs = default_feature_set()
    x = fs.transform(frame)
    close = frame["close"].to_numpy()
    assert x["ppo"].to_numpy().tobytes() == ta.ppo(close).tobytes()
    assert x["apo"].to_numpy().tobytes() == (ta.apo(close) / close).tobytes()
    np.testing.assert_allclose(x["ppo"].to_numpy(), talib.PPO(close), rtol=1e-9, atol=1e-12, equal_nan=True)
