# Config validation, wildcard constraints, default resources and every input function of
# the main workflow (those of the sweep: sweep_common.smk).
import re
import sys
from pathlib import Path

# The package is importable by this Snakefile and, through the sys.path that Snakemake
# hands every script, by each job, also inside a conda environment that lacks it.
sys.path.insert(0, workflow.basedir)

from evoaugflow import config as grid
from evoaugflow import mavedb as mavedb_lib
from evoaugflow import sources
from evoaugflow.download import load_manifest
from evoaugflow.stages import FINETUNE, STAGE1, STAGES, stage_dir
from evoaugflow.synthetic import (
    CHIP_DEFAULT_FOCAL,
    causal_motifs,
    causal_site_labels,
    generator_setting,
)

# Validated once, here, before any job: the schema, its defaults and the settings checks
# (augmentation strengths and model settings against each data set); an invalid config
# stops here with the key's path and the reason.
_validated = grid.validate_config(
    config, Path(workflow.basedir) / "workflow" / "schemas" / "config.schema.yaml"
)
config.clear()
config.update(_validated)

# Resources of every job, from the config: training jobs (resources.train: memory,
# runtime, GPUs) and all others (resources.default). Rules read these two dicts; a
# profile or --set-resources RULE:NAME=VALUE overrides them per rule.
DEFAULT_RESOURCES = dict(config["resources"]["default"])
TRAIN_RESOURCES = dict(config["resources"]["train"])

RESOURCES = Path(workflow.basedir) / "resources"
RUNS = grid.runs(config)
DATASETS = grid.dataset_names(config)
ZENODO = {row["name"]: row for row in load_manifest(RESOURCES / "zenodo_7265991.tsv")}
GENOMES = {row["build"]: row for row in load_manifest(RESOURCES / "genomes.tsv")}
# Data sets as configured (size-sweep copies are summarised under their base data set).
CONFIGURED = list(config["datasets"])
SWEPT = [name for name in CONFIGURED if config["datasets"][name]["train_sizes"]]


def run_records():
    """Identity of each run, aligned with evaluation_tables() and histories()."""
    return [run_identity(run) for run in RUNS]


def _names_regex(names):
    """A wildcard constraint matching exactly these names (nothing if the list is empty)."""
    return "|".join(re.escape(name) for name in names) if names else "(?!x)x"


def datasets_from(*sources):
    """Configured data sets whose data comes from one of these sources."""
    return [
        name for name, entry in config["datasets"].items() if entry["source"] in sources
    ]


wildcard_constraints:
    dataset="[A-Za-z0-9][A-Za-z0-9_.-]*",
    augset="[A-Za-z0-9][A-Za-z0-9_.-]*",
    seed="[0-9]+",
    stage="|".join(STAGES),


def entry(wildcards):
    """Config entry of the data set named by the wildcards."""
    return grid.dataset_entry(config, wildcards.dataset)


def dataset_h5(wildcards):
    """The h5 file (published layout) a data set is read from."""
    base, _ = grid.resolve_dataset(config, wildcards.dataset)
    return grid.dataset_file(config, base)


def dataset_check(wildcards):
    """The check summary of a data set (size-sweep copies share their base's)."""
    base, _ = grid.resolve_dataset(config, wildcards.dataset)
    return f"results/data/{base}/check.json"


# The files a training stage writes (rule train_model and its variants) under
# evoaugflow.stages.stage_dir(stage).
STAGE_FILES = {"model": "model.pt", "history": "history.tsv", "params": "params.json"}


def stage_outputs(stage, prefix=""):
    """Output patterns (model, history, params) of a training stage, named prefix+name."""
    return {
        f"{prefix}{name}": f"{stage_dir(stage)}/{file}"
        for name, file in STAGE_FILES.items()
    }


# The log of each training stage, whichever job trains it.
STAGE_LOG = {
    STAGE1: "logs/train_model/{dataset}/{augset}/{seed}.log",
    FINETUNE: "logs/finetune_model/{dataset}/{augset}/{seed}.log",
}


