"""Which package code a workflow script runs, and the fingerprint that makes Snakemake
rerun a job when that code changes (evoaugflow.sources, workflow/rules/common.smk)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from evoaugflow import sources

REPO = Path(__file__).resolve().parents[1]
SCRIPTS = REPO / "scripts"
PACKAGE = REPO / "evoaugflow"


def _names(paths):
    return {path.relative_to(REPO).as_posix() for path in paths}


def test_closure_follows_the_imports_a_script_makes():
    training = _names(sources.package_closure(SCRIPTS / "train_model.py"))
    # The trainer, what it trains with, and the packages' __init__ files on the way.
    assert {
        "evoaugflow/__init__.py",
        "evoaugflow/train.py",
        "evoaugflow/models.py",
        "evoaugflow/augment.py",
        "evoaugflow/augment_kernels.py",
        "evoaugflow/checkpoint.py",
    } <= training
    assert "evoaugflow/report.py" not in training
    report = _names(sources.package_closure(SCRIPTS / "report_overview.py"))
    assert "evoaugflow/report.py" in report and "evoaugflow/train.py" not in report
    # `from evoaugflow import summary` runs the package's __init__, which imports its
    # modules: they are followed.
    assert "evoaugflow/summary/tables.py" in report


def _package_copy(tmp_path):
    root = tmp_path / "root"
    shutil.copytree(PACKAGE, root / "evoaugflow", ignore=shutil.ignore_patterns("__pycache__"))
    script = tmp_path / "job.py"
    script.write_text("from evoaugflow.train import run\n\nrun\n")
    return root, script


def _edit(path, old, new):
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1))


def test_fingerprint_moves_with_code_not_with_comments_or_docstrings(tmp_path):
    root, script = _package_copy(tmp_path)
    first = sources.script_fingerprint(script, root)
    assert len(first) == 64 and first == sources.script_fingerprint(script, root)

    trainer = root / "evoaugflow" / "train.py"
    _edit(trainer, '"""Two-stage EvoAug training', '"""Two-stage EvoAug training (edited)')
    trainer.write_text(trainer.read_text() + "\n# a comment at the end\n\n\n")
    # A module the job never imports.
    (root / "evoaugflow" / "report.py").write_text("X = 1\n")
    assert sources.script_fingerprint(script, root) == first

    # Code reached through an import of an import (train -> augment -> augment_kernels).
    kernels = root / "evoaugflow" / "augment_kernels.py"
    kernels.write_text(kernels.read_text() + "\nEDITED = 1\n")
    second = sources.script_fingerprint(script, root)
    assert second != first
    # An import inside a function body counts, and the module it names joins the closure.
    (root / "evoaugflow" / "extra_module.py").write_text("VALUE = 1\n")
    _edit(trainer, "\ndef run(", "\ndef _late():\n    import evoaugflow.extra_module\n\n\ndef run(")
    assert (root / "evoaugflow" / "extra_module.py") in sources.package_closure(script, root)
    third = sources.script_fingerprint(script, root)
    (root / "evoaugflow" / "extra_module.py").write_text("VALUE = 2\n")
    assert len({second, third, sources.script_fingerprint(script, root)}) == 3


def test_module_fingerprint_of_a_user_module(tmp_path, monkeypatch):
    (tmp_path / "my_models.py").write_text('"""My model."""\nWIDTH = 8\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    first = sources.module_fingerprint("my_models")
    (tmp_path / "my_models.py").write_text('"""My model, documented."""\n# note\nWIDTH = 8\n')
    assert sources.module_fingerprint("my_models") == first
    (tmp_path / "my_models.py").write_text('"""My model."""\nWIDTH = 16\n')
    assert sources.module_fingerprint("my_models") not in (None, first)
    assert sources.module_fingerprint("no_such_module_here") is None


def _dry_run(snakefile, workdir, target):
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "--snakefile", str(snakefile), "-n", target],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.mark.slow
def test_snakemake_reruns_a_job_when_the_package_code_it_runs_changes(tmp_path):
    """A real run of one rule in a copy of the workflow, then dry runs after edits of
    the copy's package: only an edit of code the rule's script runs reruns it."""
    repo = tmp_path / "repo"
    repo.mkdir()
    for name in ("Snakefile", "workflow", "scripts", "evoaugflow", "resources", "config", "envs"):
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, repo / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, repo / name)
    workdir = tmp_path / "run"
    shutil.copytree(REPO / ".test" / "config", workdir / "config")
    snakefile = repo / "Snakefile"
    target = "results/data/deepstarr_synth/data.h5"
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "--snakefile", str(snakefile), "--cores", "1", target],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Nothing to be done" in _dry_run(snakefile, workdir, target)

    generator = repo / "evoaugflow" / "synthetic" / "deepstarr.py"
    assert generator in sources.package_closure(
        repo / "scripts" / "make_synthetic_dataset.py", repo
    )
    generator.write_text(generator.read_text() + "\n# a comment\n")
    (repo / "evoaugflow" / "report.py").write_text("X = 1\n")  # not run by this rule
    assert "Nothing to be done" in _dry_run(snakefile, workdir, target)

    generator.write_text(generator.read_text() + "\nEDITED = 1\n")
    planned = _dry_run(snakefile, workdir, target)
    assert "rule make_synthetic_dataset:" in planned
    assert "Params have changed since last execution" in planned
