"""Where and how training runs: the device, bf16 autocast, fast CPU steps, deterministic
CUDA kernels.

Nothing here changes what is computed on the CPU: a seed gives the same weights with or
without :func:`fast_cpu_steps`; :func:`deterministic_cuda` makes a GPU give the same
weights again; :func:`resolve_device` fails loudly instead of falling back.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import socket
import sys

import torch


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """Turn a device request into a ``torch.device``.

    Parameters
    ----------
    device : {"auto", "cpu", "cuda", "cuda:<index>"} or torch.device, default "auto"
        ``"auto"`` picks CUDA where available, else the CPU.

    Returns
    -------
    torch.device

    Raises
    ------
    RuntimeError
        When CUDA is requested but not available; the message names the host and
        ``CUDA_VISIBLE_DEVICES`` so that a GPU job fails loudly instead of silently
        training on the CPU.
    ValueError
        For a string that is not a device.
    """
    if isinstance(device, str) and device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as error:
        raise ValueError(
            f"device={device!r} is not a device: use 'auto', 'cpu', 'cuda' or 'cuda:<index>'"
        ) from error
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(
            f"device={device!r} was requested but CUDA is not available on host "
            f"{socket.gethostname()} (CUDA_VISIBLE_DEVICES="
            f"{os.environ.get('CUDA_VISIBLE_DEVICES', '<unset>')}); run on a GPU node or "
            "pass device='cpu'"
        )
    if resolved.type not in ("cpu", "cuda"):
        raise ValueError(f"device={device!r}: only 'cpu' and 'cuda' devices are supported")
    return resolved


def autocast(device: torch.device, bf16: bool):
    """bf16 autocast on CUDA when asked for, else a no-op context."""
    if bf16:
        return torch.autocast(device_type=device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


# glibc mallopt parameters (malloc.h) and the defaults restored after training.
_M_TRIM_THRESHOLD, _M_MMAP_MAX = -1, -4
_DEFAULT_TRIM_THRESHOLD, _DEFAULT_MMAP_MAX = 128 * 1024, 65536
# Freed memory that glibc keeps for reuse before giving it back to the system.
_KEPT_BYTES = 2**30


def _glibc():
    """The C library when it is glibc (it has ``mallopt``), else None."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None


@contextlib.contextmanager
def fast_cpu_steps(enabled: bool = True):
    """Remove two CPU costs of a training step that are not the model's work.

    - Denormal floats (magnitudes below 1.2e-38 in float32) take a slow path in CPU
      arithmetic; they are flushed to zero (``torch.set_flush_denormal``).
    - Activations above 32 MiB (batch 128 of the paper's DeepSTARR and Basset models)
      are, by glibc's default, mapped afresh at every allocation and unmapped when
      freed, so every step zero-fills them page by page: 37,000-210,000 page faults
      per step and about a sixth of the step's CPU time (benchmarks/README.md). With
      glibc, freed blocks are kept for reuse (no mmap for large blocks, up to 1 GiB
      kept) while the block runs; on exit the defaults are set back and the kept
      memory is returned (``malloc_trim``).

    Both are deterministic: a seed still gives the same weights bit for bit. torch has
    no getter for the denormal flag, so on exit it is set back to False, torch's
    default. No effect on CUDA kernels.

    Parameters
    ----------
    enabled : bool, default True
        False runs the block with the defaults (for benchmarks).
    """
    libc = _glibc() if enabled else None
    torch.set_flush_denormal(enabled)
    if libc is not None:
        libc.mallopt(_M_MMAP_MAX, 0)
        libc.mallopt(_M_TRIM_THRESHOLD, _KEPT_BYTES)
    try:
        yield
    finally:
        torch.set_flush_denormal(False)
        if libc is not None:
            libc.mallopt(_M_MMAP_MAX, _DEFAULT_MMAP_MAX)
            libc.mallopt(_M_TRIM_THRESHOLD, _DEFAULT_TRIM_THRESHOLD)
            libc.malloc_trim(0)


# cuBLAS sums in a fixed order only with a fixed workspace; read when its handle is made.
CUBLAS_WORKSPACE = ":4096:8"
#: Default of train_stage's ``deterministic`` and of the config key ``deterministic``.
#: Off: on an H200 deterministic kernels took 2-3x the GPU time of a Basset epoch.
DETERMINISTIC_DEFAULT = False


@contextlib.contextmanager
def deterministic_cuda(device: torch.device, enabled: bool = True):
    """Make a block's CUDA kernels deterministic, so a seed gives the same weights again.

    On a GPU, cuDNN and cuBLAS may pick kernels whose sums depend on thread order: two
    runs of one seed can drift apart (measured on an H200, benchmarks/repro.py: the ChIP
    model's weights differed by up to 1.04 after 3 epochs; the Basset-like cells of
    config/benchmark.yaml came out identical without it). With ``enabled`` and a CUDA
    ``device`` the block runs with ``torch.use_deterministic_algorithms(True,
    warn_only=True)`` (an op without a deterministic kernel warns instead of failing)
    and ``CUBLAS_WORKSPACE_CONFIG`` set to ``CUBLAS_WORKSPACE`` unless the user set it
    (it takes effect when cuBLAS first runs in the process); the previous settings are
    restored on exit. It costs GPU time (a Basset-like epoch: 1.8 s to 3.5 s on an
    H200). On the CPU it does nothing: CPU kernels are deterministic already.
    """
    if not enabled or device.type != "cuda":
        yield
        return
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", CUBLAS_WORKSPACE)
    was_enabled = torch.are_deterministic_algorithms_enabled()
    was_warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    torch.use_deterministic_algorithms(True, warn_only=True)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(was_enabled, warn_only=was_warn_only)


@contextlib.contextmanager
def model_on(model: torch.nn.Module, device: torch.device):
    """Run a block with ``model`` on ``device``; it goes back where it was on exit.

    For analyses that take a model as given (possibly on the CPU, as
    :func:`evoaugflow.train.load_model` returns it) and run it on another device.
    """
    tensor = next(model.parameters(), None)
    if tensor is None:
        tensor = next(model.buffers(), None)
    home = tensor.device if tensor is not None else device
    model.to(device)
    try:
        yield model
    finally:
        model.to(home)


def say(verbose: bool, message: str) -> None:
    """One line for the job's log (stderr) when ``verbose``."""
    if verbose:
        print(message, file=sys.stderr, flush=True)