# Augmentation sets whose cells train both stages in one job, and that job's rule.
TWO_STAGE = grid.two_stage_sets(config)
TWO_STAGE_RULE = "train_and_finetune"
# The rule of a stage's own job where a cell's stages are separate jobs.
STAGE_RULE = {STAGE1: "train_model", FINETUNE: "finetune_model"}


def training_benchmark(rule_name, path="{dataset}/{augset}/{seed}"):
    """Snakemake benchmark TSV of a training job; `path` is dataset/augset/seed."""
    return f"results/benchmarks/{rule_name}/{path}.tsv"


def run_benchmark(run):
    """The benchmark TSV of the job that trained a run (a config.Run)."""
    if run.augset in TWO_STAGE:
        return training_benchmark(TWO_STAGE_RULE, run.path)
    return training_benchmark(STAGE_RULE[run.stage], run.path)


def run_file(run, name):
    """A file of one trained run (a config.Run): `name` is a key of STAGE_FILES."""
    folder = stage_dir(run.stage, run.dataset, run.augset, str(run.seed))
    return f"{folder}/{STAGE_FILES[name]}"


def run_model(wildcards):
    """The trained model a downstream rule reads."""
    folder = stage_dir(
        wildcards.stage, wildcards.dataset, wildcards.augset, wildcards.seed
    )
    return f"{folder}/{STAGE_FILES['model']}"


def finetune_init(wildcards):
    """The stage-1 model a finetune job starts from."""
    folder = stage_dir(STAGE1, wildcards.dataset, wildcards.augset, wildcards.seed)
    return f"{folder}/{STAGE_FILES['model']}"


def train_params(wildcards, stage):
    """Everything a training job needs, JSON-serialisable (it is recorded in params.json).

    Sweep runs (wildcard `candidate`, see sweep.smk) take the candidate's augmentations.
    """
    data_entry = entry(wildcards)
    _, train_size = grid.resolve_dataset(config, wildcards.dataset)
    if hasattr(wildcards, "candidate"):
        augset = wildcards.candidate
        augment = SWEEP[wildcards.dataset][wildcards.candidate]
    else:
        augset = wildcards.augset
        augment = grid.augment_spec(config, wildcards.dataset, wildcards.augset)
    return {
        "dataset": wildcards.dataset,
        "augset": augset,
        "seed": int(wildcards.seed),
        "stage": stage,
        "model": data_entry["model"],
        "model_kwargs": data_entry["model_kwargs"],
        "task": data_entry["task"],
        "train_size": train_size,
        "augment": augment,
        "recipe": grid.stage_recipe(config, wildcards.dataset, stage),
        "device": config["device"],
        "deterministic": config["deterministic"],
        "data_seed": config["data_seed"],
    }


def run_identity(wildcards, stage=None):
    """How a run is named in the tidy tables: size-sweep copies under their base data set.

    `stage` names the stage of a training rule, whose wildcards have none.
    """
    base, train_size = grid.resolve_dataset(config, wildcards.dataset)
    return {
        "dataset": base,
        "augset": wildcards.augset,
        "stage": stage or wildcards.stage,
        "seed": int(wildcards.seed),
        "train_size": train_size,
    }


# The metrics table of one trained model: the training job (train_model, finetune_model,
# train_from_sweep) writes it once the model is kept.
EVALUATION_TABLE = "results/evaluate/{dataset}/{augset}/{seed}/{stage}.tsv"


def evaluation_output(stage):
    """The metrics table pattern of a training stage's rule."""
    return EVALUATION_TABLE.replace("{stage}", stage)


def evaluation_tables():
    """Metrics of every run, aligned with run_records()."""
    return [
        EVALUATION_TABLE.format(
            dataset=run.dataset, augset=run.augset, seed=run.seed, stage=run.stage
        )
        for run in RUNS
    ]


def histories():
    """Training history of every run, aligned with run_records()."""
    return [run_file(run, "history") for run in RUNS]


def peak_file(value):
    """A peak file given as a path, or as an ENCODE file accession to download."""
    if re.fullmatch("ENCFF[0-9]{3}[A-Z]{3}", value):
        return f"data/encode/{value}.bed.gz"
    return value


