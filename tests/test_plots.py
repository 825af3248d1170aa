"""Tests of evoaugflow.plots: every figure is a valid PNG of the stated size."""

import math
import struct

import numpy as np
import pandas as pd
import pytest
from matplotlib import image as mpimg
from matplotlib.colors import to_rgb

from evoaugflow import cost, plots, sweep

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ELEMENTS = ("F9", "HBB", "LDLR", "TERT-GBM")


def png_size(path):
    """(width, height) from the IHDR chunk, after checking the PNG signature."""
    head = path.read_bytes()[:24]
    assert head[:8] == PNG_SIGNATURE, f"{path} is not a PNG"
    assert head[12:16] == b"IHDR"
    return struct.unpack(">II", head[16:24])


def _models(augsets, stages=("stage1", "finetune")):
    """(augset, stage) pairs: the baseline has stage 1 only."""
    return [("baseline", "stage1")] + [(a, s) for a in augsets for s in stages]


def _frame(models, seeds, make_rows, dataset="chip"):
    """Tidy table from ``make_rows(augset, stage, seed, rng) -> list of dicts``."""
    rng = np.random.default_rng(0)
    rows = []
    for augset, stage in models:
        for seed in seeds:
            for row in make_rows(augset, stage, seed, rng):
                rows.append(
                    {"dataset": dataset, "augset": augset, "stage": stage, "seed": seed} | row
                )
    return pd.DataFrame(rows)


def _metric_rows(augset, stage, seed, rng, sizes=(None,)):
    gain = 0.0 if augset == "baseline" else 0.04
    return [
        {
            "split": "test",
            "metric": metric,
            "task": "mean",
            "value": 0.8
            + gain
            + 0.01 * rng.standard_normal()
            + (0 if size is None else np.log10(size) / 50),
            "train_size": np.nan if size is None else size,
        }
        for size in sizes
        for metric in ("auroc", "aupr")
    ]


def _filter_rows(augset, stage, seed, rng):
    return [
        {
            "n_filters": 64,
            "n_with_sites": 60,
            "hit_rate": rng.uniform(0.2, 0.6),
            "mean_best_q": rng.uniform(0.05, 0.4),
            "n_matched_motifs": 10,
            "planted_recovery": np.nan,
            "matched_motifs": "CTCF,REST",
        }
    ]


def _cagi_rows(augset, stage, seed, rng):
    return [
        {
            "element": element,
            "n_variants": 300,
            "n_ref_mismatch": 0,
            "pearson": rng.uniform(0, 0.6),
            "spearman": 0.3,
        }
        for element in ELEMENTS
    ]


def _history_rows(augset, stage, seed, rng):
    epochs = 5 if stage == "finetune" else 8 + seed
    return [
        {
            "epoch": epoch,
            "lr": 1e-3,
            "train_loss": 0.5,
            "valid_loss": 0.7 / epoch + 0.01 * rng.random(),
            "seconds": 1.0,
        }
        for epoch in range(1, epochs + 1)
    ]


def _contains_color(path, color, tolerance=0.02):
    """Whether any pixel of the PNG is within ``tolerance`` of ``color``."""
    pixels = mpimg.imread(path)[..., :3]
    return bool((np.abs(pixels - np.array(to_rgb(color))).max(axis=-1) < tolerance).any())


# Grids: the full design, a single seed, many augsets (more than the palette) with
# stage 1 only, and a grid without a baseline.
GRIDS = {
    "full": (_models(["all", "rc"]), (0, 1, 2)),
    "one_seed": (_models(["all"]), (0,)),
    "many_augsets": (_models([f"aug{i:02d}" for i in range(12)], stages=("stage1",)), (0, 1)),
    "no_baseline": (_models(["all"])[1:], (0, 1)),
}


