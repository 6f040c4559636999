"""Verify candidate pairs on the exact shingle sets and cluster them into groups."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from dedup.fingerprint import Fingerprint, containment, jaccard


@dataclass(frozen=True)
class Pair:
    """A verified near-duplicate pair with its exact measures."""

    a: int
    b: int
    similarity: float
    containment: float


@dataclass(frozen=True)
class Cluster:
    """Documents (by index) that are near-duplicates; `reference` is one of them."""

    reference: int
    members: tuple[int, ...]
    similarity: tuple[float, ...]
    containment: tuple[float, ...]


def verify(
    pairs: Sequence[tuple[int, int]],
    fingerprints: Sequence[Fingerprint],
    threshold: float,
    min_containment: float,
) -> list[Pair]:
    """Keep the candidate pairs whose exact similarity or containment reaches its threshold."""
    verified = []
    for i, j in pairs:
        a, b = fingerprints[i].shingles, fingerprints[j].shingles
        sim, cont = jaccard(a, b), containment(a, b)
        if sim >= threshold or cont >= min_containment:
            verified.append(Pair(i, j, sim, cont))
    return verified


def cluster(pairs: Sequence[Pair], fingerprints: Sequence[Fingerprint]) -> list[Cluster]:
    """Return the connected components of the verified pairs, each with its reference.

    The reference is the most complete version: the member with the most
    words; ties go to the member listed first. Members are listed in
    document order with the reference first.
    """
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        root = x
        while parent.setdefault(root, root) != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    for pair in pairs:
        ra, rb = find(pair.a), find(pair.b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    components: dict[int, list[int]] = {}
    for node in sorted(parent):
        components.setdefault(find(node), []).append(node)
    clusters = []
    for nodes in components.values():
        reference = max(nodes, key=lambda n: (fingerprints[n].tokens, -n))
        members = [reference] + [n for n in nodes if n != reference]
        ref = fingerprints[reference].shingles
        clusters.append(
            Cluster(
                reference,
                tuple(members),
                tuple(jaccard(ref, fingerprints[n].shingles) for n in members),
                tuple(containment(ref, fingerprints[n].shingles) for n in members),
            )
        )
    return sorted(clusters, key=lambda c: min(c.members))
