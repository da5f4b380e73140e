"""Simulated broker: backtrader's ``BackBroker`` configured with tradeforge's cost model.

Commission is a fraction of the traded notional (``0.001`` = 10 bp per side) and slippage is given in
basis points of the price, applied against the trader on every fill, including fills at the open.
"""

from __future__ import annotations

import math

import backtrader as bt

from tradeforge.errors import ConfigError

__all__ = ["configure_broker", "make_broker"]


def _check(name: str, value: float, *, lower: float, upper: float, hint: str) -> float:
    if isinstance(value, bool):
        raise ConfigError(f"{name}: expected a number, got {value!r}; {hint}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name}: expected a number, got {value!r}; {hint}") from None
    if not math.isfinite(number) or not lower <= number <= upper:
        raise ConfigError(f"{name}: {value!r} is outside [{lower:g}, {upper:g}]; {hint}")
    return number


def configure_broker(
    broker: bt.brokers.BackBroker,
    *,
    cash: float = 100_000.0,
    commission: float = 0.001,
    slippage_bps: float = 0.0,
) -> bt.brokers.BackBroker:
    """Set *cash*, *commission* (fraction of notional) and *slippage_bps* on a backtrader broker.

    Commission uses ``COMM_PERC`` with ``percabs=True`` (so ``0.001`` means 0.1 %), no leverage or
    margin. Slippage is ``slip_perc = slippage_bps / 10_000`` with ``slip_open=True`` and never moves a
    fill outside the bar's high/low (backtrader's ``slip_match``). Returns the broker.

    Examples
    --------
    >>> b = configure_broker(bt.brokers.BackBroker(), cash=1_000, commission=0.002, slippage_bps=5)
    >>> b.getcash(), b.p.slip_perc, b.comminfo[None].p.commission
    (1000.0, 0.0005, 0.002)
    """
    cash = _check("cash", cash, lower=1e-9, upper=1e15, hint="pass a positive starting cash, e.g. 100000")
    commission = _check("commission", commission, lower=0.0, upper=0.1,
                        hint="pass a fraction of notional, e.g. 0.001 for 10 basis points")
    slippage_bps = _check("slippage_bps", slippage_bps, lower=0.0, upper=1000.0,
                          hint="pass basis points of price, e.g. 5 for 0.05 %")
    broker.setcash(cash)
    broker.setcommission(commission=commission, commtype=bt.CommInfoBase.COMM_PERC, percabs=True,
                         stocklike=True)
    broker.set_slippage_perc(slippage_bps / 10_000.0, slip_open=True, slip_limit=True, slip_match=True,
                             slip_out=False)
    return broker


def make_broker(*, cash: float = 100_000.0, commission: float = 0.001, slippage_bps: float = 0.0
                ) -> bt.brokers.BackBroker:
    """A new ``BackBroker`` configured by :func:`configure_broker`.

    Examples
    --------
    >>> make_broker(cash=5_000).getvalue()
    5000.0
    """
    return configure_broker(bt.brokers.BackBroker(), cash=cash, commission=commission, slippage_bps=slippage_bps)
