"""Put documents into the index and take them out, in one transaction, and keep its groups right.

New documents are matched against everything already in the index: each
band key of a new document is looked up in the index's sorted runs of band
keys, and the documents found are bucketed with it as in a scan without an
index (`index.bucket_edges`, `index.misfit_edges`), so that the groups do
not depend on the order documents came in. Verified pairs are stored, and
the groups they touch are computed again as connected components of the
stored pairs. A group's reference is its member with the most words
(ties: the first path); a group keeps the id of the old group it shares most
members with, and a member its cached discrepancies while its reference is
the same.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from dedup import fingerprint, groups, index
from dedup.options import ScanOptions
from dedup.store import Known, NewDocument, Removal, StoredGroup, StoredMember, Transaction


@dataclass
class Tally:
    """The candidate and verified pairs one transaction counts (logged in it, for its scan's report)."""

    candidate_pairs: int = 0
    verified_pairs: int = 0


def apply(tx: Transaction, scan_id: int, documents: Sequence[NewDocument], removals: Sequence[tuple[Known, str]],
           options: ScanOptions) -> None:
    """Take documents out and put documents in (replacing any at the same path), and regroup what that touches."""
    now = tx.ids_of([d.path for d in documents] + [k.path for k, _ in removals])
    removed = [(k, reason) for k, reason in removals if now.get(k.path) == k.id]  # else someone else did it
    out = {now[d.path] for d in documents if d.path in now} | {k.id for k, _ in removed}
    before = tx.load_groups(tx.groups_of(out)) if out else []
    left = {m.doc: g.id for g in before for m in g.members}
    tx.log_removals(Removal(scan_id, k.path, reason, k.content_hash, left.get(k.id)) for k, reason in removed)
    tx.delete_groups([g.id for g in before])
    taken = tx.signatures(out) if out else {}
    tx.remove_documents(out)
    seeds = set(left) - out
    tally = Tally()
    if taken:
        seeds |= {d for p in _recentre(tx, taken, options, tally) for d in (p.a, p.b)}
    held: dict[int, fingerprint.U32] = {}
    if documents:
        first = tx.next_id("documents", len(documents))
        pairs = _match(tx, scan_id, first, documents, options, tally)
        held = {first + n: d.shingles for n, d in enumerate(documents)}
        seeds |= set(held) | {p.a for p in pairs}
    tx.log_tally(scan_id, tally.candidate_pairs, tally.verified_pairs)  # in the transaction, as log_touched below
    if not seeds:
        return
    nodes: set[int] = set()
    while seeds:  # close over groups and pairs: a stored pair never leaves its group, but be sure
        more = tx.load_groups(tx.groups_of(seeds))
        tx.delete_groups([g.id for g in more])
        before += more
        nodes |= seeds | {m.doc for g in more for m in g.members}
        edges = tx.pairs_touching(nodes)
        seeds = {d for edge in edges for d in edge} - nodes
    found = _regroup(tx, edges, before, held)
    tx.add_groups(found)
    previous = {g.id: (g.reference, {m.doc for m in g.members}) for g in before}
    changed = [g.id for g in found if previous.get(g.id) != (g.reference, {m.doc for m in g.members})]
    alone = {m.doc for g in before for m in g.members} - out - {m.doc for g in found for m in g.members}
    tx.log_touched(scan_id, changed, alone)  # in the transaction: a scan resuming this one reports them too


def _match(tx: Transaction, scan_id: int, first: int, documents: Sequence[NewDocument], options: ScanOptions,
           tally: Tally) -> list[groups.Pair]:
    """Insert the documents with ids from `first`, and find and store their verified pairs.

    Each band of the new documents is bucketed together with every stored
    document under their keys, as in a scan without an index: a bucket is a
    star around its smallest id, and its misfits (`index.misfit_edges`) are
    tried with its other members. Only pairs with a new document are tried:
    those of two stored documents were tried when the later of them came.
    """
    keyed = [n for n, d in enumerate(documents) if d.words]  # a document without words pairs with nothing
    if not keyed:
        tx.add_documents(first, documents, scan_id)
        return []
    keys = np.stack([documents[n].keys for n in keyed]).astype(np.uint64)
    ids = np.array(keyed, dtype=np.int64) + first
    rows, band_of, stored = tx.band_members(keys)
    tx.add_documents(first, documents, scan_id)
    found = _candidates([(np.concatenate([keys[:, band], keys[rows[band_of == band], band]]),
                          np.concatenate([ids, stored[band_of == band]])) for band in range(keys.shape[1])])
    held = {first + n: d.shingles for n, d in enumerate(documents)}
    pairs = _store_verified(tx, found.pairs[found.pairs[:, 1] >= first], held, options, tally)
    centres = {int(a) for star in found.crowded for a in star[:, 0] if a < first}
    known = tx.pairs_touching(centres) if centres else []  # which stored members fit their stored centre
    more = index.misfit_pairs(found, index.as_edges([(p.a, p.b) for p in pairs] + known))
    return pairs + _store_verified(tx, more[more[:, 1] >= first], held, options, tally)


def _recentre(tx: Transaction, taken: dict[int, fingerprint.U32], options: ScanOptions,
              tally: Tally) -> list[groups.Pair]:
    """Try the pairs of the buckets of documents just taken out again, as a scan without them would.

    When a bucket's centre (its smallest id) is taken out, the next smallest
    is the centre, and its members and their misfits (`index.misfit_edges`)
    are tried with it. The candidate pairs not yet stored are verified and
    stored (a pair tried before and failed is tried again).
    """
    bands = index.bands_for(options.threshold, options.num_perm)
    keys = index.band_keys(np.stack(list(taken.values())), bands)
    rows, band_of, docs = tx.band_members(keys)  # the documents taken out are no longer among them
    found = _candidates([(keys[rows[band_of == band], band], docs[band_of == band]) for band in range(keys.shape[1])])
    if len(found.pairs) == 0:
        return []
    stored = {(min(a, b), max(a, b)) for a, b in tx.pairs_touching({int(d) for d in found.pairs.ravel()})}
    pairs = _store_verified(tx, [(a, b) for a, b in found.pairs.tolist() if (a, b) not in stored], {}, options, tally)
    more = index.misfit_pairs(found, index.as_edges([(p.a, p.b) for p in pairs] + list(stored)))
    return pairs + _store_verified(tx, [(a, b) for a, b in more.tolist() if (a, b) not in stored], {}, options, tally)


def _candidates(bands: list[tuple[index.U64, npt.NDArray[np.int64]]]) -> index.Candidates:
    """Return the candidates of each band's (key, document) entries: a star around each key's least id."""
    return index.Candidates.of([index.bucket_edges(keys, ids) for keys, ids in bands])


def _store_verified(tx: Transaction, edges: Sequence[Sequence[int]] | index.Edges, held: dict[int, fingerprint.U32],
                    options: ScanOptions, tally: Tally) -> list[groups.Pair]:
    """Verify the candidate edges, store the pairs that pass and count both.

    `held` has the shingles of some documents; those of the others are read from the index.
    """
    tried: list[tuple[int, int]] = [(int(a), int(b)) for a, b in edges]
    need = {d for edge in tried for d in edge if d not in held}
    if need:
        held = {**held, **tx.shingles(need)}
    pairs = groups.verify(tried, held.__getitem__, options.threshold, options.containment)
    tx.add_pairs((p.a, p.b, p.similarity, p.containment) for p in pairs)
    tally.candidate_pairs += len(tried)
    tally.verified_pairs += len(pairs)
    return pairs


def _regroup(tx: Transaction, edges: list[tuple[int, int]], before: Sequence[StoredGroup],
             held: dict[int, fingerprint.U32]) -> list[StoredGroup]:
    """Return the groups that the stored pairs `edges` make: their connected components.

    A group keeps the id of the old group it shares most members with (the
    largest new group chooses first); a member keeps its measures and cached
    discrepancies when its reference is the same as before.
    """
    components = groups.components(edges)
    if not components:
        return []
    info = tx.words_and_paths({n for c in components for n in c})
    old = {m.doc: (g, m) for g in before for m in g.members}
    found: list[tuple[list[int], int]] = []
    for members in components:
        reference = min(members, key=lambda n: (-info[n][0], info[n][1]))
        found.append((sorted(members, key=lambda n: info[n][1]), reference))
    found.sort(key=lambda f: (-len(f[0]), info[f[1]][1]))
    measured = [(n, ref) for members, ref in found for n in members
                if n != ref and not (n in old and old[n][0].reference == ref)]
    need = {d for pair in measured for d in pair if d not in held}
    if need:
        held = {**held, **tx.shingles(need)}
    taken: set[int] = set()
    ids: list[int | None] = []
    for members, _ in found:
        votes = Counter(old[n][0].id for n in members if n in old and old[n][0].id not in taken)
        ids.append(votes.most_common(1)[0][0] if votes else None)
        taken.update(i for i in ids[-1:] if i is not None)
    if None in ids:  # new groups are numbered in the order of their first path
        first = tx.next_id("groups", ids.count(None))
        unnamed = sorted((k for k, i in enumerate(ids) if i is None), key=lambda k: info[found[k][0][0]][1])
        for offset, k in enumerate(unnamed):
            ids[k] = first + offset
    result = []
    for (members, ref), gid in zip(found, ids, strict=True):
        assert gid is not None
        rows = []
        for n in members:
            prior = old.get(n)
            if n == ref:
                rows.append(StoredMember(n, 1.0, 1.0, ref, "[]"))
            elif prior is not None and prior[0].reference == ref:
                m = prior[1]
                cached = m.discrepancies if m.diffed_against == ref else None
                rows.append(StoredMember(n, m.similarity, m.containment, ref if cached else None, cached))
            else:
                rows.append(StoredMember(n, *fingerprint.overlap(held[ref], held[n])))
        rows.sort(key=lambda m: (m.doc != ref, info[m.doc][1]))
        result.append(StoredGroup(gid, ref, tuple(rows)))
    return result
