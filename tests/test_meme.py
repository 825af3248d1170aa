"""Tests for evoaugflow.meme: the Motif dataclass and MEME minimal format I/O."""

import memelite.io
import numpy as np
import pytest

from evoaugflow.meme import Motif, read_meme, write_meme


def _random_motifs(n=5, seed=0):
    rng = np.random.default_rng(seed)
    motifs = []
    for index in range(n):
        width = int(rng.integers(4, 25))
        pfm = rng.dirichlet(np.full(4, 0.5), size=width)
        motifs.append(
            Motif(f"M{index}.1", f"TF{index}::X" if index % 2 else "", pfm, nsites=10 + index)
        )
    return motifs


def test_round_trip_own_reader(tmp_path):
    motifs = _random_motifs()
    path = tmp_path / "motifs.meme"
    write_meme(path, motifs, background={"A": 0.3, "C": 0.2, "G": 0.2, "T": 0.3})
    back = read_meme(path)
    assert [m.id for m in back] == [m.id for m in motifs]
    assert [m.name for m in back] == [m.name for m in motifs]
    assert [m.nsites for m in back] == [m.nsites for m in motifs]
    for original, read in zip(motifs, back, strict=True):
        assert read.pfm.shape == original.pfm.shape
        np.testing.assert_allclose(read.pfm, original.pfm, atol=2e-6)
        np.testing.assert_allclose(read.pfm.sum(axis=1), 1.0, atol=1e-12)
    text = path.read_text()
    assert text.startswith("MEME version 4")
    assert "ALPHABET= ACGT" in text and "strands: + -" in text
    assert "A 0.300000 C 0.200000 G 0.200000 T 0.300000" in text
    assert f"letter-probability matrix: alength= 4 w= {motifs[1].width} nsites= 11 E= 0" in text


def test_round_trip_memelite_reader(tmp_path):
    motifs = _random_motifs(seed=3)
    path = tmp_path / "motifs.meme"
    write_meme(path, motifs)
    theirs = memelite.io.read_meme(str(path))
    assert len(theirs) == len(motifs)
    for motif in motifs:
        key = f"{motif.id} {motif.name}".strip()
        # memelite stores (4, w)
        np.testing.assert_allclose(theirs[key].T, motif.pfm, atol=2e-6)


def test_no_temporary_file_left(tmp_path):
    write_meme(tmp_path / "a.meme", _random_motifs(2))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.meme"]


@pytest.mark.parametrize(
    "body, line, fragment",
    [
        (
            "MOTIF a\nletter-probability matrix: alength= 4 w= 2\n0.25 0.25 0.25 0.25\n0.5 0.5\n",
            4,
            "4",
        ),
        (
            "MOTIF a\nletter-probability matrix: alength= 4 w= 3\n0.25 0.25 0.25 0.25\n",
            3,
            "ends inside",
        ),
        ("MOTIF a\nletter-probability matrix: alength= 4 w= 1\n0.9 0.9 0.1 0.1\n", 3, "sums to"),
        ("ALPHABET= ACDEFGHIKLMNPQRSTVWY\n", 1, "ACGT"),
        ("MOTIF a\nMOTIF b\n", 2, "no letter-probability"),
        ("MEME version 4\n", 1, "no motif"),
        ("MOTIF a\nletter-probability matrix: alength= 4\n", 2, "w="),
    ],
)
def test_reader_errors_name_file_and_line(tmp_path, body, line, fragment):
    path = tmp_path / "bad.meme"
    path.write_text("MEME version 4\n\n" * 0 + body)
    with pytest.raises(ValueError, match=f"bad.meme, line {line}:.*{fragment}"):
        read_meme(path)


def test_motif_validation():
    with pytest.raises(ValueError, match="shape"):
        Motif("a", "", np.full((4, 5), 0.25).T[:, :3])
    with pytest.raises(ValueError, match="sums to"):
        Motif("a", "", np.ones((3, 4)))
    with pytest.raises(ValueError, match="whitespace"):
        Motif("a b", "", np.full((3, 4), 0.25))
    with pytest.raises(ValueError, match="missing file|does not exist"):
        read_meme("/nonexistent/x.meme")
    with pytest.raises(ValueError, match="duplicate"):
        write_meme("/tmp/never.meme", [Motif("a", "", np.full((2, 4), 0.25))] * 2)
    # small rounding is accepted and renormalised exactly
    motif = Motif("a", "", np.array([[0.2501, 0.25, 0.25, 0.25]]))
    assert motif.pfm.sum() == pytest.approx(1.0, abs=1e-15)
