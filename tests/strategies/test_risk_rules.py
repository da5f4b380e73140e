"""RiskRules: daily loss limit, drawdown kill switch and position limit on hand-made equity paths."""

from __future__ import annotations

import datetime as dt
import doctest

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tradeforge.strategies.risk as risk_module
from tradeforge.errors import ConfigError, DataError
from tradeforge.strategies.risk import RiskRules


def _days(n: int, start: dt.date = dt.date(2024, 1, 1)) -> list[dt.date]:
    return [start + dt.timedelta(days=k) for k in range(n)]


def test_daily_loss_limit_blocks_rest_of_day_and_lifts_next_day():
    rules = RiskRules(daily_loss_limit=0.03, max_drawdown=0.5, start_equity=100.0)
    t = dt.datetime(2024, 1, 2, 10)
    assert not rules.update(98.0, t).daily_blocked                      # -2 %: allowed
    status = rules.update(96.9, t + dt.timedelta(hours=1))              # -3.1 % from the day's start of 100
    assert status.daily_blocked and status.daily_loss == pytest.approx(0.031)
    assert not rules.allow_entry(0)
    assert "daily loss limit" in rules.entry_block_reason(0)
    assert rules.update(101.0, t + dt.timedelta(hours=2)).daily_blocked  # recovery the same day: still blocked
    # next day: start equity is the last equity of the previous day (101), the block lifts
    status = rules.update(99.0, dt.datetime(2024, 1, 3, 10))
    assert not status.daily_blocked and status.daily_loss == pytest.approx(1 - 99 / 101)
    assert rules.allow_entry(0)
    # -3 % or more from 101 blocks again
    assert rules.update(97.9, dt.datetime(2024, 1, 3, 11)).daily_blocked


def test_daily_start_without_start_equity_is_first_equity():
    rules = RiskRules(daily_loss_limit=0.05)
    assert rules.update(1000.0, dt.date(2024, 1, 1)).daily_loss == 0.0
    assert rules.peak == 1000.0
    assert rules.update(940.0, dt.date(2024, 1, 2)).daily_blocked       # -6 % from 1000


def test_kill_switch_trips_at_threshold_and_stays_tripped_until_reset():
    rules = RiskRules(daily_loss_limit=1.0, max_drawdown=0.2, start_equity=100.0)
    path = [105.0, 110.0, 100.0, 88.5, 88.0, 95.0, 120.0, 130.0]        # peak 110; 88 is exactly -20 %
    statuses = [rules.update(e, d) for e, d in zip(path, _days(len(path)), strict=True)]
    assert [s.tripped for s in statuses] == [False] * 4 + [True] * 4
    assert [s.just_tripped for s in statuses] == [False] * 4 + [True] + [False] * 3
    assert statuses[3].drawdown == pytest.approx(1 - 88.5 / 110)
    assert statuses[4].drawdown == pytest.approx(0.2)
    assert not rules.allow_entry(0) and "kill switch" in rules.entry_block_reason(0)
    assert rules.tripped_at == dt.date(2024, 1, 5)
    assert rules.peak == 130.0                                            # the peak keeps tracking
    rules.reset()
    assert not rules.tripped and rules.peak == 130.0 and rules.allow_entry(0)
    # after a reset the peak restarts from the last equity: a new 20 % fall from it trips again
    assert not rules.update(105.0, dt.date(2024, 2, 1)).tripped
    assert rules.update(104.0, dt.date(2024, 2, 2)).just_tripped         # 1 - 104/130 = 20 %


def test_reset_restarts_peak_from_last_equity():
    rules = RiskRules(daily_loss_limit=1.0, max_drawdown=0.1, start_equity=100.0)
    rules.update(85.0, dt.date(2024, 1, 2))
    assert rules.tripped
    rules.reset()
    assert rules.peak == 85.0 and rules.drawdown == 0.0
    assert not rules.update(80.0, dt.date(2024, 1, 3)).tripped          # -5.9 % from 85
    assert rules.update(76.0, dt.date(2024, 1, 4)).tripped              # -10.6 % from 85


