"""``tradeforge run``: the unattended trading day (scheduler + alerts) around the paper/live runner.

Registered on the ``tradeforge`` group by one import line at the bottom of :mod:`tradeforge.engine.cli`.
It takes every option of ``tradeforge paper`` / ``tradeforge live`` (the same session, the same safety
rules: ``--live`` needs ``TRADEFORGE_LIVE=1``, the live keys and the account number typed once at start),
plus the schedule, the notifier and the nightly retrain. Only click is imported at module level.
:func:`build_run` assembles the pieces without starting anything, so a test can drive the same objects
with a simulated clock.
"""

from __future__ import annotations

import os
import signal
import sys
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from ._cli_common import parse_params
from ._cli_live import _options

__all__ = ["run", "build_run", "RunParts"]

_HELP = """Run unattended: pre-market review 04:00 ET, trading every minute of the XNYS session,
daily summary 16:30 ET (SMS with --notify twilio), retrain 20:00 ET (with --train-data).

Paper by default; --live under the same rules as `tradeforge live` (TRADEFORGE_LIVE=1, live keys,
the account number typed once at start).

\b
SMS: TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM, TWILIO_TO in the environment.
Holidays, early closes (13:00 ET) and DST come from exchange-calendars (XNYS). Logs: JSON lines in
--log-dir; state (what ran, for restarts) in --state-dir. SIGTERM / Ctrl-C stop cleanly."""


class RunParts:
    """What :func:`build_run` assembles: the dispatcher, the trading day and the notifier (not started)."""

    def __init__(self, dispatcher: Any, day: Any, notifier: Any, run_id: str, log_path: Path | None,
                 log_handler: Any = None) -> None:
        self.dispatcher, self.day, self.notifier = dispatcher, day, notifier
        self.run_id, self.log_path, self._log_handler = run_id, log_path, log_handler

    def close(self) -> None:
        """Stop the session, deliver pending alerts, close the JSON-lines log."""
        import logging

        try:
            self.day.close()
            self.notifier.close()
        finally:
            if self._log_handler is not None:
                logging.getLogger("tradeforge").removeHandler(self._log_handler)
                self._log_handler.close()


def _notifier(kind: str, twilio_url: str | None, daily_cap: int, clock: Callable[[], datetime] | None,
              env: Mapping[str, str]) -> Any:
    from tradeforge.engine.notify import LogNotifier, TwilioConfig, TwilioNotifier
    from tradeforge.errors import ConfigError

    if kind == "console":
        return LogNotifier()
    if kind == "twilio":
        return TwilioNotifier(TwilioConfig.from_env(env, api_url=twilio_url), daily_cap=daily_cap,
                              clock=clock)
    raise ConfigError(f"--notify: got {kind!r}; expected 'console' or 'twilio'.")


def build_run(live_config: Any, *, notify: str = "console", twilio_url: str | None = None,
              daily_cap: int = 30, train_data: str | None = None, holdout_bars: int = 390,
              train_params: Mapping[str, Any] | None = None, schedule: Mapping[str, Any] | None = None,
              state_dir: str | Path = "runs/schedule", log_dir: str | Path | None = "runs/schedule",
              clock: Callable[[], datetime] | None = None,
              session_clock: Callable[[], datetime] | None = None, env: Mapping[str, str] | None = None,
              store_options: Mapping[str, Any] | None = None,
              confirm: Callable[[str], str] | None = None) -> RunParts:
    """Assemble the scheduler's dispatcher around a :class:`LiveTradingDay` of *live_config*.

    *clock* drives the schedule (jobs, throttle); *session_clock* is given to the trading session
    (``run_live``). Both default to the system clock; a test simulates the day with *clock* while the
    session trades bars pushed in real time.
    """
    from tradeforge.engine.schedule import Dispatcher, MarketCalendar, Retrainer, ScheduleConfig
    from tradeforge.engine.schedule.live_day import LiveTradingDay
    from tradeforge.engine.schedule.logs import configure_json_logs
    from tradeforge.engine.schedule.retrain import champion_version

    env = dict(os.environ if env is None else env)
    now = (clock or (lambda: datetime.now(UTC)))()
    sched = ScheduleConfig.from_mapping(dict(schedule or {}))
    calendar = MarketCalendar(sched.calendar, start=(now - timedelta(days=14)).date(),
                              end=(now + timedelta(days=400)).date())
    notifier = _notifier(notify, twilio_url, daily_cap, clock, env)      # refuses missing credentials first
    run_id = f"run-{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
    log_path = handler = None
    if log_dir is not None:
        log_path = Path(log_dir) / f"{run_id}.jsonl"
        handler = configure_json_logs(log_path, run_id)
    retrainer = None
    if train_data is not None:
        from tradeforge.feeds import load

        retrainer = Retrainer(lambda: load(train_data), live_config.registry, holdout_bars=holdout_bars,
                              params=train_params, clock=clock)
        champion = champion_version(live_config.registry)
        if champion is not None and live_config.model is None:
            live_config = live_config.replace(model=champion)
    day = LiveTradingDay(live_config, notifier, retrainer=retrainer, env=env, store_options=store_options,
                         confirm=confirm, clock=session_clock)
    state = Path(state_dir) / f"{live_config.mode}-{'-'.join(live_config.symbols)}-state.json"
    dispatcher = Dispatcher(day, calendar, clock or (lambda: datetime.now(UTC)), config=sched,
                            notifier=notifier, state_path=state)
    return RunParts(dispatcher, day, notifier, run_id, log_path, handler)


