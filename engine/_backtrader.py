"""``backtrader``, imported without building its TA-Lib wrappers up front.

When TA-Lib is installed, ``import backtrader`` wraps every TA-Lib function as a backtrader indicator
(``bt.talib.*``) and imports TA-Lib's pandas/polars glue: most of backtrader's import time. Importing it
through this module hides TA-Lib for the duration of that import and makes ``bt.talib`` load on first
use instead, with the same classes as before. If backtrader or TA-Lib was already imported, nothing
changes.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType

__all__ = ["bt"]


def _lazy_talib(name: str) -> ModuleType:
    if name == "talib":
        sys.modules.pop("backtrader.talib", None)  # the TA-Lib-less stub made by the first import
        return importlib.import_module("backtrader.talib")
    raise AttributeError(f"module 'backtrader' has no attribute {name!r}")


def _import() -> ModuleType:
    if "backtrader" in sys.modules or "talib" in sys.modules:
        import backtrader

        return backtrader
    sys.modules["talib"] = None  # type: ignore[assignment]  # makes backtrader.talib skip the wrappers
    try:
        import backtrader
    finally:
        sys.modules.pop("talib", None)
    sys.modules.pop("backtrader.talib", None)
    vars(backtrader).pop("talib", None)
    backtrader.__getattr__ = _lazy_talib  # PEP 562: bt.talib imports the real wrappers on first use
    return backtrader


bt = _import()
