"""The fake's fills equal backtrader's BackBroker fills (no commission, no slippage) for the same orders.

A seeded script places market, limit, stop, stop-limit and bracket orders (and cancels some) on random bars
with gaps; it runs once in a backtrader strategy on BackBroker and once against the fake (directly on its
account engine for many seeds, and through the real TradingClient for one), and the fills (bar, order,
side, size, price), the final cash and the final value must be identical.
"""

from __future__ import annotations

import backtrader as bt
import numpy as np
import pandas as pd
import pytest

from tradeforge.testing._fake_engine import AccountEngine, EngineError, strictly_increasing_clock

CASH = 1_000_000.0
MARGINS: list[set[str]] = []  # tags backtrader refused with Margin, per run (the margin test reads them)
SYMBOL = "TEST"


def make_bars(seed: int, n: int) -> pd.DataFrame:
    """A random walk with overnight-style gaps on some bars (so gap fills at the open are exercised)."""
    rng = np.random.default_rng(seed)
    opens, highs, lows, closes = [], [], [], []
    close = 100.0
    for _ in range(n):
        gap = rng.normal(0, 1.5) if rng.random() < 0.25 else rng.normal(0, 0.2)
        o = round(close + gap, 2)
        c = round(o + rng.normal(0, 1.0), 2)
        h = round(max(o, c) + abs(rng.normal(0, 0.8)), 2)
        low = round(min(o, c) - abs(rng.normal(0, 0.8)), 2)
        opens.append(o), highs.append(h), lows.append(low), closes.append(c)
        close = c
    idx = pd.date_range("2024-01-02 14:30", periods=n, freq="1min")
    return pd.DataFrame({"open": opens, "high": highs, "low": lows, "close": closes,
                         "volume": 1000.0}, index=idx)


def make_script(seed: int, bars: pd.DataFrame,
                max_qty: int = 20) -> tuple[dict[int, list[dict]], dict[int, list[str]]]:
    """{bar index: [order spec]} and {bar index: [tag to cancel]}, placed after that bar closed."""
    rng = np.random.default_rng(seed + 1000)
    orders: dict[int, list[dict]] = {}
    cancels: dict[int, list[str]] = {}
    tags: list[str] = []
    for i in range(len(bars) - 1):
        c = float(bars["close"].iloc[i])
        if rng.random() < 0.12 and tags:
            cancels.setdefault(i, []).append(tags[int(rng.integers(len(tags)))])
        if rng.random() > 0.4:
            continue
        side = "buy" if rng.random() < 0.5 else "sell"
        sign = 1 if side == "buy" else -1
        kind = str(rng.choice(["market", "limit", "stop", "stop_limit", "bracket", "bracket_limit"]))
        away = float(rng.uniform(0.002, 0.03))
        spec = {"tag": f"o{len(tags)}", "side": side, "qty": int(rng.integers(1, max_qty)), "kind": kind}
        if kind == "limit":
            spec["limit"] = round(c * (1 - sign * away), 2)
        elif kind == "stop":
            spec["stop"] = round(c * (1 + sign * away), 2)
        elif kind == "stop_limit":
            spec["stop"] = round(c * (1 + sign * away), 2)
            spec["limit"] = round(spec["stop"] * (1 + sign * float(rng.uniform(-0.01, 0.01))), 2)
        elif kind.startswith("bracket"):
            entry = c if kind == "bracket" else round(c * (1 - sign * away / 3), 2)
            if kind == "bracket_limit":
                spec["limit"] = entry
            spec["tp"] = round(entry * (1 + sign * float(rng.uniform(0.003, 0.03))), 2)
            spec["sl"] = round(entry * (1 - sign * float(rng.uniform(0.003, 0.03))), 2)
        orders.setdefault(i, []).append(spec)
        tags.append(spec["tag"])
    return orders, cancels


