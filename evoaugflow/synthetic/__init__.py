"""Built-in synthetic benchmarks with a known answer, planted with real JASPAR motifs.

Every benchmark is generated from one ``seed`` by a single :class:`numpy.random.Generator`
and is bit-for-bit reproducible. Background DNA is i.i.d. with human base composition;
motif instances are sampled from the motif's position probability matrix (the Basset-like
and DeepSTARR-like sets sharpen it first) and put on a random strand.

The package, one job per module:

- :mod:`~evoaugflow.synthetic.motifs`: the JASPAR panel, log-odds scans, base codes.
- :mod:`~evoaugflow.synthetic.grammar`: the generator that lays out and plants motifs.
- :mod:`~evoaugflow.synthetic.files`: atomic writers (h5, TSV, FASTA + .fai).
- :mod:`~evoaugflow.synthetic.chip`: :func:`make_chip_benchmark`, a small genome with
  ChIP-seq and DNase-like peaks for :func:`evoaugflow.chip.build_chip_dataset`.
- :mod:`~evoaugflow.synthetic.deepstarr`: :func:`make_deepstarr_benchmark`, two
  regression tasks from additive motif effects and a spacing grammar.
- :mod:`~evoaugflow.synthetic.basset`: :func:`make_basset_benchmark`, binary tasks, each
  a logic of motifs (:func:`basset_truth_function` scans the sequences).
- :mod:`~evoaugflow.synthetic.cagi`: :func:`make_cagi_benchmark`, CAGI5-like saturation
  mutagenesis with the true effect of every substitution.
- :mod:`~evoaugflow.synthetic.oracle`: the truth functions' own metrics (the ceiling).
- :mod:`~evoaugflow.synthetic.sources`: the generator of each configured ``source``, and
  the planted motifs its labels depend on (:func:`causal_motifs`, and their sites'
  truth-table labels, :func:`causal_site_labels`).

Truth tables use 0-based, half-open coordinates and the motif labels of the ``panel``.
"""

from evoaugflow.synthetic.basset import (
    BASSET_PAIR,
    BASSET_TASKS,
    P_HIGH,
    P_LOW,
    basset_causal_motifs,
    basset_logic,
    basset_truth_function,
    make_basset_benchmark,
    motif_presence,
)
from evoaugflow.synthetic.cagi import make_cagi_benchmark
from evoaugflow.synthetic.chip import (
    CHIP_CENTRAL_DECOY_RATE,
    CHIP_DEFAULT_FOCAL,
    CHIP_FOCAL_RATES,
    CHIP_GC,
    CHIP_GC_RANGE,
    CHIP_SIDE_DECOY_RATE,
    CHIP_SIDE_DISTANCE,
    CHIP_SITE_REACH,
    CHIP_SITE_SPREAD,
    CHIP_WEAK_MIX,
    chip_truth_score,
    make_chip_benchmark,
    site_statistics,
)
from evoaugflow.synthetic.deepstarr import (
    DEEPSTARR_EFFECTS,
    DEEPSTARR_GRAMMAR,
    DEEPSTARR_NOISE_SD,
    deepstarr_causal_motifs,
    deepstarr_truth_function,
    make_deepstarr_benchmark,
)
from evoaugflow.synthetic.motifs import (
    BACKGROUND,
    DEFAULT_PANEL,
    DNA,
    LOG_ODDS_PSEUDOCOUNT,
    MIN_PANEL,
    codes_from_one_hot,
    load_panel,
    log_odds,
    motif_threshold,
    one_hot,
    scan,
)
from evoaugflow.synthetic.oracle import (
    ORACLE_COLUMNS,
    ORACLE_SOURCES,
    oracle_metrics,
    oracle_scores,
    write_oracle_metrics,
)
from evoaugflow.synthetic.sources import (
    DATASET_MAKERS,
    causal_motifs,
    causal_site_labels,
    generator_setting,
    make_dataset,
)

__all__ = [
    "BACKGROUND",
    "BASSET_PAIR",
    "BASSET_TASKS",
    "CHIP_CENTRAL_DECOY_RATE",
    "CHIP_DEFAULT_FOCAL",
    "CHIP_FOCAL_RATES",
    "CHIP_GC",
    "CHIP_GC_RANGE",
    "CHIP_SIDE_DECOY_RATE",
    "CHIP_SIDE_DISTANCE",
    "CHIP_SITE_REACH",
    "CHIP_SITE_SPREAD",
    "CHIP_WEAK_MIX",
    "DATASET_MAKERS",
    "DEEPSTARR_EFFECTS",
    "DEEPSTARR_GRAMMAR",
    "DEEPSTARR_NOISE_SD",
    "DEFAULT_PANEL",
    "DNA",
    "LOG_ODDS_PSEUDOCOUNT",
    "MIN_PANEL",
    "ORACLE_COLUMNS",
    "ORACLE_SOURCES",
    "P_HIGH",
    "P_LOW",
    "basset_causal_motifs",
    "basset_logic",
    "basset_truth_function",
    "causal_motifs",
    "causal_site_labels",
    "chip_truth_score",
    "codes_from_one_hot",
    "deepstarr_causal_motifs",
    "deepstarr_truth_function",
    "generator_setting",
    "load_panel",
    "log_odds",
    "make_basset_benchmark",
    "make_cagi_benchmark",
    "make_chip_benchmark",
    "make_dataset",
    "make_deepstarr_benchmark",
    "motif_presence",
    "motif_threshold",
    "one_hot",
    "oracle_metrics",
    "oracle_scores",
    "scan",
    "site_statistics",
    "write_oracle_metrics",
]
