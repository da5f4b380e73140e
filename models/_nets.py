"""Torch network of the LSTM price predictor (the seed-003 architecture).

Imported lazily by :mod:`tradeforge.models.lstm` (this module imports torch at top level).

Layout, for a batch of windows ``x`` of shape ``(batch, lookback, n_features)`` and the indicator values
of each window's last bar ``ind`` of shape ``(batch, n_indicators)``::

    x ─► Conv1d(k=3, same padding) ─► ReLU ─► BatchNorm1d ─► Dropout
      ─► LSTM(layers, hidden, dropout between layers)
      ─► multi-head attention (query = last step, keys/values = every step) ─► context (hidden)
    ind ─► Linear(n_indicators → indicator_dim) ─► ReLU
    [context, indicator branch] ─► Linear ─► ReLU ─► Dropout ─► Linear ─► one predicted (scaled) return

The convolution pads inside the window only: every input of the window ends at or before the window's
last bar, so the network never sees a later bar.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

__all__ = ["NetConfig", "SeedNet"]


@dataclass(frozen=True)
class NetConfig:
    """Shape of a :class:`SeedNet` (plain values, stored in checkpoints).

    Examples
    --------
    >>> NetConfig(n_features=4, n_indicators=4, conv_channels=8, hidden=8, layers=1, heads=2,
    ...           indicator_dim=4, dropout=0.0).hidden
    8
    """

    n_features: int
    n_indicators: int
    conv_channels: int = 64
    hidden: int = 128
    layers: int = 2
    heads: int = 4
    indicator_dim: int = 64
    dropout: float = 0.2

    def to_dict(self) -> dict:
        """Plain ``dict`` of the fields (what a checkpoint stores)."""
        return asdict(self)


class SeedNet(nn.Module):
    """Conv1d → LSTM → attention + indicator branch → MLP head; one output per window.

    Examples
    --------
    >>> import torch
    >>> cfg = NetConfig(n_features=3, n_indicators=2, conv_channels=8, hidden=8, layers=1, heads=2,
    ...                 indicator_dim=4, dropout=0.0)
    >>> net = SeedNet(cfg).eval()
    >>> net(torch.zeros(5, 10, 3), torch.zeros(5, 2)).shape
    torch.Size([5])
    """

    def __init__(self, config: NetConfig) -> None:
        super().__init__()
        self.config = config
        c = config
        self.conv = nn.Conv1d(c.n_features, c.conv_channels, kernel_size=3, padding=1)
        self.norm = nn.BatchNorm1d(c.conv_channels)
        self.conv_drop = nn.Dropout(c.dropout)
        self.lstm = nn.LSTM(
            c.conv_channels,
            c.hidden,
            num_layers=c.layers,
            batch_first=True,
            dropout=c.dropout if c.layers > 1 else 0.0,
        )
        self.attn = nn.MultiheadAttention(c.hidden, c.heads, dropout=c.dropout, batch_first=True)
        self.ind = nn.Linear(max(c.n_indicators, 1), c.indicator_dim)
        self.head = nn.Sequential(
            nn.Linear(c.hidden + c.indicator_dim, c.hidden),
            nn.ReLU(),
            nn.Dropout(c.dropout),
            nn.Linear(c.hidden, 1),
        )

    def forward(self, x: torch.Tensor, ind: torch.Tensor) -> torch.Tensor:
        """Predict one scaled return per window: ``x`` (B, L, F), ``ind`` (B, n_indicators) → (B,)."""
        z = self.conv(x.transpose(1, 2))
        z = self.conv_drop(self.norm(torch.relu(z)))
        seq, _ = self.lstm(z.transpose(1, 2))
        last = seq[:, -1:, :]
        ctx, _ = self.attn(last, seq, seq, need_weights=False)
        if ind.shape[1] == 0:  # no indicator column: the branch sees a constant zero
            ind = ind.new_zeros(ind.shape[0], 1)
        branch = torch.relu(self.ind(ind))
        out = self.head(torch.cat([ctx[:, 0, :] + last[:, 0, :], branch], dim=1))
        return out[:, 0]
