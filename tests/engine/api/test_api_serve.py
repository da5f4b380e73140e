"""``tradeforge serve``: the bind/token rules of the CLI and ``build_app`` on the environment's paper keys."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from tradeforge.engine.api import auth
from tradeforge.engine.api.serve import ServeConfig, build_app
from tradeforge.engine.cli import main
from tradeforge.errors import ConfigError

TOKEN = "serve-token-canary-0123456789"


def _run(args, env):
    return CliRunner().invoke(main, ["serve", *args], env=env, catch_exceptions=False)


def test_refuses_a_public_host_without_a_token(monkeypatch):
    monkeypatch.delenv(auth.TOKEN_ENV, raising=False)
    result = _run(["--host", "0.0.0.0"], {auth.TOKEN_ENV: ""})
    assert result.exit_code == 2
    assert "--host: '0.0.0.0' without a token" in result.output and "TRADEFORGE_API_TOKEN" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_refuses_a_short_token_without_echoing_it():
    result = _run(["--host", "0.0.0.0"], {auth.TOKEN_ENV: "short-secret"})
    assert result.exit_code == 2 and "at least 16 characters" in result.output
    assert "short-secret" not in result.output


def test_bind_rules():
    auth.check_bind("127.0.0.1", None)
    auth.check_bind("0.0.0.0", TOKEN)
    with pytest.raises(ConfigError, match="localhost"):
        auth.check_bind("localhost", None)
    assert auth.token_from_env({auth.TOKEN_ENV: f"  {TOKEN} "}) == TOKEN
    assert auth.token_from_env({}) is None


def test_build_app_on_the_environment_paper_account(paper_env, tmp_path, source):
    from fastapi.testclient import TestClient

    env = paper_env
    config = ServeConfig(journal_root=str(tmp_path / "journal"), max_position_pct=0.25)
    app, store = build_app(config, env=env, source=source, token=TOKEN)
    try:
        assert "PA1APITEST01" in str(store.journal.url)
        with TestClient(app, base_url="http://127.0.0.1") as c:
            assert c.get("/positions").status_code == 401
            pos = c.get("/positions", headers={"Authorization": f"Bearer {TOKEN}"}).json()
            assert pos["account"]["account_number"] == "PA1APITEST01"
    finally:
        store.stop()
        store.journal.close()


def test_build_app_refuses_the_real_money_host(tmp_path):
    env = {"APCA_API_KEY_ID": "PKX", "APCA_API_SECRET_KEY": "sx",
           "APCA_API_BASE_URL": "https://api.alpaca.markets"}
    with pytest.raises(ConfigError, match="real-money host"):
        build_app(ServeConfig(journal_root=str(tmp_path)), env=env, source=lambda t: [])


def test_serve_config_rejects_unknown_options():
    with pytest.raises(ConfigError, match="prot"):
        ServeConfig.from_mapping({"prot": 1})
