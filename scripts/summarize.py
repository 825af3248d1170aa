"""Rule summarize: tidy metrics, comparison tables and figures over the whole grid."""

import sys

sys.stderr = sys.stdout = open(snakemake.log[0], "w", buffering=1)

from pathlib import Path

import pandas as pd

from evoaugflow import plots, summary

runs = snakemake.params.runs
metrics = summary.collect(snakemake.input.metrics, "metrics")
history = pd.concat(
    [
        pd.read_csv(path, sep="\t").assign(
            **{key: run[key] for key in ("dataset", "augset", "stage", "seed", "train_size")}
        )
        for run, path in zip(runs, snakemake.input.histories, strict=False)
    ],
    ignore_index=True,
)
metrics = summary.sort_runs(metrics)
summary.write_tsv(metrics, snakemake.output.metrics)
summary.write_tsv(history, snakemake.output.history)

# The comparison reads the "test" rows; summary.split may point it at the validation split.
chosen = metrics[metrics["split"] == snakemake.params.split].assign(split="test")
comparison = summary.comparison_table(chosen)
# The truth function's ceiling of every synthetic data set (issue 15).
oracle_names = [Path(path).parent.name for path in snakemake.input.oracle]
oracle = summary.read_oracles(snakemake.input.oracle, oracle_names)
comparison = summary.add_oracle_columns(comparison, oracle, split=snakemake.params.split)
summary.write_tsv(comparison, snakemake.output.comparison)
print(comparison.to_string())

full = history[history["train_size"].isna()]
for dataset in snakemake.params.datasets:
    folder = Path(snakemake.output.comparison).parent / dataset
    ceilings = comparison[comparison["dataset"].eq(dataset)].groupby("metric")["oracle"].first()
    plots.plot_metric_by_augset(
        chosen,
        dataset,
        None,
        folder / "metric_by_augset.png",
        oracle=ceilings.dropna().to_dict() or None,
    )
    plots.plot_training_curves(full, dataset, folder / "training_curves.png")

swept = snakemake.params.swept
sweep_rows = chosen[chosen["train_size"].notna()]
summary.write_tsv(
    summary.datasize_table(sweep_rows)
    if len(sweep_rows)
    else pd.DataFrame(
        columns=["dataset", "train_size", "augset", "stage", "metric", "mean", "sd", "n_seeds"]
    ),
    snakemake.output.datasize,
)
for dataset in swept:
    plots.plot_datasize(
        sweep_rows,
        dataset,
        None,
        Path(snakemake.output.comparison).parent / dataset / "datasize.png",
    )
