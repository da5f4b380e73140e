import pytest

from tradeforge.errors import ConfigError, DataError, TradeforgeError, did_you_mean, unknown_name_error


def test_did_you_mean_suggests_close_name():
    assert did_you_mean("sma_crss", ["sma_cross", "rsi_reversion"]) == " Did you mean 'sma_cross'?"
    assert did_you_mean("zzz", ["sma_cross"]) == ""


def test_unknown_name_error_lists_known_names():
    err = unknown_name_error("parameter", "fsat", ["slow", "fast"])
    assert isinstance(err, ConfigError)
    assert str(err) == "unknown parameter 'fsat'. Did you mean 'fast'? Known: fast, slow."


def test_error_hierarchy_groups_by_user_action():
    assert issubclass(DataError, TradeforgeError) and issubclass(DataError, ValueError)
    with pytest.raises(TradeforgeError):
        raise unknown_name_error("strategy", "x", [], error=ConfigError)
