"""Units of the API: signal validation, the per-bar clock, bracket prices, token checks, doctests."""

from __future__ import annotations

import doctest
from datetime import UTC, datetime

import pytest

from tradeforge.engine.api import auth, orders, signals_cache
from tradeforge.engine.api.orders import Refusal, bracket_prices
from tradeforge.engine.api.signals_cache import SignalCache, validate_signals
from tradeforge.errors import ConfigError, DataError

SIG = {"symbol": "A", "price": 100.0, "decision": "BUY", "confidence": 0.8, "expected_return": 0.02,
       "risk_score": 4, "time_horizon": "1h", "momentum_score": 70.0,
       "predictions": {"1h": {"price": 102.0, "return": 0.02}},
       "risk_metrics": {"forecast_volatility": 0.01, "var_95": 0.015, "cvar_95": 0.02,
                        "correlation_spy": 0.5, "correlation_qqq": 0.4, "beta": 1.1}}


def test_doctests():
    for module in (orders, signals_cache, auth):
        assert doctest.testmod(module).failed == 0


def test_validate_signals_names_what_is_wrong():
    assert validate_signals([SIG]) == [SIG]
    with pytest.raises(DataError, match="missing keys"):
        validate_signals([{k: v for k, v in SIG.items() if k != "beta" and k != "risk_score"}])
    with pytest.raises(DataError, match=r"risk_metrics\.beta"):
        validate_signals([{**SIG, "risk_metrics": {**SIG["risk_metrics"], "beta": float("nan")}}])
    with pytest.raises(DataError, match="decision"):
        validate_signals([{**SIG, "decision": "STRONG BUY"}])
    with pytest.raises(DataError, match="list of signals"):
        validate_signals("not a list")


def test_cache_floors_to_the_bar_and_rejects_bad_bars():
    clock = [datetime(2024, 1, 2, 14, 59, 59, tzinfo=UTC)]
    cache = SignalCache(lambda t: [SIG], bar="5m", clock=lambda: clock[0])
    assert cache.get()[0] == datetime(2024, 1, 2, 14, 55, tzinfo=UTC)
    clock[0] = datetime(2024, 1, 2, 15, 0, tzinfo=UTC)
    assert cache.get()[0] == datetime(2024, 1, 2, 15, 0, tzinfo=UTC) and cache.computations == 2
    assert cache.find("A")[1] == SIG and cache.find("B")[1] is None
    with pytest.raises(ConfigError, match="bar"):
        SignalCache(lambda t: [], bar="5x")


def test_bracket_prices_refuse_a_target_or_stop_too_close():
    assert bracket_prices(SIG) == (102.0, 98.0)
    with pytest.raises(Refusal, match="target"):
        bracket_prices({**SIG, "expected_return": 0.00001})
    with pytest.raises(Refusal, match="stop"):
        bracket_prices({**SIG, "risk_metrics": {**SIG["risk_metrics"], "var_95": 0.0, "cvar_95": 0.0}})


def test_tokens_and_sessions():
    token = "t" * 16
    assert auth.authorized(None, header=None, cookie=None) == "open"
    assert auth.authorized(token, header=f"Bearer {token}", cookie=None) == "bearer"
    assert auth.authorized(token, header=f"Basic {token}", cookie=None) is None
    assert auth.authorized(token, header=None, cookie=auth.session_value(token)) == "cookie"
    assert auth.authorized(token, header=None, cookie=token) is None  # the cookie never is the token
    assert token not in auth.session_value(token)
    with pytest.raises(ConfigError, match="16 characters") as err:
        auth.check_token("short")
    assert "short" not in str(err.value)
