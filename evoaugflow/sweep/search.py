"""The Optuna search over a data set's augmentation settings, run by N workers.

One study per data set lives in a journal file (``optuna.storages.JournalStorage`` on a
``JournalFileBackend``), so any number of workers, on one machine or on the nodes of a
cluster that share the file system, run trials against it at the same time:

- :func:`open_study` creates or loads the study: a seeded TPE sampler (worker ``w``
  draws with ``seed + w``) over :func:`evoaugflow.sweep.candidates.search_space` (as the
  grid: one augmentation alone or the combination, strengths from the grid's ranges made
  continuous) and a successive-halving or Hyperband pruner;
- :func:`run_trial` trains one trial on the **train** split with the drawn augmentations
  (stage 1, then finetuning when the sweep finetunes), reporting the validation score to
  the pruner after every epoch through ``train_stage``'s ``on_epoch`` hook (the sweep
  metric, e.g. AUROC, not the loss: augmentations move the loss's level more than the
  ranking), and returns the validation metric; the pruner stops unpromising trials after
  any epoch;
- :func:`run_worker` runs trials until the study holds ``n_trials``;
- :func:`best_fragment` writes the best completed trial in the format of
  ``best_config.yaml`` (:func:`evoaugflow.sweep.selection.fragment_from_spec`).

Trials read a data set whose test keys alias the validation split (the workflow's
``results/sweep/data/<dataset>/train_valid.h5``); :func:`run_trial` evaluates the
validation split only. Every setting comes from the config's ``sweep.search`` section,
whose defaults the schema states.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

import optuna
import pandas as pd
import torch
from optuna.trial import TrialState

from evoaugflow import summary
from evoaugflow.augment import Augmenter
from evoaugflow.data import SequenceData, load_dataset
from evoaugflow.models import build_model
from evoaugflow.runtime import DETERMINISTIC_DEFAULT
from evoaugflow.stages import FINETUNE
from evoaugflow.sweep.candidates import (
    CHOICE_DIMENSION,
    SWEEP_SPLIT,
    search_space,
    spec_from_values,
    sweep_settings,
)
from evoaugflow.sweep.selection import fragment_from_spec, write_config_fragment
from evoaugflow.train import evaluate, load_model, train_stage

#: Keys of the config's ``sweep.search`` section (defaults in the schema).
SEARCH_KEYS = ("n_trials", "workers", "seed", "n_startup_trials", "pruner", "min_epochs", "eta")
#: Pruners the search offers, by config name.
PRUNERS = ("successive_halving", "hyperband")
#: Trial user attributes: training epochs spent, the worker that ran it, and the earlier
#: trial of the same settings it was answered from (no training: epochs 0).
EPOCHS_ATTR, WORKER_ATTR, TWIN_ATTR = "epochs", "worker", "twin"


#: Settings that define a study: a change in any of them starts a new study in the journal.
STUDY_KEYS = ("dataset", "task", "model", "model_kwargs", "augment_params", "recipe", "sweep")
#: Version of the search space's shape (2: one augmentation alone or the combination, the
#: pruner fed the sweep metric); part of the study name, so a journal written by another
#: shape is not continued.
SPACE_VERSION = 2


def study_name(settings: Mapping) -> str:
    """Name of a data set's study in its journal: the data set and a hash of its settings.

    A journal may hold several studies; changing the sweep, the recipe or the model (any
    of ``STUDY_KEYS``) starts a new one, so no trial of other settings is reused.
    """
    missing = [key for key in STUDY_KEYS if key not in settings]
    if missing:
        raise ValueError(f"settings: keys {missing} missing (need {list(STUDY_KEYS)})")
    identity = {key: settings[key] for key in STUDY_KEYS} | {"space": SPACE_VERSION}
    text = json.dumps(identity, sort_keys=True, default=str)
    return f"{settings['dataset']}-{hashlib.sha256(text.encode()).hexdigest()[:12]}"


def metric_of(settings: Mapping) -> tuple[str, bool]:
    """The metric a sweep chooses by and whether higher is better."""
    metric = sweep_settings(settings["sweep"])["metric"]
    if metric is None:
        return summary.main_metric(settings["task"])
    return metric, summary.higher_is_better(metric)


def _search(settings: Mapping) -> dict:
    search = dict(settings["sweep"]["search"])
    missing = [key for key in SEARCH_KEYS if key not in search]
    if missing:
        raise ValueError(
            f"sweep.search: keys {missing} missing; validate the config against the schema, "
            "which fills in the defaults"
        )
    if search["pruner"] not in PRUNERS:
        raise ValueError(f"sweep.search.pruner: {search['pruner']!r}; choose one of {PRUNERS}")
    return search


def make_pruner(search: Mapping, max_epochs: int) -> optuna.pruners.BasePruner:
    """The pruner of ``sweep.search``: rungs at ``min_epochs * eta**k`` epochs of stage 1."""
    if search["pruner"] == "hyperband":
        return optuna.pruners.HyperbandPruner(
            min_resource=search["min_epochs"],
            max_resource=max(max_epochs, search["min_epochs"]),
            reduction_factor=search["eta"],
        )
    return optuna.pruners.SuccessiveHalvingPruner(
        min_resource=search["min_epochs"], reduction_factor=search["eta"]
    )


def open_study(
    journal: str | os.PathLike, settings: Mapping, worker: int = 0
) -> optuna.study.Study:
    """Create or load a data set's study in ``journal``.

    Parameters
    ----------
    journal : path
        The journal file (created with its folder when missing); every worker opens the
        same one.
    settings : mapping
        ``dataset``, ``task``, ``sweep`` (the data set's section, with ``search``) and
        ``recipe`` (``{"stage1": {...}, "finetune": {...}}``).
    worker : int, default 0
        The worker's index; its sampler is seeded with ``search.seed + worker``.

    Returns
    -------
    optuna.study.Study
    """
    search = _search(settings)
    Path(journal).parent.mkdir(parents=True, exist_ok=True)
    storage = optuna.storages.JournalStorage(
        optuna.storages.journal.JournalFileBackend(str(journal))
    )
    sampler = optuna.samplers.TPESampler(
        seed=search["seed"] + worker, n_startup_trials=search["n_startup_trials"]
    )
    _, higher = metric_of(settings)
    return optuna.create_study(
        study_name=study_name(settings),
        storage=storage,
        sampler=sampler,
        pruner=make_pruner(search, settings["recipe"]["stage1"]["max_epochs"]),
        direction="maximize" if higher else "minimize",
        load_if_exists=True,
    )


def load_study(journal: str | os.PathLike, settings: Mapping) -> optuna.study.Study:
    """A data set's study, read back from its journal (for picking and figures)."""
    if not Path(journal).is_file():
        raise ValueError(f"{journal}: no Optuna journal; run the sweep workers first")
    storage = optuna.storages.JournalStorage(
        optuna.storages.journal.JournalFileBackend(str(journal))
    )
    return optuna.load_study(study_name=study_name(settings), storage=storage)


def suggest(trial: optuna.trial.Trial, settings: Mapping) -> dict:
    """Draw one point of the search space; returns its Augmenter spec."""
    for dim in search_space(settings["sweep"], settings["augment_params"]):
        if not dim.active(trial.params.get(CHOICE_DIMENSION)):
            continue
        if dim.kind == "int":
            trial.suggest_int(dim.name, dim.low, dim.high)
        elif dim.kind == "float":
            trial.suggest_float(dim.name, dim.low, dim.high)
        else:
            trial.suggest_categorical(dim.name, list(dim.choices))
    return spec_from_values(trial.params, settings["sweep"], settings["augment_params"])


def run_trial(
    trial: optuna.trial.Trial,
    data: SequenceData,
    settings: Mapping,
    scratch: str | os.PathLike,
    *,
    verbose: bool = False,
) -> float:
    """Train and score one trial on the train and validation splits.

    Parameters
    ----------
    trial : optuna.trial.Trial
    data : SequenceData
        The train/valid view of the data set.
    settings : mapping
        As for :func:`open_study`, plus ``augment_params``, ``model``, ``model_kwargs``,
        ``seed`` and ``device``.
    scratch : path
        Folder for the trial's models, removed when the trial ends.
    verbose : bool, default False
        Print the epochs.

    Returns
    -------
    float
        Mean over tasks of the sweep metric on the validation split. A trial that drew
        the same settings as an earlier finished one (TPE repeats integer and categorical
        points) is not trained: it takes that trial's value, or is pruned with it, spends
        0 epochs and names it in the user attribute ``twin``.

    Raises
    ------
    optuna.TrialPruned
        When the pruner stopped stage 1; the epochs spent are recorded in the trial's
        user attribute ``epochs`` either way.
    """
    spec = suggest(trial, settings)
    twin = _earlier_twin(trial)
    if twin is not None:
        # Same settings, data and seed give the same training: answer from the twin.
        trial.set_user_attr(EPOCHS_ATTR, 0)
        trial.set_user_attr(TWIN_ATTR, twin.number)
        if twin.state == optuna.trial.TrialState.PRUNED:
            raise optuna.TrialPruned(f"same settings as trial {twin.number}, which was pruned")
        return float(twin.value)
    metric, higher = metric_of(settings)
    recipe = settings["recipe"]
    augmenter = Augmenter.from_config(spec)
    model = build_model(
        settings["model"],
        augmenter.output_length(data.sequence_length),
        data.n_tasks,
        task=settings["task"],
        **settings["model_kwargs"],
    )
    spent = {"epochs": 0, "pruned": False}

    def on_epoch(epoch: int, score: float) -> bool:
        spent["epochs"] = epoch
        trial.report(score if higher else -score, epoch)
        spent["pruned"] = trial.should_prune()
        return spent["pruned"]

    folder = Path(tempfile.mkdtemp(prefix=f"trial-{trial.number}-", dir=scratch))
    try:
        common = {
            "task": settings["task"],
            "seed": settings["seed"],
            "device": settings["device"],
            "deterministic": settings.get("deterministic", DETERMINISTIC_DEFAULT),
        }
        result = train_stage(
            model,
            data,
            folder / "stage1",
            augmenter=augmenter,
            on_epoch=on_epoch,
            on_epoch_metric=metric,
            verbose=verbose,
            **common,
            **recipe["stage1"],
        )
        spent["epochs"] = result["epochs_run"]
        trial.set_user_attr(EPOCHS_ATTR, spent["epochs"])
        if spent["pruned"]:
            raise optuna.TrialPruned(f"pruned after epoch {spent['epochs']}")
        model_path = result["model_path"]
        if sweep_settings(settings["sweep"])["finetune"]:
            init = load_model(model_path, device=settings["device"])[0]
            result = train_stage(
                init,
                data,
                folder / FINETUNE,
                stage=FINETUNE,
                init_from=model_path,
                verbose=verbose,
                **common,
                **recipe[FINETUNE],
            )
            spent["epochs"] += result["epochs_run"]
            trial.set_user_attr(EPOCHS_ATTR, spent["epochs"])
            model_path = result["model_path"]
        table = evaluate(model_path, data, split=SWEEP_SPLIT, device=settings["device"])
        rows = table[(table["metric"] == metric) & (table["task"] == "mean")]
        return float(rows["value"].iloc[0])
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _earlier_twin(trial: optuna.trial.Trial) -> optuna.trial.FrozenTrial | None:
    """The first finished trial (complete or pruned) that drew the same settings."""
    finished = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
    for other in trial.study.get_trials(deepcopy=False, states=finished):
        if other.number != trial.number and other.params == trial.params:
            return other
    return None


def run_worker(
    settings: Mapping,
    data_path: str | os.PathLike,
    journal: str | os.PathLike,
    worker: int = 0,
    *,
    scratch: str | os.PathLike | None = None,
    verbose: bool = False,
) -> pd.DataFrame:
    """Run trials against a data set's study until it holds ``sweep.search.n_trials``.

    A trial this worker left running (its job was killed) is marked failed first, so a
    rerun of the worker continues the study and loses no finished trial. Workers that
    start a trial at the same moment may overshoot ``n_trials`` by at most ``workers - 1``.

    Parameters
    ----------
    settings : mapping
        As for :func:`run_trial`.
    data_path : path
        The train/valid view of the data set (its test keys alias the validation split).
    journal : path
        The study's journal file.
    worker : int, default 0
        This worker's index (0-based).
    scratch : path or None, default None
        Folder for the trials' models (None: the system's temporary folder).
    verbose : bool, default False
        Print every epoch.

    Returns
    -------
    pandas.DataFrame
        :func:`trials_table` of the trials this worker finished.
    """
    search = _search(settings)
    data = load_dataset(data_path)
    study = open_study(journal, settings, worker)
    for trial in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
        if trial.user_attrs.get(WORKER_ATTR) == worker:
            study.tell(trial.number, state=optuna.trial.TrialState.FAIL)

    def objective(trial: optuna.trial.Trial) -> float:
        trial.set_user_attr(WORKER_ATTR, worker)
        return run_trial(trial, data, settings, scratch_dir, verbose=verbose)

    # Trials that count: run or running. Waiting (enqueued) trials are run by the loop.
    counted = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING)
    with tempfile.TemporaryDirectory(dir=scratch, prefix=".optuna-") as scratch_dir:
        while len(study.get_trials(deepcopy=False, states=counted)) < search["n_trials"]:
            study.optimize(objective, n_trials=1)
    table = trials_table(study)
    return table[table[WORKER_ATTR] == worker].reset_index(drop=True)


