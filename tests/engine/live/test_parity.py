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
