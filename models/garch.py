"""GARCH volatility with Student-t errors (``arch``): sigma forecasts, parametric VaR / CVaR, causal features.

Returns are rescaled before fitting (``arch``'s optimiser wants a variance between about 1 and 10^4; daily
returns have ~1e-4): with ``rescale=True`` ``arch`` picks a power of ten, records it as ``scale_`` and every
output here is converted back to the original return units. With ``rescale=False`` a badly scaled series
raises :class:`~tradeforge.errors.DataError` instead of ``arch``'s easily missed ``DataScaleWarning``.

VaR and CVaR are reported as positive losses (fractions of the position, in return units):
``VaR_a = -(mu + sigma * q_a)`` and ``CVaR_a = -(mu - sigma * ES_a)`` where ``q_a`` is the ``a``-quantile of
the *standardised* error distribution (unit variance) and ``ES_a = -E[Z | Z <= q_a]``; for Student-t with
``nu`` degrees of freedom ``q_a = t_nu^{-1}(a) sqrt((nu-2)/nu)`` and
``ES_a = sqrt((nu-2)/nu) (nu + x^2) / (nu - 1) f_nu(x) / a`` with ``x = t_nu^{-1}(a)``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from tradeforge.errors import ConfigError, DataError, ModelError

__all__ = ["GarchModel", "GarchRow", "garch_features", "last_garch_row", "standardized_quantile_es",
           "variance_path"]

_DISTS = ("t", "normal")
_MIN_OBS = 50


def standardized_quantile_es(alpha: float, dist: str = "t", nu: float | None = None) -> tuple[float, float]:
    """Return ``(q_alpha, ES_alpha)`` of the unit-variance error distribution (see module docstring).

    Examples
    --------
    >>> q, es = standardized_quantile_es(0.05, "normal")
    >>> round(q, 4), round(es, 4)
    (-1.6449, 2.0627)
    """
    from scipy import stats

    if not 0.0 < alpha < 0.5:
        raise ConfigError(f"alpha: expected a tail probability in (0, 0.5), got {alpha!r}")
    if dist == "normal":
        z = stats.norm.ppf(alpha)
        return float(z), float(stats.norm.pdf(z) / alpha)
    if nu is None or not nu > 2.0:
        raise ModelError(f"Student-t degrees of freedom must be > 2 for a finite variance, got {nu!r}")
    x = stats.t.ppf(alpha, nu)
    k = np.sqrt((nu - 2.0) / nu)
    return float(x * k), float(k * (nu + x * x) / (nu - 1.0) * stats.t.pdf(x, nu) / alpha)


def _as_returns(returns: Any, name: str = "returns") -> np.ndarray:
    try:
        arr = np.asarray(returns, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{name}: expected numeric returns, got {type(returns).__name__} ({exc})") from exc
    if arr.ndim != 1:
        raise DataError(f"{name}: expected a 1-D series of returns, got shape {arr.shape}")
    bad = np.flatnonzero(~np.isfinite(arr))
    if bad.size:
        raise DataError(f"{name}: non-finite value at position {bad[0]}; drop or fill missing returns first")
    return arr


def _fit_arch(r: np.ndarray, p: int, q: int, dist: str, rescale: bool) -> Any:
    """Fit ``arch_model``; a badly scaled series without ``rescale`` or a failed optimisation raises."""
    from arch import arch_model

    if np.ptp(r) == 0.0:
        raise DataError(f"returns: all {r.size} values equal {r[0]!r}; GARCH needs varying returns")
    if not rescale:
        variance = float(np.var(r))
        if not 0.1 <= variance < 1e4:  # arch's own DataScaleWarning range
            raise DataError(
                f"returns: variance {variance:.3g} is outside GARCH's well-conditioned range [0.1, 1e4); "
                "use rescale=True or multiply the returns by a power of ten"
            )
    dist_name = "t" if dist == "t" else "normal"
    model = arch_model(r, mean="Constant", vol="GARCH", p=p, q=q, dist=dist_name, rescale=rescale)
    res = model.fit(disp="off", show_warning=False)
    if res.convergence_flag != 0:
        raise ModelError(
            f"GARCH fit on {r.size} returns did not converge (optimizer code {res.convergence_flag}); use a "
            "longer window, remove outliers, or check that the returns are not constant"
        )
    return res


class GarchModel(BaseEstimator):
    """GARCH(p, q) with a constant mean and Student-t (or normal) errors.

    Parameters
    ----------
    p, q : int
        ARCH and GARCH orders.
    dist : str
        ``"t"`` (Student-t, default) or ``"normal"``.
    horizon : int
        Number of periods forecast by :meth:`forecast_sigma`.
    rescale : bool
        Let ``arch`` rescale the returns by a power of ten (outputs are in the original units).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> g = GarchModel().fit(0.01 * rng.standard_t(6, size=800))
    >>> g.forecast_sigma().shape, bool(g.cvar() > g.var() > 0)
    ((5,), True)
    """

    def __init__(self, p: int = 1, q: int = 1, dist: str = "t", horizon: int = 5,
                 rescale: bool = True) -> None:
        self.p = p
        self.q = q
        self.dist = dist
        self.horizon = horizon
        self.rescale = rescale

    def _check(self) -> None:
        for name in ("p", "q", "horizon"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
                raise ConfigError(f"{name}: expected an integer >= 1, got {value!r}")
        if self.dist not in _DISTS:
            from tradeforge.errors import unknown_name_error

            raise unknown_name_error("GARCH error distribution", str(self.dist), _DISTS)

    def fit(self, returns: Any) -> GarchModel:
        """Fit on a 1-D series of returns (at least 50) and forecast ``horizon`` periods ahead."""
        self._check()
        r = _as_returns(returns)
        if r.size < _MIN_OBS:
            raise DataError(f"returns: GARCH needs at least {_MIN_OBS} observations, got {r.size}")
        res = _fit_arch(r, self.p, self.q, self.dist, self.rescale)
        self.scale_ = float(res.scale)
        self.params_ = {k: float(v) for k, v in res.params.items()}
        self.nu_ = self.params_.get("nu")
        fc = res.forecast(horizon=self.horizon, reindex=False)
        self.sigma_forecast_ = np.sqrt(fc.variance.to_numpy()[-1]) / self.scale_
        self.mean_forecast_ = fc.mean.to_numpy()[-1] / self.scale_
        self.n_obs_ = int(r.size)
        return self

    def _fitted(self) -> None:
        if not hasattr(self, "sigma_forecast_"):
            raise ModelError("GarchModel is not fitted: call fit(returns) or load a saved model first")

    def forecast_sigma(self) -> np.ndarray:
        """Conditional volatility forecast for the next ``horizon`` periods, in return units."""
        self._fitted()
        return self.sigma_forecast_.copy()

    def _step(self, step: int) -> int:
        if isinstance(step, bool) or not isinstance(step, int) or not 1 <= step <= self.horizon:
            raise ConfigError(f"step: expected an integer in 1..{self.horizon} (the horizon), got {step!r}")
        return step - 1

    def var(self, alpha: float = 0.05, step: int = 1) -> float:
        """Parametric value at risk of period ``step`` ahead, as a positive loss."""
        self._fitted()
        i = self._step(step)
        qa, _ = standardized_quantile_es(alpha, self.dist, self.nu_)
        return float(-(self.mean_forecast_[i] + self.sigma_forecast_[i] * qa))

    def cvar(self, alpha: float = 0.05, step: int = 1) -> float:
        """Parametric conditional VaR (expected shortfall) of period ``step`` ahead, as a positive loss."""
        self._fitted()
        i = self._step(step)
        _, es = standardized_quantile_es(alpha, self.dist, self.nu_)
        return float(-(self.mean_forecast_[i] - self.sigma_forecast_[i] * es))

    def save(self, directory: str | Path) -> list[Path]:
        """Write ``garch.json`` (parameters and forecasts; no pickle) into *directory*."""
        self._fitted()
        path = Path(directory) / "garch.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        state = {"init": self.get_params(deep=False), "scale": self.scale_, "params": self.params_,
                 "n_obs": self.n_obs_,
                 "sigma": self.sigma_forecast_.tolist(), "mean": self.mean_forecast_.tolist()}
        path.write_text(json.dumps(state, indent=1))
        return [path]

    @classmethod
    def load(cls, directory: str | Path) -> GarchModel:
        """Read a model written by :meth:`save`."""
        path = Path(directory) / "garch.json"
        if not path.exists():
            raise ModelError(f"{path} is missing; refit the GARCH model or restore the file")
        state = json.loads(path.read_text())
        model = cls(**state["init"])
        model.scale_, model.params_, model.n_obs_ = state["scale"], state["params"], state["n_obs"]
        model.nu_ = model.params_.get("nu")
        model.sigma_forecast_ = np.asarray(state["sigma"], dtype=np.float64)
        model.mean_forecast_ = np.asarray(state["mean"], dtype=np.float64)
        return model


def variance_path(resid: np.ndarray, omega: float, alpha: Any, beta: Any, eps2: Any, sig2: Any) -> np.ndarray:
    """One-step GARCH(p, q) variance forecasts with fixed parameters, in the residuals' (scaled) units.

    The one GARCH recursion of tradeforge: ``s2[t+1] = omega + sum_i alpha_i e[t+1-i]^2 + sum_j beta_j
    s2[t+1-j]``. *eps2* (the last ``p`` squared residuals) and *sig2* (the last ``q`` variances), oldest
    first, are the state known at bar 0, so ``out[0]`` is computed from them alone and ``resid[0]`` is not
    read. At each later bar with a finite residual the state advances by ``resid[t]^2`` and the previous
    forecast; a non-finite ``resid[t]`` leaves the state unchanged and ``out[t]`` NaN. ``out[t]`` depends on
    ``resid[:t + 1]`` only.

    Examples
    --------
    >>> variance_path(np.array([0.0, 1.0, np.nan, 2.0]), 0.1, [0.2], [0.5], [1.0], [1.0]).round(4).tolist()
    [0.8, 0.7, nan, 1.25]
    """
    a, b = np.asarray(alpha, dtype=np.float64), np.asarray(beta, dtype=np.float64)
    eps2, sig2 = list(eps2), list(sig2)
    out = np.full(resid.shape[0], np.nan)
    last = 0.0
    for t in range(resid.shape[0]):
        if t > 0:
            e = resid[t]
            if not np.isfinite(e):
                continue
            eps2 = eps2[1:] + [e ** 2]
            sig2 = sig2[1:] + [last]
        last = omega + float(np.dot(a, eps2[::-1])) + float(np.dot(b, sig2[::-1]))
        out[t] = last
    return out


def _one_step_path(r_scaled: np.ndarray, start: int, stop: int, res: Any, p: int, q: int) -> np.ndarray:
    """One-step variance forecasts made at bars ``start..stop-1`` with the parameters of *res* held fixed.

    The state at ``start`` (last ``p`` squared residuals and ``q`` variances) comes from the fit; later bars
    advance :func:`variance_path` with data up to each bar only.
    """
    prm = res.params.to_numpy()
    mu, omega = prm[0], prm[1]
    eps2 = list((res.resid[-p:]) ** 2)
    sig2 = list(res.conditional_volatility[-q:] ** 2)
    return variance_path(r_scaled[start:stop] - mu, omega, prm[2:2 + p], prm[2 + p:2 + p + q], eps2, sig2)


def garch_features(
    returns: Any,
    window: int = 500,
    refit_every: int = 20,
    alpha: float = 0.05,
    p: int = 1,
    q: int = 1,
    dist: str = "t",
) -> pd.DataFrame:
    """Causal per-bar GARCH features: next-period sigma, VaR and CVaR forecast at each bar's close.

    The model is refitted on the trailing ``window`` returns every ``refit_every`` bars (at bars
    ``window-1, window-1+refit_every, ...`` counted from the start, so truncating the data never moves a
    refit); in between, the fitted parameters are held fixed and the variance recursion is advanced with
    each new return. The value at bar ``t`` uses returns up to ``t`` only; the first ``window-1`` rows are
    NaN.

    Returns
    -------
    DataFrame
        Columns ``garch_sigma``, ``garch_var``, ``garch_cvar`` (positive losses, return units), indexed like
        *returns* (a RangeIndex for arrays).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> f = garch_features(0.01 * rng.standard_t(6, size=300), window=200, refit_every=50)
    >>> f.iloc[198:201].notna().all(axis=1).tolist()
    [False, True, True]
    """
    for name, value, low in (("window", window, _MIN_OBS), ("refit_every", refit_every, 1)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
            raise ConfigError(f"{name}: expected an integer >= {low}, got {value!r}")
    GarchModel(p=p, q=q, dist=dist)._check()
    index = returns.index if isinstance(returns, pd.Series) else None
    r = _as_returns(returns)
    n = r.size
    out = np.full((n, 3), np.nan)
    for t0 in range(window - 1, n, refit_every):
        res = _fit_arch(r[t0 - window + 1:t0 + 1], p, q, dist, True)
        scale = float(res.scale)
        stop = min(t0 + refit_every, n)
        sigma = np.sqrt(_one_step_path(r * scale, t0, stop, res, p, q)) / scale
        mu = float(res.params.iloc[0]) / scale
        qa, es = standardized_quantile_es(alpha, dist, float(res.params["nu"]) if dist == "t" else None)
        out[t0:stop] = np.column_stack([sigma, -(mu + sigma * qa), -(mu - sigma * es)])
    return pd.DataFrame(out, index=index, columns=["garch_sigma", "garch_var", "garch_cvar"])


@dataclass(frozen=True)
class GarchRow:
    """GARCH(1,1)-t state at the last bar of a series: the last row of :func:`garch_features` plus the
    multi-step forecast of the parameters that row used.

    Attributes
    ----------
    sigma, var, cvar : float
        ``garch_sigma``, ``garch_var``, ``garch_cvar`` of the last bar (return units; positive losses).
    sigma_path : ndarray
        Sigma of each of the next ``horizon`` returns (``sigma_path[0] == sigma``).
    """

    sigma: float
    var: float
    cvar: float
    sigma_path: np.ndarray


def last_garch_row(returns: Any, window: int = 500, refit_every: int = 20, horizon: int = 5,
                   alpha: float = 0.05, *, fit: Callable[[np.ndarray], Any] | None = None) -> GarchRow | None:
    """The last row of ``garch_features(returns, window, refit_every, alpha)`` from its one fit, and the
    *horizon*-step sigma forecast (GARCH(1,1) with Student-t errors, the defaults of :func:`garch_features`).

    :func:`garch_features` refits at bars ``window - 1 + k * refit_every`` and holds the parameters in
    between, so its last row depends on the last refit only: the fit on the ``window`` returns ending at
    that refit bar ``t0``, advanced to the last return. This computes that row bitwise as the full rolling
    run does, with one fit instead of ``n / refit_every``. The forecast path is
    ``s2[h] = omega + (alpha + beta) * s2[h - 1]`` from the last one-step variance.

    Parameters
    ----------
    returns : array-like
        Finite returns, oldest first.
    window, refit_every, alpha
        As in :func:`garch_features`.
    horizon : int
        Steps of ``sigma_path`` (>= 1).
    fit : callable, optional
        ``fit(window_returns) -> arch result`` replacing the fit (e.g. a cache keyed on the returns); it must
        return what ``arch_model(..., vol="GARCH", p=1, q=1, dist="t", rescale=True).fit()`` returns.

    Returns
    -------
    GarchRow or None
        None when fewer than *window* returns exist (the rolling features are NaN there).

    Examples
    --------
    >>> r = 0.01 * np.random.default_rng(0).standard_t(6, size=260)
    >>> row = last_garch_row(r, window=200, refit_every=50)
    >>> ref = garch_features(r, window=200, refit_every=50).to_numpy()[-1]
    >>> (row.sigma, row.var, row.cvar) == tuple(ref), row.sigma_path.shape
    (True, (5,))
    """
    for name, value, low in (("window", window, _MIN_OBS), ("refit_every", refit_every, 1),
                             ("horizon", horizon, 1)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
            raise ConfigError(f"{name}: expected an integer >= {low}, got {value!r}")
    r = _as_returns(returns)
    m = r.shape[0]
    if m < window:
        return None
    t0 = (window - 1) + ((m - 1) - (window - 1)) // refit_every * refit_every
    chunk = r[t0 - window + 1:t0 + 1]
    res = fit(chunk) if fit is not None else _fit_arch(chunk, 1, 1, "t", True)
    scale = float(res.scale)
    s2 = _one_step_path(r * scale, t0, m, res, 1, 1)[-1]
    sigma = float(np.sqrt(s2) / scale)
    prm = res.params
    mu = float(prm.iloc[0]) / scale
    qa, es = standardized_quantile_es(alpha, "t", float(prm["nu"]))
    persistence = float(prm["alpha[1]"] + prm["beta[1]"])
    path = [s2]
    for _ in range(int(horizon) - 1):
        path.append(float(prm["omega"]) + persistence * path[-1])
    return GarchRow(sigma, -(mu + sigma * qa), -(mu - sigma * es), np.sqrt(np.asarray(path)) / scale)