def trials_table(study: optuna.study.Study) -> pd.DataFrame:
    """One row per trial: ``number, state, value, epochs, worker, twin, last_step`` and
    its parameters (``twin``: the earlier trial of the same settings it was answered
    from, else empty)."""
    rows = []
    for trial in study.get_trials(deepcopy=False):
        rows.append(
            {
                "number": trial.number,
                "state": trial.state.name,
                "value": trial.value if trial.state == optuna.trial.TrialState.COMPLETE else None,
                EPOCHS_ATTR: trial.user_attrs.get(EPOCHS_ATTR),
                WORKER_ATTR: trial.user_attrs.get(WORKER_ATTR),
                TWIN_ATTR: trial.user_attrs.get(TWIN_ATTR),
                "last_step": trial.last_step,
            }
            | dict(sorted(trial.params.items()))
        )
    columns = ["number", "state", "value", EPOCHS_ATTR, WORKER_ATTR, TWIN_ATTR, "last_step"]
    return pd.DataFrame(rows, columns=list(dict.fromkeys(columns + list(pd.DataFrame(rows)))))


def best_fragment(study: optuna.study.Study, settings: Mapping) -> dict:
    """The best completed trial as a ``best_config.yaml`` fragment (same format as the grid's).

    Raises
    ------
    ValueError
        When no trial completed (every trial was pruned or failed).
    """
    complete = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    if not complete:
        raise ValueError(
            f"study {study.study_name}: no trial completed ({len(study.trials)} trials); "
            "raise sweep.search.n_trials or make the pruner milder (larger min_epochs)"
        )
    spec = spec_from_values(study.best_trial.params, settings["sweep"], settings["augment_params"])
    return fragment_from_spec(spec, settings["sweep"], settings["dataset"])


def pick(
    journal: str | os.PathLike,
    settings: Mapping,
    fragment_path: str | os.PathLike,
    trials_path: str | os.PathLike,
) -> optuna.study.Study:
    """Write a study's best trial as ``best_config.yaml`` and all its trials as a TSV.

    Returns
    -------
    optuna.study.Study
        The study, for its figures (:func:`evoaugflow.plots.plot_optuna`).
    """
    study = load_study(journal, settings)
    table = trials_table(study)
    fragment = best_fragment(study, settings)
    write_config_fragment(
        fragment_path,
        fragment,
        f"Optuna study {study.study_name} in {journal}: trial {study.best_trial.number} of "
        f"{len(table)}, validation {metric_of(settings)[0]} {study.best_value:.4f}",
    )
    summary.write_tsv(table, trials_path)
    return study


def set_threads(threads: int) -> None:
    """Torch threads of a worker job (one per core it was given)."""
    torch.set_num_threads(max(1, int(threads)))