# ---------------------------------------------------------------------------------------------- backtrader
class _Scripted(bt.Strategy):
    params = (("orders", None), ("cancels", None))

    def __init__(self) -> None:
        self.fills: list[tuple] = []
        self.margin: set[str] = set()
        self.by_tag: dict[str, bt.Order] = {}
        self.index_of = {}

    def next(self) -> None:
        i = len(self) - 1
        self.index_of[round(self.data.datetime[0], 6)] = i
        for tag in self.p.cancels.get(i, []):
            self.cancel(self.by_tag[tag])
        for spec in self.p.orders.get(i, []):
            self._place(spec)

    def _place(self, spec: dict) -> None:
        buy = spec["side"] == "buy"
        kind, size, tag = spec["kind"], spec["qty"], spec["tag"]
        if kind.startswith("bracket"):
            bracket = self.buy_bracket if buy else self.sell_bracket
            exectype = bt.Order.Limit if kind == "bracket_limit" else bt.Order.Market
            parent, stop, limit = bracket(size=size, exectype=exectype, price=spec.get("limit"),
                                          stopprice=spec["sl"], limitprice=spec["tp"])
            parent.addinfo(tag=tag), stop.addinfo(tag=tag + ".sl"), limit.addinfo(tag=tag + ".tp")
            self.by_tag[tag] = parent
            return
        send = self.buy if buy else self.sell
        if kind == "market":
            order = send(size=size, exectype=bt.Order.Market)
        elif kind == "limit":
            order = send(size=size, exectype=bt.Order.Limit, price=spec["limit"])
        elif kind == "stop":
            order = send(size=size, exectype=bt.Order.Stop, price=spec["stop"])
        else:
            order = send(size=size, exectype=bt.Order.StopLimit, price=spec["stop"], plimit=spec["limit"])
        order.addinfo(tag=tag)
        self.by_tag[tag] = order

    def notify_order(self, order: bt.Order) -> None:
        if order.status == order.Margin:
            self.margin.add(order.info.tag)
        if order.status in (order.Completed, order.Margin) and order.executed.size:
            bar = self.index_of.get(round(order.executed.dt, 6), len(self) - 1)
            side = "buy" if order.isbuy() else "sell"
            self.fills.append((bar, order.info.tag, side, abs(order.executed.size), order.executed.price))


def run_backtrader(bars: pd.DataFrame, orders: dict, cancels: dict,
                   cash: float = CASH) -> tuple[list[tuple], float, float]:
    cerebro = bt.Cerebro(stdstats=False)
    cerebro.broker.setcash(cash)
    cerebro.adddata(bt.feeds.PandasData(dataname=bars))
    cerebro.addstrategy(_Scripted, orders=orders, cancels=cancels)
    strat = cerebro.run()[0]
    MARGINS.append(strat.margin)
    return strat.fills, cerebro.broker.getcash(), cerebro.broker.getvalue()


# ---------------------------------------------------------------------------------------------- the fake
def payload(spec: dict) -> dict:
    kind = spec["kind"]
    body = {"symbol": SYMBOL, "qty": spec["qty"], "side": spec["side"], "time_in_force": "gtc",
            "client_order_id": spec["tag"]}
    if kind.startswith("bracket"):
        body.update(type="limit" if kind == "bracket_limit" else "market", order_class="bracket",
                    take_profit={"limit_price": spec["tp"]}, stop_loss={"stop_price": spec["sl"]})
        if kind == "bracket_limit":
            body["limit_price"] = spec["limit"]
    else:
        body["type"] = kind
        body.update({k + "_price": spec[k] for k in ("limit", "stop") if k in spec})
    return body


def fill_row(fill: dict, index_of: dict) -> tuple:
    tag = fill["client_order_id"]
    if fill["role"] is not None:
        tag = fill["parent_client_order_id"] + (".tp" if fill["role"] == "take_profit" else ".sl")
    return (index_of[fill["bar_time"]], tag, fill["side"], fill["qty"], fill["price"])