@pytest.mark.parametrize("grid", sorted(GRIDS))
def test_every_figure_on_every_grid(grid, tmp_path):
    models, seeds = GRIDS[grid]
    metrics = pd.concat(
        [
            _frame(models, seeds, _metric_rows),
            _frame(models, seeds, lambda *a: _metric_rows(*a, sizes=(100, 1000, 10000))),
        ],
        ignore_index=True,
    )
    written = [
        plots.plot_metric_by_augset(metrics, "chip", None, tmp_path / "metric.png"),
        plots.plot_metric_by_augset(metrics, "chip", "aupr", tmp_path / "aupr.png"),
        plots.plot_filter_summary(_frame(models, seeds, _filter_rows), tmp_path / "filters.png"),
        plots.plot_cagi(_frame(models, seeds, _cagi_rows), tmp_path / "cagi.png"),
        plots.plot_datasize(metrics, "chip", None, tmp_path / "datasize.png"),
        plots.plot_training_curves(
            _frame(models, seeds, _history_rows), "chip", tmp_path / "curves.png"
        ),
    ]
    for path in written:
        assert path.exists()
        assert png_size(path) == plots.FIGURE_PIXELS == (800, 450)
    # Only the six figures: no temporary file left behind.
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in written)
    # Colour encodes the augset: the first augset after the baseline is tab10 blue.
    for name in ("metric.png", "cagi.png", "datasize.png", "curves.png"):
        assert _contains_color(tmp_path / name, "#1f77b4"), name


def test_figures_are_reproducible_and_cover_several_datasets(tmp_path):
    models = _models(["all"])
    cagi = pd.concat(
        [_frame(models, (0, 1), _cagi_rows, dataset=name) for name in ("basset", "basset_small")]
    )
    first = plots.plot_cagi(cagi, tmp_path / "a.png").read_bytes()
    second = plots.plot_cagi(cagi, tmp_path / "b.png").read_bytes()
    assert first == second
    assert png_size(tmp_path / "a.png") == plots.FIGURE_PIXELS
    # the second data set is drawn: the figure of the first alone differs
    alone = plots.plot_cagi(cagi[cagi["dataset"] == "basset"], tmp_path / "c.png")
    assert alone.read_bytes() != first


def test_history_with_one_dataset_among_many(tmp_path):
    models = _models(["all"])
    history = pd.concat(
        [_frame(models, (0,), _history_rows, dataset=name) for name in ("chip", "starr")]
    )
    path = plots.plot_training_curves(history, "starr", tmp_path / "curves.png")
    assert png_size(path) == plots.FIGURE_PIXELS


def test_bad_inputs_raise_and_write_nothing(tmp_path):
    models, seeds = GRIDS["one_seed"]
    metrics = _frame(models, seeds, _metric_rows)
    target = tmp_path / "figure.png"
    with pytest.raises(ValueError, match="metrics: the table is empty"):
        plots.plot_metric_by_augset(metrics.iloc[:0], "chip", None, target)
    with pytest.raises(ValueError, match=r"metrics: missing column\(s\) value"):
        plots.plot_metric_by_augset(metrics.drop(columns="value"), "chip", None, target)
    with pytest.raises(ValueError, match="dataset='basset' has no rows in metrics; found chip"):
        plots.plot_metric_by_augset(metrics, "basset", None, target)
    with pytest.raises(ValueError, match="metric='r2' is unknown"):
        plots.plot_metric_by_augset(metrics, "chip", "r2", target)
    with pytest.raises(ValueError, match="train_size"):
        plots.plot_datasize(metrics.drop(columns="train_size"), "chip", None, target)
    with pytest.raises(ValueError, match="dataset='chip' has no test rows with a train_size"):
        plots.plot_datasize(metrics, "chip", None, target)
    with pytest.raises(ValueError, match=r"filters: missing column\(s\) hit_rate"):
        plots.plot_filter_summary(
            _frame(models, seeds, _filter_rows).drop(columns="hit_rate"), target
        )
    with pytest.raises(ValueError, match="cagi5: the table is empty"):
        plots.plot_cagi(_frame(models, seeds, _cagi_rows).iloc[:0], target)
    with pytest.raises(ValueError, match=r"history: missing column\(s\) valid_loss"):
        plots.plot_training_curves(
            _frame(models, seeds, _history_rows).drop(columns="valid_loss"), "chip", target
        )
    with pytest.raises(ValueError, match="expected a pandas DataFrame"):
        plots.plot_filter_summary([{"hit_rate": 0.5}], target)
    assert list(tmp_path.iterdir()) == []


