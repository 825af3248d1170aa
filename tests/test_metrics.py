"""Metrics against hand-computed answers, brute-force definitions and scipy."""

import math
import warnings

import numpy as np
import pytest
import scipy.stats
import torch

from evoaugflow.metrics import classification_metrics, regression_metrics


def _value(table, metric, task):
    rows = table[(table.metric == metric) & (table.task == task)]
    assert len(rows) == 1
    return rows.value.iloc[0]


# Positives score 0.4, 0.8, 0.9; negatives 0.1, 0.4, 0.8. Pairs won: 1 + 0.5 (tie) for
# 0.4, 2 + 0.5 for 0.8, 3 for 0.9: AUROC = 7 / 9. Thresholds 0.9, 0.8, 0.4 give
# (recall, precision) = (1/3, 1), (2/3, 2/3), (1, 3/5): AP = (1 + 2/3 + 3/5) / 3 = 34/45.
Y_TIES = np.array([0, 0, 1, 1, 0, 1])
S_TIES = np.array([0.1, 0.4, 0.4, 0.8, 0.8, 0.9])


def test_auroc_and_aupr_with_ties_known_answer():
    table = classification_metrics(Y_TIES, S_TIES)
    assert list(table.columns) == ["metric", "task", "value"]
    assert list(zip(table.metric, table.task, strict=True)) == [
        ("auroc", "0"),
        ("auroc", "mean"),
        ("aupr", "0"),
        ("aupr", "mean"),
    ]
    assert _value(table, "auroc", "0") == pytest.approx(7 / 9, abs=1e-12)
    assert _value(table, "aupr", "0") == pytest.approx(34 / 45, abs=1e-12)


def test_aupr_edge_cases():
    y = np.array([1, 0, 1, 0, 0])
    perfect = classification_metrics(y, np.array([0.9, 0.2, 0.8, 0.1, 0.3]))
    assert _value(perfect, "aupr", "0") == pytest.approx(1.0)
    assert _value(perfect, "auroc", "0") == pytest.approx(1.0)
    # one threshold only: precision = prevalence at recall 1
    flat = classification_metrics(y, np.full(5, 0.5))
    assert _value(flat, "aupr", "0") == pytest.approx(0.4)
    assert _value(flat, "auroc", "0") == pytest.approx(0.5)
    reverse = classification_metrics(y, -np.array([0.9, 0.2, 0.8, 0.1, 0.3]))
    assert _value(reverse, "auroc", "0") == pytest.approx(0.0)


def test_auroc_matches_pairwise_definition_on_random_ties():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, size=(300, 3))
    scores = rng.integers(0, 10, size=(300, 3)).astype(float)  # many ties
    table = classification_metrics(torch.from_numpy(y), torch.from_numpy(scores))
    values = []
    for task in range(3):
        pos, neg = scores[y[:, task] == 1, task], scores[y[:, task] == 0, task]
        diff = pos[:, None] - neg[None, :]
        expected = ((diff > 0) + 0.5 * (diff == 0)).mean()
        values.append(expected)
        assert _value(table, "auroc", str(task)) == pytest.approx(expected, abs=1e-12)
    assert _value(table, "auroc", "mean") == pytest.approx(np.mean(values), abs=1e-12)


def test_one_class_task_gives_nan_warning_and_nanmean():
    y = np.array([[1, 0], [0, 0], [1, 0], [0, 0]])
    scores = np.array([[0.9, 0.1], [0.2, 0.3], [0.7, 0.5], [0.1, 0.2]])
    with pytest.warns(UserWarning, match="one class"):
        table = classification_metrics(y, scores)
    assert math.isnan(_value(table, "auroc", "1")) and math.isnan(_value(table, "aupr", "1"))
    assert _value(table, "auroc", "mean") == pytest.approx(1.0)
    assert _value(table, "aupr", "mean") == pytest.approx(1.0)


