"""Candidate pairs from MinHash signatures, through datasketch's LSH bands."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from dedup.fingerprint import U32, permutations

# The candidate stage is generous: bands are cut so that a pair exactly at the
# verification threshold becomes a candidate with at least this probability.
# Exact verification removes what the generosity lets through.
TARGET_RECALL = 0.99


@dataclass(frozen=True)
class Bands:
    """How the signature is cut into bands for LSH, and the chance of a pair at the threshold to be found."""

    bands: int
    rows: int
    recall_at_threshold: float


def candidate_probability(similarity: float, bands: int, rows: int) -> float:
    """Return the probability that a pair of this Jaccard similarity shares at least one band."""
    return float(1.0 - (1.0 - similarity**rows) ** bands)


def bands_for(threshold: float, num_perm: int) -> Bands:
    """Return the most selective banding that still finds pairs at `threshold` with TARGET_RECALL.

    More rows per band means fewer chance candidates; the rows are raised
    for as long as a pair at the threshold keeps being found 99% of the time.
    """
    best = Bands(num_perm, 1, candidate_probability(threshold, num_perm, 1))
    for rows in range(2, num_perm + 1):
        bands = num_perm // rows
        recall = candidate_probability(threshold, bands, rows)
        if recall < TARGET_RECALL:
            break
        best = Bands(bands, rows, recall)
    return best


def candidate_pairs(signatures: Sequence[U32], bands: Bands, seed: int) -> list[tuple[int, int]]:
    """Return the sorted pairs (i, j), i < j, of documents that share an LSH bucket.

    A signature of all 0xFFFFFFFF (a document without words) is never a candidate.
    """
    import numpy as np
    from datasketch import MinHash, MinHashLSH

    if not signatures:
        return []
    num_perm = len(signatures[0])
    perms = np.array(permutations(num_perm, seed))
    lsh = MinHashLSH(num_perm=num_perm, params=(bands.bands, bands.rows))
    sketches = []
    with lsh.insertion_session() as session:
        for key, values in enumerate(signatures):
            if bool((values == 0xFFFFFFFF).all()):
                sketches.append(None)
                continue
            sketch = MinHash(num_perm=num_perm, seed=seed, hashvalues=values, permutations=perms, scheme="affine32")
            sketches.append(sketch)
            session.insert(key, sketch)
    pairs: set[tuple[int, int]] = set()
    for key, sketch in enumerate(sketches):
        if sketch is None:
            continue
        for other in lsh.query(sketch):
            if other > key:
                pairs.add((key, other))
    return sorted(pairs)
