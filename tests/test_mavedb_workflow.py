"""The MaveDB path of the real workflow on loopback fixtures: download, map, score, summary."""

from __future__ import annotations

import json

import h5py
import numpy as np
import pandas as pd
import pytest
import yaml
from test_mavedb import Server, build_fixture
from test_sweep_workflow import TINY_MODEL, write_train_valid_h5
from workflow_helpers import snakemake

pytestmark = pytest.mark.slow


def tiny_h5(path):
    """The sweep tests' learnable binary task, 200 nt, with a test split added."""
    arrays = write_train_valid_h5(path)
    with h5py.File(path, "a") as handle:
        handle["x_test"], handle["y_test"] = arrays["x_valid"], arrays["y_valid"]


def config_for(tmp_path, server_url, genome, manifest, elements=()):
    tiny_h5(tmp_path / "tiny.h5")
    return {
        "seeds": [0],
        "training": {"stage1": {"max_epochs": 1, "batch_size": 50}},
        "augment_sets": {"baseline": {"augmentations": [], "finetune": False}},
        "mavedb_url": server_url,
        "datasets": {
            "tiny": {
                "source": "h5",
                "path": str(tmp_path / "tiny.h5"),
                "model": "chip",
                "task": "binary",
                "model_kwargs": TINY_MODEL,
                "augment_sets": ["baseline"],
                "analyses": {"cagi": True},
                "cagi": {
                    "source": "mavedb",
                    "genome": str(genome),
                    "manifest": str(manifest),
                    "elements": list(elements),
                    "rc_average": True,
                },
            }
        },
    }


def test_mavedb_elements_end_to_end(tmp_path):
    genome, elements, routes, manifest = build_fixture(tmp_path)
    config = config_for(tmp_path, None, genome, manifest)
    with Server(routes) as server:
        config["mavedb_url"] = server.url
        (tmp_path / "c.yaml").write_text(yaml.safe_dump(config))
        dry = snakemake(tmp_path, "results/summary/cagi5.tsv", "-n", "--configfile", "c.yaml")
        assert dry.returncode == 0, dry.stderr[-3000:]
        for rule in ("download_mavedb", "map_mavedb"):
            assert len([line for line in dry.stdout.splitlines() if line == f"rule {rule}:"]) == 2
        targets = ["results/summary/cagi5.tsv", "results/summary/comparison.tsv"]
        result = snakemake(tmp_path, *targets, "--cores", "2", "--configfile", "c.yaml")
        assert result.returncode == 0, result.stderr[-5000:]
    # Only the manifest's paper rows (PLUS, MINUS) were fetched, each file once.
    urns = {elements[name][0] for name in ("PLUS", "MINUS")}
    assert sorted(server.requests) == sorted(
        [f"/api/v1/score-sets/{urn}" for urn in urns]
        + [f"/api/v1/score-sets/{urn}/scores" for urn in urns]
    )
    for urn in urns:
        folder = tmp_path / "data/mavedb" / urn.removeprefix("urn:mavedb:")
        assert (folder / "scores.csv.md5").is_file()  # md5 recorded on first download
    index = pd.read_csv(tmp_path / "results/mavedb/tiny/elements.tsv", sep="\t")
    assert list(index["element"]) == ["PLUS", "MINUS"]
    assert list(index["strand"]) == ["+", "-"] and list(index["n_ref_mismatch"]) == [0, 3]
    record = json.loads((tmp_path / "results/mavedb/tiny/MINUS.json").read_text())
    assert (record["start"], record["end"]) == (2001, 2090)

    per_element = pd.read_csv(tmp_path / "results/summary/cagi5.tsv", sep="\t")
    assert per_element["rc_average"].all()
    rows = per_element.set_index("element")
    assert sorted(rows.index) == ["MINUS", "PLUS", "mean"]
    assert rows.loc[["PLUS", "MINUS", "mean"], "n_variants"].tolist() == [360, 120, 480]
    assert rows.loc[["PLUS", "MINUS", "mean"], "n_ref_mismatch"].tolist() == [0, 3, 3]
    assert rows.loc["mean", "pearson"] == pytest.approx(
        rows.loc[["PLUS", "MINUS"], "pearson"].mean()
    )
    scored = pd.read_csv(
        tmp_path / "results/variants/tiny/baseline/0/stage1/variants.tsv", sep="\t"
    )
    assert np.isfinite(scored.loc[scored["status"] == "ok", "effect"]).all()
    assert scored["rc_average"].all()
    # The comparison table carries both metrics of the binary task.
    comparison = pd.read_csv(tmp_path / "results/summary/comparison.tsv", sep="\t")
    assert list(comparison["metric"]) == ["auroc", "aupr"]
    assert comparison["best"].all() and (comparison["n_seeds"] == 1).all()


def test_an_element_with_many_mismatches_is_refused_by_name(tmp_path):
    genome, _, routes, manifest = build_fixture(tmp_path)
    with Server(routes) as server:
        config = config_for(tmp_path, server.url, genome, manifest, ["PLUS", "BAD"])
        (tmp_path / "c.yaml").write_text(yaml.safe_dump(config))
        target = "results/mavedb/tiny/elements.tsv"
        result = snakemake(
            tmp_path, target, "--cores", "1", "--keep-going", "--configfile", "c.yaml"
        )
    assert result.returncode != 0
    assert (tmp_path / "results/mavedb/tiny/PLUS.tsv").is_file()
    assert not (tmp_path / "results/mavedb/tiny/BAD.tsv").exists()
    log = (tmp_path / "logs/map_mavedb/tiny/BAD.log").read_text()
    assert "element BAD (urn:mavedb:00000103-a-2): 6 of 6 reference alleles disagree" in log


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda cagi: cagi.pop("genome"),
            "datasets.tiny.cagi.genome: required when cagi.source is mavedb",
        ),
        (
            lambda cagi: cagi.update(elements=["PLUS", "NOPE"]),
            "cagi.elements ['NOPE'] are not in the MaveDB manifest",
        ),
    ],
)
def test_bad_mavedb_settings_stop_the_workflow_before_any_job(tmp_path, change, message):
    genome, _, _, manifest = build_fixture(tmp_path)
    config = config_for(tmp_path, "http://127.0.0.1:9/api/v1", genome, manifest)
    change(config["datasets"]["tiny"]["cagi"])
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(config))
    result = snakemake(tmp_path, "-n", "--configfile", "c.yaml", timeout=300)
    assert result.returncode != 0
    assert message in result.stdout + result.stderr
