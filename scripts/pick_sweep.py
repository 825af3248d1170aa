"""Rule pick_sweep: score a data set's sweep on the validation split and pick the best.

Writes the scores (mean over seeds per candidate and stage), the picks (best strength
per augmentation, best count and hard/soft for the combination; ties to the milder),
the config fragment best_config.yaml and the sweep figure.
"""

import sys

sys.stderr = sys.stdout = open(snakemake.log[0], "w", buffering=1)

from evoaugflow import summary, sweep

settings = snakemake.params.settings
spec = sweep.sweep_settings(settings["sweep"])
stage = "finetune" if spec["finetune"] else "stage1"
metrics = summary.collect(snakemake.input.metrics, "metrics")
scores = sweep.score_candidates(metrics, metric=spec["metric"])
picks = sweep.pick_best(scores, stage=stage)
fragment = sweep.best_config_fragment(
    picks, settings["sweep"], settings["augment_params"], dataset=settings["dataset"]
)
summary.write_tsv(scores, snakemake.output.scores)
summary.write_tsv(picks, snakemake.output.picks)
sweep.write_config_fragment(
    snakemake.output.fragment,
    fragment,
    f"{snakemake.output.scores}, stage {stage}, {len(metrics['seed'].unique())} seed(s)",
)
sweep.plot_sweep(scores, snakemake.output.figure, dataset=settings["dataset"], picks=picks)
print(scores.to_string())
print(picks.to_string())
