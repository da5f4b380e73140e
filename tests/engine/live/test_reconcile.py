"""Reconciliation journal vs broker, through the real alpaca-py clients against the fake Alpaca."""

from __future__ import annotations

import datetime as dt

import pytest

from tradeforge.brokers.journal import Journal, OrderIntent, OrderState
from tradeforge.engine.live.reconcile import protective_stop, reconcile
from tradeforge.errors import BrokerError

from .conftest import make_store

T0 = dt.datetime(2024, 3, 4, 14, 30, tzinfo=dt.UTC)


def _intent(cid: str, side: str = "buy", qty: float = 10, **kw) -> OrderIntent:
    return OrderIntent(client_order_id=cid, strategy="test", symbol="SPY", side=side, qty=qty,
                       bar_time=T0, intent=kw.pop("intent", "entry"), **kw)


@pytest.fixture
def journal(tmp_path):
    with Journal.open(account="PA1TEST0001", mode="paper", root=tmp_path) as j:
        yield j


def _bar(fake, minute: int, price: float = 100.0) -> None:
    fake.push_bar("SPY", T0 + dt.timedelta(minutes=minute), price, price + 1, price - 1, price, 1000)


def test_fills_missed_while_down_are_journaled_once_and_positions_match(fake, journal):
    store = make_store(fake, journal)
    store.submit(_intent("c-buy"))
    _bar(fake, 1, 101.0)                                    # fills at 101 while no stream listens
    report = reconcile(journal, store)
    assert report.fills_added == 1 and report.updated == ["c-buy"] and report.positions == {"SPY": 10.0}
    row = journal.order("c-buy")
    assert row.state == OrderState.FILLED and row.filled_qty == 10 and row.filled_avg_price == 101.0
    again = reconcile(journal, store)                       # idempotent: nothing new the second time
    assert again.fills_added == 0 and again.updated == [] and len(journal.fills_frame()) == 1


def test_new_intent_never_sent_is_closed_and_unknown_is_resolved_by_client_id(fake, journal):
    store = make_store(fake, journal)
    journal.record_intent(_intent("c-never"))               # crash between the intent and the POST
    fake.fault_rest(kind="500_after_accept")
    store.lookup_waits_s = ()                               # leave it UNKNOWN, as a crash would
    assert store.submit(_intent("c-ambiguous", qty=5)) is None
    assert journal.order("c-ambiguous").state == OrderState.UNKNOWN
    report = reconcile(journal, store)
    assert report.never_sent == ["c-never"] and report.resolved_unknown == ["c-ambiguous"]
    assert journal.order("c-never").state == OrderState.REJECTED
    assert "never reached the broker" in journal.order("c-never").reason
    assert journal.order("c-ambiguous").state == OrderState.SUBMITTED
    assert fake.post_count("c-ambiguous") == 1 and fake.post_count("c-never") == 0


def test_an_order_unknown_to_the_journal_stops_with_what_differs(fake, journal, tmp_path):
    with Journal.open(account="PA1TEST0001", mode="paper", root=tmp_path / "other") as other:
        make_store(fake, other).submit(_intent("c-foreign", qty=3))
    with pytest.raises(BrokerError, match=r"open order .*buy 3 SPY market, client id 'c-foreign'.*not know"):
        reconcile(journal, make_store(fake, journal))


def test_position_mismatch_names_symbol_and_both_quantities(fake, journal, tmp_path):
    with Journal.open(account="PA1TEST0001", mode="paper", root=tmp_path / "other") as other:
        make_store(fake, other).submit(_intent("c-foreign", qty=7))
    _bar(fake, 1)
    with pytest.raises(BrokerError, match="position SPY: broker 7, journal fills 0"):
        reconcile(journal, make_store(fake, journal))


def test_filled_entry_without_its_stop_gets_one(fake, journal):
    store = make_store(fake, journal)
    store.submit(_intent("c-bracket", take_profit=110.0, stop_loss=95.0))
    _bar(fake, 1, 100.0)                                    # the parent fills; legs now working
    working = ("new", "accepted", "held")
    stop_leg = next(o for o in fake.orders if o.get("type") == "stop" and o["status"] in working)
    fake.cancel_order(stop_leg["id"])                       # the stop is gone (cancelled at the broker)
    report = reconcile(journal, store, protect=protective_stop(store, "test"))
    assert len(report.protected) == 1
    stops = [o for o in fake.orders if o.get("type") == "stop" and o["status"] in ("new", "accepted")]
    assert len(stops) == 1 and float(stops[0]["stop_price"]) == 95.0 and float(stops[0]["qty"]) == 10
    assert reconcile(journal, store, protect=protective_stop(store, "test")).protected == []  # not twice
