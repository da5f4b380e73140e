"""``compute_signals``: universe -> scanner -> candidates' models -> filtered, ranked BUY signals.

The signal of a candidate is the pipeline's decision at its last bar (BUY when the expected value of the
model's trade is above the pipeline's margin, else HOLD); it is *kept* when it passes the entry rule of
:class:`~tradeforge.strategies.ml.MLStrategy` with its default ``bracket="trade"`` (:func:`entry_wanted`:
:func:`~tradeforge.strategies.ml.trade_wanted` with ``min_confidence``, ``max_risk`` and the strategy's
``min_edge``), then the kept signals are sorted by confidence (ties: momentum score, then symbol) and the
first ``top`` returned. Its ``time_horizon`` is the trade's holding period: ``MLPipeline.trade.horizon``
bars of the model's bar size.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from tradeforge.errors import ConfigError, ModelError

from .config import SignalConfig
from .model import DECISIONS, SignalModel
from .scan import scan
from .universe import Universe, load_universe

__all__ = ["SignalReport", "compute_signals", "entry_wanted", "load_model", "SignalCache"]

_MODEL_NAME = "pipeline"


def entry_wanted(pred: Mapping[str, float], min_confidence: float, max_risk: float,
                 min_edge: float | None = None) -> bool:
    """``MLStrategy``'s entry condition on one bar's prediction lines (NaN never passes).

    :func:`tradeforge.strategies.ml.trade_wanted` (the rule of the default ``bracket="trade"``) with
    *min_edge* None meaning the strategy's default ``min_edge``.

    Examples
    --------
    >>> line = {"ml_proba": 0.7, "ml_payoff": 0.02, "ml_loss": 0.02, "ml_cost": 0.002, "ml_decision": 1.0,
    ...         "ml_confidence": 0.7, "ml_risk": 4.0, "ml_take": 0.02, "ml_stop": 0.02, "ml_horizon": 1.0}
    >>> entry_wanted(line, 0.6, 6.0), entry_wanted(line, 0.8, 6.0)
    (True, False)
    >>> entry_wanted({**line, "ml_risk": float("nan")}, 0.6, 6.0)
    False
    """
    from tradeforge.strategies.ml import trade_wanted

    edge = {} if min_edge is None else {"min_edge": min_edge}
    return trade_wanted(pred, min_confidence=min_confidence, max_risk=max_risk, **edge)


@dataclass(frozen=True)
class SignalReport:
    """What one signals run found.

    Attributes
    ----------
    signals : list of dict
        The kept signals, best first, in the JSON shape of ``tradeforge signals --json``.
    candidates : list of dict
        Every candidate's signal (same shape, unfiltered, in scan order) plus ``"lines"``: its raw
        prediction lines (``ml_proba``, ``ml_sigma``, ... as :class:`~tradeforge.strategies.ml.MLStrategy`
        reads them).
    scan : DataFrame
        Stage 1's table (every scanned symbol, best first; ``rank`` 1 = best).
    timings : dict
        Seconds per stage: ``load``, ``scan``, ``model``, ``history`` (the candidates' windows: where a
        lazily built universe builds their frames), ``stage2`` (with ``stage2_features``,
        ``stage2_garch``, ``stage2_lstm``, ``stage2_ensemble``, ``stage2_risk`` when run in process),
        ``total``.
    at : Timestamp
        The last bar read.
    model_version : str or None
        Registry version used (None for ``stage="scan"``).
    config : SignalConfig
    """

    signals: list[dict[str, Any]]
    candidates: list[dict[str, Any]]
    scan: pd.DataFrame
    timings: dict[str, float]
    at: pd.Timestamp
    model_version: str | None
    config: SignalConfig = field(repr=False)

    def scan_records(self) -> list[dict[str, Any]]:
        """The scanner's kept candidates as JSON-able dicts (the ``--stage scan`` output)."""
        head = self.scan.head(self.config.candidates)
        return [{k: _num(v) if k != "symbol" else v for k, v in row.items()}
                for row in head.to_dict("records")]


