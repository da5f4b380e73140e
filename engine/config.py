"""Frozen, keyword-only settings of a backtest and a walk-forward, and the routing of ``--param`` values.

:class:`BacktestConfig` and :class:`WalkForwardConfig` are built from a mapping by ``from_mapping``, which
rejects an unknown key with a did-you-mean hint; every value is checked when the config is built (one-line
:class:`~tradeforge.errors.ConfigError` naming the setting, the value and the fix). The CLI builds them,
``run_backtest``/``run_walkforward`` take them, and walk-forward fold tasks carry them. Cost ranges
(cash, commission, slippage) are checked by the simulated broker that applies them.

``--param key=value`` pairs go to every component that knows the key (:func:`split_params`): the
strategy's backtrader parameters and, for ML strategies, the ``MLPipeline`` hyper-parameters. The shared
names ``take_profit`` and ``stop_loss`` are the barrier widths of the model's trade (in ``barrier_units``,
sigma by default) and, in ``MLStrategy``, the fractions of a ``bracket="fixed"`` bracket: they set both
only when the strategy's ``bracket`` is ``"fixed"``; with the default ``bracket="trade"``, whose orders come
from the model's lines, they set the model's only (so ``--param stop_loss=3`` means 3 sigma, instead of
being refused as a fraction above 0.99). Strings are coerced to the type of the default
(:func:`coerce_param`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any, Self

from tradeforge.errors import ConfigError, number_arg, unknown_name_error

__all__ = ["BacktestConfig", "WalkForwardConfig", "check_int", "coerce_param", "model_defaults",
           "model_params", "split_params", "strategy_keys", "WALKFORWARD_FIXED", "ML_FILLS"]

_TRUE = {"true", "1", "yes", "y", "on"}
_FALSE = {"false", "0", "no", "n", "off"}
#: MLPipeline parameters a walk-forward sets itself, with the reason shown to the user.
WALKFORWARD_FIXED = {"random_state": "it is derived from --seed and the fold number; pass --seed instead",
                     "benchmark": "it must be a price Series; use the Python API (MLPipeline) for a custom "
                                  "benchmark"}


def check_int(name: str, value: Any, low: int, hint: str) -> int:
    """*value* as an int ``>= low`` (bools refused), else a ConfigError naming *name* and the *hint*.

    Examples
    --------
    >>> check_int("train_bars", 5, 1, "pass e.g. --train-bars 1000")
    5
    """
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ConfigError(f"{name}: expected an integer >= {low}, got {value!r}; {hint}")
    return int(value)


def _number(name: str, value: Any, hint: str) -> float:
    number = number_arg(name, value, hint)
    if not math.isfinite(number):
        raise ConfigError(f"{name}: expected a finite number, got {value!r}; {hint}")
    return number


class _FromMapping:
    """``from_mapping`` and ``replace`` shared by the config dataclasses."""

    __slots__ = ()

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any] | None = None, /, **overrides: Any) -> Self:
        """Build the config from *mapping* (and keyword *overrides*); unknown keys raise a ConfigError
        with a did-you-mean hint over the known settings."""
        values = {**(mapping or {}), **overrides}
        names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
        for key in values:
            if key not in names:
                raise unknown_name_error(f"{cls.__name__} setting", str(key), names)
        return cls(**values)

    def replace(self, **changes: Any) -> Self:
        """A copy with *changes* (checked like ``from_mapping``)."""
        return self.from_mapping(dataclasses.asdict(self), **changes)  # type: ignore[call-overload]


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class BacktestConfig(_FromMapping):
    """Settings of one backtest.

    Attributes
    ----------
    cash : float
        Starting cash (positive).
    commission : float
        Commission as a fraction of notional per side (``0.001`` = 10 bp).
    slippage_bps : float
        Slippage in basis points of price.
    start, end : date-like, optional
        Keep bars in ``[start, end]`` only.
    volume_cap : float
        Most of a bar's volume one order may fill per bar (0 = no cap; see ``brokers.sim``).
    impact : float
        Square-root market-impact coefficient k (0 = none; see ``brokers.sim``).

    Examples
    --------
    >>> BacktestConfig.from_mapping({"cash": "5000"}).cash
    5000.0
    >>> try:
    ...     BacktestConfig.from_mapping({"comission": 0.002})
    ... except ConfigError as exc:
    ...     print(exc)
    unknown BacktestConfig setting 'comission'. Did you mean 'commission'? Known: cash, commission, end, \
