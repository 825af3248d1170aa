"""Cluster execution: the Slurm profile, the conda environments, and real Slurm runs.

The first tests need nothing but Python: Snakemake accepts profiles/slurm (dry run) and
resolves its environment variables and per-rule resources, and envs/*.yaml are valid,
pinned conda environments. The `slurm` tests start a one-node Slurm cluster on this
machine (tests/slurm_cluster.py; root and Debian's slurm-wlm and munge, installed by
`bash .ci/setup --tests`) and submit a small workflow, then a target of the real workflow,
through `snakemake --profile profiles/slurm`; they skip with the reason when the machine
cannot host a cluster.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from slurm_cluster import PARTITION, LocalSlurmCluster, SlurmUnavailable, require_slurm_installed

REPO_ROOT = Path(__file__).resolve().parents[1]
PROFILE = REPO_ROOT / "profiles" / "slurm"
SNAKEFILE = REPO_ROOT / "Snakefile"
ENVS = REPO_ROOT / "envs"

# The real workflow's target built under Slurm, and the config overrides (deep-merged
# over config/config.yaml through --configfile) that keep that run short.
TARGET = "results/evaluate/chip_synth/baseline/0/stage1.tsv"
CONFIG_OVERRIDES = {
    "seeds": [0],
    "training": {"stage1": {"max_epochs": 2}, "finetune": {"max_epochs": 1}},
    # The default's chip_synth sets its own stage-1 rules, which win over the top level's;
    # a second --configfile merges into that entry key by key.
    "datasets": {"chip_synth": {"training": {"stage1": {"max_epochs": 2}}}},
}
# Training rules ask for a GPU, 4 cores and 32 GB in the profile; the test node has 2
# CPUs and no GPU. These replace the profile's whole set-resources entry.
CPU_SET_RESOURCES = [
    f"{rule}:{name}={value}"
    for rule in ("train_model", "finetune_model", "train_and_finetune")
    for name, value in (("gpu", 0), ("cpus_per_task", 1), ("mem_mb", 3000), ("runtime", 30))
]
# Site settings the profile reads (see its header), and those of the test cluster's runs.
SITE_VARIABLES = (
    "EVOAUG_SLURM_ACCOUNT",
    "EVOAUG_SLURM_PARTITION",
    "EVOAUG_SLURM_GPU_PARTITION",
    "EVOAUG_SLURM_GPU_MODEL",
    "EVOAUG_SLURM_GPUS",
)
CPU_SITE = {"EVOAUG_SLURM_PARTITION": PARTITION, "EVOAUG_SLURM_GPUS": "0"}
# Executor settings of snakemake-executor-plugin-slurm 2.x for a cluster without
# accounting: sacct needs slurmdbd, squeue only needs MinJobAge (600 s in the test
# cluster) to exceed three status-check intervals. Successful jobs' Slurm logs are kept
# so that the test can find them.
SLURM_FLAGS = [
    "--slurm-status-command",
    "squeue",
    "--slurm-init-seconds-before-status-checks",
    "2",
    "--slurm-keep-successful-logs",
]
SMALL_WORKFLOW_TIMEOUT_S = 180
REAL_WORKFLOW_TIMEOUT_S = 600

SMALL_SNAKEFILE = """\
rule all:
    input:
        "results/gather/jobs.txt",


rule record_job:
    output:
        "results/record/{part}.txt",
    resources:
        mem_mb=200,
        runtime=5,
    shell:
        "echo $SLURM_JOB_ID $SLURM_JOB_PARTITION {wildcards.part} > {output}"


rule gather:
    input:
        expand("results/record/{part}.txt", part=["a", "b"]),
    output:
        "results/gather/jobs.txt",
    resources:
        mem_mb=200,
        runtime=5,
    shell:
        "cat {input} > {output} && echo $SLURM_JOB_ID $SLURM_JOB_PARTITION gather >> {output}"
"""


def site_env(base: dict, site: dict) -> dict:
    """``base`` with the profile's site variables replaced by exactly those in ``site``."""
    return {key: value for key, value in base.items() if key not in SITE_VARIABLES} | site


def snakemake(workdir: Path, *args: str, env: dict, timeout_s: float = 60):
    """Run snakemake with the Slurm profile in ``workdir``; return the finished process."""
    command = [sys.executable, "-m", "snakemake", "--profile", str(PROFILE), *args]
    return subprocess.run(
        command, cwd=workdir, env=env, capture_output=True, text=True, timeout=timeout_s
    )


