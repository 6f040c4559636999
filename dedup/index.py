"""Candidate pairs from MinHash signatures: LSH bands, bucketed with numpy.

Each band of `rows` signature values is hashed to one 64-bit key; documents
that share a key in some band are candidates. Buckets are found by sorting
one band's keys at a time, which costs about 30 µs a document where
datasketch's MinHashLSH, inserting and querying document by document in
Python, costs about 1.1 ms (measured at 50,000 documents on this project's
2-core machine). The same pure functions serve every engine.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from dedup.fingerprint import distinct

U64 = npt.NDArray[np.uint64]
Edges = npt.NDArray[np.int64]  # shape (m, 2): document ids, a < b

# The candidate stage is generous: bands are cut so that a pair exactly at the
# verification threshold becomes a candidate with at least this probability.
# Exact verification removes what the generosity lets through.
TARGET_RECALL = 0.99

MAX_THREADS = 4  # bands bucketed at once at most (`candidates`): each holds its own sorted copies
MISFIT_PAIRS = 10_000  # at most this many pairs a bucket beyond its star (`misfit_edges`)

_MIX = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93], dtype=np.uint64)


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


def band_keys(signatures: npt.NDArray[np.uint32], bands: Bands) -> U64:
    """Return one 64-bit key per band for each signature (rows of the input), shape (n, bands)."""
    n = signatures.shape[0]
    cut = signatures[:, : bands.bands * bands.rows].reshape(n, bands.bands, bands.rows).astype(np.uint64)
    keys = np.zeros((n, bands.bands), dtype=np.uint64)
    for r in range(bands.rows):
        keys = (keys ^ cut[:, :, r]) * _MIX[r % len(_MIX)]
        keys ^= keys >> np.uint64(29)
    return keys


def bucket_edges(keys: U64, ids: npt.NDArray[np.int64]) -> Edges:
    """Return the star of one band: documents with the same key, each linked to the smallest id among them.

    A bucket of k documents gives k - 1 edges (centre, member), not k² / 2
    pairs, so a bucket of ten thousand copies of one boilerplate text stays
    cheap. A bucket's edges are consecutive, and no other bucket of the band
    has its centre. A member that fails verification with the centre may
    still be a near-duplicate of another member: `misfit_edges` pairs it
    with them.
    """
    if len(keys) < 2:
        return np.empty((0, 2), dtype=np.int64)
    order = np.lexsort((ids, keys))
    keys, ids = keys[order], ids[order]
    new_run = np.concatenate(([True], keys[1:] != keys[:-1]))
    first = ids[np.flatnonzero(new_run)][np.cumsum(new_run) - 1]
    again = np.concatenate(([False], ~new_run[1:] & (ids[1:] == ids[:-1])))
    linked = ~new_run & ~again & (ids != first)  # a document under the key twice (as an index may ask) links once
    return np.stack([first[linked], ids[linked]], axis=1)


@dataclass(frozen=True)
class Candidates:
    """The candidate pairs of some documents: the stars' edges, and the stars a misfit can be in."""

    pairs: Edges  # the distinct edges of every band's star: verify these first
    crowded: list[Edges]  # each band's star edges of the buckets with three documents or more

    @classmethod
    def of(cls, stars: list[Edges]) -> Candidates:
        """Return the candidates of each band's star (`bucket_edges`)."""
        pairs = unique_edges(np.concatenate(stars) if stars else np.empty((0, 2), dtype=np.int64))
        return cls(pairs, [crowded(star) for star in stars])


