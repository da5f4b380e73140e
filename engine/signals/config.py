"""``SignalConfig``: the frozen settings of one ``tradeforge signals`` run (a leaf module)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

import pandas as pd

from tradeforge.errors import ConfigError, unknown_name_error

__all__ = ["SignalConfig", "STAGES"]

#: ``stage`` values: the scanner only, or the scanner and the per-candidate models.
STAGES = ("scan", "all")


def _int(name: str, value: Any, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        flag = name.replace("_", "-")
        raise ConfigError(f"{name}: expected an integer >= {low}, got {value!r}; "
                          f"e.g. --{flag} {max(low, 10)}")


@dataclass(frozen=True, kw_only=True, slots=True)
class SignalConfig:
    """Settings of :func:`~tradeforge.engine.signals.compute_signals`.

    Parameters
    ----------
    universe : str
        A :func:`tradeforge.feeds.load` spec: a directory of per-symbol files or ``synth:symbols=...``
        (a synthetic universe gains the benchmarks, generated on the same market factor).
    registry : str
        Model registry folder (``tradeforge train --registry``).
    model : str, optional
        Registry version; None: the latest.
    benchmarks : tuple of str
        Benchmark symbols (``SPY, QQQ``): first = market for beta; never candidates.
    top : int
        Signals kept after the filters.
    candidates : int
        Symbols kept by the scanner for stage 2.
    min_confidence, max_risk : float
        The entry filter (MLStrategy's ``min_confidence`` and ``max_risk``).
    at : timestamp-like, optional
        Last bar (label) to read; None: the universe's last bar. Nothing after it is read.
    stage : {"scan", "all"}
        Stop after the scanner, or run the models too.
    scan_bars : int
        Trailing bars the scanner reads per symbol.
    bars_per_timeframe : int
        Completed bars of each model timeframe a candidate's window holds (at least the model's warm-up).
    scheduler : str, optional
        Dask scheduler address for stage 2 (None: in process); results are the same.
    """

    universe: str = "synth:symbols=1453,bars=6000,freq=1m,seed=0,lazy=1"
    registry: str = "runs/registry"
    model: str | None = None
    benchmarks: tuple[str, ...] = ("SPY", "QQQ")
    top: int = 10
    candidates: int = 50
    min_confidence: float = 0.7
    max_risk: float = 6.0
    at: Any = None
    stage: str = "all"
    scan_bars: int = 100
    bars_per_timeframe: int = 100
    scheduler: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.universe, str) or not self.universe.strip():
            raise ConfigError(f"universe: expected a data spec such as synth:symbols=1453,freq=1m or a "
                              f"directory, got {self.universe!r}")
        bench = self.benchmarks
        bench = bench.split(",") if isinstance(bench, str) else list(bench)
        bench = tuple(str(b).strip() for b in bench if str(b).strip())
        object.__setattr__(self, "benchmarks", bench)
        if not bench or len(set(bench)) != len(bench):
            raise ConfigError(f"benchmarks: expected distinct symbols such as SPY,QQQ, got "
                              f"{self.benchmarks!r}")
        _int("top", self.top, 1)
        _int("candidates", self.candidates, 1)
        _int("scan_bars", self.scan_bars, 30)
        _int("bars_per_timeframe", self.bars_per_timeframe, 1)
        if self.stage not in STAGES:
            raise unknown_name_error("stage (--stage)", str(self.stage), STAGES)
        for name in ("min_confidence", "max_risk"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise ConfigError(f"{name}: expected a number, got {value!r}")
        if not 0.0 <= self.min_confidence <= 1.0:
            raise ConfigError(f"min_confidence: {self.min_confidence!r} is outside [0, 1]; e.g. "
                              "--min-confidence 0.7")
        if self.at is not None:
            try:
                at = pd.Timestamp(self.at)
            except (TypeError, ValueError) as exc:
                raise ConfigError(f"at: cannot parse {self.at!r} as a timestamp ({exc}); use e.g. "
                                  "--at '2020-03-02 10:15'") from None
            if at is pd.NaT or at.tzinfo is not None:
                raise ConfigError(f"at: expected a wall-clock timestamp like the data's index, got "
                                  f"{self.at!r}")
            object.__setattr__(self, "at", at)

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any], **overrides: Any) -> SignalConfig:
        """Build from a mapping; an unknown key raises ConfigError with a did-you-mean hint."""
        names = [f.name for f in fields(cls)]
        merged = {**dict(mapping), **overrides}
        for key in merged:
            if key not in names:
                raise unknown_name_error("SignalConfig setting", key, names)
        return cls(**merged)

    def replace(self, **changes: Any) -> SignalConfig:
        """A copy with *changes* (checked again)."""
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able settings (``at`` as an ISO string)."""
        out = asdict(self)
        out["benchmarks"] = list(self.benchmarks)
        out["at"] = None if self.at is None else self.at.isoformat()
        return out
