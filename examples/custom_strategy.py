"""A strategy plugin as a user writes it, run through the command line as ``module:Class``.

``Breakout`` buys when the close breaks above the highest high of the previous ``window`` bars and sells
when it falls below the lowest low of the previous ``exit_window`` bars. Its channel lines are computed once,
vectorised, in :meth:`precompute` (each value uses bars before the current one only) and read in
``next`` as ``data.upper[0]`` / ``data.lower[0]``: the tradeforge way of writing a backtrader strategy.

Any importable module works; the command line names it ``package.module:Class``::

    PYTHONPATH=examples tradeforge backtest --strategy custom_strategy:Breakout --param window=30 \\
        --data synth:symbols=2,bars=1000,seed=5 --no-tearsheet --out runs/examples/custom_strategy

Running this file does exactly that (in this process, through the same ``tradeforge`` command)::

    python examples/custom_strategy.py --out runs/examples/custom_strategy
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tradeforge.strategies import Strategy


class Breakout(Strategy):
    """Channel breakout, long only: enter above the ``window``-bar high, exit below the ``exit_window``-bar
    low.

    Parameters: ``window`` (20) and ``exit_window`` (10) bars, ``target`` (0.9) fraction of the portfolio
    per symbol (divided by the number of symbols).
    """

    params = dict(window=20, exit_window=10, target=0.9)

    @classmethod
    def precompute(cls, df: pd.DataFrame, params: Mapping[str, Any]) -> dict[str, np.ndarray]:
        """``upper`` / ``lower``: the highest high and lowest low of the bars *before* each bar."""
        upper = df["high"].rolling(int(params["window"])).max().shift(1)
        lower = df["low"].rolling(int(params["exit_window"])).min().shift(1)
        return {"upper": upper.to_numpy(dtype=np.float64), "lower": lower.to_numpy(dtype=np.float64)}

    @classmethod
    def warmup(cls, params: Mapping[str, Any]) -> int:
        """Both channels exist from bar ``max(window, exit_window)`` on."""
        return max(int(params["window"]), int(params["exit_window"]))

    def next(self) -> None:
        for data in self.fresh_datas():
            held = self.getposition(data).size
            if not held and data.close[0] > data.upper[0]:
                self.order_target_percent(data=data, target=self.p.target / len(self.datas))
            elif held and data.close[0] < data.lower[0]:
                self.close(data=data)


def main(argv: list[str] | None = None) -> int:
    from tradeforge.engine.cli import main as tradeforge

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="runs/examples/custom_strategy", help="report directory")
    parser.add_argument("--json", action="store_true", help="print the metrics JSON on stdout")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(Path(__file__).resolve().parent))  # what PYTHONPATH=examples does in a shell
    command = ["backtest", "--strategy", "custom_strategy:Breakout", "--param", "window=30",
               "--data", "synth:symbols=2,bars=1000,seed=5", "--no-tearsheet", "--out", args.out]
    return tradeforge([*command, *(["--json"] if args.json else [])], standalone_mode=False) or 0


if __name__ == "__main__":
    sys.exit(main())