def candidates(keys: U64, ids: npt.NDArray[np.int64] | None = None, threads: int = 1) -> Candidates:
    """Return the candidates of documents `ids` with band keys `keys` (shape (n, bands)).

    The bands are bucketed `threads` at a time, at most `MAX_THREADS`: numpy
    sorts without holding the GIL (1,000,000 documents, 42 bands: 4.0 s on
    one thread, 2.4 on two), and each band in work holds its own sorted
    copies (about 60 MB at 1,000,000 documents).
    """
    if ids is None:
        ids = np.arange(keys.shape[0], dtype=np.int64)

    def band_edges(band: int) -> Edges:
        return bucket_edges(keys[:, band], ids)

    with ThreadPoolExecutor(max(1, min(threads, MAX_THREADS))) as pool:
        return Candidates.of(list(pool.map(band_edges, range(keys.shape[1]))))


def crowded(star: Edges) -> Edges:
    """Return the edges of a band's star (`bucket_edges`) whose bucket has three documents or more.

    In a bucket of two the member's only partner is the centre: a bucket
    needs a third document for a misfit to have a partner left to try.
    """
    _, _, size = _buckets(star)
    return star[np.repeat(size >= 2, size)]


def misfit_edges(stars: list[Edges], verified: Edges, limit: int = MISFIT_PAIRS) -> Edges:
    """Return the distinct pairs (a < b) of the bands' buckets to verify beyond their stars.

    `stars` are each band's `bucket_edges` (or their `crowded` part) and
    `verified` the distinct pairs that passed verification. A member whose
    edge to the bucket's centre did not pass (a misfit: it shares the key
    with the centre by chance) is paired with every other member. Then every
    pair of the bucket that would pass is linked, directly or through the
    centre, whatever document is the centre: the groups are those of
    verifying every pair of every bucket, without its k² / 2 cost where
    the centre fits. A bucket whose misfits would give more than `limit`
    pairs keeps its star alone.
    """
    known = np.sort(codes(verified))  # once for all the bands
    found = [_misfits(star, ~_among(codes(star), known), limit) for star in stars if len(star)]
    return unique_edges(np.concatenate(found) if found else np.empty((0, 2), dtype=np.int64))


def _misfits(star: Edges, failed: npt.NDArray[np.bool_], limit: int) -> Edges:
    """Return the pairs of one band's misfits (`failed` edges of its star) with their buckets' other members."""
    bucket, starts, size = _buckets(star)  # size: members besides the centre
    misfits = np.bincount(bucket, weights=failed, minlength=len(starts))
    within = misfits * (size - 1) <= limit
    misfit = np.flatnonzero(failed & within[bucket])
    count = size[bucket[misfit]]
    skip = np.repeat(np.cumsum(count) - count, count)
    partner = np.repeat(starts[bucket[misfit]], count) + np.arange(int(count.sum())) - skip
    a, b = np.repeat(star[misfit, 1], count), star[partner, 1]
    kept = a != b
    return np.stack([np.minimum(a[kept], b[kept]), np.maximum(a[kept], b[kept])], axis=1)


def _buckets(star: Edges) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Return each edge's bucket, and each bucket's first edge and size, of a band's star (a bucket's edges are
    consecutive, with one centre)."""
    new_bucket = np.concatenate(([True], star[1:, 0] != star[:-1, 0])) if len(star) else np.empty(0, dtype=bool)
    starts = np.flatnonzero(new_bucket)
    return np.cumsum(new_bucket) - 1, starts, np.diff(np.append(starts, len(star)))


def _among(values: npt.NDArray[np.int64], known: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    """Return whether each value is in the sorted array `known` (np.isin without sorting `known` again)."""
    at = np.minimum(np.searchsorted(known, values), max(len(known) - 1, 0))
    return known[at] == values if len(known) else np.zeros(len(values), dtype=bool)


def misfit_pairs(found: Candidates, verified: Edges, limit: int = MISFIT_PAIRS) -> Edges:
    """Return the distinct pairs beyond the stars to verify (`misfit_edges`), less the stars' own."""
    pairs = misfit_edges(found.crowded, verified, limit)
    return pairs[~np.isin(codes(pairs), codes(found.pairs))]


