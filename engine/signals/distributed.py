"""Stage 2 on a Dask cluster: the per-candidate work split into one chunk per worker, the model sent once.

:meth:`SignalModel.prepare` (features, GARCH fits, risk: the expensive part) depends on each candidate's
own window only, so it runs on the workers in chunks; :meth:`SignalModel.finish` (one LSTM forward pass
per timeframe and one ensemble call over all candidates) runs in the calling process on the gathered
results, in the same order as without a cluster - hence the same numbers.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from tradeforge.errors import ConfigError

__all__ = ["predict_on_cluster"]


def _prepare(model, windows: dict[str, pd.DataFrame]) -> dict:
    return model.prepare(windows)


def predict_on_cluster(model, windows: Mapping[str, pd.DataFrame], scheduler: str,
                       chunks: int | None = None) -> dict[str, dict[str, float]]:
    """``model.predict_many(windows)`` with its per-candidate part on the Dask cluster at *scheduler*."""
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
        futures = [client.submit(_prepare, remote, {s: windows[s] for s in part}, pure=False)
                   for part in parts]
        merged: dict = {}
        for result in client.gather(futures):
            merged.update(result)
    finally:
        client.close()
    return model.finish({s: merged[s] for s in syms})
