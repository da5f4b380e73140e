"""Re-export for code not yet moved to ``tradeforge.models.features.multi_timeframe`` (delete at merge)."""
from tradeforge.models.features.multi_timeframe import align_completed  # noqa: F401
