"""The trials ledger: every configuration walked forward on the same data, for the deflated Sharpe ratio.

A deflated Sharpe ratio is only honest when it knows how many configurations were tried before this one
was kept (Bailey & López de Prado). The ledger is a JSON-lines file (by default ``trials.jsonl`` next to
the run directories, e.g. ``runs/trials.jsonl``; ``tradeforge walkforward --trials-db PATH``); each
walk-forward appends one line::

    {"key": ..., "data_hash": ..., "strategy": ..., "params": {...}, "config": {...}, "choices": 3,
     "sharpe_per_bar": 0.031, "n": 2250}

``data_hash`` identifies the data (symbols, timestamps and OHLCV values); ``key`` identifies the
configuration on that data (strategy, strategy and model parameters, windows, seed, costs). Only lines
with the same ``data_hash`` count; a configuration run again counts once (its latest line wins), so
re-running the same thing never inflates the count, while a parameter sweep, another seed or other
windows do. ``choices`` is how many candidates the run chose among internally without the ledger seeing
them (3 for an ML strategy with ``calibration="auto"``: isotonic, Platt or none), and the DSR's ``N`` is
the sum of ``choices`` over the distinct configurations. Appends take an exclusive ``fcntl`` lock, so
concurrent runs on one machine do not interleave lines.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tradeforge.errors import DataError

__all__ = ["Trials", "TrialsLedger", "data_hash", "trial_choices", "single_trial"]


@dataclass(frozen=True)
class Trials:
    """What the deflated Sharpe ratio is deflated for.

    Attributes
    ----------
    n_trials : int
        ``N``: the sum of ``choices`` over the distinct configurations (this one included).
    n_configs : int
        Distinct configurations recorded on the data.
    sharpes : tuple of float
        Their per-bar out-of-sample Sharpe ratios (finite ones), whose variance is the DSR's ``V``.
    """

    n_trials: int
    n_configs: int
    sharpes: tuple[float, ...]

    def variance(self) -> float | None:
        """Variance (ddof=1) of the recorded Sharpe ratios; None with fewer than two."""
        return float(np.var(self.sharpes, ddof=1)) if len(self.sharpes) >= 2 else None


def data_hash(frames: Mapping[str, pd.DataFrame]) -> str:
    """SHA-256 of the symbols, timestamps and OHLCV values of *frames*.

    Examples
    --------
    >>> idx = pd.date_range("2024-01-01", periods=3, name="datetime")
    >>> df = pd.DataFrame({"close": [1.0, 2.0, 3.0]}, index=idx)
    >>> data_hash({"A": df}) == data_hash({"A": df.copy()}) != data_hash({"B": df})
    True
    """
    digest = hashlib.sha256()
    for sym in sorted(frames):
        df = frames[sym]
        digest.update(sym.encode() + b"\0")
        digest.update(np.ascontiguousarray(df.index.asi8).tobytes())
        digest.update(json.dumps([str(c) for c in df.columns]).encode())
        digest.update(np.ascontiguousarray(df.to_numpy(dtype=np.float64)).tobytes())
    return digest.hexdigest()


def trial_choices(model_params: Mapping[str, Any] | None) -> int:
    """Candidates a configuration chooses among internally: the calibrations under ``"auto"``, else 1.

    *model_params* are the MLPipeline parameters the user set (None: not an ML strategy); a missing
    ``calibration`` means the pipeline's default.
    """
    if model_params is None:
        return 1
    from tradeforge.models._calibration import CALIBRATIONS

    calibration = model_params.get("calibration", _default_calibration())
    return len(CALIBRATIONS) if calibration == "auto" else 1


def _default_calibration() -> str:
    from tradeforge.engine.config import model_defaults

    return str(model_defaults()["calibration"])  # MLPipeline's default ("none": one candidate)


def single_trial(choices: int, sharpe: float) -> Trials:
    """The trials of a run without a ledger: this configuration alone (with its internal *choices*)."""
    return Trials(n_trials=int(choices), n_configs=1, sharpes=(sharpe,) if math.isfinite(sharpe) else ())


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))


class TrialsLedger:
    """The JSON-lines ledger at *path* (see the module notes); the parent directory is created on write.

    Examples
    --------
    >>> import tempfile
    >>> ledger = TrialsLedger(Path(tempfile.mkdtemp()) / "trials.jsonl")
    >>> ledger.record(data="h", strategy="S", params={"a": 1}, config={}, choices=1, sharpe=0.1, n=100)
    Trials(n_trials=1, n_configs=1, sharpes=(0.1,))
    >>> ledger.record(data="h", strategy="S", params={"a": 2}, config={}, choices=3, sharpe=0.0, n=9).n_trials
    4
    >>> ledger.record(data="h", strategy="S", params={"a": 1}, config={}, choices=1, sharpe=0.2, n=100)
    Trials(n_trials=4, n_configs=2, sharpes=(0.0, 0.2))
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def record(self, *, data: str, strategy: str, params: Mapping[str, Any], config: Mapping[str, Any],
               choices: int, sharpe: float, n: int) -> Trials:
        """Append this configuration's result and return the trials on the same *data* (this one included)."""
        import fcntl

        key = hashlib.sha256(_canonical([data, strategy, params, config]).encode()).hexdigest()[:32]
        entry = {"key": key, "data_hash": data, "strategy": strategy,
                 "params": json.loads(_canonical(params)), "config": json.loads(_canonical(config)),
                 "choices": int(choices),
                 "sharpe_per_bar": sharpe if math.isfinite(sharpe) else None, "n": int(n)}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a+", encoding="utf-8") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                fh.seek(0)
                entries = self._parse(fh.read())
                fh.seek(0, 2)
                fh.write(json.dumps(entry, sort_keys=True) + "\n")
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
        return self._trials([*entries, entry], data)

    def trials(self, data: str) -> Trials:
        """The trials recorded on *data* so far (``n_trials == 0`` when none)."""
        text = self.path.read_text(encoding="utf-8") if self.path.exists() else ""
        return self._trials(self._parse(text), data)

    def _parse(self, text: str) -> list[dict[str, Any]]:
        out = []
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
                entry["key"], entry["data_hash"], entry["choices"]  # noqa: B018  (required fields)
            except (ValueError, KeyError, TypeError):
                raise DataError(f"trials ledger {self.path}: line {number} is not a ledger entry; repair or "
                                "delete that line (or pass another --trials-db)") from None
            out.append(entry)
        return out

    @staticmethod
    def _trials(entries: list[dict[str, Any]], data: str) -> Trials:
        latest: dict[str, dict[str, Any]] = {}
        for entry in entries:
            if entry["data_hash"] == data:
                latest.pop(entry["key"], None)  # re-inserted: the order is that of the latest runs
                latest[entry["key"]] = entry
        sharpes = tuple(float(e["sharpe_per_bar"]) for e in latest.values()
                        if e.get("sharpe_per_bar") is not None)
        return Trials(n_trials=sum(int(e["choices"]) for e in latest.values()), n_configs=len(latest),
                      sharpes=sharpes)
