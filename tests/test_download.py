"""Tests for evoaugflow.download against a real HTTP server on 127.0.0.1.

The server runs in a thread on an ephemeral port and follows a per-test script: each
request takes the next action (serve, truncate, reset, answer a status, sleep, serve other
bytes); once the script is used up it serves the file normally. It honours Range requests
unless told not to. Every handler returns after one response, so nothing in it loops.
"""

from __future__ import annotations

import gzip
import hashlib
import re
import socket
import struct
import threading
import time
import urllib.error
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pyfaidx
import pytest

from evoaugflow.download import (
    ChecksumError,
    DownloadError,
    fetch,
    file_md5,
    gunzip,
    index_fasta,
    load_manifest,
)

RESOURCES = Path(__file__).resolve().parents[1] / "resources"
_rng = np.random.default_rng(20230105)
CONTENT = _rng.bytes(300_000)
OTHER = _rng.bytes(300_000)
CUT = 100_000
FAST = {"backoff": 0.01, "chunk_size": 1 << 16, "progress": False}


def md5_of(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest output clean
        pass

    def do_GET(self):
        server = self.server
        with server.lock:
            action = (
                server.script[len(server.requests)]
                if len(server.requests) < len(server.script)
                else ("ok",)
            )
            server.requests.append(self.headers.get("Range"))
        kind = action[0]
        if kind == "status":
            self.send_response(action[1])
            for name, value in action[2].items():
                self.send_header(name, value)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if kind == "sleep":
            time.sleep(action[1])
        body = action[1] if kind == "body" else server.content
        start = 0
        asked = re.match(r"bytes=(\d+)-$", self.headers.get("Range") or "")
        if server.ranges and asked:
            start = int(asked.group(1))
        payload = body[start:]
        self.send_response(206 if start else 200)
        if start:
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if kind == "trickle":
            # A few bytes at a time, each well within the socket timeout; then close.
            pieces, pause = action[1], action[2]
            try:
                for index in range(pieces):
                    self.wfile.write(payload[index * 100 : (index + 1) * 100])
                    self.wfile.flush()
                    time.sleep(pause)
            except OSError:  # the client gave up on this attempt
                return
        elif kind == "truncate":
            # Fewer bytes than Content-Length, then an orderly close.
            self.wfile.write(payload[: action[1]])
        elif kind == "reset":
            # Part of the body, then a TCP reset (SO_LINGER 0) instead of a close.
            self.wfile.write(payload[: action[1]])
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        else:
            self.wfile.write(payload)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request, client_address):
        # A client that timed out leaves the handler writing to a closed socket.
        pass


@pytest.fixture
def server():
    httpd = _Server(("127.0.0.1", 0), _Handler)
    httpd.content, httpd.script, httpd.ranges = CONTENT, [], True
    httpd.requests, httpd.lock = [], threading.Lock()
    httpd.url = f"http://127.0.0.1:{httpd.server_port}/data.bin"
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


@pytest.fixture
def dest(tmp_path):
    folder = tmp_path / "downloads"
    folder.mkdir()
    return folder / "data.bin"


def leftovers(dest: Path) -> list[str]:
    return sorted(p.name for p in dest.parent.iterdir())


# --- success paths -------------------------------------------------------------------


def test_plain_download_with_known_md5(server, dest):
    result = fetch(server.url, dest, md5=md5_of(CONTENT).upper(), **FAST)
    assert dest.read_bytes() == CONTENT
    assert result["md5"] == md5_of(CONTENT)
    assert (result["bytes"], result["attempts"], result["resumed"]) == (len(CONTENT), 1, False)
    assert leftovers(dest) == ["data.bin"]  # no .part, no .md5 when the md5 was given
    assert server.requests == [None]


def test_unknown_md5_is_recorded_then_enforced(server, dest):
    result = fetch(server.url, dest, **FAST)
    sidecar = dest.with_name("data.bin.md5")
    assert sidecar.read_text() == f"{md5_of(CONTENT)}  data.bin\n"
    assert result["md5"] == md5_of(CONTENT)
    # A complete file is not fetched again.
    again = fetch(server.url, dest, **FAST)
    assert again["attempts"] == 0 and len(server.requests) == 1
    # Once recorded, the md5 guards the next download: changed remote bytes are refused.
    dest.unlink()
    server.content = OTHER
    with pytest.raises(ChecksumError, match=re.escape(str(sidecar))):
        fetch(server.url, dest, **FAST)
    assert leftovers(dest) == ["data.bin.md5"]


