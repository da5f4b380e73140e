"""The secrets canary: a session with streams, orders, faults and debug logging on writes the key and secret
nowhere (logs of every library, error messages, reprs, the journal database)."""

from __future__ import annotations

import logging

import backtrader as bt

from tradeforge.errors import BrokerError


class Trader(bt.Strategy):
    def next(self) -> None:
        if len(self) in (2, 4):
            self.buy(size=1) if len(self) == 2 else self.close()


def test_no_secret_anywhere(fake, store, run_live, make_bars, journal, caplog, tmp_path):
    key, secret = store.config.secrets()
    caplog.set_level(logging.DEBUG)
    fake.fault_rest("/v2/orders", "POST", kind="500_after_accept")
    strat, broker, data = run_live(Trader, make_bars(5))
    fake.drop_streams()
    texts = [caplog.text, repr(store.config), str(store.config)]
    try:
        store.order_by_id("00000000-0000-0000-0000-000000000000")
    except BrokerError as exc:
        texts.append(str(exc))
    blobs = [p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()]
    names = {r.name.split(".")[0] for r in caplog.records}
    assert {"alpaca", "websockets", "urllib3"} <= names  # debug logging was really on
    for text in texts:
        assert key not in text and secret not in text
    for blob in blobs:
        assert key.encode() not in blob and secret.encode() not in blob
