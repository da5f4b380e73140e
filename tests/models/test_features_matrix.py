"""Single-timeframe feature matrix: columns, warm-up, causality, scale-freeness, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tradeforge import indicators as ta
from tradeforge.errors import ConfigError, DataError
from tradeforge.feeds import load
from tradeforge.models.features import FeatureSet, FeatureSpec, default_feature_set


@pytest.fixture(scope="module")
def sp500() -> pd.DataFrame:
    return load("sample:sp500")["SP500"].iloc[:900]


@pytest.fixture(scope="module")
def fs() -> FeatureSet:
    return default_feature_set()


def _walk(n: int, seed: int, freq: str = "5min", start: str = "2024-01-02 09:30") -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    close = 50.0 * np.exp(np.cumsum(rng.normal(0, 0.002, n)))
    open_ = np.concatenate([[50.0], close[:-1]]) * np.exp(rng.normal(0, 0.0005, n))
    wick = np.abs(rng.normal(0, 0.001, (2, n))) * close
    return pd.DataFrame(
        {"open": open_, "high": np.maximum(open_, close) + wick[0], "low": np.minimum(open_, close) - wick[1],
         "close": close, "volume": rng.integers(100, 5_000, n).astype(float)},
        index=pd.date_range(start, periods=n, freq=freq, name="datetime"),
    )


def test_default_set_has_the_designed_groups(fs):
    groups = pd.Series([s.group for s in fs.specs]).value_counts().to_dict()
    assert 80 <= len(fs.columns) <= 100
    assert len(set(fs.columns)) == len(fs.columns)
    assert groups == {"technical": 50, "price": 14, "volume": 11, "momentum": 10, "time": 3}
    windows = (1, 5, 10, 20)
    assert fs.select(["momentum"]).columns == (*(f"logret_{n}" for n in windows),
                                               *(f"logret_sign_{n}" for n in windows),
                                               "realized_vol_10", "realized_vol_20")


def test_return_signs_are_the_signs_of_the_log_returns(fs, sp500):
    x = fs.select(["momentum"]).transform(sp500)
    for n in (1, 5, 10, 20):
        sign, ret = x[f"logret_sign_{n}"].to_numpy(), x[f"logret_{n}"].to_numpy()
        assert np.array_equal(sign, np.sign(ret), equal_nan=True)
        assert np.isnan(sign[:n]).all() and set(np.unique(sign[n:])) <= {-1.0, 0.0, 1.0}


def test_warmup_equals_first_all_finite_row_on_real_data(fs, sp500):
    x = fs.transform(sp500)
    assert list(x.columns) == list(fs.columns) and x.index.equals(sp500.index)
    finite = np.isfinite(x.to_numpy())
    assert int(np.argmax(finite.all(axis=1))) == fs.warmup
    assert finite[fs.warmup:].all()
    for j, col in enumerate(x.columns):  # every column's own lookback is exact
        assert int(np.argmax(finite[:, j])) == fs.lookbacks[col], col


@pytest.mark.parametrize("seed", [0, 1])
def test_truncation_never_changes_earlier_rows(fs, sp500, seed):
    full = fs.transform(sp500)
    rng = np.random.default_rng(seed)
    for cut in rng.integers(1, len(sp500), 6):
        part = fs.transform(sp500.iloc[:cut])
        pd.testing.assert_frame_equal(part, full.iloc[:cut], check_exact=True)


def test_features_are_scale_free(fs, sp500):
    scaled = sp500.copy()
    scaled[["open", "high", "low", "close"]] *= 37.0
    scaled["volume"] *= 0.01
    a, b = fs.transform(sp500).iloc[fs.warmup:], fs.transform(scaled).iloc[fs.warmup:]
    np.testing.assert_allclose(b.to_numpy(), a.to_numpy(), rtol=1e-6, atol=1e-7)


def test_values_match_their_definitions(sp500):
    fs = FeatureSet([
        FeatureSpec("rsi", "rsi", {"timeperiod": 14}, normalize="pct"),
        FeatureSpec("sma_dist", "sma", {"timeperiod": 10}, normalize="distance"),
        FeatureSpec("ret_5", "logret", {"timeperiod": 5}),
        FeatureSpec("rvol", "rvol", {"timeperiod": 3}, group="volume"),
        FeatureSpec("weekday", "weekday", group="time"),
    ])
    x = fs.transform(sp500)
    close = sp500["close"]
    np.testing.assert_allclose(x["rsi"], ta.rsi(close.to_numpy(), 14) / 100, equal_nan=True)
    want = close / close.rolling(10).mean() - 1
    np.testing.assert_allclose(x["sma_dist"], want, atol=1e-12, equal_nan=True)
    np.testing.assert_allclose(x["ret_5"], np.log(close / close.shift(5)), rtol=1e-12, equal_nan=True)
    vol = sp500["volume"]
    np.testing.assert_allclose(x["rvol"], vol / vol.shift(1).rolling(3).mean(), rtol=1e-12, equal_nan=True)
    assert (x["weekday"] == sp500.index.dayofweek).all()


def test_time_features_on_intraday_bars():
    df = _walk(100, 3)
    x = FeatureSet([FeatureSpec(n, n, group="time") for n in ("hour", "minute", "weekday")]).transform(df)
    assert (x["hour"] == df.index.hour).all() and (x["minute"] == df.index.minute).all()
    assert (x["weekday"] == df.index.dayofweek).all()


@pytest.mark.parametrize("backend", ["processes", "threads"])
def test_transform_many_equals_transform(fs, backend):
    frames = {f"S{i}": _walk(200 + 30 * i, i) for i in range(5)}
    many = fs.transform_many(frames, n_jobs=2, backend=backend)
    assert list(many) == list(frames)
    for name, df in frames.items():
        pd.testing.assert_frame_equal(many[name], fs.transform(df), check_exact=True)


def test_transform_many_reports_worker_errors_and_bad_arguments(fs):
    bad = _walk(100, 1)
    bad.iloc[7, 0] = np.inf
    with pytest.raises(DataError, match="row 7"):
        fs.transform_many({"A": _walk(100, 0), "B": bad}, n_jobs=2)
    with pytest.raises(ConfigError, match="n_jobs must be an integer >= 1"):
        fs.transform_many({"A": bad}, n_jobs=0)
    with pytest.raises(ConfigError, match="Did you mean 'threads'"):
        fs.transform_many({"A": bad}, n_jobs=2, backend="thread")


def test_feature_sets_pickle(fs):
    import pickle

    again = pickle.loads(pickle.dumps(fs))
    assert again == fs and again.columns == fs.columns and again.warmup == fs.warmup


def test_pandas_ta_indicator_by_name(sp500):
    fs = FeatureSet([FeatureSpec("cti_12", "pandas_ta:cti", {"length": 12})])
    x = fs.transform(sp500)["cti_12"].to_numpy()
    assert int(np.argmax(np.isfinite(x))) == fs.warmup == fs.lookbacks["cti_12"]
    assert np.isfinite(x[fs.warmup:]).all() and np.abs(x[fs.warmup:]).max() <= 1.0 + 1e-9


def test_pandas_ta_indicator_that_looks_ahead_is_refused():
    with pytest.raises(ConfigError, match="looks ahead"):
        FeatureSet([FeatureSpec("dpo", "pandas_ta:dpo", {"length": 10, "centered": True})])


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (lambda: FeatureSpec("x", "rsii"), "Did you mean 'rsi'"),
        (lambda: FeatureSpec("x", "rsi", {"timeperoid": 3}), "Did you mean 'timeperiod'"),
        (lambda: FeatureSpec("x", "rsi", {"timeperiod": 0}), r"timeperiod=0 must be an integer >= 1"),
        (lambda: FeatureSpec("x", "macd", output=3), r"output=3 but 'macd' has 3 outputs"),
        (lambda: FeatureSpec("x", "rsi", normalize="closee"), "Did you mean 'close'"),
        (lambda: FeatureSpec("x", "rsi", group="tech"), "unknown group"),
        (lambda: FeatureSpec("x", "rsi", inputs=("close", "open")), "takes 1 inputs"),
        (lambda: FeatureSpec("x", "pandas_ta:ctii"), "Did you mean 'cti'"),
    ],
)
def test_bad_specs_raise_config_errors_naming_the_problem(spec, message):
    with pytest.raises(ConfigError, match=message):
        FeatureSet([spec()])


def test_duplicate_names_are_refused():
    with pytest.raises(ConfigError, match="duplicate column name 'a'"):
        FeatureSet([FeatureSpec("a", "rsi"), FeatureSpec("a", "sma")])


def test_bad_data_raises_data_errors_naming_row_and_column(fs):
    df = _walk(80, 5)
    df.iloc[40, df.columns.get_loc("high")] = np.nan
    with pytest.raises(DataError, match=r"column 'high' has non-finite value nan at row 40"):
        fs.transform(df)
    with pytest.raises(DataError, match=r"lacks column\(s\) \['volume'\]"):
        fs.transform(_walk(80, 5).drop(columns="volume"))
    with pytest.raises(DataError, match="DatetimeIndex"):
        fs.transform(_walk(80, 5).reset_index())


def test_derived_features_match_pandas_references(sp500):
    names = ["zscore_20", "realized_vol_10", "vwap_dist_20", "donchian_pos_20", "volume_ratio_5_20",
             "bb_pctb_20", "bb_width_20", "obv_slope_10", "high_dist_20", "close_location", "gap",
             "ma_cross_5_20", "signed_volume_z_20"]
    fs = FeatureSet([s for s in default_feature_set().specs if s.name in names])
    x = fs.transform(sp500)
    o, h, lo, c, v = (sp500[k] for k in ("open", "high", "low", "close", "volume"))
    mean20, sd20 = c.rolling(20).mean(), c.rolling(20).std(ddof=0)
    tp = (h + lo + c) / 3
    obv = (np.sign(c.diff()).fillna(0) * v).cumsum()
    ref = {
        "zscore_20": (c - mean20) / sd20,
        "realized_vol_10": np.log(c).diff().rolling(10).std(ddof=0),
        "vwap_dist_20": c / ((tp * v).rolling(20).sum() / v.rolling(20).sum()) - 1,
        "donchian_pos_20": (c - lo.rolling(20).min()) / (h.rolling(20).max() - lo.rolling(20).min()),
        "volume_ratio_5_20": v.rolling(5).mean() / v.rolling(20).mean(),
        "bb_pctb_20": (c - (mean20 - 2 * sd20)) / (4 * sd20),
        "bb_width_20": 4 * sd20 / mean20,
        "obv_slope_10": obv.diff(10) / v.rolling(10).sum(),
        "high_dist_20": c / h.rolling(20).max() - 1,
        "close_location": (c - lo) / (h - lo),
        "gap": o / c.shift(1) - 1,
        "ma_cross_5_20": c.rolling(5).mean() / mean20 - 1,
        "signed_volume_z_20": np.sign(np.log(c).diff()) * (np.log1p(v) - np.log1p(v).rolling(20).mean())
        / np.log1p(v).rolling(20).std(ddof=0),
    }
    for name in names:
        np.testing.assert_allclose(x[name], ref[name], rtol=1e-7, atol=1e-10, equal_nan=True, err_msg=name)


def test_pandas_ta_import_leaves_pandas_options_alone():
    import pandas as pd

    from tradeforge.models.features.pandas_ta_functions import _module

    _module.cache_clear()
    before = pd.options.mode.copy_on_write
    _module()
    assert pd.options.mode.copy_on_write == before
