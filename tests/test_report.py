"""The report's landing page: intervals and verdicts (library), the .test run's report
(`--lint`, `--report report.zip`), and the page as headless Chromium renders it."""

from __future__ import annotations

import math
import subprocess
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from scipy import stats
from workflow_helpers import png_size, snakemake

from evoaugflow import report, summary
from evoaugflow.io import write_tsv

REPO = Path(__file__).resolve().parents[1]

# Test AUROC per seed: the finetune gains 0.04-0.06 on every seed, stage 1 is a coin toss.
AUROC = {
    ("baseline", "stage1"): [0.80, 0.82, 0.84, 0.81],
    ("evoaug", "stage1"): [0.82, 0.80, 0.85, 0.80],
    ("evoaug", "finetune"): [0.85, 0.88, 0.88, 0.86],
}


def metrics_table(values=AUROC, dataset="chip", metric="auroc"):
    rows = [
        {
            "dataset": dataset,
            "augset": augset,
            "stage": stage,
            "seed": seed,
            "split": "test",
            "metric": metric,
            "task": "mean",
            "value": value,
        }
        for (augset, stage), seeds in values.items()
        for seed, value in enumerate(seeds)
    ]
    return pd.DataFrame(rows)


def row(table, augset, stage):
    return table[(table["augset"] == augset) & (table["stage"] == stage)].iloc[0]


def test_comparison_interval_is_the_paired_t_interval():
    table = summary.comparison_table(metrics_table())
    finetune = row(table, "evoaug", "finetune")
    diffs = np.subtract(AUROC[("evoaug", "finetune")], AUROC[("baseline", "stage1")])
    half = stats.t.ppf(0.975, df=3) * diffs.std(ddof=1) / math.sqrt(4)
    assert finetune["diff_ci_low"] == pytest.approx(diffs.mean() - half)
    assert finetune["diff_ci_high"] == pytest.approx(diffs.mean() + half)
    # The interval excludes zero exactly when the two-sided p is below 0.05.
    assert finetune["diff_ci_low"] > 0 and finetune["p_value"] < 0.05
    stage1 = row(table, "evoaug", "stage1")
    assert stage1["diff_ci_low"] < 0 < stage1["diff_ci_high"] and stage1["p_value"] > 0.05
    base = row(table, "baseline", "stage1")
    assert math.isnan(base["diff_ci_low"]) and math.isnan(base["diff_ci_high"])


def test_one_shared_seed_gives_no_interval():
    one_seed = {key: values[:1] for key, values in AUROC.items()}
    table = summary.comparison_table(metrics_table(one_seed))
    finetune = row(table, "evoaug", "finetune")
    assert math.isnan(finetune["diff_ci_low"]) and math.isnan(finetune["p_value"])


@pytest.mark.parametrize(
    ("low", "high", "higher", "expected"),
    [
        (0.01, 0.05, True, "better"),
        (0.01, 0.05, False, "worse"),
        (-0.05, -0.01, True, "worse"),
        (-0.05, -0.01, False, "better"),
        (-0.01, 0.02, True, "no clear difference"),
        (math.nan, math.nan, True, "untested"),
    ],
)
def test_verdict_reads_the_interval_in_the_metric_direction(low, high, higher, expected):
    assert report.verdict(low, high, higher) == expected


def test_overview_tables_give_each_model_its_verdict():
    main, verdicts = report.overview_tables(summary.comparison_table(metrics_table()))
    assert list(main.columns) == [*report.OVERVIEW_COLUMNS, *summary.ORACLE_COMPARISON_COLUMNS]
    models = zip(main["augset"], main["stage"], strict=True)
    assert dict(zip(models, main["verdict"], strict=True)) == {
        ("baseline", "stage1"): "reference",
        ("evoaug", "stage1"): "no clear difference",
        ("evoaug", "finetune"): "better",
    }
    assert verdicts.empty


def test_the_page_shows_each_data_set_s_main_metric_only():
    """The landing page's table is headed by one metric: the other metrics' rows (AUPR,
    Spearman, MSE) stay in comparison.tsv and off the page, whatever their order."""
    aupr = metrics_table(metric="aupr")
    aupr["value"] -= 0.2
    deepstarr = pd.concat(
        [metrics_table(dataset="ds", metric=name) for name in ("mse", "spearman", "pearson")]
    )
    comparison = summary.comparison_table(pd.concat([aupr, metrics_table(), deepstarr]))
    main, _ = report.overview_tables(comparison)
    assert main.groupby("dataset")["metric"].unique().map(list).to_dict() == {
        "chip": ["auroc"],
        "ds": ["pearson"],
    }
    assert len(main) == 6
    page = report.overview_html(main, pd.DataFrame(columns=["dataset", "verdict"]))
    means = comparison.set_index(["dataset", "metric", "augset", "stage"])["mean"]
    for metric, shown in (("auroc", True), ("aupr", False)):
        assert (f"{means['chip', metric, 'baseline', 'stage1']:.3f}" in page) is shown


