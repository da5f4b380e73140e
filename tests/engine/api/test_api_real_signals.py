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


def test_tradeforge_serve_command_end_to_end(registry, paper_env, tmp_path):
    """The real command in a subprocess: uvicorn on 127.0.0.1, the token required, Ctrl-C stops it, and
    neither the token nor the keys appear in its output."""
    import os
    import signal
    import socket
    import subprocess
    import sys
    import time

    import httpx

    token = "serve-cmd-token-canary-0123456789"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, **paper_env, "TRADEFORGE_API_TOKEN": token}
    code = "import sys; from tradeforge.engine.cli import main; sys.argv[0] = 'tradeforge'; main()"
    args = [sys.executable, "-c", code, "serve", "--port", str(port), "--universe", UNIVERSE,
            "--registry", registry, "--min-confidence", "0", "--max-risk", "10",
            "--db", f"sqlite:///{tmp_path / 'journal.db'}"]
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url, deadline = f"http://127.0.0.1:{port}", time.monotonic() + 90
        while True:
            try:
                if httpx.get(url + "/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"tradeforge serve did not answer /health: {proc.poll()=}")
            time.sleep(0.2)
        assert httpx.get(url + "/signals").status_code == 401
        r = httpx.get(url + "/signals", headers={"Authorization": f"Bearer {token}"}, timeout=60)
        assert r.status_code == 200 and r.json() and r.headers["X-Signals-Bar"]
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    for secret in (token, paper_env["APCA_API_SECRET_KEY"], paper_env["APCA_API_KEY_ID"]):
        assert secret not in out
