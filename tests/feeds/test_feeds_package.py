"""Package-level checks: docstring examples run, the import stays light, the public API is there."""

from __future__ import annotations

import doctest
import importlib
import subprocess
import sys

import pytest

_MODULES = ["_dispatch", "arrays", "files", "resample", "samples", "schema", "synthetic"]


@pytest.mark.parametrize("module", _MODULES)
def test_docstring_examples_run(module):
    mod = importlib.import_module(f"tradeforge.feeds.{module}")
    result = doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_import_is_light():
    code = ("import sys, tradeforge.feeds as f; "
            "print(sorted(m for m in ('backtrader', 'arch', 'torch', 'sklearn') if m in sys.modules)); "
            "print(callable(f.load), callable(f.make_feed), f.ArrayFeed.__name__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    heavy, api = out.splitlines()
    assert heavy == "[]"  # backtrader is imported on first use of ArrayFeed/make_feed only
    assert api == "True True ArrayFeed"


def test_unknown_attribute_raises():
    import tradeforge.feeds as feeds

    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = feeds.nope
