"""Candidate pairs from MinHash signatures, through datasketch's LSH bands."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from dedup.fingerprint import U32, permutations

# The candidate stage is generous: LSH's S-curve is centred on this share of
# the verification threshold, so pairs just above the threshold are not lost
# to bad luck in the bands. Exact verification removes what it lets through.
LSH_SLACK = 0.8


@dataclass(frozen=True)
class Bands:
    """How the signature is cut into bands for LSH."""

    threshold: float
    bands: int
    rows: int


def bands_for(threshold: float, num_perm: int) -> Bands:
    """Return datasketch's optimal bands and rows for a verification threshold."""
    from datasketch import MinHashLSH

    lsh_threshold = max(0.05, threshold * LSH_SLACK)
    lsh = MinHashLSH(threshold=lsh_threshold, num_perm=num_perm)
    return Bands(lsh_threshold, lsh.b, lsh.r)


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
