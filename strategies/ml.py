"""``ml``: trade the ensemble's decisions with bracket orders, risk-based sizing and portfolio risk rules.

Contract (prediction lines)
---------------------------
Each data feed carries float64 lines aligned to its bars, NaN where there is no prediction:

``ml_proba``            calibrated probability that the long trade is profitable
``ml_decision``         +1 BUY, -1 SELL, 0 HOLD
``ml_confidence``       the ensemble's confidence in its decision
``ml_expected_return``  expected return (informational)
``ml_risk``             risk score 1-10
``ml_sigma``            GARCH one-step sigma forecast of log returns (needed by ``bracket="sigma"``)
``ml_payoff``, ``ml_loss``  the trade's expected gain if it wins, loss if it loses (fractions, before costs)
``ml_cost``             the entry's cost charged to one leg (fraction): the round trip, or with
                        ``MLPipeline`` the round trip over the legs a position is expected to roll
``ml_take``, ``ml_stop``  target and stop distances from the entry price (fractions; ``bracket="trade"``)
``ml_horizon``          bars the trade is held at most (``bracket="trade"``)
``pred_<tf>``           per-timeframe predicted returns, e.g. ``pred_1d`` (informational)

:meth:`MLStrategy.precompute` cannot make predictions itself. In a backtest the walk-forward runner
computes them in batch for each test fold, with models fitted only on earlier data, and passes them with
``run_backtest(..., extra_lines={symbol: {name: array}})``. Live (or in a backtest without lines), the
``predictor`` parameter is an object with ``warmup: int`` (bars it needs), ``window: int | None`` (bars
it looks at; ``None`` or no such attribute: every bar since the feed's first, as
:class:`tradeforge.models.pipeline.MLPipeline` needs for EMA-type features to match its batch run) and
``predict_latest(window: DataFrame) -> Mapping[str, float]`` (keys as the line names). It is called on
every bar, once at least ``warmup`` bars exist, with the trailing OHLCV window built from the feed's
lines seen so far (index ``datetime``, columns ``open high low close volume``, the last ``window`` bars,
``attrs["symbol"]`` set): never a later bar. Its values are used exactly as the lines would be.
Without lines and without a predictor the strategy raises :class:`~tradeforge.errors.ConfigError`
when the run starts (``precompute`` does not see the lines the runner adds, so it cannot check).

Trading rules
-------------
* Every data feed is traded on its own (one long position per symbol), under shared portfolio rules.
* **The model's trade** (``bracket="trade"``, the default): the lines ``ml_take``, ``ml_stop`` (fractions of
  the entry price) and ``ml_horizon`` (bars) describe the trade the model was trained on
  (:class:`tradeforge.models.targets.TradeSpec`). At the close of bar ``t`` the strategy enters when the
  trade's expected value ``ml_proba * ml_payoff - (1 - ml_proba) * ml_loss - ml_cost`` is above
  ``min_edge * ml_loss``, ``ml_confidence >= min_confidence``, ``ml_risk <= max_risk``, ``ml_decision``
  is not SELL,
  the symbol is flat with nothing pending and the risk rules allow it. At the open of bar ``t + 1``
  (backtrader's cheat-on-open, which the strategy switches on) it buys at the market, sized from that
  open, and places a Stop at ``open * (1 - ml_stop)`` and a Limit at ``open * (1 + ml_take)`` (one
  cancels the other), live from that bar on; untouched, the position is closed at the open ``ml_horizon``
  bars after the entry - unless the prediction at the close before says the trade is still worth taking
  without the cost of a new entry (expected value plus ``ml_cost`` above the margin): then the position
  *rolls* into the next leg, with a new stop and target from that open and a new time exit (each leg is
  the trade of one label; rolling only saves the round trip). A bar touching both counts as the stop
  (it is checked first). The same probability and payoff feed Kelly sizing:
  ``b = (payoff - cost) / (loss + cost)``.
* **Entry** (``bracket="fixed"`` / ``"sigma"``) on BUY (``ml_decision > 0``) when
  ``ml_confidence >= min_confidence`` and
  ``ml_risk <= max_risk``, with no position and no pending order on that symbol, and when
  :class:`~tradeforge.strategies.risk.RiskRules` allows it (kill switch armed, daily loss limit not hit,
  fewer than ``max_open_positions`` positions held or pending). NaN values never pass.
* **Brackets** (``bracket="fixed"`` / ``"sigma"``, ``buy_bracket``): a Market entry filled at the next
  bar's open, a Stop child and a Limit
  child. Their prices are fractions of the *signal bar's close* ``c``: ``c * (1 - stop_loss)`` and
  ``c * (1 + take_profit)`` with ``bracket="fixed"``, ``c * (1 - stop_mult * ml_sigma)`` and
  ``c * (1 + tp_mult * ml_sigma)`` with ``bracket="sigma"``. A child fills at its price when a bar's
  low (stop) or high (take-profit) crosses it, at the open when the bar gaps through it; the other
  child is then cancelled. backtrader activates bracket children one broker cycle after the entry fills,
  so the barriers are live from the bar *after* the entry bar.
* **Exit** on SELL (``ml_decision < 0``) with an open position: both children are cancelled and the
  position is closed with a Market order at the next open. No child order ever outlives its position.
* **Sizing** by :func:`~tradeforge.strategies.sizers.position_size` at the signal bar's close:
  ``risk_per_trade`` of equity lost at the stop, capped by ``max_position_pct`` of equity, by
  ``kelly_fraction`` of the Kelly stake from ``ml_proba`` and the payoff ratio (take-profit over stop
  distance) and by the cash left after commission; whole shares unless ``fractional``. A gap at the next
  open moves the fill price away from the reference price; an entry the cash cannot pay is refused by the
  broker and its bracket cancelled.
* **Portfolio rules** (:class:`~tradeforge.strategies.risk.RiskRules`, fed the portfolio value at each bar's
  close): the daily loss limit blocks new entries for the rest of the day (positions keep their stops);
  the maximum-drawdown kill switch cancels every order, closes every position at the next open and blocks
  entries until :meth:`MLStrategy.reset_kill_switch`.

Time comes only from the bars; the strategy is deterministic.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import backtrader as bt
import numpy as np
import pandas as pd

from tradeforge.errors import ConfigError, unknown_name_error
from tradeforge.strategies.risk import RiskRules

from .base import Strategy
from .sizers import position_size, trade_payoff_ratio

__all__ = ["LINE_NAMES", "MLStrategy", "Predictor", "expected_value", "trade_wanted"]

LINE_NAMES = ("ml_proba", "ml_decision", "ml_confidence", "ml_expected_return", "ml_risk", "ml_sigma",
              "ml_payoff", "ml_loss", "ml_cost", "ml_take", "ml_stop", "ml_horizon")
_NEEDED = ("ml_proba", "ml_decision", "ml_confidence", "ml_risk")
_TRADE = ("ml_payoff", "ml_loss", "ml_cost", "ml_take", "ml_stop", "ml_horizon")
_OHLCV = ("open", "high", "low", "close", "volume")
_BRACKETS = ("trade", "fixed", "sigma")
_EPOCH_NUM = 719163.0  # backtrader's date2num(1970-01-01)
_NAN = float("nan")
_DEFAULTS: dict[str, Any] = dict(
    min_confidence=0.0, min_edge=0.1, max_risk=6.0, bracket="trade", stop_loss=0.02, take_profit=0.04,
    stop_mult=2.0,
    tp_mult=4.0, risk_per_trade=0.01, max_position_pct=0.2, kelly_fraction=0.5, fractional=False,
    max_open_positions=10, daily_loss_limit=0.03, max_drawdown=0.2, predictor=None)


@runtime_checkable
class Predictor(Protocol):
    """What the live path needs: ``warmup`` bars and ``predict_latest(window) -> {line name: value}``.

    An optional ``window: int | None`` attribute bounds the bars passed (None or absent: all bars so far).
    """

    warmup: int

    def predict_latest(self, window: pd.DataFrame) -> Mapping[str, float]:
        """Predictions for the last bar of *window* (keys as :data:`LINE_NAMES`)."""
        ...


@dataclass
class _Book:
    """The live orders of one symbol."""

    entry: Any = None
    children: list = field(default_factory=list)
    exit: Any = None
    seen: int = 0
    seen_open: int = 0
    intent: dict | None = None  # bracket="trade": an entry decided at a close, placed at the next open
    entry_len: int = 0
    horizon: int = 0

    def pending(self) -> bool:
        return self.intent is not None or any(o is not None and o.alive() for o in (self.entry, self.exit))

    def alive(self) -> list:
        return [o for o in (self.entry, *self.children) if o is not None and o.alive()]


def _check_range(
    params: Mapping[str, Any], name: str, low: float, high: float, *, closed_low: bool = False
) -> None:
    value = params[name]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(f"MLStrategy parameter '{name}': expected a number, got {value!r}")
    if value < low or (value == low and not closed_low) or value > high:
        left = "[" if closed_low else "("
        raise ConfigError(f"MLStrategy parameter '{name}': {value!r} is outside {left}{low:g}, {high:g}]; "
                          f"e.g. --param {name}={_DEFAULTS[name]}")


def _check_params(params: Mapping[str, Any]) -> None:
    """Raise ConfigError naming the first bad parameter."""
    if params["bracket"] not in _BRACKETS:
        raise unknown_name_error(
            "bracket mode (MLStrategy parameter 'bracket')", str(params["bracket"]), _BRACKETS
        )
    _check_range(params, "min_confidence", 0.0, 1.0, closed_low=True)
    _check_range(params, "min_edge", -10.0, 10.0)
    _check_range(params, "max_risk", -math.inf, math.inf)
    _check_range(params, "stop_loss", 0.0, 0.99)
    _check_range(params, "take_profit", 0.0, math.inf)
    _check_range(params, "stop_mult", 0.0, math.inf)
    _check_range(params, "tp_mult", 0.0, math.inf)
    _check_range(params, "risk_per_trade", 0.0, 1.0)
    _check_range(params, "max_position_pct", 0.0, 1.0)
    _check_range(params, "kelly_fraction", 0.0, 1.0, closed_low=True)


def _resolve_predictor(spec: Any) -> Any:
    """``None``, a predictor object, or ``"package.module:Name"`` (a class is instantiated without
    arguments)."""
    if spec is None or (isinstance(spec, str) and spec.strip().lower() in ("", "none")):
        return None
    obj = spec
    if isinstance(spec, str):
        module_name, _, attr = spec.strip().partition(":")
        if not module_name or not attr:
            raise ConfigError(f"MLStrategy parameter 'predictor': {spec!r} is not 'package.module:Name'")
        try:
            obj = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError) as exc:
            raise ConfigError(f"MLStrategy parameter 'predictor': cannot load {spec!r} ({exc}); check the "
                              "module path and the name") from exc
        obj = obj() if isinstance(obj, type) else obj
    warmup = getattr(obj, "warmup", None)
    if (
        not callable(getattr(obj, "predict_latest", None))
        or isinstance(warmup, bool)
        or not isinstance(warmup, int)
    ):
        raise ConfigError(
            f"MLStrategy parameter 'predictor': {obj!r} needs an integer 'warmup' attribute and a "
            "'predict_latest(window)' method (see tradeforge.strategies.ml.Predictor)"
        )
    if warmup < 1:
        raise ConfigError(f"MLStrategy parameter 'predictor': warmup={warmup} must be >= 1 bar")
    window = getattr(obj, "window", None)
    if window is not None and (isinstance(window, bool) or not isinstance(window, int) or window < warmup):
        raise ConfigError(f"MLStrategy parameter 'predictor': window={window!r} must be an integer >= its "
                          f"warmup ({warmup}), or None for every bar since the start")
    return obj


def expected_value(pred: Mapping[str, float]) -> float:
    """``p * payoff - (1 - p) * loss - cost`` of the model's trade from one bar's lines (NaN when one is
    missing).

    Examples
    --------
    >>> round(expected_value({"ml_proba": 0.5, "ml_payoff": 0.02, "ml_loss": 0.01, "ml_cost": 0.002}), 6)
    0.003
    """
    p = pred.get("ml_proba", _NAN)
    payoff, loss = pred.get("ml_payoff", _NAN), pred.get("ml_loss", _NAN)
    return p * payoff - (1.0 - p) * loss - pred.get("ml_cost", _NAN)


def trade_wanted(pred: Mapping[str, float], *, min_edge: float = _DEFAULTS["min_edge"],
                 min_confidence: float = _DEFAULTS["min_confidence"], max_risk: float = _DEFAULTS["max_risk"],
                 rolling: bool = False) -> bool:
    """``MLStrategy``'s entry rule (``bracket="trade"``) on one bar's prediction lines.

    True when :func:`expected_value` (plus ``ml_cost`` when *rolling* an open position into its next leg,
    which pays no new entry) is above ``min_edge * ml_loss``, ``ml_decision`` is not SELL,
    ``ml_confidence >= min_confidence``, ``ml_risk <= max_risk`` and the trade has usable widths
    (``0 < ml_stop < 1``, ``ml_take > 0``, ``ml_horizon >= 1``); NaN never passes. The defaults are the
    strategy's parameter defaults. Whether the portfolio rules allow the entry is the strategy's check.

    Examples
    --------
    >>> line = {"ml_proba": 0.7, "ml_payoff": 0.02, "ml_loss": 0.02, "ml_cost": 0.002, "ml_decision": 1.0,
    ...         "ml_confidence": 0.7, "ml_risk": 3.0, "ml_take": 0.02, "ml_stop": 0.02, "ml_horizon": 1.0}
    >>> trade_wanted(line), trade_wanted(line, min_edge=0.5), trade_wanted({**line, "ml_risk": float("nan")})
    (True, False, False)
    """
    take, stop, horizon = (pred.get(k, _NAN) for k in ("ml_take", "ml_stop", "ml_horizon"))
    value = expected_value(pred) + (pred.get("ml_cost", _NAN) if rolling else 0.0)
    return bool(value > min_edge * pred.get("ml_loss", _NAN) and not pred.get("ml_decision", _NAN) < 0
                and pred.get("ml_confidence", _NAN) >= min_confidence
                and pred.get("ml_risk", _NAN) <= max_risk
                and 0.0 < stop < 1.0 and take > 0.0 and horizon >= 1.0)


def _bt_index(nums: np.ndarray) -> pd.DatetimeIndex:
    """backtrader float day numbers to timestamps (rounded to the millisecond)."""
    ms = np.rint((np.asarray(nums, dtype=np.float64) - _EPOCH_NUM) * 86_400_000.0).astype(np.int64)
    return pd.DatetimeIndex(ms.astype("datetime64[ms]").astype("datetime64[ns]"), name="datetime")


class MLStrategy(Strategy):
    """Long-only trading of the ensemble's BUY/SELL decisions with brackets, sizing and risk rules.

    Parameters (backtrader ``params``, all settable with ``--param name=value``)
    -------------------------------------------------------------------------
    min_confidence : float, 0.0
        Smallest ``ml_confidence`` that lets an entry through.
    min_edge : float, 0.1
        ``bracket="trade"``: enter when the expected value ``p * payoff - (1 - p) * loss - cost`` (the
        ``ml_proba``, ``ml_payoff``, ``ml_loss``, ``ml_cost`` lines) is above ``min_edge * loss``: the margin
        is a fraction of the expected loss, so it means the same on daily and minute bars.
    max_risk : float, 6.0
        Largest ``ml_risk`` score (1-10) that lets a BUY enter.
    bracket : {"trade", "fixed", "sigma"}
        ``"trade"``: the model's trade (``ml_take``/``ml_stop`` from the entry price, live from the entry
        bar, time exit after ``ml_horizon`` bars; see the module notes); ``"fixed"``/``"sigma"``: a
        bracket from the signal close with fixed fractions or multiples of ``ml_sigma``.
    stop_loss, take_profit : float, 0.02 and 0.04
        Fixed stop and take-profit distances as fractions of the signal bar's close.
    stop_mult, tp_mult : float, 2.0 and 4.0
        Stop and take-profit distances in units of ``ml_sigma`` (``bracket="sigma"``).
    risk_per_trade, max_position_pct, kelly_fraction : float, 0.01, 0.2 and 0.5
        Sizing (see :func:`~tradeforge.strategies.sizers.position_size`).
    fractional : bool, False
        Trade fractional shares.
    max_open_positions : int, 10
        Positions held or pending at once, across all symbols.
    daily_loss_limit, max_drawdown : float, 0.03 and 0.2
        Portfolio rules (see :class:`~tradeforge.strategies.risk.RiskRules`).
    predictor : object or "package.module:Name", None
        Live path: computes the predictions from the trailing window (see the module notes).

    Attributes
    ----------
    rules : RiskRules
        The portfolio rules' state (``rules.tripped`` etc.).
    entry_log : list of dict
        One row per bracket placed: date, symbol, size, reference price, stop, take_profit, equity, cash.

    Examples
    --------
    >>> import numpy as np
    >>> from tradeforge.engine import run_backtest
    >>> from tradeforge.feeds import load
    >>> df = load("sample:sp500", start="2010-01-01", end="2010-03-31")["SP500"]
    >>> n = len(df)
    >>> proba = np.where(np.arange(n) % 20 == 5, 0.7, 0.3)         # a positive expected value every 20 bars
    >>> lines = dict(ml_proba=proba, ml_decision=np.zeros(n), ml_confidence=proba, ml_risk=np.full(n, 3.0),
    ...              ml_payoff=np.full(n, 0.02), ml_loss=np.full(n, 0.02), ml_cost=np.full(n, 0.002),
    ...              ml_take=np.full(n, 0.03), ml_stop=np.full(n, 0.03), ml_horizon=np.full(n, 5.0))
    >>> r = run_backtest({"SP500": df}, "tradeforge.strategies.ml:MLStrategy", extra_lines={"SP500": lines})
    >>> r.orders["side"].tolist()[:2]
    ['buy', 'sell']
    """

    params = dict(_DEFAULTS)

    @classmethod
    def precompute(cls, df: pd.DataFrame, params: Mapping[str, Any]) -> dict[str, np.ndarray]:
        """No lines of its own (predictions come from the walk-forward or the predictor); checks *params*."""
        _check_params(params)
        return {}

    def __init__(self) -> None:
        super().__init__()
        params = self._params_dict()
        _check_params(params)
        self.predictor = _resolve_predictor(params["predictor"])
        self.rules = RiskRules(self.p.daily_loss_limit, self.p.max_drawdown, self.p.max_open_positions)
        self.entry_log: list[dict[str, Any]] = []
        self._books = [_Book() for _ in self.datas]
        # keyed by id(): backtrader overloads == on lines, so list.index / dict lookups by value misbehave
        self._lines = {id(data): self._prediction_lines(data) for data in self.datas}
        self._window = getattr(self.predictor, "window", None)  # None: every bar since the start
        if self.p.bracket == "trade":
            # the trade's entry and barriers are placed at the open of the entry bar (from its price), so that
            # they are live on that bar: backtrader's cheat-on-open calls next_open before the broker runs it
            self.env.p.cheat_on_open = True
            if hasattr(self.broker, "set_coo"):
                self.broker.set_coo(True)

    def _prediction_lines(self, data: bt.feed.DataBase) -> dict[str, Any]:
        """The data's prediction lines by name; ConfigError when needed ones are missing and no predictor."""
        aliases = set(data.lines.getlinealiases())
        if self.predictor is None:
            extra = {"sigma": ("ml_sigma",), "trade": _TRADE}.get(self.p.bracket, ())
            needed = (*_NEEDED, *extra)
            missing = [name for name in needed if name not in aliases]
            if missing:
                raise ConfigError(
                    f"strategy 'ml': data '{data._name}' has no prediction lines {missing}. "
                    "MLStrategy cannot predict by itself: run it with `tradeforge walkforward` "
                    "(which fits the models on earlier data and passes the predictions as lines), "
                    "pass them with run_backtest(..., extra_lines="
                    "{symbol: {'ml_decision': ..., ...}}), or set the 'predictor' parameter")
        names = [name for name in (*LINE_NAMES, *sorted(aliases)) if name in aliases]
        names = list(dict.fromkeys(n for n in names if n in LINE_NAMES or n.startswith("pred_")))
        return {name: getattr(data.lines, name) for name in names}

    # ----------------------------------------------------------------------------------------------- hooks
    def prediction(self, data: bt.feed.DataBase) -> dict[str, float]:
        """The predictions for *data*'s current bar, from its lines or from the predictor (NaN if none)."""
        if self.predictor is None:
            return {name: float(line[0]) for name, line in self._lines[id(data)].items()}
        if len(data) < self.predictor.warmup:
            return {}
        size = len(data) if self._window is None else min(len(data), self._window)
        values = np.column_stack([np.asarray(getattr(data.lines, name).get(size=size), dtype=np.float64)
                                  for name in _OHLCV])
        window = pd.DataFrame(values, index=_bt_index(data.datetime.get(size=size)), columns=list(_OHLCV))
        window.attrs["symbol"] = data._name
        return {str(k): float(v) for k, v in self.predictor.predict_latest(window).items()}

    def reset_kill_switch(self) -> None:
        """Re-arm the maximum-drawdown kill switch (entries are allowed again from the next bar)."""
        self.rules.reset()

    # ------------------------------------------------------------------------------------------------- loop
    def prenext(self) -> None:
        # datas that start later have no bars yet: trade the ones that have
        self.next()

    def next(self) -> None:
        status = self.rules.update(self.broker.getvalue(), self.datetime.datetime(0))
        if status.tripped:
            for i, data in enumerate(self.datas):
                self._flatten(i, data)
            return
        held = sum(
            1 for i, d in enumerate(self.datas) if self.getposition(d).size or self._books[i].pending()
        )
        cash = self.broker.getcash()
        if self.p.bracket == "trade":
            for i, data in enumerate(self.datas):
                book = self._books[i]
                if len(data) and len(data) != book.seen:
                    book.seen = len(data)
                    held += self._step_trade(book, data, self.prediction(data), held)
            return
        for i, data in enumerate(self.datas):
            book = self._books[i]
            if len(data) == 0 or len(data) == book.seen:
                continue  # no new bar for this symbol
            book.seen = len(data)
            cost = self._step(book, data, self.prediction(data), held, cash)
            if cost:
                held += 1
                cash -= cost

    def _step(self, book: _Book, data: bt.feed.DataBase, pred: Mapping[str, float], held: int,
              cash: float) -> float:
        """Act on one symbol's prediction; returns the cash reserved by a new entry (0 if none)."""
        position = self.getposition(data).size
        decision = pred.get("ml_decision", _NAN)
        if position > 0 and decision < 0:
            self._exit(book, data)
            return 0.0
        if position or book.pending():
            return 0.0
        for order in book.alive():  # orphans cannot exist without a position; cancel if one ever does
            self.cancel(order)
        wants = (decision > 0 and pred.get("ml_confidence", _NAN) >= self.p.min_confidence
                 and pred.get("ml_risk", _NAN) <= self.p.max_risk)
        if not wants or not self.rules.allow_entry(held):
            return 0.0
        return self._enter(book, data, pred, cash)

    # -------------------------------------------------------------------------------- bracket="trade"
    def _step_trade(self, book: _Book, data: bt.feed.DataBase, pred: Mapping[str, float], held: int) -> int:
        """At a close: exit on SELL, else decide an entry for the next open; returns 1 if one was decided."""
        position = self.getposition(data).size
        decision = pred.get("ml_decision", _NAN)
        if position and (decision < 0 or position < 0):
            self._exit(book, data)
            return 0
        if position:
            # the time exit is at the next open: roll into the next leg instead when it is still worth it,
            # counting no costs (none is paid to keep the position) - the rule a trader holding it follows
            due = len(data) + 1 - book.entry_len >= book.horizon
            if due and book.intent is None and self._wants_trade(pred, rolling=True):
                book.intent = dict(pred, roll=1.0)
            return 0
        if book.pending():
            return 0
        for order in book.alive():
            self.cancel(order)
        if not self._wants_trade(pred, rolling=False) or not self.rules.allow_entry(held):
            return 0
        book.intent = dict(pred)
        return 1

    def _wants_trade(self, pred: Mapping[str, float], rolling: bool) -> bool:
        """The entry rule (:func:`trade_wanted`) with this strategy's parameters."""
        return trade_wanted(pred, min_edge=self.p.min_edge, min_confidence=self.p.min_confidence,
                            max_risk=self.p.max_risk, rolling=rolling)

    def prenext_open(self) -> None:
        self.next_open()

    def next_open(self) -> None:
        """Cheat-on-open (``bracket="trade"``): time exits, then the entries decided at the last close."""
        if self.p.bracket != "trade":
            return
        cash = self.broker.getcash()
        for i, data in enumerate(self.datas):
            book = self._books[i]
            if len(data) == 0 or len(data) == book.seen_open:
                continue
            book.seen_open = len(data)
            intent, book.intent = book.intent, None
            position = self.getposition(data).size
            if position:
                if len(data) - book.entry_len >= book.horizon:
                    if intent is not None and intent.get("roll") and not self.rules.tripped:
                        self._roll(book, data, intent, position)
                    else:
                        self._exit(book, data)  # the time exit, at this open
            elif intent is not None and not self.rules.tripped:
                cash -= self._enter_trade(book, data, intent, cash)

    def _barrier_orders(self, book: _Book, data: bt.feed.DataBase, pred: Mapping[str, float], size: float,
                        price: float) -> tuple[float, float]:
        """Stop and target of a leg entered at *price* (one cancels the other); returns their prices."""
        from tradeforge.models.targets import TradeSpec

        stop_price, target = TradeSpec.barrier_prices(price, pred["ml_take"], pred["ml_stop"])
        low = self.sell(data=data, size=size, exectype=bt.Order.Stop, price=stop_price)
        high = self.sell(data=data, size=size, exectype=bt.Order.Limit, price=target, oco=low)
        book.children, book.exit = [low, high], None
        book.entry_len, book.horizon = len(data), int(pred["ml_horizon"])
        return stop_price, target

    def _roll(self, book: _Book, data: bt.feed.DataBase, pred: Mapping[str, float], size: float) -> None:
        """Keep the position as the next leg: new stop and target from this open, a new time exit."""
        for order in book.alive():
            self.cancel(order)
        self._barrier_orders(book, data, pred, size, float(data.open[0]))

    def _enter_trade(self, book: _Book, data: bt.feed.DataBase, pred: Mapping[str, float],
                     cash: float) -> float:
        """Market entry at this open, stop and target from it (the model's trade); returns the cash used."""
        price = float(data.open[0])
        stop, p = pred["ml_stop"], pred["ml_proba"]
        payoff, loss, cost = pred["ml_payoff"], pred["ml_loss"], pred["ml_cost"]
        usable = all(math.isfinite(v) for v in (price, payoff, loss, cost)) and payoff > cost >= 0.0
        if not (usable and price > 0.0 and loss > 0.0 and 0.0 <= p <= 1.0):
            return 0.0
        ratio = trade_payoff_ratio(payoff, loss, cost)  # the same p and payoff as the entry rule
        # a live broker has no simulated slippage (its fills are the market's): none to keep cash for
        slip = float(getattr(self.broker.p, "slip_perc", 0.0) or 0.0)
        fee = self.broker.getcommissioninfo(data).getcommission(1.0, price) + price * slip
        size = position_size(self.broker.getvalue(), price, price * stop, self.p.risk_per_trade,
                             self.p.max_position_pct, p, ratio, self.p.kelly_fraction,
                             cash=cash * price / (price + 2.0 * fee), fractional=self.p.fractional)
        if size <= 0.0:
            return 0.0
        book.entry = self.buy(data=data, size=size, exectype=bt.Order.Market)
        stop_price, target = self._barrier_orders(book, data, pred, size, price)
        self.entry_log.append(dict(date=self.datetime.datetime(0), symbol=data._name, size=size, price=price,
                                   stop=stop_price, take_profit=target, equity=self.broker.getvalue(),
                                   cash=cash))
        return size * (price + 2.0 * fee)

    def _barriers(self, pred: Mapping[str, float]) -> tuple[float, float] | None:
        """Stop and take-profit distances as fractions of the reference price (None if unusable)."""
        if self.p.bracket == "fixed":
            return self.p.stop_loss, self.p.take_profit
        sigma = pred.get("ml_sigma", _NAN)
        if not (math.isfinite(sigma) and sigma > 0.0):
            return None
        down, up = self.p.stop_mult * sigma, self.p.tp_mult * sigma
        return (down, up) if down < 1.0 else None

    def _enter(self, book: _Book, data: bt.feed.DataBase, pred: Mapping[str, float], cash: float) -> float:
        barriers = self._barriers(pred)
        proba = pred.get("ml_proba", _NAN)
        price = float(data.close[0])
        if barriers is None or not (0.0 <= proba <= 1.0) or not (math.isfinite(price) and price > 0.0):
            return 0.0
        down, up = barriers
        equity = self.broker.getvalue()
        fee = self.broker.getcommissioninfo(data).getcommission(1.0, price)  # per share: keep cash for it
        size = position_size(equity, price, price * down, self.p.risk_per_trade, self.p.max_position_pct,
                             proba, up / down, self.p.kelly_fraction, cash=cash * price / (price + fee),
                             fractional=self.p.fractional)
        if size <= 0.0:
            return 0.0
        stop, limit = price * (1.0 - down), price * (1.0 + up)
        orders = self.buy_bracket(
            data=data, size=size, exectype=bt.Order.Market, stopprice=stop, limitprice=limit
        )
        book.entry, book.children, book.exit = orders[0], list(orders[1:]), None
        self.entry_log.append(dict(date=self.datetime.datetime(0), symbol=data._name, size=size, price=price,
                                   stop=stop, take_profit=limit, equity=equity, cash=cash))
        return size * (price + fee)

    def _exit(self, book: _Book, data: bt.feed.DataBase) -> None:
        """Cancel the bracket children, then close the position at the next open."""
        for order in book.alive():
            self.cancel(order)
        if book.exit is None or not book.exit.alive():
            book.exit = self.close(data=data)

    def _flatten(self, i: int, data: bt.feed.DataBase) -> None:
        """Kill switch: cancel every order of the symbol and close its position."""
        book = self._books[i]
        book.seen, book.intent = len(data), None
        if self.getposition(data).size:
            self._exit(book, data)
        else:
            for order in book.alive():
                self.cancel(order)
