"""Shared fixtures: the device list and the real data in ../shared/data."""

import os
from pathlib import Path

import pytest
import torch

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("EVOAUGFLOW_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))


def _devices():
    devices = ["cpu"]
    if torch.cuda.is_available():
        devices.append("cuda")
    return devices


@pytest.fixture(params=_devices())
def device(request):
    """Runs a test once on the CPU and once more on CUDA where a GPU is present."""
    return torch.device(request.param)


@pytest.fixture
def rest_h5():
    """Path to the real REST ChIP-seq data set (REFERENCE.md section 6); skips if absent."""
    path = SHARED_DATA / "REST_200.h5"
    if not path.exists():
        pytest.skip(f"real data {path} is absent (set EVOAUGFLOW_SHARED_DATA to its folder)")
    return path


@pytest.fixture
def one_thread():
    """One torch thread: bit-for-bit CPU comparisons need the same thread count in every
    run, and tiny models train fastest that way on a shared machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
