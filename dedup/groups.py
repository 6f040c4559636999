"""Verify candidate pairs on the exact shingle sets and cluster them into groups."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from dedup.fingerprint import U32, overlap

Shingles = Callable[[int], U32]
"""Returns the sorted shingle hashes of a document by id."""


@dataclass(frozen=True)
class Pair:
    """A verified near-duplicate pair with its exact measures."""

    a: int
    b: int
    similarity: float
    containment: float


@dataclass(frozen=True)
class Cluster:
    """Documents (by id) that are near-duplicates; `reference` is one of them."""

    reference: int
    members: tuple[int, ...]
    similarity: tuple[float, ...]
    containment: tuple[float, ...]


def verify(edges: Iterable[tuple[int, int]], shingles: Shingles, threshold: float,
           min_containment: float) -> list[Pair]:
    """Keep the candidate pairs whose exact similarity or containment reaches its threshold."""
    verified = []
    for i, j in edges:
        sim, cont = overlap(shingles(i), shingles(j))
        if sim >= threshold or cont >= min_containment:
            verified.append(Pair(i, j, sim, cont))
    return verified


def components(pairs: Iterable[tuple[int, int]]) -> list[list[int]]:
    """Return the connected components of the pairs (union-find), each sorted, ordered by smallest id."""
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        root = x
        while parent.setdefault(root, root) != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    found: dict[int, list[int]] = {}
    for node in sorted(parent):
        found.setdefault(find(node), []).append(node)
    return sorted(found.values(), key=lambda nodes: nodes[0])


def cluster(pairs: Sequence[Pair], words: Sequence[int], shingles: Shingles) -> list[Cluster]:
    """Return the groups of the verified pairs, each with its reference and measures against it.

    The reference is the most complete version: the member with the most
    words; ties go to the member found first. Members are listed in the
    order they were found, the reference first. `pairs` are as `verify`
    measured them: a member verified as a pair with the reference keeps the
    pair's measures (most groups are a pair), which are symmetric.
    """
    measured = {(min(p.a, p.b), max(p.a, p.b)): (p.similarity, p.containment) for p in pairs}
    clusters = []
    for nodes in components((p.a, p.b) for p in pairs):
        reference = max(nodes, key=lambda n: (words[n], -n))
        members = [reference] + [n for n in nodes if n != reference]
        ref = shingles(reference)
        found = [measured.get((min(reference, n), max(reference, n))) or overlap(ref, shingles(n)) for n in members]
        clusters.append(Cluster(reference, tuple(members), tuple(s for s, _ in found), tuple(c for _, c in found)))
    return clusters
