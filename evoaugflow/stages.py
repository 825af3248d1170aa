"""The training stages' vocabulary: one name per stage, its results folder, the baseline.

Everything that names a stage (the config, the trainer, the workflow's path patterns, the
summaries, the sweep, the report) reads it from here. Torch-free.
"""

from __future__ import annotations

#: Stage 1: trained on augmented sequences (or plain ones, for the baseline).
STAGE1 = "stage1"
#: Stage 2: the stage-1 best weights finetuned on the original sequences.
FINETUNE = "finetune"
#: The stages in training order.
STAGES = (STAGE1, FINETUNE)
#: The folder under ``results/`` that holds each stage's models.
STAGE_FOLDER = {STAGE1: "train", FINETUNE: "finetune"}
#: The augmentation set (and sweep candidate) that trains without augmentations.
BASELINE = "baseline"
#: Where a stage's outputs live; ``{folder}`` is ``STAGE_FOLDER[stage]``.
STAGE_DIR = "results/{folder}/{dataset}/{augset}/{seed}"


def stage_dir(
    stage: str, dataset: str = "{dataset}", augset: str = "{augset}", seed: str = "{seed}"
) -> str:
    """The outputs' folder of one stage of one grid cell.

    Parameters
    ----------
    stage : {"stage1", "finetune"}
        The stage.
    dataset, augset, seed : str, default the Snakemake wildcards ``"{dataset}"`` etc.
        The cell; left at their defaults the result is a Snakemake path pattern.

    Returns
    -------
    str
        E.g. ``"results/train/{dataset}/{augset}/{seed}"`` for ``stage="stage1"``.
    """
    if stage not in STAGE_FOLDER:
        raise ValueError(f"stage must be one of {STAGES}, got {stage!r}")
    return STAGE_DIR.format(folder=STAGE_FOLDER[stage], dataset=dataset, augset=augset, seed=seed)


def lowered_rate_problem(
    early_stopping_patience: int, lr_patience: int, max_epochs: int
) -> str | None:
    """Why a stage's stopping rules never train a lowered learning rate, or None.

    ReduceLROnPlateau lowers the rate after ``lr_patience + 1`` epochs without a lower
    validation loss; early stopping ends the stage after ``early_stopping_patience`` such
    epochs. With ``early_stopping_patience <= lr_patience + 1`` in a stage long enough for
    the scheduler to act (``max_epochs > lr_patience + 1``), the stage stops when the rate
    is first lowered: the schedule does nothing and the run keeps whichever early epoch a
    noisy validation loss favoured (issue 15: the Basset-like seed spread, docs/benchmark.md).

    Returns
    -------
    str or None
        The problem and both fixes, in words (the caller names the key); None when the
        lowered rate trains at least one epoch or the scheduler cannot act.
    """
    if lr_patience + 1 >= max_epochs or early_stopping_patience > lr_patience + 1:
        return None
    return (
        f"early_stopping_patience={early_stopping_patience} stops the stage when "
        f"ReduceLROnPlateau (lr_patience={lr_patience}) first lowers the learning rate, "
        f"which is then never trained; set early_stopping_patience >= {lr_patience + 2} "
        f"or lr_patience <= {early_stopping_patience - 2} (the paper: 10 and 5)"
    )