def _live_confirm(mode: str) -> Callable[[str], str] | None:
    """For --live: the account number typed ONCE at start, given back to each day's session check."""
    if mode != "live":
        return None
    typed = click.prompt("Live trading with real money: type the Alpaca account number to trade on",
                         default="", show_default=False, err=True)
    return lambda prompt: typed


@click.command("run", help=_HELP)
@_options
@click.option("--paper/--live", "paper_mode", default=True, show_default=True,
              help="Paper account (default) or real money (TRADEFORGE_LIVE=1, live keys, account typed).")
@click.option("--notify", type=click.Choice(["console", "twilio"]), default="console", show_default=True,
              help="Where alerts and the daily summary go.")
@click.option("--twilio-url", envvar="TRADEFORGE_TWILIO_URL", show_envvar=True, default=None,
              help="Twilio API base URL (a proxy) [default: Twilio's host].")
@click.option("--daily-cap", type=int, default=30, show_default=True, help="SMS per day at most.")
@click.option("--train-data", default=None, metavar="SPEC",
              help="Data to retrain on at 20:00 ET (a tradeforge data spec); none: no retrain.")
@click.option("--holdout-bars", type=int, default=390, show_default=True,
              help="Newest bars both models are scored on (champion / challenger).")
@click.option("--train-param", "train_params", multiple=True, metavar="KEY=VALUE",
              help="ML pipeline parameter for the retrain (repeatable).")
@click.option("--retrain-at", default="20:00", show_default=True, help="Retrain time, ET.")
@click.option("--premarket-at", default="04:00", show_default=True, help="Pre-market review time, ET.")
@click.option("--summary-at", default="16:30", show_default=True, help="Daily summary time, ET.")
@click.option("--state-dir", default="runs/schedule", show_default=True, help="What ran (for restarts).")
@click.option("--log-dir", default="runs/schedule", show_default=True, help="JSON-lines logs.")
@click.option("--status-every", type=int, default=60, show_default=True, help="Status line period, s.")
def run(paper_mode: bool, notify: str, twilio_url: str | None, daily_cap: int, train_data: str | None,
        holdout_bars: int, train_params: tuple[str, ...], retrain_at: str, premarket_at: str, summary_at: str,
        state_dir: str, log_dir: str, status_every: int, **options: Any) -> None:
    from tradeforge.engine.live import LiveConfig
    from tradeforge.engine.live.safety import check_live_env
    from tradeforge.engine.schedule import build_scheduler

    mode = "paper" if paper_mode else "live"
    if mode == "live":
        check_live_env(os.environ)                      # refuse naming every missing piece, before anything
    as_json = options.pop("as_json")
    symbols = tuple(s for s in options.pop("symbols").split(",") if s.strip())
    config = LiveConfig.from_mapping({**options, "mode": mode, "symbols": symbols,
                                      "params": parse_params(options.pop("params")), "json_status": as_json})
    parts = build_run(config, notify=notify, twilio_url=twilio_url, daily_cap=daily_cap,
                      train_data=train_data, holdout_bars=holdout_bars,
                      train_params=parse_params(train_params),
                      schedule={"retrain_at": retrain_at, "premarket_at": premarket_at,
                                "summary_at": summary_at},
                      state_dir=state_dir, log_dir=log_dir, confirm=_live_confirm(mode))
    scheduler = build_scheduler(parts.dispatcher, blocking=True, status_every_s=status_every,
                                status=lambda line: click.echo(line, err=True))

    def on_signal(signum: int, frame: Any) -> None:
        scheduler.shutdown(wait=False)

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    click.echo(f"tradeforge run ({mode}, {', '.join(symbols)}): {parts.dispatcher.status_line()}; "
               f"logs {parts.log_path}", err=True)
    try:
        scheduler.start()                               # blocks until a signal
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        parts.notifier.send("runner_stopped", "critical", f"tradeforge run ({mode}) stopped")
        parts.close()
    click.echo("tradeforge run: stopped; open orders are left as they are unless --flatten-on-exit", err=True)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run())
