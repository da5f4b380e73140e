"""``tradeforge run``: the safety refusals and the help text (no server needed)."""

from __future__ import annotations

from click.testing import CliRunner

from tradeforge.engine.cli import main


def _run(args, env):
    return CliRunner().invoke(main, ["run", *args], env=env, catch_exceptions=False, standalone_mode=True)


def test_live_is_refused_without_every_opt_in(tmp_path):
    env = {"TRADEFORGE_LIVE": None, "APCA_LIVE_API_KEY_ID": None, "APCA_LIVE_API_SECRET_KEY": None}
    result = _run(["--live", "--symbols", "SPY", "--state-dir", str(tmp_path)], env)
    assert result.exit_code == 2
    assert "TRADEFORGE_LIVE=1" in result.output and "APCA_LIVE_API_SECRET_KEY" in result.output
    assert not list(tmp_path.iterdir())                                   # refused before anything


def test_twilio_notifier_without_credentials_names_the_variables(tmp_path):
    env = {name: None for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM", "TWILIO_TO")}
    result = _run(["--symbols", "SPY", "--notify", "twilio", "--state-dir", str(tmp_path),
                   "--log-dir", str(tmp_path)], env)
    assert result.exit_code == 2
    line = result.output.strip().splitlines()[-1]
    assert line.startswith("tradeforge: error: Twilio SMS alerts") and "TWILIO_ACCOUNT_SID" in line
    assert not list(tmp_path.iterdir())


def test_help_says_paper_by_default_and_what_runs_when():
    result = _run(["--help"], {})
    assert result.exit_code == 0
    for text in ("Paper by default", "04:00 ET", "16:30 ET", "20:00 ET", "--paper / --live",
                 "TWILIO_AUTH_TOKEN"):
        assert text in result.output
