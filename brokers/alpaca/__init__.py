"""Paper and live trading on Alpaca through alpaca-py: a backtrader Store / Broker / Data.

``AlpacaConfig`` (keys and endpoints), ``AlpacaStore`` (REST + streams + journal + one rate limiter),
``AlpacaBroker`` (``bt.BrokerBase``), ``AlpacaData`` (``bt.feed.DataBase``), ``client_order_id`` and the
error types for ambiguous outcomes. alpaca-py itself is imported only when a store is built.
"""

from ._calls import DuplicateClientOrderId, OrderOutcomeUnknown
from ._models import AccountView, BrokerOrder, BrokerView, TradeEvent
from .broker import AlpacaBroker
from .config import AlpacaConfig
from .data import AlpacaData, make_alpaca_data
from .ids import client_order_id
from .ratelimit import RateLimiter
from .store import AlpacaStore

__all__ = [
    "AlpacaConfig",
    "AlpacaStore",
    "AlpacaBroker",
    "AlpacaData",
    "make_alpaca_data",
    "client_order_id",
    "RateLimiter",
    "BrokerOrder",
    "BrokerView",
    "AccountView",
    "TradeEvent",
    "OrderOutcomeUnknown",
    "DuplicateClientOrderId",
]
