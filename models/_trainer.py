"""Device choice, deterministic training loop and aligned batched inference for :class:`SeedNet`.

Imported lazily (imports torch). Windows are never materialised: the scaled per-bar feature matrix lives
in one tensor (on the training device) and a batch of windows is gathered from the indices of the
windows' last bars, ``rows = end - lookback + 1 .. end``; a window therefore holds bars <= its end only.
"""

from __future__ import annotations

import contextlib
import copy
import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch

from tradeforge.errors import ConfigError, ModelError

from ._nets import SeedNet

__all__ = ["DeviceChoice", "choose_device", "TrainData", "train", "predict_windows", "CPU_CHUNK"]

#: Windows per inference batch on CPU. Every window is evaluated at position ``end % CPU_CHUNK`` of a
#: zero-padded batch of exactly this size, so its prediction is bitwise the same whether the caller
#: passes the whole history or a prefix of it (measured: oneDNN kernels give last-bit differences when
#: the batch shape or a row's position changes). 32 windows per batch is as fast per window as 1,024.
CPU_CHUNK = 32
GPU_CHUNK = 8192

_AMP_CHOICES = ("auto", "bf16", "fp16", "off")


@dataclass(frozen=True)
class DeviceChoice:
    """Where and how a model runs: ``device`` ("cpu" or "cuda[:n]"), autocast dtype or None, GradScaler."""

    device: str
    amp_dtype: str | None
    grad_scaler: bool
    pin_memory: bool

    @property
    def is_cuda(self) -> bool:
        """True when the device is a CUDA device."""
        return self.device.startswith("cuda")


def choose_device(
    device: str = "auto",
    amp: str = "auto",
    *,
    cuda_available: bool | None = None,
    bf16_supported: bool | None = None,
) -> DeviceChoice:
    """Resolve ``device``/``amp`` settings against the hardware (pass the two flags to test the logic).

    ``device="auto"`` picks CUDA when present, else CPU. ``amp="auto"`` autocasts to bfloat16 on a GPU
    that supports it, else to float16 with a GradScaler, and runs plain float32 on CPU (deterministic).

    Examples
    --------
    >>> choose_device("auto", "auto", cuda_available=True, bf16_supported=False)
    DeviceChoice(device='cuda', amp_dtype='float16', grad_scaler=True, pin_memory=True)
    >>> choose_device("auto", "auto", cuda_available=False).device
    'cpu'
    """
    if cuda_available is None:
        cuda_available = torch.cuda.is_available()
    if not isinstance(device, str) or not (device in ("auto", "cpu") or device.split(":")[0] == "cuda"):
        raise ConfigError(f"device: expected 'auto', 'cpu', 'cuda' or 'cuda:N', got {device!r}")
    if amp not in _AMP_CHOICES:
        raise ConfigError(f"amp: expected one of {', '.join(_AMP_CHOICES)}, got {amp!r}")
    if device == "auto":
        device = "cuda" if cuda_available else "cpu"
    if device.startswith("cuda") and not cuda_available:
        raise ConfigError(f"device={device!r} but torch sees no CUDA GPU; use device='auto' or 'cpu'")
    if device == "cpu":
        if amp in ("bf16", "fp16"):
            raise ConfigError(f"amp={amp!r} needs a CUDA device (got device='cpu'); use amp='off' or 'auto'")
        return DeviceChoice("cpu", None, False, False)
    if bf16_supported is None:
        bf16_supported = torch.cuda.is_bf16_supported()
    if amp == "auto":
        amp = "bf16" if bf16_supported else "fp16"
    if amp == "bf16" and not bf16_supported:
        raise ConfigError("amp='bf16' but this GPU does not support bfloat16; use amp='fp16' or 'auto'")
    dtype = {"bf16": "bfloat16", "fp16": "float16", "off": None}[amp]
    return DeviceChoice(device, dtype, dtype == "float16", True)


@dataclass
class TrainData:
    """Scaled features (rows × features, NaN filled with 0), window ends and scaled targets."""

    features: np.ndarray
    ind_cols: np.ndarray
    lookback: int
    train_ends: np.ndarray
    train_y: np.ndarray
    val_ends: np.ndarray
    val_y: np.ndarray


@contextlib.contextmanager
def run_context(choice: DeviceChoice, num_threads: int, seed: int | None) -> Iterator[None]:
    """Fix threads, seed and (on CPU) deterministic algorithms; restore the caller's settings after."""
    old_threads = torch.get_num_threads()
    old_det = torch.are_deterministic_algorithms_enabled()
    old_warn = torch.is_deterministic_algorithms_warn_only_enabled()
    devices = [torch.device(choice.device).index or 0] if choice.is_cuda else []
    torch.set_num_threads(num_threads)
    try:
        with torch.random.fork_rng(devices=devices):
            if seed is not None:
                torch.manual_seed(seed)
            if not choice.is_cuda:
                torch.use_deterministic_algorithms(True, warn_only=True)
            yield
    finally:
        torch.use_deterministic_algorithms(old_det, warn_only=old_warn)
        torch.set_num_threads(old_threads)


def _autocast(choice: DeviceChoice):
    if choice.amp_dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type="cuda", dtype=getattr(torch, choice.amp_dtype))


def _to_device(arr: np.ndarray, choice: DeviceChoice, dtype=torch.float32) -> torch.Tensor:
    t = torch.as_tensor(np.ascontiguousarray(arr)).to(dtype)
    if choice.pin_memory:
        t = t.pin_memory()
    return t.to(choice.device, non_blocking=choice.pin_memory)


