"""Time evoaugflow.mavedb.locate_target on one random chromosome of a given size.

The mapping of each MaveDB element reads its chromosome once and searches the target's
seeds on both strands. This writes a random chromosome (default 250 Mb, about the size
of hg19 chr1) to a temporary FASTA, indexes it, and times the search for targets of a
few lengths on each strand, with and without a pinned position.

    python benchmarks/mavedb_locate.py                 # 250 Mb, needs ~1.5 GB of RAM
    python benchmarks/mavedb_locate.py --megabases 50
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pyfaidx

from evoaugflow.mavedb import locate_target, revcomp


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabases", type=float, default=250.0)
    parser.add_argument("--lengths", type=int, nargs="+", default=[150, 300, 600])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    size = int(args.megabases * 1e6)
    codes = rng.integers(0, 4, size=size, dtype=np.uint8)
    text = np.frombuffer(b"ACGT", dtype=np.uint8)[codes].tobytes().decode()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "genome.fa"
        with open(path, "w") as handle:
            handle.write(">chr1\n")
            for lo in range(0, size, 60):
                handle.write(text[lo : lo + 60] + "\n")
        pyfaidx.Fasta(str(path)).close()
        print(f"chromosome of {size:,} nt")
        print("length\tstrand\tpinned\tseconds\tfound_start")
        for length in args.lengths:
            start = int(rng.integers(0, size - length))
            target = text[start : start + length]
            for strand, query in (("+", target), ("-", revcomp(target))):
                for hint in (None, start + 1):
                    tic = time.perf_counter()
                    found = locate_target(str(path), "chr1", query, hint=hint)
                    seconds = time.perf_counter() - tic
                    assert found["start"] == start + 1 and found["strand"] == strand
                    pinned = "yes" if hint else "no"
                    print(f"{length}\t{strand}\t{pinned}\t{seconds:.2f}\t{found['start']}")


if __name__ == "__main__":
    main()
