#!/usr/bin/env python3
"""Scan a differ accuracy corpus's pairs as one folder: how many pairs does `dedup scan` group?

Every pair of `bench/diff_corpus.py` is one document in two versions, so a
scan of all their files should give one group per pair and nothing else.
The script copies `a.txt` and `b.txt` of each pair into one folder (named
`<pair>-a.txt`, `<pair>-b.txt`), runs `dedup scan FOLDER --format json`
from the given source tree, and prints how many pairs came out together,
how many apart, and how many groups hold files of more than one pair.

    python bench/pair_grouping.py [--corpus bench/data/diff_corpus_ocr] [--tree .]

`--tree` runs another checkout's dedup (its folder comes first on the
module path), to compare two commits on the same corpus.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=HERE / "data" / "diff_corpus_ocr")
    ap.add_argument("--tree", type=Path, default=HERE.parent, help="the source tree whose dedup runs")
    args = ap.parse_args()
    pairs = json.loads((args.corpus / "manifest.json").read_text(encoding="utf-8"))["pairs"]
    with tempfile.TemporaryDirectory(prefix="pair-grouping-") as tmp:
        folder = Path(tmp) / "docs"
        folder.mkdir()
        for pair in pairs:
            for side in "ab":
                shutil.copy(args.corpus / "pairs" / pair / f"{side}.txt", folder / f"{pair}-{side}.txt")
        run = subprocess.run([sys.executable, "-m", "dedup", "scan", str(folder), "--format", "json", "-q"],
                             cwd=args.tree, capture_output=True, text=True, check=False)
    if run.returncode not in (0, 1):
        sys.exit(f"dedup scan failed ({run.returncode}): {run.stderr}")
    groups = [[Path(d["path"]).name.split("-")[0] for d in g["documents"]] for g in json.loads(run.stdout)["groups"]]
    together = sum(1 for pair in pairs if any(g.count(pair) == 2 for g in groups))
    mixed = sum(1 for g in groups if len(set(g)) > 1)
    print(f"corpus {args.corpus} ({len(pairs)} pairs), dedup from {args.tree.resolve()}")
    print(f"pairs grouped: {together} ({100 * together / len(pairs):.1f} %); apart: {len(pairs) - together}; "
          f"groups holding more than one pair: {mixed}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
