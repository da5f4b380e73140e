"""``tradeforge signals``: scan a universe, run the models on the best candidates, rank the BUY signals.

Stage 1, :func:`~tradeforge.engine.signals.scan.scan`, scores every symbol's momentum (vectorised);
stage 2, :class:`~tradeforge.engine.signals.model.SignalModel`, runs the registry's pipeline on the best
candidates in batch and adds signal-time risk; :func:`compute_signals` puts them together and returns a
:class:`SignalReport` (the signals in the JSON shape of the command, the scan table, per-stage timings).
"""

from .config import STAGES, SignalConfig
from .model import SignalModel
from .run import SignalReport, compute_signals, entry_wanted
from .scan import scan
from .universe import Universe, load_universe

__all__ = ["STAGES", "SignalConfig", "SignalModel", "SignalReport", "Universe", "compute_signals",
           "entry_wanted", "load_universe", "scan"]
