"""Stage 2 on a Dask cluster: the candidates split into one chunk per worker, the model sent once.

Each candidate's numbers depend on its own window only (the LSTM batch row of a window is fixed by its
own row number, the ensemble scores rows independently, GARCH fits are per candidate), so splitting the
candidates across workers gives the same results as one process.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from tradeforge.errors import ConfigError

__all__ = ["predict_on_cluster"]


def _predict(model, windows: dict[str, pd.DataFrame]) -> dict[str, dict[str, float]]:
    return model.predict_many(windows)


def predict_on_cluster(model, windows: Mapping[str, pd.DataFrame], scheduler: str,
                       chunks: int | None = None) -> dict[str, dict[str, float]]:
    """``model.predict_many(windows)`` computed on the Dask cluster at *scheduler* (an address)."""
    from distributed import Client

    try:
        client = Client(scheduler, timeout="10s")
    except OSError as exc:
        raise ConfigError(f"scheduler: cannot reach a Dask scheduler at {scheduler!r} ({exc}); start one "
                          "(dask scheduler / LocalCluster) or drop --scheduler") from None
    try:
        syms = list(windows)
        n = chunks or max(1, len(client.scheduler_info()["workers"]))
        parts = [syms[i::n] for i in range(n) if syms[i::n]]
        remote = client.scatter(model, broadcast=True)
        futures = [client.submit(_predict, remote, {s: windows[s] for s in part}, pure=False)
                   for part in parts]
        merged: dict[str, dict[str, float]] = {}
        for result in client.gather(futures):
            merged.update(result)
        return {s: merged[s] for s in syms}
    finally:
        client.close()