@settings(max_examples=100, deadline=None)
@given(returns=st.lists(st.floats(-0.08, 0.08), min_size=1, max_size=60), limit=st.floats(0.02, 0.5),
       daily=st.floats(0.005, 0.2), bars_per_day=st.integers(1, 4))
def test_matches_a_direct_computation_on_random_paths(returns, limit, daily, bars_per_day):
    equity = 1000.0 * np.cumprod(1.0 + np.asarray(returns))
    days = [dt.date(2024, 1, 1) + dt.timedelta(days=k // bars_per_day) for k in range(len(equity))]
    rules = RiskRules(daily_loss_limit=daily, max_drawdown=limit, start_equity=1000.0)
    peaks = np.maximum.accumulate(np.r_[1000.0, equity])[1:]
    worst = np.maximum.accumulate(1.0 - equity / peaks)
    for k, (value, day) in enumerate(zip(equity.tolist(), days, strict=True)):
        status = rules.update(value, day)
        assert status.tripped == (worst[k] >= limit - 1e-12)       # trips once, never un-trips by itself
        first = k - k % bars_per_day                               # first bar of this day
        start = 1000.0 if first == 0 else equity[first - 1]
        day_losses = 1.0 - equity[first : k + 1] / start
        assert status.daily_blocked == bool((day_losses >= daily - 1e-12).any())


def test_max_open_positions():
    rules = RiskRules(max_open_positions=3)
    assert [rules.allow_entry(n) for n in range(5)] == [True, True, True, False, False]
    assert rules.entry_block_reason(3) == "max_open_positions=3 reached"


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"daily_loss_limit": 0.0}, "daily_loss_limit"),
        ({"daily_loss_limit": 1.5}, "daily_loss_limit"),
        ({"max_drawdown": float("nan")}, "max_drawdown"),
        ({"max_drawdown": "0.2"}, "max_drawdown"),
        ({"max_open_positions": 0}, "max_open_positions"),
        ({"max_open_positions": 2.5}, "max_open_positions"),
    ],
)
def test_bad_settings_raise_config_error_naming_the_argument(kwargs, needle):
    with pytest.raises(ConfigError, match=needle):
        RiskRules(**kwargs)


def test_bad_inputs_raise_data_error():
    rules = RiskRules()
    with pytest.raises(DataError, match="equity"):
        rules.update(float("nan"), dt.date(2024, 1, 1))
    with pytest.raises(DataError, match="when"):
        rules.update(100.0, "2024-01-01")
    rules.update(100.0, dt.date(2024, 1, 5))
    with pytest.raises(DataError, match="before the previous bar"):
        rules.update(100.0, dt.date(2024, 1, 4))


def test_docstring_examples_run():
    result = doctest.testmod(risk_module)
    assert result.attempted > 0 and result.failed == 0


# ----------------------------------------------------------------------------- persistence (live restarts)
def test_export_restore_round_trip_latches_the_kill_switch_across_a_restart():
    first = RiskRules(daily_loss_limit=1.0, max_drawdown=0.1, start_equity=100.0)
    first.update(110.0, dt.date(2024, 1, 2))
    first.update(98.0, dt.date(2024, 1, 3))                              # -10.9 % from 110: trips
    state = first.export_state()
    assert set(state) == set(risk_module.STATE_KEYS)
    assert state["tripped"] and state["tripped_at"] == dt.date(2024, 1, 3)
    assert state["high_water_mark"] == 110.0
    assert "max_drawdown=0.1" in state["tripped_reason"] and "110.00" in state["tripped_reason"]
    restarted = RiskRules(daily_loss_limit=1.0, max_drawdown=0.1)        # a fresh process
    restarted.restore_state(state)
    assert restarted.export_state() == state
    assert restarted.tripped and not restarted.allow_entry(0)
    assert restarted.update(130.0, dt.date(2024, 1, 4)).tripped          # a recovery does not re-arm it
    restarted.reset()
    assert not restarted.tripped and restarted.tripped_reason is None and restarted.peak == 130.0


