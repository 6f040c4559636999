"""What both baselines share: the file walk, the tokenisation and the output format.

Tokenisation is the one dedup fingerprints with: lower-cased ``\\w+`` words,
5-word shingles (a document with fewer words is one shingle of all its words),
each shingle the words joined by one blank.  Unlike dedup, the baselines read the
raw file text: no layout normalisation (hard line breaks are harmless to ``\\w+``
words, but end-of-line hyphenation splits a word in two).
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterable, Iterator

WORD = re.compile(r"\w+")
SHINGLE = 5
NUM_PERM = 128
# dedup's default: a pair is a near-duplicate at Jaccard >= 0.5.  bench/speed.py passes
# dedup's own LSH banding (--bands, --rows) so that all tools share one S-curve; these
# defaults are datasketch's optimum for threshold 0.4.
THRESHOLD = 0.5
BANDS, ROWS = 32, 4


def files(root: str) -> Iterator[str]:
    """Yield the .txt files below `root` in a stable order."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            if name.endswith(".txt"):
                yield os.path.join(dirpath, name)


def read(path: str) -> str:
    with open(path, encoding="utf-8", errors="replace") as fh:
        return fh.read()


def shingles(text: str) -> list[str]:
    """Return the 5-word shingles of `text`, in order (repeats kept)."""
    words = WORD.findall(text.lower())
    if len(words) < SHINGLE:
        return [" ".join(words)] if words else []
    return [" ".join(words[i : i + SHINGLE]) for i in range(len(words) - SHINGLE + 1)]


def write_pairs(root: str, paths: list[str], pairs: Iterable[tuple[int, int]], extra: dict) -> None:
    """Print the pairs as JSON on stdout, paths relative to `root`."""
    rel = [os.path.relpath(p, root) for p in paths]
    out = {
        "pairs": sorted(
            (rel[a], rel[b]) if rel[a] < rel[b] else (rel[b], rel[a]) for a, b in pairs
        ),
        **extra,
    }
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")
