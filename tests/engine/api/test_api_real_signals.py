"""The API on a real signal computation: a small pipeline trained by ``train_models`` and
``tradeforge.engine.signals.compute_signals`` over a synthetic universe (the signals tests' settings),
served by ``GET /signals`` and executed by ``POST /orders`` on the fake Alpaca."""

from __future__ import annotations

import json

import pytest

UNIVERSE = "synth:symbols=12,bars=500,freq=1d,seed=3,edge=0.3"
# small models as in tests/engine/signals; low thresholds and no filters so that a BUY signal is listed
FAST = {"fast": True, "garch_window": 60, "garch_refit_every": 150, "lstm_epochs": 1,
        "buy_threshold": 0.35, "sell_threshold": 0.1}
OPTIONS = {"universe": UNIVERSE, "min_confidence": 0.0, "max_risk": 10.0}


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    from tradeforge.engine.signals import load_universe
    from tradeforge.engine.train import train_models

    path = tmp_path_factory.mktemp("api_registry")
    train_models({"SYN00": load_universe(UNIVERSE).frames["SYN00"]}, registry=path, seed=0, params=FAST)
    return str(path)


def test_signals_route_serves_compute_signals_and_executes_one(registry, store, risk, clock, fake):
    from fastapi.testclient import TestClient

    from tradeforge.engine.api import create_app
    from tradeforge.engine.api.serve import signal_source
    from tradeforge.engine.signals import compute_signals

    expected = compute_signals(registry=registry, **OPTIONS).signals
    assert expected, "the small model lists no BUY signal: the test settings no longer exercise orders"
    source = signal_source({**OPTIONS, "registry": registry})
    app = create_app(signal_source=source, store=store, risk=risk, clock=clock)
    with TestClient(app, base_url="http://127.0.0.1") as c:
        served = c.get("/signals").json()
        assert served == json.loads(json.dumps(expected))  # the same signals, the same numbers
        top = served[0]
        r = c.post("/orders", json={"symbol": top["symbol"], "qty": 1},
                   headers={"X-Requested-With": "tradeforge"})
        assert r.status_code == 201, r.text
        order = r.json()
        assert order["take_profit"] == round(top["price"] * (1 + top["expected_return"]), 2)
        worst = max(abs(top["risk_metrics"]["var_95"]), abs(top["risk_metrics"]["cvar_95"]))
        assert order["stop_loss"] == round(top["price"] * (1 - worst), 2)
    assert fake.post_count(order["client_order_id"]) == 1


def test_missing_model_names_the_train_command(tmp_path):
    from tradeforge.engine.api.serve import signal_source
    from tradeforge.errors import ModelError

    with pytest.raises(ModelError, match="tradeforge train"):
        signal_source({**OPTIONS, "registry": str(tmp_path / "empty")})
