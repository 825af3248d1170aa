"""CAGI5 saturation-mutagenesis elements from MaveDB: URLs, parsing, mapping to a genome.

Kircher et al. (2019) deposited one MaveDB score set per regulatory element. The flow is
manifest -> download (``evoaugflow.download.fetch``) -> :func:`map_element`:
:mod:`~evoaugflow.mavedb.records` reads the manifest (``resources/mavedb_cagi5.tsv``) and
the downloads (:func:`read_target`, and :func:`read_scores` with ``mavehgvs``, MaveDB's
MAVE-HGVS package); :mod:`~evoaugflow.mavedb.mapping` locates each target on the genome
and maps its SNVs (:func:`locate_target`, :func:`map_element`, :func:`element_index`).
"""

from evoaugflow.mavedb.mapping import (
    element_index,
    locate_target,
    map_element,
    map_element_files,
    write_element_index,
)
from evoaugflow.mavedb.records import (
    API_URL,
    MANIFEST_COLUMNS,
    ROW_KINDS,
    URN_PATTERN,
    read_manifest,
    read_scores,
    read_target,
    revcomp,
    score_set_url,
    scores_url,
    select_elements,
    urn_key,
)

__all__ = [
    "API_URL",
    "MANIFEST_COLUMNS",
    "ROW_KINDS",
    "URN_PATTERN",
    "element_index",
    "locate_target",
    "map_element",
    "map_element_files",
    "read_manifest",
    "read_scores",
    "read_target",
    "revcomp",
    "score_set_url",
    "scores_url",
    "select_elements",
    "urn_key",
    "write_element_index",
]
