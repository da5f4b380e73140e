"""``tradeforge paper`` / ``tradeforge live``: --help, the live opt-in refusals (each naming what is missing),
missing paper keys, the real-money host guard, and a paper journal never reused for live."""

from __future__ import annotations

import threading

import pytest
from click.testing import CliRunner

from tradeforge.engine.cli import main
from tradeforge.engine.live import LiveConfig, run_live
from tradeforge.errors import ConfigError

from .conftest import KEY, SECRET, fake_env

_ALL_VARS = ("TRADEFORGE_LIVE", "APCA_API_KEY_ID", "APCA_API_SECRET_KEY", "APCA_LIVE_API_KEY_ID",
             "APCA_LIVE_API_SECRET_KEY", "APCA_API_BASE_URL", "APCA_API_DATA_URL", "APCA_API_STREAM_URL",
             "APCA_API_DATA_STREAM_URL")


def _invoke(args, env=None, input=None):
    clean = {name: None for name in _ALL_VARS}  # nothing from the machine running the tests
    return CliRunner().invoke(main, args, env={**clean, **(env or {})}, input=input)


def _one_line_error(out, prompted: bool = False) -> str:
    assert out.exit_code == 2, (out.exit_code, out.stdout, out.stderr)
    err = out.stderr.split("\n", 1)[1] if prompted else out.stderr  # after the prompt's own line
    assert err.startswith("tradeforge: error: ") and err.count("\n") == 1, out.stderr
    return err


def test_paper_help_explains_paper_vs_live_in_two_lines():
    out = _invoke(["paper", "--help"])
    assert out.exit_code == 0
    body = [line.strip() for line in out.stdout.split("Options:")[0].splitlines() if line.strip()]
    assert body[0].startswith("Usage: ")
    assert body[1] == "Paper trading: runs a strategy on Alpaca's paper account, with no real money."
    assert body[2] == "Live trading with real money is `tradeforge live` (TRADEFORGE_LIVE=1, live keys)."
    for option in ("--strategy", "--symbols", "--timeframe", "--param", "--model", "--registry", "--db",
                   "--flatten-on-exit", "--base-url", "--data-url", "--stream-url", "--data-stream-url",
                   "--json", "APCA_API_BASE_URL", "APCA_API_DATA_STREAM_URL"):
        assert option in out.stdout
    assert "REAL money" in _invoke(["live", "--help"]).stdout


def test_paper_without_keys_says_how_to_get_paper_keys():
    err = _one_line_error(_invoke(["paper", "--symbols", "SPY"]))
    assert "APCA_API_KEY_ID and APCA_API_SECRET_KEY: not set" in err
    assert "https://app.alpaca.markets/paper" in err and "paper keys" in err


@pytest.mark.parametrize(("env", "missing", "present"), [
    ({}, ["TRADEFORGE_LIVE=1", "APCA_LIVE_API_KEY_ID", "APCA_LIVE_API_SECRET_KEY"], []),
    ({"TRADEFORGE_LIVE": "1"}, ["APCA_LIVE_API_KEY_ID", "APCA_LIVE_API_SECRET_KEY"], ["TRADEFORGE_LIVE=1"]),
    ({"APCA_LIVE_API_KEY_ID": "AK1", "APCA_LIVE_API_SECRET_KEY": "s"}, ["TRADEFORGE_LIVE=1"], ["AK1"]),
    ({"TRADEFORGE_LIVE": "yes", "APCA_LIVE_API_KEY_ID": "AK1"},
     ["TRADEFORGE_LIVE=1", "APCA_LIVE_API_SECRET_KEY"], ["APCA_LIVE_API_KEY_ID,"]),
    ({"TRADEFORGE_LIVE": "1", "APCA_API_KEY_ID": KEY, "APCA_API_SECRET_KEY": SECRET},  # paper keys: not live
     ["APCA_LIVE_API_KEY_ID", "APCA_LIVE_API_SECRET_KEY"], [KEY]),
])
def test_live_refuses_naming_every_missing_piece(env, missing, present):
    err = _one_line_error(_invoke(["live", "--symbols", "SPY"], env))
    assert "tradeforge live refused: missing " + ", ".join(missing) + "." in err
    for text in present:
        assert text not in err.split("Real-money")[0]


def _live_env(fake):
    env = fake_env(fake, TRADEFORGE_LIVE="1", APCA_LIVE_API_KEY_ID=KEY, APCA_LIVE_API_SECRET_KEY=SECRET)
    del env["APCA_API_KEY_ID"], env["APCA_API_SECRET_KEY"]
    return env


@pytest.mark.parametrize(("typed", "got"), [("", "got nothing"), ("PA1TEST000", "got a different number")])
def test_live_refuses_without_the_account_number_typed_back(fake, tmp_path, typed, got):
    out = _invoke(["live", "--symbols", "SPY", "--db", f"sqlite:///{tmp_path / 'live.db'}"], _live_env(fake),
                  input=typed + "\n")
    err = _one_line_error(out, prompted=True)
    assert f"the account number was not typed back ({got}); type PA1TEST0001 exactly" in err
    assert out.stderr.startswith("LIVE trading with REAL money on account PA1TEST0001. Type the account")
    assert fake.orders == [] and not (tmp_path / "live.db").exists()


def test_a_paper_journal_is_never_reused_for_live(fake, tmp_path):
    db = f"sqlite:///{tmp_path / 'shared.db'}"
    stop = threading.Event()
    stop.set()                                                # start, reconcile, stop at once
    run_live(LiveConfig(symbols=("SPY",), db=db), stop=stop, env=fake_env(fake))
    out = _invoke(["live", "--symbols", "SPY", "--db", db], _live_env(fake), input="PA1TEST0001\n")
    err = _one_line_error(out, prompted=True)
    assert "paper" in err and "live" in err and fake.orders == []


def test_paper_never_trades_on_a_real_money_host(fake):
    err = _one_line_error(_invoke(["paper", "--symbols", "SPY", "--base-url", "https://api.alpaca.markets"],
                                  {"APCA_API_KEY_ID": KEY, "APCA_API_SECRET_KEY": SECRET}))
    assert "real-money host; tradeforge paper never trades live" in err


def test_paper_refuses_an_account_that_is_not_a_paper_one(tmp_path):
    from tradeforge.testing.fake_alpaca import FakeAlpaca

    with FakeAlpaca(account_number="123456789", api_key=KEY, secret_key=SECRET,
                    rate_limit_per_minute=None) as fake:
        with pytest.raises(ConfigError, match="not a paper one"):
            run_live(LiveConfig(symbols=("SPY",), journal_root=str(tmp_path)), env=fake_env(fake))
        assert fake.orders == []


def test_library_refuses_live_without_a_prompt(fake, tmp_path):
    with pytest.raises(ConfigError, match="nobody to type the account number"):
        run_live(LiveConfig(mode="live", symbols=("SPY",), journal_root=str(tmp_path)), env=_live_env(fake))


def test_config_rejects_unknown_keys_and_defaults_to_paper():
    assert LiveConfig(symbols=("spy",)).mode == "paper"
    with pytest.raises(ConfigError, match="Did you mean 'flatten_on_exit'"):
        LiveConfig.from_mapping({"symbols": ("SPY",), "flaten_on_exit": True})
    with pytest.raises(ConfigError, match="symbols"):
        LiveConfig()
    err = _one_line_error(_invoke(["paper", "--symbols", "SPY", "--timeframe", "2m"],
                                  {"APCA_API_KEY_ID": KEY, "APCA_API_SECRET_KEY": SECRET}))
    assert "timeframe: unknown '2m'" in err