def _gather(feats: torch.Tensor, ends: torch.Tensor, offsets: torch.Tensor, ind_cols: torch.Tensor):
    """Windows ``(B, L, F)`` ending at ``ends`` and the indicator values of their last bars."""
    windows = feats[ends[:, None] + offsets]
    return windows, feats[ends][:, ind_cols]


def _val_loss(net, feats, ends, y, offsets, ind_cols, choice, batch) -> float:
    net.eval()
    total = torch.zeros((), device=feats.device)
    with torch.no_grad(), _autocast(choice):
        for s in range(0, len(ends), batch):
            xb, ib = _gather(feats, ends[s : s + batch], offsets, ind_cols)
            err = net(xb, ib).float() - y[s : s + batch]
            total = total + (err * err).sum()
    return float(total) / max(len(ends), 1)


def train(
    net: SeedNet,
    data: TrainData,
    choice: DeviceChoice,
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    patience: int,
    seed: int,
) -> dict:
    """Train *net* in place with AdamW on MSE, early-stopping on the validation windows.

    The shuffle uses its own seeded generator; the best weights (lowest validation loss) are restored.
    Returns the history ``{"train_loss": [...], "val_loss": [...], "best_epoch": int}``.
    """
    net.to(choice.device)
    feats = _to_device(data.features, choice)
    offsets = torch.arange(-data.lookback + 1, 1, device=choice.device)
    ind_cols = torch.as_tensor(data.ind_cols, dtype=torch.long, device=choice.device)
    tr_ends = torch.as_tensor(data.train_ends, dtype=torch.long, device=choice.device)
    tr_y = _to_device(data.train_y, choice)
    va_ends = torch.as_tensor(data.val_ends, dtype=torch.long, device=choice.device)
    va_y = _to_device(data.val_y, choice)
    opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=1e-4)
    scaler = torch.amp.GradScaler("cuda") if choice.grad_scaler else None
    gen = torch.Generator().manual_seed(seed)
    history: dict = {"train_loss": [], "val_loss": [], "best_epoch": -1}
    best, best_state, stale = math.inf, None, 0
    for epoch in range(epochs):
        net.train()
        order = torch.randperm(len(tr_ends), generator=gen).to(choice.device)
        total, seen = torch.zeros((), device=choice.device), 0  # summed on the device: no sync per batch
        for s in range(0, len(order), batch_size):
            idx = order[s : s + batch_size]
            if len(idx) < 2:  # BatchNorm needs two samples in training mode
                continue
            xb, ib = _gather(feats, tr_ends[idx], offsets, ind_cols)
            with _autocast(choice):
                loss = torch.nn.functional.mse_loss(net(xb, ib).float(), tr_y[idx])
            opt.zero_grad(set_to_none=True)
            if scaler is not None:
                scaler.scale(loss).backward()
                scaler.unscale_(opt)
                torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
                scaler.step(opt)
                scaler.update()
            else:
                loss.backward()
                torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
                opt.step()
            total += loss.detach() * len(idx)
            seen += len(idx)
        mean_loss = float(total) / max(seen, 1)
        if not math.isfinite(mean_loss):
            raise ModelError(f"training diverged at epoch {epoch} (loss {mean_loss}); lower lr or check "
                             "the inputs")
        history["train_loss"].append(mean_loss)
        if len(va_ends) == 0:
            continue
        val = _val_loss(net, feats, va_ends, va_y, offsets, ind_cols, choice, max(batch_size, 1024))
        history["val_loss"].append(val)
        if val < best:
            best, stale, history["best_epoch"] = val, 0, epoch
            best_state = copy.deepcopy(net.state_dict())
        else:
            stale += 1
            if stale >= patience:
                break
    if best_state is not None:
        net.load_state_dict(best_state)
    net.eval()
    return history


def predict_windows(
    net: SeedNet,
    features: np.ndarray,
    ends: np.ndarray,
    ind_cols: np.ndarray,
    lookback: int,
    choice: DeviceChoice,
) -> np.ndarray:
    """Scaled predictions (float64) for the windows ending at *ends* (ascending row indices).

    On CPU each window sits at row ``end % CPU_CHUNK`` of a zero-padded batch of ``CPU_CHUNK`` windows,
    which makes the result independent of which other windows are asked for (bitwise).
    """
    out = np.empty(len(ends), dtype=np.float64)
    if len(ends) == 0:
        return out
    net.eval()
    feats = _to_device(features, choice)
    offsets = torch.arange(-lookback + 1, 1, device=choice.device)
    cols = torch.as_tensor(ind_cols, dtype=torch.long, device=choice.device)
    ends_t = torch.as_tensor(ends, dtype=torch.long, device=choice.device)
    with torch.inference_mode(), _autocast(choice):
        if choice.is_cuda:
            for s in range(0, len(ends), GPU_CHUNK):
                xb, ib = _gather(feats, ends_t[s : s + GPU_CHUNK], offsets, cols)
                out[s : s + GPU_CHUNK] = net(xb, ib).float().cpu().numpy()
            return out
        blocks = np.asarray(ends) // CPU_CHUNK
        x = torch.zeros(CPU_CHUNK, lookback, features.shape[1])
        ind = torch.zeros(CPU_CHUNK, len(ind_cols))
        for block in np.unique(blocks):
            sel = np.flatnonzero(blocks == block)
            pos = torch.as_tensor(np.asarray(ends)[sel] % CPU_CHUNK)
            xb, ib = _gather(feats, ends_t[sel], offsets, cols)
            x.zero_()
            ind.zero_()
            x[pos] = xb
            ind[pos] = ib
            out[sel] = net(x, ind)[pos].double().numpy()
    return out
