"""Models: features, targets, walk-forward validation, LSTM, stacked ensemble, GARCH, copula, registry.

Names are re-exported lazily (PEP 562), so ``import tradeforge.models`` does not import scikit-learn,
torch, xgboost, lightgbm, arch or copulas; each is imported the first time a name that needs it is used.

Examples
--------
>>> import tradeforge.models as m
>>> m.WalkForwardSplit(n_splits=2).get_n_splits(range(30))
2
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {
    "WalkForwardSplit": "validation",
    "oof_predict": "validation",
    "StackedEnsemble": "ensemble",
    "GarchModel": "garch",
    "garch_features": "garch",
    "CopulaDependence": "copula",
    "risk_score": "risk_metrics",
    "risk_profile": "risk",
    "ols_beta": "risk_metrics",
    "ModelRegistry": "registry",
    "LSTMPredictor": "lstm",
    "MultiTimeframeLSTM": "lstm_mtf",
    "FeatureSet": "features",
    "FeatureSpec": "features",
    "default_feature_set": "features",
    "build_multi_timeframe": "features",
    "forward_log_return": "targets",
    "triple_barrier": "targets",
    "MLPipeline": "pipeline",
    "PipelineParams": "params",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'tradeforge.models' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
