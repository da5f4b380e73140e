"""Seeded synthetic universes: correlated OHLCV with GARCH(1,1) volatility and an optional planted edge.

Model (per bar ``t``, symbol ``i``; ``L`` = bar size)::

    m_t  ~ GARCH(1,1), Student-t(nu=6) innovations        (common market factor, simulated by ``arch``)
    u_it ~ GARCH(1,1), Student-t(nu=6) innovations        (idiosyncratic, one process per symbol)
    r_it = sqrt(corr) * m_t + sqrt(1 - corr) * u_it       (close-to-close log return; pairwise corr ~ corr)
         + edge * sigma_it * s_i,t-1                          (planted edge, only if edge != 0)

The planted signal ``s_t`` is known at the close of bar ``t`` (``L = edge_lookback``)::

    momentum  s_t = sign(r_t-L+1 + ... + r_t)             (trend continues)
    reversal  s_t = -sign(r_t-L+1 + ... + r_t)            (moves revert)
    volume    s_t = sign(r_t-L+1 + ... + r_t) * [z_t > 0.5]  (moves on heavy volume continue; z_t ~ N(0, 1)
                                                          is a volume shock, log volume += 0.7 z_t)

:func:`planted_rule` is the one-line rule that exploits each kind (long from the next open while the
signal is positive).

``sigma_it = sqrt(corr * s2m_t + (1 - corr) * s2u_it)`` is the conditional volatility, known at
``t - 1`` (GARCH), so the planted term depends on past bars only: it is causal, and a model that
learns "momentum of the last 5 bars" earns about ``edge`` standard deviations per bar. ``edge=0``
(the default) is a pure random walk with GARCH noise.


Bars: ``open`` = previous close times a gap of a fraction of the bar's move plus noise;
``high``/``low`` extend ``max``/``min(open, close)`` by half-normal wicks; ``volume`` is positive
and grows with ``|r| / sigma``. Daily bars fall on business days (midnight labels); intraday bars
lie wholly inside the 09:30-16:00 session on weekdays (a 1h bar starts 09:30, ..., 14:30).

Each symbol and the market factor draw from their own child of ``numpy.random.SeedSequence(seed)``,
so the same seed gives the same data, adding symbols leaves the first ones unchanged, and a
shorter series is a prefix of a longer one.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from tradeforge.errors import ConfigError, unknown_name_error
from tradeforge.timeframes import TIMEFRAMES

from .schema import validate_ohlcv

__all__ = ["EDGE_KINDS", "SYNTH_DEFAULTS", "parse_synth_spec", "planted_rule", "planted_rule_entries",
           "planted_rule_sharpe", "planted_rule_trade_floor", "synthetic_universe"]

#: Kinds of planted edge (see the module notes).
EDGE_KINDS = ("momentum", "reversal", "volume")
_EDGE_CODES = {"momentum": 0, "reversal": 1, "volume": 2}  # the kinds as plant_edge_nb numbers them
_VOLUME_GATE = 0.5  # volume shock above which a move continues (edge_kind="volume")

#: Keys of a ``synth:`` spec and their defaults (``lazy=1``: :mod:`tradeforge.feeds.lazy_synthetic`).
SYNTH_DEFAULTS: dict[str, object] = {
    "symbols": 5, "bars": 2000, "freq": "1d", "seed": 0, "edge": 0.0, "corr": 0.5,
    "start": "2020-01-01", "vol": 0.015, "edge_kind": "momentum", "edge_lookback": 5, "lazy": 0,
}
_SESSION_OPEN = pd.Timedelta(hours=9, minutes=30)
_SESSION = pd.Timedelta(hours=6, minutes=30)
_GARCH = (0.08, 0.90, 6.0)  # alpha, beta, Student-t degrees of freedom


def _time_axis(start: object, bars: int, freq: str, vol: float
               ) -> tuple[pd.DatetimeIndex, pd.Timedelta, float]:
    """The bars' timestamps, the bar size and the per-bar variance of a universe (checked *start*)."""
    bar = TIMEFRAMES[freq]
    try:
        first = pd.Timestamp(start)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"start: cannot parse {start!r} as a date ({exc}); use YYYY-MM-DD") from None
    return _timestamps(first, int(bars), bar), bar, vol**2 * min(1.0, bar / _SESSION)


