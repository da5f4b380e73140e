"""The secrets canary: canary keys in the environment, a paper session and refused attempts as real
processes; every file they wrote, their stdout/stderr, their log file and the journal hold 0 copies."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tradeforge.testing.fake_alpaca import FakeAlpaca

from .conftest import minute_bars, now_minute_frames

_BOOT = ("import logging, sys; logging.basicConfig(level=logging.INFO, filename=sys.argv.pop(1), "
         "format='%(asctime)s %(name)s %(levelname)s %(message)s'); "
         "from tradeforge.engine.cli import main; main(sys.argv[1:], prog_name='tradeforge')")


def _cli(args: list[str], env: dict[str, str], cwd: Path, log: Path, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", _BOOT, str(log), *args], env=env, cwd=cwd, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.PIPE, **kw)


def _wait_for(path_or_fn, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path_or_fn():
            return True
        time.sleep(0.05)
    return False


def test_canary_keys_never_written_anywhere(tmp_path):
    paper_key, paper_secret = "PKCANARY" + secrets.token_hex(6).upper(), "canary-" + secrets.token_hex(16)
    live_key, live_secret = "AKCANARY" + secrets.token_hex(6).upper(), "canarylive-" + secrets.token_hex(16)
    canaries = [paper_key, paper_secret, live_key, live_secret]
    frames = now_minute_frames({"SPY": minute_bars(40, seed=3)}, history=6)
    df = frames["SPY"]
    outputs: list[str] = []
    with FakeAlpaca(account_number="PA1CANARY01", api_key=paper_key, secret_key=paper_secret,
                    rate_limit_per_minute=None) as fake:
        fake.add_history("SPY", df.iloc[:6])
        base = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
                "HOME": str(tmp_path), "APCA_API_BASE_URL": fake.base_url, "APCA_API_DATA_URL": fake.data_url,
                "APCA_API_STREAM_URL": fake.stream_url, "APCA_API_DATA_STREAM_URL": fake.data_stream_url}
        env = {**base, "APCA_API_KEY_ID": paper_key, "APCA_API_SECRET_KEY": paper_secret,
               "APCA_LIVE_API_KEY_ID": live_key, "APCA_LIVE_API_SECRET_KEY": live_secret}
        args = ["paper", "--json", "--strategy", "sma_cross", "--symbols", "SPY", "--param", "fast=2",
                "--param", "slow=4"]
        proc = _cli(args, env, tmp_path, tmp_path / "paper.log")
        assert _wait_for(lambda: fake.wait_subscribed("SPY", timeout=0.1), 60), "the session never started"
        for i in range(6, len(df)):
            row = df.iloc[i]
            fake.push_bar("SPY", df.index[i], row.open, row.high, row.low, row.close, row.volume)
            time.sleep(0.15)
        proc.send_signal(signal.SIGINT)                                 # Ctrl-C
        out, err = proc.communicate(timeout=60)
        outputs += [out, err]
        assert proc.returncode == 0, err
        assert '"event": "bar"' in out
        assert "left at the broker as they are" in err or "no open orders" in err
        assert len(fake.orders) >= 2                                    # it traded with the canary keys

        # refused live attempt (a broker that accepts the live keys): everything set, the account typed wrong
        with FakeAlpaca(account_number="987654321", api_key=live_key, secret_key=live_secret,
                        rate_limit_per_minute=None) as live_fake:
            live_env = {**env, "TRADEFORGE_LIVE": "1", "APCA_API_BASE_URL": live_fake.base_url,
                        "APCA_API_DATA_URL": live_fake.data_url, "APCA_API_STREAM_URL": live_fake.stream_url,
                        "APCA_API_DATA_STREAM_URL": live_fake.data_stream_url}
            refused = _cli(["live", "--symbols", "SPY"], live_env, tmp_path, tmp_path / "live.log")
            out, err = refused.communicate("987654\n", timeout=60)
        outputs += [out, err]
        assert refused.returncode == 2 and "not typed back" in err and "987654321" in err
        assert live_fake.orders == []

        # refused paper attempt: keys the broker does not accept
        bad_env = {**env, "APCA_API_SECRET_KEY": paper_secret[::-1]}
        bad = _cli(["paper", "--symbols", "SPY"], bad_env, tmp_path, tmp_path / "bad.log")
        out, err = bad.communicate(timeout=60)
        outputs += [out, err]
        assert bad.returncode == 2 and err.startswith("tradeforge: error:")
        canaries.append(paper_secret[::-1])

    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    journal_files = [p for p in written if "journal" in p.parts]
    assert journal_files and (tmp_path / "paper.log").exists()
    hits = [(str(p), c) for p in written for c in canaries if c.encode() in p.read_bytes()]
    hits += [("stdout/stderr", c) for text in outputs for c in canaries if c in text]
    print(f"CANARY {len(canaries)} canary secrets, {len(written)} files ({len(journal_files)} journal) and "
          f"{len(outputs)} streams scanned: {len(hits)} hits")
    assert hits == []


@pytest.mark.parametrize("level", ["DEBUG"])
def test_debug_logging_does_not_leak_the_keys_either(tmp_path, level):
    key, secret = "PKCANARYDBG" + secrets.token_hex(4).upper(), "canarydbg-" + secrets.token_hex(16)
    with FakeAlpaca(account_number="PA1CANARY02", api_key=key, secret_key=secret,
                    rate_limit_per_minute=None) as fake:
        env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
               "HOME": str(tmp_path), "APCA_API_KEY_ID": key, "APCA_API_SECRET_KEY": secret,
               "APCA_API_BASE_URL": fake.base_url, "APCA_API_DATA_URL": fake.data_url,
               "APCA_API_STREAM_URL": fake.stream_url, "APCA_API_DATA_STREAM_URL": fake.data_stream_url}
        boot = _BOOT.replace("logging.INFO", f"logging.{level}")
        proc = subprocess.Popen([sys.executable, "-c", boot, str(tmp_path / "debug.log"), "paper",
                                 "--symbols", "SPY"], env=env, cwd=tmp_path, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert _wait_for(lambda: fake.wait_subscribed("SPY", timeout=0.1), 60)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    text = (tmp_path / "debug.log").read_text() + out + err
    assert "websockets" in text or "urllib3" in text                    # debug logging was on
    assert key not in text and secret not in text