@pytest.mark.parametrize("code", [429, 500, 503])
def test_retryable_status_then_success(server, dest, code):
    server.script = [("status", code, {})] * 2
    result = fetch(server.url, dest, md5=md5_of(CONTENT), retries=3, **FAST)
    assert dest.read_bytes() == CONTENT
    assert result["attempts"] == 3 and len(server.requests) == 3


def test_small_retry_after_is_honoured_and_large_one_ignored(server, dest):
    # backoff 5 s would make the two retries take 10 s; Retry-After: 0 makes them instant.
    server.script = [("status", 503, {"Retry-After": "0"})] * 2
    start = time.monotonic()
    fetch(
        server.url, dest, md5=md5_of(CONTENT), retries=2, backoff=5, max_backoff=5, progress=False
    )
    assert time.monotonic() - start < 3.0
    # A Retry-After beyond max_backoff falls back to the (small) exponential back-off.
    dest.unlink()
    server.requests.clear()
    server.script = [("status", 503, {"Retry-After": "3"})]
    start = time.monotonic()
    result = fetch(server.url, dest, md5=md5_of(CONTENT), max_backoff=1, **FAST)
    assert time.monotonic() - start < 2.0 and result["attempts"] == 2


@pytest.mark.parametrize("failure", ["truncate", "reset"])
def test_interrupted_body_is_resumed_with_range(server, dest, failure):
    server.script = [(failure, CUT)]
    logged = []
    result = fetch(server.url, dest, md5=md5_of(CONTENT), log=logged.append, **FAST)
    assert dest.read_bytes() == CONTENT
    assert result["attempts"] == 2
    if failure == "truncate":
        # An orderly close delivers every byte sent, so the resume starts exactly there.
        assert server.requests == [None, f"bytes={CUT}-"]
        assert result["resumed"] is True
        assert any("resuming" in line for line in logged)
    else:
        # A reset may discard bytes in flight; whatever arrived is kept and resumed.
        assert server.requests[0] is None and len(server.requests) == 2
        assert result["resumed"] == (server.requests[1] is not None)


def test_truncation_without_range_support_starts_over(server, dest):
    server.ranges = False
    server.script = [("truncate", CUT)]
    logged = []
    result = fetch(server.url, dest, md5=md5_of(CONTENT), log=logged.append, **FAST)
    assert dest.read_bytes() == CONTENT
    assert server.requests == [None, f"bytes={CUT}-"]  # asked for the rest, got a 200
    assert (result["attempts"], result["resumed"]) == (2, False)
    assert any("ignored the Range request" in line for line in logged)


def test_leftover_part_from_a_killed_run_is_continued(server, dest):
    dest.with_name("data.bin.part").write_bytes(CONTENT[:CUT])
    dest.with_name("data.bin.part.url").write_text(server.url)
    result = fetch(server.url, dest, md5=md5_of(CONTENT), **FAST)
    assert dest.read_bytes() == CONTENT
    assert server.requests == [f"bytes={CUT}-"]
    assert (result["attempts"], result["resumed"]) == (1, True)
    assert leftovers(dest) == ["data.bin"]


@pytest.mark.parametrize("origin", [None, "http://127.0.0.1:1/elsewhere.bin"])
def test_leftover_part_of_another_url_is_not_continued(server, dest, origin):
    """A .part whose URL is unknown or other (a manifest edited in between) starts over."""
    dest.with_name("data.bin.part").write_bytes(OTHER[:CUT])
    if origin:
        dest.with_name("data.bin.part.url").write_text(origin)
    result = fetch(server.url, dest, md5=md5_of(CONTENT), **FAST)
    assert dest.read_bytes() == CONTENT and server.requests == [None]
    assert (result["attempts"], result["resumed"]) == (1, False)


def test_resume_across_a_changed_remote_file_restarts_once(server, dest):
    # The first response is cut, then the remote file changes: the spliced file fails the
    # md5, so the download is repeated once from byte 0.
    server.script = [("truncate", CUT), ("body", OTHER), ("body", OTHER)]
    result = fetch(server.url, dest, md5=md5_of(OTHER), **FAST)
    assert dest.read_bytes() == OTHER
    assert server.requests == [None, f"bytes={CUT}-", None]
    assert (result["attempts"], result["resumed"]) == (3, False)


