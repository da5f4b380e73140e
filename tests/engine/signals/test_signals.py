"""Stage 2 and ``compute_signals``: the pipeline's numbers, MLStrategy's decisions, JSON shape, ``--at``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

from tradeforge.engine import run_backtest
from tradeforge.engine.signals import SignalConfig, SignalModel, compute_signals, entry_wanted
from tradeforge.errors import ConfigError, ModelError

from .conftest import UNIVERSE

RISK_KEYS = ["forecast_volatility", "var_95", "cvar_95", "correlation_spy", "correlation_qqq", "beta"]
SIGNAL_KEYS = ["symbol", "price", "decision", "confidence", "expected_return", "risk_score", "time_horizon",
               "momentum_score", "predictions", "risk_metrics"]


@pytest.fixture(scope="module")
def model(universe, trained):
    _, result = trained
    bench = {b: df["close"] for b, df in universe.benchmarks.items()}
    return SignalModel(result.pipeline, bench)


def _windows(model, universe, at, symbols):
    return {s: model.window_of(universe.frames[s].loc[:at]) for s in symbols}


def test_batched_model_lines_equal_the_pipelines_predict_latest(model, universe, trained):
    pipe = trained[1].pipeline
    syms = ["SYN00", "SYN03", "SYN07", "SYN11"]
    for at in universe.frames["SYN00"].index[[-1, -60, -170]]:
        windows = _windows(model, universe, at, syms)
        got = model.predict_many(windows)
        for s, w in windows.items():
            need = max(model.warmup, 100)
            assert need <= len(w) < need + pipe.garch_refit_every and w.index[-1] == at
            assert universe.frames[s].index.get_loc(w.index[0]) % pipe.garch_refit_every == 0
            with threadpool_limits(limits=1):  # as in SignalModel.prepare: GARCH fits depend on it
                ref = pipe.predict_latest(w)
            assert got[s]["ml_decision"] == ref["ml_decision"], (at, s)  # the same decision
            for key in ("ml_proba", "ml_confidence", "ml_expected_return", "ml_payoff", "ml_loss", "ml_cost",
                        "ml_take", "ml_stop", "ml_horizon", "pred_1d"):  # float32 rounding
                assert got[s][key] == pytest.approx(ref[key], rel=1e-5, abs=1e-9), (at, s, key)
            assert np.isfinite(got[s]["ml_proba"]) and 1 <= got[s]["ml_risk"] <= 10


class _LastBar:
    """MLStrategy predictor that predicts on the window's last bar only (warm-up = the window's length).

    The feed carries one bar more, so that an entry signalled at the window's last bar fills (and is
    recorded); on that extra bar it predicts nothing.
    """

    window = None

    def __init__(self, model, bars):
        self.model, self.warmup = model, bars

    def predict_latest(self, window):
        return self.model.predict_latest(window) if len(window) == self.warmup else {}


def test_decisions_equal_mlstrategy_on_the_same_bars_with_the_same_model(model, universe):
    min_conf, max_risk = 0.3, 5.0
    outcomes = []
    for at in universe.frames["SYN00"].index[[-2, -25, -80]]:
        config = SignalConfig(universe=UNIVERSE, at=at, candidates=11, min_confidence=min_conf,
                              max_risk=max_risk)
        report = compute_signals(config, model=(model.pipeline, "test"))
        kept = {s["symbol"] for s in report.signals}
        others = [c for c in report.candidates if c["decision"] != "BUY"][:2]
        for cand in [c for c in report.candidates if c["decision"] == "BUY"] + others:
            sym = cand["symbol"]
            window = model.window_of(universe.frames[sym].loc[:at])
            frame = universe.frames[sym]
            feed = frame.iloc[frame.index.get_loc(window.index[0]):frame.index.get_loc(at) + 2]
            params = {"predictor": _LastBar(model, len(window)), "min_confidence": min_conf,
                      "max_risk": max_risk, "fractional": True}
            res = run_backtest({sym: feed}, "ml", params)
            buys = res.orders[(res.orders["side"] == "buy") & (res.orders["status"] == "Completed")]
            entered = len(buys) > 0
            assert not entered or buys["date"].iloc[0] == feed.index[-1]
            assert entered == (sym in kept), (at, sym, cand["lines"])
            assert entered == entry_wanted(cand["lines"], min_conf, max_risk)
            outcomes.append(entered)
    assert any(outcomes) and not all(outcomes)  # both kinds of decisions were compared


def test_signal_json_shape_filters_and_order(model, universe):
    report = compute_signals(SignalConfig(universe=UNIVERSE, candidates=12, min_confidence=0.3, max_risk=6.0,
                                          top=3), model=(model.pipeline, "v1"))
    assert len(report.candidates) == 12 and report.model_version == "v1"
    for sig in report.candidates:
        assert list(sig)[:10] == SIGNAL_KEYS and list(sig["risk_metrics"]) == RISK_KEYS
        assert sig["decision"] in ("BUY", "SELL", "HOLD")
        # the holding period of the model's trade: label_horizon bars of the model's bar size
        assert pd.Timedelta(sig["time_horizon"]) == model.pipeline.label_horizon * model.bar
        assert list(sig["predictions"]) == ["1d"] and set(sig["predictions"]["1d"]) == {"price", "return"}
        for key in ("price", "confidence", "expected_return", "momentum_score"):
            assert isinstance(sig[key], float)
        assert isinstance(sig["risk_score"], int) and 1 <= sig["risk_score"] <= 10
        assert all(isinstance(v, float) for v in sig["risk_metrics"].values())
        assert sig["predictions"]["1d"]["price"] == pytest.approx(sig["price"] * (1 + sig["predictions"]["1d"]
                                                                                     ["return"]))
    passing = [c for c in report.candidates if c["decision"] == "BUY" and c["confidence"] >= 0.3
               and c["risk_score"] <= 6]
    passing.sort(key=lambda c: (-c["confidence"], -c["momentum_score"]))
    assert [s["symbol"] for s in report.signals] == [c["symbol"] for c in passing[:3]]
    assert report.signals and all(list(s) == SIGNAL_KEYS for s in report.signals)
    steps = {f"stage2_{k}" for k in ("features", "garch", "lstm", "ensemble", "risk")}
    assert set(report.timings) == {"load", "scan", "model", "history", "stage2", "total", *steps}


def test_at_reads_nothing_after_it(model, universe):
    at = universe.frames["SYN00"].index[-40]
    frames = {**universe.frames, **universe.benchmarks}
    rng = np.random.default_rng(0)
    changed = {}
    for s, df in frames.items():
        df = df.copy()
        after = df.index > at
        df.loc[after, ["open", "high", "low", "close"]] *= rng.uniform(0.5, 1.5, (after.sum(), 1))
        df.loc[after, "volume"] *= 3.0
        changed[s] = df
    config = SignalConfig(universe=UNIVERSE, at=at, candidates=6, min_confidence=0.0, max_risk=10.0)
    a = compute_signals(config, frames=frames, model=(model.pipeline, "v"))
    b = compute_signals(config, frames=changed, model=(model.pipeline, "v"))
    assert a.at == b.at == at
    assert a.candidates == b.candidates and a.signals == b.signals
    pd.testing.assert_frame_equal(a.scan, b.scan, check_exact=True)
    full = compute_signals(config.replace(at=None), frames=frames, model=(model.pipeline, "v"))
    assert full.at > at and full.candidates != a.candidates


def test_no_trained_model_names_the_train_command(tmp_path):
    config = SignalConfig(universe=UNIVERSE, registry=str(tmp_path / "empty"))
    with pytest.raises(ModelError, match=r"tradeforge train --data 'synth:symbols=4,bars=500,freq=1d,seed=3"):
        compute_signals(config)


def test_scan_stage_needs_no_model_and_config_errors(tmp_path):
    report = compute_signals(universe=UNIVERSE, stage="scan", candidates=4, registry=str(tmp_path / "none"))
    assert report.signals == [] and len(report.scan_records()) == 4 and len(report.scan) == 12
    with pytest.raises(ConfigError, match="Did you mean 'scan'"):
        SignalConfig(stage="scna")
    with pytest.raises(ConfigError, match="unknown SignalConfig setting 'topp'"):
        SignalConfig.from_mapping({"topp": 3})
    with pytest.raises(ConfigError, match="at: cannot parse"):
        SignalConfig(at="yesterday-ish")


def test_dask_stage2_gives_the_same_signals(model):
    from distributed import LocalCluster

    config = SignalConfig(universe=UNIVERSE, candidates=6, min_confidence=0.3, max_risk=10.0)
    local = compute_signals(config, model=(model.pipeline, "v"))
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, protocol="tcp", host="127.0.0.1",
                      dashboard_address=None) as cluster:
        remote = compute_signals(config.replace(scheduler=cluster.scheduler_address),
                                 model=(model.pipeline, "v"))
    assert remote.candidates == local.candidates and remote.signals == local.signals
    with pytest.raises(ConfigError, match="cannot reach a Dask scheduler"):
        compute_signals(config.replace(scheduler="tcp://127.0.0.1:9"), model=(model.pipeline, "v"))
