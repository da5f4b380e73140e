"""The unchecked fast path (``indicators.kernels``) equals the checked indicators bit for bit."""

from __future__ import annotations

import inspect
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from tradeforge import indicators as ta
from tradeforge.indicators import (
    _kernels,
    _kernels_extra,
    _kernels_ma,
    _kernels_osc,
    _kernels_scan,
    _kernels_vol,
    _kernels_volume,
)
from tradeforge.indicators import kernels as tk

_INPUTS = {"real", "open", "high", "low", "close", "volume"}
# non-default parameters per function (periods sorted the other way, other MA types, ...)
_OTHER = {
    "ultosc": {"timeperiod1": 20, "timeperiod2": 3, "timeperiod3": 9},
    "macd": {"fastperiod": 20, "slowperiod": 6, "signalperiod": 4},
    "ppo": {"matype": 3}, "apo": {"matype": 8},
    "bbands": {"timeperiod": 7, "nbdevup": 1.5, "nbdevdn": 2.5, "matype": 5},
    "stoch": {"fastk_period": 9, "slowk_matype": 1, "slowd_matype": 6},
    "stochf": {"fastd_matype": 2}, "stochrsi": {"fastd_matype": 4}, "ma": {"matype": 6},
    "realized_vol": {"periods_per_year": 252.0}, "keltner": {"atrperiod": 5, "nbdev": 1.0},
}


def _ohlcv(n: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    close = 50.0 * np.exp(np.cumsum(rng.normal(0, 0.02, n)))
    open_ = close * np.exp(rng.normal(0, 0.005, n))
    high = np.maximum(open_, close) * (1 + np.abs(rng.normal(0, 0.01, n)))
    low = np.minimum(open_, close) * (1 - np.abs(rng.normal(0, 0.01, n)))
    volume = rng.lognormal(10, 1, n).round()
    return {"open": open_, "high": high, "low": low, "close": close, "real": close, "volume": volume}


def _split(name: str):
    params = inspect.signature(getattr(ta, name)).parameters
    return [p for p in params if p in _INPUTS], {p: v.default for p, v in params.items() if p not in _INPUTS}


def _as_tuple(out):
    return out if isinstance(out, tuple) else (out,)


def test_every_checked_indicator_but_session_vwap_has_an_unchecked_twin():
    assert set(tk.__all__) == set(ta.__all__) - {"vwap"}


@pytest.mark.parametrize("name", tk.__all__)
def test_same_signature_and_bitwise_same_values(name):
    inputs, defaults = _split(name)
    fast = inspect.signature(getattr(tk, name)).parameters
    assert list(fast) == [*inputs, *defaults]
    assert {p: v.default for p, v in fast.items() if p not in _INPUTS} == defaults
    data = _ohlcv(300, seed=len(name))
    for params in ({}, _OTHER.get(name, {})):
        want = _as_tuple(getattr(ta, name)(*(data[i] for i in inputs), **params))
        got = _as_tuple(getattr(tk, name)(*(data[i] for i in inputs), **{**defaults, **params}))
        assert len(got) == len(want)
        for g, w in zip(got, want, strict=True):
            assert g.dtype == np.float64 and g.shape == w.shape
            assert g.tobytes() == w.tobytes(), f"{name}{params}: differs from the checked indicator"
            assert np.isfinite(g[-50:]).all()


def test_every_kernel_releases_the_gil():
    modules = (_kernels, _kernels_extra, _kernels_ma, _kernels_osc, _kernels_scan, _kernels_vol,
               _kernels_volume)
    dispatchers = {obj for m in modules for obj in vars(m).values() if hasattr(obj, "targetoptions")}
    assert len(dispatchers) >= 60
    assert all(d.targetoptions.get("nogil") for d in dispatchers), sorted(
        d.__name__ for d in dispatchers if not d.targetoptions.get("nogil"))


def test_threads_give_the_same_results():
    frames = [_ohlcv(400, seed) for seed in range(8)]

    def work(d):
        adx = tk.adx(d["high"], d["low"], d["close"])
        return np.concatenate([adx, tk.macd(d["close"])[2], tk.kama(d["close"])])

    serial = [work(d) for d in frames]
    with ThreadPoolExecutor(2) as pool:
        threaded = list(pool.map(work, frames))
    for s, t in zip(serial, threaded, strict=True):
        assert s.tobytes() == t.tobytes()


def test_module_example_runs():
    import doctest

    result = doctest.testmod(tk)
    assert result.attempted > 0 and result.failed == 0
