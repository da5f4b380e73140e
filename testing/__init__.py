"""Test doubles of the services tradeforge talks to (imported by tests and benches only).

``tradeforge.testing.fake_alpaca.FakeAlpaca``: Alpaca's trading and market-data REST APIs and both websockets
on 127.0.0.1, for the real alpaca-py clients; ``tradeforge.testing.fake_twilio``: Twilio's messages API.
"""