def dry_run_resources(output: str) -> dict[str, dict[str, str]]:
    """Resources per rule from a dry run's job listing."""
    resources = {}
    for block in re.split(r"\n(?=rule \w+:)", output):
        rule = re.match(r"rule (\w+):", block)
        line = re.search(r"^\s+resources: (.*)$", block, flags=re.MULTILINE)
        if rule and line:
            resources[rule.group(1)] = dict(
                item.split("=", 1) for item in line.group(1).split(", ") if "=" in item
            )
    return resources


# --- the profile, without a cluster ---------------------------------------------------

PROFILE_SNAKEFILE = """\
rule train_model:
    output:
        "trained.txt",
    resources:
        gpu=0,
    shell:
        "touch {output}"


rule summarize:
    input:
        "trained.txt",
    output:
        "summary.txt",
    shell:
        "touch {output}"
"""


@pytest.mark.parametrize(
    ("site", "expected_train", "expected_default"),
    [
        (
            {},
            {"gpu": "1", "slurm_partition": "gpu", "cpus_per_task": "4", "mem_mb": "32000"},
            {"mem_mb": "4000", "runtime": "60"},
        ),
        (
            {
                "EVOAUG_SLURM_ACCOUNT": "lab42",
                "EVOAUG_SLURM_PARTITION": "short",
                "EVOAUG_SLURM_GPU_PARTITION": "a100q",
                "EVOAUG_SLURM_GPU_MODEL": "a100",
                "EVOAUG_SLURM_GPUS": "2",
            },
            {"gpu": "2", "gpu_model": "a100", "slurm_partition": "a100q", "runtime": "480"},
            {"slurm_account": "lab42", "slurm_partition": "short"},
        ),
        (
            {"EVOAUG_SLURM_PARTITION": "short", "EVOAUG_SLURM_GPUS": "0"},
            {"gpu": "0", "slurm_partition": "short"},
            {"slurm_partition": "short"},
        ),
    ],
    ids=["defaults", "site-env", "cpu-only"],
)
def test_profile_dry_run_resolves_resources(tmp_path, site, expected_train, expected_default):
    """Snakemake 9 accepts the profile and applies its environment-driven resources."""
    (tmp_path / "Snakefile").write_text(PROFILE_SNAKEFILE)

    result = snakemake(tmp_path, "-n", "summary.txt", env=site_env(dict(os.environ), site))

    assert result.returncode == 0, result.stderr[-3000:]
    resources = dry_run_resources(result.stdout + result.stderr)
    assert set(resources) == {"train_model", "summarize"}
    for name, value in expected_train.items():
        assert resources["train_model"].get(name) == value, (name, resources["train_model"])
    for name, value in expected_default.items():
        assert resources["summarize"].get(name) == value, (name, resources["summarize"])
    # The account and CPU partition appear only when the site sets them.
    for name in ("slurm_account", "slurm_partition"):
        if name not in expected_default:
            assert name not in resources["summarize"]
    assert not (tmp_path / "trained.txt").exists(), "a dry run must not run anything"


def test_profile_entries_are_commented():
    """Every setting of the profile has a comment line right above it or its block."""
    lines = (PROFILE / "config.yaml").read_text().splitlines()
    top_level = [i for i, line in enumerate(lines) if re.match(r"^[a-z][\w-]*:", line)]
    assert len(top_level) >= 8
    for index in top_level:
        assert lines[index - 1].startswith("#"), f"uncommented profile entry: {lines[index]}"


# --- the conda environments ------------------------------------------------------------

# "name=version", "name=version=build" (conda) or "name==version" (pip).
PINNED = re.compile(r"^[A-Za-z0-9_.-]+(==?)\d+(\.\d+)+(=[A-Za-z0-9_.*]+)?$")
REQUIRED_PACKAGES = {
    "train": {
        "pytorch",
        "pandas",
        "h5py",
        "pyfaidx",
        "captum",
        "logomaker",
        "matplotlib",
        "tqdm",
        "scipy",
        "pyyaml",
        "jsonschema",
    },
    "analysis": {
        "bedtools",
        "meme",
        "pybedtools",
        "pyfaidx",
        "memelite",
        "pyjaspar",
        "pandas",
        "matplotlib",
        "logomaker",
    },
}


def _env_dependencies(path: Path) -> tuple[dict, list[str], list[str]]:
    """(parsed file, conda dependency strings, pip dependency strings) of an env file."""
    spec = yaml.safe_load(path.read_text())
    conda_deps = [dep for dep in spec["dependencies"] if isinstance(dep, str)]
    pip_lists = [dep["pip"] for dep in spec["dependencies"] if isinstance(dep, dict)]
    return spec, conda_deps, [dep for block in pip_lists for dep in block]


