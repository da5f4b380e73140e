"""Causal, scale-free feature matrices from OHLCV bars, declared as a list of :class:`FeatureSpec`.

A :class:`FeatureSet` turns a validated OHLCV frame (see ``docs/CONTRACTS.md``) into one float64
column per spec, on the frame's own index. Every value at bar ``t`` depends on bars ``<= t`` only
(tests cut the data at random points and check that nothing before the cut changes). Rows before
:attr:`FeatureSet.warmup` hold NaN in at least one column; drop them before training.

Functions a spec may name: TA-Lib's (``rsi``, ``macd``, ``bbands``, ``adx``, ... computed by
:mod:`tradeforge.indicators`), derived scale-free ones (``logret``, ``realized_vol``,
``zscore``, ``signed_volume_zscore``, ``vwap``, ``rvol``, ``volume_ratio``, ``obv_slope``, ``ad_slope``,
``bollinger``, ``keltner_pos``, ``donchian_pos``, ``ma_cross``, ``bar_range``, ``bar_body``,
``close_location``, ``gap``, ``hour``, ``minute``, ``weekday``, ...) and any pandas-ta indicator as
``"pandas_ta:<name>"``. Normalisations make a price-level output scale-free: ``"close"`` (x / close),
``"distance"`` (close / x - 1), ``"pct"`` (x / 100), ``"volume"`` (x / 20-bar mean volume).

:func:`default_feature_set` is the 88-column set of the design (technical, volume, price/trend,
momentum, time); :func:`build_multi_timeframe` adds higher timeframes using completed bars only.

Modules, each importing only those above it: ``spec`` (FeatureSpec, Function: the leaf), ``_kernels``
(numba kernels of the derived features), ``pandas_ta_functions``, ``functions`` (the function table,
derived from :data:`tradeforge.indicators.table.INDICATORS`), ``parallel`` (the many-symbol executor),
``matrix`` (FeatureSet), ``defaults`` (the default set), ``multi_timeframe``.
"""

from .defaults import default_feature_set
from .matrix import FeatureSet
from .multi_timeframe import align_completed, build_multi_timeframe
from .spec import GROUPS, NORMALIZERS, FeatureSpec

__all__ = ["FeatureSpec", "FeatureSet", "default_feature_set", "build_multi_timeframe", "align_completed",
           "GROUPS", "NORMALIZERS"]
