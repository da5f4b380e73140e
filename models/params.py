"""The ML pipeline's hyper-parameters and their checks, importable without any model library.

:class:`PipelineParams` holds :class:`~tradeforge.models.pipeline.MLPipeline`'s hyper-parameters (its
``__init__``: parameters only, the scikit-learn estimator contract) and their checks; ``MLPipeline`` is a
``PipelineParams`` and a scikit-learn ``BaseEstimator``. :data:`BASE_MODELS` and
:func:`check_ensemble_params` are the names and checks of the
:class:`~tradeforge.models.ensemble.StackedEnsemble` the pipeline builds. This module imports numpy and
``tradeforge.errors`` only (the trade's checks import :mod:`~tradeforge.models.targets`, pandas), so a
command can refuse a bad ``--param`` before scikit-learn, torch or numba are imported.

Examples
--------
>>> PipelineParams.defaults()["base_models"]
('screen', 'logit', 'rf', 'mlp')
>>> PipelineParams(base_models=("rf", "bogus")).check()
Traceback (most recent call last):
...
tradeforge.errors.ConfigError: unknown base model 'bogus'. Known: lgbm, logit, mlp, rf, screen, svm, xgb.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from tradeforge.errors import ConfigError, unknown_name_error

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["BASE_MODELS", "DEFAULT_BASE_MODELS", "PipelineParams", "check_ensemble_params"]

#: The ensemble's base learners by short name (built by ``models._base_models.make_base``).
BASE_MODELS = ("logit", "rf", "xgb", "lgbm", "mlp", "svm", "screen")
#: The default stack (pipeline and ensemble): the screened and the sparse logit, a random forest and an MLP.
#: Measured on 20 planted momentum-5 seeds (fast models, 2 x 1,500 daily bars), the boosted trees and the SVM
#: ranked the next return worst on ~1,000-row windows (rank correlations 0.06-0.09 against 0.19 for the two
#: logits) and dropping them raised the summed out-of-sample Sharpe from 26.0 to 29.5 (README).
DEFAULT_BASE_MODELS = ("screen", "logit", "rf", "mlp")
#: Where the ensemble's meta-learner takes its slope from (``StackedEnsemble(meta_slope=...)``).
META_SLOPES = ("latest_block", "pooled")


def check_ensemble_params(base_models: Any, meta: Any, calibration: Any, embargo: Any, sell_threshold: Any,
                          buy_threshold: Any, meta_slope: Any = "latest_block") -> tuple[str, ...]:
    """The :class:`~tradeforge.models.ensemble.StackedEnsemble` parameter checks (ConfigError); returns
    the base model names as a tuple."""
    from ._calibration import Calibrator

    if isinstance(base_models, str):
        raise ConfigError(f"base_models: expected a tuple of names, got the string {base_models!r}; "
                          f"write ({base_models!r},)")
    names = tuple(base_models)
    if not names:
        raise ConfigError("base_models: expected at least one of " + ", ".join(BASE_MODELS))
    for name in names:
        if name not in BASE_MODELS:
            raise unknown_name_error("base model", name, BASE_MODELS)
    if len(set(names)) != len(names):
        raise ConfigError(f"base_models: duplicate names in {names!r}")
    if meta != "logreg":
        raise unknown_name_error("meta-learner", str(meta), ["logreg"])
    if meta_slope not in META_SLOPES:
        raise unknown_name_error("meta_slope", str(meta_slope), META_SLOPES)
    if calibration != "auto":
        Calibrator(calibration)
    if embargo is not None and (isinstance(embargo, bool) or not isinstance(embargo, int | np.integer)
                                or embargo < 0):
        raise ConfigError(f"embargo: expected None (the label horizon) or an integer >= 0, got "
                          f"{embargo!r}")
    if not 0.0 < sell_threshold <= buy_threshold < 1.0:
        raise ConfigError(
            f"thresholds: expected 0 < sell_threshold <= buy_threshold < 1, got sell_threshold="
            f"{sell_threshold!r}, buy_threshold={buy_threshold!r}"
        )
    return names


class PipelineParams:
    """``MLPipeline``'s hyper-parameters (documented on :class:`~tradeforge.models.pipeline.MLPipeline`)
    and their checks."""

    def __init__(
        self,
        timeframes: Sequence[str] | None = None,
        horizon: int = 1,
        take_profit: float = 2.0,
        stop_loss: float = 2.0,
        label_horizon: int = 1,
        barrier_units: str = "sigma",
        vol_window: int = 20,
        commission: float = 0.001,
        min_edge: float = 0.1,
        lstm_lookback: int = 20,
        lstm_epochs: int = 8,
        lstm_groups: Sequence[str] = ("momentum", "price"),
        lstm_oof_splits: int = 2,
        base_models: Sequence[str] = DEFAULT_BASE_MODELS,
        ensemble_splits: int = 4,
        ensemble_fast: bool = True,
        meta_slope: str = "latest_block",
        calibration: str = "none",
        buy_threshold: float = 0.6,
        sell_threshold: float = 0.4,
        garch_window: int = 250,
        garch_refit_every: int = 50,
        benchmark: pd.Series | None = None,
        fast: bool = False,
        device: str = "auto",
        num_threads: int | None = 1,
        n_jobs: int = 1,
        random_state: int = 0,
    ) -> None:
        self.timeframes = timeframes
        self.horizon = horizon
        self.take_profit = take_profit
        self.stop_loss = stop_loss
        self.label_horizon = label_horizon
        self.barrier_units = barrier_units
        self.vol_window = vol_window
        self.commission = commission
        self.min_edge = min_edge
        self.lstm_lookback = lstm_lookback
        self.lstm_epochs = lstm_epochs
        self.lstm_groups = lstm_groups
        self.lstm_oof_splits = lstm_oof_splits
        self.base_models = base_models
        self.ensemble_splits = ensemble_splits
        self.ensemble_fast = ensemble_fast
        self.meta_slope = meta_slope
        self.calibration = calibration
        self.buy_threshold = buy_threshold
        self.sell_threshold = sell_threshold
        self.garch_window = garch_window
        self.garch_refit_every = garch_refit_every
        self.benchmark = benchmark
        self.fast = fast
        self.device = device
        self.num_threads = num_threads
        self.n_jobs = n_jobs
        self.random_state = random_state

    @property
    def trade(self):
        """The :class:`~tradeforge.models.targets.TradeSpec` labelled in training and traded."""
        from .targets import TradeSpec

        return TradeSpec(horizon=int(self.label_horizon), take_profit=self.take_profit,
                         stop_loss=self.stop_loss, units=self.barrier_units, vol_window=int(self.vol_window),
                         commission=self.commission)

    def _check_params(self) -> None:
        for name, low in (("horizon", 1), ("label_horizon", 1), ("lstm_lookback", 2), ("lstm_epochs", 1),
                          ("lstm_oof_splits", 1), ("ensemble_splits", 2), ("garch_window", 50),
                          ("garch_refit_every", 1), ("n_jobs", 1), ("random_state", 0)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
                raise ConfigError(f"MLPipeline: {name} must be an integer >= {low}, got {value!r}")
        self.trade  # noqa: B018 - checks the trade's parameters (ConfigError)
        m = self.min_edge
        if isinstance(m, bool) or not isinstance(m, int | float) or not np.isfinite(m):
            raise ConfigError(f"MLPipeline: min_edge must be a finite fraction of the entry price, got {m!r}")
        if self.device != "cpu" and not str(self.device).startswith(("cuda", "auto")):
            raise ConfigError(f"MLPipeline: device must be 'cpu', 'cuda[:N]' or 'auto', got {self.device!r}")

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        """Every hyper-parameter with its default, by name in sorted order (``MLPipeline().get_params()``)."""
        sig = inspect.signature(cls.__init__)
        return {name: sig.parameters[name].default for name in sorted(sig.parameters) if name != "self"}

    def check(self) -> None:
        """The pipeline's checks and those of the ensemble it would build (ConfigError), before any fit."""
        self._check_params()
        check_ensemble_params(tuple(self.base_models), "logreg", self.calibration, None, self.sell_threshold,
                              self.buy_threshold, self.meta_slope)
