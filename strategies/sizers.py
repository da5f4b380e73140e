"""Position sizing: fixed-fractional risk at the stop, capped by position value, fractional Kelly and cash.

The math lives in the pure function :func:`position_size`; :class:`MLRiskSizer` wraps it as a
backtrader ``Sizer`` for strategies that call ``self.buy()`` without a size. ``MLStrategy`` calls
:func:`position_size` directly (it knows each trade's stop, which a ``Sizer`` does not).

Sizing rule (long trades)::

    risk-based  = equity * risk_per_trade / stop_distance          (loss at the stop = risk_per_trade)
    cap         = equity * max_position_pct / price                (position value <= max_position_pct)
    kelly       = equity * kelly_fraction * f* / stop_distance     f* = p - (1 - p) / b,
                                                                    b  = take-profit distance / stop distance
    cash        = cash / price                                     (no leverage)
    size        = floor(min(risk-based, cap, kelly, cash)), never below 0

The Kelly stake is the amount lost if the stop is hit (the trade loses ``stop_distance`` or wins
``b * stop_distance`` per share, a binary bet with odds ``b``), so fractional Kelly caps the *risk*, like
``risk_per_trade`` does; with no edge (``f* <= 0``) the size is 0.
"""

from __future__ import annotations

import math

import backtrader as bt

from tradeforge.errors import ConfigError, DataError

__all__ = ["kelly_fraction_of", "position_size", "trade_payoff_ratio", "MLRiskSizer"]


def _number(
    name: str, value: float, *, low: float, high: float, low_open: bool = True, error=ConfigError
) -> float:
    bad_type = isinstance(value, bool) or not isinstance(value, int | float)
    if bad_type or not math.isfinite(value):
        raise error(f"{name}: expected a finite number, got {value!r}")
    if value < low or (low_open and value == low) or value > high:
        bracket = "(" if low_open else "["
        raise error(f"{name}: {value!r} is outside {bracket}{low:g}, {high:g}]; e.g. pass {name}=0.01")
    return float(value)


def kelly_fraction_of(proba: float, payoff: float) -> float:
    """Full-Kelly fraction ``f* = p - (1 - p) / b`` for win probability *proba* and payoff ratio *payoff*.

    Negative when the bet has no edge. *proba* must lie in [0, 1] and *payoff* be positive.

    Examples
    --------
    >>> round(kelly_fraction_of(0.6, 2.0), 12)
    0.4
    >>> kelly_fraction_of(0.3, 2.0) < 0
    True
    """
    p = _number("proba", proba, low=0.0, high=1.0, low_open=False, error=DataError)
    b = _number("payoff", payoff, low=0.0, high=math.inf, error=DataError)
    return p - (1.0 - p) / b


def trade_payoff_ratio(payoff: float, loss: float, cost: float) -> float:
    """Payoff ratio ``b`` of the model's trade net of costs: ``(payoff - cost) / (loss + cost)``.

    *payoff* and *loss* are the trade's mean win and mean loss before costs (positive fractions of the
    entry price), *cost* its round trip. With this ``b``, :func:`kelly_fraction_of` is positive exactly when
    the expected value ``p * payoff - (1 - p) * loss - cost`` is; 0 when the win does not cover the cost.

    Examples
    --------
    >>> round(trade_payoff_ratio(0.03, 0.02, 0.002), 6)
    1.272727
    >>> p, b = 0.45, trade_payoff_ratio(0.03, 0.02, 0.002)
    >>> (kelly_fraction_of(p, b) > 0) == (p * 0.03 - (1 - p) * 0.02 - 0.002 > 0)
    True
    """
    for name, value in (("payoff", payoff), ("loss", loss), ("cost", cost)):
        _number(name, value, low=0.0, high=math.inf, low_open=name != "cost", error=DataError)
    return max(payoff - cost, 0.0) / (loss + cost)