def genome_file(value):
    """A genome FASTA given as a path, or as a UCSC build name (hg19, hg38) to download."""
    if value in GENOMES:
        return f"data/genomes/{value}.fa"
    return value


def chip_inputs(wildcards):
    """ChIP peaks, accessible peaks and genome of a chip data set (synthetic or given)."""
    data_entry = config["datasets"][wildcards.dataset]
    if data_entry["source"] == "synthetic_chip":
        folder = f"results/synthetic/{wildcards.dataset}"
        return {
            "chip": f"{folder}/chip.narrowPeak",
            "accessible": f"{folder}/accessible.narrowPeak",
            "genome": f"{folder}/genome.fa",
        }
    return {
        "chip": peak_file(data_entry["chip_peaks"]),
        "accessible": peak_file(data_entry["accessible_peaks"]),
        "genome": genome_file(data_entry["genome"]),
    }


def all_targets():
    """What `snakemake` builds by default: the summaries of every configured analysis.

    Every run's own files too (model, history, params): a file a user deleted is
    trained again by the next `snakemake`, even where no summary reads it.
    """
    targets = list(rules.summarize.output)
    targets += [run_file(run, name) for run in RUNS for name in STAGE_FILES]
    if analysed_datasets("filters"):
        targets += list(rules.summarize_filters.output)
    if analysed_datasets("attribution"):
        targets += list(rules.summarize_attribution.output)
        targets += expand(
            "results/attribution/{dataset}/logos_seed{seed}.png",
            dataset=analysed_datasets("attribution"),
            seed=config["seeds"],
        )
    if analysed_datasets("cagi"):
        targets += list(rules.summarize_cagi5.output)
    for name, item in config["vcf"].items():
        targets += [
            f"results/variants/vcf/{name}/{run.path}/{run.stage}.tsv"
            for run in RUNS
            if run.dataset in item["datasets"]
        ]
    # Cost table and stability figures of the main grid (the sweeps' targets: rule all).
    targets += cost_targets()
    if control_datasets():
        targets += list(rules.controls_table.output)
    return targets


def control_datasets():
    """Control data sets (source synthetic_control) by name: [rule, dependent]."""
    return {
        name: [
            config["datasets"][name]["synthetic"].get(key, default)
            for key, default in (("rule", "spacing"), ("dependent", True))
        ]
        for name in datasets_from("synthetic_control")
    }


def control_augsets():
    """Augmentation sets that apply exactly one augmentation: name -> that augmentation."""
    return {
        name: spec["augmentations"][0]
        for name, spec in config["augment_sets"].items()
        if len(spec["augmentations"]) == 1
    }


SYNTHETIC_SOURCES = ("synthetic_chip", "synthetic_deepstarr", "synthetic_basset")


def synthetic_datasets():
    """Configured data sets of the built-in synthetic benchmark."""
    return datasets_from(*SYNTHETIC_SOURCES)


def oracle_tables():
    """The truth function's metrics of every synthetic data set (real data have none)."""
    return [f"results/data/{name}/oracle.tsv" for name in synthetic_datasets()]


def planted_panel(wildcards):
    """Motifs planted in a synthetic data set (empty for real data)."""
    if entry(wildcards)["source"] in SYNTHETIC_SOURCES:
        return config["motif_panel"]
    return []


def causal_panel(wildcards):
    """Planted motifs that a synthetic data set's labels depend on (empty for real data)."""
    data = entry(wildcards)
    if data["source"] in SYNTHETIC_SOURCES:
        return causal_motifs(
            data["source"], config["motif_panel"], data.get("synthetic")
        )
    return []


def causal_sites(wildcards):
    """Truth-table labels of the sites that the attributed output of a synthetic data set
    depends on (empty for real data)."""
    data = entry(wildcards)
    if data["source"] in SYNTHETIC_SOURCES:
        return causal_site_labels(
            data["source"],
            config["motif_panel"],
            data.get("synthetic"),
            data["attribution"]["output"],
        )
    return []


def truth_table(wildcards):
    """Planted motif sites of a synthetic data set; real data has none."""
    base, _ = grid.resolve_dataset(config, wildcards.dataset)
    if config["datasets"][base]["source"] in SYNTHETIC_SOURCES:
        return f"results/data/{base}/truth.tsv"
    return []


