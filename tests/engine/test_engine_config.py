"""Frozen configs: from_mapping rejects unknown keys (did-you-mean), checks values; functions take them."""

from __future__ import annotations

import dataclasses
import pickle

import pytest

from tradeforge.engine import BacktestConfig, WalkForwardConfig
from tradeforge.engine.config import coerce_param, model_params, split_params
from tradeforge.engine.runner import run_backtest
from tradeforge.engine.walkforward import run_walkforward
from tradeforge.errors import ConfigError
from tradeforge.strategies import resolve_strategy


def test_configs_are_frozen_keyword_only_and_picklable():
    cfg = WalkForwardConfig(train_bars=200, test_bars=100, workers=1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.train_bars = 5  # type: ignore[misc]
    with pytest.raises(TypeError):
        BacktestConfig(1000.0)  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(cfg)) == cfg
    assert cfg.backtest == BacktestConfig(cash=100_000.0, commission=0.001, slippage_bps=0.0)
    assert cfg.replace(seed=3).seed == 3 and cfg.seed == 0


@pytest.mark.parametrize("cls, mapping, words", [
    (BacktestConfig, {"comission": 0.01}, "unknown BacktestConfig setting 'comission'. Did you mean "
                                          "'commission'?"),
    (WalkForwardConfig, {"train_bar": 10}, "unknown WalkForwardConfig setting 'train_bar'. Did you mean "
                                           "'train_bars'?"),
    (BacktestConfig, {"cash": "lots"}, "cash: expected a number, got 'lots'"),
    (BacktestConfig, {"slippage_bps": float("nan")}, "slippage_bps: expected a finite number"),
    (WalkForwardConfig, {"test_bars": 1}, "test_bars: expected an integer >= 2, got 1"),
    (WalkForwardConfig, {"seed": -1}, "seed: expected an integer >= 0, got -1"),
    (WalkForwardConfig, {"workers": 0}, "workers: expected an integer >= 1, got 0"),
    (WalkForwardConfig, {"warmup_bars": True}, "warmup_bars: expected an integer >= 0, got True"),
    (WalkForwardConfig, {"anchored": "yes"}, "anchored: expected True or False, got 'yes'"),
    (WalkForwardConfig, {"scheduler": " "}, "scheduler: expected an address"),
])
def test_from_mapping_errors_are_one_line(cls, mapping, words):
    with pytest.raises(ConfigError) as info:
        cls.from_mapping(mapping)
    assert words in str(info.value) and "\n" not in str(info.value)


def test_from_mapping_coerces_numbers():
    cfg = BacktestConfig.from_mapping({"cash": "5000", "commission": 0, "start": "2020-01-01"})
    assert cfg.cash == 5000.0 and isinstance(cfg.commission, float) and cfg.start == "2020-01-01"


def test_functions_take_a_config_or_its_keywords_not_both():
    data = "synth:symbols=1,bars=200,seed=4"
    by_config = run_backtest(data, "sma_cross", {"fast": 5, "slow": 20}, config=BacktestConfig(cash=5_000.0))
    by_keywords = run_backtest(data, "sma_cross", {"fast": 5, "slow": 20}, cash=5_000.0)
    assert by_config.cash == 5_000.0 and by_config.equity.equals(by_keywords.equity)
    with pytest.raises(ConfigError, match="got config= and the settings"):
        run_backtest(data, config=BacktestConfig(), cash=1.0)
    with pytest.raises(ConfigError, match="unknown BacktestConfig setting 'comission'"):
        run_backtest(data, comission=0.01)
    with pytest.raises(ConfigError, match="unknown WalkForwardConfig setting 'trian_bars'"):
        run_walkforward(data, "sma_cross", trian_bars=100)


def test_param_routing_and_coercion():
    assert coerce_param("n", "4", 8) == 4 and coerce_param("tf", "1h, 1d", None) == ("1h", "1d")
    assert coerce_param("flag", "off", True) is False and coerce_param("x", 3, 1.0) == 3
    with pytest.raises(ConfigError, match="model parameter 'n': cannot use '4.5', expected int"):
        coerce_param("n", "4.5", 8)
    strategy, models = split_params(resolve_strategy("ml"), {"lstm_epochs": "2", "stop_loss": "0.03"},
                                    ml=True)
    assert models == {"lstm_epochs": 2, "stop_loss": 0.03} and "stop_loss" not in strategy  # its default
    # the barrier widths: the model's (sigma) with the default bracket="trade", both with bracket="fixed"
    strategy, models = split_params(resolve_strategy("ml"), {"stop_loss": "3", "take_profit": "4"}, ml=True)
    assert models == {"stop_loss": 3.0, "take_profit": 4.0} and strategy == {}
    strategy, models = split_params(resolve_strategy("ml"), {"stop_loss": "0.03", "bracket": "fixed"},
                                    ml=True)
    assert models == {"stop_loss": 0.03} and strategy["stop_loss"] == 0.03
    from tradeforge.engine.checks import walkforward_params  # the CLI's early checks route them alike

    assert walkforward_params("ml", {"stop_loss": "3"})[2:] == ({}, {"stop_loss": 3.0})
    with pytest.raises(ConfigError, match="'stop_loss': 3.0 is outside"):  # a fixed bracket's fraction
        walkforward_params("ml", {"stop_loss": "3", "bracket": "fixed"})
    with pytest.raises(ConfigError, match="cannot be set with params/--param: no"):
        model_params({"random_state": 1}, {"random_state": "no"})