def run_engine(bars: pd.DataFrame, orders: dict, cancels: dict, cash: float = CASH,
               margin: set[str] | None = None) -> tuple[list[tuple], float, float]:
    engine = AccountEngine(cash, strictly_increasing_clock())
    ids: dict[str, str] = {}
    index_of = {}
    for i, (ts, row) in enumerate(bars.iterrows()):
        t = ts.tz_localize("UTC").to_pydatetime()
        index_of[t] = i
        engine.on_bar(SYMBOL, t, row["open"], row["high"], row["low"], row["close"])
        for tag in cancels.get(i, []):
            try:
                engine.cancel(ids.get(tag, "refused at submission"))
            except EngineError:
                pass  # already filled or canceled: backtrader ignores it too
        for spec in orders.get(i, []):
            try:
                order, _ = engine.submit(payload(spec))
            except EngineError as err:
                assert err.status == 403
                margin is not None and margin.add(spec["tag"])
                continue
            ids[spec["tag"]] = order.id
    if margin is not None:
        margin |= {o.client_order_id for o in engine.orders.values()
                   if o.parent is None and o.status in ("rejected", "canceled") and o.canceled_at is None
                   or o.status == "canceled" and o.filled_qty > 0}
    return [fill_row(f, index_of) for f in engine.fills], engine.cash, engine.equity()


def assert_same(bt_result, fake_result) -> None:
    bt_fills, bt_cash, bt_value = bt_result
    fake_fills, fake_cash, fake_value = fake_result
    assert len(bt_fills) > 10
    # backtrader averages executed.price (size * price / size), which can move the last bit of a float
    assert [f[:4] for f in fake_fills] == [(b, t, s, float(q)) for b, t, s, q, _ in bt_fills]
    assert [f[4] for f in fake_fills] == pytest.approx([f[4] for f in bt_fills], rel=1e-12)
    assert fake_cash == pytest.approx(bt_cash, rel=1e-12, abs=1e-6)
    assert fake_value == pytest.approx(bt_value, rel=1e-12, abs=1e-6)


@pytest.mark.parametrize("seed", range(12))
def test_engine_fills_equal_backbroker(seed):
    bars = make_bars(seed, 150)
    orders, cancels = make_script(seed, bars)
    assert_same(run_backtrader(bars, orders, cancels), run_engine(bars, orders, cancels))


@pytest.mark.parametrize("seed", range(6))
def test_margin_refusals_equal_backbroker(seed):
    """Little cash, big orders: refusals at submission and at execution (a gap) match backtrader's Margin."""
    bars = make_bars(seed, 150)
    orders, cancels = make_script(seed, bars, max_qty=80)
    margin: set[str] = set()
    bt_result = run_backtrader(bars, orders, cancels, cash=4_000.0)
    assert_same(bt_result, run_engine(bars, orders, cancels, cash=4_000.0, margin=margin))
    assert MARGINS[-1] and margin == {tag.split(".")[0] for tag in MARGINS[-1]}


def test_script_covers_every_fill_path():
    kinds, tags = set(), set()
    for seed in range(12):
        bars = make_bars(seed, 150)
        orders, cancels = make_script(seed, bars)
        fills = run_engine(bars, orders, cancels)[0]
        by_tag = {s["tag"]: s["kind"] for specs in orders.values() for s in specs}
        kinds |= {by_tag[t.split(".")[0]] for _, t, *_ in fills}
        tags |= {t.split(".")[1] for _, t, *_ in fills if "." in t}
    assert kinds == {"market", "limit", "stop", "stop_limit", "bracket", "bracket_limit"}
    assert tags == {"tp", "sl"}


def test_fills_through_the_real_trading_client_equal_backbroker(fake, trading):
    from alpaca.common.exceptions import APIError

    bars = make_bars(7, 60)
    orders, cancels = make_script(7, bars)
    ids: dict[str, str] = {}
    fills, index_of = [], {}
    for i, (ts, row) in enumerate(bars.iterrows()):
        index_of[ts.tz_localize("UTC").to_pydatetime()] = i
        fills += fake.push_bar(SYMBOL, ts, row["open"], row["high"], row["low"], row["close"], row["volume"])
        for tag in cancels.get(i, []):
            try:
                trading.cancel_order_by_id(ids[tag])
            except APIError as err:
                assert err.status_code == 422
        for spec in orders.get(i, []):
            ids[spec["tag"]] = str(trading.post("/orders", payload(spec))["id"])
    account = trading.get_account()
    got = ([fill_row(f, index_of) for f in fills], float(account.cash), float(account.equity))
    assert fake.account["cash"] != CASH
    assert_same(run_backtrader(bars, orders, cancels, cash=100_000.0), got)
    assert float(account.cash) == fake.account["cash"]  # the REST view round-trips the float exactly
