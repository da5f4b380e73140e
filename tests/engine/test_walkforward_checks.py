"""Walk-forward parameters are checked before any data is loaded or model fitted; too little data names
the bars needed for the chosen windows; the fold diagnosis explains a fold without trades."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import tradeforge.engine.walkforward as wf
from tradeforge.engine.explain import diagnose, no_trade_reason
from tradeforge.engine.results import BacktestResult
from tradeforge.errors import ConfigError, DataError


@pytest.fixture()
def no_loading(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("data was loaded before the parameters were checked")

    monkeypatch.setattr(wf, "load_frames", refuse)


@pytest.mark.parametrize("params,message", [
    ({"min_confidence": 1.5}, "'min_confidence': 1.5 is outside"),
    ({"base_models": "rf,xgbb"}, "unknown base model 'xgbb'. Did you mean 'xgb'?"),
    ({"sell_threshold": 0.9}, "sell_threshold"),
])
def test_bad_ml_parameters_fail_before_loading(no_loading, params, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace("?", r"\?")):
        wf.run_walkforward("synth:symbols=1,bars=300", "ml", params, workers=1)


def test_too_little_data_names_the_bars_needed():
    with pytest.raises(DataError, match=r"train_bars=300 \+ test_bars=50 exceed the 300 bars of the data: "
                                        r"at least 350 bars needed;"):
        wf.run_walkforward("synth:symbols=1,bars=300,seed=1", "sma_cross", train_bars=300, test_bars=50,
                           workers=1)
    assert wf.min_bars(wf.WalkForwardConfig(train_bars=1000, test_bars=250), 120) == 1370


def _result(n=10, orders=None):
    index = pd.date_range("2024-01-01", periods=n)
    prices = {"X": pd.DataFrame({"close": np.ones(n)}, index=index)}
    return BacktestResult(metrics={}, trades=pd.DataFrame(columns=["pnlcomm"]),
                          equity=pd.Series(100.0, index=index), exposure=pd.Series(False, index=index),
                          orders=orders if orders is not None else pd.DataFrame(columns=["date", "status"]),
                          prices=prices)


def test_fold_diagnosis_explains_no_trades():
    result = _result()
    start = result.equity.index[2]
    lines = {"X": {"ml_decision": np.array([1.0] * 8 + [0, -1]), "ml_confidence": np.full(10, 0.6),
                   "ml_risk": np.full(10, 3.0)}}
    diag = diagnose(result, {"min_confidence": 0.65, "max_risk": 6.0}, start=start, lines=lines)
    assert diag["bars"] == 8 and diag["buy"] == 6 and diag["buy_confident"] == 0
    assert no_trade_reason(diag) == "6 BUY decisions, all below min_confidence 0.65"
    lines["X"]["ml_confidence"][:] = 0.9
    lines["X"]["ml_risk"][:] = 8.0
    diag = diagnose(result, {"min_confidence": 0.65, "max_risk": 6.0}, start=start, lines=lines)
    assert no_trade_reason(diag) == "6 BUY decisions above min_confidence 0.65, all above max_risk 6"
    margin = pd.DataFrame({"date": [result.equity.index[5]], "status": ["Margin"]})
    diag = diagnose(_result(orders=margin), {}, start=start)
    assert no_trade_reason(diag).startswith("1 order(s) rejected for margin or cash")


def test_backtest_inside_the_models_training_range_is_flagged():
    from tradeforge.engine.explain import backtest_warnings

    class Saved:
        warmup, window = 1, None
        train_range = ("2024-01-01", "2024-01-05")

    result = _result()
    result.params = {"predictor": Saved()}
    result.trades = pd.DataFrame({"pnlcomm": [1.0]})
    (warning,) = backtest_warnings(result, {"n_trades": 1})
    assert warning.startswith("5 of 10 bars lie inside the model's training range 2024-01-01..2024-01-05")
    assert "--from" in warning and "2024-01-06" in warning
    result.params = {"predictor": None}
    assert backtest_warnings(result, {"n_trades": 1}) == []


_MODEL_LIBRARIES = ("sklearn", "torch", "numba", "xgboost", "lightgbm", "arch", "scipy", "matplotlib")


@pytest.mark.parametrize("param,message", [
    ("base_models=bogus", "unknown base model 'bogus'"),
    ("min_confidence=2", "'min_confidence': 2.0 is outside [0, 1]"),
])
def test_the_command_refuses_a_bad_param_without_importing_a_model_library(param, message, tmp_path):
    import subprocess
    import sys

    code = ("import sys\nfrom tradeforge.engine.cli import main\nfrom tradeforge.errors import ConfigError\n"
            f"try:\n    main(['walkforward', '--param', {param!r}, '--out', {str(tmp_path / 'out')!r}],"
            " standalone_mode=False)\nexcept ConfigError as exc:\n    print('refused:', exc)\n"
            f"print(sorted(m for m in {_MODEL_LIBRARIES!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=tmp_path).stdout.splitlines()
    assert out[0].startswith("refused: ") and message in out[0]
    assert out[-1] == "[]"
    assert not (tmp_path / "out").exists()


def test_the_light_parameter_checks_are_the_estimators_own():
    from tradeforge.models.ensemble import StackedEnsemble
    from tradeforge.models.params import PipelineParams
    from tradeforge.models.pipeline import MLPipeline

    assert PipelineParams.defaults() == MLPipeline().get_params()
    assert issubclass(MLPipeline, PipelineParams)
    for bad in ({"base_models": ("rf", "nope")}, {"calibration": "x"}, {"meta_slope": "x"},
                {"sell_threshold": 0.7}, {"garch_window": 10}, {"stop_loss": -1.0}):
        with pytest.raises(ConfigError) as light:
            PipelineParams(**bad).check()
        pipe = MLPipeline(**bad)
        with pytest.raises(ConfigError) as heavy:
            pipe._check_params()
            pipe._ensemble(np.zeros(0, dtype=np.int64))._check_params()
        assert str(light.value) == str(heavy.value)
    assert StackedEnsemble(base_models=("rf",))._check_params() == ("rf",)


def test_doctests_of_the_light_checks():
    import doctest

    import tradeforge.engine.checks as checks
    import tradeforge.models.params as params

    for module in (checks, params):
        assert doctest.testmod(module).failed == 0
