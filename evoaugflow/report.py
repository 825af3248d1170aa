"""The landing page of the HTML report: the study's answer per data set, at a glance.

`overview_tables` turns the summary tables into two tidy tables: the main comparison
(baseline vs each augmentation set, stage 1 and finetune, with the paired difference, its
95% interval and p-value, from :func:`evoaugflow.summary.comparison_table`) and the
verdicts of the analyses (filter hit rate, attribution AUROC, CAGI5 correlation), each
compared seed by seed with the baseline in the same way. `overview_html` renders both as
one HTML fragment with thumbnails of the figures; the workflow's report description
(workflow/report/workflow.rst) includes it, so `snakemake --report` opens on it.
"""

from __future__ import annotations

import base64
import html
import io
import math
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from urllib.parse import quote

import pandas as pd
from PIL import Image

from evoaugflow import summary
from evoaugflow.io import write_text_atomic
from evoaugflow.stages import BASELINE, FINETUNE, STAGE1

#: Width in pixels of the figure thumbnails on the landing page.
THUMBNAIL_WIDTH = 240
#: Confidence level of every interval on the landing page.
CONFIDENCE = 0.95

#: Analyses -> (summary table, measure compared with the baseline, row filter, label,
#: higher is better).
ANALYSES: dict[str, tuple[str, str, str | None, str, bool]] = {
    "filters": ("filters", "hit_rate", None, "Filters: JASPAR hit rate", True),
    "planted": (
        "filters",
        "planted_recovery",
        None,
        "Filters: planted motifs recovered (fraction)",
        True,
    ),
    "causal": (
        "filters",
        "causal_recovery",
        None,
        "Filters: motifs the labels depend on, recovered (fraction)",
        True,
    ),
    "attribution": (
        "attribution",
        "attribution_auroc",
        None,
        "Attribution: AUROC at planted sites",
        True,
    ),
    "causal_attribution": (
        "attribution",
        "causal_attribution_auroc",
        None,
        "Attribution: AUROC at the sites of motifs the output depends on",
        True,
    ),
    "cagi5": ("cagi5", "pearson", "mean", "Variants: CAGI5 Pearson r", True),
}
#: Summary tables the analyses read.
ANALYSIS_TABLES = tuple(dict.fromkeys(table for table, *_ in ANALYSES.values()))
#: Verdict of every row of a measure that has one value for every model and seed of a
#: data set: it cannot tell the models apart at this scale.
FLAT = "flat: same value everywhere"

OVERVIEW_COLUMNS = (
    "dataset",
    "metric",
    "higher_is_better",
    "augset",
    "stage",
    "n_seeds",
    "mean",
    "sd",
    "diff_mean",
    "diff_ci_low",
    "diff_ci_high",
    "p_value",
    "verdict",
)


def verdict(diff_ci_low: float, diff_ci_high: float, higher_is_better: bool) -> str:
    """One word on a paired difference to the baseline, from its confidence interval.

    Parameters
    ----------
    diff_ci_low, diff_ci_high : float
        Bounds of the interval of the mean difference (model minus baseline); NaN when
        there is no test (the baseline itself, or fewer than two shared seeds).
    higher_is_better : bool
        Direction of the measure.

    Returns
    -------
    str
        ``"better"`` or ``"worse"`` when the interval excludes zero, ``"no clear
        difference"`` when it contains it, ``"untested"`` when it is NaN.
    """
    if math.isnan(diff_ci_low) or math.isnan(diff_ci_high):
        return "untested"
    if diff_ci_low > 0 or diff_ci_high < 0:
        return "better" if (diff_ci_low > 0) == higher_is_better else "worse"
    return "no clear difference"