def _timestamps(start: pd.Timestamp, bars: int, bar: pd.Timedelta) -> pd.DatetimeIndex:
    """*bars* timestamps from *start*: business days, or intraday bars inside the session."""
    if bar >= pd.Timedelta(days=1):
        return pd.bdate_range(
            start.normalize(), periods=bars, freq=pd.offsets.BDay(bar.days), name="datetime"
        )
    per_day = int(_SESSION // bar)
    if per_day < 1:
        raise ConfigError(f"freq: a {bar} bar does not fit in the 6h30 session; use 1d for daily bars")
    days = pd.bdate_range(start.normalize(), periods=-(-bars // per_day), name="datetime")
    offsets = _SESSION_OPEN.to_timedelta64() + bar.to_timedelta64() * np.arange(per_day)
    grid = days.to_numpy()[:, None] + offsets[None, :]
    return pd.DatetimeIndex(grid.ravel()[:bars], name="datetime")


def _garch(bars: int, variance: float, seed: np.random.SeedSequence) -> tuple[np.ndarray, np.ndarray]:
    """Simulate a zero-mean GARCH(1,1)-t process with unconditional *variance*: (returns, sigma)."""
    from arch.univariate import GARCH, StudentsT, ZeroMean

    alpha, beta, nu = _GARCH
    model = ZeroMean(
        None, volatility=GARCH(1, 0, 1), distribution=StudentsT(seed=np.random.default_rng(seed))
    )
    sim = model.simulate([variance * (1 - alpha - beta), alpha, beta, nu], bars, burn=500)
    return sim["data"].to_numpy(), sim["volatility"].to_numpy()


def _plant_edge(base: np.ndarray, sigma: np.ndarray, edge: float, lookback: int = 5, kind: str = "momentum",
                shock: np.ndarray | None = None) -> np.ndarray:
    """Add ``edge * sigma_t * s_t-1`` bar by bar (causal; ``s`` as in the module notes).

    *base*, *sigma* and *shock* (the volume shocks, kind "volume") are (bars, symbols); the loop runs over
    time, one symbol at a time (:func:`~tradeforge.feeds._synth_nb.plant_edge_nb`, shared with the lazy
    universe).
    """
    from ._synth_nb import plant_edge_nb

    r = np.empty_like(base)
    no_shock = np.zeros(1)
    for j in range(base.shape[1]):  # one symbol at a time: the kernel of the lazy universe
        column_shock = np.ascontiguousarray(shock[:, j]) if shock is not None else no_shock
        r[:, j] = plant_edge_nb(np.ascontiguousarray(base[:, j]), np.ascontiguousarray(sigma[:, j]), edge,
                                lookback, _EDGE_CODES[kind], column_shock, _VOLUME_GATE)
    return r


def planted_rule(df: pd.DataFrame, edge_kind: str = "momentum", edge_lookback: int = 5) -> np.ndarray:
    """The one-line rule exploiting a planted edge: the position (1 long, 0 flat) held *from the next open*.

    ``rule[t] = 1`` when the signal known at the close of ``t`` is positive: the last *edge_lookback*
    log returns sum up (momentum), down (reversal), or up on a volume z-score (20 bars, log volume) above
    0.5 (volume). Trading it means holding ``open[t + 1] -> open[t + 2]`` whenever ``rule[t] = 1``.

    Examples
    --------
    >>> df = synthetic_universe(symbols=1, bars=60, seed=0, edge=0.3)["SYN00"]
    >>> sorted(set(planted_rule(df, "reversal", 1).tolist()))
    [0.0, 1.0]
    """
    if edge_kind not in EDGE_KINDS:
        raise unknown_name_error("edge_kind", str(edge_kind), EDGE_KINDS)
    r = np.log(df["close"]).diff()
    move = r.rolling(int(edge_lookback)).sum().to_numpy()
    if edge_kind == "reversal":
        return (move < 0).astype(np.float64)
    if edge_kind == "momentum":
        return (move > 0).astype(np.float64)
    logv = np.log(df["volume"])
    z = ((logv - logv.rolling(20).mean()) / logv.rolling(20).std()).to_numpy()
    return ((move > 0) & (z > _VOLUME_GATE)).astype(np.float64)


def planted_rule_entries(frames: dict[str, pd.DataFrame], edge_kind: str, edge_lookback: int,
                         start: object) -> int:
    """How many times :func:`planted_rule` enters (flat -> long) on the bars from *start*, all frames: the
    trade count a strategy finding the edge is compared with."""
    total = 0
    for df in frames.values():
        pos = planted_rule(df, edge_kind, edge_lookback)[df.index >= start]
        total += int(np.sum(np.diff(np.r_[0.0, pos]) > 0))
    return total



def planted_rule_trade_floor(entries: int) -> float:
    """The fewest trades that count as enough for a strategy said to find an edge whose rule enters
    *entries* times (:func:`planted_rule_entries`): not significantly fewer than half of them, i.e. half
    less one standard error of a count that size (its square root). A walk-forward's trade count moves by
    ~10 between machines with numpy's SIMD rounding, so a count one trade under half decides nothing.

    Examples
    --------
    >>> round(planted_rule_trade_floor(312), 2)
    143.51
    """
    half = 0.5 * float(entries)
    return half - float(np.sqrt(half))

def planted_rule_sharpe(frames: dict[str, pd.DataFrame], edge_kind: str, edge_lookback: int, start: object,
                        commission: float, periods: float) -> tuple[float, int]:
    """Annualised Sharpe ratio of :func:`planted_rule` traded on every frame from *start*, measured as a
    backtest's equity curve is: one return per bar, from close to close.

    Each symbol is long over ``open[t + 1] -> open[t + 2]`` whenever ``rule[t] = 1`` (decisions from the
    close of *start* on) and pays *commission* (a fraction of notional) at the open where its position
    changes. Bar ``d``'s return is then the gap ``close[d - 1] -> open[d]`` with the position decided at
    ``d - 2``, the commission of a change at that open, and ``open[d] -> close[d]`` with the position
    decided at ``d - 1``; the portfolio is the equal-weight mean of the symbols' returns. Returns
    ``(sharpe, n_bars)``: the reference that a strategy finding the edge is measured against, with the
    same marking as that strategy's own Sharpe ratio (``metrics["sharpe"]``, from the closes).

    Why not the open-to-open returns the rule holds: in these series each open carries 30 % of its bar's
    move (see the module notes), so consecutive open-to-open returns share a bar's move and are positively
    autocorrelated (lag-1 0.26-0.32 for the momentum-5 rule, against ~0 close to close); their per-bar
    standard deviation is ~22 % below the close-to-close one for the same total return, and a Sharpe ratio
    annualised from them read 1.17-1.30x the rule's close-marked one (9 seeds with a positive rule, 2 x
    1,500 daily bars, 500 out-of-sample): a reference that no equity curve marked at closes could reach.
    """
    rets = []
    for df in frames.values():
        oos = df.index >= start
        pos = np.where(oos, planted_rule(df, edge_kind, edge_lookback), 0.0)
        o = df["open"].to_numpy()
        c = df["close"].to_numpy()
        at_open = np.r_[0.0, pos[:-1]]  # held over open[d] -> close[d]: decided at the close of d - 1
        at_gap = np.r_[0.0, 0.0, pos[:-2]]  # held over close[d - 1] -> open[d]: decided at d - 2
        gap = np.r_[0.0, o[1:] / c[:-1] - 1.0]
        ret = ((1.0 + at_gap * gap) * (1.0 - commission * np.abs(at_open - at_gap))
               * (1.0 + at_open * (c / o - 1.0)) - 1.0)
        rets.append(ret[oos])
    daily = np.nanmean(np.column_stack(rets), axis=1)
    return float(daily.mean() / daily.std(ddof=1) * np.sqrt(periods)), len(daily)


def _bars_from_returns(r: np.ndarray, sigma: np.ndarray, price0: float, volume0: float,
                       rng: np.random.Generator) -> dict[str, np.ndarray]:
    """OHLCV columns from close-to-close log returns (see the module docstring)."""
    n = len(r)
    noise = rng.standard_normal((n, 4))
    close = price0 * np.exp(np.cumsum(r))
    prev = np.concatenate(([price0], close[:-1]))
    return _shape_bars(prev, close, r, sigma, noise, volume0)


def _shape_bars(prev: np.ndarray, close: np.ndarray, r: np.ndarray, sigma: np.ndarray, noise: np.ndarray,
                volume0: float) -> dict[str, np.ndarray]:
    """OHLCV columns from each bar's previous and own close, log return, sigma and 4 shape noises."""
    open_ = prev * np.exp(0.3 * r + 0.1 * sigma * noise[:, 0])
    top, bottom = np.maximum(open_, close), np.minimum(open_, close)
    high = top * np.exp(0.5 * sigma * np.abs(noise[:, 1]))
    low = bottom * np.exp(-0.5 * sigma * np.abs(noise[:, 2]))
    volume = np.round(volume0 * np.exp(0.5 * np.abs(r) / sigma + 0.3 * noise[:, 3])) + 1.0
    return {"open": open_, "high": high, "low": low, "close": close, "volume": volume}


def _check_args(symbols: int | Sequence[str], bars: int, freq: str, edge: float, corr: float,
                vol: float, edge_kind: str = "momentum", edge_lookback: int = 5) -> list[str]:
    if isinstance(symbols, int) and not isinstance(symbols, bool):
        if symbols < 1:
            raise ConfigError(f"symbols: expected >= 1 (or a list of names), got {symbols}")
        names = [f"SYN{i:02d}" for i in range(symbols)]
    else:
        names = [str(s) for s in symbols]
        if not names or len(set(names)) != len(names):
            raise ConfigError(f"symbols: expected distinct, non-empty names, got {list(symbols)!r}")
    if isinstance(bars, bool) or not isinstance(bars, int | np.integer) or bars < 2:
        raise ConfigError(f"bars: expected an integer >= 2, got {bars!r}")
    if freq not in TIMEFRAMES:
        raise unknown_name_error("freq", str(freq), TIMEFRAMES)
    if not 0.0 <= corr < 1.0:
        raise ConfigError(f"corr: expected 0 <= corr < 1, got {corr!r}")
    if not 0.0 < vol < 0.2:
        raise ConfigError(f"vol: expected a daily volatility in (0, 0.2), e.g. 0.015, got {vol!r}")
    if not abs(edge) <= 1.0:
        raise ConfigError(f"edge: expected |edge| <= 1 (in units of sigma), got {edge!r}")
    if edge_kind not in EDGE_KINDS:
        raise unknown_name_error("edge_kind", str(edge_kind), EDGE_KINDS)
    bad_lookback = isinstance(edge_lookback, bool) or not isinstance(edge_lookback, int | np.integer)
    if bad_lookback or edge_lookback < 1:
        raise ConfigError(f"edge_lookback: expected an integer number of bars >= 1, got {edge_lookback!r}")
    return names


def synthetic_universe(
    symbols: int | Sequence[str] = 5,
    bars: int = 2000,
    freq: str = "1d",
    seed: int = 0,
    edge: float = 0.0,
    corr: float = 0.5,
    start: str | pd.Timestamp = "2020-01-01",
    vol: float = 0.015,
    edge_kind: str = "momentum",
    edge_lookback: int = 5,
) -> dict[str, pd.DataFrame]:
    """Generate a seeded universe of correlated OHLCV frames (see the module docstring for the model).

    Parameters
    ----------
    symbols : int or sequence of str
        How many symbols (named ``SYN00``, ``SYN01``, ...) or their names.
    bars : int
        Bars per symbol.
    freq : str
        Bar size, one of ``1m 5m 30m 1h 6h 1d``.
    seed : int
        Seed; the same arguments always give the same data.
    edge : float
        Strength of the planted edge, in conditional standard deviations per bar (0 = none).
    edge_kind : {"momentum", "reversal", "volume"}
        Kind of planted edge (see the module notes; :func:`planted_rule` exploits it).
    edge_lookback : int
        Bars of the planted signal's return sum.
    corr : float
        Weight of the common market factor = pairwise correlation of returns, in [0, 1).
    start : str or Timestamp
        First day (moved to the next business day if needed).
    vol : float
        Unconditional daily volatility of log returns (scaled to the bar size).

    Returns
    -------
    dict[str, DataFrame]
        Symbol -> validated frame (``attrs["symbol"]``, ``attrs["bar"]``), ordered by symbol.

    Examples
    --------
    >>> data = synthetic_universe(symbols=2, bars=50, freq="5m", seed=1)
    >>> list(data), len(data["SYN00"]), str(data["SYN00"].index[0])
    (['SYN00', 'SYN01'], 50, '2020-01-01 09:30:00')
    """
    names = _check_args(symbols, bars, freq, edge, corr, vol, edge_kind, edge_lookback)
    index, bar, variance = _time_axis(start, bars, freq, vol)
    market_seed, *symbol_seeds = np.random.SeedSequence(int(seed)).spawn(len(names) + 1)
    m, sm = _garch(int(bars), variance, market_seed)
    base, sigma, rngs, shocks = [], [], [], []
    for sym_seed in symbol_seeds:
        garch_seed, shape_seed = sym_seed.spawn(2)
        rngs.append(np.random.default_rng(shape_seed))
        if edge_kind == "volume":  # a third child: the other kinds' data stay as they were
            shocks.append(np.random.default_rng(sym_seed.spawn(1)[0]).standard_normal(int(bars)))
        scale = rngs[-1].uniform(0.7, 1.4)
        u, su = _garch(int(bars), variance, garch_seed)
        base.append(scale * (np.sqrt(corr) * m + np.sqrt(1.0 - corr) * u))
        sigma.append(scale * np.sqrt(corr * sm**2 + (1.0 - corr) * su**2))
    base, sigma = np.column_stack(base), np.column_stack(sigma)
    shock = np.column_stack(shocks) if shocks else None
    r = _plant_edge(base, sigma, edge, int(edge_lookback), edge_kind, shock) if edge else base
    out = {}
    for j, (name, rng) in enumerate(zip(names, rngs, strict=True)):
        price0 = 100.0 * np.exp(rng.uniform(-0.5, 0.5))
        cols = _bars_from_returns(r[:, j], sigma[:, j], price0, 1e6 * min(1.0, bar / _SESSION), rng)
        if shock is not None:
            cols["volume"] = np.round(cols["volume"] * np.exp(0.7 * shock[:, j])) + 1.0
        frame = pd.DataFrame(cols, index=index)
        frame.attrs = {"symbol": name, "bar": bar}
        out[name] = validate_ohlcv(frame, f"synth:{name}")
    return dict(sorted(out.items()))


def _coerce(key: str, text: str) -> object:
    kind = type(SYNTH_DEFAULTS[key])
    try:
        if kind is int:
            return int(text)
        return float(text) if kind is float else text
    except ValueError:
        raise ConfigError(f"synth spec: {key}={text!r} is not a valid {kind.__name__}") from None


def parse_synth_spec(text: str) -> dict[str, object]:
    """Parse ``"symbols=5,bars=2000,freq=1d,seed=0"`` into keyword arguments of :func:`synthetic_universe`.

    Examples
    --------
    >>> parse_synth_spec("symbols=3,edge=0.1")["edge"]
    0.1
    """
    kwargs = dict(SYNTH_DEFAULTS)
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = part.partition("=")
        key = key.strip().lower()
        if not sep:
            raise ConfigError(
                f"synth spec: expected key=value, got {part!r} (e.g. synth:symbols=5,bars=2000)"
            )
        if key not in SYNTH_DEFAULTS:
            raise unknown_name_error("synth key", key, SYNTH_DEFAULTS)
        kwargs[key] = _coerce(key, value.strip())
    return kwargs
