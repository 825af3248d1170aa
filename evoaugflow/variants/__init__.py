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

import importlib

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

# The scoring modules need torch (3-5 s to import); the tables and windows do not. They
# load on first use, so that a job that only reads tables or places a variant (the
# synthetic CAGI set's generator) starts without torch.
_LAZY = {
    "cagi_correlations": "cagi5",
    "missing_table_message": "cagi5",
    "score_cagi": "cagi5",
    "score_cagi5_file": "cagi5",
    "score_variant_effects": "scoring",
    "score_vcf": "scoring",
    "score_vcf_file": "scoring",
}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