@pytest.mark.parametrize("name", sorted(REQUIRED_PACKAGES))
def test_conda_env_is_valid_and_pinned(name):
    """Each env file parses, names its channels, pins every package, and lists what it must."""
    spec, conda_deps, pip_deps = _env_dependencies(ENVS / f"{name}.yaml")
    assert set(spec) == {"name", "channels", "dependencies"}
    assert spec["name"] == f"evoaugflow-{name}"
    assert spec["channels"][0] == "conda-forge" and "defaults" not in spec["channels"]
    assert "python=3.11" in conda_deps
    for dep in conda_deps:
        assert PINNED.match(dep) and "==" not in dep, f"{name}.yaml: conda {dep!r} not pinned"
    for dep in pip_deps:
        # No path or URL installs: Snakemake copies env files into .snakemake/conda (or
        # --conda-prefix), where a relative path would point somewhere else.
        assert PINNED.match(dep) and "==" in dep, f"{name}.yaml: pip {dep!r} not pinned"
    names = [re.split(r"==?", dep)[0].lower() for dep in conda_deps + pip_deps]
    assert len(names) == len(set(names)), f"{name}.yaml lists a package twice"
    missing = REQUIRED_PACKAGES[name] - set(names)
    assert not missing, f"{name}.yaml lacks {sorted(missing)}"


def test_torch_builds_cuda_for_training_cpu_for_analysis():
    """Training gets a CUDA build of torch 2.x, analysis a CPU build of the same version."""
    _, train_deps, _ = _env_dependencies(ENVS / "train.yaml")
    _, analysis_deps, _ = _env_dependencies(ENVS / "analysis.yaml")
    train_torch = next(dep for dep in train_deps if dep.startswith("pytorch="))
    analysis_torch = next(dep for dep in analysis_deps if dep.startswith("pytorch="))
    cuda = re.fullmatch(r"pytorch=(2\.\d+\.\d+)=cuda(\d\d)(\d)\*", train_torch)
    assert cuda, train_torch
    assert analysis_torch == f"pytorch={cuda.group(1)}=cpu*"
    # The CUDA runtime release matches the build string (cuda126* with cuda-version=12.6).
    assert f"cuda-version={cuda.group(2)}.{cuda.group(3)}" in train_deps
    assert "bioconda" in yaml.safe_load((ENVS / "analysis.yaml").read_text())["channels"]


# --- real Slurm runs ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def slurm_cluster(tmp_path_factory):
    """A one-node Slurm cluster for this module; its daemons stop even when a test fails."""
    try:
        require_slurm_installed()
    except SlurmUnavailable as reason:
        pytest.skip(f"cannot host a local Slurm cluster: {reason}")
    cluster = LocalSlurmCluster(tmp_path_factory.mktemp("slurm"))
    started = time.monotonic()
    try:
        cluster.start()
    except SlurmUnavailable as reason:
        cluster.stop()
        pytest.skip(f"cannot host a local Slurm cluster: {reason}")
    except BaseException:
        cluster.stop()
        raise
    print(f"slurm daemons up in {time.monotonic() - started:.1f} s")
    try:
        yield cluster
    finally:
        cluster.stop()


def run_under_slurm(cluster: LocalSlurmCluster, workdir: Path, *args: str, timeout_s: float):
    """Run snakemake through the Slurm executor in ``workdir``; fail with the log tail."""
    started = time.monotonic()
    env = site_env(cluster.env(), CPU_SITE)
    try:
        result = snakemake(workdir, *SLURM_FLAGS, *args, env=env, timeout_s=timeout_s)
    except subprocess.TimeoutExpired as error:
        # TimeoutExpired carries bytes even when the run asked for text.
        stderr = error.stderr or b""
        tail = (stderr.decode(errors="replace") if isinstance(stderr, bytes) else stderr)[-3000:]
        queue = cluster.run_client("squeue", "--states=all").stdout
        pytest.fail(f"snakemake ran past {timeout_s} s; squeue:\n{queue}\nlog tail:\n{tail}")
    log = result.stdout + result.stderr
    assert result.returncode == 0, f"snakemake failed:\n{log[-4000:]}"
    print(f"snakemake under slurm took {time.monotonic() - started:.1f} s")
    return log


def submitted_job_ids(log: str) -> dict[str, str]:
    """Slurm job id per Snakemake job id, from the executor's submission lines."""
    return dict(re.findall(r"Job (\d+) has been submitted with SLURM jobid (\d+)", log))


def assert_completed_under_slurm(cluster: LocalSlurmCluster, slurm_ids, workdir: Path):
    """Each job is known to slurmctld as COMPLETED in ``workdir`` with a kept Slurm log."""
    kept_logs = {path.stem for path in (workdir / ".snakemake" / "slurm_logs").rglob("*.log")}
    for slurm_id in slurm_ids:
        shown = cluster.run_client("scontrol", "show", "job", slurm_id).stdout
        assert "JobState=COMPLETED" in shown, shown
        assert f"WorkDir={workdir}" in shown, shown
        assert f"Partition={PARTITION}" in shown, shown
        assert slurm_id in kept_logs, f"no .snakemake/slurm_logs/**/{slurm_id}.log"


