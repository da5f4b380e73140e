"""Stage 2's model: a fitted :class:`~tradeforge.models.pipeline.MLPipeline` run on many candidates at once.

:class:`SignalModel` computes, for the last bar of each candidate's window, the numbers
``MLPipeline.predict_latest(window)`` computes - the multi-timeframe features, the GARCH features, one
LSTM prediction per timeframe, the stacked ensemble's probability and confidence and the trade's lines
(payoff, loss, cost, expected value, decision, widths, horizon) - but batched: one
``MLPipeline.decision_lines`` call (the pipeline's own decision rule) for all candidates, with the trade
widths of ``MLPipeline.trade_widths`` at each candidate's last bar, one LSTM forward pass per timeframe
over every candidate's last window (``LSTMPredictor.predict_last_many``; the same numbers up to float32
rounding), and the rolling GARCH features from the one fit their last row depends on
(:func:`~tradeforge.models.garch.last_garch_row`, bitwise, fits cached by
:mod:`~tradeforge.engine.signals._garch_last`). Features are computed for the last rows only
(:mod:`~tradeforge.engine.signals._features_last`). The risk lines (``ml_sigma``,
``ml_risk``) and metrics are the candidate's own, at signal time (:mod:`~tradeforge.engine.signals.risk`).

It is also a ``Predictor`` for :class:`~tradeforge.strategies.ml.MLStrategy` (``warmup``, ``window``,
``predict_latest``), which is how a test proves that the strategy takes the same decisions on the same bars.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from tradeforge.errors import DataError

from ._garch_last import last_garch
from .risk import candidate_risk

__all__ = ["SignalModel", "DECISIONS"]

DECISIONS = {1.0: "BUY", -1.0: "SELL", 0.0: "HOLD"}
_OHLCV = ["open", "high", "low", "close", "volume"]


class SignalModel:
    """A fitted pipeline plus benchmark closes: batched last-bar predictions and signal-time risk.

    Parameters
    ----------
    pipeline : MLPipeline
        Fitted (e.g. ``ModelRegistry(root).load()["pipeline"]``).
    benchmarks : mapping name -> Series, optional
        Benchmark closes on the universe's bars (first = market for beta).
    bars_per_timeframe : int
        Completed bars of every model timeframe each window must hold (besides the pipeline's warm-up).
    risk_returns : int, optional
        Returns of the dependence window (default: the pipeline's ``garch_window``).

    Attributes
    ----------
    warmup : int
        The pipeline's warm-up (bars); ``window`` is None (every bar given is used), as for the pipeline.
    """

    window: int | None = None

    def __init__(self, pipeline: Any, benchmarks: Mapping[str, pd.Series] | None = None, *,
                 bars_per_timeframe: int = 100, risk_returns: int | None = None) -> None:
        pipeline._check_fitted()
        self.pipeline = pipeline
        self.benchmarks = {str(k): v.astype(np.float64) for k, v in (benchmarks or {}).items()}
        self.bars_per_timeframe = int(bars_per_timeframe)
        self.risk_returns = int(risk_returns or pipeline.garch_window)
        self.warmup = int(pipeline.warmup)
        self.timeframes = list(pipeline.timeframes_)
        self.bar = pd.Timedelta(pipeline.bar_)
        self._last_inputs = None  # built on first use (the feature sets)

    def _last(self):
        from tradeforge.timeframes import TIMEFRAMES

        from ._features_last import LastInputs

        if self._last_inputs is None:
            full, lstm_fs = self.pipeline._feature_sets()
            higher = [tf for tf in self.timeframes if TIMEFRAMES[tf] > self.bar]
            looks = {tf: int(self.pipeline.lstm_.models_[tf].config_["lookback"]) for tf in self.timeframes}
            self._last_inputs = LastInputs(full, lstm_fs, self.bar, higher, looks)
        return self._last_inputs

    # ------------------------------------------------------------------ windows
    def history_bars(self, index: pd.DatetimeIndex) -> int:
        """Base bars a window ending at ``index[-1]`` needs: the warm-up, and ``bars_per_timeframe``
        completed bars of every timeframe (counted on *index*; the whole index when it is shorter)."""
        from tradeforge.timeframes import TIMEFRAMES

        need = self.warmup
        end = index[-1] + self.bar
        for tf in self.timeframes:
            size = TIMEFRAMES[tf]
            if size == self.bar:
                need = max(need, self.bars_per_timeframe)
                continue
            key = index.asi8 // size.value  # bins from midnight, as feeds.resample's origin="start_day"
            starts = key[np.r_[True, key[1:] != key[:-1]]] * size.value
            starts = starts[starts + size.value <= end.value]  # completed bars only
            if len(starts) < self.bars_per_timeframe:
                return len(index)
            first = starts[-self.bars_per_timeframe]
            need = max(need, len(index) - int(np.searchsorted(index.asi8, first)))
        return min(need, len(index))

    def window_of(self, df: pd.DataFrame) -> pd.DataFrame:
        """The window :meth:`predict_many` reads for a symbol: at least its last :meth:`history_bars`.

        Its first bar is the latest multiple of ``garch_refit_every`` bars (counted from the symbol's first
        bar) that leaves enough bars, so it moves only every ``garch_refit_every`` bars: from one bar to
        the next the features start where they started (as in the pipeline's batch run) and the GARCH
        refit points stay put, so their fits are reused (:mod:`~tradeforge.engine.signals._garch_last`).
        """
        spare = len(df) - self.history_bars(df.index)
        step = int(self.pipeline.garch_refit_every)
        return df.iloc[(spare // step) * step:] if spare > 0 else df

    # ------------------------------------------------------------------ predictions
    def predict_latest(self, window: pd.DataFrame) -> dict[str, float]:
        """Prediction lines of *window*'s last bar (the ``MLStrategy`` predictor protocol)."""
        sym = str(window.attrs.get("symbol", "data"))
        lines = self.predict_many({sym: window})[sym]
        return {k: v for k, v in lines.items() if k.startswith(("ml_", "pred_"))}

    def predict_many(self, windows: Mapping[str, pd.DataFrame]) -> dict[str, dict[str, float]]:
        """Lines and risk metrics of every window's last bar, keyed like *windows*.

        Each value holds the pipeline's lines (``ml_proba, ml_decision, ml_confidence, ml_expected_return,
        ml_payoff, ml_loss, ml_cost, ml_take, ml_stop, ml_horizon, pred_<tf>``, from
        ``MLPipeline.decision_lines``), the signal-time ``ml_sigma``/``ml_risk`` and the risk metrics of
        :func:`~tradeforge.engine.signals.risk.candidate_risk`. NaN where a window is too short.
        ``predict_many(w) == finish(prepare(w))``; seconds per step (``features, garch, lstm, ensemble,
        risk``) are left in ``timings_``.
        """
        return self.finish(self.prepare(windows))

    def prepare(self, windows: Mapping[str, pd.DataFrame]) -> dict[str, dict[str, Any]]:
        """The per-candidate work (features, GARCH, LSTM inputs, risk): each symbol on its own.

        Independent per symbol, so any split of the candidates (e.g. across Dask workers) gives the same
        result; :meth:`finish` then runs the batched models on all of them together. It runs with one
        BLAS/OpenMP thread wherever it runs (the GARCH optimiser's path depends on the thread count).
        """
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1):
            return self._prepare(windows)

    def _prepare(self, windows: Mapping[str, pd.DataFrame]) -> dict[str, dict[str, Any]]:
        import time

        spent = dict.fromkeys(("features", "garch", "risk"), 0.0)
        out = {}
        for s, window in windows.items():
            df = self._frame(window, s)
            row, tails, garch = self._inputs_last(df, spent)
            clock = time.perf_counter()
            out[s] = {"row": row, "lstm": tails, "risk": self._risk(df, garch), "trade": self._trade(df)}
            spent["risk"] += time.perf_counter() - clock
        self.prepare_timings_ = spent
        return out

    def finish(self, prepared: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, float]]:
        """One LSTM forward pass per timeframe and one ensemble call over every prepared candidate."""
        import time

        pipe = self.pipeline
        syms = list(prepared)
        spent = {**getattr(self, "prepare_timings_", {}), "lstm": 0.0, "ensemble": 0.0}
        clock = time.perf_counter()
        preds = {tf: pipe.lstm_.models_[tf].predict_last_many([prepared[s]["lstm"][tf] for s in syms])
                 for tf in self.timeframes}
        spent["lstm"] += time.perf_counter() - clock
        clock = time.perf_counter()
        X = pd.DataFrame([prepared[s]["row"] for s in syms], index=syms)
        for tf in self.timeframes:
            X[f"pred_{tf}"] = preds[tf]
        X = X[pipe.columns_]
        scale, take, stop = (np.array([prepared[s]["trade"][i] for s in syms], dtype=np.float64)
                             for i in range(3))
        lines = pipe.decision_lines(X, scale, take, stop)
        out = {s: {name: float(values[i]) for name, values in lines.items()} for i, s in enumerate(syms)}
        for s in syms:
            out[s].update({f"pred_{tf}": float(X.at[s, f"pred_{tf}"]) for tf in self.timeframes})
            out[s].update(prepared[s]["risk"])
        spent["ensemble"] += time.perf_counter() - clock
        self.timings_ = {k: round(v, 4) for k, v in spent.items()}
        self.prepare_timings_ = {}
        return out

    def _frame(self, df: pd.DataFrame, sym: str) -> pd.DataFrame:
        if not isinstance(df, pd.DataFrame) or len(df) < 2:
            raise DataError(f"window['{sym}']: expected an OHLCV DataFrame of at least 2 bars")
        out = df.loc[:, _OHLCV].astype(np.float64)
        out.attrs = {**df.attrs, "bar": self.bar, "symbol": sym}
        return out

    def _inputs_last(self, df: pd.DataFrame, spent: dict[str, float]):
        """The last row of the pipeline's per-bar inputs (``MLPipeline._inputs``), the LSTM tails of every
        timeframe (the rows of ``timeframe_inputs`` ending at the last bar complete by *df*'s end) and the
        GARCH state; features from :class:`~tradeforge.engine.signals._features_last.LastInputs`."""
        import time

        from tradeforge.models.risk import log_returns

        pipe = self.pipeline
        clock = time.perf_counter()
        row, tails = self._last().compute(df)
        spent["features"] += time.perf_counter() - clock
        clock = time.perf_counter()
        r = log_returns(df["close"].to_numpy())
        g = last_garch(r[1:], int(pipe.garch_window), int(pipe.garch_refit_every), horizon=5)
        spent["garch"] += time.perf_counter() - clock
        row.update(garch_sigma=np.nan if g is None else g.sigma, garch_var=np.nan if g is None else g.var,
                   garch_cvar=np.nan if g is None else g.cvar)
        return row, tails, g

    def _trade(self, df: pd.DataFrame) -> tuple[float, float, float]:
        """``(scale, take, stop)`` of the pipeline's trade at *df*'s last bar (``pipeline.trade_widths``).

        The widths at a bar depend on the last ``vol_window`` returns only (``causal_sigma`` computes each
        window on its own), so the last ``vol_window + 2`` closes give the same values bitwise.
        """
        close = df["close"].to_numpy()[-(int(self.pipeline.vol_window) + 2):]
        return tuple(float(a[-1]) for a in self.pipeline.trade_widths(close))

    def _risk(self, df: pd.DataFrame, garch) -> dict[str, float]:
        n = self.risk_returns
        close = df["close"].iloc[-(n + 1):]
        r = np.diff(np.log(close.to_numpy()))
        bench = {}
        for name, b in self.benchmarks.items():
            aligned = b.reindex(close.index).to_numpy()
            bench[name] = np.diff(np.log(aligned))
        return candidate_risk(r, bench, garch, bars_per_day=_bars_per_day(df.index, self.bar))


def _bars_per_day(index: pd.DatetimeIndex, bar: pd.Timedelta) -> float:
    """:func:`tradeforge.models.risk.bars_per_day` (the median count of bars per calendar date) in numpy."""
    if bar >= pd.Timedelta(days=1):
        return 1.0
    days = index.asi8 // pd.Timedelta(days=1).value
    starts = np.flatnonzero(np.r_[True, days[1:] != days[:-1]])
    counts = np.diff(np.r_[starts, len(days)])
    return float(max(1.0, np.median(counts)))
