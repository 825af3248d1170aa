"""A newcomer's first hour: README's two commands, CI running exactly the test command, the
set-up's venv, the catalog's files (config/README.md, .snakemake-workflow-catalog.yml,
.test/), and no test that installs system packages."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text()
RUN_COMMAND = "bash .ci/setup && .venv/bin/snakemake --cores 2"
TEST_COMMAND = "bash .ci/setup --tests && .venv/bin/python -m pytest"


def test_readme_gives_the_two_commands_as_code():
    blocks = re.findall(r"^    (\S.*)$", README, flags=re.MULTILINE)
    assert RUN_COMMAND in blocks
    assert TEST_COMMAND in blocks


def test_ci_runs_exactly_the_readme_test_command_with_debian_python():
    lines = [line.strip() for line in (REPO / ".ci" / "run").read_text().splitlines()]
    commands = [line for line in lines if line and not line.startswith("#")]
    assert TEST_COMMAND in commands
    assert "export PYTHON=/usr/bin/python3" in commands
    # Set-up before the tests, and nothing else runs pytest.
    assert sum("pytest" in line for line in commands if "pytest collected" not in line) == 1


@pytest.mark.parametrize("script", [".ci/setup", ".ci/run"])
def test_ci_scripts_parse(script):
    result = subprocess.run(["bash", "-n", script], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_setup_rejects_unknown_arguments_before_doing_anything():
    result = subprocess.run(
        ["bash", ".ci/setup", "--test"], cwd=REPO, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2
    assert "unknown argument '--test'" in result.stderr


def test_setup_pins_torch_first_and_installs_into_the_environment():
    setup = (REPO / ".ci" / "setup").read_text()
    installs = re.findall(r'^"\$PY" -m pip install .*$', setup, flags=re.MULTILINE)
    assert installs[0] == '"$PY" -m pip install -q "$TORCH"'
    assert all('"$TORCH"' in line for line in installs)
    assert "TORCH=torch==2.13.0" in setup
    # Never the interpreter's own site-packages: Debian's is externally managed (PEP 668).
    assert '"$PYTHON" -m pip' not in setup
    assert "numba kernels ready" in setup


def test_no_test_installs_system_packages():
    """Packages are the set-up's job (`bash .ci/setup --tests`), never a test's."""
    offenders = []
    for path in sorted((REPO / "tests").glob("*.py")):
        if path.name == Path(__file__).name:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"""["'](apt-get|apt|dnf|yum)["']|pip["'],\s*["']install""", line):
                offenders.append(f"{path.name}:{number}: {line.strip()}")
    assert not offenders, "\n".join(offenders)


def test_markers_are_declared_and_the_fast_tier_is_documented():
    pyproject = (REPO / "pyproject.toml").read_text()
    for marker in ("slow", "browser", "slurm", "cuda"):
        assert f'"{marker}:' in pyproject
    assert '.venv/bin/python -m pytest -m "not slow"' in README


def test_config_readme_documents_every_top_level_key():
    schema = yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text())
    documented = set(
        re.findall(r"^## `(\w+)`", (REPO / "config/README.md").read_text(), flags=re.MULTILINE)
    )
    assert set(schema["properties"]) <= documented, set(schema["properties"]) - documented


def test_config_readme_is_generated_from_the_current_schema():
    result = subprocess.run(
        [sys.executable, ".ci/config_readme.py", "--check"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def test_catalog_file_declares_usage_deployment_and_report():
    catalog = yaml.safe_load((REPO / ".snakemake-workflow-catalog.yml").read_text())
    usage = catalog["usage"]
    assert usage["report"] is True
    assert "desc" in usage["mandatory-flags"]
    deployment = usage["software-stack-deployment"]
    assert set(deployment) == {"conda", "singularity", "singularity+conda"}
    assert deployment["conda"] is True
    # conda: true promises an environment for every rule that runs code.
    workflow = "\n".join(path.read_text() for path in (REPO / "workflow/rules").glob("*.smk"))
    rules_with_code = len(re.findall(r"^\s+script:", workflow, flags=re.MULTILINE))
    assert len(re.findall(r"^\s+conda:", workflow, flags=re.MULTILINE)) >= rules_with_code


def test_dot_test_config_is_valid_and_small():
    from evoaugflow.config import validate_config

    loaded = yaml.safe_load((REPO / ".test/config/config.yaml").read_text())
    validate_config(loaded, REPO / "workflow/schemas/config.schema.yaml")
    assert loaded["training"]["stage1"]["max_epochs"] <= 2
    assert len(loaded["seeds"]) >= 2, "p-values and intervals need two seeds"
    kinds = {item["source"] for item in loaded["datasets"].values()}
    assert kinds == {"synthetic_chip", "synthetic_deepstarr", "synthetic_basset"}


def test_junk_is_gone_and_ignored():
    assert not list(REPO.glob("slurm-*.out")) or _ignored("slurm-1.out")
    assert _ignored("slurm-123.out") and _ignored(".venv/") and _ignored(".test/results/x")


def _ignored(path: str) -> bool:
    if not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    result = subprocess.run(
        ["git", "check-ignore", "-q", "--no-index", path], cwd=REPO, env=os.environ
    )
    return result.returncode == 0