impact, slippage_bps, start, volume_cap.
    """

    cash: float = 100_000.0
    commission: float = 0.001
    slippage_bps: float = 0.0
    start: Any = None
    end: Any = None
    volume_cap: float = 0.0
    impact: float = 0.0

    def __post_init__(self) -> None:
        for name in ("volume_cap", "impact"):
            value = 0.0 if getattr(self, name) is None else getattr(self, name)
            object.__setattr__(self, name, _number(name, value, "pass a number >= 0, e.g. 0.1 (0 = off)"))
        object.__setattr__(self, "cash", _number("cash", self.cash,
                                                 "pass a positive starting cash, e.g. 100000"))
        object.__setattr__(self, "commission", _number("commission", self.commission,
                                                       "pass a fraction of notional, e.g. 0.001"))
        object.__setattr__(self, "slippage_bps", _number("slippage_bps", self.slippage_bps,
                                                         "pass basis points of price, e.g. 5"))

    @property
    def costs(self) -> dict[str, float]:
        """``cash, commission, slippage_bps`` (and ``volume_cap``, ``impact`` when set) as the keywords of
        the simulated broker."""
        out = dict(cash=self.cash, commission=self.commission, slippage_bps=self.slippage_bps)
        out.update({k: getattr(self, k) for k in ("volume_cap", "impact") if getattr(self, k)})
        return out


#: The fill model of an ML strategy's walk-forward unless set: volume cap and square-root impact.
ML_FILLS = {"volume_cap": 0.1, "impact": 0.1}


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class WalkForwardConfig(_FromMapping):
    """Settings of a walk-forward.

    Attributes
    ----------
    train_bars, test_bars : int
        Window sizes in bars of the common index (``>= 1`` and ``>= 2``); the step is ``test_bars``.
    anchored : bool
        Train on every bar before the test window instead of the last ``train_bars``.
    warmup_bars : int, optional
        History before each window for look-backs (None: the pipeline's needs; 0 for other strategies,
        which get ``Strategy.warmup(params)`` bars before the test window).
    seed : int
        Run seed (``>= 0``); fold ``k``'s models use ``fold_seed(seed, k)``.
    workers : int, optional
        Local worker processes (None: all cores; 1 runs in this process).
    scheduler : str, optional
        A Dask scheduler address (wins over ``workers``).
    cash, commission, slippage_bps : float
        Backtest settings of every fold (each fold starts from *cash*; returns are chained).
    volume_cap, impact : float, optional
        The folds' fill model (``BacktestConfig``); None: the strategy's default, which is
        ``ML_FILLS`` (volume cap 0.1, impact 0.1) for ML strategies and off for the others.

    Examples
    --------
    >>> cfg = WalkForwardConfig.from_mapping({"train_bars": 200, "test_bars": 100, "workers": 1})
    >>> cfg.backtest.costs
    {'cash': 100000.0, 'commission': 0.001, 'slippage_bps': 0.0}
    """

    train_bars: int = 1000
    test_bars: int = 250
    anchored: bool = False
    warmup_bars: int | None = None
    seed: int = 0
    workers: int | None = None
    scheduler: str | None = None
    cash: float = 100_000.0
    commission: float = 0.001
    slippage_bps: float = 0.0
    volume_cap: float | None = None
    impact: float | None = None

    def __post_init__(self) -> None:
        check_int("train_bars", self.train_bars, 1, "pass e.g. --train-bars 1000")
        check_int("test_bars", self.test_bars, 2,
                  "pass e.g. --test-bars 250 (a fold needs >= 2 bars to enter and leave a position)")
        if not isinstance(self.anchored, bool):
            raise ConfigError(f"anchored: expected True or False, got {self.anchored!r}; e.g. --anchored")
        if self.warmup_bars is not None:
            check_int("warmup_bars", self.warmup_bars, 0, "pass 0 or more bars")
        check_int("seed", self.seed, 0, "e.g. --seed 0")
        if self.workers is not None:
            check_int("workers", self.workers, 1, "e.g. --workers 2")
        if self.scheduler is not None and (not isinstance(self.scheduler, str) or not self.scheduler.strip()):
            raise ConfigError(f"scheduler: expected an address like tcp://127.0.0.1:8786, "
                              f"got {self.scheduler!r}")
        object.__setattr__(self, "scheduler", self.scheduler.strip() if self.scheduler else None)
        costs = BacktestConfig(cash=self.cash, commission=self.commission, slippage_bps=self.slippage_bps,
                               volume_cap=self.volume_cap, impact=self.impact)
        for name in ("cash", "commission", "slippage_bps"):
            object.__setattr__(self, name, getattr(costs, name))
        for name in ("volume_cap", "impact"):
            if getattr(self, name) is not None:
                object.__setattr__(self, name, getattr(costs, name))

    @property
    def backtest(self) -> BacktestConfig:
        """The :class:`BacktestConfig` of every fold's backtest (no date bounds: the fold slices)."""
        return BacktestConfig(cash=self.cash, commission=self.commission, slippage_bps=self.slippage_bps,
                              volume_cap=self.volume_cap or 0.0, impact=self.impact or 0.0)


