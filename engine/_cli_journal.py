"""The journal commands: ``tradeforge status`` (positions, open orders, P&L, kill switch), ``tradeforge
report --journal DB`` (the backtest report files from live fills and equity) and ``tradeforge unlock``
(reset the latched kill switch and daily loss limit after a typed confirmation).

Only click is imported at module level; the journal (SQLAlchemy) and the report (pandas, quantstats) load
inside the commands. None of these commands creates a journal: a missing, corrupt or foreign file is a
one-line error.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from tradeforge.errors import ConfigError

__all__ = ["status", "report", "unlock"]

_STATUS = {"FILLED": "Completed", "CANCELED": "Canceled", "REJECTED": "Rejected", "EXPIRED": "Expired",
           "REFUSED": "Refused"}


def _journal_options(command: Callable) -> Callable:
    """``--db/--journal``, ``--account``, ``--mode`` and ``--root``: which journal to read."""
    for option in reversed([
        click.option("--db", "--journal", "db", metavar="URL|FILE",
                     help="Journal: a SQLite file, sqlite:///FILE or postgresql+psycopg://USER:PASSWORD@HOST/DB."),
        click.option("--account", default=None, help="Account number: use its default SQLite journal."),
        click.option("--mode", type=click.Choice(["paper", "live"]), default=None,
                     help="Journal mode (checked against the journal) [default: paper with --account]."),
        click.option("--root", type=click.Path(file_okay=False), default="runs/journal", show_default=True,
                     help="Folder of the default SQLite journals."),
    ]):
        command = option(command)
    return command


def _open(db: str | None, account: str | None, mode: str | None, root: str) -> Any:
    """The existing journal named by the options (never creates one)."""
    from tradeforge.brokers.journal import Journal

    if db is None and account is None:
        pattern = f"*-{mode}.db" if mode else "*-*.db"
        found = sorted(Path(root).glob(pattern))
        if len(found) != 1:
            listed = ", ".join(p.name for p in found) if found else "none"
            raise ConfigError(f"--db: {len(found)} journals under {root}/ ({listed}); name one with --db "
                              "FILE or --account ACCOUNT --mode paper|live")
        db = str(found[0])
    if db is None:
        mode = mode or "paper"
    return Journal.open(db, account=account, mode=mode, root=root, create=False)


def _money(value: float | None) -> str:
    return "-" if value is None else f"{value:,.2f}"


def _time(value: Any) -> str:
    return "-" if value is None else value.strftime("%Y-%m-%d %H:%M:%S UTC")


def _pnl(equity: Any, risk: Any) -> dict[str, Any]:
    """Equity, cash, P&L since the first snapshot and today, drawdown from the high-water mark."""
    if equity.empty:
        return {}
    last_at, last = equity.index[-1], equity.iloc[-1]
    first = float(equity["equity"].iloc[0])
    today = equity[equity.index.normalize() == last_at.normalize()]
    day_start = risk.day_start_equity if risk.day == last_at.date() and risk.day_start_equity else \
        float(today["equity"].iloc[0])
    hwm = max(float(equity["equity"].max()), risk.high_water_mark or 0.0)
    value = float(last["equity"])
    cash = None if math.isnan(last["cash"]) else float(last["cash"])
    return dict(at=last_at.isoformat(), equity=value, cash=cash, since=equity.index[0].isoformat(),
                pnl=value - first, pnl_pct=value / first - 1.0, pnl_today=value - day_start,
                high_water_mark=hwm, drawdown=value / hwm - 1.0 if hwm > 0 else 0.0)


def _status_data(journal: Any) -> dict[str, Any]:
    risk = journal.risk_state()
    orders = [dict(client_order_id=o.client_order_id, symbol=o.symbol, side=o.intent.side, qty=o.intent.qty,
                   order_type=o.intent.order_type, state=str(o.state), broker_status=o.broker_status,
                   filled_qty=o.filled_qty, reason=o.reason) for o in journal.open_orders()]
    positions = {s: dict(qty=q, avg_price=a) for s, (q, a) in journal.positions().items()}
    last_event = journal.last_event_at()
    return dict(journal=journal.url, account=journal.account, mode=journal.mode, positions=positions,
                open_orders=orders, pnl=_pnl(journal.equity_frame(), risk),
                kill_switch=dict(tripped=risk.tripped, tripped_at=None if risk.tripped_at is None else
                                 risk.tripped_at.isoformat(), reason=risk.tripped_reason,
                                 daily_blocked=risk.daily_blocked, day=None if risk.day is None else
                                 str(risk.day)),
                last_event_at=None if last_event is None else last_event.isoformat())


def _print_status(data: dict[str, Any]) -> None:
    echo = click.echo
    echo(f"journal      {data['journal']} (account {data['account']}, {data['mode']})")
    pnl = data["pnl"]
    if pnl:
        echo(f"equity       {_money(pnl['equity'])} (cash {_money(pnl['cash'])}) at {pnl['at']}")
        echo(f"P&L          {pnl['pnl']:+,.2f} ({pnl['pnl_pct']:+.2%}) since {pnl['since']}; "
             f"today {pnl['pnl_today']:+,.2f}")
        echo(f"drawdown     {pnl['drawdown']:.2%} from the high-water mark {_money(pnl['high_water_mark'])}")
    else:
        echo("equity       - (no equity recorded yet)")
    kill = data["kill_switch"]
    echo("kill switch  " + (f"TRIPPED at {kill['tripped_at']}: {kill['reason']} (reset: tradeforge unlock)"
                            if kill["tripped"] else "ok"))
    echo("daily limit  " + (f"BLOCKED for {kill['day']} (reset: tradeforge unlock)" if kill["daily_blocked"]
                            else "ok"))
    echo(f"positions    {len(data['positions']) or 'none'}")
    for symbol, p in data["positions"].items():
        echo(f"  {symbol:<8} {p['qty']:>12,.4g}  avg {_money(p['avg_price'])}")
    echo(f"open orders  {len(data['open_orders']) or 'none'}")
    for o in data["open_orders"]:
        broker = f" ({o['broker_status']})" if o["broker_status"] else ""
        echo(f"  {o['client_order_id']:<48} {o['symbol']:<6} {o['side']:<4} {o['qty']:>10,.4g} "
             f"{o['order_type']:<10} {o['state']}{broker}")
    echo(f"last event   {data['last_event_at'] or '-'}")


@click.command()
@_journal_options
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def status(db: str | None, account: str | None, mode: str | None, root: str, as_json: bool) -> None:
    """Positions, open orders, P&L and the kill switch, from a paper or live journal."""
    with _open(db, account, mode, root) as journal:
        data = _status_data(journal)
    if as_json:
        click.echo(json.dumps(data, indent=2))
    else:
        _print_status(data)


def _orders_csv(orders: Any) -> Any:
    """Final orders in the columns of a backtest's ``orders.csv`` (plus client id, journal state, reason)."""
    import numpy as np

    done = orders[orders["state"].isin(list(_STATUS))].reset_index(drop=True)
    sign = np.where(done["side"] == "buy", 1.0, -1.0)
    filled = done["state"] == "FILLED"
    requested = done["limit_price"].fillna(done["stop_price"])
    frame = done.assign(date=done["updated_at"], ref=np.arange(1, len(done) + 1),
                        status=done["state"].map(_STATUS),
                        size=np.where(filled, done["filled_qty"], done["qty"]) * sign,
                        price=np.where(filled, done["filled_avg_price"], requested))
    frame["value"] = np.where(filled, frame["size"].abs() * frame["price"], np.nan)
    frame["commission"] = 0.0
    return frame[["date", "symbol", "ref", "side", "status", "size", "price", "value", "commission",
                  "client_order_id", "state", "reason"]]