@pytest.mark.slurm
def test_small_workflow_runs_each_job_as_a_slurm_job(slurm_cluster, tmp_path):
    """Three jobs, a fan-in DAG: each runs as its own Slurm job on the debug partition."""
    (tmp_path / "Snakefile").write_text(SMALL_SNAKEFILE)

    log = run_under_slurm(slurm_cluster, tmp_path, timeout_s=SMALL_WORKFLOW_TIMEOUT_S)

    submitted = submitted_job_ids(log)
    assert len(submitted) == 3, log[-3000:]
    recorded = [
        line.split()
        for line in (tmp_path / "results" / "gather" / "jobs.txt").read_text().splitlines()
    ]
    assert [fields[2] for fields in recorded] == ["a", "b", "gather"]
    assert {fields[1] for fields in recorded} == {PARTITION}
    # The ids the jobs saw in $SLURM_JOB_ID are those the executor submitted, all distinct.
    assert sorted(fields[0] for fields in recorded) == sorted(submitted.values())
    # gather depends on both record jobs, so Slurm must have been given it last.
    assert int(recorded[2][0]) > max(int(recorded[0][0]), int(recorded[1][0]))
    assert_completed_under_slurm(slurm_cluster, submitted.values(), tmp_path)


@pytest.mark.slurm
def test_profile_gpu_request_reaches_slurm(slurm_cluster, tmp_path):
    """The profile's training resources become sbatch flags; Slurm sees the GPU request.

    The test node has no GPU, so Slurm must refuse the job: proof that `gpu: 1` is sent
    as a real GPU request and not dropped on the way.
    """
    (tmp_path / "Snakefile").write_text(
        'rule train_model:\n    output:\n        "model.txt",\n'
        '    shell:\n        "echo $SLURM_JOB_ID > {output}"\n'
    )
    env = site_env(slurm_cluster.env(), {"EVOAUG_SLURM_GPU_PARTITION": PARTITION})
    result = snakemake(
        tmp_path, *SLURM_FLAGS, "--retries", "0", "model.txt", env=env, timeout_s=120
    )

    log = result.stdout + result.stderr
    assert result.returncode != 0, log[-3000:]
    assert "Invalid generic resource (gres) specification" in log, log[-3000:]
    sbatch = re.search(r"^\s*sbatch --parsable .*$", log, flags=re.MULTILINE)
    assert sbatch, log[-3000:]
    flags = sbatch.group(0).split("--wrap")[0].split()
    for flag in ("--gpus=1", "--cpus-per-task=4", "--mem", "32000", "-t", "480", "-p", PARTITION):
        assert flag in flags, (flag, flags)
    assert not (tmp_path / "model.txt").exists()


@pytest.mark.slurm
@pytest.mark.slow
@pytest.mark.skipif(not SNAKEFILE.exists(), reason=f"the workflow {SNAKEFILE} does not exist yet")
def test_real_workflow_target_under_slurm(slurm_cluster, tmp_path):
    """A target of the real workflow (synthetic data set, training, evaluation) via Slurm."""
    workdir = tmp_path / "run"
    workdir.mkdir()
    overrides = tmp_path / "overrides.yaml"
    overrides.write_text(yaml.safe_dump(CONFIG_OVERRIDES))

    log = run_under_slurm(
        slurm_cluster,
        workdir,
        "--snakefile",
        str(SNAKEFILE),
        "--configfile",
        str(SNAKEFILE.parent / "config" / "config.yaml"),
        str(overrides),
        "--set-resources",
        *CPU_SET_RESOURCES,
        "--",
        TARGET,
        timeout_s=REAL_WORKFLOW_TIMEOUT_S,
    )

    target = workdir / TARGET
    assert target.exists() and target.stat().st_size > 0
    rules_run = set(re.findall(r"^rule (\w+):", log, flags=re.MULTILINE))
    assert "train_model" in rules_run, log[-3000:]
    submitted = submitted_job_ids(log)
    assert len(submitted) >= 3, log[-3000:]
    assert_completed_under_slurm(slurm_cluster, submitted.values(), workdir)
    # The training job really ran the recipe with the override (2 epochs at most).
    history = workdir / "results" / "train" / "chip_synth" / "baseline" / "0" / "history.tsv"
    assert 1 <= len(history.read_text().strip().splitlines()) - 1 <= 2
