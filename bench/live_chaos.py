"""Chaos benchmark of the live runner: ``kill -9`` at random points around order submission, then restart.

Usage::

    .venv/bin/python bench/live_chaos.py [--restarts 300] [--seed 0]

A :class:`~tradeforge.testing.fake_alpaca.FakeAlpaca` runs in this process; the runner is the real
``tradeforge paper --json`` command (``sma_cross``, fast 2 / slow 4, one symbol, 1-minute bars) in a child
process forked from a pre-loaded zygote (so a restart costs a fork, not an interpreter start). The driver
pushes bars one at a time and waits for each to be processed; at seeded random points it kills the child
with SIGKILL: right after pushing a bar on which the strategy sends an order (mid-POST, with the POST held
by a timeout fault, or after a 500-after-accept), or right after the bar that fills it. The next life
starts on the same journal (reconciliation, backfill) and trading goes on. The last life stops with
SIGINT (Ctrl-C).

Figures: duplicate orders at the fake (two orders for one symbol, bar and side, or one client id posted
twice), orders at the fake unknown to the journal, and positions journal vs broker (must be equal).
``tests/engine/live/test_chaos.py`` runs 30 restarts; this script runs 300 and prints the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

_ZYGOTE_PRELOAD = ("tradeforge.engine.cli", "tradeforge.engine._cli_live", "tradeforge.engine.live.runner",
                   "tradeforge.engine.live._recorder", "tradeforge.brokers.alpaca.store",
                   "tradeforge.brokers.alpaca.broker", "tradeforge.brokers.alpaca.data",
                   "tradeforge.brokers.journal.journal", "tradeforge.strategies.sma_cross",
                   "alpaca.trading.client", "alpaca.trading.stream", "alpaca.data.live.stock",
                   "alpaca.data.historical.stock", "backtrader", "sqlalchemy", "alembic.command")


# ------------------------------------------------------------------------------------------------ zygote
def zygote() -> None:
    """Pre-load the runner's modules, then fork one CLI child per ``run`` command read from stdin.

    Commands (one JSON object per line): ``{"cmd": "run", "env": {...}, "args": [...], "out": path}`` ->
    ``{"pid": n}``; ``{"cmd": "wait", "pid": n}`` -> ``{"pid": n, "status": s}``; ``{"cmd": "quit"}``.
    Single-threaded, so forking is safe.
    """
    import importlib
    import warnings

    # pandas imports pyarrow, whose idle background thread makes Python warn about fork(); the children
    # never use pyarrow, and nothing else runs a thread here
    warnings.filterwarnings("ignore", message=".*use of fork.*", category=DeprecationWarning)
    for name in _ZYGOTE_PRELOAD:
        importlib.import_module(name)
    reply = sys.stdout
    reply.write(json.dumps({"ready": True}) + "\n")
    reply.flush()
    for line in sys.stdin:
        cmd = json.loads(line)
        if cmd["cmd"] == "quit":
            break
        if cmd["cmd"] == "wait":
            _, status = os.waitpid(cmd["pid"], 0)
            reply.write(json.dumps({"pid": cmd["pid"], "status": status}) + "\n")
            reply.flush()
            continue
        pid = os.fork()
        if pid == 0:
            _child(cmd)  # never returns
        reply.write(json.dumps({"pid": pid}) + "\n")
        reply.flush()


def _child(cmd: dict[str, Any]) -> None:
    code = 1
    try:
        fd = os.open(cmd["out"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.environ.clear()
        os.environ.update(cmd["env"])
        signal.signal(signal.SIGINT, signal.default_int_handler)
        sys.stdin = open(os.devnull)  # noqa: SIM115 - the child's stdin, closed by os._exit
        from tradeforge.engine.cli import main

        try:
            main(cmd["args"], prog_name="tradeforge")
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


class Zygote:
    """The driver's handle on the zygote process."""

    def __init__(self, python: str = sys.executable) -> None:
        import subprocess

        env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
        self.proc = subprocess.Popen([python, str(Path(__file__).resolve()), "--zygote"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1,
                                     env=env)
        assert self._read().get("ready")

    def _read(self) -> dict[str, Any]:
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the chaos zygote died")
        return json.loads(line)

    def _send(self, cmd: dict[str, Any]) -> dict[str, Any]:
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()
        return self._read()

    def run(self, env: dict[str, str], args: list[str], out: Path) -> int:
        return int(self._send({"cmd": "run", "env": env, "args": args, "out": str(out)})["pid"])

    def wait(self, pid: int) -> int:
        return int(self._send({"cmd": "wait", "pid": pid})["status"])

    def close(self) -> None:
        try:
            self.proc.stdin.write(json.dumps({"cmd": "quit"}) + "\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            pass
        self.proc.wait(10)


# ------------------------------------------------------------------------------------------------ driver
@dataclass
class ChaosFigures:
    """What a chaos run measured."""

    restarts: int = 0
    bars: int = 0
    orders_at_broker: int = 0
    fills_at_broker: int = 0
    kills: Counter = field(default_factory=Counter)
    duplicate_orders: int = 0
    reposted_client_ids: int = 0
    orders_unknown_to_journal: int = 0
    position_mismatches: int = 0
    startup_seconds: list[float] = field(default_factory=list)
    broker_positions: dict[str, float] = field(default_factory=dict)
    journal_positions: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["kills"] = dict(self.kills)
        return out


def _bars(n: int, seed: int) -> Any:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0, 0.004, n)))
    open_ = np.r_[100.0, close[:-1]]
    high = np.maximum(open_, close) * 1.001
    low = np.minimum(open_, close) * 0.999
    now = pd.Timestamp.now(tz="UTC").tz_convert(None).floor("1min")
    index = pd.date_range(now - pd.Timedelta(minutes=8), periods=n, freq="1min", name="datetime")
    return pd.DataFrame({"open": open_, "high": high, "low": low, "close": close, "volume": 1000.0},
                        index=index)