def _num(x: Any) -> Any:
    if isinstance(x, np.integer | int) and not isinstance(x, bool):
        return int(x)
    x = float(x)
    return x if math.isfinite(x) else None


def _horizon(bars: int, bar: pd.Timedelta) -> str:
    """``10 x 1m`` -> ``"10m"``; ``10 x 30m`` -> ``"5h"``; days, hours and minutes as needed."""
    minutes = int((bar * bars).total_seconds() // 60)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    text = "".join(f"{v}{u}" for v, u in ((days, "d"), (hours, "h"), (mins, "m")) if v)
    return text or "0m"


def load_model(registry: str, version: str | None, universe: str) -> tuple[Any, str]:
    """``(pipeline, version)`` from the registry; ModelError naming the ``tradeforge train`` to run."""
    from tradeforge.models.registry import ModelRegistry

    reg = ModelRegistry(registry)
    data = _train_spec(universe) if universe.startswith("synth:") else universe
    train = f"tradeforge train --data '{data}' --registry {registry}"
    if not reg.versions():
        raise ModelError(f"registry {registry!r}: no trained model; run `{train}` first (or pass --registry)")
    if version is not None and version not in reg.versions():
        raise ConfigError(f"model: version {version!r} is not in {registry!r} (has {reg.versions()[-3:]}); "
                          f"pass one of them, or run `{train}`")
    loaded = reg.load(version)
    if _MODEL_NAME not in loaded.models:
        raise ModelError(f"registry {registry!r} version {loaded.version}: no '{_MODEL_NAME}' model; "
                         f"run `{train}`")
    return loaded[_MODEL_NAME], loaded.version


def _train_spec(universe: str) -> str:
    """A small training universe of the same kind as a synthetic scan universe (a few symbols)."""
    from tradeforge.feeds.synthetic import parse_synth_spec

    kw = parse_synth_spec(universe.partition(":")[2])
    kw["symbols"] = min(int(kw["symbols"]) if isinstance(kw["symbols"], int) else 4, 4)
    return "synth:" + ",".join(f"{k}={v}" for k, v in kw.items())


def _signal(sym: str, pred: Mapping[str, float], window: pd.DataFrame, score: float, model: SignalModel,
            bench: list[str]) -> dict[str, Any]:
    price = float(window["close"].iloc[-1])
    decision = DECISIONS.get(pred["ml_decision"], "HOLD")
    preds = {}
    for tf in model.timeframes:
        p = pred[f"pred_{tf}"]
        preds[tf] = {"price": _num(price * math.exp(p)) if math.isfinite(p) else None,
                     "return": _num(math.expm1(p)) if math.isfinite(p) else None}
    risk = {"forecast_volatility": _num(pred["forecast_volatility"]), "var_95": _num(pred["var_95"]),
            "cvar_95": _num(pred["cvar_95"]),
            **{f"correlation_{b.lower()}": _num(pred[f"correlation_{b.lower()}"]) for b in bench},
            "beta": _num(pred["beta"])}
    risk_score = pred["ml_risk"]
    return {"symbol": sym, "price": price, "decision": decision, "confidence": _num(pred["ml_confidence"]),
            "expected_return": _num(pred["ml_expected_return"]),
            "risk_score": int(risk_score) if math.isfinite(risk_score) else None,
            "time_horizon": _horizon(int(model.pipeline.trade.horizon), model.bar),
            "momentum_score": _num(score), "predictions": preds, "risk_metrics": risk}


def _stage2(model: SignalModel, windows: dict[str, pd.DataFrame], scheduler: str | None) -> dict[str, dict]:
    if scheduler is None:
        return model.predict_many(windows)
    from .distributed import predict_on_cluster

    return predict_on_cluster(model, windows, scheduler)


def compute_signals(config: SignalConfig | None = None, *, frames: Mapping[str, pd.DataFrame] | None = None,
                    model: tuple[Any, str] | None = None, **settings: Any) -> SignalReport:
    """Run the scanner and (unless ``stage="scan"``) the candidates' models; see the module notes.

    Parameters
    ----------
    config : SignalConfig, optional
        The settings; or pass its fields as keywords (not both).
    frames : mapping symbol -> DataFrame, optional
        A ready universe (benchmarks included) instead of loading ``config.universe``.
    model : (pipeline, version), optional
        A ready fitted pipeline instead of loading it from ``config.registry``.

    Returns
    -------
    SignalReport

    Raises
    ------
    ConfigError, DataError, ModelError
        Bad settings, data, or no trained model (the message names the ``tradeforge train`` to run).
    """
    if config is not None and settings:
        raise ConfigError("compute_signals: pass config= or its settings as keywords, not both")
    config = config if config is not None else SignalConfig.from_mapping(settings)
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    universe: Universe = load_universe(config.universe, config.benchmarks, config.at, frames=frames)
    timings["load"] = time.perf_counter() - clock
    t = time.perf_counter()
    table = scan(universe.frames, universe.at, bars=config.scan_bars)
    timings["scan"] = time.perf_counter() - t
    if config.stage == "scan":
        timings["total"] = time.perf_counter() - clock
        return SignalReport([], [], table, _rounded(timings), universe.at, None, config)
    t = time.perf_counter()
    pipeline, version = model if model is not None else load_model(config.registry, config.model,
                                                                   config.universe)
    bench = {b: df["close"] for b, df in universe.benchmarks.items()}
    sm = SignalModel(pipeline, bench, bars_per_timeframe=config.bars_per_timeframe)
    timings["model"] = time.perf_counter() - t
    t = time.perf_counter()
    head = table.head(config.candidates)
    windows = {s: sm.window_of(universe.frames[s]) for s in head["symbol"]}
    timings["history"] = time.perf_counter() - t
    t = time.perf_counter()
    preds = _stage2(sm, windows, config.scheduler)
    timings["stage2"] = time.perf_counter() - t
    timings.update({f"stage2_{k}": v for k, v in getattr(sm, "timings_", {}).items()})
    candidates = []
    for sym, score in zip(head["symbol"], head["momentum_score"], strict=True):
        sig = _signal(sym, preds[sym], windows[sym], float(score), sm, list(config.benchmarks))
        candidates.append({**sig, "lines": {k: _num(v) for k, v in preds[sym].items()}})
    kept = [c for c in candidates if entry_wanted(preds[c["symbol"]], config.min_confidence, config.max_risk)]
    kept.sort(key=lambda c: (-c["confidence"], -c["momentum_score"], c["symbol"]))
    signals = [{k: v for k, v in c.items() if k != "lines"} for c in kept[:config.top]]
    timings["total"] = time.perf_counter() - clock
    return SignalReport(signals, candidates, table, _rounded(timings), universe.at, version, config)


def _rounded(timings: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 4) for k, v in timings.items()}


class SignalCache:
    """Reports cached per (settings, last bar, model version): one computation per bar.

    :meth:`get` loads the universe (to learn its last bar) and returns the cached report of that bar when
    the settings match, else computes and stores it (at most *maxsize* reports, oldest dropped first).
    """

    def __init__(self, maxsize: int = 8) -> None:
        self.maxsize = int(maxsize)
        self._reports: OrderedDict[tuple, SignalReport] = OrderedDict()

    def get(self, config: SignalConfig, *, frames: Mapping[str, pd.DataFrame] | None = None,
            model: tuple[Any, str] | None = None) -> SignalReport:
        """The report of *config* at the universe's last bar (computed at most once per bar)."""
        universe = load_universe(config.universe, config.benchmarks, config.at, frames=frames)
        version = model[1] if model is not None else config.model
        key = (tuple(sorted((k, str(v)) for k, v in config.to_dict().items() if k != "at")), universe.at,
               version)
        if key not in self._reports:
            self._reports[key] = compute_signals(config, frames=universe.source, model=model)
            while len(self._reports) > self.maxsize:
                self._reports.popitem(last=False)
        self._reports.move_to_end(key)
        return self._reports[key]
