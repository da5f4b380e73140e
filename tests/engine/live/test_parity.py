"""PARITY: the same bars through the live runner (real alpaca-py clients, fake Alpaca) and the backtest runner
(commission 0, slippage 0) give the same orders, fills and final value."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tradeforge.engine.live import LiveConfig
from tradeforge.engine.live._strategy import resolve_live_strategy
from tradeforge.engine.runner import run_backtest

from .conftest import Replay, minute_bars, now_minute_frames


def _backtest_fills(result) -> pd.DataFrame:
    done = result.orders[result.orders["status"] == "Completed"]
    return pd.DataFrame({"symbol": done["symbol"].to_numpy(), "side": done["side"].to_numpy(),
                         "qty": done["size"].abs().to_numpy(), "price": done["price"].to_numpy(),
                         "time": pd.DatetimeIndex(done["date"]).to_numpy()})


def _fake_fills(fake) -> pd.DataFrame:
    rows = [(f["symbol"], f["side"], float(f["qty"]), float(f["price"]),
             pd.Timestamp(f["bar_time"]).tz_convert(None) if pd.Timestamp(f["bar_time"]).tzinfo
             else pd.Timestamp(f["bar_time"])) for f in fake.fills]
    frame = pd.DataFrame(rows, columns=["symbol", "side", "qty", "price", "time"])
    frame["time"] = frame["time"].to_numpy().astype("datetime64[ns]")
    return frame


def _replay(fake, frames, config, warm):
    fake.set_market_open(True)
    for symbol, df in frames.items():
        fake.add_history(symbol, df.iloc[:warm])
    replay = Replay(fake, config).start()
    n = len(next(iter(frames.values())))
    for i in range(warm, n):
        replay.push(frames, i)
    return replay, replay.finish()


def _check_parity(fake, frames, backtest, live):
    bt_fills, live_fills = _backtest_fills(backtest), _fake_fills(fake)
    assert len(bt_fills) >= 2, "the scenario must trade"
    pd.testing.assert_frame_equal(live_fills.reset_index(drop=True), bt_fills.reset_index(drop=True),
                                  check_exact=False, rtol=1e-12, check_dtype=False)
    assert fake.account["equity"] == pytest.approx(float(backtest.equity.iloc[-1]), rel=1e-12)
    assert live.equity == pytest.approx(float(backtest.equity.iloc[-1]), rel=1e-12)
    return bt_fills


def test_sma_cross_live_equals_backtest(fake, tmp_path):
    params = {"fast": 5, "slow": 15}
    warm = resolve_live_strategy("sma_cross", params).warmup
    frames = now_minute_frames({"SPY": minute_bars(140, seed=11)}, history=warm)
    config = LiveConfig(strategy="sma_cross", symbols=("SPY",), timeframe="1m", params=params,
                        journal_root=str(tmp_path / "journal"), max_drawdown=1.0, daily_loss_limit=1.0)
    replay, live = _replay(fake, frames, config, warm)
    backtest = run_backtest(frames, "sma_cross", params, commission=0.0, slippage_bps=0.0)
    fills = _check_parity(fake, frames, backtest, live)
    assert live.bars == len(frames["SPY"]) - warm and live.refused == []
    assert len(fills) == len(fake.fills) and live.orders == len(fake.orders)
    assert np.all([fake.post_count(o["client_order_id"]) == 1 for o in fake.orders])
    print(f"PARITY sma_cross: {len(fills)} fills, final value {live.equity:.2f}, {live.bars} live bars")


ML_FAST = {"fast": True, "garch_window": 50, "garch_refit_every": 150, "lstm_epochs": 1,
           "base_models": "lgbm,xgb", "ensemble_splits": 2, "lstm_oof_splits": 1, "lstm_lookback": 5,
           "label_horizon": 5, "commission": 0.0,  # the trade labelled = the commission-free one traded
           "buy_threshold": 0.42, "sell_threshold": 0.41}  # a small, fast model that trades both ways
# live ML trades fixed brackets (bracket="trade" is refused live, see test_trade_bracket_is_refused_live)
ML_PARAMS = {"bracket": "fixed", "min_confidence": 0.0, "max_risk": 10.0, "stop_loss": 0.004,
             "take_profit": 0.006, "risk_per_trade": 0.05, "max_position_pct": 0.5, "kelly_fraction": 0.0}


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    from tradeforge.engine.train import train_models

    root = tmp_path_factory.mktemp("registry")
    result = train_models("synth:symbols=1,bars=260,freq=1m,seed=3", registry=root, seed=0, params=ML_FAST,
                          timeframes="1m")
    return root, result.version


def test_ml_with_a_saved_model_live_equals_backtest(fake, tmp_path, registry):
    from tradeforge.feeds import load
    from tradeforge.models.registry import ModelRegistry

    root, version = registry
    strat = resolve_live_strategy("ml", ML_PARAMS, registry=str(root))        # --model: the newest
    assert strat.model_version == version
    warm = strat.warmup
    [df] = load("synth:symbols=1,bars=125,freq=1m,seed=5").values()
    frames = now_minute_frames({"QQQ": df}, history=warm)
    config = LiveConfig(strategy="ml", symbols=("QQQ",), timeframe="1m", params=ML_PARAMS, registry=str(root),
                        model=version, journal_root=str(tmp_path / "journal"), max_drawdown=1.0,
                        daily_loss_limit=1.0)
    replay, live = _replay(fake, frames, config, warm)
    assert live.model_version == version
    pipeline = ModelRegistry(root).load(version)["pipeline"]
    backtest = run_backtest(frames, "ml", {**ML_PARAMS, "predictor": pipeline}, commission=0.0,
                            slippage_bps=0.0)
    fills = _check_parity(fake, frames, backtest, live)
    brackets = [o for o in fake.orders if o.get("order_class") == "bracket" and o["type"] == "market"]
    assert brackets, "the ml scenario must place bracket entries"
    from tradeforge.brokers.journal import Journal

    root = tmp_path / "journal"
    with Journal.open(account="PA1TEST0001", mode="paper", root=root, create=False) as journal:
        signals = journal.signals_frame()
    assert len(signals) == live.bars                                   # one journaled signal per live bar
    assert set(signals["decision"]) <= {"buy", "sell", "hold"} and "buy" in set(signals["decision"])
    assert signals["confidence"].notna().all()
    bars = [e for e in replay.events if e["event"] == "bar"]               # the bar events carry them too
    assert [e["confidence"]["QQQ"] for e in bars] == pytest.approx(signals["confidence"].tolist())
    print(f"PARITY ml: {len(fills)} fills ({len(brackets)} brackets), final value {live.equity:.2f}, "
          f"{live.bars} live bars")


def test_trade_bracket_is_refused_live(registry):
    from tradeforge.errors import ConfigError

    root, _ = registry
    with pytest.raises(ConfigError, match="bracket='trade'.*bracket=fixed"):
        defaults = {k: v for k, v in ML_PARAMS.items() if k != "bracket"}
        resolve_live_strategy("ml", defaults, registry=str(root))