def test_timeout_is_retried(server, dest):
    server.script = [("sleep", 0.6)]
    result = fetch(server.url, dest, md5=md5_of(CONTENT), timeout=0.2, **FAST)
    assert dest.read_bytes() == CONTENT and result["attempts"] == 2


def test_stale_destination_is_replaced(server, dest):
    dest.write_bytes(OTHER)
    result = fetch(server.url, dest, md5=md5_of(CONTENT), **FAST)
    assert dest.read_bytes() == CONTENT and result["attempts"] == 1


def test_file_url(tmp_path, dest):
    source = tmp_path / "local copy.bin"
    source.write_bytes(CONTENT)
    result = fetch(source.as_uri(), dest, md5=md5_of(CONTENT), **FAST)
    assert dest.read_bytes() == CONTENT and result["attempts"] == 1
    start = time.monotonic()
    with pytest.raises(DownloadError, match="cannot read file://"):
        fetch((tmp_path / "absent.bin").as_uri(), tmp_path / "x.bin", backoff=5)
    assert time.monotonic() - start < 3.0  # a missing local file is not retried (5 s back-off)


def test_real_rest_file_matches_its_manifest_md5(rest_h5, tmp_path):
    entry = {row["name"]: row for row in load_manifest(RESOURCES / "zenodo_7265991.tsv")}[
        "REST_200.h5"
    ]
    result = fetch(rest_h5.as_uri(), tmp_path / "REST_200.h5", md5=entry["md5"], progress=False)
    assert result["md5"] == entry["md5"] == "505b7f395fbe08b6bdfe8604cbc6cf17"
    assert result["bytes"] == entry["size"]


# --- refusals, and nothing left behind ------------------------------------------------


def test_wrong_bytes_raise_checksum_error_and_leave_nothing(server, dest):
    server.content = OTHER
    with pytest.raises(ChecksumError) as info:
        fetch(server.url, dest, md5=md5_of(CONTENT), **FAST)
    message = str(info.value)
    assert server.url in message and md5_of(CONTENT) in message and md5_of(OTHER) in message
    assert leftovers(dest) == []
    assert len(server.requests) == 1  # a plain (not resumed) mismatch is final


def test_404_is_not_retried(server, dest):
    server.script = [("status", 404, {})]
    with pytest.raises(DownloadError, match=r"HTTP 404") as info:
        fetch(server.url, dest, retries=5, **FAST)
    assert server.url in str(info.value)
    assert len(server.requests) == 1
    assert leftovers(dest) == []


def test_retries_run_out(server, dest):
    server.script = [("truncate", 1000)] * 3  # resumed each time, never complete
    with pytest.raises(DownloadError, match=r"after 3 attempt\(s\)"):
        fetch(server.url, dest, md5=md5_of(CONTENT), retries=2, **FAST)
    assert len(server.requests) == 3
    assert leftovers(dest) == []  # the resumed .part is removed too


def test_connection_refused_names_the_file(dest):
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/DeepSTARR_data.h5"
    with pytest.raises(DownloadError) as info:
        fetch(url, dest, retries=2, **FAST)
    message = str(info.value)
    assert message.startswith(f"could not fetch {url} to {dest} after 3 attempt(s)")
    assert "place it by hand" in message and "Connection refused" in message
    # The urllib error stays chained, with the refused connection inside it.
    assert isinstance(info.value.__cause__, urllib.error.URLError)
    assert isinstance(info.value.__cause__.reason, ConnectionRefusedError)
    assert leftovers(dest) == []


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"url": "ftp://example.org/x"}, "url is 'ftp"),
        ({"md5": "abc"}, "md5 is 'abc'"),
        ({"retries": -1}, "retries is -1"),
        ({"timeout": 0}, "timeout is 0"),
        ({"backoff": -1.0}, "backoff is -1.0"),
    ],
)
def test_bad_arguments(tmp_path, kwargs, fragment):
    arguments = {"url": "http://127.0.0.1:9/x", "dest": tmp_path / "x", **kwargs}
    with pytest.raises(ValueError, match=re.escape(fragment)):
        fetch(**arguments)


# --- gunzip and index_fasta -----------------------------------------------------------

