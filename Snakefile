# EvoAugFlow: evolution-inspired data augmentation for genomic deep neural networks.
#
#   snakemake --cores 2                                  built-in synthetic benchmark
#   snakemake --cores 8 --configfile config/paper.yaml   the paper's study on real data
#   snakemake --profile profiles/slurm                   the same on a SLURM cluster
from snakemake.utils import min_version

min_version("8.0")


# The default config is the built-in benchmark; a --configfile replaces it instead of
# being merged into it (a paper run must not inherit the benchmark's data sets).
if not workflow.config_settings.configfiles:

    configfile: "config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/download.smk"
include: "workflow/rules/datasets.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/interpret.smk"
include: "workflow/rules/variants.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/sweep_common.smk"
include: "workflow/rules/sweep.smk"


# Every job reruns when the package code its script runs changes (evoaugflow.sources).
track_package_code(workflow.rules)


report: "workflow/report/workflow.rst"


rule all:
    default_target: True
    input:
        all_targets(),
        sweep_targets(),
        rules.report_overview.output,