def analysis_runs(kind, dataset=None, seed=None):
    """Runs of the full-size data sets whose config turns analysis `kind` on."""
    return [
        run
        for run in RUNS
        if run.dataset in config["datasets"]
        and config["datasets"][run.dataset]["analyses"][kind]
        and dataset in (None, run.dataset)
        and seed in (None, run.seed)
    ]


def analysis_files(kind, pattern, dataset=None, seed=None):
    """One file per analysed run; `pattern` has {path} (dataset/augset/seed) and {stage}."""
    return [
        pattern.format(path=run.path, stage=run.stage)
        for run in analysis_runs(kind, dataset, seed)
    ]


def analysis_labels(kind, dataset=None, seed=None):
    """Model labels aligned with analysis_files()."""
    return [f"{run.augset} {run.stage}" for run in analysis_runs(kind, dataset, seed)]


def analysed_datasets(kind):
    """Configured data sets whose config turns analysis `kind` on."""
    return [name for name, item in config["datasets"].items() if item["analyses"][kind]]


def cagi_inputs(wildcards):
    """Variant tables and genome (or the published one-hot file) of a CAGI analysis."""
    settings = entry(wildcards)["cagi"]
    base, _ = grid.resolve_dataset(config, wildcards.dataset)
    if settings["source"] == "synthetic":
        folder = f"results/synthetic/{base}/cagi"
        return {
            "tables": f"{folder}/elements.tsv",
            "genome": f"{folder}/cagi_genome.fa",
        }
    if settings["source"] == "tables":
        return {"tables": settings["tables"], "genome": genome_file(settings["genome"])}
    if settings["source"] == "mavedb":
        return {
            "tables": f"results/mavedb/{base}/elements.tsv",
            "genome": genome_file(settings["genome"]),
        }
    return {"onehot": settings["onehot"], "metadata": settings["metadata"]}


# MaveDB score sets of the CAGI5 elements (cagi.source: mavedb): per configured data set,
# the manifest rows it scores; each score set is fetched once, keyed by its URN.
def _mavedb_elements(name):
    settings = config["datasets"][name]["cagi"]
    if not settings.get("genome"):
        raise ValueError(
            f"datasets.{name}.cagi.genome: required when cagi.source is mavedb "
            "(hg19 / hg38 to download, or a FASTA path)"
        )
    manifest = settings["manifest"] or RESOURCES / "mavedb_cagi5.tsv"
    table = mavedb_lib.select_elements(
        mavedb_lib.read_manifest(manifest), settings["elements"]
    )
    return {row["element"]: row for row in table.to_dict("records")}


MAVEDB = {
    name: _mavedb_elements(name)
    for name in analysed_datasets("cagi")
    if config["datasets"][name]["cagi"]["source"] == "mavedb"
}
MAVEDB_URNS = sorted(
    {
        mavedb_lib.urn_key(row["urn"])
        for rows in MAVEDB.values()
        for row in rows.values()
    }
)


def _genome_build(name):
    """The UCSC build name of a data set's CAGI genome, or None for a FASTA path."""
    genome = config["datasets"][name]["cagi"]["genome"]
    return genome if genome in GENOMES else None


def _mavedb_row(wildcards):
    return MAVEDB[wildcards.dataset][wildcards.element]


def _mavedb_files(wildcards):
    key = mavedb_lib.urn_key(_mavedb_row(wildcards)["urn"])
    return {
        "score_set": f"data/mavedb/{key}/score_set.json",
        "scores": f"data/mavedb/{key}/scores.csv",
    }


def mavedb_genome(wildcards):
    """The genome a data set's MaveDB score sets are mapped onto."""
    return genome_file(config["datasets"][wildcards.dataset]["cagi"]["genome"])


def mavedb_element_files(wildcards, suffix):
    """One file per MaveDB element of a data set: its mapped table or its record."""
    return expand(
        "results/mavedb/{dataset}/{element}.{suffix}",
        dataset=wildcards.dataset,
        element=list(MAVEDB[wildcards.dataset]),
        suffix=suffix,
    )