FASTA = ">chr1 first\nACGTACGTAC\nGTACGT\n>chr2\nNNNNAAAACC\nCC\n"


def test_gunzip_multi_member_and_truncated(tmp_path):
    src = tmp_path / "genome.fa.gz"
    src.write_bytes(gzip.compress(CONTENT[:1000]) + gzip.compress(CONTENT[1000:2000]))
    out = gunzip(src, tmp_path / "genome.fa")
    assert out.read_bytes() == CONTENT[:2000]
    src.write_bytes(gzip.compress(CONTENT)[:5000])
    with pytest.raises(ValueError, match="not a complete gzip file"):
        gunzip(src, tmp_path / "broken.fa")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["genome.fa", "genome.fa.gz"]


def test_index_fasta_known_offsets(tmp_path):
    fasta = tmp_path / "toy.fa"
    fasta.write_text(FASTA)
    fai = index_fasta(fasta)
    assert fai == tmp_path / "toy.fa.fai"
    # name, length, byte offset of the first base, bases per line, bytes per line
    assert fai.read_text().splitlines() == ["chr1\t16\t12\t10\t11", "chr2\t12\t36\t10\t11"]
    genome = pyfaidx.Fasta(str(fasta))
    assert str(genome["chr1"][8:12]) == "ACGT" and str(genome["chr2"][10:12]) == "CC"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["toy.fa", "toy.fa.fai"]


def test_index_fasta_refuses_plain_gzip_and_bad_fasta(tmp_path):
    packed = tmp_path / "hg19.fa.gz"
    packed.write_bytes(gzip.compress(FASTA.encode()))
    with pytest.raises(ValueError, match=r"plain gzip.*gunzip"):
        index_fasta(packed)
    ragged = tmp_path / "ragged.fa"
    ragged.write_text(">chr1\nACG\nACGTACGT\nAC\n")
    with pytest.raises(ValueError, match="ragged.fa is not a well-formed FASTA"):
        index_fasta(ragged)
    assert not (tmp_path / "ragged.fa.fai").exists()


def test_index_fasta_bgzip(tmp_path):
    bgzf = pytest.importorskip("Bio.bgzf")
    packed = tmp_path / "toy.fa.gz"
    with bgzf.BgzfWriter(str(packed), "wb") as writer:
        writer.write(FASTA.encode())
    fai = index_fasta(packed)
    assert fai.read_text().splitlines()[1] == "chr2\t12\t36\t10\t11"
    assert (tmp_path / "toy.fa.gz.gzi").exists()
    assert str(pyfaidx.Fasta(str(packed))["chr1"][0:4]) == "ACGT"


# --- manifests ------------------------------------------------------------------------

TF_NAMES = ["ATF2", "BACH1", "CTCF", "ELK1", "GABPA", "MAX", "REST", "SRF", "ZNF24"]


def test_shipped_manifests():
    zenodo = load_manifest(RESOURCES / "zenodo_7265991.tsv", kind="zenodo")
    names = [row["name"] for row in zenodo]
    assert sorted(names) == sorted(
        ["DeepSTARR_data.h5", "Basset_data.h5", "CAGI_onehot.h5"]
        + ["JASPAR2022_CORE_vertebrates.meme"]
        + [f"{tf}_200.h5" for tf in TF_NAMES]
    )
    for row in zenodo:
        assert row["url"] == f"https://zenodo.org/records/7265991/files/{row['name']}"
    rest = zenodo[names.index("REST_200.h5")]
    assert (rest["md5"], rest["size"]) == ("505b7f395fbe08b6bdfe8604cbc6cf17", 2777946)

    encode = load_manifest(RESOURCES / "encode_manifest.tsv")
    chip = [row["factor"] for row in encode if row["assay"] == "ChIP-seq"]
    assert chip == TF_NAMES
    assert [row["assay"] for row in encode].count("DNase-seq") == 1
    assert {row["cell_type"] for row in encode} == {"GM12878"}
    for row in encode:  # nothing invented: no accession without a source
        assert row["status"] == "unpublished" and row["accession"] is None

    genomes = {row["build"]: row for row in load_manifest(RESOURCES / "genomes.tsv")}
    for build in ("hg19", "hg38"):
        assert genomes[build]["url"] == (
            f"https://hgdownload.soe.ucsc.edu/goldenPath/{build}/bigZips/{build}.fa.gz"
        )