def coerce_param(name: str, value: Any, default: Any) -> Any:
    """A ``--param`` string to the type of *default* (tuples and None: comma lists); others pass through.

    Examples
    --------
    >>> coerce_param("lstm_epochs", "4", 8), coerce_param("timeframes", "1h,1d", None)
    (4, ('1h', '1d'))
    """
    if not isinstance(value, str):
        return value
    text = value.strip()
    try:
        if isinstance(default, bool):
            if text.lower() not in _TRUE | _FALSE:
                raise ValueError
            return text.lower() in _TRUE
        if isinstance(default, int):
            number = float(text)
            if not number.is_integer():
                raise ValueError
            return int(number)
        if isinstance(default, float):
            return float(text)
        if isinstance(default, tuple | list) or default is None:
            items = tuple(part.strip() for part in text.split(",") if part.strip())
            return None if default is None and text.lower() in ("", "none") else items
        return text
    except ValueError:
        want = "true/false" if isinstance(default, bool) else type(default).__name__
        raise ConfigError(f"model parameter '{name}': cannot use {value!r}, expected {want} (like the "
                          f"default {default!r}); e.g. --param {name}={default}") from None


def model_defaults(fixed: Mapping[str, str] = WALKFORWARD_FIXED) -> dict[str, Any]:
    """The settable MLPipeline hyper-parameters (all but *fixed*) with their defaults."""
    from tradeforge.models.params import PipelineParams  # light: no model library imported

    return {k: v for k, v in PipelineParams.defaults().items() if k not in fixed}


def model_params(params: Mapping[str, Any] | None, fixed: Mapping[str, str]) -> dict[str, Any]:
    """*params* checked against the MLPipeline parameters (the *fixed* ones refused with their reason),
    strings coerced to each default's type."""
    defaults = model_defaults(fixed)
    out: dict[str, Any] = {}
    for key, value in (params or {}).items():
        if key in fixed:
            raise ConfigError(f"parameter '{key}' cannot be set with params/--param: {fixed[key]}")
        if key not in defaults:
            raise unknown_name_error("MLPipeline parameter", str(key), defaults)
        out[key] = coerce_param(key, value, defaults[key])
    return out


#: Names that are both the model trade's barrier widths and a fixed bracket's fractions (module notes).
_BARRIER_KEYS = ("take_profit", "stop_loss")


def strategy_keys(cls: type, params: Mapping[str, Any] | None, ml: bool) -> list[str]:
    """The keys of *params* that :func:`split_params` gives the strategy: those among its backtrader
    parameters, less the barrier widths of an ML strategy whose ``bracket`` is not ``"fixed"``.

    Examples
    --------
    >>> from tradeforge.strategies import resolve_strategy
    >>> strategy_keys(resolve_strategy("ml"), {"stop_loss": "3", "min_edge": "0.2"}, ml=True)
    ['min_edge']
    """
    from tradeforge.strategies import strategy_params

    known = strategy_params(cls)
    fixed = str((params or {}).get("bracket", known.get("bracket", "fixed"))).strip() == "fixed"
    shared = _BARRIER_KEYS if ml and not fixed else ()
    return [k for k in (params or {}) if k in known and k not in shared]


def split_params(cls: type, params: Mapping[str, Any] | None, ml: bool
                 ) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """``(strategy params, model params or None)`` from the user's *params* (see the module notes).

    Unknown keys raise a ConfigError with a did-you-mean hint over both sets; ``random_state`` and
    ``benchmark`` cannot be set (:data:`WALKFORWARD_FIXED`).

    Examples
    --------
    >>> from tradeforge.strategies import resolve_strategy
    >>> split_params(resolve_strategy("sma_cross"), {"fast": "5"}, ml=False)
    ({'fast': 5}, None)
    """
    from tradeforge.strategies import check_params, strategy_params

    known = strategy_params(cls)
    models = model_defaults() if ml else {}
    to_strategy, to_model = {}, {}
    mine = set(strategy_keys(cls, params, ml))
    for key, value in (params or {}).items():
        if ml and key in WALKFORWARD_FIXED:
            raise ConfigError(f"parameter '{key}' cannot be set: {WALKFORWARD_FIXED[key]}")
        if key not in known and key not in models:
            kind = f"{cls.__name__} or model parameter" if ml else f"{cls.__name__} parameter"
            raise unknown_name_error(kind, str(key), [*known, *models])
        if key in mine:
            to_strategy[key] = value
        if key in models:
            to_model[key] = coerce_param(key, value, models[key])
    return check_params(cls, to_strategy), (to_model if ml else None)