def _exposure(fills: Any, index: Any) -> Any:
    """True at equity snapshots where some position is open (rebuilt from the fills)."""
    import numpy as np
    import pandas as pd

    exposed = np.zeros(len(index), dtype=bool)
    for _, group in fills.groupby("symbol", sort=False):
        held = group.groupby("at")["signed_qty"].sum().cumsum()
        exposed |= np.abs(held.reindex(index, method="ffill").fillna(0.0).to_numpy()) > 1e-9
    return pd.Series(exposed, index=index, name="exposed")


def _daily_returns(equity: Any) -> Any:
    """Daily returns of the equity curve (quantstats reads every row as a day)."""
    daily = equity.resample("1D").last().dropna()
    return daily.pct_change().dropna().rename("strategy")


def _write_journal_report(journal: Any, out: Path, tearsheet: bool) -> tuple[dict[str, Any], str | None]:
    from tradeforge.engine.report import compute_metrics, write_report, write_tearsheet
    from tradeforge.engine.runner import BacktestResult

    frame = journal.equity_frame()
    if frame.empty:
        raise ConfigError(f"--journal {journal.url}: no equity recorded yet; report needs a paper/live run "
                          "that traded at least one bar")
    equity = frame["equity"].rename("equity")
    fills, trades = journal.fills_frame(), journal.trades_frame()
    exposure = _exposure(fills, equity.index)
    metrics = compute_metrics(equity, trades, float(exposure.mean()), len(equity))
    strategies = sorted(set(journal.orders_frame()["strategy"])) or ["journal"]
    result = BacktestResult(metrics=metrics, trades=trades, equity=equity,
                            orders=_orders_csv(journal.orders_frame()), prices={}, exposure=exposure,
                            strategy="+".join(strategies), cash=float(equity.iloc[0]))
    write_report(result, out, tearsheet=False)
    note = None
    if tearsheet:
        returns = _daily_returns(equity)
        if len(returns) < 2:
            note = ("tearsheet skipped: it needs equity on at least 3 days (this journal has "
                    f"{len(returns) + 1})")
        else:
            write_tearsheet(returns, None, out / "tearsheet.html",
                            title=f"{result.strategy} ({journal.mode})", periods=252)
    return metrics, note