def test_regression_known_answers():
    # x = 1..4, y = 2, 4, 5, 9: r = 11 / sqrt(5 * 26). Ranks with a tie: x ranks
    # 1, 2.5, 2.5, 4 vs 1, 3, 2, 4: rho = 4.5 / sqrt(4.5 * 5).
    y_true = np.array([[1.0, 1.0], [2.0, 2.0], [3.0, 2.0], [4.0, 3.0]])
    y_pred = np.array([[2.0, 1.0], [4.0, 3.0], [5.0, 2.0], [9.0, 4.0]])
    table = regression_metrics(y_true, y_pred)
    assert set(table.metric) == {"mse", "pearson", "spearman"}
    assert _value(table, "mse", "0") == pytest.approx((1 + 4 + 4 + 25) / 4)
    assert _value(table, "mse", "1") == pytest.approx((0 + 1 + 0 + 1) / 4)
    assert _value(table, "pearson", "0") == pytest.approx(11 / math.sqrt(130), abs=1e-12)
    assert _value(table, "spearman", "1") == pytest.approx(4.5 / math.sqrt(22.5), abs=1e-12)
    assert _value(table, "spearman", "0") == pytest.approx(1.0)
    assert _value(table, "mse", "mean") == pytest.approx((8.5 + 0.5) / 2)


def test_regression_agrees_with_scipy():
    rng = np.random.default_rng(2)
    y_true = rng.normal(size=(200, 2))
    y_pred = y_true + rng.normal(size=(200, 2))
    y_pred[:, 1] = np.round(y_pred[:, 1])  # ties for Spearman
    table = regression_metrics(y_true, y_pred)
    for task in range(2):
        r = scipy.stats.pearsonr(y_true[:, task], y_pred[:, task])[0]
        rho = scipy.stats.spearmanr(y_true[:, task], y_pred[:, task])[0]
        assert _value(table, "pearson", str(task)) == pytest.approx(r, abs=1e-10)
        assert _value(table, "spearman", str(task)) == pytest.approx(rho, abs=1e-10)


def test_constant_prediction_correlation_is_nan_with_warning():
    y_true = np.array([1.0, 2.0, 3.0])
    with pytest.warns(UserWarning, match="constant"):
        table = regression_metrics(y_true, np.ones(3))
    assert math.isnan(_value(table, "pearson", "0"))
    assert math.isnan(_value(table, "pearson", "mean"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        regression_metrics(y_true, y_true)  # no warning when defined


@pytest.mark.parametrize(
    ("y_true", "y_score", "pattern"),
    [
        (np.ones((3, 2)), np.ones((3, 1)), "shape"),
        (np.array([0, 1, 2]), np.ones(3), "only 0 and 1"),
        (np.array([0, 1, 1]), np.array([0.1, np.nan, 0.2]), "y_score contains NaN"),
        (np.zeros((0,)), np.zeros((0,)), "N >= 1"),
    ],
)
def test_bad_inputs(y_true, y_score, pattern):
    with pytest.raises(ValueError, match=pattern):
        classification_metrics(y_true, y_score)


def _fresh_python_stdout(code: str) -> str:
    """What `code` prints in a new interpreter (nothing imported yet, as in a job)."""
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return result.stdout


def test_training_and_evaluation_jobs_do_not_import_scipy_stats():
    """scipy.stats costs ~1.4-2.8 s of start-up in every job that imports it (~100 jobs
    in a 3-seed default run): the metrics rank with pandas, the t-test imports it when
    run; CAGI correlations (rule score_cagi5) use the metrics' own."""
    code = (
        "import sys, evoaugflow.train, evoaugflow.evaluate, evoaugflow.predict,"
        " evoaugflow.filters, evoaugflow.attribution, evoaugflow.variants, pandas;"
        "evoaugflow.variants.cagi_correlations(pandas.DataFrame("
        "{'element': ['E'] * 4, 'value': [1.0, 2, 3, 4], 'effect': [1.0, 3, 2, 4]}));"
        "print('scipy.stats' in sys.modules)"
    )
    assert _fresh_python_stdout(code).strip() == "False"


def test_jobs_that_do_not_run_a_model_do_not_import_torch():
    """torch costs 2.5-4.5 s of start-up per job. The generators (make_synthetic_*),
    the oracle's metrics and the variant tables need none of it; the scoring functions
    of evoaugflow.variants load it on first use and still work."""
    code = (
        "import sys, evoaugflow.synthetic, evoaugflow.variants, evoaugflow.summary;"
        "from evoaugflow.synthetic import make_dataset, write_oracle_metrics;"
        "from evoaugflow.variants import read_vcf, variant_index;"
        "print('torch' in sys.modules);"
        "from evoaugflow.variants import score_vcf_file;"
        "print('torch' in sys.modules, score_vcf_file.__module__)"
    )
    printed = _fresh_python_stdout(code).split()
    assert printed == ["False", "True", "evoaugflow.variants.scoring"]