def test_default_metric_figures_draw_every_metric(tmp_path):
    """metric None: one panel per metric of the task (AUROC and AUPR here), not one."""
    models, seeds = GRIDS["full"]
    metrics = pd.concat(
        [
            _frame(models, seeds, _metric_rows),
            _frame(models, seeds, lambda *a: _metric_rows(*a, sizes=(100, 1000))),
        ],
        ignore_index=True,
    )
    for draw in (plots.plot_metric_by_augset, plots.plot_datasize):
        both = draw(metrics, "chip", None, tmp_path / "both.png").read_bytes()
        listed = draw(metrics, "chip", ["auroc", "aupr"], tmp_path / "listed.png").read_bytes()
        alone = draw(metrics, "chip", "auroc", tmp_path / "auroc.png").read_bytes()
        assert both == listed != alone


# --------------------------------------------------------------------------- grid cost


def _write(path, frame):
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, sep="\t", index=False)
    return path


def _benchmark(path, seconds, rss_values):
    rows = [
        {
            "s": seconds,
            "h:m:s": "0:00:10",
            "max_rss": rss,
            "max_vms": 900.0,
            "max_uss": "-",
            "max_pss": "-",
            "io_in": 1.0,
            "io_out": 2.0,
            "mean_load": 95.0,
            "cpu_time": seconds,
        }
        for rss in rss_values
    ]
    return _write(path, pd.DataFrame(rows))


def _history(path, seconds):
    n = len(seconds)
    return _write(
        path,
        pd.DataFrame(
            {
                "epoch": range(1, n + 1),
                "lr": 1e-3,
                "train_loss": 0.5,
                "valid_loss": 0.6,
                "seconds": seconds,
            }
        ),
    )


def test_cost_table_known_numbers(tmp_path):
    plan = [
        # (augset, stage, seed, epoch seconds, benchmark seconds, max_rss per repeat)
        ("baseline", "stage1", 0, [1, 1, 1], 10, [100]),
        ("baseline", "stage1", 1, [2, 2, 2], 14, [120]),
        ("evoaug", "stage1", 0, [3, 3], 20, [150, 140]),
        ("evoaug", "stage1", 1, [3, 5], 30, [180]),
        ("evoaug", "finetune", 0, [0.75, 0.75], 6, [90]),
    ]
    runs, benchmarks, histories = [], [], []
    for augset, stage, seed, seconds, wall, rss in plan:
        runs.append({"dataset": "chip", "augset": augset, "stage": stage, "seed": seed})
        folder = tmp_path / augset / stage / str(seed)
        benchmarks.append(_benchmark(folder / "bench.tsv", wall, rss))
        histories.append(_history(folder / "history.tsv", seconds))
    table = cost.cost_table(runs, benchmarks, histories).set_index(["augset", "stage"])
    base = table.loc[("baseline", "stage1")]
    assert base["seconds_per_epoch"] == pytest.approx(1.5)
    assert base["peak_rss_mb"] == 120
    assert base["wall_seconds"] == pytest.approx(12)
    assert base["seconds_per_epoch_ratio"] == pytest.approx(1.0)
    aug = table.loc[("evoaug", "stage1")]
    assert (aug["n_runs"], aug["epochs"]) == (2, 2)
    assert aug["seconds_per_epoch"] == pytest.approx(3.5)
    assert aug["seconds_per_epoch_sd"] == pytest.approx(math.sqrt(0.5))
    assert aug["seconds_per_epoch_ratio"] == pytest.approx(3.5 / 1.5)
    assert aug["peak_rss_ratio"] == pytest.approx(1.5)
    fine = table.loc[("evoaug", "finetune")]
    assert fine["seconds_per_epoch_ratio"] == pytest.approx(0.5)
    assert fine["peak_rss_ratio"] == pytest.approx(0.75)
    assert list(table.index.get_level_values("augset")) == ["baseline", "evoaug", "evoaug"]

    with pytest.raises(ValueError, match="differ in length"):
        cost.cost_table(runs, benchmarks[:-1], histories)
    broken = _write(tmp_path / "broken.tsv", pd.DataFrame({"s": [1.0]}))
    with pytest.raises(ValueError, match="broken.tsv: missing column\\(s\\) max_rss"):
        cost.cost_table(runs[:1], [broken], histories[:1])


