"""The nightly champion/challenger retrain on real (synthetic-universe) data with the real pipeline."""

from __future__ import annotations

import json

import pytest

from tradeforge.engine.schedule.retrain import Retrainer, champion_version, record_decision
from tradeforge.errors import ConfigError
from tradeforge.feeds import load

pytestmark = pytest.mark.filterwarnings("ignore:Got `batch_size`:UserWarning")  # sklearn MLP, tiny data
FAST = {"fast": True, "garch_window": 60, "lstm_epochs": 1, "base_models": ("lgbm", "rf"),
        "ensemble_splits": 2}


def test_first_challenger_is_promoted_then_both_are_scored_on_the_same_holdout(tmp_path):
    frames = load("synth:symbols=1,bars=400,freq=1d,seed=3,edge=0.3")
    records = []
    retrain = Retrainer(lambda: frames, tmp_path, holdout_bars=80, params=FAST, record=records.append)
    first = retrain()
    assert first.promoted and first.champion is None and first.reason == "no champion yet"
    assert champion_version(tmp_path) == first.challenger
    second = retrain()                                    # same data and seed: identical scores, no worse
    assert second.champion == first.challenger and second.challenger != first.challenger
    assert second.champion_scores == pytest.approx(second.challenger_scores)
    assert second.promoted and champion_version(tmp_path) == second.challenger
    history = json.loads((tmp_path / "champion.json").read_text())["history"]
    assert [h["promoted"] for h in history] == [True, True] and records == history
    assert history[1]["champion_scores"]["n"] == history[1]["challenger_scores"]["n"] > 0
    assert set(history[1]["challenger_scores"]) == {"auc", "brier", "n"}
    assert second.holdout_start == history[1]["holdout_start"] == str(frames["SYN00"].index[-80])

    from datetime import UTC, datetime

    from tradeforge.brokers.journal import Journal

    with Journal.open(f"sqlite:///{tmp_path / 'j.db'}", account="PA1TEST0001", mode="paper") as journal:
        for outcome in (first, second):
            record_decision(journal, outcome, datetime(2024, 1, 2, 1, 0, tzinfo=UTC))
        rows = journal.model_decisions_frame()
        assert journal.signals_frame().empty
    assert rows["challenger"].tolist() == [first.challenger, second.challenger]
    assert rows["champion"].tolist() == [None, first.challenger] and rows["promoted"].all()
    assert rows["champion_scores"].iloc[0] is None
    assert rows["challenger_scores"].iloc[1] == pytest.approx(dict(second.challenger_scores))
    assert str(rows["holdout_start"].iloc[1].tz_convert(None)) == second.holdout_start


def test_holdout_must_leave_room_to_train(tmp_path):
    frames = load("synth:symbols=1,bars=100,freq=1d,seed=0")
    with pytest.raises(ConfigError, match="holdout_bars: 80 leaves too little"):
        Retrainer(lambda: frames, tmp_path, holdout_bars=80)()
    with pytest.raises(ConfigError, match="holdout_bars: got 5"):
        Retrainer(lambda: frames, tmp_path, holdout_bars=5)
