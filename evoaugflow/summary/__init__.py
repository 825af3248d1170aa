"""Summary tables over the per-run tidy TSVs: seed statistics, paired tests, ranks.

One job per module: :mod:`~evoaugflow.summary.tables` (the tidy tables' columns,
:func:`collect`, :func:`write_tsv`, :func:`sort_runs`, the metrics' vocabulary),
:mod:`~evoaugflow.summary.compare` (:func:`seed_summary`, :func:`comparison_table`,
:func:`datasize_table`) and :mod:`~evoaugflow.summary.oracle` (the truth function's
ceiling beside each model). Every table comes out in one fixed row order, so reruns give
byte-identical files. The summary rules' work, figures included, is in
:mod:`evoaugflow.summarize`.
"""

from evoaugflow.summary.compare import (
    DATASIZE_COLUMNS,
    comparison_table,
    datasize_table,
    paired_difference,
    seed_summary,
    split_means,
)
from evoaugflow.summary.oracle import (
    NO_ORACLE_NOTE,
    ORACLE_COMPARISON_COLUMNS,
    add_oracle_columns,
    read_oracles,
)
from evoaugflow.summary.tables import (
    METRIC_HIGHER_IS_BETTER,
    METRIC_ORDER,
    TASK_METRICS,
    TIDY_COLUMNS,
    collect,
    higher_is_better,
    main_metric,
    require_columns,
    sort_runs,
    task_of_metrics,
    write_tsv,
)

__all__ = [
    "DATASIZE_COLUMNS",
    "METRIC_HIGHER_IS_BETTER",
    "METRIC_ORDER",
    "NO_ORACLE_NOTE",
    "ORACLE_COMPARISON_COLUMNS",
    "TASK_METRICS",
    "TIDY_COLUMNS",
    "add_oracle_columns",
    "collect",
    "comparison_table",
    "datasize_table",
    "higher_is_better",
    "main_metric",
    "paired_difference",
    "read_oracles",
    "require_columns",
    "seed_summary",
    "sort_runs",
    "task_of_metrics",
    "split_means",
    "write_tsv",
]
