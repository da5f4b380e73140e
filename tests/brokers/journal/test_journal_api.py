"""The Journal API, on SQLite and on PostgreSQL: idempotent intents and fills, state transitions with
their event rows, positions, equity, signals, the latching risk state and the mode/account guard."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest

from tradeforge.brokers.journal import OrderIntent, OrderState, RiskState
from tradeforge.errors import BrokerError, ConfigError

T0 = datetime(2024, 1, 2, 14, 30, tzinfo=UTC)


def intent(cid="tf-sma-SPY-1", **kw) -> OrderIntent:
    base = dict(client_order_id=cid, strategy="sma_cross", symbol="SPY", side="buy", qty=10,
                order_type="limit", limit_price=470.5, take_profit=480.0, stop_loss=465.0, bar_time=T0,
                intent="entry")
    return OrderIntent(**{**base, **kw})


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_record_intent_twice_is_one_order(open_journal):
    j = open_journal()
    assert j.record_intent(intent()) is True
    assert j.record_intent(intent(created_at=at(5))) is False  # created_at is not part of the identity
    rows = j.orders()
    assert [r.client_order_id for r in rows] == ["tf-sma-SPY-1"]
    row = rows[0]
    assert row.state == OrderState.NEW and row.is_open and row.filled_qty == 0.0
    assert row.intent == intent(created_at=row.intent.created_at)
    assert [e["state"] for e in j.order_events("tf-sma-SPY-1")] == [OrderState.NEW]


def test_same_client_id_with_another_intent_is_refused(open_journal):
    j = open_journal()
    j.record_intent(intent())
    with pytest.raises(BrokerError, match=r"already journaled with qty=10.0, now 11.0"):
        j.record_intent(intent(qty=11))
    assert j.order("tf-sma-SPY-1").intent.qty == 10.0


def test_lifecycle_writes_one_event_per_change(open_journal):
    j = open_journal()
    j.record_intent(intent())
    assert j.mark_submitted("tf-sma-SPY-1", "b1d2c3a4-0000-4000-8000-000000000001", "accepted", at(1))
    assert not j.mark_submitted("tf-sma-SPY-1", "b1d2c3a4-0000-4000-8000-000000000001", "accepted", at(1))
    assert j.update_order("tf-sma-SPY-1", status="new", at=at(2))  # same state, new broker status
    assert j.record_fill("tf-sma-SPY-1", "exec-1", 4, 470.0, at(3))
    assert j.update_order("tf-sma-SPY-1", status="partially_filled", at=at(3), filled_qty=4,
                          filled_avg_price=470)
    assert j.record_fill("tf-sma-SPY-1", "exec-2", 6, 470.5, at(4))
    assert j.update_order("tf-sma-SPY-1", status="filled", at=at(4), filled_qty=10, filled_avg_price=470.3)
    row = j.order("tf-sma-SPY-1")
    assert row.state == OrderState.FILLED and not row.is_open
    assert row.broker_order_id == "b1d2c3a4-0000-4000-8000-000000000001" and row.broker_status == "filled"
    assert row.filled_qty == 10.0 and row.filled_avg_price == pytest.approx(470.3)
    assert row.updated_at == at(4)
    events = j.order_events("tf-sma-SPY-1")
    assert [(e["state"], e["broker_status"]) for e in events] == [
        (OrderState.NEW, None), (OrderState.SUBMITTED, "accepted"), (OrderState.SUBMITTED, "new"),
        (OrderState.PARTIALLY_FILLED, "partially_filled"), (OrderState.FILLED, "filled")]
    assert [e["at"] for e in events[1:]] == [at(1), at(2), at(3), at(4)]
    assert j.open_orders() == []


def test_stale_updates_are_ignored_and_contradictions_refused(open_journal):
    j = open_journal()
    j.record_intent(intent())
    j.mark_submitted("tf-sma-SPY-1", "id-1", "new", at(1))
    j.update_order("tf-sma-SPY-1", status="partially_filled", at=at(2), filled_qty=3, filled_avg_price=470)
    assert not j.update_order("tf-sma-SPY-1", status="accepted", at=at(3))  # older event arriving late
    assert j.order("tf-sma-SPY-1").state == OrderState.PARTIALLY_FILLED
    j.update_order("tf-sma-SPY-1", status=OrderState.CANCELED, at=at(4))
    assert not j.update_order("tf-sma-SPY-1", status="new", at=at(5))
    assert not j.update_order("tf-sma-SPY-1", status="canceled", at=at(5))
    with pytest.raises(BrokerError, match="journaled CANCELED, now reported FILLED"):
        j.update_order("tf-sma-SPY-1", status="filled", at=at(6))
    with pytest.raises(BrokerError, match="two broker orders"):
        j.update_order("tf-sma-SPY-1", status="canceled", at=at(6), broker_order_id="id-2")
    with pytest.raises(BrokerError, match="unknown to the journal"):
        j.update_order("nope", status="new", at=at(6))
    with pytest.raises(BrokerError, match="not an Alpaca order status"):
        j.update_order("tf-sma-SPY-1", status="half_done", at=at(6))
    assert len(j.order_events("tf-sma-SPY-1")) == 4


def test_unknown_outcome_then_resolved_by_lookup(open_journal):
    j = open_journal()
    j.record_intent(intent())
    assert j.mark_unknown("tf-sma-SPY-1", "POST /v2/orders timed out after 10 s", at(1))
    row = j.order("tf-sma-SPY-1")
    assert row.state == OrderState.UNKNOWN and row.is_open and "timed out" in row.reason
    assert [r.client_order_id for r in j.orders([OrderState.UNKNOWN])] == ["tf-sma-SPY-1"]
    assert j.update_order("tf-sma-SPY-1", status="accepted", at=at(2), broker_order_id="id-9")
    assert j.order("tf-sma-SPY-1").state == OrderState.SUBMITTED
    j.update_order("tf-sma-SPY-1", status="filled", at=at(3), filled_qty=10, filled_avg_price=470.5)
    assert not j.mark_unknown("tf-sma-SPY-1", "late timeout", at(4))  # final: nothing ambiguous left
    assert [e["state"] for e in j.order_events("tf-sma-SPY-1")] == [
        OrderState.NEW, OrderState.UNKNOWN, OrderState.SUBMITTED, OrderState.FILLED]


def test_record_fill_is_idempotent_on_execution_id(open_journal):
    j = open_journal()
    j.record_intent(intent())
    assert j.record_fill("tf-sma-SPY-1", "exec-1", 4, 470.0, at(1)) is True
    assert j.record_fill("tf-sma-SPY-1", "exec-1", 4, 470.0, at(1)) is False
    assert j.record_fill("tf-sma-SPY-1", "exec-2", 2, 471.0, at(2)) is True
    fills = j.fills_frame()
    assert fills["execution_id"].tolist() == ["exec-1", "exec-2"]
    assert fills["signed_qty"].tolist() == [4.0, 2.0] and fills["symbol"].tolist() == ["SPY", "SPY"]
    row = j.order("tf-sma-SPY-1")
    assert row.filled_qty == 6.0 and row.filled_avg_price == pytest.approx((4 * 470 + 2 * 471) / 6)
    with pytest.raises(BrokerError, match="unknown to the journal"):
        j.record_fill("never-recorded", "exec-3", 1, 1.0, at(3))
    with pytest.raises(BrokerError, match="must be positive"):
        j.record_fill("tf-sma-SPY-1", "exec-4", 0, 470.0, at(3))


def test_refusal_is_journaled_with_its_reason(open_journal):
    j = open_journal()
    refused = intent("tf-sma-QQQ-1", symbol="QQQ")
    assert j.record_refusal(refused, "max open positions 3 reached")
    assert not j.record_refusal(refused, "max open positions 3 reached")
    row = j.order("tf-sma-QQQ-1")
    assert row.state == OrderState.REFUSED and not row.is_open
    assert row.reason == "max open positions 3 reached"
    with pytest.raises(BrokerError, match="REFUSED by the pre-trade gate"):
        j.update_order("tf-sma-QQQ-1", status="filled", at=at(1))
    j.record_intent(intent("tf-sma-IWM-1", symbol="IWM"))  # intent first, gate afterwards: NEW -> REFUSED
    assert j.record_refusal(intent("tf-sma-IWM-1", symbol="IWM"), "position size 12% > 10%")
    assert [r.client_order_id for r in j.orders(["REFUSED"])] == ["tf-sma-QQQ-1", "tf-sma-IWM-1"]
    assert j.open_orders() == []
    with pytest.raises(ConfigError, match="needs a reason"):
        j.record_refusal(intent("tf-x"), "")


def test_positions_equity_and_signals(open_journal):
    j = open_journal()
    assert j.positions() == {}
    j.snapshot_positions({"SPY": (10, 470.3), "QQQ": (-5.0, 400.0)}, at(1))
    j.snapshot_positions({"SPY": (10, 470.3), "IWM": 0}, at(2))
    assert j.positions() == {"SPY": (10.0, 470.3)}
    j.snapshot_positions({}, at(3))
    assert j.positions() == {}
    for i, value in enumerate([100_000.0, 100_500.0, 99_800.0]):
        j.record_equity(at(i), value, cash=value - 1000)
    eq = j.equity_frame()
    assert eq["equity"].tolist() == [100_000.0, 100_500.0, 99_800.0]
    assert eq.index.tz is not None and eq.index[0] == pd.Timestamp(T0)
    j.record_signal(at(1), "SPY", "buy", np.float64(0.71), {"proba": np.float32(0.5), "window": np.arange(3),
                                                            "bar": date(2024, 1, 2)})
    j.record_signal(at(2), "SPY", "hold", None, None)
    sig = j.signals_frame()
    assert sig["decision"].tolist() == ["buy", "hold"] and sig["confidence"].iloc[0] == pytest.approx(0.71)
    assert sig["payload"].iloc[0] == {"proba": 0.5, "window": [0, 1, 2], "bar": "2024-01-02"}
    assert sig["payload"].iloc[1] == {}
    with pytest.raises(ConfigError, match="payload: cannot be stored as JSON"):
        j.record_signal(at(3), "SPY", "buy", 0.6, {"p": float("nan")})


def test_model_decisions_have_their_own_table(open_journal):
    j = open_journal()
    j.record_model_decision(at(1), promoted=False, challenger="v2", champion="v1",
                            challenger_scores={"auc": np.float64(0.52), "brier": 0.25, "n": 80.0},
                            champion_scores={"auc": 0.55, "brier": float("nan")}, reason="AUC 0.52 < 0.55",
                            holdout_start=pd.Timestamp("2024-01-02 09:30", tz="America/New_York"))
    j.record_model_decision(at(0), promoted=True, challenger="v1", champion=None,
                            challenger_scores={"auc": 0.55}, reason="no champion yet")
    frame = j.model_decisions_frame()
    assert list(frame.columns) == ["at", "promoted", "challenger", "champion", "challenger_scores",
                                   "champion_scores", "holdout_start", "reason"]
    assert frame["challenger"].tolist() == ["v1", "v2"] and frame["promoted"].tolist() == [True, False]
    assert frame["at"].tolist() == [at(0), at(1)]
    first, second = frame.iloc[0], frame.iloc[1]
    assert first["champion"] is None and first["champion_scores"] is None and pd.isna(first["holdout_start"])
    assert second["challenger_scores"] == {"auc": 0.52, "brier": 0.25, "n": 80.0}
    assert second["champion_scores"] == {"auc": 0.55, "brier": None}          # NaN stored as null
    assert second["holdout_start"] == T0 and second["reason"] == "AUC 0.52 < 0.55"
    assert j.signals_frame().empty                                              # no more "(model)" signals
    with pytest.raises(ConfigError, match="challenger"):
        j.record_model_decision(at(2), promoted=True, challenger="", champion=None, challenger_scores={})


def test_times_come_back_in_utc(open_journal):
    j = open_journal()
    eastern = timezone(timedelta(hours=-5))
    j.record_intent(intent(bar_time=datetime(2024, 1, 2, 9, 30, tzinfo=eastern)))
    assert j.order("tf-sma-SPY-1").intent.bar_time == T0
    j.set_last_event_at(pd.Timestamp("2024-01-02 09:31", tz="America/New_York"))
    j.set_last_event_at(at(-10))  # older: ignored
    assert j.last_event_at() == at(1)
    j.record_intent(intent("naive", bar_time=datetime(2024, 1, 2, 14, 30)))  # naive means UTC
    assert j.order("naive").intent.bar_time == T0


def test_risk_state_latches_across_reopen_until_unlock(open_journal):
    j = open_journal()
    assert j.risk_state() == RiskState() and not j.risk_state().latched
    j.record_equity(at(0), 100_000.0)
    tripped = RiskState(high_water_mark=110_000.0, last_equity=98_700.0, tripped=True, tripped_at=at(5),
                        tripped_reason="drawdown 10.2% > 10% from 110000", day=date(2024, 1, 2),
                        day_start_equity=104_000.0, daily_blocked=True)
    j.save_risk_state(tripped, at(5))
    j.save_risk_state(tripped, at(6))  # still latched: no second audit entry
    j.close()
    j = open_journal()
    assert j.risk_state() == tripped and j.risk_state().latched
    state = j.unlock(at(10))
    # the peak and the day's start re-arm from the last equity (RiskRules.reset(daily=True))
    assert state == RiskState(high_water_mark=98_700.0, last_equity=98_700.0, tripped=False,
                              day=date(2024, 1, 2), day_start_equity=98_700.0, daily_blocked=False)
    assert j.risk_state() == state
    assert [e["kind"] for e in j.risk_events()] == ["kill_switch", "daily_limit", "unlock"]
    assert "drawdown 10.2%" in j.risk_events()[0]["detail"]


def test_a_paper_journal_is_never_reused_for_live(open_journal):
    j = open_journal()
    j.record_intent(intent())
    j.close()
    with pytest.raises(ConfigError, match=r"created for account 'PA1TEST0001' in mode 'paper', opened for "
                                          r"mode 'live'; a paper journal is never reused for live"):
        open_journal(mode="live")
    with pytest.raises(ConfigError, match="opened for account 'PA9OTHER'"):
        open_journal(account="PA9OTHER")
    again = open_journal(account=None, mode=None, create=False)  # read-only commands accept its owner
    assert (again.account, again.mode) == ("PA1TEST0001", "paper")
    assert [r.client_order_id for r in again.orders()] == ["tf-sma-SPY-1"]


@pytest.mark.parametrize("kw,message", [
    (dict(qty=0), "qty: expected a finite positive number"),
    (dict(side="long"), "side: expected one of"),
    (dict(order_type="iceberg"), "order_type: expected one of"),
    (dict(order_type="limit", limit_price=None), "limit_price: a limit order needs one"),
    (dict(client_order_id="x" * 49), "client_order_id: expected 1..48 characters"),
    (dict(bar_time="yesterday"), "bar_time: 'yesterday' is not an ISO timestamp"),
])
def test_intent_is_checked(kw, message):
    with pytest.raises(ConfigError, match=message):
        intent(**kw)


def test_trades_frame_rebuilds_round_trips_like_backtrader(open_journal):
    j = open_journal()
    legs = [("b1", "buy", 10, 100.0), ("s1", "sell", 4, 110.0), ("s2", "sell", 10, 90.0),
            ("b2", "buy", 6, 80.0)]
    for i, (cid, side, qty, price) in enumerate(legs):  # long 10, partial close, reversal to short 4, cover
        j.record_intent(intent(cid, side=side, qty=qty, order_type="market", limit_price=None))
        j.record_fill(cid, f"x-{cid}", qty, price, at(10 * i + 1))
        j.record_equity(at(10 * i + 5), 100_000.0)
    trades = j.trades_frame()
    assert trades[["symbol", "size", "entry_price", "pnl", "bars_held"]].values.tolist() == [
        ["SPY", 6.0, 100.0, 4 * 10.0 + 6 * -10.0, 2], ["SPY", -4.0, 90.0, 4 * 10.0, 1]]
    assert trades["exit_price"].tolist() == pytest.approx([100.0 - 20.0 / 6, 80.0])
    assert trades["exit_date"].tolist() == [pd.Timestamp(at(21)), pd.Timestamp(at(31))]


def test_repr_and_url_mask_the_password(open_journal, db_url):
    j = open_journal()
    assert repr(j).startswith("Journal(url=") and "account='PA1TEST0001', mode='paper'" in repr(j)
    if db_url.startswith("postgresql"):
        from sqlalchemy.engine import make_url

        password = make_url(db_url).password
        assert f":{password}@" not in repr(j) and ":***@" in repr(j) and ":***@" in j.url
