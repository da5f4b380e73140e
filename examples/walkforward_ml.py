"""Walk-forward the ML strategy on a small synthetic universe with a planted edge.

Each fold fits the pipeline (features, GARCH risk, a small LSTM, the stacked ensemble) on its training
window only and freezes it; the test windows are then traded as one continuous backtest whose model
switches at each fold boundary, with PSR/DSR. A :class:`~tradeforge.engine.config.WalkForwardConfig` holds
the windows, seed and executor; the small, fast model settings are ``MLPipeline`` hyper-parameters passed as
strategy parameters (as ``--param`` would). Outputs: ``folds.csv``, ``predictions.csv``, ``trades.csv``,
``orders.csv``, ``equity.csv``, ``metrics.json``, ``timings.json``, ``folds.png``.

Run it::

    python examples/walkforward_ml.py --out runs/examples/walkforward_ml
"""

from __future__ import annotations

import argparse
import json

from tradeforge.engine import WalkForwardConfig, run_walkforward, write_walkforward

FAST_MODEL = {"fast": True, "garch_window": 60, "garch_refit_every": 40, "lstm_epochs": 1}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="synth:symbols=2,bars=700,freq=1d,seed=0,edge=0.5",
                        help="tradeforge data spec")
    parser.add_argument("--workers", type=int, default=1, help="worker processes (1: this process)")
    parser.add_argument("--out", default="runs/examples/walkforward_ml", help="output directory")
    args = parser.parse_args(argv)

    config = WalkForwardConfig(train_bars=400, test_bars=150, seed=0, workers=args.workers)
    result = run_walkforward(args.data, "ml", {**FAST_MODEL, "min_confidence": 0.6}, config=config)
    out = write_walkforward(result, args.out, tearsheet=False)
    summary = {k: result.metrics[k] for k in ("folds", "total_return", "sharpe", "psr", "dsr", "n_trades")}
    print(json.dumps({"out": str(out), **summary}))
    return result.metrics


if __name__ == "__main__":
    main()
