"""Stopping a session: open orders are left as they are (and said so), or --flatten-on-exit cancels them and
closes every position with journaled orders that the next session reconciles."""

from __future__ import annotations

import threading

from tradeforge.brokers.journal import Journal
from tradeforge.engine.live import LiveConfig, run_live
from tradeforge.engine.live.reconcile import journal_positions

from .conftest import Replay, fake_env, minute_bars, now_minute_frames

WARM = 4


def _run(fake, tmp_path, frames, upto: int, **kw):
    config = LiveConfig(strategy="sma_cross", symbols=("SPY",), params={"fast": 2, "slow": 4},
                        max_drawdown=1.0, daily_loss_limit=1.0, journal_root=str(tmp_path / "journal"), **kw)
    replay = Replay(fake, config).start()
    for i in range(WARM, upto):
        replay.push(frames, i)
    return replay, replay.finish()


def _frames(fake, n=60, seed=12):
    frames = now_minute_frames({"SPY": minute_bars(n, seed=seed)}, history=WARM)
    fake.set_market_open(True)
    fake.add_history("SPY", frames["SPY"].iloc[:WARM])
    return frames


def _held(fake) -> float:
    return fake.positions.get("SPY", {"qty": 0.0})["qty"]


def _upto_an_open_order(frames, held: bool = False) -> int:
    """The bar count after which sma_cross 2/4 has just sent an order (still working); with *held*, a sell
    order while the position bought at an earlier cross is held."""
    from tradeforge.strategies.sma_cross import crossover

    cross = crossover(frames["SPY"]["close"].to_numpy(), 2, 4)
    up = next(i for i in range(WARM + 2, len(cross)) if cross[i] > 0)
    if not held:
        return up + 1
    return next(i for i in range(up + 2, len(cross)) if cross[i] < 0) + 1


def test_stop_leaves_open_orders_as_they_are_and_says_so(fake, tmp_path):
    frames = _frames(fake)
    replay, result = _run(fake, tmp_path, frames, _upto_an_open_order(frames))
    working = [o["client_order_id"] for o in fake.orders if o["status"] in ("new", "accepted")]
    assert working and result.open_orders == working and not result.flattened
    stop = [e for e in replay.events if e["event"] == "stop"][-1]["message"]
    assert f"{len(working)} open order(s) left at the broker as they are" in stop
    assert "left at the broker as they are" in result.summary() and "--flatten-on-exit" in result.summary()


def test_flatten_on_exit_cancels_and_closes_and_the_next_session_reconciles(fake, tmp_path):
    frames = _frames(fake)
    upto = _upto_an_open_order(frames, held=True)           # a position held and a sell order working
    replay, result = _run(fake, tmp_path, frames, upto, flatten_on_exit=True)
    assert result.flattened and result.open_orders == [] and _held(fake) > 0
    sell = [o for o in fake.orders if o["side"] == "sell" and "-sell-" in o["client_order_id"]][-1]
    assert sell["status"] == "canceled"
    [flatten] = [o for o in fake.orders if "-flat-" in o["client_order_id"]]
    assert flatten["side"] == "sell" and float(flatten["qty"]) == _held(fake)
    assert "flatten-on-exit cancelled 1 order(s)" in replay.events[-1]["message"]
    row = frames["SPY"].iloc[upto]
    fake.push_bar("SPY", frames["SPY"].index[upto], row.open, row.high, row.low, row.close, row.volume)
    assert _held(fake) == 0                                             # the flatten order filled
    stop = threading.Event()
    stop.set()
    later = run_live(LiveConfig(symbols=("SPY",), journal_root=str(tmp_path / "journal")), stop=stop,
                     env=fake_env(fake))                                # reconciles the flatten fill
    assert later.reconciliations[0].fills_added == 1 and later.reconciliations[0].positions == {}
    root = tmp_path / "journal"
    with Journal.open(account="PA1TEST0001", mode="paper", root=root, create=False) as journal:
        assert journal_positions(journal) == {}
        flatten = [r for r in journal.orders() if r.intent.intent == "flatten"]
        assert all(r.state == "FILLED" for r in flatten)


def test_an_earlier_sessions_bracket_legs_never_outlive_the_position(fake, tmp_path):
    """A bracket from a killed session is filled and its legs work at the broker; the new session's strategy
    closes the position: the legs are cancelled before its sell goes out, so no short ever appears."""
    import datetime as dt

    from tradeforge.brokers.journal import OrderIntent

    from .conftest import make_store

    frames = _frames(fake, n=80, seed=12)
    df = frames["SPY"]
    with Journal.open(account="PA1TEST0001", mode="paper", root=tmp_path / "journal") as journal:
        store = make_store(fake, journal)
        price = float(df["close"].iloc[WARM - 1])
        store.submit(OrderIntent(client_order_id="earlier-bracket", strategy="sma_cross", symbol="SPY",
                                 side="buy", qty=100, take_profit=price * 1.5, stop_loss=price * 0.5,
                                 bar_time=dt.datetime(2024, 1, 2, tzinfo=dt.UTC), intent="bracket"))
        row = df.iloc[WARM]
        fake.push_bar("SPY", df.index[WARM], row.open, row.high, row.low, row.close, row.volume)
        # the earlier session's broker never journaled the fill: the restart reconciles it
    legs = [o for o in fake.orders if o["client_order_id"] != "earlier-bracket"]
    assert _held(fake) == 100 and len(legs) == 2
    from tradeforge.strategies.sma_cross import crossover

    cross = crossover(df["close"].to_numpy(), 2, 4)
    down = next(i for i in range(WARM + 1, len(df)) if cross[i] < 0)
    frames = {"SPY": df}
    config = LiveConfig(strategy="sma_cross", symbols=("SPY",), params={"fast": 2, "slow": 4},
                        max_drawdown=1.0, daily_loss_limit=1.0, journal_root=str(tmp_path / "journal"))
    replay = Replay(fake, config).start()
    for i in range(WARM + 1, down + 3):
        replay.push(frames, i)
        assert _held(fake) >= 0                                       # never short
    replay.finish()
    states = {o["client_order_id"]: o["status"] for o in fake.orders}
    assert all(states[leg["client_order_id"]] == "canceled" for leg in legs), (states, replay.events[-4:])
    exits = [o for o in fake.orders if o["side"] == "sell" and o["client_order_id"].startswith("tf-")]
    assert exits and states[exits[0]["client_order_id"]] == "filled"
