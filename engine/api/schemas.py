"""Pydantic models of the API's bodies (documented in OpenAPI at ``/docs``): the issue-12 signal shape and
the order request."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

__all__ = ["Prediction", "RiskMetrics", "Signal", "OrderRequest"]


class Prediction(BaseModel):
    """One timeframe's predicted price and return (a fraction)."""

    price: float
    return_: float = Field(alias="return", serialization_alias="return")

    model_config = {"populate_by_name": True}


class RiskMetrics(BaseModel):
    """Forecast volatility, 95 % VaR/CVaR (fractions) and the relation to SPY and QQQ."""

    forecast_volatility: float
    var_95: float
    cvar_95: float
    correlation_spy: float
    correlation_qqq: float
    beta: float


class Signal(BaseModel):
    """One ranked signal, exactly the shape of ``tradeforge signals --json``."""

    symbol: str
    price: float
    decision: str = Field(pattern="^(BUY|SELL|HOLD)$")
    confidence: float
    expected_return: float
    risk_score: float
    time_horizon: str
    momentum_score: float
    predictions: dict[str, Prediction]
    risk_metrics: RiskMetrics


class OrderRequest(BaseModel):
    """Execute the current signal of ``symbol``: ``qty`` shares (default: the server's order value / price);
    ``bar_time`` (the ``X-Signals-Bar`` the client saw) makes the order fail if the signal was replaced."""

    symbol: str = Field(min_length=1, max_length=16)
    qty: int | None = Field(default=None, ge=1, le=100_000)
    bar_time: datetime | None = None

    model_config = {"extra": "forbid"}