def test_the_page_names_the_ceiling_and_the_gap_each_model_closes():
    """Synthetic data: the truth function's score and each model's share of the baseline's
    gap to it; real data (no oracle): no sentence."""
    comparison = summary.comparison_table(metrics_table())
    oracle = pd.DataFrame(
        {
            "dataset": ["chip"],
            "split": ["test"],
            "metric": ["auroc"],
            "task": ["mean"],
            "value": [0.95],
            "score": ["probability"],
        }
    )
    main, _ = report.overview_tables(summary.add_oracle_columns(comparison, oracle))
    page = report.overview_html(main, pd.DataFrame(columns=["dataset", "verdict"]))
    finetune = row(main, "evoaug", "finetune")
    expected = (finetune["mean"] - 0.8175) / (0.95 - 0.8175)
    assert finetune["gap_closed"] == pytest.approx(expected)
    assert "Ceiling (the generator's truth function on the same split): 0.950" in page
    assert f"evoaug + finetune {expected:.2f}" in page
    real, _ = report.overview_tables(comparison)
    assert real["oracle"].isna().all()
    assert "Ceiling" not in report.overview_html(real, pd.DataFrame(columns=["dataset", "verdict"]))


def test_analysis_verdicts_compare_each_measure_with_the_baseline():
    hit_rate = {
        ("baseline", "stage1"): [0.20, 0.25, 0.22],
        ("evoaug", "finetune"): [0.40, 0.46, 0.41],
    }
    # A real data set: no planted motifs to recover (NaN), so no "planted" row.
    filters = metrics_table(hit_rate).rename(columns={"value": "hit_rate"})
    filters["planted_recovery"] = np.nan
    cagi = pd.concat(
        [
            metrics_table({k: [0.5, 0.6, 0.55] for k in hit_rate}).assign(element="mean"),
            # Per-element rows must not enter the comparison.
            metrics_table({k: [0.9, 0.9, 0.9] for k in hit_rate}).assign(element="E1"),
        ]
    ).rename(columns={"value": "pearson"})
    verdicts = report.analysis_verdicts({"filters": filters, "cagi5": cagi})
    assert set(verdicts["analysis"]) == {"filters", "cagi5"}
    gained = verdicts[(verdicts["analysis"] == "filters") & (verdicts["stage"] == "finetune")]
    assert gained["verdict"].item() == "better"
    assert gained["diff_mean"].item() == pytest.approx(np.mean([0.20, 0.21, 0.19]))
    same = verdicts[(verdicts["analysis"] == "cagi5") & (verdicts["stage"] == "finetune")]
    assert same["mean"].item() == pytest.approx(0.55) and same["diff_mean"].item() == 0


def test_a_measure_that_cannot_move_is_called_flat_on_the_page():
    """Planted-motif recovery of 0.1 for every model and seed (one motif of ten, the
    quick default's result) is no evidence: the verdict and the page say so."""
    models = {("baseline", "stage1"): [0.1] * 3, ("evoaug", "finetune"): [0.1] * 3}
    hit_rate = {("baseline", "stage1"): [0.20, 0.25, 0.22], ("evoaug", "finetune"): [0.4] * 3}
    filters = metrics_table(hit_rate).rename(columns={"value": "hit_rate"})
    filters["planted_recovery"] = metrics_table(models)["value"].to_numpy()
    verdicts = report.analysis_verdicts({"filters": filters})
    planted = verdicts[verdicts["analysis"] == "planted"]
    assert len(planted) == 2 and (planted["verdict"] == report.FLAT).all()
    assert (verdicts[verdicts["analysis"] == "filters"]["verdict"] != report.FLAT).all()
    main, _ = report.overview_tables(summary.comparison_table(metrics_table()))
    text = "".join(parse(report.overview_html(main, verdicts)).text)
    assert "planted motifs recovered (fraction): 0.100 for every model and seed" in text
    assert text.count("cannot move") == 1 and "docs/benchmark.md says which measures" in text
    # The filter-specific reason is given for a filter measure only.
    assert "first-layer filters much shorter than the motifs" in text
    attribution = filters.rename(columns={"planted_recovery": "attribution_auroc"})
    flat_attribution = report.analysis_verdicts({"attribution": attribution})
    other = "".join(parse(report.overview_html(main, flat_attribution)).text)
    assert "cannot move" in other and "first-layer filters" not in other
    page = report.overview_html(main, verdicts)
    assert page.count('<tr class="evo-flat-same-value-everywhere">') == 2
    assert '<tr class="evo-no-clear-difference">' in page or '<tr class="evo-better">' in page
    # Real data: no planted motifs, no row.
    real = report.analysis_verdicts({"filters": filters.assign(planted_recovery=np.nan)})
    assert set(real["analysis"]) == {"filters"}


