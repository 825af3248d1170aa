"""Shared fixtures: devices, the real data in ../shared/data, chromium, the .test run;
and a per-tier time summary at the end of a session."""

import os
import shutil
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


@pytest.fixture(scope="session")
def chromium():
    """Debian's headless chromium; skips with the reason when absent (tests install nothing)."""
    found = shutil.which("chromium")
    if found is None:
        pytest.skip("chromium is not installed: run `bash .ci/setup --tests` as root")
    return found


@pytest.fixture(scope="session")
def dot_test_run(tmp_path_factory):
    """The workflow catalog's test run: `snakemake --cores 2 --directory .test`, in a copy.

    The working directory holds a copy of .test/ (its config/config.yaml is the workflow's
    default config there); every rule kind of the default workflow runs, on tiny data.
    """
    from workflow_helpers import snakemake

    workdir = tmp_path_factory.mktemp("dot_test")
    shutil.copytree(
        REPO_ROOT / ".test",
        workdir,
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns("results", "logs", ".snakemake", "report.*"),
    )
    # A few minutes on 2 free cores; generous for a loaded machine.
    result = snakemake(workdir, "--cores", "2", timeout=3600)
    assert result.returncode == 0, result.stderr[-5000:]
    return workdir


#: Seconds spent per tier (slow or fast) in this session, summed over setup, call, teardown.
_TIER_SECONDS: dict[str, float] = {}


def pytest_runtest_logreport(report):
    tier = "slow" if "slow" in report.keywords else "fast"
    _TIER_SECONDS[tier] = _TIER_SECONDS.get(tier, 0.0) + report.duration


def pytest_terminal_summary(terminalreporter):
    """Wall seconds of each tier, so that CI's log shows what the fast tier costs."""
    if _TIER_SECONDS:
        parts = ", ".join(
            f"{tier} {seconds:.0f} s" for tier, seconds in sorted(_TIER_SECONDS.items())
        )
        terminalreporter.write_line(f"time per tier (-m slow / -m 'not slow'): {parts}")


def pytest_collection_modifyitems(items):
    """A test that starts a Slurm cluster or a browser belongs to the slow tier as well."""
    for item in items:
        if any(item.get_closest_marker(name) for name in ("slurm", "browser")):
            item.add_marker(pytest.mark.slow)