# --------------------------------------------------------------------------- stability, sweep


def test_stability_figure_is_png_of_fixed_size(tmp_path):
    rng = np.random.default_rng(0)
    rows = [
        {
            "dataset": "chip",
            "augset": augset,
            "stage": "stage1",
            "seed": seed,
            "epoch": epoch,
            "lr": 1e-3,
            "train_loss": 0.6,
            "valid_loss": 0.7 / epoch + 0.02 * rng.standard_normal(),
            "seconds": 1.0,
        }
        for augset in ("baseline", "evoaug", "deletion-30")
        for seed in (0, 1)
        for epoch in range(1, 7 - seed)
    ]
    path = plots.plot_stability(pd.DataFrame(rows), tmp_path / "stability.png")
    assert png_size(path) == (800, 450)
    with pytest.raises(ValueError, match="stage='finetune' has no rows"):
        plots.plot_stability(pd.DataFrame(rows), tmp_path / "x.png", stage="finetune")
    assert not (tmp_path / "x.png").exists()


def test_sweep_figure_marks_the_picks(tmp_path):
    rows = [
        {
            "dataset": "chip",
            "augset": augset,
            "stage": stage,
            "seed": seed,
            "split": "valid",
            "metric": "auroc",
            "task": "mean",
            "value": mean + 0.01 * seed,
        }
        for augset, mean in (
            ("baseline", 0.7),
            ("deletion-10", 0.72),
            ("deletion-20", 0.75),
            ("combo-1-soft", 0.74),
            ("combo-1-hard", 0.71),
        )
        for stage in ("stage1", "finetune")
        for seed in (0, 1)
        if not (augset == "baseline" and stage == "finetune")
    ]
    scores, picks = sweep.grid_picks(
        pd.DataFrame(rows), {"augmentations": {"deletion": [10, 20]}, "max_augs_per_seq": [1]}
    )
    assert list(picks["candidate"]) == ["deletion-20", "combo-1-soft"]
    path = plots.plot_sweep(scores, tmp_path / "sweep.png", picks=picks)
    assert png_size(path) == plots.FIGURE_PIXELS
    assert mpimg.imread(path)[..., :3].std() > 0.05


def test_optuna_figures_are_pngs_of_fixed_size(tmp_path):
    optuna = pytest.importorskip("optuna")
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(0))
    study.optimize(
        lambda t: -((t.suggest_float("x", 0, 1) - 0.3) ** 2) + 0.1 * t.suggest_int("n", 1, 3), 8
    )
    history, importance = plots.plot_optuna(study, tmp_path / "h.png", tmp_path / "i.png")
    for path in (history, importance):
        assert png_size(path) == plots.FIGURE_PIXELS
        assert mpimg.imread(path)[..., :3].std() > 0.05
    # One completed trial: the importance panel says why it is empty.
    single = optuna.create_study()
    single.optimize(lambda t: t.suggest_float("x", 0, 1), 1)
    _, text = plots.plot_optuna(single, tmp_path / "h1.png", tmp_path / "i1.png")
    assert png_size(text) == plots.FIGURE_PIXELS