def test_restored_daily_block_holds_the_same_day_and_lifts_the_next():
    rules = RiskRules(daily_loss_limit=0.03, max_drawdown=0.5, start_equity=100.0)
    rules.update(96.0, dt.datetime(2024, 1, 2, 10))
    again = RiskRules(daily_loss_limit=0.03, max_drawdown=0.5)
    again.restore_state(rules.export_state())
    assert again.day == dt.date(2024, 1, 2) and again.day_start_equity == 100.0
    assert again.update(99.0, dt.datetime(2024, 1, 2, 11)).daily_blocked
    status = again.update(99.0, dt.datetime(2024, 1, 3, 10))
    assert not status.daily_blocked and again.day_start_equity == 99.0  # the last equity of the day before


def test_reset_daily_lifts_the_block():
    rules = RiskRules(daily_loss_limit=0.03, start_equity=100.0)
    rules.update(96.0, dt.date(2024, 1, 2))
    rules.reset()
    assert rules.daily_blocked
    rules.reset(daily=True)
    assert not rules.daily_blocked and rules.day_start_equity == 96.0


def test_restore_refuses_unknown_keys_and_bad_numbers():
    with pytest.raises(ConfigError, match="unknown keys"):
        RiskRules().restore_state({"peak": 1.0})
    with pytest.raises(DataError, match="high_water_mark"):
        RiskRules().restore_state({"high_water_mark": float("nan")})


# ------------------------------------------------------------------------------------- the pre-trade gate
def _check(rules, **kw):
    base = dict(symbol="AAA", side="buy", qty=10, price=10.0, equity=1000.0, positions={})
    return risk_module.pre_trade_check(rules, **{**base, **kw})


def test_gate_allows_reductions_even_when_tripped_and_refuses_entries():
    rules = RiskRules(max_drawdown=0.1, start_equity=100.0)
    rules.update(80.0, dt.date(2024, 1, 2))
    assert "kill switch" in _check(rules)
    assert _check(rules, side="sell", qty=10, positions={"AAA": 10}) is None          # a close
    assert _check(rules, side="sell", qty=4, positions={"AAA": 10}) is None           # a partial close
    assert "kill switch" in _check(rules, side="sell", qty=15, positions={"AAA": 10})  # a flip to short
    assert "kill switch" in _check(rules, side="buy", qty=1, positions={"AAA": 10})    # adding to it


def test_gate_daily_block_and_max_open_positions_count_pending_entries():
    rules = RiskRules(daily_loss_limit=0.03, max_open_positions=2, start_equity=100.0)
    assert _check(rules, positions={"B": 1}) is None
    assert _check(rules, positions={"B": 1}, pending_entries=["C"]) == "max_open_positions=2 reached"
    assert _check(rules, positions={"B": 1, "C": 0}) is None                # flat ones do not count
    assert _check(rules, positions={"AAA": 5, "B": 1}, pending_entries=["C"]) is None  # grows a held one
    rules.update(96.0, dt.date(2024, 1, 2))
    assert "daily loss limit" in _check(rules)


def test_gate_max_position_size_is_a_fraction_of_equity_after_the_order():
    rules = RiskRules()
    assert _check(rules, qty=25, max_position_pct=0.25) is None                       # 250 of 1000
    reason = _check(rules, qty=26, max_position_pct=0.25)
    assert "max_position_pct=0.25" in reason and "260.00" in reason
    assert "would exceed" in _check(rules, qty=10, positions={"AAA": 20}, max_position_pct=0.25)
    assert "not a positive number" in _check(rules, qty=0)
    with pytest.raises(ConfigError, match="side"):
        _check(rules, side="long")