def mavedb_records(wildcards):
    return mavedb_element_files(wildcards, "json")


def mavedb_tables(wildcards):
    return mavedb_element_files(wildcards, "tsv")


def vcf_file(wildcards):
    """A configured VCF (rule score_variants)."""
    return config["vcf"][wildcards.vcf]["path"]


def vcf_genome(wildcards):
    """The genome FASTA of a configured VCF's build."""
    return genome_file(config["vcf"][wildcards.vcf]["genome"])


def attribution_arrays(wildcards):
    """Attributions of every analysed model of one data set and seed."""
    return analysis_files(
        "attribution",
        "results/attribution/{path}/{stage}/attributions.npz",
        dataset=wildcards.dataset,
        seed=int(wildcards.seed),
    )


def attribution_labels(wildcards):
    """Model labels aligned with attribution_arrays()."""
    return analysis_labels(
        "attribution", dataset=wildcards.dataset, seed=int(wildcards.seed)
    )


def overview_inputs(wildcards):
    """The summary tables and figures the report's landing page is made of."""
    inputs = {
        "comparison": rules.summarize.output.comparison,
        "figures": expand(
            "results/summary/{dataset}/{figure}.png",
            dataset=CONFIGURED,
            figure=("metric_by_augset", "training_curves"),
        )
        + expand(
            "results/attribution/{dataset}/logos_seed{seed}.png",
            dataset=analysed_datasets("attribution"),
            seed=config["seeds"][:1],
        ),
    }
    if analysed_datasets("filters"):
        inputs["filters"] = rules.summarize_filters.output.table
        inputs["figures"].append(rules.summarize_filters.output.figure)
    if analysed_datasets("attribution"):
        inputs["attribution"] = rules.summarize_attribution.output.table
    if analysed_datasets("cagi"):
        inputs["cagi5"] = rules.summarize_cagi5.output.table
        inputs["figures"].append(rules.summarize_cagi5.output.figure)
    return inputs


# Cost (Tables S2-S3) and stability (Fig. S7) of the main grid.
def cost_runs():
    """Main-grid runs of the configured data sets (the size-sweep copies left out)."""
    return [run for run in RUNS if run.dataset in config["datasets"]]


def cost_records():
    """Identity of each cost_runs() run, aligned with cost_benchmarks() and cost_histories()."""
    return [run_identity(run) for run in cost_runs()]


def cost_benchmarks():
    """Snakemake benchmark TSV of each cost_runs() job."""
    return [run_benchmark(run) for run in cost_runs()]


def cost_histories():
    """history.tsv of each cost_runs() job."""
    return [run_file(run, "history") for run in cost_runs()]


def cost_targets():
    """The cost table and a stability figure per configured data set (always built)."""
    return ["results/summary/cost.tsv"] + expand(
        "results/summary/{dataset}/stability.png", dataset=CONFIGURED
    )


def _code_with_model(code):
    """A training job's code param: `code`, plus the module of its data set's own model
    class (`model: package.module:Class`) where it names one."""

    def param(wildcards):
        model = entry(wildcards)["model"]
        if ":" not in model:
            return code
        name = model.split(":")[0]
        return f"{code} {name} {sources.module_fingerprint(name)}"

    return param


def track_package_code(steps):
    """Give the jobs of every script rule the param `package_code`, the fingerprint of
    the package code its script runs (evoaugflow.sources), so that Snakemake reruns a job, and what
    depends on it, when that code changes. Comments, docstrings and modules the script
    never imports do not count. A rule that writes a model also runs the data set's own
    model class, whose module joins its fingerprint; the rules that read that model
    rerun because it is rewritten.
    """
    for step in steps:
        if not step.is_script:
            continue
        script = Path(step.snakefile).parent / step.script
        if not script.is_file():  # a workflow read from a URL: no local source to hash
            continue
        code = sources.script_fingerprint(script)
        writes_model = any(
            str(path).endswith(STAGE_FILES["model"]) for path in step.output
        )
        if writes_model and "dataset" in step.wildcard_names:
            step.set_params(package_code=_code_with_model(code))
        else:
            step.set_params(package_code=code)
