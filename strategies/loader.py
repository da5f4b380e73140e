"""Find strategies by name and check their parameters.

A strategy is named by a built-in short name (``sma_cross``), an entry point in the group
``tradeforge.strategies`` (installed packages declare ``name = "pkg.module:Class"``), or directly as
``package.module:Class``. Any ``bt.Strategy`` subclass is accepted, tradeforge's own
:class:`~tradeforge.strategies.Strategy` or a plain backtrader one.
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Mapping
from importlib.metadata import entry_points
from typing import Any

import backtrader as bt

from tradeforge.errors import ConfigError, did_you_mean, unknown_name_error

__all__ = ["BUILTINS", "ENTRY_POINT_GROUP", "resolve_strategy", "list_strategies", "strategy_params",
           "check_params"]

ENTRY_POINT_GROUP = "tradeforge.strategies"

BUILTINS: dict[str, str] = {
    "sma_cross": "tradeforge.strategies.sma_cross:SmaCross",
    "rsi_reversion": "tradeforge.strategies.rsi_reversion:RsiReversion",
    "ml": "tradeforge.strategies.ml:MLStrategy",
}

_TRUE = {"true", "1", "yes", "y", "on"}
_FALSE = {"false", "0", "no", "n", "off"}


def _load_file(ref: str, path_text: str) -> Any:
    """Import a plugin file ``path/to/file.py`` as a module (named after its resolved path, so loading it
    twice gives the same module)."""
    import hashlib
    import importlib.util
    import sys
    from pathlib import Path

    path = Path(path_text).expanduser().resolve()
    if not path.is_file():
        raise ConfigError(f"strategy '{ref}': no file {path_text!r} (looked for {path}); give the path of a "
                          "Python file, e.g. strategies/mine.py:MyStrategy")
    name = f"tradeforge_plugin_{path.stem}_{hashlib.sha1(str(path).encode()).hexdigest()[:8]}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[name]
        raise ConfigError(f"strategy '{ref}': importing {path_text!r} failed "
                          f"({type(exc).__name__}: {exc})") from exc
    return module


def _import_module(ref: str, module_name: str) -> Any:
    """Import *module_name*; a module that is not found is looked for in the current directory too (as
    ``python -m`` would), so ``my_strategy:Cls`` works without PYTHONPATH."""
    import os
    import sys

    if module_name.endswith(".py") or "/" in module_name or os.sep in module_name:
        return _load_file(ref, module_name)
    here = os.getcwd()
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name.split(".")[0]:  # the module exists but one of its imports is missing
            raise ConfigError(f"strategy '{ref}': module '{module_name}' fails to import ({exc})") from exc
        if here not in sys.path:
            sys.path.append(here)
            try:
                return importlib.import_module(module_name)
            except ModuleNotFoundError:
                sys.path.remove(here)
        raise ConfigError(f"strategy '{ref}': cannot import module '{module_name}': not on the Python path, "
                          f"not even in the current directory {here}; check the spelling, or give a file: "
                          "path/to/file.py:Class") from exc
    except ImportError as exc:
        raise ConfigError(f"strategy '{ref}': cannot import module '{module_name}' ({exc}); "
                          "check the spelling and that the package is installed") from exc


def _import_ref(ref: str) -> Any:
    """Import ``package.module:Attr`` or ``path/to/file.py:Attr`` and return the attribute."""
    module_name, _, attr = ref.rpartition(":") if ref.count(":") > 1 else ref.partition(":")
    if not module_name or not attr:
        raise ConfigError(f"strategy '{ref}': expected 'package.module:Class' or 'path/to/file.py:Class' "
                          "with both parts non-empty")
    module = _import_module(ref, module_name)
    try:
        return getattr(module, attr)
    except AttributeError:
        names = sorted(n for n, v in vars(module).items()
                       if isinstance(v, type) and issubclass(v, bt.Strategy))
        raise ConfigError(f"module '{module_name}' has no attribute '{attr}'.{did_you_mean(attr, names)} "
                          f"Strategy classes there: {', '.join(names) or '(none)'}.") from None


def _entry_points() -> dict[str, Any]:
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def _check_class(obj: Any, name: str) -> type[bt.Strategy]:
    if not (isinstance(obj, type) and issubclass(obj, bt.Strategy)):
        raise ConfigError(f"strategy '{name}' is {obj!r}, not a subclass of backtrader.Strategy; "
                          "point it at a strategy class")
    return obj


def resolve_strategy(name: str | type[bt.Strategy]) -> type[bt.Strategy]:
    """Return the strategy class named *name* (or *name* itself when it is already a class).

    *name* is a built-in short name, an entry point name, ``package.module:Class`` (a module not found on
    the path is also looked for in the current directory) or ``path/to/file.py:Class``. Raises
    :class:`~tradeforge.errors.ConfigError` with a did-you-mean hint for an unknown name.

    Examples
    --------
    >>> resolve_strategy("sma_cross").__name__
    'SmaCross'
    >>> resolve_strategy("tradeforge.strategies.rsi_reversion:RsiReversion").__name__
    'RsiReversion'
    """
    if isinstance(name, type):
        return _check_class(name, name.__name__)
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"strategy: expected a name such as 'sma_cross' or 'pkg.module:Class', "
                          f"got {name!r}")
    name = name.strip()
    if name in BUILTINS:
        return _check_class(_import_ref(BUILTINS[name]), name)
    eps = _entry_points()
    if name in eps:
        try:
            obj = eps[name].load()
        except ImportError as exc:
            raise ConfigError(f"strategy '{name}': entry point '{eps[name].value}' fails to import "
                              f"({exc})") from exc
        return _check_class(obj, name)
    if ":" in name:
        return _check_class(_import_ref(name), name)
    raise unknown_name_error("strategy", name, [*BUILTINS, *eps])


def list_strategies() -> dict[str, type[bt.Strategy]]:
    """Every strategy known by short name: the built-ins, then the installed entry points, sorted.

    Examples
    --------
    >>> sorted(list_strategies())[:3]
    ['ml', 'rsi_reversion', 'sma_cross']
    """
    names = sorted({*BUILTINS, *_entry_points()})
    return {name: resolve_strategy(name) for name in names}


def strategy_params(cls: type[bt.Strategy]) -> dict[str, Any]:
    """The backtrader parameters of *cls* with their defaults, in declaration order.

    Examples
    --------
    >>> strategy_params(resolve_strategy("sma_cross"))
    {'fast': 10, 'slow': 30, 'target': 0.95}
    """
    return dict(cls.params._getpairs())


def _coerce(name: str, value: Any, default: Any) -> Any:
    """Convert *value* (often a ``"k=v"`` string) to the type of the parameter's *default*."""
    kind = type(default)
    text = value.strip() if isinstance(value, str) else None
    try:
        if isinstance(default, bool):
            if isinstance(value, bool):
                return value
            if text is not None and text.lower() in _TRUE | _FALSE:
                return text.lower() in _TRUE
            raise ValueError
        if isinstance(default, int):
            number = float(text) if text is not None else value
            if isinstance(number, bool) or not float(number).is_integer():
                raise ValueError
            return int(number)
        if isinstance(default, float):
            if isinstance(value, bool):
                raise ValueError
            return float(text if text is not None else value)
        if text is not None and default is not None and not isinstance(default, str):
            parsed = ast.literal_eval(text)
            if not isinstance(parsed, kind):
                raise ValueError
            return parsed
        return value
    except (TypeError, ValueError, SyntaxError):
        want = "true/false" if isinstance(default, bool) else kind.__name__
        raise ConfigError(f"parameter '{name}': cannot use {value!r}, expected {want} "
                          f"(like the default {default!r}); e.g. --param {name}={default}") from None


def check_params(cls: type[bt.Strategy], params: Mapping[str, Any] | None) -> dict[str, Any]:
    """Validate *params* for *cls*: known names only, values coerced to each default's type.

    String values (from ``--param k=v``) become int, float or bool like the default; booleans accept
    ``true/false/yes/no/1/0``. Returns only the given parameters (backtrader fills in the rest).

    Examples
    --------
    >>> check_params(resolve_strategy("sma_cross"), {"fast": "5", "target": "0.5"})
    {'fast': 5, 'target': 0.5}
    """
    defaults = strategy_params(cls)
    out: dict[str, Any] = {}
    for key, value in (params or {}).items():
        if key not in defaults:
            raise unknown_name_error(f"{cls.__name__} parameter", str(key), defaults)
        out[key] = _coerce(key, value, defaults[key])
    return out
