"""Strategy lookup (built-ins, entry points, module:Class) and parameter checking."""

from __future__ import annotations

from importlib.metadata import EntryPoint

import backtrader as bt
import pytest

from tradeforge.errors import ConfigError
from tradeforge.strategies import check_params, list_strategies, loader, resolve_strategy, strategy_params
from tradeforge.strategies.rsi_reversion import RsiReversion
from tradeforge.strategies.sma_cross import SmaCross


def test_builtins_and_module_class_resolve():
    assert resolve_strategy("sma_cross") is SmaCross
    assert resolve_strategy(" rsi_reversion ") is RsiReversion
    assert resolve_strategy("tradeforge.strategies.sma_cross:SmaCross") is SmaCross
    assert resolve_strategy(SmaCross) is SmaCross


def test_unknown_strategy_suggests_the_closest_name():
    with pytest.raises(ConfigError, match=r"unknown strategy 'sma_crss'\. Did you mean 'sma_cross'\?"):
        resolve_strategy("sma_crss")


@pytest.mark.parametrize("name,pattern", [
    ("no_such_pkg.mod:Cls", "cannot import module 'no_such_pkg.mod'"),
    ("tradeforge.strategies.sma_cross:SmaCros", "Did you mean 'SmaCross'"),
    ("tradeforge.strategies.sma_cross:crossover", "not a subclass of backtrader.Strategy"),
    (":Cls", "expected 'package.module:Class'"),
    ("", "expected a name"),
])
def test_bad_references_name_the_problem(name, pattern):
    with pytest.raises(ConfigError, match=pattern):
        resolve_strategy(name)


def test_entry_points_are_found_and_listed(monkeypatch):
    eps = [EntryPoint("my_rsi", "tradeforge.strategies.rsi_reversion:RsiReversion", loader.ENTRY_POINT_GROUP)]
    monkeypatch.setattr(loader, "entry_points",
                        lambda group: eps if group == loader.ENTRY_POINT_GROUP else [])
    assert resolve_strategy("my_rsi") is RsiReversion
    assert list(list_strategies()) == ["ml", "my_rsi", "rsi_reversion", "sma_cross"]
    with pytest.raises(ConfigError, match="Did you mean 'my_rsi'"):
        resolve_strategy("my_rs")


def test_strategy_params_of_builtin_and_plain_backtrader_class():
    class Plain(bt.Strategy):
        params = (("period", 5), ("flag", False))

    assert strategy_params(SmaCross) == {"fast": 10, "slow": 30, "target": 0.95}
    assert strategy_params(Plain) == {"period": 5, "flag": False}
    assert check_params(Plain, {"flag": "yes", "period": "7"}) == {"flag": True, "period": 7}


def test_check_params_coerces_strings_to_the_default_type():
    out = check_params(SmaCross, {"fast": "5", "slow": 20.0, "target": "0.5"})
    assert out == {"fast": 5, "slow": 20, "target": 0.5}
    assert type(out["fast"]) is int and type(out["slow"]) is int
    assert check_params(RsiReversion, {"lower": "25"}) == {"lower": 25.0}
    assert check_params(SmaCross, None) == {}


@pytest.mark.parametrize("params,pattern", [
    ({"fsat": 3}, r"unknown SmaCross parameter 'fsat'\. Did you mean 'fast'\?"),
    ({"fast": "ten"}, r"parameter 'fast': cannot use 'ten', expected int"),
    ({"fast": "2.5"}, r"parameter 'fast': cannot use '2.5', expected int"),
    ({"fast": True}, r"parameter 'fast': cannot use True, expected int"),
    ({"target": "lots"}, r"parameter 'target': cannot use 'lots', expected float"),
])
def test_bad_params_raise_config_error(params, pattern):
    with pytest.raises(ConfigError, match=pattern):
        check_params(SmaCross, params)


def test_bool_parameters_accept_words_and_reject_others():
    class Flags(bt.Strategy):
        params = dict(short=False)

    assert check_params(Flags, {"short": "TRUE"}) == {"short": True}
    assert check_params(Flags, {"short": "off"}) == {"short": False}
    with pytest.raises(ConfigError, match="expected true/false"):
        check_params(Flags, {"short": "maybe"})


_PLUGIN = '''
import backtrader as bt


class Hold(bt.Strategy):
    params = dict(size=3)

    def next(self):
        if not self.position:
            self.buy(size=self.p.size)
'''


def test_plugin_from_a_file_path(tmp_path):
    path = tmp_path / "sub" / "my_plugin.py"
    path.parent.mkdir()
    path.write_text(_PLUGIN)
    cls = resolve_strategy(f"{path}:Hold")
    assert cls.__name__ == "Hold" and dict(cls.params._getpairs()) == {"size": 3}
    assert resolve_strategy(f"{path}:Hold") is cls  # loaded once
    with pytest.raises(ConfigError, match=r"has no attribute 'Hodl'\. Did you mean 'Hold'\?"):
        resolve_strategy(f"{path}:Hodl")
    with pytest.raises(ConfigError, match="no file"):
        resolve_strategy(f"{tmp_path / 'missing.py'}:Hold")


def test_plugin_module_in_the_current_directory(tmp_path, monkeypatch):
    import sys

    (tmp_path / "cwd_plugin_mod.py").write_text(_PLUGIN)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", str(tmp_path))])
    assert resolve_strategy("cwd_plugin_mod:Hold").__name__ == "Hold"
    with pytest.raises(ConfigError, match="not even in the current directory"):
        resolve_strategy("no_such_mod_xyz:Hold")
