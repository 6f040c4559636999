#!/usr/bin/env python3
"""Near-duplicate pairs with rensa (R-MinHash + RMinHashLSH), as its documentation suggests.

Same shingles as dedup (lower-cased ``\\w+`` words, 5-word shingles) from the raw
file text.  Sketches are built in batches with ``RMinHash.from_token_sets`` (the
bulk API rensa's README shows), inserted into an ``RMinHashLSH`` with the banding
given by ``--bands``/``--rows`` (bench/speed.py passes dedup's), and every document
is queried with ``query_all``.  RMinHashLSH needs the permutations to be a
multiple of the bands, so the sketches have bands x rows permutations (126 for
dedup's 42 x 3; 128 for the defaults 32 x 4) - the same slots the bands look at.
As rensa's deduplicator does, a candidate pair is kept when the sketches'
estimated Jaccard similarity is at least the threshold 0.5 (``--verify none``:
raw LSH candidates).

    python bench/baselines/rensa_pipeline.py DIR > pairs.json
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import BANDS, ROWS, THRESHOLD, files, read, shingles, write_pairs
from rensa import RMinHash, RMinHashLSH

BATCH = 1024
SEED = 42


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("root")
    ap.add_argument("--threshold", type=float, default=THRESHOLD)
    ap.add_argument("--bands", type=int, default=BANDS)
    ap.add_argument("--rows", type=int, default=ROWS)
    ap.add_argument("--verify", choices=("estimate", "none"), default="estimate")
    args = ap.parse_args()

    num_perm = args.bands * args.rows
    lsh = RMinHashLSH(threshold=args.threshold, num_perm=num_perm, num_bands=args.bands)
    paths: list[str] = []
    sketches: list[RMinHash] = []
    batch: list[list[str]] = []

    def flush() -> None:
        for m in RMinHash.from_token_sets(batch, num_perm=num_perm, seed=SEED):
            lsh.insert(len(sketches), m)
            sketches.append(m)
        batch.clear()

    for path in files(args.root):
        tokens = shingles(read(path))
        if not tokens:
            continue
        paths.append(path)
        batch.append(tokens)
        if len(batch) == BATCH:
            flush()
    flush()

    pairs = set()
    for key, candidates in enumerate(lsh.query_all(sketches)):
        m = sketches[key]
        for other in candidates:
            if other <= key:
                continue
            if args.verify == "none" or m.jaccard(sketches[other]) >= args.threshold:
                pairs.add((key, other))
    write_pairs(
        args.root,
        paths,
        pairs,
        {"tool": "rensa", "bands": [args.bands, args.rows], "documents": len(paths)},
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
