"""Tests for evoaugflow.jaspar: offline JASPAR look-ups and the non-redundant export."""

import numpy as np
import pytest

from evoaugflow.jaspar import export_meme, fetch_motifs, write_jaspar_meme
from evoaugflow.meme import read_meme


def test_export_jaspar2022_core_vertebrates(tmp_path):
    path = tmp_path / "jaspar.meme"
    assert export_meme(path) == 841
    motifs = read_meme(path)
    assert len(motifs) == 841
    ids = [m.id for m in motifs]
    assert len({i.split(".")[0] for i in ids}) == 841  # one version per base ID
    ctcf = {m.id: m for m in motifs}["MA0139.1"]
    assert ctcf.name == "CTCF" and ctcf.width == 19 and ctcf.nsites == 913
    # consensus of the CTCF core: C at position 4, G at 9 (0-based)
    assert "ACGT"[int(np.argmax(ctcf.pfm[4]))] == "C"
    assert "ACGT"[int(np.argmax(ctcf.pfm[9]))] == "G"
    # the two motifs the paper excludes are present in the full set
    assert {"MA1929.1", "MA0615.1"} <= set(ids)


def test_fetch_by_name_and_id():
    by_name = fetch_motifs(["CTCF", "FOS::JUN", "gata1"])
    assert [m.id for m in by_name] == ["MA0139.1", "MA0099.3", "MA0035.4"]
    assert fetch_motifs("MA0139")[0].id == "MA0139.1"
    older = fetch_motifs("MA0035.1")[0]
    assert older.id == "MA0035.1" and older.name.upper() == "GATA1"
    for motif in by_name + [older]:
        np.testing.assert_allclose(motif.pfm.sum(axis=1), 1.0)
    # counts -> probabilities: CTCF column 0 counts are A87 C291 G76 T459
    np.testing.assert_allclose(fetch_motifs("CTCF")[0].pfm[0], np.array([87, 291, 76, 459]) / 913)


def test_returned_motifs_are_copies():
    first = fetch_motifs("CTCF")[0]
    first.pfm[:] = 0.25
    assert fetch_motifs("CTCF")[0].pfm[0, 0] != 0.25


def test_unknown_names_and_ids():
    with pytest.raises(ValueError, match=r"'CTFC'.*close names:.*CTCF"):
        fetch_motifs("CTFC")
    with pytest.raises(ValueError, match="MA0139.9"):
        fetch_motifs("MA0139.9")
    with pytest.raises(ValueError, match="release"):
        fetch_motifs("CTCF", release="JASPAR1999")
    with pytest.raises(ValueError, match="empty"):
        fetch_motifs([])


def test_write_jaspar_meme_exports_offline_or_copies_a_given_file(tmp_path):
    assert write_jaspar_meme(tmp_path / "offline.meme") == 841
    offline = read_meme(tmp_path / "offline.meme")
    assert write_jaspar_meme(tmp_path / "copy.meme", given=tmp_path / "offline.meme") == 841
    copied = read_meme(tmp_path / "copy.meme")
    assert [m.id for m in copied] == [m.id for m in offline]
    np.testing.assert_array_equal(copied[0].pfm, offline[0].pfm)
    (tmp_path / "bad.meme").write_text("not a motif file\n")
    with pytest.raises(ValueError):
        write_jaspar_meme(tmp_path / "out.meme", given=tmp_path / "bad.meme")
    assert not (tmp_path / "out.meme").exists()