class _Life:
    """One runner process: its status file and what it reported."""

    def __init__(self, zygote: Zygote, env: dict[str, str], args: list[str], out: Path) -> None:
        self.out = out
        out.write_text("")
        self.pid = zygote.run(env, args, out)
        self.zygote = zygote

    def events(self) -> list[dict[str, Any]]:
        rows = []
        for line in self.out.read_text().splitlines():
            if line.startswith("{"):
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError:
                    continue
        return rows

    def wait_for(self, predicate, timeout: float = 30.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for event in self.events():
                if predicate(event):
                    return event
            if self._dead():
                break
            time.sleep(0.01)
        tail = self.out.read_text()[-3000:]
        raise RuntimeError(f"runner {self.pid}: expected event not seen; output:\n{tail}")

    def _dead(self) -> bool:
        try:
            pid, _ = os.waitpid(self.pid, os.WNOHANG)
        except ChildProcessError:  # a child of the zygote, not ours: ask the OS
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                return True
            return False
        return pid != 0

    def kill(self) -> None:
        os.kill(self.pid, signal.SIGKILL)
        self.zygote.wait(self.pid)

    def interrupt(self) -> int:
        os.kill(self.pid, signal.SIGINT)
        return self.zygote.wait(self.pid)


def run_chaos(restarts: int = 30, seed: int = 0, workdir: str | Path | None = None) -> ChaosFigures:
    """Run the chaos scenario (module notes) with *restarts* kills and return the figures."""
    from tradeforge.brokers.journal import Journal
    from tradeforge.engine.live.reconcile import journal_positions
    from tradeforge.strategies.sma_cross import crossover
    from tradeforge.testing.fake_alpaca import FakeAlpaca

    t0 = time.perf_counter()
    rng = random.Random(seed)
    work = Path(workdir or tempfile.mkdtemp(prefix="tf-chaos-"))
    key, secret = "PKCHAOSKEY000000001", "chaos-secret-0000001"
    fast, slow = 2, 4
    frame = _bars(8 + restarts * 6 + 40, seed)
    cross = crossover(frame["close"].to_numpy(), fast, slow)
    figures = ChaosFigures(restarts=restarts)
    zyg = Zygote()
    db = work / "journal.db"
    try:
        with FakeAlpaca(account_number="PA1CHAOS001", api_key=key, secret_key=secret,
                        rate_limit_per_minute=None) as fake:
            fake.add_history("SPY", frame.iloc[:8])
            env = {"APCA_API_KEY_ID": key, "APCA_API_SECRET_KEY": secret, "APCA_API_BASE_URL": fake.base_url,
                   "APCA_API_DATA_URL": fake.data_url, "APCA_API_STREAM_URL": fake.stream_url,
                   "APCA_API_DATA_STREAM_URL": fake.data_stream_url, "PATH": os.environ.get("PATH", ""),
                   "PYTHONPATH": os.environ.get("PYTHONPATH", ""), "HOME": str(work)}
            args = ["paper", "--json", "--strategy", "sma_cross", "--symbols", "SPY", "--timeframe", "1m",
                    "--param", f"fast={fast}", "--param", f"slow={slow}", "--db", f"sqlite:///{db}",
                    "--max-drawdown", "1", "--daily-loss-limit", "1"]
            i = 8
            for life_no in range(restarts + 1):
                t_life = time.perf_counter()
                life = _Life(zyg, env, args, work / f"life-{life_no:04d}.jsonl")
                life.wait_for(lambda e: e.get("event") == "ready")
                figures.startup_seconds.append(round(time.perf_counter() - t_life, 2))
                if not fake.wait_subscribed("SPY", 1, timeout=10):
                    raise RuntimeError("the runner did not subscribe")
                i = _run_life(fake, life, frame, cross, i, rng, figures, last=life_no == restarts)
            figures.bars = i - 8
            snap = _snapshot(fake)
    finally:
        zyg.close()
    with Journal.open(f"sqlite:///{db}", account="PA1CHAOS001", mode="paper") as journal:
        _count(snap, journal, figures, journal_positions(journal))
    figures.seconds = round(time.perf_counter() - t0, 1)
    return figures


def _push(fake: Any, frame: Any, i: int) -> Any:
    row = frame.iloc[i]
    ts = frame.index[i]
    fake.push_bar("SPY", ts, row.open, row.high, row.low, row.close, row.volume)
    return ts


def _processed(life: _Life, ts: Any) -> None:
    want = ts.isoformat()
    life.wait_for(lambda e: e.get("event") == "bar" and e.get("time") == want)


def _run_life(fake: Any, life: _Life, frame: Any, cross: Any, i: int, rng: random.Random,
              figures: ChaosFigures, *, last: bool) -> int:
    """Push bars through one life; end it with a kill around an order (or Ctrl-C for the last)."""
    quiet = rng.randint(0, 3)
    for _ in range(quiet):
        _processed(life, _push(fake, frame, i))
        i += 1
    if last:
        for _ in range(20):
            _processed(life, _push(fake, frame, i))
            i += 1
        life.interrupt()
        return i
    while i < len(frame) - 2 and cross[i] == 0:  # go to the next bar on which sma_cross sends an order
        _processed(life, _push(fake, frame, i))
        i += 1
    mode = rng.choice(["mid_post", "post_timeout", "accept_500", "around_fill"])
    if mode == "post_timeout":
        fake.fault_rest(path="/v2/orders", method="POST", kind="timeout", delay_s=2.0, count=1)
    elif mode == "accept_500":
        fake.fault_rest(path="/v2/orders", method="POST", kind="500_after_accept", count=1)
    if mode == "around_fill":
        _processed(life, _push(fake, frame, i))  # the order bar, processed: its order is working
        i += 1
    _push(fake, frame, i)
    i += 1
    time.sleep(rng.uniform(0.0, 0.12))
    life.kill()
    fake.clear_faults()
    figures.kills[mode] += 1
    return i


def _snapshot(fake: Any) -> dict[str, Any]:
    orders = fake.orders
    return {"orders": orders, "fills": fake.fills,
            "positions": {s: p["qty"] for s, p in fake.positions.items() if p["qty"]},
            "posts": {o["client_order_id"]: fake.post_count(o["client_order_id"]) for o in orders}}


def _count(snap: dict[str, Any], journal: Any, figures: ChaosFigures,
           journal_positions: dict[str, float]) -> None:
    figures.orders_at_broker = len(snap["orders"])
    figures.fills_at_broker = len(snap["fills"])
    decisions: Counter = Counter()
    for order in snap["orders"]:
        row = journal.order(order["client_order_id"])
        if row is None:
            figures.orders_unknown_to_journal += 1
            continue
        decisions[(row.symbol, row.intent.bar_time, row.intent.side, row.intent.intent)] += 1
    figures.duplicate_orders = sum(n - 1 for n in decisions.values() if n > 1)
    figures.reposted_client_ids = sum(1 for n in snap["posts"].values() if n > 1)
    figures.broker_positions = {s: float(q) for s, q in snap["positions"].items()}
    figures.journal_positions = dict(journal_positions)
    broker, mine = figures.broker_positions, figures.journal_positions
    figures.position_mismatches = sum(1 for s in set(broker) | set(mine)
                                      if abs(broker.get(s, 0.0) - mine.get(s, 0.0)) > 1e-9)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--restarts", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--zygote", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.zygote:
        zygote()
        return
    figures = run_chaos(args.restarts, args.seed)
    print(json.dumps(figures.as_dict(), indent=2, default=str))


if __name__ == "__main__":
    main()
