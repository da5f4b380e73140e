"""AlpacaStore against the fake through the real alpaca-py client: every order type, positions and cash,
and every REST fault around POST /v2/orders ends with exactly ONE order at the fake (or none, known), the
journal written before the POST, and the ambiguous outcomes resolved by a lookup by client id."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest


from tradeforge.brokers.alpaca import DuplicateClientOrderId, OrderOutcomeUnknown
from tradeforge.brokers.journal import OrderIntent, OrderState
from tradeforge.errors import BrokerError, TransientBrokerError

T0 = datetime(2024, 1, 2, 14, 30, tzinfo=UTC)


def _intent(cid: str, **kw) -> OrderIntent:
    base = dict(client_order_id=cid, strategy="t", symbol="AAPL", side="buy", qty=10, bar_time=T0, intent="buy")
    return OrderIntent(**{**base, **kw})


def _orders_with(fake, cid: str) -> list[dict]:
    return [o for o in fake.orders if o["client_order_id"] == cid]


def test_order_types_positions_and_cash(fake, store, journal):
    market = store.submit(_intent("m-1"))
    limit = store.submit(_intent("l-1", order_type="limit", limit_price=99.5, qty=2))
    stop = store.submit(_intent("s-1", order_type="stop", stop_price=150.0, qty=1))
    stop_limit = store.submit(_intent("sl-1", order_type="stop_limit", stop_price=150.0, limit_price=151.0,
                                      qty=1))
    bracket = store.submit(_intent("b-1", order_type="limit", limit_price=101.0, take_profit=120.0,
                                   stop_loss=90.0, qty=3))
    assert [o.order_type for o in (market, limit, stop, stop_limit)] == ["market", "limit", "stop", "stop_limit"]
    assert bracket.order_class == "bracket" and sorted(leg.order_type for leg in bracket.legs) == ["limit", "stop"]
    assert {o.client_order_id for o in store.open_orders()} == {"m-1", "l-1", "s-1", "sl-1", "b-1"}
    fake.push_bar("AAPL", T0 + timedelta(minutes=1), 100.0, 102.0, 99.0, 101.0, 1000)
    assert store.order_by_client_id("m-1").status == "filled"
    assert store.order_by_client_id("l-1").filled_avg_price == 99.5
    assert store.positions()["AAPL"][0] == pytest.approx(15.0)            # 10 market + 2 limit + 3 bracket
    assert store.account().cash == pytest.approx(100_000 - 10 * 100.0 - 2 * 99.5 - 3 * 100.0)
    assert store.cancel(limit.broker_id) is False                         # filled: no longer cancelable
    row = journal.order("b-1")
    assert row.state == OrderState.SUBMITTED and row.broker_order_id == bracket.broker_id


def test_cancel_is_asynchronous_and_reported(fake, store):
    order = store.submit(_intent("c-1", order_type="limit", limit_price=50.0))
    assert store.cancel(order.broker_id) is True
    assert store.order_by_id(order.broker_id).status == "canceled"
    assert store.open_orders() == []


@pytest.mark.parametrize("kind", ["timeout", "500_after_accept", "504"])
def test_ambiguous_post_is_resolved_by_lookup_never_resent(fake, journal, make_store, kind):
    store = make_store(timeout_s=0.5)
    fake.fault_rest("/v2/orders", "POST", kind=kind, delay_s=1.0)
    snap = store.submit(_intent(f"amb-{kind}"))
    assert snap is not None and snap.client_order_id == f"amb-{kind}"
    assert fake.post_count(f"amb-{kind}") == 1                            # alpaca-py's own retry is off
    assert len(_orders_with(fake, f"amb-{kind}")) == 1
    row = journal.order(f"amb-{kind}")
    assert row.state == OrderState.SUBMITTED and row.broker_order_id == snap.broker_id


def test_reset_before_processing_stays_unknown_and_is_not_resent(fake, store, journal):
    fake.fault_rest("/v2/orders", "POST", kind="reset")                   # the fake drops it unprocessed
    assert store.submit(_intent("rst-1")) is None
    assert journal.order("rst-1").state == OrderState.UNKNOWN
    assert fake.post_count("rst-1") == 1 and _orders_with(fake, "rst-1") == []
    assert store.resolve("rst-1") is None and fake.post_count("rst-1") == 1


def test_reset_after_processing_is_found(fake, store, journal):
    fake.fault_rest("/v2/orders", "POST", kind="reset", accept=True)
    snap = store.submit(_intent("rst-2"))
    assert snap is not None and len(_orders_with(fake, "rst-2")) == 1
    assert journal.order("rst-2").state == OrderState.SUBMITTED


def test_429_is_transient_and_retried_once_with_the_same_client_id(fake, store, journal):
    fake.fault_rest("/v2/orders", "POST", kind="429", delay_s=1.0)
    snap = store.submit(_intent("rl-1"))
    assert snap is not None
    assert fake.post_count("rl-1") == 2 and len(_orders_with(fake, "rl-1")) == 1
    assert store.responses_429 == 1


def test_duplicate_client_id_after_restart_adopts_the_existing_order(fake, store, journal, make_store):
    first = store.submit(_intent("dup-1"))
    again = make_store()                                                  # a restarted runner, same journal
    second = again.submit(_intent("dup-1"))
    assert second is not None and second.broker_id == first.broker_id
    assert fake.post_count("dup-1") == 2 and len(_orders_with(fake, "dup-1")) == 1
    assert journal.order("dup-1").broker_order_id == first.broker_id


def test_refusal_is_a_broker_error_and_journaled(fake, make_store, journal):
    store = make_store(secret_key="wrong-secret")
    with pytest.raises(BrokerError) as info:
        store.submit(_intent("bad-1"))
    assert not isinstance(info.value, TransientBrokerError | OrderOutcomeUnknown)
    assert "HTTP 401" in str(info.value) and "wrong-secret" not in str(info.value)
    assert journal.order("bad-1").state == OrderState.REJECTED


def test_reads_retry_transient_failures(fake, store):
    fake.fault_rest("/v2/account", "GET", kind="504", count=2)
    assert store.account().account_number == "PA1TEST0001"
    assert sum(1 for r in fake.requests if r["path"] == "/v2/account") == 3


def test_connection_refused_is_transient(journal, make_store):
    store = make_store(timeout_s=0.5, base_url="http://127.0.0.1:9")
    with pytest.raises(TransientBrokerError):
        store.submit(_intent("down-1"))
    assert journal.order("down-1").state == OrderState.REJECTED


def test_error_types_are_exported():
    assert issubclass(DuplicateClientOrderId, OrderOutcomeUnknown) and issubclass(OrderOutcomeUnknown, BrokerError)
    assert not issubclass(OrderOutcomeUnknown, TransientBrokerError)