# --- logos: evoaugflow.plots.logo places glyphs exactly as logomaker.Logo does ---


def _logomaker_outlines(values):
    """Per letter, Logomaker's glyph outlines ordered (upright first, then by position)."""
    import logomaker
    from matplotlib.figure import Figure

    figure = Figure()
    ax = figure.subplots()
    logo = logomaker.Logo(pd.DataFrame(values, columns=list("ACGT")), ax=ax, color_scheme="classic")
    outlines = {}
    for letter in "ACGT":
        glyphs = [logo.glyph_df.loc[p, letter] for p in range(len(values))]
        glyphs = sorted((g for g in glyphs if g.patch is not None), key=lambda g: (g.flip, g.p))
        if glyphs:
            outlines[letter] = np.concatenate([g.patch.get_path().vertices for g in glyphs])
    return outlines, ax.get_xlim(), ax.get_ylim(), logo.rgb_dict


@pytest.mark.parametrize(
    "kind", ["signed attribution", "information with zero heights", "one letter per position"]
)
def test_logo_glyphs_are_logomakers(kind):
    from matplotlib.figure import Figure

    from evoaugflow.plots.logo import LETTER_COLORS, draw_logo, letter_paths

    rng = np.random.default_rng(3)
    if kind == "signed attribution":
        values = rng.normal(size=(25, 4))
    elif kind == "information with zero heights":
        values = rng.dirichlet(np.full(4, 0.4), size=19) * rng.uniform(0, 2, size=(19, 1))
        values[[2, 7], :] = 0.0
        values[5, 1] = 0.0
    else:
        values = np.zeros((12, 4))
        values[np.arange(12), rng.integers(0, 4, size=12)] = rng.uniform(-1, 1, size=12)

    expected, xlim, ylim, colors = _logomaker_outlines(values)
    paths = letter_paths(values)
    assert sorted(paths) == sorted(expected)
    for letter, outline in expected.items():
        np.testing.assert_allclose(paths[letter].vertices, outline, atol=1e-12)
        assert to_rgb(LETTER_COLORS[letter]) == pytest.approx(to_rgb(colors[letter]))

    figure = Figure()
    ax = figure.subplots()
    draw_logo(ax, values)
    assert ax.get_xlim() == pytest.approx(xlim)
    assert ax.get_ylim() == pytest.approx(ylim)
    assert len(ax.patches) == len(expected)  # one patch per letter, not per glyph


def test_logo_rejects_a_matrix_that_is_not_acgt_by_position():
    from evoaugflow.plots.logo import stack

    with pytest.raises(ValueError, match=r"expected \(L, 4\)"):
        stack(np.zeros((4, 10, 1)))
    with pytest.raises(ValueError, match=r"L >= 1"):
        stack(np.zeros((0, 4)))
    with pytest.raises(ValueError, match="finite"):
        stack(np.full((3, 4), np.nan))


def test_filter_figure_adds_the_causal_recovery_panel_for_synthetic_data(tmp_path):
    models, seeds = GRIDS["full"]
    real = _frame(models, seeds, _filter_rows)
    two = plots.plot_filter_summary(real, tmp_path / "two.png").read_bytes()
    # Real data (NaN) draws the same two panels as a table without the column.
    nan = plots.plot_filter_summary(real.assign(causal_recovery=np.nan), tmp_path / "nan.png")
    assert nan.read_bytes() == two
    rng = np.random.default_rng(0)
    synthetic = real.assign(causal_recovery=rng.integers(0, 7, len(real)) / 6)
    three = plots.plot_filter_summary(synthetic, tmp_path / "three.png")
    assert png_size(three) == plots.FIGURE_PIXELS and three.read_bytes() != two
