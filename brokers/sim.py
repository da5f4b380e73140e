"""Simulated broker: backtrader's ``BackBroker`` configured with tradeforge's cost model.

Commission is a fraction of the traded notional (``0.001`` = 10 bp per side) and slippage is given in
basis points of the price, applied against the trader on every fill, including fills at the open.

Two market-impact settings, both off by default (0):

* **volume cap** ``volume_cap = f``: an order fills at most ``f x volume`` of a bar; the rest stays
  working and fills on the following bars (backtrader partial fills; counted in ``BacktestResult.fills``).
* **square-root impact** ``impact = k``: every fill of ``q`` shares at price ``p`` on a bar of volume ``V``
  pays, on top of the commission, ``k x sigma x sqrt(|q| / V) x |q| x p``, where ``sigma`` is the
  standard deviation of the last ``impact_window`` (20) close-to-close log returns before the bar.
  The cost grows with the square root of the participation ``|q| / V`` and linearly with volatility
  (the "square-root law" of market impact); it is booked as commission, so it shows in ``pnlcomm`` and in
  the orders' commission column. A bar without volume counts as full participation.
"""

from __future__ import annotations

import math

import backtrader as bt
import numpy as np

from tradeforge.errors import ConfigError, number_arg

__all__ = ["configure_broker", "make_broker", "VolumeCap", "ImpactCommission", "attach_impact"]


def _check(name: str, value: float, *, lower: float, upper: float, hint: str) -> float:
    number = number_arg(name, value, hint)
    if not math.isfinite(number) or not lower <= number <= upper:
        raise ConfigError(f"{name}: {value!r} is outside [{lower:g}, {upper:g}]; {hint}")
    return number


class VolumeCap:
    """A backtrader filler: at most *fraction* of the bar's volume per bar (the rest fills later)."""

    def __init__(self, fraction: float) -> None:
        self.fraction = float(fraction)

    def __call__(self, order: bt.Order, price: float, ago: int) -> float:
        room = max(0.0, float(order.data.volume[ago])) * self.fraction
        return min(room, abs(order.executed.remsize))


class ImpactCommission(bt.CommInfoBase):
    """Percentage commission plus the square-root impact cost of the module notes, for one data."""

    params = (("impact", 0.0), ("impact_window", 20), ("commtype", bt.CommInfoBase.COMM_PERC),
              ("percabs", True), ("stocklike", True))

    def bind(self, data: bt.feed.DataBase) -> ImpactCommission:
        self._data = data
        return self

    def sigma(self) -> float:
        """Std of the last ``impact_window`` close-to-close log returns before the current bar."""
        closes = np.asarray(self._data.close.get(ago=-1, size=self.p.impact_window + 1), dtype=np.float64)
        if closes.size < 3 or np.any(closes <= 0):
            return 0.0
        return float(np.std(np.diff(np.log(closes)), ddof=1))

    def impact_cost(self, size: float, price: float) -> float:
        volume = float(self._data.volume[0])
        share = 1.0 if volume <= 0 else min(1.0, abs(size) / volume)
        return self.p.impact * self.sigma() * math.sqrt(share) * abs(size) * price

    def _getcommission(self, size: float, price: float, pseudoexec: bool) -> float:
        base = abs(size) * price * self.p.commission
        return base + (self.impact_cost(size, price) if self.p.impact > 0 else 0.0)


def attach_impact(broker: bt.brokers.BackBroker, datas: list[bt.feed.DataBase], *, commission: float,
                  impact: float, window: int = 20) -> None:
    """Give each data its own :class:`ImpactCommission` (``impact`` = k of the module notes)."""
    for data in datas:
        info = ImpactCommission(commission=commission, impact=impact, impact_window=window).bind(data)
        broker.addcommissioninfo(info, name=data._name)


def configure_broker(
    broker: bt.brokers.BackBroker,
    *,
    cash: float = 100_000.0,
    commission: float = 0.001,
    slippage_bps: float = 0.0,
    volume_cap: float = 0.0,
    impact: float = 0.0,
) -> bt.brokers.BackBroker:
    """Set *cash*, *commission* (fraction of notional) and *slippage_bps* on a backtrader broker.

    Commission uses ``COMM_PERC`` with ``percabs=True`` (so ``0.001`` means 0.1 %), no leverage or
    margin. Slippage is ``slip_perc = slippage_bps / 10_000`` with ``slip_open=True`` and never moves a
    fill outside the bar's high/low (backtrader's ``slip_match``). *volume_cap* (fraction of a bar's
    volume, 0 = off) installs :class:`VolumeCap`; *impact* (k >= 0) is checked here and applied per data
    by :func:`attach_impact` once the datas exist. Returns the broker.

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
    volume_cap = _check("volume_cap", volume_cap, lower=0.0, upper=1.0,
                        hint="pass a fraction of each bar's volume, e.g. 0.1 for 10 % (0 = no cap)")
    _check("impact", impact, lower=0.0, upper=100.0,
           hint="pass the square-root impact coefficient, e.g. 0.1 (0 = no impact)")
    broker.setcash(cash)
    if volume_cap > 0:
        broker.set_filler(VolumeCap(volume_cap))
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
    return configure_broker(bt.brokers.BackBroker(), cash=cash, commission=commission,
                            slippage_bps=slippage_bps)
