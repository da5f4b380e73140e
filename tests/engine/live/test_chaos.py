"""CHAOS: kill -9 of the runner process at random points around order submission, 30 restarts (seeded).

The scenario is ``bench/live_chaos.py`` (which runs 300): the real ``tradeforge paper`` command against the
fake Alpaca, SIGKILLed mid-POST, during a held POST (timeout fault), after a 500-after-accept, or right
after the bar that fills an order; every restart reconciles on the same journal.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[3] / "bench" / "live_chaos.py"


def _chaos_module():
    spec = importlib.util.spec_from_file_location("tradeforge_bench_live_chaos", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_thirty_kill9_restarts_no_duplicate_no_unknown_positions_equal(tmp_path):
    figures = _chaos_module().run_chaos(restarts=30, seed=7, workdir=tmp_path)
    print("CHAOS", figures.as_dict())
    assert sum(figures.kills.values()) == 30 and len(figures.kills) == 4       # every kind of kill happened
    assert figures.orders_at_broker >= 5 and figures.fills_at_broker >= 2        # it really traded
    assert figures.duplicate_orders == 0
    assert figures.reposted_client_ids == 0
    assert figures.orders_unknown_to_journal == 0
    assert figures.position_mismatches == 0
    assert figures.broker_positions == figures.journal_positions