ZENODO_HEADER = "name\turl\tmd5\tsize\tdescription\n"
GOOD_ROW = "a.h5\thttps://zenodo.org/records/1/files/a.h5\t\t\tfirst\n"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (
            ZENODO_HEADER + GOOD_ROW + "b.h5\thttps://x/b.h5\tnot-a-hash\t\tb\n",
            "line 3: column 'md5'",
        ),
        (ZENODO_HEADER + GOOD_ROW + "b.h5\thttps://x/b.h5\t\t12kb\tb\n", "line 3: column 'size'"),
        (ZENODO_HEADER + "a.h5\tftp://x/a.h5\t\t\ta\n", "line 2: column 'url'"),
        (ZENODO_HEADER + GOOD_ROW + "b.h5\thttps://x/b.h5\n", "line 3: 2 tab-separated fields"),
        (ZENODO_HEADER + GOOD_ROW + GOOD_ROW, "line 3: {'name': 'a.h5'} repeats line 2"),
        ("name,url,md5\n", "line 1: header"),
        (
            "factor\tcell_type\tassay\taccession\tbuild\turl\tstatus\tnote\n"
            "CTCF\tGM12878\tChIP-seq\t\thg38\t\tcandidate\tno accession\n",
            "line 2: column 'accession'",
        ),
        (
            "factor\tcell_type\tassay\taccession\tbuild\turl\tstatus\tnote\n"
            "CTCF\tGM12878\tChIP-seq\tENCFF000AAA\thg38\t\tunpublished\t\n",
            "line 2: column 'accession' is 'ENCFF000AAA'",
        ),
        ("build\turl\tmd5\nmm10\thttps://x/mm10.fa.gz\t\n", "line 2: column 'build'"),
    ],
)
def test_bad_manifests_name_file_and_line(tmp_path, text, fragment):
    path = tmp_path / "manifest.tsv"
    path.write_text(text)
    with pytest.raises(ValueError, match=re.escape(fragment)) as info:
        load_manifest(path)
    assert str(path) in str(info.value)


def test_manifest_kind_mismatch_and_candidate_row(tmp_path):
    path = tmp_path / "encode.tsv"
    path.write_text(
        "factor\tcell_type\tassay\taccession\tbuild\turl\tstatus\tnote\n"
        "CTCF\tGM12878\tChIP-seq\tENCFF123ABC\thg19\t"
        "https://www.encodeproject.org/files/ENCFF123ABC/@@download/ENCFF123ABC.bed.gz"
        "\tcandidate\tfrom a cited source\n"
    )
    (row,) = load_manifest(path, kind="encode")
    assert row["accession"] == "ENCFF123ABC" and row["build"] == "hg19"
    with pytest.raises(ValueError, match="line 1: header"):
        load_manifest(path, kind="zenodo")


def test_file_md5_matches_hashlib(tmp_path):
    path = tmp_path / "blob"
    path.write_bytes(CONTENT)
    assert file_md5(path, chunk_size=4096) == md5_of(CONTENT)


def test_a_trickling_attempt_is_cut_at_its_deadline_and_resumed(server, dest):
    server.script = [("trickle", 40, 0.05)]  # 2 s of 100-byte pieces, under the timeout
    lines = []
    result = fetch(
        server.url, dest, md5_of(CONTENT), timeout=5, deadline=0.4, log=lines.append, **FAST
    )
    assert result["attempts"] == 2 and result["resumed"]
    assert dest.read_bytes() == CONTENT
    assert any("deadline of 0.4 s" in line for line in lines)
    assert server.requests[0] is None and server.requests[1].startswith("bytes=")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"\n  <!DOCTYPE html><html><body>Please log in</body></html>" * 40, "sent an HTML page"),
        (b"ABC" * 10, "sent only 30 bytes"),
    ],
)
def test_without_an_md5_html_pages_and_short_bodies_are_refused(server, dest, body, message):
    server.content = body
    with pytest.raises(DownloadError, match=message):
        fetch(server.url, dest, None, **FAST)
    leftovers = list(dest.parent.iterdir())
    assert leftovers == []  # no file, no .part, no recorded md5
    # With an md5 that vouches for it, a short file is fine.
    assert fetch(server.url, dest, md5_of(body), **FAST)["bytes"] == len(body)