def position_size(equity: float, price: float, stop_distance: float, risk_per_trade: float = 0.01,
                  max_position_pct: float = 0.2, proba: float = 1.0, payoff: float = 2.0,
                  kelly_fraction: float = 0.5, cash: float | None = None, fractional: bool = False) -> float:
    """Number of shares to buy for a long trade (see the module notes for the rule).

    Parameters
    ----------
    equity : float
        Portfolio value now. Zero or negative equity gives 0.
    price : float
        Reference entry price per share (> 0).
    stop_distance : float
        Loss per share if the stop is hit, in price units (> 0): ``price - stop price``.
    risk_per_trade : float
        Fraction of equity lost at the stop, in (0, 1].
    max_position_pct : float
        Largest position value as a fraction of equity, in (0, 1].
    proba : float
        Calibrated probability that the trade is profitable, in [0, 1].
    payoff : float
        Take-profit distance over stop distance (> 0).
    kelly_fraction : float
        Multiplier of the full Kelly stake, in [0, 1]; 0 disables the Kelly cap.
    cash : float, optional
        Cash available; the position value never exceeds it (default: no cash cap).
    fractional : bool
        Return fractional shares instead of whole ones.

    Returns
    -------
    float
        Shares, ``>= 0``; a whole number unless *fractional*.

    Examples
    --------
    >>> position_size(100_000, 50.0, 1.0)            # 1 % risk = 1,000 shares, capped at 20 % = 400
    400.0
    >>> position_size(100_000, 50.0, 5.0)            # 1,000 / 5 = 200 shares
    200.0
    >>> position_size(100_000, 50.0, 5.0, proba=0.34, payoff=2.0)   # Kelly: 0.5 * 0.01 * 1e5 / 5
    100.0
    >>> position_size(100_000, 50.0, 5.0, proba=0.3, payoff=2.0)    # no edge
    0.0
    """
    price = _number("price", price, low=0.0, high=math.inf, error=DataError)
    stop_distance = _number("stop_distance", stop_distance, low=0.0, high=math.inf, error=DataError)
    risk_per_trade = _number("risk_per_trade", risk_per_trade, low=0.0, high=1.0)
    max_position_pct = _number("max_position_pct", max_position_pct, low=0.0, high=1.0)
    kelly_fraction = _number("kelly_fraction", kelly_fraction, low=0.0, high=1.0, low_open=False)
    equity = _number("equity", equity, low=-math.inf, high=math.inf, low_open=False, error=DataError)
    if equity <= 0.0:
        return 0.0
    limits = [equity * risk_per_trade / stop_distance, equity * max_position_pct / price]
    if kelly_fraction > 0.0:
        stake = kelly_fraction * kelly_fraction_of(proba, payoff)
        limits.append(equity * max(stake, 0.0) / stop_distance)
    if cash is not None:
        cash = _number("cash", cash, low=-math.inf, high=math.inf, low_open=False, error=DataError)
        limits.append(max(cash, 0.0) / price)
    size = max(min(limits), 0.0)
    return size if fractional else float(math.floor(size + 1e-9))


class MLRiskSizer(bt.Sizer):
    """backtrader ``Sizer`` around :func:`position_size` with fixed-fraction stops.

    The stop distance is ``stop_loss * close`` and the payoff ratio ``take_profit / stop_loss``; the
    probability is read from the data's ``ml_proba`` line when it has one (a NaN there gives 0 shares),
    else 1 (no Kelly cap). Sells are sized to the open position (closing only, never going short).

    Parameters (backtrader params): ``risk_per_trade=0.01``, ``max_position_pct=0.2``, ``kelly_fraction=0.5``,
    ``stop_loss=0.02``, ``take_profit=0.04``, ``fractional=False``.

    Examples
    --------
    >>> import backtrader as bt
    >>> cerebro = bt.Cerebro()
    >>> cerebro.addsizer(MLRiskSizer, risk_per_trade=0.005)
    """

    params = (("risk_per_trade", 0.01), ("max_position_pct", 0.2), ("kelly_fraction", 0.5),
              ("stop_loss", 0.02), ("take_profit", 0.04), ("fractional", False))

    def _getsizing(self, comminfo, cash, data, isbuy):  # noqa: ARG002 - backtrader's signature
        if not isbuy:
            return self.broker.getposition(data).size
        price = float(data.close[0])
        proba = float(data.ml_proba[0]) if "ml_proba" in data.lines.getlinealiases() else 1.0
        if not math.isfinite(proba):
            return 0
        size = position_size(self.broker.getvalue(), price, self.p.stop_loss * price, self.p.risk_per_trade,
                             self.p.max_position_pct, proba, self.p.take_profit / self.p.stop_loss,
                             self.p.kelly_fraction, cash=cash, fractional=self.p.fractional)
        return size if self.p.fractional else int(size)