def test_causal_recovery_is_compared_and_older_tables_without_it_are_read():
    hit_rate = {("baseline", "stage1"): [0.20, 0.25, 0.22], ("evoaug", "finetune"): [0.4] * 3}
    causal = {("baseline", "stage1"): [3 / 6, 4 / 6, 3 / 6], ("evoaug", "finetune"): [1.0] * 3}
    filters = metrics_table(hit_rate).rename(columns={"value": "hit_rate"})
    filters["causal_recovery"] = metrics_table(causal)["value"].to_numpy()
    verdicts = report.analysis_verdicts({"filters": filters})
    row = verdicts[(verdicts["analysis"] == "causal") & (verdicts["augset"] == "evoaug")]
    assert row["diff_mean"].item() == pytest.approx(1 - 10 / 18)
    assert row["label"].item().startswith("Filters: motifs the labels depend on")
    # Per-run tables written before the column existed: the other measures still come.
    older = report.analysis_verdicts({"filters": filters.drop(columns="causal_recovery")})
    assert set(older["analysis"]) == {"filters"}


def test_overview_requires_the_interval_columns():
    old = summary.comparison_table(metrics_table()).drop(columns=["diff_ci_low"])
    with pytest.raises(ValueError, match="diff_ci_low"):
        report.overview_tables(old)
    with pytest.raises(ValueError, match=r"^old\.tsv \(rerun rule summarize.*diff_ci_low"):
        report.overview_tables(old, source="old.tsv")


class _Page(HTMLParser):
    """Text outside <script> and <style>, the tables' cells, links and images of a page."""

    def __init__(self):
        super().__init__()
        self.skip = 0
        self.text, self.cells, self.links, self.images = [], [], [], []
        self.in_cell = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "style"):
            self.skip += 1
        elif tag in ("td", "th"):
            self.in_cell = True
            self.cells.append("")
        elif tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        elif tag == "img":
            self.images.append(attrs.get("src", ""))

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.skip -= 1
        elif tag in ("td", "th"):
            self.in_cell = False

    def handle_data(self, data):
        if self.skip:
            return
        self.text.append(data)
        if self.in_cell:
            self.cells[-1] += data


def parse(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    return parser


def test_overview_html_shows_tables_thumbnails_and_links(tmp_path):
    figure = tmp_path / "results" / "summary" / "chip" / "metric_by_augset.png"
    figure.parent.mkdir(parents=True)
    Image.new("RGB", (800, 450), (200, 30, 30)).save(figure)
    main, verdicts = report.overview_tables(summary.comparison_table(metrics_table()))
    page = report.overview_html(
        main, verdicts, {"chip": [str(figure), str(tmp_path / "missing.png")]}
    )
    parsed = parse(page)
    assert "chip" in "".join(parsed.text) and "95% CI of Δ" in parsed.cells
    assert "evoaug + finetune" in parsed.cells and "better" in parsed.cells
    finetune = row(main, "evoaug", "finetune")
    interval = f"[{finetune['diff_ci_low']:+.3f}, {finetune['diff_ci_high']:+.3f}]"
    assert interval in parsed.cells
    # One thumbnail (the missing figure is left out), 240 px wide, opening the figure.
    assert len(parsed.images) == 1 and parsed.images[0].startswith("data:image/png;base64,")
    assert parsed.links == [f"javascript:app.showResultInfo('{figure}')"]
    thumb = tmp_path / "thumb.png"
    import base64

    thumb.write_bytes(base64.b64decode(parsed.images[0].split(",", 1)[1]))
    assert png_size(thumb) == (report.THUMBNAIL_WIDTH, 135)


@pytest.mark.parametrize("config", ["config/config.yaml", ".test/config/config.yaml"])
def test_snakemake_lint_is_clean(tmp_path, config):
    result = snakemake(tmp_path, "--lint", "--configfile", str(REPO / config))
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]


