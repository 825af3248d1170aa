"""Helpers shared by the tests that run the real workflow: run it, read its dry run, PNGs."""

import re
import struct
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def snakemake(workdir, *args, timeout=1500):
    """Run the repository's workflow with `args` in `workdir`; return the CompletedProcess."""
    return subprocess.run(
        [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), *args],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def job_counts(dry_run_stdout):
    """Rule -> job count from the 'Job stats' table of a dry run."""
    table = dry_run_stdout.split("Job stats:")[1].split("total")[0]
    return {name: int(count) for name, count in re.findall(r"^(\w+)\s+(\d+)$", table, re.M)}


def png_size(path):
    """(width, height) of a PNG file, read from its IHDR chunk; fails for anything else."""
    data = Path(path).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])
