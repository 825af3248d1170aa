"""CAGI5 elements from MaveDB: a real HTTP server on 127.0.0.1 serves score sets written
in MaveDB's documented formats (score-set JSON with targetGenes[].targetSequence, scores
CSV with accession, hgvs_nt, hgvs_splice, hgvs_pro, score); a tiny genome holds the
elements on both strands; hand-built models give effects known in advance."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pandas as pd
import pyfaidx
import pytest
import torch

from evoaugflow import mavedb, variants
from evoaugflow.download import fetch, file_md5

RESOURCES = Path(__file__).resolve().parents[1] / "resources"
G = 2  # channel of G in A, C, G, T
LENGTH = 101  # model window


# ----------------------------------------------------------------------------- fixtures


def random_dna(rng, n):
    return "".join(rng.choice(list("ACGT"), size=n))


def write_genome(path, chromosomes):
    with open(path, "w") as handle:
        for name, sequence in chromosomes.items():
            handle.write(f">{name}\n")
            for lo in range(0, len(sequence), 60):
                handle.write(sequence[lo : lo + 60] + "\n")
    pyfaidx.Fasta(str(path)).close()  # write the .fai now, as download_genome does
    return path


def score_set_json(urn, name, sequence, extra=None):
    """A score-set record as GET /api/v1/score-sets/{urn} returns it (camelCase keys)."""
    return {
        "urn": urn,
        "title": f"{name} saturation mutagenesis",
        "targetGenes": [
            {
                "name": name,
                "category": "regulatory",
                "externalIdentifiers": [],
                "targetSequence": {
                    "sequence": sequence,
                    "sequenceType": "dna",
                    "label": None,
                    "taxonomy": {"code": 9606, "organismName": "Homo sapiens"},
                },
            }
        ],
        "extraMetadata": extra or {},
    }


def scores_csv(urn, rows):
    """GET /api/v1/score-sets/{urn}/scores: the four fixed columns, then score."""
    lines = ["accession,hgvs_nt,hgvs_splice,hgvs_pro,score"]
    for number, (hgvs, score) in enumerate(rows, start=1):
        lines.append(f"{urn}#{number},{hgvs},NA,NA,{score}")
    return "\n".join(lines) + "\n"


def saturation(sequence, effect, positions=None):
    """Every SNV of ``sequence`` (or of some positions) as (n.<p><ref>><alt>, score)."""
    rows = []
    for position in positions or range(1, len(sequence) + 1):
        ref = sequence[position - 1]
        for alt in "ACGT":
            if alt != ref:
                rows.append((f"n.{position}{ref}>{alt}", effect(ref, alt)))
    return rows


def g_gain(ref, alt):
    """Measured effect known in advance: gain of a G on the target strand."""
    return float(alt == "G") - float(ref == "G")


class Server:
    """A real HTTP server on 127.0.0.1 serving {path: bytes}; records each request path."""

    def __init__(self, routes):
        self.routes, self.requests = routes, []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                outer.requests.append(self.path)
                body = outer.routes.get(self.path)
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/api/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def build_fixture(tmp_path, seed=0):
    """Genome with three elements and their MaveDB routes.

    PLUS: chr5, plus strand, the target identical to the genome.
    MINUS: chr11, minus strand (target = reverse complement), one construct base that
    differs from the genome (at target position 7), scored at positions 1..40.
    BAD: chr11, plus strand, 2 construct differences, and every scored SNV sits on them.
    """
    rng = np.random.default_rng(seed)
    chr5, chr11 = random_dna(rng, 4000), random_dna(rng, 5000)
    plus = chr5[1500:1620]
    minus = mavedb.revcomp(chr11[2000:2090])
    minus = minus[:6] + {"A": "C", "C": "G", "G": "T", "T": "A"}[minus[6]] + minus[7:]
    bad = list(chr11[3500:3600])
    for position in (10, 20):
        bad[position - 1] = {"A": "C", "C": "G", "G": "T", "T": "A"}[bad[position - 1]]
    bad = "".join(bad)
    genome = write_genome(tmp_path / "genome.fa", {"chr5": chr5, "chr11": chr11})
    elements = {
        "PLUS": ("urn:mavedb:00000101-a-1", "chr5", plus, saturation(plus, g_gain)),
        "MINUS": (
            "urn:mavedb:00000102-b-1",
            "chr11",
            minus,
            saturation(minus, g_gain, range(1, 41))
            + [("n.=", 0.0), ("n.[3A>G;4C>T]", 1.0), ("n.5del", 2.0)]
            + [(f"n.50{minus[49]}>{'A' if minus[49] != 'A' else 'C'}", "NA")]
            + [("not-hgvs", 1.0)],
        ),
        "BAD": ("urn:mavedb:00000103-a-2", "chr11", bad, saturation(bad, g_gain, (10, 20))),
    }
    routes = {}
    for name, (urn, _, sequence, rows) in elements.items():
        record = score_set_json(urn, f"{name} enhancer", sequence, {"chr": "x"})
        routes[f"/api/v1/score-sets/{urn}"] = json.dumps(record).encode()
        routes[f"/api/v1/score-sets/{urn}/scores"] = scores_csv(urn, rows).encode()
    manifest = tmp_path / "manifest.tsv"
    lines = ["\t".join(mavedb.MANIFEST_COLUMNS)]
    for name, (urn, chrom, _, _) in elements.items():
        lines.append(f"{name}\t{urn}\t{chrom}\t\t\t{'no' if name == 'BAD' else 'yes'}\tx\tnote")
    manifest.write_text("\n".join(lines) + "\n")
    return genome, elements, routes, manifest


def download(server, urn, folder):
    folder = Path(folder) / mavedb.urn_key(urn)
    record = fetch(
        mavedb.score_set_url(urn, server.url),
        folder / "score_set.json",
        progress=False,
        min_bytes=64,
    )
    fetch(mavedb.scores_url(urn, server.url), folder / "scores.csv", progress=False, min_bytes=64)
    # The record describes the file as written: its size and md5.
    assert record["bytes"] == (folder / "score_set.json").stat().st_size
    assert record["md5"] == file_md5(folder / "score_set.json")
    return folder / "score_set.json", folder / "scores.csv"


# ----------------------------------------------------------------------------- units


def test_urls_follow_the_api_paths():
    urn = "urn:mavedb:00000015-a-1"
    assert mavedb.urn_key(urn) == "00000015-a-1"
    assert mavedb.score_set_url(urn) == f"https://api.mavedb.org/api/v1/score-sets/{urn}"
    assert mavedb.scores_url(urn, "http://h/api/v1/") == f"http://h/api/v1/score-sets/{urn}/scores"
    with pytest.raises(ValueError, match="not a MaveDB score-set URN"):
        mavedb.urn_key("urn:mavedb:00000015")


def test_shipped_manifest_lists_the_papers_15_elements():
    manifest = mavedb.read_manifest(RESOURCES / "mavedb_cagi5.tsv")
    paper = mavedb.select_elements(manifest)
    assert list(paper["element"]) == [
        "F9", "GP1BB", "HBB", "HBG1", "HNF4A", "IRF4", "IRF6", "LDLR", "MSMB",
        "MYCrs6983267", "PKLR", "SORT1", "TERT-GBM", "TERT-HEK293T", "ZFAND3",
    ]  # fmt: skip
    urns = dict(zip(manifest["element"], manifest["urn"], strict=True))
    assert urns["TERT-HEK293T"] == "urn:mavedb:00000031-a-1"
    assert urns["TERT-GBM"] == "urn:mavedb:00000031-b-1"
    assert urns["LDLR"] == "urn:mavedb:00000023-a-2" and urns["PKLR"] == "urn:mavedb:00000027-b-1"
    assert set(manifest["element"]) - set(paper["element"]) == {"TCF7L2", "ZRS"}
    with pytest.raises(ValueError, match=r"\['NOPE'\] are not in the MaveDB manifest"):
        mavedb.select_elements(manifest, ["F9", "NOPE"])


def test_manifest_errors_name_file_and_line(tmp_path):
    path = tmp_path / "m.tsv"
    path.write_text("\t".join(mavedb.MANIFEST_COLUMNS) + "\nF9\turn:mavedb:15\tchrX\t\t\tyes\t\t\n")
    with pytest.raises(ValueError, match=r"m.tsv, line 2: column 'urn'"):
        mavedb.read_manifest(path)
    path.write_text(
        "\t".join(mavedb.MANIFEST_COLUMNS) + "\nF9\turn:mavedb:00000015-a-1\tchrX\t100\t\tyes\t\t\n"
    )
    with pytest.raises(ValueError, match="has a start but no build"):
        mavedb.read_manifest(path)


def test_scores_keep_snvs_and_count_every_other_kind(tmp_path):
    sequence = "ACGTACGTAC"
    rows = [("n.1A>G", 0.5), ("n.2C>T", -1.0), ("n.3G>A", "NA"), ("n.=", 0.0)]
    rows += [("n.[1A>G;2C>T]", 1.0), ("n.4del", 1.0), ("p.Glu2Val", 1.0), ("junk", 1.0)]
    rows += [("NA", 1.0), ("n.11A>G", 1.0)]
    path = tmp_path / "scores.csv"
    path.write_text(scores_csv("urn:mavedb:00000001-a-1", rows))
    snvs, counts = mavedb.read_scores(path, sequence)
    assert snvs[["target_pos", "ref", "alt", "value"]].values.tolist() == [
        [1, "A", "G", 0.5],
        [2, "C", "T", -1.0],
    ]
    assert counts == {
        "snv": 2, "multi": 1, "indel": 1, "identity": 1, "other": 3, "no_score": 1, "invalid": 1,
    }  # fmt: skip
    path.write_text(scores_csv("urn:mavedb:00000001-a-1", [("n.=", 1.0)]))
    with pytest.raises(ValueError, match="no single-nucleotide substitution"):
        mavedb.read_scores(path, sequence)
    path.write_text("accession,hgvs_pro,score\nx,p.Glu2Val,1\n")
    with pytest.raises(ValueError, match="lacks \\['hgvs_nt'\\]"):
        mavedb.read_scores(path, sequence)


def test_target_record_is_checked(tmp_path):
    path = tmp_path / "s.json"
    path.write_text(json.dumps(score_set_json("urn:mavedb:00000001-a-1", "E", "acgtn")))
    target = mavedb.read_target(path, "urn:mavedb:00000001-a-1")
    assert target["sequence"] == "ACGTN" and target["name"] == "E"
    with pytest.raises(ValueError, match="expected 'urn:mavedb:00000002-a-1'"):
        mavedb.read_target(path, "urn:mavedb:00000002-a-1")
    record = score_set_json("urn:mavedb:00000001-a-1", "E", "MKV")
    record["targetGenes"][0]["targetSequence"]["sequenceType"] = "protein"
    path.write_text(json.dumps(record))
    with pytest.raises(ValueError, match="no DNA targetSequence"):
        mavedb.read_target(path)


def test_locate_finds_both_strands_and_refuses_ambiguity(tmp_path):
    rng = np.random.default_rng(3)
    chrom = random_dna(rng, 3000)
    genome = write_genome(tmp_path / "g.fa", {"chr1": chrom, "chr2": chrom[:500] * 2})
    found = mavedb.locate_target(genome, "1", chrom[700:800])
    assert (found["chrom"], found["start"], found["end"], found["strand"]) == (
        "chr1",
        701,
        800,
        "+",
    )
    found = mavedb.locate_target(genome, "chr1", mavedb.revcomp(chrom[1000:1150]))
    assert (found["start"], found["strand"], found["mismatches"]) == (1001, "-", 0)
    assert mavedb.locate_target(genome, "chr1", chrom[700:800], hint=701)["start"] == 701
    with pytest.raises(ValueError, match="fits .* equally well"):
        mavedb.locate_target(genome, "chr2", chrom[100:200], element="DUP")
    with pytest.raises(ValueError, match="element X: its 100 nt target is not on chr1"):
        mavedb.locate_target(genome, "chr1", random_dna(rng, 100), element="X")
    with pytest.raises(ValueError, match="chromosome 'chr9' is not in the genome"):
        mavedb.locate_target(genome, "chr9", chrom[700:800])


def test_download_and_map_over_loopback(tmp_path):
    genome, elements, routes, _ = build_fixture(tmp_path)
    with Server(routes) as server:
        files = {
            name: download(server, urn, tmp_path / "data") for name, (urn, *_) in elements.items()
        }
    fasta = pyfaidx.Fasta(str(genome), as_raw=True, sequence_always_upper=True)
    chr11 = str(fasta["chr11"][:])

    urn, chrom, target, _ = elements["PLUS"]
    table, record = mavedb.map_element("PLUS", urn, *files["PLUS"], genome, chrom)
    assert (record["start"], record["end"], record["strand"]) == (1501, 1620, "+")
    assert record["n_snv"] == 3 * 120 and record["n_ref_mismatch"] == 0
    assert (table["ref"] == table["genome_ref"]).all()
    assert (table["pos"] == 1500 + table["target_pos"]).all()

    urn, chrom, target, _ = elements["MINUS"]
    table, record = mavedb.map_element("MINUS", urn, *files["MINUS"], genome, chrom)
    assert (record["start"], record["end"], record["strand"]) == (2001, 2090, "-")
    assert record["target_mismatches"] == 1 and record["n_snv"] == 3 * 40
    assert record["skipped"] == {
        "multi": 1, "indel": 1, "identity": 1, "other": 0, "no_score": 1, "invalid": 1,
    }  # fmt: skip
    # Target base 1 is the genome's last base of the element, complemented.
    first = table[table["target_pos"] == 1].iloc[0]
    assert first["pos"] == 2090 and first["ref"] == mavedb.revcomp(target[0]) == chr11[2089]
    # The construct base at target position 7 differs from the genome: its 3 SNVs only.
    assert record["n_ref_mismatch"] == 3
    assert set(table.loc[table["ref"] != table["genome_ref"], "target_pos"]) == {7}

    urn, chrom, *_ = elements["BAD"]
    with pytest.raises(ValueError, match=r"element BAD \(urn:mavedb:00000103-a-2\): 6 of 6"):
        mavedb.map_element("BAD", urn, *files["BAD"], genome, chrom)


class GCount(torch.nn.Module):
    """Regression model: the number of G (channel 2) in the window, one task."""

    def forward(self, x):
        return x[:, G, :].sum(dim=1, keepdim=True)


class Skewed(torch.nn.Module):
    """A strand-asymmetric binary model: a logit from position-weighted base content."""

    def __init__(self, length):
        super().__init__()
        generator = torch.Generator().manual_seed(0)
        self.weight = torch.nn.Parameter(torch.randn(4, length, generator=generator) * 0.3)

    def forward(self, x):
        return (x * self.weight).sum(dim=(1, 2)).unsqueeze(1)


def mapped_index(tmp_path):
    genome, elements, routes, _ = build_fixture(tmp_path)
    with Server(routes) as server:
        records, names = [], []
        for name in ("PLUS", "MINUS"):
            urn, chrom, *_ = elements[name]
            table, record = mavedb.map_element(
                name, urn, *download(server, urn, tmp_path / "data"), genome, chrom
            )
            table.to_csv(tmp_path / f"{name}.tsv", sep="\t", index=False)
            records.append(record)
            names.append(f"{name}.tsv")
    index = tmp_path / "elements.tsv"
    mavedb.element_index(records, names).to_csv(index, sep="\t", index=False)
    return genome, index


def test_known_effects_of_a_hand_built_model(tmp_path):
    genome, index = mapped_index(tmp_path)
    with pytest.warns(UserWarning, match="3 of .* reference alleles disagree"):
        scored, per_element = variants.score_cagi(
            GCount(), None, "regression", index, genome, length=LENGTH, device="cpu"
        )
    ok = scored["status"] == "ok"
    # The model counts G on the genome's plus strand: the effect is known exactly.
    known = (scored["alt"] == "G").astype(float) - (scored["ref"] == "G").astype(float)
    np.testing.assert_array_equal(scored.loc[ok, "effect"], known[ok])
    # The measured value is the G gain on the target strand: equal on the plus strand,
    # the C gain (G on the other strand) on the minus strand.
    plus = ok & scored["element"].eq("PLUS")
    np.testing.assert_array_equal(scored.loc[plus, "effect"], scored.loc[plus, "value"])
    rows = per_element.set_index("element")
    assert rows.loc["PLUS", "pearson"] == pytest.approx(1.0)
    assert rows.loc["PLUS", "n_variants"] == 360 and rows.loc["MINUS", "n_ref_mismatch"] == 3
    assert rows.loc["MINUS", "pearson"] < 0.5
    assert not per_element["rc_average"].any()

    # Averaged over both strands the model counts G + C: half the G/C gain on either strand.
    with pytest.warns(UserWarning, match="reference alleles disagree"):
        scored, per_element = variants.score_cagi(
            GCount(), None, "regression", index, genome, length=LENGTH, rc_average=True
        )
    ok = scored["status"] == "ok"
    gc = scored["alt"].isin(["G", "C"]).astype(float) - scored["ref"].isin(["G", "C"]).astype(float)
    np.testing.assert_allclose(scored.loc[ok, "effect"], gc[ok] / 2)
    assert per_element["rc_average"].all() and scored["rc_average"].all()


def test_rc_average_is_strand_symmetric():
    rng = np.random.default_rng(5)
    codes = rng.integers(0, 4, size=(20, LENGTH))
    ref = np.eye(4, dtype=np.float32)[codes].transpose(0, 2, 1)
    alt = ref.copy()
    alt[:, :, LENGTH // 2] = np.roll(ref[:, :, LENGTH // 2], 1, axis=1)
    model = Skewed(LENGTH)

    def flip(x):
        return np.ascontiguousarray(x[:, ::-1, ::-1])

    def effects(r, a, rc_average):
        table = variants.score_variant_effects(
            model, r, a, "binary", device="cpu", rc_average=rc_average
        )
        return table["effect"].to_numpy()

    forward = effects(ref, alt, True)
    np.testing.assert_allclose(forward, effects(flip(ref), flip(alt), True), rtol=1e-5, atol=1e-6)
    # Without averaging this model depends on the strand: the check above can fail.
    assert np.abs(effects(ref, alt, False) - effects(flip(ref), flip(alt), False)).max() > 1e-2
    # The average of the two strands' probabilities, computed by hand.
    with torch.no_grad():
        prob = [
            torch.sigmoid(model(torch.as_tensor(x))).squeeze(1).double().numpy()
            for x in (ref, flip(ref), alt, flip(alt))
        ]
    expected = np.log((prob[2] + prob[3]) / 2) - np.log((prob[0] + prob[1]) / 2)
    np.testing.assert_allclose(forward, expected, rtol=1e-5, atol=1e-6)


def test_element_index_is_read_by_read_cagi_elements(tmp_path):
    _, index = mapped_index(tmp_path)
    elements = variants.read_cagi_elements(index)
    assert list(elements["element"]) == ["PLUS", "MINUS"]
    table = pd.read_csv(index, sep="\t")
    assert list(table["strand"]) == ["+", "-"] and list(table["n_ref_mismatch"]) == [0, 3]
    assert table.loc[1, "skipped_multi"] == 1
