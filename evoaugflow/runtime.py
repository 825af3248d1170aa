"""Where and how training runs: the device, bf16 autocast and fast CPU steps.

Nothing here changes what is computed: a seed gives the same weights with or without
:func:`fast_cpu_steps`, and :func:`resolve_device` fails loudly instead of falling back.
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


def say(verbose: bool, message: str) -> None:
    """One line for the job's log (stderr) when ``verbose``."""
    if verbose:
        print(message, file=sys.stderr, flush=True)
