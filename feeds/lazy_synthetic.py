"""Lazily generated synthetic universes: months of 1-minute bars for thousands of symbols, built on demand.

``synth:...,lazy=1`` (or :func:`lazy_universe`) draws the model of :mod:`tradeforge.feeds.synthetic`
(market factor and idiosyncratic GARCH(1,1)-t returns, the planted edge, the same OHLCV construction and
session calendar) with one numba kernel per symbol instead of ``arch``'s simulator, and builds a symbol's
frame only when it is read:

* ``universe[symbol]`` generates that symbol's whole history (a few milliseconds for 60,000 bars) and
  keeps the last ``cache`` frames read;
* :meth:`LazyUniverse.stack_tail` gives the last bars of every symbol as matrices without building any
  frame: what a scanner reads. Only the OHLCV values of the tail are formed (and kept, for the next
  bars' scans); the returns behind the price level still run over the whole history.

A signals run therefore holds deep history only for the candidates its scanner keeps (what a data vendor
that ships recent bars for every symbol and history on request looks like).

Determinism: symbol ``j`` (0-based, in the given order) draws from ``SeedSequence(seed, spawn_key=(j + 1,
...))`` and the market factor from ``spawn_key=(0,)`` (the children ``SeedSequence(seed).spawn`` would
give), so the same arguments give the same data, adding symbols leaves the others unchanged, reading
symbols in any order or subset gives the same frames, and a shorter series is a prefix of a longer one.
The bars' shape noise (gap, wicks, volume) is drawn per session day from its own child, so a tail needs
only its days' noise. The draws differ from ``lazy=0`` (another simulator), the model does not.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence

import numpy as np
import pandas as pd

from tradeforge.errors import ConfigError

__all__ = ["LazyUniverse", "lazy_universe", "synth_from_spec"]

_BURN = 500
_OHLCV = ("open", "high", "low", "close", "volume")


class LazyUniverse(Mapping):
    """A read-only mapping symbol -> OHLCV frame whose frames are generated when read.

    Built by :func:`lazy_universe` (see the module notes); ``dict(universe)`` materialises every frame.

    Attributes
    ----------
    index : DatetimeIndex
        The bars' labels (shared by every symbol).
    bar : Timedelta
        The bar size.
    """

    def __init__(self, names: list[str], index: pd.DatetimeIndex, bar: pd.Timedelta, *, seed: int,
                 edge: float, corr: float, variance: float, edge_kind: str, edge_lookback: int,
                 cache: int = 64, tail: int = 1000) -> None:
        from .synthetic import _GARCH, _SESSION

        self._names = list(names)
        self._pos = {s: j for j, s in enumerate(self._names)}
        self.index = index
        self.bar = bar
        self._seed, self._edge, self._corr, self._variance = int(seed), float(edge), float(corr), variance
        self._kind, self._lookback = edge_kind, int(edge_lookback)
        self._garch = _GARCH
        self._volume0 = 1e6 * min(1.0, bar / _SESSION)
        days = index.normalize().asi8
        self._day_start = np.flatnonzero(np.r_[True, days[1:] != days[:-1]])  # first bar of each day
        self._frames: OrderedDict[str, pd.DataFrame] = OrderedDict()
        self._cache = int(cache)
        self._market: tuple[np.ndarray, np.ndarray] | None = None
        self._tail = min(int(tail), len(index))
        self._tails: dict[str, np.ndarray] | None = None
        self._rank = {s: i for i, s in enumerate(sorted(self._names))}

    # ------------------------------------------------------------------ Mapping
    def __getitem__(self, symbol: str) -> pd.DataFrame:
        frame = self._frames.get(symbol)
        if frame is None:
            if symbol not in self._pos:
                raise KeyError(symbol)
            frame = self._frame(symbol)
            self._frames[symbol] = frame
            while len(self._frames) > self._cache:
                self._frames.popitem(last=False)
        self._frames.move_to_end(symbol)
        return frame

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._names))

    def __len__(self) -> int:
        return len(self._names)

    def __contains__(self, symbol: object) -> bool:
        return symbol in self._pos

    def __repr__(self) -> str:
        return (f"LazyUniverse({len(self._names)} symbols x {len(self.index)} bars of {self.bar}, "
                f"{len(self._frames)} built)")

    # ------------------------------------------------------------------ generation
    def _seq(self, *key: int) -> np.random.SeedSequence:
        return np.random.SeedSequence(self._seed, spawn_key=key)

    def _garch_draw(self, seq: np.random.SeedSequence) -> tuple[np.ndarray, np.ndarray]:
        from ._synth_nb import garch_path_nb

        alpha, beta, nu = self._garch
        n = len(self.index)
        z = np.random.default_rng(seq).standard_t(nu, size=n + _BURN) * np.sqrt((nu - 2.0) / nu)
        return garch_path_nb(z, self._variance * (1 - alpha - beta), alpha, beta, _BURN)

    def _returns(self, symbol: str) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, float, float]:
        """``(log returns, sigma, volume shocks or None, price0, scale)`` of one symbol's whole history."""
        from ._synth_nb import plant_edge_nb
        from .synthetic import _EDGE_CODES, _VOLUME_GATE

        if self._market is None:
            self._market = self._garch_draw(self._seq(0))
        m, sm = self._market
        j = self._pos[symbol] + 1
        shape = np.random.default_rng(self._seq(j, 1))
        scale, price0 = shape.uniform(0.7, 1.4), 100.0 * np.exp(shape.uniform(-0.5, 0.5))
        u, su = self._garch_draw(self._seq(j, 0))
        c = self._corr
        base = scale * (np.sqrt(c) * m + np.sqrt(1.0 - c) * u)
        sigma = scale * np.sqrt(c * sm**2 + (1.0 - c) * su**2)
        shock = None
        if self._kind == "volume":
            shock = np.random.default_rng(self._seq(j, 3)).standard_normal(len(self.index))
        r = base
        if self._edge:
            r = plant_edge_nb(base, sigma, self._edge, self._lookback, _EDGE_CODES[self._kind],
                              shock if shock is not None else np.zeros(1), _VOLUME_GATE)
        return r, sigma, shock, float(price0), float(scale)

    def _noise(self, j: int, lo: int, hi: int) -> np.ndarray:
        """Shape noise (rows lo..hi-1, 4 columns), drawn per session day from its own child seed."""
        starts = self._day_start
        d0 = int(np.searchsorted(starts, lo, side="right")) - 1
        d1 = int(np.searchsorted(starts, hi - 1, side="right")) - 1
        ends = np.r_[starts[1:], len(self.index)]
        parts = [np.random.default_rng(self._seq(j, 2, d)).standard_normal((ends[d] - starts[d], 4))
                 for d in range(d0, d1 + 1)]
        block = np.vstack(parts)
        return block[lo - starts[d0]: hi - starts[d0]]

    def _columns(self, symbol: str, lo: int, hi: int) -> dict[str, np.ndarray]:
        """OHLCV arrays of bars lo..hi-1 (shaped as ``synthetic._bars_from_returns`` shapes them)."""
        from .synthetic import _shape_bars

        r, sigma, shock, price0, _ = self._returns(symbol)
        j = self._pos[symbol] + 1
        noise = self._noise(j, lo, hi)
        logc = np.log(price0) + np.cumsum(r)
        close = np.exp(logc[lo:hi])
        prev = np.exp(np.r_[np.log(price0), logc[:-1]][lo:hi])
        bars = _shape_bars(prev, close, r[lo:hi], sigma[lo:hi], noise, self._volume0)
        if shock is not None:
            bars["volume"] = np.round(bars["volume"] * np.exp(0.7 * shock[lo:hi])) + 1.0
        return bars

    def _frame(self, symbol: str) -> pd.DataFrame:
        frame = pd.DataFrame(self._columns(symbol, 0, len(self.index)), index=self.index)
        frame.attrs = {"symbol": symbol, "bar": self.bar}
        return frame

    # ------------------------------------------------------------------ scanner access
    def stack_tail(self, at: pd.Timestamp, length: int, columns: Sequence[str] = ("close", "volume"),
                   symbols: Sequence[str] | None = None) -> tuple[list[str], dict[str, np.ndarray]]:
        """``(symbols, {column: (symbols, length) matrix})``: the *length* bars ending at *at* of every
        symbol (or of *symbols*), without building their frames; none when fewer bars exist.

        The first call builds the last ``tail`` bars (a constructor setting) of every symbol's OHLCV once;
        later calls whose bars lie in them only slice (a service scanning bar after bar); others generate.
        """
        end = int(np.searchsorted(self.index.asi8, pd.Timestamp(at).value, side="right"))
        names = [s for s in (symbols if symbols is not None else self) if s in self._pos]
        if end < length or end == 0 or self.index[end - 1] != at:
            return [], {c: np.empty((0, length)) for c in columns}
        n = len(self.index)
        lo = n - self._tail
        if end - length >= lo:
            if self._tails is None:
                self._tails = self._stack(list(self), lo, n)
            rows = [self._rank[s] for s in names]
            return names, {c: self._tails[c][rows, end - length - lo:end - lo] for c in columns}
        return names, {c: m for c, m in self._stack(names, end - length, end).items() if c in columns}

    def _stack(self, names: list[str], lo: int, hi: int) -> dict[str, np.ndarray]:
        rows: dict[str, list[np.ndarray]] = {c: [] for c in _OHLCV}
        for s in names:
            cols = self._columns(s, lo, hi)
            for c in _OHLCV:
                rows[c].append(cols[c])
        return {c: np.vstack(v) if v else np.empty((0, hi - lo)) for c, v in rows.items()}


