"""A real CLI run: ``tradeforge train`` on a planted edge, then ``tradeforge signals --json`` prints BUYs; the
same two commands on noise print none (or far fewer).

The edge is planted by :mod:`tradeforge.feeds.synthetic` (``edge=0.8``, ``edge_kind=momentum``: each bar's
return gains 0.8 conditional standard deviations in the direction of the last 5 bars' move), strong enough
for the ensemble to be confident; the noise universe is the same seeds with ``edge=0``.
"""

from __future__ import annotations

import json

from click.testing import CliRunner

from tradeforge.engine._cli_signals import signals
from tradeforge.engine.cli import main

main.add_command(signals)  # what engine/cli.py does; idempotent

TRAIN = "synth:symbols=2,bars=800,freq=1d,seed=1,edge={edge}"
SCAN = "synth:symbols=60,bars=800,freq=1d,seed=2,edge={edge}"
PARAMS = ("fast=true", "lstm_epochs=1", "garch_window=60", "garch_refit_every=150")


def _buys(tmp_path, edge: float) -> list[dict]:
    registry = tmp_path / f"registry_{edge}"
    params = [arg for p in PARAMS for arg in ("--param", p)]
    runner = CliRunner()
    out = runner.invoke(main, ["train", "--data", TRAIN.format(edge=edge), "--registry", str(registry),
                               *params])
    assert out.exit_code == 0, out.output
    out = runner.invoke(main, ["signals", "--universe", SCAN.format(edge=edge), "--registry", str(registry),
                               "--candidates", "25", "--json"])
    assert out.exit_code == 0, out.stderr
    return json.loads(out.stdout)


def test_a_planted_edge_prints_confident_buys_and_noise_does_not(tmp_path):
    planted = _buys(tmp_path, 0.8)
    assert 2 <= len(planted) <= 10
    assert all(s["decision"] == "BUY" and s["confidence"] >= 0.7 and s["risk_score"] <= 6 for s in planted)
    assert [s["confidence"] for s in planted] == sorted((s["confidence"] for s in planted), reverse=True)
    assert set(planted[0]["predictions"]) == {"1d"} and planted[0]["expected_return"] > 0
    noise = _buys(tmp_path, 0.0)
    assert len(noise) <= len(planted) // 3, [(s["symbol"], s["confidence"]) for s in noise]
