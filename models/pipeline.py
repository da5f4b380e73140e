"""The model pipeline behind ``MLStrategy``: OHLCV in, causal prediction lines out.

:class:`MLPipeline` assembles the pieces of :mod:`tradeforge.models` for one or several symbols:

1. **features** - :func:`~tradeforge.models.features.default_feature_set` on the base bars plus every
   higher timeframe of ``timeframes`` (completed higher bars only);
2. **targets** - the LSTMs learn the forward log return over ``horizon`` bars of their timeframe; the
   ensemble learns whether the trade of :attr:`MLPipeline.trade` (a
   :class:`~tradeforge.models.targets.TradeSpec`: entry at the next open, stop/target from the entry
   price live from the entry bar, time exit after ``label_horizon`` bars, commission) made money net of
   costs - exactly the trade ``MLStrategy`` places from the ``ml_take``/``ml_stop``/``ml_horizon`` lines;
   a training row is kept only when its label ends at or before ``train_end`` (the purge at the edge of
   the window, where walk-forwards usually leak), and nothing after ``train_end`` is ever read;
3. **GARCH features** - :func:`~tradeforge.models.garch.garch_features` (rolling refits, causal);
4. **LSTMs** - one per timeframe; their predictions enter the ensemble *out of fold*: the training rows
   are cut into an anchored walk-forward of ``lstm_oof_splits`` blocks and each block is predicted by an
   LSTM fitted on labels complete before it (the rows of the first window, which no LSTM predicted, are
   left out of the ensemble's training); the LSTMs are then refitted on the whole window;
5. **ensemble** - :class:`~tradeforge.models.ensemble.StackedEnsemble` with ``purge=label_end``; the
   training trades' mean win and mean loss (before costs, in units of the trade's ``scale``) give the
   payoff and loss of the decision rule: ``ml_expected_return = p * payoff - (1 - p) * loss - cost`` and
   ``ml_decision = +1`` when it is above ``min_edge * loss`` (``0`` otherwise; never SELL); ``cost``
   (the ``ml_cost`` line) is the round trip spread over the legs a position is expected to be rolled
   for, measured on the window's out-of-fold predictions (``legs_``, see ``_expected_legs``): a
   position is entered once and rolled while its edge lasts, so one leg need not pay the whole round trip;
6. **risk** - a GARCH(1,1)-t refitted on the window's returns and frozen, beta and lower-tail dependence
   against ``benchmark`` (:class:`~tradeforge.models.risk.SymbolRisk`), giving ``ml_sigma`` and ``ml_risk``.

:meth:`MLPipeline.fit` runs these steps top to bottom; the per-timeframe LSTMs live in
:mod:`~tradeforge.models.lstm_mtf` and the risk lines in :mod:`~tradeforge.models.risk`.

Batch and live paths
--------------------
:meth:`MLPipeline.predict_frame` gives every bar's lines; :meth:`MLPipeline.predict_latest` gives the last
bar's and equals ``predict_frame(window).iloc[-1]`` bitwise on CPU. A row depends on bars ``<= t`` only,
but, as with any EMA-type indicator (MACD, ATR, ADX, the GARCH recursion), also on *where the bars
start*: exact batch/live equality needs the live window to start where the batch run started. Hence
``window = None`` ("pass every bar since the batch run's start"); ``warmup`` is the number of bars after
which the first full prediction exists (measured on the training history from its first bar).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from tradeforge.errors import ConfigError, DataError, ModelError
from tradeforge.timeframes import TIMEFRAMES, check_timeframes, common_bar_size, usable_timeframes

from .lstm_mtf import (
    MultiTimeframeLSTM,
    TfData,
    fit_known_by,
    oof_predictions,
    predict_frames,
    timeframe_inputs,
)
from .params import PipelineParams
from .risk import SymbolRisk, bars_per_day, benchmark_returns, log_returns

__all__ = ["MLPipeline", "LINES"]

#: Prediction lines besides the per-timeframe ``pred_<tf>`` columns, in output order.
LINES = ("ml_proba", "ml_decision", "ml_confidence", "ml_expected_return", "ml_risk", "ml_sigma",
         "ml_payoff", "ml_loss", "ml_cost", "ml_take", "ml_stop", "ml_horizon")
_FORMAT = "tradeforge.pipeline/1"
_GARCH_COLS = ("garch_sigma", "garch_var", "garch_cvar")
_OHLCV = ("open", "high", "low", "close", "volume")


class MLPipeline(PipelineParams, BaseEstimator):
    """Features, targets, per-timeframe LSTMs, stacked ensemble and GARCH risk as prediction lines.

    Parameters
    ----------
    timeframes : sequence of str, optional
        LSTM timeframes (and higher feature timeframes); None: every timeframe of
        ``tradeforge.timeframes.TIMEFRAMES`` at or above the data's bar size that is a whole multiple of it
        (daily data: ``("1d",)``).
    horizon : int
        Bars ahead of the LSTMs' forward log-return target.
    take_profit, stop_loss, label_horizon, barrier_units, vol_window, commission
        The traded trade (:class:`~tradeforge.models.targets.TradeSpec` ``take_profit, stop_loss, horizon,
        units, vol_window, commission``): barriers of 2 sigma (causal 20-bar sigma times
        ``sqrt(label_horizon)``) by default, ``barrier_units="fraction"`` for fixed fractions; a one-bar
        holding period; the broker's commission per side.
    min_edge : float
        ``ml_decision`` is +1 when the trade's expected net return exceeds ``min_edge * ml_loss`` (a margin
        as a fraction of the expected loss; ``MLStrategy``'s parameter of the same name and meaning).
    lstm_lookback, lstm_epochs : int
        LSTM window length and epoch budget (``size="small"`` net, early stopping).
    lstm_groups : sequence of str
        Feature groups the LSTMs see (a compact subset keeps a fit within the CPU budget).
    lstm_oof_splits : int
        Walk-forward blocks for the LSTMs' out-of-fold predictions on the training rows.
    base_models, ensemble_splits, calibration, buy_threshold, sell_threshold
        Passed to :class:`StackedEnsemble` (``n_splits=ensemble_splits``); by default the screened and the
        sparse logit, a random forest and an MLP (``models.params.DEFAULT_BASE_MODELS``; xgb, lgbm and svm
        on request). ``calibration="none"`` (default) keeps the logistic meta-learner's probability, itself
        fitted on the base models' out-of-fold predictions; a second calibrator fitted on the few hundred
        out-of-fold rows of a walk-forward window adds noise that the expected-value rule then trades on.
        The thresholds only set the ensemble's own BUY/SELL/HOLD (``ml_decision`` is the trade's expected
        value, see ``min_edge``).
    meta_slope : {"latest_block", "pooled"}
        Where the ensemble's meta-learner takes the slope of its combined log-odds from (``StackedEnsemble``'s
        parameter): the latest level-1 block (default), whose base models were fitted on the most rows, or
        every out-of-fold row pooled, whose early blocks squeeze the probabilities towards the base rate.
    ensemble_fast : bool
        Use the ensemble's small members (``StackedEnsemble(fast=True)``: 30 trees of depth 5, 40 boosting
        rounds), sized for the few hundred training rows of a walk-forward fold (timings:
        ``bench/models.py``).
    garch_window, garch_refit_every : int
        Rolling window and refit step of the causal GARCH features.
    benchmark : Series, optional
        Benchmark close prices for beta and tail dependence; None uses the equal-weighted index of the
        symbols when there are several, and no beta/tail term for a single symbol.
    fast : bool
        Small models for tests and quick experiments (LSTM at most 3 epochs, small ensemble members).
    device : str
        LSTM device: ``"auto"`` (default) uses CUDA when present, else the CPU; ``"cpu"`` keeps
        predictions bitwise reproducible across machines.
    num_threads : int, optional
        torch threads during LSTM fit/predict (1 inside walk-forward workers); None keeps the current.
    n_jobs : int
        Threads of the tree models.
    random_state : int
        Seeds every model; same data and seed give bitwise identical predictions on CPU.

    Attributes
    ----------
    warmup : int
        Bars needed before the first full prediction row (0 before fit).
    window : None
        Bars the live caller must pass to :meth:`predict_latest`: None means all bars since the batch
        run's start (see the module notes).
    report_ : dict
        Ensemble OOF ``auc``/``brier``/``ece`` of the calibrated stack (``StackedEnsemble.report_`` row
        ``stack_calibrated``, what ``ml_proba`` is), ``auc_stack`` (the meta-learner's OOF AUC before
        calibration), ``n_scored`` rows they were measured on, ``positive_rate`` and ``n_train`` of the
        ensemble's training rows, and ``timings`` (seconds per stage: features with the GARCH inputs, lstm,
        ensemble, garch for the frozen risk model).

    Examples
    --------
    >>> from tradeforge.feeds import load
    >>> df = load("synth:symbols=1,bars=450,freq=1d,seed=0,edge=0.3")["SYN00"]
    >>> pipe = MLPipeline(fast=True, garch_window=60).fit(df)
    >>> list(pipe.predict_frame(df).columns)[:2]
    ['ml_proba', 'ml_decision']
    """

    window: int | None = None

    @property
    def warmup(self) -> int:
        """Bars needed before the first full prediction row.

        After :meth:`fit`: measured on the training history from its first bar. Before: the estimate for
        data whose only timeframe is the bar size (daily data), ``max(garch_window + 1, feature lookback
        + 1, LSTM feature lookback + lstm_lookback)``; higher timeframes need more.

        Examples
        --------
        >>> MLPipeline(garch_window=250).warmup
        251
        """
        if hasattr(self, "warmup_"):
            return int(self.warmup_)
        full, lstm_fs = self._feature_sets()
        return max(int(self.garch_window) + 1, full.warmup + 1, lstm_fs.warmup + int(self.lstm_lookback))

    def _feature_sets(self):
        from .features import default_feature_set

        full = default_feature_set()
        return full, full.select(list(self.lstm_groups))

    def _lstm(self) -> MultiTimeframeLSTM:
        lstm = {"lookback": int(self.lstm_lookback), "horizon": int(self.horizon),
                "epochs": min(int(self.lstm_epochs), 3) if self.fast else int(self.lstm_epochs),
                "size": "small", "device": self.device, "random_state": int(self.random_state),
                "num_threads": self.num_threads}
        return MultiTimeframeLSTM(tuple(self.timeframes_), bar=self.bar_, lstm_params=lstm)

    def _ensemble(self, purge: np.ndarray):
        from .ensemble import StackedEnsemble

        return StackedEnsemble(base_models=tuple(self.base_models), meta_slope=self.meta_slope,
                               calibration=self.calibration,
                               n_splits=int(self.ensemble_splits), purge=purge,
                               buy_threshold=self.buy_threshold, sell_threshold=self.sell_threshold,
                               random_state=int(self.random_state), n_jobs=int(self.n_jobs),
                               fast=bool(self.fast or self.ensemble_fast))

    # ------------------------------------------------------------------ per-bar inputs (fit and predict)
    def _inputs(self, df: pd.DataFrame) -> pd.DataFrame:
        """Base and higher-timeframe features of *df* (completed higher bars only) plus the GARCH columns."""
        from .features import build_multi_timeframe
        from .garch import garch_features

        src = df.copy(deep=False)
        src.attrs = {**df.attrs, "bar": self.bar_}
        higher = [tf for tf in self.timeframes_ if TIMEFRAMES[tf] > self.bar_]
        feats = build_multi_timeframe(src, higher, self._feature_sets()[0])
        r = log_returns(df["close"].to_numpy())
        garch = np.full((len(df), 3), np.nan)
        if len(df) > self.garch_window:
            g = garch_features(r[1:], window=int(self.garch_window), refit_every=int(self.garch_refit_every))
            garch[1:] = g.to_numpy()
        return feats.join(pd.DataFrame(garch, index=df.index, columns=list(_GARCH_COLS)))

    def _tf_inputs(self, df: pd.DataFrame) -> dict[str, TfData]:
        """Per LSTM timeframe: *df*'s bars of that timeframe with LSTM features and targets."""
        return timeframe_inputs(df, self.timeframes_, self.bar_, self._feature_sets()[1], int(self.horizon))

    # ------------------------------------------------------------------ fit
    def fit(self, history: pd.DataFrame | Mapping[str, pd.DataFrame], train_start: Any = None,
            train_end: Any = None) -> MLPipeline:
        """Fit every stage on the bars ``train_start..train_end`` of *history* (earlier bars: warm-up only).

        Parameters
        ----------
        history : DataFrame or mapping symbol -> DataFrame
            Validated OHLCV bars (``docs/CONTRACTS.md``); bars after ``train_end`` are never read.
        train_start, train_end : timestamp-like, optional
            First and last bar whose label may be learned (default: the first and last bar). A row is
            learned only if its triple-barrier label ends at or before ``train_end``.

        Returns
        -------
        MLPipeline
            ``self``, fitted.
        """
        self._check_params()
        frames, start = self._fit_frames(history, train_start, train_end)
        timings: dict[str, float] = {}
        clock = time.perf_counter()
        # 1-3. features + causal GARCH inputs, then labelled rows where every input is finite
        inputs = {s: self._inputs(df) for s, df in frames.items()}
        timings["features"] = time.perf_counter() - clock
        rows = self._training_rows(frames, inputs, start)
        # 4. LSTMs: out-of-fold predictions for the ensemble's rows, then a refit on the whole window
        clock = time.perf_counter()
        tf_inputs = {s: self._tf_inputs(df) for s, df in frames.items()}
        index = {s: df.index for s, df in frames.items()}
        lstm = self._lstm()
        rows = rows.join(oof_predictions(lstm, tf_inputs, index, rows, int(self.lstm_oof_splits), start))
        cutoff = max(df.index[-1] for df in frames.values()) + self.bar_
        self.lstm_ = fit_known_by(lstm, tf_inputs, cutoff, start)
        timings["lstm"] = time.perf_counter() - clock
        # 5. stacked ensemble on the rows every LSTM predicted out of fold
        clock = time.perf_counter()
        self._fit_ensemble(inputs, rows)
        timings["ensemble"] = time.perf_counter() - clock
        # 6. frozen risk model per symbol
        clock = time.perf_counter()
        bench = benchmark_returns(self.benchmark, frames)
        self.risk_ = {}
        for sym, df in frames.items():
            r = pd.Series(log_returns(df["close"].to_numpy()), index=df.index)
            r = (r[r.index >= start] if start is not None else r).dropna()
            self.risk_[sym] = SymbolRisk.fit(r, bench, bars_per_day(df.index, self.bar_))
        timings["garch"] = time.perf_counter() - clock
        self.warmup_ = max(self._first_valid(inputs[s], df, tf_inputs[s]) for s, df in frames.items())
        rep, raw = self.ensemble_.report_.loc["stack_calibrated"], self.ensemble_.report_.loc["stack"]
        self.report_ = {"auc": float(rep["auc"]), "brier": float(rep["brier"]), "ece": float(rep["ece"]),
                        "auc_stack": float(raw["auc"]), "n_scored": int(rep["n"]),
                        "positive_rate": float(self.train_rows_["label"].mean()),
                        "n_train": int(len(self.train_rows_)), "expected_legs": round(self.legs_, 4),
                        "timings": {k: round(v, 4) for k, v in timings.items()}}
        return self

    def _fit_frames(self, history: Any, train_start: Any, train_end: Any):
        frames_in, _ = _as_frames(history)
        start = _timestamp(train_start, "train_start")
        end = _timestamp(train_end, "train_end")
        if start is not None and end is not None and start >= end:
            raise ConfigError(f"train_start={start} must be before train_end={end}")
        frames = {}
        for sym, df in frames_in.items():
            df = _check_frame(df, sym)
            frames[sym] = df.loc[:end] if end is not None else df  # never read a bar after train_end
            if len(frames[sym]) < 2:
                raise DataError(f"history['{sym}']: {len(frames[sym])} bar(s) up to train_end={end}; "
                                "pass more history")
        self.bar_ = common_bar_size(frames, known=True, what="history")
        self.timeframes_ = (usable_timeframes(self.bar_) if self.timeframes is None
                            else list(check_timeframes(self.timeframes, self.bar_)))
        self.symbols_ = list(frames)
        return frames, start

    def _training_rows(self, frames, inputs, start) -> pd.DataFrame:
        """Labelled rows (symbol, pos, time, label, ret, gross, scale, label_end) in time order, every input
        finite."""
        spec = self.trade
        parts = []
        for sym, df in frames.items():
            tb = spec.label(df)
            offset = tb["exit_offset"].fillna(-1).to_numpy(dtype=np.int64)
            pos = np.arange(len(df))
            end_pos = pos + offset
            ok = (offset >= 0) & (end_pos <= len(df) - 1) & np.isfinite(inputs[sym].to_numpy()).all(axis=1)
            if start is not None:
                ok &= df.index >= start
            keep = np.flatnonzero(ok)
            parts.append(pd.DataFrame({"symbol": sym, "pos": keep, "time": df.index[keep],
                                       "label": tb["label"].to_numpy()[keep],
                                       "ret": tb["ret"].to_numpy()[keep],
                                       "gross": tb["gross"].to_numpy()[keep],
                                       "scale": tb["scale"].to_numpy()[keep],
                                       "label_end": df.index[end_pos[keep]]}))
        rows = pd.concat(parts, ignore_index=True).sort_values(["time", "symbol"], kind="mergesort")
        oof = int(self.lstm_oof_splits)
        need = 25 * (int(self.ensemble_splits) + 1) * (oof + 1) // oof
        if len(rows) < need:
            raise DataError(
                f"history: only {len(rows)} labelled training rows remain after the feature/GARCH warm-up "
                f"(garch_window={self.garch_window} bars) and the purge of labels ending after train_end; "
                f"need at least {need}: pass more bars (or move train_start later to keep warm-up bars "
                "before it)"
            )
        return rows.reset_index(drop=True)

    def _fit_ensemble(self, inputs, rows: pd.DataFrame) -> None:
        pred_cols = [f"pred_{tf}" for tf in self.timeframes_]
        ens = rows[np.isfinite(rows[pred_cols].to_numpy()).all(axis=1)].reset_index(drop=True)
        first = next(iter(inputs.values()))
        X = np.empty((len(ens), first.shape[1]))
        for sym, frame in inputs.items():
            sel = (ens["symbol"] == sym).to_numpy()
            X[sel] = frame.to_numpy()[ens["pos"].to_numpy()[sel]]
        X = pd.DataFrame(X, columns=list(first.columns)).join(ens[pred_cols])
        times = ens["time"].to_numpy()
        purge = np.searchsorted(times, ens["label_end"].to_numpy(), side="right") - 1
        self.ensemble_ = self._ensemble(purge).fit(X, ens["label"].to_numpy().astype(np.int64),
                                                   returns=ens["ret"].to_numpy())
        self.columns_ = list(X.columns)
        self.train_rows_ = ens[["symbol", "time", "label", "label_end"]]
        # payoff and loss of the decision rule, before costs, in units of each trade's scale
        units = ((ens["ret"] + self.trade.cost) / ens["scale"]).to_numpy()
        win = ens["label"].to_numpy() == 1
        self.payoff_ = float(units[win].mean()) if win.any() else 0.0
        self.loss_ = float(-units[~win].mean()) if (~win).any() else 0.0
        self.legs_ = self._expected_legs(ens, self.ensemble_.oof_rows_, self.ensemble_.oof_proba_)

    def _expected_legs(self, ens: pd.DataFrame, rows: np.ndarray, proba: np.ndarray) -> float:
        """Legs a position is expected to be held for, measured on the training window's honest OOF rows.

        ``MLStrategy`` rolls a position into its next leg while the trade's expected value before costs
        stays above the margin (``p * payoff - (1 - p) * loss > min_edge * loss``, no new round trip to
        pay). On the scored out-of-fold rows of each symbol (each predicted by models that never saw it),
        the bars that meet that condition form runs; the mean run length in bars over ``label_horizon``
        is the expected number of legs (at least 1). The entry's round-trip cost is spread over them
        (:meth:`_trade_lines`): a persistent edge is worth entering even when one leg alone does not
        pay the round trip, as the rule that holds it does.
        """
        hold = proba * self.payoff_ - (1.0 - proba) * self.loss_ > float(self.min_edge) * self.loss_
        sym = ens["symbol"].to_numpy()[rows]
        pos = ens["pos"].to_numpy()[rows]
        order = np.lexsort((pos, sym))  # each symbol's bars in order
        sym, pos, hold = sym[order], pos[order], hold[order]
        # a held bar continues a run when the bar before it is the same symbol's previous bar, also held
        continues = np.zeros(len(hold), dtype=bool)
        continues[1:] = hold[1:] & hold[:-1] & (sym[1:] == sym[:-1]) & (pos[1:] == pos[:-1] + 1)
        runs = int(hold.sum() - continues.sum())  # held bars that start a run
        bars = float(hold.sum()) / runs if runs else 1.0  # the mean run length
        return max(1.0, bars / float(self.trade.horizon))

    def _first_valid(self, inputs: pd.DataFrame, df: pd.DataFrame, datas) -> int:
        full = inputs.join(predict_frames(self.lstm_, datas, df.index))[self.columns_]
        ok = np.isfinite(full.to_numpy()).all(axis=1)
        return int(np.argmax(ok)) + 1 if ok.any() else len(df)

    # ------------------------------------------------------------------ predict
    def _check_fitted(self) -> None:
        if not hasattr(self, "ensemble_"):
            raise ModelError("MLPipeline is not fitted: call fit(history) or MLPipeline.load(directory) "
                             "first")

    def _symbol(self, name: str) -> str:
        if name in self.risk_:
            return name
        if len(self.risk_) == 1:
            return next(iter(self.risk_))
        raise ModelError(f"symbol '{name}' was not among the fitted symbols {list(self.risk_)}; set "
                         "df.attrs['symbol'] or pass a mapping keyed by a fitted symbol")

    def predict_frame(self, history: pd.DataFrame | Mapping[str, pd.DataFrame],
                      start: Any = None) -> pd.DataFrame | dict[str, pd.DataFrame]:
        """Prediction lines of every bar from *start* (default: the first); earlier bars are warm-up.

        Columns: ``ml_proba, ml_decision (+1 enter / 0), ml_confidence, ml_expected_return (the trade's
        expected net return), ml_risk (1-10), ml_sigma, ml_payoff, ml_loss, ml_cost, ml_take, ml_stop,
        ml_horizon, pred_<tf>``; NaN where the warm-up prevents a value. A row depends on bars ``<= t``.
        A mapping of symbols gives a dict of frames.

        Examples
        --------
        >>> from tradeforge.feeds import load
        >>> df = load("synth:symbols=1,bars=450,freq=1d,seed=0")["SYN00"]
        >>> MLPipeline(fast=True, garch_window=60).fit(df).predict_frame(df).shape[1]
        13
        """
        self._check_fitted()
        frames, was_mapping = _as_frames(history)
        begin = _timestamp(start, "start")
        out = {sym: self._predict_one(_check_frame(df, sym), self._symbol(sym), begin)
               for sym, df in frames.items()}
        return out if was_mapping else next(iter(out.values()))

    def _predict_one(self, df: pd.DataFrame, sym: str, start: pd.Timestamp | None) -> pd.DataFrame:
        if len(df) == 0:
            raise DataError(f"history['{sym}']: no bars to predict; pass at least one OHLCV row")
        bar = df.attrs.get("bar")
        if bar is not None and pd.Timedelta(bar) != self.bar_:
            raise DataError(f"history['{sym}']: bar size {bar} differs from the fitted {self.bar_}; "
                            "pass bars of the timeframe the pipeline was fitted on")
        first = int(df.index.searchsorted(start)) if start is not None else 0
        X = self._inputs(df).join(predict_frames(self.lstm_, self._tf_inputs(df), df.index))
        X = X[self.columns_].iloc[first:]
        pred_cols = [f"pred_{tf}" for tf in self.timeframes_]
        out = pd.DataFrame(np.nan, index=X.index, columns=[*LINES, *pred_cols])
        scale, take, stop = (a[first:] for a in self.trade_widths(df["close"].to_numpy()))
        for name, values in self.decision_lines(X, scale, take, stop).items():
            out[name] = values
        sigma, score = self.risk_[sym].lines(log_returns(df["close"].to_numpy()))
        out["ml_risk"] = score[first:]
        out["ml_sigma"] = sigma[first:]
        out[pred_cols] = X[pred_cols].to_numpy()
        return out

    def trade_widths(self, close: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(scale, take, stop)`` of :attr:`trade` at every bar of *close*, each known at its bar.

        ``scale`` is the unit of the payoff and loss (``TradeSpec.scale``), ``take``/``stop`` the barrier
        widths as fractions of the entry price (``TradeSpec.widths``; NaN: no trade yet). Pass them, cut
        to the rows predicted, to :meth:`decision_lines`.
        """
        spec = self.trade
        take, stop = spec.widths(close)
        return spec.scale(close), take, stop

    def decision_lines(self, X: pd.DataFrame, scale: np.ndarray, take: np.ndarray,
                       stop: np.ndarray) -> dict[str, np.ndarray]:
        """The ensemble's and the trade's lines of the rows of *X*, one batched ensemble call.

        The decision rule of :meth:`predict_frame` on any set of rows (bars of one symbol, or the last
        bars of many): the batch and live paths and ``tradeforge signals`` all call it.

        Parameters
        ----------
        X : DataFrame
            One row per prediction, columns ``columns_`` (the per-bar inputs and ``pred_<tf>``).
        scale, take, stop : ndarray
            Per row of *X*, from :meth:`trade_widths` of the row's own bars.

        Returns
        -------
        dict of ndarray
            ``ml_proba, ml_confidence, ml_payoff, ml_loss, ml_cost, ml_expected_return (p * payoff - (1 - p)
            * loss - cost), ml_decision (+1 when that is above min_edge * loss, else 0), ml_take, ml_stop,
            ml_horizon``; NaN where a row has a non-finite input (the trade's lines also where it has no
            barrier widths).
        """
        X = X[self.columns_]
        proba = np.full(len(X), np.nan)
        confidence = np.full(len(X), np.nan)
        ok = np.isfinite(X.to_numpy()).all(axis=1)
        if ok.any():
            dec = self.ensemble_.decide(X[ok])
            proba[ok] = dec["proba"].to_numpy()
            confidence[ok] = dec["confidence"].to_numpy()
        widths = (np.asarray(a, dtype=np.float64) for a in (scale, take, stop))
        return {"ml_proba": proba, "ml_confidence": confidence, **self._trade_lines(proba, *widths)}

    def _trade_lines(self, p: np.ndarray, scale: np.ndarray, take: np.ndarray,
                     stop: np.ndarray) -> dict[str, np.ndarray]:
        """The trade's widths and horizon, its payoff/loss/cost and the expected-value decision."""
        cost = self.trade.cost / self.legs_  # spread over the expected legs
        payoff = self.payoff_ * scale
        loss = self.loss_ * scale
        ev = p * payoff - (1.0 - p) * loss - cost
        margin = float(self.min_edge) * loss
        lines = {"ml_payoff": payoff, "ml_loss": loss, "ml_cost": np.full(len(p), cost),
                 "ml_expected_return": ev,
                 "ml_decision": np.where(np.isfinite(ev), (ev > margin).astype(np.float64), np.nan),
                 "ml_take": take.copy(), "ml_stop": stop.copy(),
                 "ml_horizon": np.full(len(p), float(self.trade.horizon))}
        missing = ~np.isfinite(p) | ~np.isfinite(take)
        for name in ("ml_payoff", "ml_loss", "ml_cost", "ml_take", "ml_stop", "ml_horizon"):
            lines[name] = np.where(missing, np.nan, lines[name])
        return lines

    def predict_latest(self, window: pd.DataFrame) -> dict[str, float]:
        """Lines of the last bar of *window*: the live path, equal to ``predict_frame(window).iloc[-1]``.

        *window* holds every bar since the batch run's start (``window`` attribute None), at least
        ``warmup`` of them for a full prediction.

        Examples
        --------
        >>> from tradeforge.feeds import load
        >>> df = load("synth:symbols=1,bars=450,freq=1d,seed=0")["SYN00"]
        >>> sorted(MLPipeline(fast=True, garch_window=60).fit(df).predict_latest(df))[:2]
        ['ml_confidence', 'ml_cost']
        """
        self._check_fitted()
        if not isinstance(window, pd.DataFrame) or len(window) == 0:
            raise DataError(f"window: expected a non-empty OHLCV DataFrame, got {type(window).__name__}")
        row = self.predict_frame(window, start=window.index[-1]).iloc[-1]
        return {str(k): float(v) for k, v in row.items()}

    # ------------------------------------------------------------------ persistence
    def save(self, directory: str | Path) -> list[Path]:
        """Write the fitted pipeline into *directory*; return the files written.

        ``pipeline.json`` (parameters, fitted scalars, report) plus each component's own format:
        ``ensemble/`` (:meth:`StackedEnsemble.save`), ``lstm_<tf>/lstm.pt``, ``garch_<i>/garch.json``.
        The benchmark series itself is not stored (its fitted beta and tail dependence are).
        """
        self._check_fitted()
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        files = self.ensemble_.save(directory / "ensemble")
        for tf, model in self.lstm_.models_.items():
            files += model.save(directory / f"lstm_{tf}")
        risk = {}
        for i, (sym, r) in enumerate(self.risk_.items()):
            risk[sym], written = r.to_state(directory, f"garch_{i}")
            files += written
        params = {k: (list(v) if isinstance(v, tuple | list) else v) for k, v in self.get_params().items()}
        params["benchmark"] = None
        state = {"format": _FORMAT, "params": params, "bar": str(self.bar_), "timeframes": self.timeframes_,
                 "symbols": self.symbols_, "columns": self.columns_, "warmup": self.warmup_,
                 "risk": risk, "report": self.report_, "payoff": self.payoff_, "loss": self.loss_,
                 "legs": self.legs_}
        path = directory / "pipeline.json"
        path.write_text(json.dumps(state, indent=1))
        return [path, *files]

    @classmethod
    def load(cls, directory: str | Path) -> MLPipeline:
        """Read a pipeline written by :meth:`save` (through ``ModelRegistry`` to verify checksums first)."""
        from .ensemble import StackedEnsemble
        from .lstm import LSTMPredictor

        directory = Path(directory)
        path = directory / "pipeline.json"
        try:
            state = json.loads(path.read_text())
        except FileNotFoundError as exc:
            raise ModelError(f"{path} is missing; save a fitted MLPipeline there or restore the "
                             "file") from exc
        except json.JSONDecodeError as exc:
            raise ModelError(f"{path} is not valid JSON ({exc}); restore it or refit") from exc
        if state.get("format") != _FORMAT:
            raise ModelError(f"{path} is not a {_FORMAT} file (format {state.get('format')!r}); refit and "
                             "save")
        params = dict(state["params"])
        for key in ("lstm_groups", "base_models"):
            params[key] = tuple(params[key])
        model = cls(**params)
        model.bar_ = pd.Timedelta(state["bar"])
        model.timeframes_ = list(state["timeframes"])
        model.symbols_ = list(state["symbols"])
        model.columns_ = list(state["columns"])
        model.warmup_ = int(state["warmup"])
        model.report_ = state["report"]
        model.payoff_, model.loss_ = float(state["payoff"]), float(state["loss"])
        model.legs_ = float(state.get("legs", 1.0))
        model.ensemble_ = StackedEnsemble.load(directory / "ensemble")
        model.lstm_ = model._lstm()
        model.lstm_.models_ = {tf: LSTMPredictor.load(directory / f"lstm_{tf}") for tf in model.timeframes_}
        model.lstm_.timeframes_ = list(model.timeframes_)
        model.risk_ = {sym: SymbolRisk.from_state(r, directory) for sym, r in state["risk"].items()}
        return model



def _as_frames(history: Any, label: str = "history") -> tuple[dict[str, pd.DataFrame], bool]:
    """``({symbol: frame}, was_mapping)``; a single frame is keyed by ``attrs["symbol"]`` (or ``"data"``)."""
    if isinstance(history, pd.DataFrame):
        return {str(history.attrs.get("symbol", "data")): history}, False
    if isinstance(history, Mapping):
        if not history:
            raise DataError(f"{label}: got an empty mapping; pass symbol -> OHLCV DataFrame")
        return {str(k): v for k, v in history.items()}, True
    raise DataError(
        f"{label}: expected an OHLCV DataFrame or a mapping symbol -> DataFrame, got "
        f"{type(history).__name__}; "
        "load data with tradeforge.feeds.load"
    )


def _check_frame(df: Any, name: str) -> pd.DataFrame:
    """Check that *df* is a float OHLCV frame on a sorted unique DatetimeIndex; return the five columns."""
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"history['{name}']: expected a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in _OHLCV if c not in df.columns]
    if missing:
        raise DataError(
            f"history['{name}']: missing column(s) {missing} (has {list(df.columns)}); pass lower-case "
            "open, high, low, close, volume (tradeforge.feeds.validate_ohlcv normalises them)"
        )
    if not isinstance(df.index, pd.DatetimeIndex):
        raise DataError(f"history['{name}']: the index must be a DatetimeIndex, got "
                        f"{type(df.index).__name__}; "
                        "validate it with tradeforge.feeds.validate_ohlcv")
    if not (df.index.is_monotonic_increasing and df.index.is_unique):
        raise DataError(f"history['{name}']: timestamps must be strictly increasing and unique; "
                        "validate it with tradeforge.feeds.validate_ohlcv")
    out = df.loc[:, list(_OHLCV)].astype(np.float64)
    bad = ~np.isfinite(out.to_numpy()).all(axis=1)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataError(f"history['{name}']: non-finite OHLCV value at row {row} ({df.index[row]}); "
                        "fill or drop it (tradeforge.feeds.validate_ohlcv finds every such row)")
    out.attrs = dict(df.attrs)
    return out


def _timestamp(value: Any, name: str) -> pd.Timestamp | None:
    """A tz-naive Timestamp from *value* (None passes through)."""
    if value is None:
        return None
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{name}: expected a date or timestamp, got {value!r}") from exc
    if ts.tzinfo is not None:
        raise ConfigError(f"{name}: got the tz-aware {ts}; pass wall-clock time like the data's index")
    return ts