@click.command()
@_journal_options
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Report directory [default: runs/report-<journal name>].")
@click.option("--json", "as_json", is_flag=True, help="Print the metrics JSON (only) on stdout.")
@click.option("--tearsheet/--no-tearsheet", default=True, show_default=True,
              help="Write the quantstats HTML tearsheet (daily returns, no benchmark).")
def report(db: str | None, account: str | None, mode: str | None, root: str, out: str | None, as_json: bool,
           tearsheet: bool) -> None:
    """A paper or live journal's report: the backtest's metrics, trades and tearsheet, from live fills.

    Writes metrics.json, equity.csv, trades.csv, orders.csv, equity.png and tearsheet.html, as a backtest."""
    with _open(db, account, mode, root) as journal:
        name = journal.account + "-" + journal.mode
        out_dir = Path(out) if out else Path("runs") / f"report-{name}"
        metrics, note = _write_journal_report(journal, out_dir, tearsheet)
    if as_json:
        click.echo(json.dumps(metrics, indent=2))
    else:
        for key, value in metrics.items():
            click.echo(f"{key:>14}  {value:,.4f}" if isinstance(value, float) else f"{key:>14}  {value}")
    if note:
        click.echo(note, err=True)
    click.echo(f"report written to {out_dir}", err=True)


@click.command()
@_journal_options
@click.option("--yes", is_flag=True, help="Do not ask for the typed confirmation (for scripts).")
def unlock(db: str | None, account: str | None, mode: str | None, root: str, yes: bool) -> None:
    """Reset the latched kill switch and daily loss limit (after typing the account number)."""
    with _open(db, account, mode, root) as journal:
        state = journal.risk_state()
        if not state.latched:
            click.echo(f"nothing to unlock: the kill switch and the daily limit of {journal.account} "
                       f"({journal.mode}) are not latched")
            return
        if state.tripped:
            click.echo(f"kill switch TRIPPED at {_time(state.tripped_at)}: {state.tripped_reason}")
        if state.daily_blocked:
            click.echo(f"daily loss limit BLOCKED for {state.day}")
        if not yes:
            typed = click.prompt(f"Type the account number {journal.account} to unlock", default="",
                                 show_default=False)
            if typed.strip() != journal.account:
                raise ConfigError(f"confirmation: typed {typed.strip()!r}, expected the account number "
                                  f"{journal.account!r}; nothing was unlocked (or pass --yes)")
        new = journal.unlock()
    click.echo(f"unlocked {journal.account} ({journal.mode}); the high-water mark restarts at "
               f"{_money(new.high_water_mark)}")
