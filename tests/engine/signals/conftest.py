"""One small trained model and universe shared by the signals tests (daily bars, fast settings)."""

from __future__ import annotations

import pytest

from tradeforge.engine.signals import load_universe
from tradeforge.engine.train import train_models

UNIVERSE = "synth:symbols=12,bars=500,freq=1d,seed=3,edge=0.3"
# small models (tests/engine/test_train_command.py); low thresholds so that BUY decisions occur
FAST = {"fast": True, "garch_window": 60, "garch_refit_every": 150, "lstm_epochs": 1,
        "buy_threshold": 0.35, "sell_threshold": 0.1}


@pytest.fixture(scope="session")
def universe():
    return load_universe(UNIVERSE)


@pytest.fixture(scope="session")
def trained(universe, tmp_path_factory):
    """``(registry, TrainResult)`` of a pipeline trained on SYN00 of the universe."""
    registry = tmp_path_factory.mktemp("signals_registry")
    result = train_models({"SYN00": universe.frames["SYN00"]}, registry=registry, seed=0, params=FAST)
    return registry, result
