"""``tradeforge serve``: the signals API and page (FastAPI + uvicorn), paper orders through Alpaca.

Registered on the ``tradeforge`` group by one import line at the bottom of :mod:`tradeforge.engine.cli`.
Only click is imported here; the server is :func:`tradeforge.engine.api.serve.serve`.
"""

from __future__ import annotations

from typing import Any

import click

__all__ = ["serve"]

_HELP = """Serve the top signals over HTTP: GET /signals, /positions, POST /orders (PAPER bracket orders on
Alpaca), a page at / with an "Execute trade" button, API docs at /docs.

\b
Listens on 127.0.0.1 unless TRADEFORGE_API_TOKEN (16+ characters) is set; the token then protects every
route but /health (send 'Authorization: Bearer <token>', or log in on the page). Paper keys come from
APCA_API_KEY_ID and APCA_API_SECRET_KEY. Orders are refused while the market is closed, when the risk
gate says no, or when the bar's signal was already sent."""


@click.command("serve", help=_HELP)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option("--universe", default=None, metavar="SPEC", help="Directory of per-symbol files or synth:...")
@click.option("--benchmarks", default=None, metavar="SYM,SYM", help="Benchmarks [default: SPY,QQQ].")
@click.option("--registry", default="runs/registry", show_default=True, help="Model registry folder.")
@click.option("--model", default=None, metavar="VERSION", help="Model version [default: the newest].")
@click.option("--top", default=10, show_default=True, type=int, help="Signals listed.")
@click.option("--min-confidence", default=0.7, show_default=True, type=float, help="Lowest confidence.")
@click.option("--max-risk", default=6.0, show_default=True, type=float, help="Highest risk score (1-10).")
@click.option("--at", default=None, metavar="TIMESTAMP", help="Serve the signals as of a past bar (replay).")
@click.option("--bar", default="1m", show_default=True,
              help="Recompute the signals once per bar of this size.")
@click.option("--order-value", default=1000.0, show_default=True, type=float,
              help="Dollars per order when the request names no quantity.")
@click.option("--db", default=None, metavar="URL",
              help="Journal database URL [default: runs/journal/<account>-paper SQLite].")
@click.option("--max-open-positions", default=10, show_default=True, type=int, help="Risk gate limit.")
@click.option("--max-position-pct", default=0.1, show_default=True, type=float,
              help="Risk gate: largest position as a fraction of equity.")
def serve(**options: Any) -> None:
    from tradeforge.engine.api.serve import ServeConfig
    from tradeforge.engine.api.serve import serve as run_server

    signal_keys = ("universe", "registry", "model", "top", "min_confidence", "max_risk", "at")
    signals = {k: options.pop(k) for k in signal_keys}
    benchmarks = options.pop("benchmarks")
    if benchmarks:
        signals["benchmarks"] = tuple(s.strip() for s in benchmarks.split(",") if s.strip())
    signals = {k: v for k, v in signals.items() if v is not None}
    run_server(ServeConfig(signals=signals, **options))
