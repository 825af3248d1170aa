"""Zero-shot variant-effect scoring: CAGI5-style tables, VCF files and published one-hot sets.

The flow is table -> windows -> predictions -> effects -> correlations, one module each:

- :mod:`~evoaugflow.variants.tables`: :func:`read_cagi_tsv`, :func:`read_cagi_elements`
  and :func:`read_vcf` read variant tables (1-based positions);
- :mod:`~evoaugflow.variants.windows`: :func:`variant_windows` cuts one window per variant
  out of a genome FASTA, checks the reference allele and substitutes the alternative one;
  :func:`load_cagi_onehot` reads the published ``CAGI_onehot.h5`` windows instead; the
  variant sits at :func:`variant_index` ``(length - 1) // 2``;
- :mod:`~evoaugflow.variants.scoring`: :func:`score_variant_effects` runs a model on both
  alleles (with the deterministic insertion padding of insertion-trained models) and
  returns the effects; :func:`score_vcf` chains the steps for a VCF;
- :mod:`~evoaugflow.variants.cagi5`: :func:`cagi_correlations` correlates predicted with
  measured effects per element; :func:`score_cagi` chains the steps for CAGI5 elements.
"""

from evoaugflow.variants.cagi5 import (
    cagi_correlations,
    missing_table_message,
    score_cagi,
    score_cagi5_file,
)
from evoaugflow.variants.scoring import score_variant_effects, score_vcf, score_vcf_file
from evoaugflow.variants.tables import (
    BASES,
    CAGI_COLUMNS,
    VCF_ALLELE_TYPES,
    read_cagi_elements,
    read_cagi_tsv,
    read_cagi_variants,
    read_vcf,
)
from evoaugflow.variants.windows import (
    SCORABLE_STATUS,
    WINDOW_STATUS,
    load_cagi_onehot,
    variant_index,
    variant_windows,
)

__all__ = [
    "BASES",
    "CAGI_COLUMNS",
    "SCORABLE_STATUS",
    "VCF_ALLELE_TYPES",
    "WINDOW_STATUS",
    "cagi_correlations",
    "load_cagi_onehot",
    "missing_table_message",
    "read_cagi_elements",
    "read_cagi_tsv",
    "read_cagi_variants",
    "read_vcf",
    "score_cagi",
    "score_cagi5_file",
    "score_variant_effects",
    "score_vcf",
    "score_vcf_file",
    "variant_index",
    "variant_windows",
]
