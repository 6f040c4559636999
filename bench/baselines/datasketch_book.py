#!/usr/bin/env python3
"""Near-duplicate pairs with datasketch, the way its documentation shows it.

For every file: lower-cased ``\\w+`` words, 5-word shingles, ``MinHash(num_perm=128)``
fed with ``update_batch`` of the UTF-8 encoded shingles; every MinHash inserted into
a ``MinHashLSH`` with the banding given by ``--bands``/``--rows`` (bench/speed.py
passes dedup's, so both have the same candidate S-curve; the defaults, 32 x 4, are
what ``MinHashLSH(threshold=0.4)`` picks), then every document queried.  datasketch's docs stop
at the query; ``--verify estimate`` (the default) then keeps a candidate pair only
when the MinHash estimate of its Jaccard similarity (``MinHash.jaccard``) is at
least 0.5, dedup's threshold.  ``--verify none`` reports the raw LSH candidates.

    python bench/baselines/datasketch_book.py DIR > pairs.json
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import BANDS, NUM_PERM, ROWS, THRESHOLD, files, read, shingles, write_pairs
from datasketch import MinHash, MinHashLSH


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("root")
    ap.add_argument("--threshold", type=float, default=THRESHOLD)
    ap.add_argument("--bands", type=int, default=BANDS)
    ap.add_argument("--rows", type=int, default=ROWS)
    ap.add_argument("--verify", choices=("estimate", "none"), default="estimate")
    args = ap.parse_args()

    lsh = MinHashLSH(num_perm=NUM_PERM, params=(args.bands, args.rows))
    paths: list[str] = []
    sketches: list[MinHash] = []
    for path in files(args.root):
        tokens = shingles(read(path))
        if not tokens:
            continue
        m = MinHash(num_perm=NUM_PERM)
        m.update_batch([s.encode("utf8") for s in tokens])
        lsh.insert(len(paths), m)
        paths.append(path)
        sketches.append(m)

    pairs = set()
    for key, m in enumerate(sketches):
        for other in lsh.query(m):
            if other <= key:
                continue
            if args.verify == "none" or m.jaccard(sketches[other]) >= args.threshold:
                pairs.add((key, other))
    write_pairs(
        args.root,
        paths,
        pairs,
        {"tool": "datasketch", "bands": [lsh.b, lsh.r], "documents": len(paths)},
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
