"""LSTM price predictors: a scikit-learn style estimator over sliding windows, one per timeframe.

:class:`LSTMPredictor` takes a 2-D per-bar feature matrix ``X`` (rows = bars in time order, leading NaN
warm-up rows allowed) and the per-bar target ``y`` (e.g. the forward log return, NaN at the end), builds
the windows of ``lookback`` bars internally (the window ending at bar t holds bars t-lookback+1..t) and
predicts one value per bar, NaN where no complete window exists yet. :class:`MultiTimeframeLSTM` keeps
one predictor per timeframe and aligns each prediction to the base bars once its bar is complete (with
the completed-bar alignment of :mod:`tradeforge.models.features`).

torch is imported lazily, inside the methods that need it.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tradeforge.errors import ConfigError, DataError, ModelError, unknown_name_error

from . import _lstm_io as io
from ._feature_mtf import align_completed

__all__ = ["LSTMPredictor", "MultiTimeframeLSTM", "TIMEFRAMES"]

TIMEFRAMES: dict[str, pd.Timedelta] = {
    name: pd.Timedelta(v)
    for name, v in (("1m", "1min"), ("5m", "5min"), ("30m", "30min"), ("1h", "1h"), ("6h", "6h"), ("1d", "1D"))
}

#: ``size="small"`` network (the ``size="auto"`` choice on CPU); see :class:`LSTMPredictor`.
SMALL = {"conv_channels": 32, "hidden": 32, "layers": 1, "heads": 2, "indicator_dim": 16, "lookback_cap": 30}
_SIZES = ("auto", "seed", "small")
_MIN_TRAIN_WINDOWS = 16


class LSTMPredictor:
    """Conv1d → LSTM → attention + indicator branch regressor of the next return (seed-003 design).

    Parameters
    ----------
    lookback : int
        Bars per window (``size="small"`` caps it at 30).
    horizon : int
        Bars the target looks ahead; the last ``horizon - 1`` training windows before the validation
        tail are purged so that no training target overlaps a validation target.
    conv_channels, hidden, layers, heads, indicator_dim, dropout
        Network shape used by ``size="seed"`` (defaults: the seed's 64, 128, 2, 4, 64, 0.2).
    epochs, batch_size, lr : optional
        Training budget; None picks 40 epochs, lr 1e-3 and a batch of 64 (CPU, < 4,000 windows),
        256 (CPU) or 1,024 (CUDA).
    patience : int
        Epochs without a better validation loss before early stopping (best weights are restored).
    val_fraction : float
        Chronological tail of each symbol's windows used for early stopping (never trained on);
        0 disables early stopping (the last epoch's weights are kept).
    indicator_columns : sequence of str or int, optional
        Columns whose last-bar values feed the indicator branch; None uses every column.
    size : {"auto", "seed", "small"}
        ``"seed"``: the shape above. ``"small"``: conv 32, hidden 32, 1 layer, 2 heads, indicator 16,
        lookback <= 30, whatever the shape parameters say. ``"auto"``: seed on CUDA, small on CPU
        (pass ``size="seed"`` to train a custom shape on CPU). Measured on the 2-core machine (torch
        2.14.1, 20 features, batch 64-256): the seed net trains ~220 windows/s when idle (~90 s per epoch
        of 20,000 windows), the small net 1,600-8,400 windows/s at lookback 30 (0.1-0.6 s per epoch of
        900 windows), so a daily walk-forward fold of ~1,000 windows trains its epochs (early-stopped,
        at most 40) in seconds instead of an hour.
    device : {"auto", "cpu", "cuda", "cuda:N"}
        "auto" uses CUDA when present.
    amp : {"auto", "bf16", "fp16", "off"}
        Mixed precision on CUDA ("auto": bf16 where supported, else fp16 with a GradScaler); CPU is fp32.
    random_state : int
        Seeds weights, dropout and the shuffle. On CPU the same seed gives bitwise identical predictions.
    num_threads : int, optional
        torch threads during fit/predict (the caller's count is restored). None: 1 for the small shape,
        the current count for the seed shape. Measured on the shared 2-core machine: 2 threads made the
        small net 7-20x slower than 1 (105-239 vs 1,638-2,234 windows/s) and the seed net 4-6x slower
        (11-20 vs 68-85 windows/s), OpenMP threads waiting on busy cores; its GEMMs are too small to split.

    Attributes
    ----------
    config_ : dict
        The resolved network shape, lookback and training budget.
    feature_names_in_ : list of str or None
        Column names seen in ``fit`` (when X was a DataFrame).
    history_ : dict
        Per-epoch train/validation losses and the best epoch.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 3)); y = np.r_[0.5 * X[1:, 0], np.nan]
    >>> model = LSTMPredictor(lookback=10, epochs=2, size="small", device="cpu").fit(X, y)
    >>> pred = model.predict(X)
    >>> pred.shape, bool(np.isnan(pred[:9]).all()), bool(np.isfinite(pred[9:]).all())
    ((300,), True, True)
    """

    def __init__(
        self,
        lookback: int = 100,
        horizon: int = 1,
        conv_channels: int = 64,
        hidden: int = 128,
        layers: int = 2,
        heads: int = 4,
        indicator_dim: int = 64,
        dropout: float = 0.2,
        epochs: int | None = None,
        batch_size: int | None = None,
        lr: float | None = None,
        patience: int = 5,
        val_fraction: float = 0.15,
        indicator_columns: Sequence[str | int] | None = None,
        size: str = "auto",
        device: str = "auto",
        amp: str = "auto",
        random_state: int = 0,
        num_threads: int | None = None,
    ) -> None:
        self.lookback = lookback
        self.horizon = horizon
        self.conv_channels = conv_channels
        self.hidden = hidden
        self.layers = layers
        self.heads = heads
        self.indicator_dim = indicator_dim
        self.dropout = dropout
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.patience = patience
        self.val_fraction = val_fraction
        self.indicator_columns = indicator_columns
        self.size = size
        self.device = device
        self.amp = amp
        self.random_state = random_state
        self.num_threads = num_threads

    # -- scikit-learn parameter protocol -------------------------------------------------------------
    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Hyper-parameters as passed to ``__init__`` (scikit-learn protocol, works with ``clone``)."""
        return {name: getattr(self, name) for name in _param_names()}

    def set_params(self, **params: Any) -> LSTMPredictor:
        """Set hyper-parameters; an unknown name raises :class:`ConfigError` with a hint."""
        for name, value in params.items():
            if name not in _param_names():
                raise unknown_name_error("LSTMPredictor parameter", name, _param_names())
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        changed = {k: v for k, v in self.get_params().items() if v != _defaults()[k]}
        return f"LSTMPredictor({', '.join(f'{k}={v!r}' for k, v in changed.items())})"

    # -- fit / predict -------------------------------------------------------------------------------
    def fit(self, X, y) -> LSTMPredictor:
        """Train on one symbol (2-D ``X``, 1-D ``y``) or several (lists; windows never cross symbols).

        Rows whose features or target are not finite are skipped (a window needs ``lookback`` finite
        rows); the scaler is fitted on the training rows only, the last ``val_fraction`` of each
        symbol's windows drive early stopping.
        """
        from . import _trainer as tr

        io.check_params(self)
        mats, names = io.as_matrices(X, "X")
        ys = io.as_targets(y, mats)
        choice = tr.choose_device(self.device, self.amp)
        n_windows = sum(int(io.window_ok(m, self._cap_lookback(choice)).sum()) for m in mats)
        cfg = self._resolve_config(choice, n_windows)
        ind_idx = io.indicator_index(self.indicator_columns, names, mats[0].shape[1])
        data, scaler = io.build_train_data(mats, ys, cfg["lookback"], self.horizon, self.val_fraction, ind_idx)
        if len(data.train_ends) < _MIN_TRAIN_WINDOWS:
            raise ModelError(
                f"only {len(data.train_ends)} complete training windows of lookback {cfg['lookback']} "
                f"(need >= {_MIN_TRAIN_WINDOWS}); pass more bars, fewer NaN rows or a smaller lookback"
            )
        seed = int(self.random_state)
        with tr.run_context(choice, self._threads(cfg), seed):
            net = tr.SeedNet(io.net_config(cfg, mats[0].shape[1], len(ind_idx)))
            self.history_ = tr.train(
                net, data, choice, epochs=cfg["epochs"], batch_size=cfg["batch_size"], lr=cfg["lr"],
                patience=self.patience, seed=seed,
            )
        self.net_ = net
        self.config_ = cfg
        self.scaler_ = scaler
        self.feature_names_in_ = names
        self.n_features_in_ = mats[0].shape[1]
        self.indicator_idx_ = ind_idx
        return self

    def predict(self, X) -> np.ndarray | list[np.ndarray]:
        """One prediction per bar of ``X`` (NaN until a complete window); a list in gives a list out.

        The value at bar t depends on bars t-lookback+1..t only, and on CPU it is bitwise identical
        whether ``X`` ends at t or continues after it.
        """
        self._check_fitted()
        mats = self._prepare(X)
        preds = [self._predict_matrix(m, None) for m in mats]
        return preds if isinstance(X, list | tuple) else preds[0]

    def predict_last(self, X) -> float:
        """Prediction for the last bar of ``X`` only (the live path); equals ``predict(X)[-1]`` bitwise on CPU.

        It also equals ``predict(X_full)[t]`` bitwise when ``X`` is ``X_full`` cut after bar t. A trailing
        slice of fewer rows gives the same number up to float32 rounding (the CPU batch position of a
        window is its row number modulo 32).

        Examples
        --------
        >>> import numpy as np
        >>> X = np.random.default_rng(1).normal(size=(200, 2)); y = np.r_[X[1:, 0], np.nan]
        >>> m = LSTMPredictor(lookback=8, epochs=1, size="small", device="cpu").fit(X, y)
        >>> bool(m.predict_last(X) == m.predict(X)[-1])
        True
        """
        self._check_fitted()
        mats = self._prepare(X)
        if isinstance(X, list | tuple):
            raise DataError("predict_last: expected one symbol's 2-D X, got a list; call it once per symbol")
        return float(self._predict_matrix(mats[0], len(mats[0]) - 1)[-1])

    # -- persistence ---------------------------------------------------------------------------------
    def save(self, directory: str | Path) -> list[Path]:
        """Write ``lstm.pt`` (state_dict, config, scaler, feature names) into *directory*; return its path.

        Examples
        --------
        >>> import numpy as np, tempfile
        >>> X = np.random.default_rng(2).normal(size=(150, 2)); y = np.r_[X[1:, 1], np.nan]
        >>> m = LSTMPredictor(lookback=5, epochs=1, size="small", device="cpu").fit(X, y)
        >>> with tempfile.TemporaryDirectory() as d:
        ...     _ = m.save(d)
        ...     same = np.array_equal(LSTMPredictor.load(d).predict(X), m.predict(X), equal_nan=True)
        >>> same
        True
        """
        self._check_fitted()
        return [io.save_checkpoint(self, Path(directory))]

    @classmethod
    def load(cls, directory: str | Path) -> LSTMPredictor:
        """Load a model written by :meth:`save` (``torch.load(weights_only=True)``); bad file → ModelError."""
        return io.load_checkpoint(cls, Path(directory))

    # -- helpers -------------------------------------------------------------------------------------
    def _cap_lookback(self, choice) -> int:
        small = self.size == "small" or (self.size == "auto" and not choice.is_cuda)
        return min(int(self.lookback), SMALL["lookback_cap"]) if small else int(self.lookback)

    def _resolve_config(self, choice, n_windows: int) -> dict:
        small = self.size == "small" or (self.size == "auto" and not choice.is_cuda)
        shape = {k: getattr(self, k) for k in ("conv_channels", "hidden", "layers", "heads", "indicator_dim")}
        if small:
            shape = {k: SMALL[k] for k in shape}
        if choice.is_cuda:
            batch = 1024
        else:
            batch = 64 if n_windows < 4000 else 256
        return {
            **shape,
            "dropout": float(self.dropout),
            "lookback": self._cap_lookback(choice),
            "size": "small" if small else "seed",
            "epochs": int(self.epochs) if self.epochs is not None else 40,
            "batch_size": int(self.batch_size) if self.batch_size is not None else batch,
            "lr": float(self.lr) if self.lr is not None else 1e-3,
            "device": choice.device,
            "amp_dtype": choice.amp_dtype,
        }

    def _threads(self, cfg: dict) -> int:
        import torch

        if self.num_threads is not None:
            return int(self.num_threads)
        return 1 if cfg["size"] == "small" else torch.get_num_threads()

    def _check_fitted(self) -> None:
        if not hasattr(self, "net_"):
            raise ModelError("this LSTMPredictor is not fitted yet; call fit(X, y) or LSTMPredictor.load(dir)")

    def _prepare(self, X) -> list[np.ndarray]:
        mats, names = io.as_matrices(X, "X")
        return [io.match_features(m, names, self.feature_names_in_, self.n_features_in_) for m in mats]

    def _predict_matrix(self, mat: np.ndarray, only_end: int | None) -> np.ndarray:
        from . import _trainer as tr

        lookback = self.config_["lookback"]
        ok = io.window_ok(mat, lookback)
        if only_end is None:
            ends = np.flatnonzero(ok)
        else:
            ends = np.array([only_end] if ok[only_end] else [], dtype=np.int64)
        out = np.full(len(mat), np.nan)
        feats = self.scaler_.transform(mat)
        choice = self._predict_device()
        self.net_.to(choice.device)
        with tr.run_context(choice, self._threads(self.config_), None):
            scaled = tr.predict_windows(self.net_, feats, ends, self.indicator_idx_, lookback, choice)
        out[ends] = self.scaler_.inverse_target(scaled)
        return out

    def _predict_device(self):
        """CUDA when the model was fitted there and a GPU is present; else CPU (bitwise reproducible)."""
        import torch

        from . import _trainer as tr

        fitted_on = self.config_["device"]
        if fitted_on.startswith("cuda") and torch.cuda.is_available():
            return tr.choose_device(fitted_on, self.amp)
        return tr.choose_device("cpu", "off")


class MultiTimeframeLSTM:
    """One :class:`LSTMPredictor` per timeframe, predictions aligned causally to the base bars.

    Parameters
    ----------
    timeframes : sequence of str
        Timeframe names among ``1m 5m 30m 1h 6h 1d``, none below the base bar size.
    bar : str or Timedelta, optional
        Bar size of the base data the predictions are aligned to; None means the smallest timeframe.
    **lstm_params
        Hyper-parameters shared by every :class:`LSTMPredictor`.

    ``fit`` takes ``X[tf]``/``y[tf]`` per timeframe (a list per timeframe for several symbols);
    ``predict`` takes one symbol's frames, indexed by their bar starts.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> idx = pd.date_range("2024-01-01", periods=240, freq="1h")
    >>> rng = np.random.default_rng(0)
    >>> X = {tf: pd.DataFrame({"f": rng.normal(size=n)}, index=idx[::k]) for tf, n, k in
    ...      (("1h", 240, 1), ("6h", 40, 6))}
    >>> y = {tf: np.r_[X[tf]["f"].to_numpy()[1:], np.nan] for tf in X}
    >>> mtf = MultiTimeframeLSTM(("1h", "6h"), lookback=4, epochs=1, size="small", device="cpu").fit(X, y)
    >>> list(mtf.predict(X, idx).columns)
    ['lstm_1h', 'lstm_6h']
    """

    def __init__(self, timeframes: Sequence[str] = ("1d",), bar: str | pd.Timedelta | None = None,
                 **lstm_params: Any) -> None:
        self.timeframes = timeframes
        self.bar = bar
        self.lstm_params = lstm_params

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """``timeframes``, ``bar`` and the shared LSTM hyper-parameters (scikit-learn protocol)."""
        return {"timeframes": self.timeframes, "bar": self.bar, **self.lstm_params}

    def set_params(self, **params: Any) -> MultiTimeframeLSTM:
        """Set ``timeframes``, ``bar`` or any LSTM hyper-parameter."""
        for name, value in params.items():
            if name in ("timeframes", "bar"):
                setattr(self, name, value)
            else:
                self.lstm_params[name] = value
        return self

    def fit(self, X: Mapping[str, Any], y: Mapping[str, Any]) -> MultiTimeframeLSTM:
        """Fit one predictor per timeframe on ``X[tf]`` (features of that timeframe's bars) and ``y[tf]``."""
        tfs = self._check(X, "X")
        self._check(y, "y")
        for name in self.lstm_params:
            if name not in _param_names():
                raise unknown_name_error("LSTMPredictor parameter", name, _param_names())
        self.models_ = {tf: LSTMPredictor(**self.lstm_params).fit(X[tf], y[tf]) for tf in tfs}
        self.timeframes_ = tfs
        return self

    def predict(self, X: Mapping[str, pd.DataFrame], index: pd.DatetimeIndex) -> pd.DataFrame:
        """Columns ``lstm_<tf>`` on the base bars *index*; a timeframe's bar counts once it is complete."""
        if not hasattr(self, "models_"):
            raise ModelError("this MultiTimeframeLSTM is not fitted yet; call fit(X, y) first")
        self._check(X, "X")
        if not isinstance(index, pd.DatetimeIndex):
            raise DataError(f"index: expected the base bars' DatetimeIndex, got {type(index).__name__}")
        out = {}
        for tf in self.timeframes_:
            frame = X[tf]
            if not isinstance(frame, pd.DataFrame) or not isinstance(frame.index, pd.DatetimeIndex):
                raise DataError(f"X[{tf!r}]: expected a DataFrame with a DatetimeIndex of {tf} bar starts")
            pred = pd.DataFrame({tf: self.models_[tf].predict(frame)}, index=frame.index)
            out[f"lstm_{tf}"] = align_completed(pred, TIMEFRAMES[tf], index, self._base_bar(self.timeframes_))[:, 0]
        return pd.DataFrame(out, index=index)

    def _base_bar(self, tfs: list[str]) -> pd.Timedelta:
        if self.bar is None:
            return min(TIMEFRAMES[tf] for tf in tfs)
        if isinstance(self.bar, str) and self.bar in TIMEFRAMES:
            return TIMEFRAMES[self.bar]
        try:
            return pd.Timedelta(self.bar)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"bar: expected a timeframe name or a Timedelta, got {self.bar!r}") from exc

    def _check(self, mapping: Any, label: str) -> list[str]:
        tfs = [self.timeframes] if isinstance(self.timeframes, str) else list(self.timeframes)
        if not tfs:
            raise ConfigError("timeframes: expected at least one of " + ", ".join(TIMEFRAMES))
        for tf in tfs:
            if tf not in TIMEFRAMES:
                raise unknown_name_error("timeframe", str(tf), TIMEFRAMES)
        base = self._base_bar(tfs)
        low = [tf for tf in tfs if TIMEFRAMES[tf] < base]
        if low:
            raise ConfigError(f"timeframes {low} are below the data's bar size {base}; "
                              "keep only timeframes at or above it")
        if not isinstance(mapping, Mapping):
            raise DataError(f"{label}: expected a mapping timeframe -> data, got {type(mapping).__name__}")
        missing = [tf for tf in tfs if tf not in mapping]
        extra = [k for k in mapping if k not in tfs]
        if missing or extra:
            raise ConfigError(f"{label}: timeframes missing {missing}, unexpected {extra}; "
                              f"pass exactly {tfs}")
        return tfs


def _defaults() -> dict[str, Any]:
    sig = inspect.signature(LSTMPredictor.__init__)
    return {n: p.default for n, p in sig.parameters.items() if n != "self"}


def _param_names() -> list[str]:
    return list(_defaults())