def lazy_universe(symbols: int | Sequence[str] = 5, bars: int = 2000, freq: str = "1d", seed: int = 0,
                  edge: float = 0.0, corr: float = 0.5, start: str | pd.Timestamp = "2020-01-01",
                  vol: float = 0.015, edge_kind: str = "momentum", edge_lookback: int = 5,
                  cache: int = 64, tail: int = 1000) -> LazyUniverse:
    """A :class:`LazyUniverse` of the model of :func:`~tradeforge.feeds.synthetic.synthetic_universe`.

    Parameters are those of :func:`~tradeforge.feeds.synthetic.synthetic_universe` (same checks and
    meaning) plus *cache*, the number of built frames kept, and *tail*, the recent bars of every symbol
    :meth:`LazyUniverse.stack_tail` keeps once built.

    Examples
    --------
    >>> u = lazy_universe(symbols=3, bars=800, freq="1m", seed=1, edge=0.3)
    >>> len(u), u["SYN01"].shape, str(u["SYN01"].index[-1])
    (3, (800, 5), '2020-01-03 09:49:00')
    >>> names, mats = u.stack_tail(u.index[-1], 10)
    >>> bool((mats["close"][1] == u["SYN01"]["close"].to_numpy()[-10:]).all())
    True
    """
    from .synthetic import _check_args, _time_axis

    names = _check_args(symbols, bars, freq, edge, corr, vol, edge_kind, edge_lookback)
    for name, value in (("cache", cache), ("tail", tail)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(f"{name}: expected an integer >= 1, got {value!r}")
    index, bar, variance = _time_axis(start, bars, freq, vol)
    return LazyUniverse(names, index, bar, seed=seed, edge=edge, corr=corr, variance=variance,
                        edge_kind=edge_kind, edge_lookback=edge_lookback, cache=cache, tail=tail)


def synth_from_spec(text: str, symbols: Sequence[str] | None = None) -> Mapping[str, pd.DataFrame]:
    """The universe of a ``synth:`` spec's *text* (after the colon): a :class:`LazyUniverse` with ``lazy=1``,
    else :func:`~tradeforge.feeds.synthetic.synthetic_universe`'s dict; *symbols* replaces the spec's.

    Examples
    --------
    >>> type(synth_from_spec("symbols=2,bars=30,lazy=1")).__name__, type(synth_from_spec("bars=30")).__name__
    ('LazyUniverse', 'dict')
    """
    from .synthetic import parse_synth_spec, synthetic_universe

    kwargs = parse_synth_spec(text)
    lazy = kwargs.pop("lazy")
    if symbols is not None:
        kwargs["symbols"] = list(symbols)
    if lazy not in (0, 1):
        raise ConfigError(f"synth spec: lazy={lazy!r}; expected 0 (build every frame) or 1 (build when read)")
    return lazy_universe(**kwargs) if lazy else synthetic_universe(**kwargs)
