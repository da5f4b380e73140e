"""``tradeforge paper`` and ``tradeforge live``: run a strategy on Alpaca, bar by bar, until Ctrl-C.

Registered on the ``tradeforge`` group by one import line at the bottom of :mod:`tradeforge.engine.cli`.
Only click is imported at module level (``tradeforge --help`` stays fast); the session is
:func:`tradeforge.engine.live.run_live`. A :class:`~tradeforge.errors.TradeforgeError` (missing keys, a
refused live opt-in, a bad option) ends as one ``tradeforge: error: ...`` line and exit code 2.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

import click

from ._cli_common import parse_params

__all__ = ["paper", "live"]

_PAPER_HELP = """Paper trading: run a strategy on Alpaca's paper account (simulated fills, no real money).

Live trading with real money is `tradeforge live` (needs TRADEFORGE_LIVE=1, live keys, the account typed).

\b
Keys come from the environment: APCA_API_KEY_ID and APCA_API_SECRET_KEY (free paper keys:
https://app.alpaca.markets/paper/dashboard/overview -> API keys). Ctrl-C stops cleanly: open orders are
left as they are unless --flatten-on-exit."""

_LIVE_HELP = """Live trading: run a strategy on Alpaca with REAL money (paper trading is `tradeforge paper`).

Refused unless TRADEFORGE_LIVE=1, APCA_LIVE_API_KEY_ID / APCA_LIVE_API_SECRET_KEY are set and the account
number shown is typed back; a paper journal is never reused for live.

\b
Ctrl-C stops cleanly: open orders are left as they are unless --flatten-on-exit."""


def _options(command: Callable) -> Callable:
    """The options shared by ``paper`` and ``live``."""
    opts = [
        click.option("--strategy", default="sma_cross", show_default=True,
                     help="Built-in name (sma_cross, ml, ...), entry point, or package.module:Class."),
        click.option("--symbols", "--data", "symbols", required=True, metavar="SYM[,SYM...]",
                     help="Symbols to trade, e.g. SPY or SPY,QQQ."),
        click.option("--timeframe", default="1m", show_default=True, help="Bar size: 1m 5m 30m 1h 6h 1d."),
        click.option("--param", "params", multiple=True, metavar="KEY=VALUE",
                     help="Strategy parameter (repeatable)."),
        click.option("--model", default=None, metavar="VERSION",
                     help="ml only: model version from the registry [default: the newest]."),
        click.option("--registry", default="runs/registry", show_default=True, help="Model registry folder."),
        click.option("--db", default=None, metavar="URL",
                     help="Journal database URL [default: runs/journal/<account>-<mode>.sqlite]."),
        click.option("--backfill", type=int, default=None, help="History bars [default: the warm-up]."),
        click.option("--flatten-on-exit", is_flag=True,
                     help="On stop, cancel every order and close every position."),
        click.option("--max-open-positions", type=int, default=10, show_default=True, help="Pre-trade gate."),
        click.option("--max-position-pct", type=float, default=1.0, show_default=True,
                     help="Pre-trade gate: largest position value, fraction of equity."),
        click.option("--max-drawdown", type=float, default=0.2, show_default=True,
                     help="Kill switch: drawdown from the persisted high-water mark (latches)."),
        click.option("--daily-loss-limit", type=float, default=0.03, show_default=True,
                     help="Daily loss limit, fraction of the day's start equity (latches for the day)."),
        click.option("--base-url", envvar="APCA_API_BASE_URL", show_envvar=True, default=None,
                     help="Trading REST URL [default: Alpaca's paper/live host by mode]."),
        click.option("--data-url", envvar="APCA_API_DATA_URL", show_envvar=True, default=None,
                     help="Market-data REST URL."),
        click.option("--stream-url", envvar="APCA_API_STREAM_URL", show_envvar=True, default=None,
                     help="Trading stream URL."),
        click.option("--data-stream-url", envvar="APCA_API_DATA_STREAM_URL", show_envvar=True, default=None,
                     help="Market-data stream URL."),
        click.option("--json", "as_json", is_flag=True, help="Status lines as JSON objects on stdout."),
    ]
    for option in reversed(opts):
        command = option(command)
    return command


def _emit(as_json: bool) -> Callable[[dict[str, Any]], None]:
    def emit(status: dict[str, Any]) -> None:
        if as_json:
            click.echo(json.dumps(status, default=str))
        else:
            click.echo(status.get("message") or " ".join(f"{k}={v}" for k, v in status.items()))
    return emit


def _run(mode: str, options: dict[str, Any]) -> None:
    from tradeforge.engine.live import LiveConfig, run_live
    from tradeforge.engine.live.safety import check_live_env

    if mode == "live":
        check_live_env(os.environ)  # before anything else: refuse naming every missing piece
    as_json = options.pop("as_json")
    symbols = [s for s in options.pop("symbols").split(",") if s.strip()]
    config = LiveConfig.from_mapping({**options, "mode": mode, "symbols": tuple(symbols),
                                      "params": parse_params(options.pop("params")), "json_status": as_json})
    stop = threading.Event()

    def on_sigint(signum: int, frame: Any) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        result = run_live(config, stop=stop, status=_emit(as_json),
                          confirm=(lambda prompt: click.prompt(prompt, default="", show_default=False,
                                                               err=True)) if mode == "live" else None)
    finally:
        signal.signal(signal.SIGINT, previous)
    click.echo(result.summary(), err=True)


@click.command("paper", help=_PAPER_HELP)
@_options
def paper(**options: Any) -> None:
    _run("paper", options)


@click.command("live", help=_LIVE_HELP)
@_options
def live(**options: Any) -> None:
    _run("live", options)


if __name__ == "__main__":  # pragma: no cover - `python -m tradeforge.engine._cli_live`
    sys.exit(paper())
