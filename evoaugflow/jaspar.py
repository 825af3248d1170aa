"""JASPAR motifs, offline, from the SQLite releases shipped inside the ``pyjaspar`` wheel.

:func:`fetch_motifs` looks motifs up by matrix ID or TF name; :func:`export_meme` writes a
whole collection (latest version per base ID, the "non-redundant" set) as a MEME file.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import os
import re
import warnings
from collections.abc import Iterable

import numpy as np

from evoaugflow.download import DownloadError, fetch
from evoaugflow.meme import ALPHABET, Motif, read_meme, write_meme

_MATRIX_ID = re.compile(r"^[A-Z]{2}\d{4}(\.\d+)?$")


def _database(release: str):
    from pyjaspar import jaspar_releases, jaspardb

    if release not in jaspar_releases:
        raise ValueError(
            f"release: {release!r} is unknown; choose one of {sorted(jaspar_releases)}"
        )
    return jaspardb(release=release)


def _to_motif(jaspar_motif) -> Motif:
    counts = np.array([jaspar_motif.counts[base] for base in ALPHABET], dtype=np.float64).T
    column_sums = counts.sum(axis=1)
    # Whitespace is not allowed in a MEME name field.
    name = "_".join(str(jaspar_motif.name).split())
    return Motif(
        jaspar_motif.matrix_id,
        name,
        counts / column_sums[:, None],
        nsites=max(1, int(round(column_sums.max()))),
    )


@functools.lru_cache(maxsize=8)
def _collection(release: str, collection: str, tax_group: str) -> tuple[Motif, ...]:
    """Every motif of a collection, latest version per base ID, sorted by matrix ID."""
    motifs = _database(release).fetch_motifs(
        collection=collection, tax_group=[tax_group], all_versions=False
    )
    if not motifs:
        raise ValueError(
            f"collection={collection!r}, tax_group={tax_group!r}: no motif in {release}; "
            "use e.g. collection='CORE', tax_group='vertebrates'"
        )
    return tuple(sorted((_to_motif(m) for m in motifs), key=lambda motif: motif.id))


def fetch_motifs(
    names_or_ids: str | Iterable[str],
    release: str = "JASPAR2022",
    collection: str = "CORE",
    tax_group: str = "vertebrates",
) -> list[Motif]:
    """Look JASPAR motifs up by matrix ID or transcription factor name, offline.

    Parameters
    ----------
    names_or_ids : str or iterable of str
        Matrix IDs with version (``"MA0139.1"``: exactly that matrix, any version held by
        the release), base IDs (``"MA0139"``: its latest version), or TF names
        (``"CTCF"``, ``"FOS::JUN"``, case-insensitive) searched among the latest versions of
        ``collection`` and ``tax_group``. When several base IDs share a name, the oldest
        (lowest) base ID is taken: ``"CTCF"`` gives MA0139, not the extended MA1929/MA1930.
    release : str, default="JASPAR2022"
        A release shipped with pyjaspar (JASPAR2014 ... JASPAR2026).
    collection : str, default="CORE"
    tax_group : str, default="vertebrates"

    Returns
    -------
    list of Motif
        In the order asked; probabilities are the counts divided by each column's total,
        ``nsites`` is the largest column total (the number of aligned sites).

    Raises
    ------
    ValueError
        For an unknown release, ID or name; the message lists close names.
    """
    if isinstance(names_or_ids, str):
        names_or_ids = [names_or_ids]
    queries = list(names_or_ids)
    if not queries:
        raise ValueError("names_or_ids: empty; give e.g. ['CTCF', 'MA0035.4']")
    motifs = _collection(release, collection, tax_group)
    by_base_id = {motif.id.split(".")[0]: motif for motif in motifs}
    by_name: dict[str, Motif] = {}
    for motif in motifs:  # sorted by ID, so the oldest base ID wins a shared name
        by_name.setdefault(motif.name.upper(), motif)
    found = []
    for query in queries:
        key = str(query).strip()
        if _MATRIX_ID.match(key.upper()):
            key = key.upper()
            latest = by_base_id.get(key.split(".")[0])
            if latest is not None and ("." not in key or latest.id == key):
                found.append(dataclasses.replace(latest, pfm=latest.pfm.copy()))
                continue
            with warnings.catch_warnings():  # pyjaspar warns, then returns None
                warnings.simplefilter("ignore")
                other = _database(release).fetch_motif_by_id(key)
            if other is None:
                raise ValueError(
                    f"names_or_ids: matrix ID {key!r} is not in {release}; "
                    f"check the version (e.g. {key.split('.')[0]}.1)"
                )
            found.append(_to_motif(other))
        elif key.upper() in by_name:
            motif = by_name[key.upper()]
            found.append(dataclasses.replace(motif, pfm=motif.pfm.copy()))
        else:
            close = difflib.get_close_matches(key.upper(), list(by_name), n=6, cutoff=0.6)
            close_names = [by_name[name].name for name in close]
            raise ValueError(
                f"names_or_ids: {key!r} is not a TF name in {release} {collection} "
                f"{tax_group}; close names: {close_names or 'none'}"
            )
    return found


def export_meme(
    path: str | os.PathLike,
    release: str = "JASPAR2022",
    collection: str = "CORE",
    tax_group: str = "vertebrates",
) -> int:
    """Write a JASPAR collection, latest version per base ID, as a MEME file.

    For JASPAR 2022 CORE vertebrates this is the 841 motifs of the official
    "non-redundant" MEME download.

    Parameters
    ----------
    path : str or PathLike
        Output MEME file (written atomically).
    release : str, default="JASPAR2022"
    collection : str, default="CORE"
    tax_group : str, default="vertebrates"

    Returns
    -------
    int
        Number of motifs written.
    """
    motifs = _collection(release, collection, tax_group)
    write_meme(path, motifs)
    return len(motifs)


#: The official JASPAR 2022 CORE vertebrates non-redundant MEME file.
JASPAR_URL = (
    "https://jaspar.genereg.net/download/data/2022/CORE/"
    "JASPAR2022_CORE_vertebrates_non-redundant_pfms_meme.txt"
)


def write_jaspar_meme(
    path: str | os.PathLike, given: str | None = None, release: str = "JASPAR2022"
) -> int:
    """Write the JASPAR motifs the workflow matches filters against (rule export_jaspar).

    Parameters
    ----------
    path : str or PathLike
        MEME file written (atomically).
    given : str, optional
        A MEME file to copy (its motifs are read and written back, which checks it),
        or ``"download"``: `JASPAR_URL`, with the offline export as the fallback when
        the download fails. Default None: the offline pyjaspar export of ``release``
        (:func:`export_meme`).
    release : str, default "JASPAR2022"
        The pyjaspar release of the offline export.

    Returns
    -------
    int
        Number of motifs written.
    """
    source = given
    if given == "download":
        source = f"{path}.download"
        try:
            fetch(JASPAR_URL, source, retries=3, log=print)
        except DownloadError as error:
            print(f"WARNING: {error}\nfalling back to the offline pyjaspar export of {release}")
            source = None
    if not source:
        count = export_meme(path, release=release)
        print(f"{count} motifs exported from pyjaspar {release}")
        return count
    motifs = read_meme(source)
    write_meme(path, motifs)
    print(f"{len(motifs)} motifs from {source}")
    return len(motifs)