def _with_verdicts(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with a ``verdict`` column (reference rows: ``"reference"``)."""
    table = table.copy()
    is_reference = table["augset"].eq(BASELINE) & table["stage"].eq(STAGE1)
    table["verdict"] = [
        "reference" if ref else verdict(low, high, bool(higher))
        for ref, low, high, higher in zip(
            is_reference,
            table["diff_ci_low"],
            table["diff_ci_high"],
            table["higher_is_better"],
            strict=True,
        )
    ]
    return table


def analysis_verdicts(
    tables: Mapping[str, pd.DataFrame], analyses: Mapping[str, tuple] = ANALYSES
) -> pd.DataFrame:
    """Compare each analysis measure with the baseline, per data set, seed by seed.

    Parameters
    ----------
    tables : mapping of str to pandas.DataFrame
        Summary tables by kind (``ANALYSIS_TABLES``: ``filters``, ``attribution``,
        ``cagi5``), in the tidy layout of ``summary.TIDY_COLUMNS``; missing or empty
        tables, and measures without a value (``planted_recovery`` of real data), are
        left out, as are measures that the tables lack (per-run tables written by an
        older version: ``snakemake --forcerun match_filters`` writes them again).
    analyses : mapping, default ANALYSES
        Analysis -> (table kind, measure column, ``element`` to keep or None, label,
        higher is better).

    Returns
    -------
    pandas.DataFrame
        One row per analysis, dataset, augset and stage: ``analysis, label, dataset,
        metric, higher_is_better, augset, stage, n_seeds, mean, sd, diff_mean,
        diff_ci_low, diff_ci_high, p_value, verdict`` (see :func:`overview_tables`).
        Where a measure has one value for every model and seed of a data set (e.g.
        planted-motif recovery at a quick scale), every row's verdict is ``FLAT``: the
        measure cannot move there, and a paired test of it says nothing.
    """
    frames = []
    for kind, (table_kind, measure, element, label, higher) in analyses.items():
        table = tables.get(table_kind)
        if table is None or table.empty:
            continue
        summary.require_columns(table, ("dataset", "augset", "stage", "seed"), kind)
        if measure not in table.columns:
            # Per-run tables written before the measure existed: rerun their rule.
            print(f"{kind}: no column {measure} in the {table_kind} table; left out")
            continue
        rows = table if element is None else table[table["element"] == element]
        rows = rows[rows[measure].notna()]
        for _, frame in rows.groupby("dataset", sort=True):
            values = frame.assign(value=frame[measure].astype(float))
            result = summary.seed_summary(values, "value", ("dataset", "augset", "stage"))
            is_base = values["augset"].eq(BASELINE) & values["stage"].eq(STAGE1)
            reference = values.loc[is_base].set_index("seed")["value"] if is_base.any() else None
            by_model = values.groupby(["augset", "stage"])
            paired = [
                summary.paired_difference(
                    by_model.get_group((augset, stage)).set_index("seed")["value"],
                    reference,
                    (augset, stage) == (BASELINE, STAGE1),
                )
                for augset, stage in zip(result["augset"], result["stage"], strict=True)
            ]
            result = pd.concat([result, pd.DataFrame(paired, index=result.index)], axis=1)
            result.insert(0, "analysis", kind)
            result.insert(1, "label", label)
            result.insert(3, "metric", measure)
            result.insert(4, "higher_is_better", higher)
            result = _with_verdicts(result)
            if len(result) > 1 and values["value"].nunique() == 1:
                result["verdict"] = FLAT
            frames.append(result)
    columns = ["analysis", "label", *OVERVIEW_COLUMNS]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]


def overview_tables(
    comparison: pd.DataFrame,
    tables: Mapping[str, pd.DataFrame] | None = None,
    source: str = "comparison",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The landing page's two tables: the main comparison and the analyses' verdicts.

    Parameters
    ----------
    comparison : pandas.DataFrame
        Output of :func:`evoaugflow.summary.comparison_table` (``comparison.tsv``).
    tables : mapping of str to pandas.DataFrame, optional
        Analysis summary tables for :func:`analysis_verdicts`.
    source : str, default "comparison"
        What ``comparison`` is called in an error (e.g. its file).

    Returns
    -------
    main : pandas.DataFrame
        ``OVERVIEW_COLUMNS`` and ``summary.ORACLE_COMPARISON_COLUMNS`` (the truth
        function's ceiling and the share of the baseline's gap to it that a model closes,
        NaN for real data), one row per dataset, augset and stage: the main metric's
        mean and sd over seeds, the mean paired difference to the baseline (same seed),
        its 95% t interval, the paired t-test's p-value and a verdict (``better``,
        ``worse``, ``no clear difference``, ``untested``, ``reference``).
    verdicts : pandas.DataFrame
        :func:`analysis_verdicts` of ``tables``.

    Raises
    ------
    ValueError
        If ``comparison`` lacks a column (e.g. a table written before the interval
        columns existed: rerun the ``summarize`` rule).
    """
    summary.require_columns(
        comparison, OVERVIEW_COLUMNS[:-1], f"{source} (rerun rule summarize to rewrite it)"
    )
    # The truth function's ceiling columns are NaN where it is unknown (or not in the table).
    main = _with_verdicts(_main_metric_rows(comparison)).reindex(
        columns=[*OVERVIEW_COLUMNS, *summary.ORACLE_COMPARISON_COLUMNS]
    )
    return main.reset_index(drop=True), analysis_verdicts(tables or {})


def _main_metric_rows(comparison: pd.DataFrame) -> pd.DataFrame:
    """The rows of each data set's main metric (``summary.main_metric`` of the task its
    metrics belong to: AUROC or Pearson)."""
    chosen = comparison.groupby("dataset")["metric"].transform(
        lambda metrics: summary.main_metric(summary.task_of_metrics(metrics))[0]
    )
    return comparison[comparison["metric"].eq(chosen)]


def thumbnail_uri(path: str | os.PathLike, width: int = THUMBNAIL_WIDTH) -> str:
    """A PNG thumbnail of an image file as a ``data:`` URI, ``width`` pixels wide.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    """
    with Image.open(path) as image:
        image = image.convert("RGB")
        height = max(1, round(image.height * width / image.width))
        image = image.resize((width, height), Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _number(value: float, digits: int = 3) -> str:
    return (
        "–"
        if value is None or (isinstance(value, float) and math.isnan(value))
        else (f"{value:.{digits}f}")
    )


def _p_value(value: float) -> str:
    if value is None or math.isnan(value):
        return "–"
    return f"{value:.2g}" if value >= 1e-3 else f"{value:.1e}"


def _interval(low: float, high: float) -> str:
    if math.isnan(low) or math.isnan(high):
        return "–"
    return f"[{low:+.3f}, {high:+.3f}]"


def _model_name(augset: str, stage: str) -> str:
    if augset == BASELINE and stage == STAGE1:
        return "baseline"
    return f"{augset} + {FINETUNE}" if stage == FINETUNE else augset


def _css_name(verdict: str) -> str:
    """A verdict as a CSS class name: ``"flat: same value everywhere"`` ->
    ``"flat-same-value-everywhere"``."""
    return re.sub(r"[^a-z0-9]+", "-", verdict.lower()).strip("-")


def _rows_html(frame: pd.DataFrame, labelled: bool = False) -> str:
    rows = []
    for row in frame.itertuples(index=False):
        reference = row.verdict == "reference"
        label = f"<td>{html.escape(row.label)}</td>" if labelled else ""
        rows.append(
            f'<tr class="evo-{_css_name(row.verdict)}">{label}'
            f"<td>{html.escape(_model_name(row.augset, row.stage))}</td>"
            f"<td>{_number(row.mean)} ± {_number(row.sd)}</td>"
            f"<td>{'' if reference else f'{row.diff_mean:+.3f}'}</td>"
            f"<td>{'' if reference else _interval(row.diff_ci_low, row.diff_ci_high)}</td>"
            f"<td>{'' if reference else _p_value(row.p_value)}</td>"
            f"<td>{html.escape(row.verdict)}</td></tr>"
        )
    return "".join(rows)


def _ceiling_html(frame: pd.DataFrame) -> str:
    """The truth function's score and each model's share of the baseline's gap to it
    closed, as one sentence; empty for a data set without a known truth (real data)."""
    if "oracle" not in frame or frame["oracle"].isna().all():
        return ""
    closed = [
        f"{html.escape(_model_name(row.augset, row.stage))} {_number(row.gap_closed, 2)}"
        for row in frame.itertuples(index=False)
        if row.verdict != "reference"
    ]
    return (
        f'<p class="evo-ceiling">Ceiling (the generator\'s truth function on the same split): '
        f"{_number(float(frame['oracle'].iloc[0]))}. Share of the baseline's gap to it "
        f"closed: {', '.join(closed) or 'no augmented model'}.</p>"
    )


def _thumbnails(paths: Sequence[str | os.PathLike]) -> list[str]:
    """A linked thumbnail per existing figure; the link opens the figure's report entry."""
    thumbs = []
    for path in paths:
        if not os.path.exists(path):
            continue
        target = quote(str(path), safe="/")
        thumbs.append(
            f"<a href=\"javascript:app.showResultInfo('{target}')\" "
            f'title="{html.escape(str(path))}"><img alt="{html.escape(str(path))}" '
            f'src="{thumbnail_uri(path)}" width="{THUMBNAIL_WIDTH}"></a>'
        )
    return thumbs


_HEADER = (
    "<tr><th>model</th><th>mean ± sd</th><th>Δ vs baseline</th><th>95% CI of Δ</th>"
    "<th>p</th><th>verdict</th></tr>"
)

_STYLE = """<style>
/* The report centres its landing column vertically, which hides the top of a long page. */
.h-screen:has(#evoaugflow-results) { align-items: flex-start; }
.max-w-lg:has(#evoaugflow-results) { max-width: 60rem; }
#evoaugflow-results table { border-collapse: collapse; margin: 0.3em 0; font-size: 0.85em; }
#evoaugflow-results th, #evoaugflow-results td { border: 1px solid #ccc; padding: 0.15em 0.5em;
  text-align: right; }
#evoaugflow-results td:first-child, #evoaugflow-results th:first-child { text-align: left; }
#evoaugflow-results .evo-analyses td:nth-child(2) { text-align: left; }
#evoaugflow-results tr.evo-better td:last-child { color: #1a7f37; font-weight: bold; }
#evoaugflow-results tr.evo-worse td:last-child { color: #cf222e; font-weight: bold; }
#evoaugflow-results .evo-flat, #evoaugflow-results tr.evo-flat-same-value-everywhere td:last-child {
  color: #9a6700; }
#evoaugflow-results .evo-dataset { display: flex; gap: 1em; align-items: flex-start;
  flex-wrap: wrap; }
#evoaugflow-results .evo-thumbs a { display: inline-block; margin: 0 0.3em 0.3em 0; }
#evoaugflow-results .evo-thumbs img { border: 1px solid #ddd; margin: 0; }
</style>"""


def overview_html(
    main: pd.DataFrame,
    verdicts: pd.DataFrame,
    figures: Mapping[str, Sequence[str | os.PathLike]] | None = None,
    split: str = "test",
) -> str:
    """Render the landing page: one section per data set, tables, verdicts, thumbnails.

    Parameters
    ----------
    main, verdicts : pandas.DataFrame
        Output of :func:`overview_tables`.
    figures : mapping of str to sequence of path, optional
        Figures per data set (paths relative to the working directory, as the report
        knows them); each becomes a thumbnail that opens the figure's entry in the report.
        Key ``""`` holds the figures across data sets, shown at the end.
    split : str, default "test"
        Split the metrics come from, named in the text.

    Returns
    -------
    str
        One HTML fragment, ``<div id="evoaugflow-results">...</div>``, with its own style.
    """
    figures = figures or {}
    n_seeds = sorted({int(n) for n in main["n_seeds"]}) if len(main) else []
    parts = [
        _STYLE,
        '<div id="evoaugflow-results">',
        "<h2>Results: did EvoAug help?</h2>",
        f"<p>Main {html.escape(split)} metric of each data set, mean ± sd over seeds "
        f"({', '.join(map(str, n_seeds)) or 'no'} per model). Δ is the paired difference to "
        f"the baseline with the same seed, with its {CONFIDENCE:.0%} t interval and the "
        "paired t-test's p-value; the verdict reads the interval (better or worse when it "
        "excludes zero). Click a thumbnail to open its figure.</p>",
    ]
    for dataset, frame in main.groupby("dataset", sort=True):
        metric = frame["metric"].iloc[0]
        direction = "higher" if bool(frame["higher_is_better"].iloc[0]) else "lower"
        thumbs = _thumbnails(figures.get(dataset, ()))
        parts.append(
            f'<h3 id="evo-{html.escape(dataset)}">{html.escape(dataset)} '
            f"<small>({html.escape(metric)}, {direction} is better)</small></h3>"
            f"{_ceiling_html(frame)}"
            f'<div class="evo-dataset"><table>{_HEADER}{_rows_html(frame)}</table>'
            f'<div class="evo-thumbs">{"".join(thumbs)}</div></div>'
        )
        analyses = verdicts[verdicts["dataset"] == dataset]
        flat = analyses[analyses["verdict"] == FLAT].drop_duplicates("analysis")
        for _, measure in flat.iterrows():
            why = (
                " (first-layer filters much shorter than the motifs match almost none)"
                if ANALYSES[measure["analysis"]][0] == "filters"
                else ""
            )
            parts.append(
                f'<p class="evo-flat">{html.escape(measure["label"])}: '
                f"{_number(measure['mean'])} for every model and seed. In this run the "
                "measure cannot move, so it cannot show an effect either way. A larger run "
                f"may move it, or the model may be unable to show it at any scale{why}; "
                "docs/benchmark.md says which measures move at which scale.</p>"
            )
        if len(analyses):
            parts.append(
                f'<table class="evo-analyses">{_HEADER.replace("<tr>", "<tr><th>analysis</th>", 1)}'
                f"{_rows_html(analyses, labelled=True)}</table>"
            )
    shared = _thumbnails(figures.get("", ()))
    if shared:
        parts.append(f'<h3>Across data sets</h3><div class="evo-thumbs">{"".join(shared)}</div>')
    if main.empty:
        parts.append("<p>No comparison yet: the summary table is empty.</p>")
    parts.append("</div>")
    return "\n".join(parts) + "\n"


def write_overview(
    comparison: str | os.PathLike,
    analysis_tables: Mapping[str, str | os.PathLike],
    figures: Sequence[str | os.PathLike],
    datasets: Sequence[str],
    split: str,
    path: str | os.PathLike,
) -> str:
    """Write the report's landing page (rule report_overview).

    Parameters
    ----------
    comparison : str or PathLike
        The main comparison table (tidy TSV, see :func:`evoaugflow.summary.collect`).
    analysis_tables : mapping of str to str or PathLike
        The table of each analysis of `ANALYSIS_TABLES` that ran, by kind; others are
        ignored.
    figures : sequence of str or PathLike
        Figures to show as thumbnails: ``results/<kind>/<dataset>/<name>.png`` under its
        data set when ``<dataset>`` is one of ``datasets``, otherwise under all of them.
    datasets : sequence of str
        The configured data sets.
    split : str
        The split the tables score (named on the page).
    path : str or PathLike
        The HTML page written (atomically).

    Returns
    -------
    str
        The page.
    """
    tables = {
        kind: summary.collect([table], kind)
        for kind, table in analysis_tables.items()
        if kind in ANALYSIS_TABLES
    }
    main, verdicts = overview_tables(summary.collect([comparison]), tables, str(comparison))
    by_dataset: dict[str, list] = {}
    for figure in figures:
        parts = Path(figure).parts
        dataset = parts[2] if len(parts) == 4 and parts[2] in datasets else ""
        by_dataset.setdefault(dataset, []).append(figure)
    page = overview_html(main, verdicts, by_dataset, split=split)
    write_text_atomic(path, page)
    print(main.to_string())
    print(verdicts.to_string())
    return page
