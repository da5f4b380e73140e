"""The LSTM price predictor: a scikit-learn estimator over sliding windows of per-bar features.

:class:`LSTMPredictor` takes a 2-D per-bar feature matrix ``X`` (rows = bars in time order, leading NaN
warm-up rows allowed) and the per-bar target ``y`` (e.g. the forward log return, NaN at the end), builds
the windows of ``lookback`` bars internally (the window ending at bar t holds bars t-lookback+1..t) and
predicts one value per bar, NaN where no complete window exists yet. It is a scikit-learn estimator
(hyper-parameters in ``__init__``, learned state ending in ``_``); the network is in ``_nets``, the
training loop in ``_trainer`` and one predictor per timeframe in :mod:`tradeforge.models.lstm_mtf`.

torch is imported lazily, inside the methods that need it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator

from tradeforge.errors import DataError

from . import _lstm_io as io

__all__ = ["LSTMPredictor", "lstm_param_names"]

#: ``size="small"`` network (the ``size="auto"`` choice on CPU); see :class:`LSTMPredictor`.
SMALL = {"conv_channels": 32, "hidden": 32, "layers": 1, "heads": 2, "indicator_dim": 16, "lookback_cap": 30}
_SIZES = ("auto", "seed", "small")
_MIN_TRAIN_WINDOWS = 16


class LSTMPredictor(BaseEstimator):
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
        (pass ``size="seed"`` to train a custom shape on CPU); the small net keeps a walk-forward fold's
        fit within a CPU budget (throughput: ``bench/models_notes.md``).
    device : {"auto", "cpu", "cuda", "cuda:N"}
        "auto" uses CUDA when present.
    amp : {"auto", "bf16", "fp16", "off"}
        Mixed precision on CUDA ("auto": bf16 where supported, else fp16 with a GradScaler); CPU is fp32.
    random_state : int
        Seeds weights, dropout and the shuffle. On CPU the same seed gives bitwise identical predictions.
    num_threads : int, optional
        torch threads during fit/predict (the caller's count is restored). None: 1 for the small shape,
        the current count for the seed shape (the small net's GEMMs are too small to split across
        threads; see ``bench/models_notes.md``).

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

    def __sklearn_tags__(self):
        """Regression on rows in time order; NaN warm-up rows allowed."""
        tags = super().__sklearn_tags__()
        tags.estimator_type = "regressor"
        tags.input_tags.allow_nan = True
        tags.target_tags.required = True
        tags.target_tags.single_output = True
        tags.target_tags.multi_output = False
        from sklearn.utils import RegressorTags

        tags.regressor_tags = RegressorTags(poor_score=True)
        return tags

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
        data, scaler = io.build_train_data(mats, ys, cfg["lookback"], self.horizon, self.val_fraction,
                                           ind_idx)
        if len(data.train_ends) < _MIN_TRAIN_WINDOWS:
            from ._sklearn import ModelValueError

            raise ModelValueError(
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
        """Prediction for the last bar of ``X`` only (the live path): ``predict(X)[-1]`` bitwise on CPU.

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

    def predict_last_many(self, frames: Sequence) -> np.ndarray:
        """Prediction at the last row of every frame in one forward pass (many symbols' live step).

        Each frame holds one symbol's feature rows ending at the row to predict (at least ``lookback``
        rows; a shorter frame, or non-finite values in its last window, gives NaN). The numbers equal
        :meth:`predict_last` on each frame up to float32 rounding: on CPU a window's rounding depends on its
        row in the batch (:meth:`predict_last` keeps it at row ``end % 32``; here the rows are the frames'
        order).

        Parameters
        ----------
        frames : sequence of DataFrame or 2-D array
            The symbols' feature rows (the columns ``fit`` saw).

        Returns
        -------
        ndarray
            One float64 prediction per frame, in target units.

        Examples
        --------
        >>> import numpy as np
        >>> X = np.random.default_rng(1).normal(size=(200, 2)); y = np.r_[X[1:, 0], np.nan]
        >>> m = LSTMPredictor(lookback=8, epochs=1, size="small", device="cpu").fit(X, y)
        >>> got = m.predict_last_many([X[:100], X[:150], X[:5]])
        >>> bool(abs(got[0] - m.predict_last(X[:100])) < 1e-5), bool(np.isnan(got[2]))
        (True, True)
        """
        import torch

        from . import _trainer as tr

        self._check_fitted()
        out = np.full(len(frames), np.nan)
        if not len(frames):
            return out
        lookback = int(self.config_["lookback"])
        mats = self._prepare(list(frames))
        usable = [i for i, m in enumerate(mats) if len(m) >= lookback and np.isfinite(m[-lookback:]).all()]
        if not usable:
            return out
        windows = np.stack([self.scaler_.transform(mats[i][-lookback:]) for i in usable])  # (B, L, F)
        ind_cols = np.asarray(self.indicator_idx_, dtype=np.int64)
        choice = self._predict_device()
        net = self.net_.to(choice.device)
        net.eval()
        with tr.run_context(choice, self._threads(self.config_), None), torch.inference_mode():
            x = torch.as_tensor(windows)
            ind = x[:, -1, :][:, torch.as_tensor(ind_cols)]
            scaled = net(x.to(choice.device), ind.to(choice.device)).double().cpu().numpy()
        out[usable] = self.scaler_.inverse_target(scaled)
        return out

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
            from ._sklearn import NotFittedModelError

            raise NotFittedModelError("this LSTMPredictor is not fitted yet; call fit(X, y) or "
                                      "LSTMPredictor.load(dir)")

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


def lstm_param_names() -> list[str]:
    """The hyper-parameter names of :class:`LSTMPredictor` (its ``__init__`` arguments)."""
    return sorted(LSTMPredictor().get_params(deep=False))