def unique_edges(edges: Edges) -> Edges:
    """Return the distinct edges, sorted."""
    if len(edges) == 0:
        return np.empty((0, 2), dtype=np.int64)
    found = distinct(codes(edges))
    return np.stack([found >> 32, found & 0xFFFFFFFF], axis=1)


def as_edges(pairs: Iterable[tuple[int, int]]) -> Edges:
    """Return pairs of ids as an edge array, shape (m, 2)."""
    return np.array(list(pairs), dtype=np.int64).reshape(-1, 2)


def codes(edges: Edges) -> npt.NDArray[np.int64]:
    """Return one integer per edge (ids below 2³²), for set operations on edges."""
    return (edges[:, 0].astype(np.int64) << 32) | edges[:, 1]


@dataclass(frozen=True)
class Run:
    """The band keys of some documents, sorted: band b's keys are ``keys[starts[b]:starts[b + 1]]``.

    A persistent index keeps its band keys as a few such runs, the way a
    log-structured merge tree does: each batch of new documents adds one run
    (written in one piece, not as millions of rows at random places of a
    B-tree), merged first with the smallest stored runs while it is at least
    half their size, so that there are about log2(batches) runs to look keys up in.
    """

    starts: npt.NDArray[np.int64]  # shape (bands + 1,)
    keys: U64
    docs: npt.NDArray[np.int64]  # the document of each key

    def __len__(self) -> int:
        return len(self.keys)


def make_run(keys: U64, ids: npt.NDArray[np.int64]) -> Run:
    """Return the run of documents `ids` with band keys `keys` (shape (n, bands))."""
    n, bands = keys.shape
    order = np.argsort(keys, axis=0, kind="stable")
    flat_keys = np.take_along_axis(keys, order, axis=0).T.ravel()
    flat_docs = np.asarray(ids, dtype=np.int64)[order].T.ravel()
    return Run(np.arange(bands + 1, dtype=np.int64) * n, flat_keys, flat_docs)


def merge_runs(runs: list[Run], dropped: npt.NDArray[np.int64] | None = None) -> Run:
    """Return one run with the entries of `runs`, leaving out those of the documents `dropped`."""
    bands = len(runs[0].starts) - 1
    keys, docs, starts = [], [], [0]
    for band in range(bands):
        k = np.concatenate([r.keys[r.starts[band] : r.starts[band + 1]] for r in runs])
        d = np.concatenate([r.docs[r.starts[band] : r.starts[band + 1]] for r in runs])
        if dropped is not None and len(dropped):
            kept = ~np.isin(d, dropped)
            k, d = k[kept], d[kept]
        order = np.argsort(k, kind="stable")  # sorted pieces: timsort merges them in linear time
        keys.append(k[order])
        docs.append(d[order])
        starts.append(starts[-1] + len(order))
    return Run(np.array(starts, dtype=np.int64), np.concatenate(keys), np.concatenate(docs))


def run_matches(runs: list[Run],
                keys: U64) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Return every stored entry under one of `keys` (shape (n, bands)): the row and band asked, and its document."""
    rows, bands, docs = [], [], []
    for run in runs:
        for band in range(keys.shape[1]):
            begin = run.starts[band]
            stored = run.keys[begin : run.starts[band + 1]]
            low = np.searchsorted(stored, keys[:, band], "left")
            count = np.searchsorted(stored, keys[:, band], "right") - low
            hit = np.flatnonzero(count)
            if len(hit) == 0:
                continue
            count = count[hit]
            skip = np.repeat(np.cumsum(count) - count, count)  # where each hit's entries begin in the output
            at = np.repeat(low[hit], count) + np.arange(int(count.sum())) - skip
            rows.append(np.repeat(hit, count))
            bands.append(np.full(len(at), band, dtype=np.int64))
            docs.append(run.docs[begin + at])
    if not rows:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, empty
    rows_asked = np.concatenate(rows).astype(np.int64, copy=False)  # intp: 32 bits on Windows with numpy 1
    return rows_asked, np.concatenate(bands), np.concatenate(docs)
