"""The feature builder's fast path (unchecked kernels, shared intermediates, in-place normalisation)
gives exactly what the checked indicators and one-column-at-a-time computation give."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tradeforge import indicators as ta
from tradeforge.errors import ConfigError
from tradeforge.indicators.table import INDICATORS
from tradeforge.models.features import FeatureSet, FeatureSpec, default_feature_set
from tradeforge.models.features.functions import SHADOWED


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 260
    close = 40.0 * np.exp(np.cumsum(rng.normal(0, 0.02, n)))
    open_ = close * np.exp(rng.normal(0, 0.004, n))
    high = np.maximum(open_, close) * (1 + np.abs(rng.normal(0, 0.01, n)))
    low = np.minimum(open_, close) * (1 - np.abs(rng.normal(0, 0.01, n)))
    volume = rng.lognormal(11, 1, n).round()
    index = pd.date_range("2021-01-04 09:30", periods=n, freq="h", name="datetime")
    columns = {"open": open_, "high": high, "low": low, "close": close, "volume": volume}
    return pd.DataFrame(columns, index=index)


def test_talib_features_equal_the_checked_indicators_bitwise(frame):
    talib_like = {name: ind for name, ind in INDICATORS.items() if name not in SHADOWED}
    specs = [FeatureSpec(f"{name}_{o}", name, output=o) for name, ind in talib_like.items()
             for o in range(len(ind.outputs))]
    got = FeatureSet(specs).transform(frame)
    for name, ind in talib_like.items():
        outs = ind.outputs
        inputs = ["close" if i == "real" else i for i in ind.inputs]
        want = getattr(ta, name)(*(frame[c].to_numpy() for c in inputs), **ind.defaults)
        for o, w in enumerate(want if isinstance(want, tuple) else (want,)):
            assert got[f"{name}_{o}"].to_numpy().tobytes() == w.tobytes(), name
        assert len(outs) == (len(want) if isinstance(want, tuple) else 1)


def test_each_default_column_alone_equals_the_full_matrix(frame):
    """Shared intermediates (rolling means, log returns, OBV, ...) never leak between columns."""
    fs = default_feature_set()
    full = fs.transform(frame)
    for spec in fs.specs:
        alone = FeatureSet([spec]).transform(frame)[spec.name]
        assert alone.to_numpy().tobytes() == full[spec.name].to_numpy().tobytes(), spec.name


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (FeatureSpec("fast_rsi", "rsi", {"timeperiod": 1}),
         r"feature 'fast_rsi' \(rsi\): timeperiod: expected an "
                                                            r"integer from 2"),
        (FeatureSpec("p", "ppo", {"matype": 7}),
         r"feature 'p' \(ppo\): matype: unsupported TA-Lib MA type 7"),
        (FeatureSpec("s", "stoch", {"slowd_matype": 9}, output=1),
         r"slowd_matype: unsupported TA-Lib MA type 9"),
    ],
)
def test_parameters_the_indicator_refuses_are_refused_when_the_set_is_built(spec, message):
    with pytest.raises(ConfigError, match=message):
        FeatureSet([spec])


def test_normalisation_reads_close_and_volume_even_when_no_function_does(frame):
    fs = FeatureSet([FeatureSpec("v_sma", "sma", {"timeperiod": 5}, inputs=("volume",), normalize="close"),
                     FeatureSpec("hl", "trange", inputs=("high", "low", "open"), normalize="volume")])
    assert set(fs.input_columns) == {"volume", "high", "low", "open", "close"}
    out = fs.transform(frame)
    v, c = frame["volume"].to_numpy(), frame["close"].to_numpy()
    assert out["v_sma"].to_numpy().tobytes() == (ta.sma(v, 5) / c).tobytes()
    mean = np.array([np.nan] * 19 + [v[i - 19:i + 1].mean() for i in range(19, len(v))])
    tr = ta.trange(frame["high"].to_numpy(), frame["low"].to_numpy(), frame["open"].to_numpy())
    np.testing.assert_allclose(out["hl"].to_numpy(), tr / mean, rtol=1e-12)


def test_extra_columns_and_integer_volume_give_the_same_matrix(frame):
    fs = default_feature_set().select(["volume", "price"])
    plain = fs.transform(frame)
    extra = frame.assign(symbol="AAPL", stamp=frame.index, volume=frame["volume"].astype(np.int64))
    pd.testing.assert_frame_equal(fs.transform(extra), plain, check_exact=True)
    shuffled = frame[["volume", "close", "low", "open", "high"]]
    pd.testing.assert_frame_equal(fs.transform(shuffled), plain, check_exact=True)