# --- the .test run ---------------------------------------------------------------------


@pytest.mark.slow
def test_dot_test_overview_matches_the_comparison(dot_test_run):
    comparison = pd.read_csv(dot_test_run / "results/summary/comparison.tsv", sep="\t")
    assert {"diff_ci_low", "diff_ci_high", "p_value"} <= set(comparison)
    tested = comparison[comparison["n_paired"] >= 2]
    tested = tested[~((tested["augset"] == "baseline") & (tested["stage"] == "stage1"))]
    # Two models (EvoAug, EvoAug + finetune) per data set and metric of its task.
    assert len(tested) == 2 * len(comparison.groupby(["dataset", "metric"]))
    # The page shows each data set's main metric (AUROC, Pearson) only.
    tested = tested[tested["metric"].isin(["auroc", "pearson"])]
    assert set(tested["dataset"]) == {"chip_synth", "deepstarr_synth", "basset_synth"}
    assert (tested["diff_ci_low"] <= tested["diff_mean"]).all()
    assert (tested["diff_mean"] <= tested["diff_ci_high"]).all()
    parsed = parse((dot_test_run / "results/summary/overview.html").read_text())
    for dataset in ("chip_synth", "deepstarr_synth", "basset_synth"):
        assert dataset in "".join(parsed.text)
    for item in tested.itertuples():
        assert f"[{item.diff_ci_low:+.3f}, {item.diff_ci_high:+.3f}]" in parsed.cells
    # Figures per data set, the filters and CAGI5 figures, the first seed's logos.
    assert len(parsed.images) == 3 * 2 + 2 + 1
    text = "".join(parsed.text)
    for label in ("Filters:", "Attribution:", "Variants:"):
        assert label in text


@pytest.mark.slow
def test_report_zip_holds_the_landing_page(dot_test_run):
    result = snakemake(dot_test_run, "--cores", "1", "--report", "report.zip")
    assert result.returncode == 0, result.stderr[-3000:]
    with zipfile.ZipFile(dot_test_run / "report.zip") as archive:
        names = archive.namelist()
        index = next(name for name in names if name.endswith("/report.html"))
        page = archive.read(index).decode()
    assert "evoaugflow-results" in page
    assert any(name.endswith("overview.html") for name in names)
    assert any(name.endswith("metric_by_augset.png") for name in names)


@pytest.mark.slow
@pytest.mark.browser
def test_report_opens_on_the_results_in_chromium(dot_test_run, chromium, tmp_path):
    """Rendered by real headless Chromium: the results table is in the live page (not only
    in the report's scripts), every category is listed, and the screenshot is not blank."""
    page = dot_test_run / "report.html"
    result = snakemake(dot_test_run, "--cores", "1", "--report", str(page))
    assert result.returncode == 0, result.stderr[-3000:]
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--virtual-time-budget=15000",
    ]
    dom = subprocess.run(
        [chromium, *flags, "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert dom.returncode == 0, dom.stderr[-2000:]
    parsed = parse(dom.stdout)
    text = "".join(parsed.text)
    assert "Results: did EvoAug help?" in text
    for expected in ("chip_synth", "deepstarr_synth", "basset_synth", "95% CI of Δ"):
        assert expected in text, f"the rendered landing page lacks {expected!r}"
    assert "evoaug + finetune" in parsed.cells
    assert sum(src.startswith("data:image/png") for src in parsed.images) >= 8
    for category in ("Results", "Training", "Filters", "Variants", "Attribution"):
        assert category in text, f"the rendered report lacks the category {category}"
    shot = tmp_path / "report.png"
    result = subprocess.run(
        [chromium, *flags, f"--screenshot={shot}", "--window-size=1400,1000", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert png_size(shot) == (1400, 1000)
    low, high = Image.open(shot).convert("L").getextrema()
    assert high - low > 100, "the screenshot is blank"


def test_write_overview_reads_the_tables_and_files_figures_by_data_set(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    figure = Path("results", "summary", "chip", "metric_by_augset.png")
    figure.parent.mkdir(parents=True)
    Image.new("RGB", (800, 450), (200, 30, 30)).save(figure)
    write_tsv(summary.comparison_table(metrics_table()), "comparison.tsv")
    page = report.write_overview(
        "comparison.tsv", {"figures": [str(figure)]}, [str(figure)], ["chip"], "test", "o.html"
    )
    assert Path("o.html").read_text() == page
    main, verdicts = report.overview_tables(summary.comparison_table(metrics_table()))
    assert page == report.overview_html(main, verdicts, {"chip": [str(figure)]}, split="test")
