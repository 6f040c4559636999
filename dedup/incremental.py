"""Scan with a persistent index: the second scan costs only what changed.

A file whose size and modification time match the index is not read. One
whose size or time differ is hashed, and only a new content hash has it read
and fingerprinted again; a file with the content of a document the index
already holds (a rename, a copy) takes that document's fingerprint. Files the
index has under the scanned paths but the walk no longer finds are removed,
and reported as removed.

New documents are written in batches, one transaction each (dedup.store). In
that transaction a batch is matched against everything already in the index:
each band key of a new document is looked up in the indexed (band, key)
table, and the smallest document id found is taken as the bucket's star
centre, as `index.bucket_edges` does in a scan without an index. Verified
pairs are stored, and the groups they touch are computed again as connected
components of the stored pairs. A group's reference is its member with the
most words (ties: the first path). Discrepancies are computed for the members
whose reference is new to them and cached in the index, so a group nobody
touched costs nothing in later scans.
"""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing
import os
import stat
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from itertools import repeat
from typing import Any, TypeVar

import numpy as np

from dedup import __version__, differ, fingerprint, groups, index, sources
from dedup.errors import OptionsError
from dedup.normalize import VERSION as NORMALIZER_VERSION
from dedup.options import ScanOptions
from dedup.scan import Group, Member, Progress, ScanResult, Unique, compare_group, sign_batch
from dedup.store import (
    Known,
    NewDocument,
    Removal,
    Store,
    StoredGroup,
    StoredMember,
    Transaction,
    open_store,
)

log = logging.getLogger(__name__)

COMMIT_EVERY = 1024  # documents written per transaction at most...
COMMIT_SECONDS = 2.0  # ...and at least this often: what an interruption can lose, what other scanners wait for
_BATCH = 256  # files a worker hashes, signs or compares per task
_EXTRACTORS = {"pdf": "pypdfium2", "html": "trafilatura", "docx": "python-docx"}

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class IndexChange:
    """A document this scan added, changed, renamed or removed, and the group it is in (or left)."""

    path: str
    change: str  # new | changed | renamed | removed
    group: int | None
    previous_path: str | None = None  # renamed: where the content was before
    reason: str | None = None  # removed: gone, not-scanned, forgotten or a skip reason


@dataclass(frozen=True)
class IndexSummary:
    """What a scan did to the index."""

    location: str
    backend: str
    scan: int
    resumed: tuple[int, ...]
    documents: int
    unchanged: int
    touched: int
    changes: tuple[IndexChange, ...]
    groups_changed: tuple[int, ...]

    def of(self, change: str) -> list[IndexChange]:
        """Return the changes of one kind."""
        return [c for c in self.changes if c.change == change]


@dataclass(frozen=True)
class IndexedScanResult(ScanResult):
    """A scan with an index: groups and unique documents cover the whole index after the scan."""

    index: IndexSummary


def parameters(options: ScanOptions) -> dict[str, Any]:
    """Return what fingerprints and groups depend on; an index refuses a scan with other values."""
    bands = index.bands_for(options.threshold, options.num_perm)
    return {
        "dedup_version": __version__, "normalizer_version": NORMALIZER_VERSION, "scheme": "affine32",
        "num_perm": options.num_perm, "seed": options.seed, "bands": bands.bands, "rows": bands.rows,
        "shingle_size": options.shingle_size, "threshold": options.threshold,
        "containment": options.containment, "content_hash": "sha256",
    }


@lru_cache(maxsize=16)
def document_version(kind: str) -> str:
    """Return the version of the extraction and normalization that a document of `kind` goes through."""
    version = f"normalize {NORMALIZER_VERSION}"
    library = _EXTRACTORS.get(kind)
    if library is not None:
        try:
            version += f"; {library} {metadata.version(library)}"
        except metadata.PackageNotFoundError:
            version += f"; {library} absent"
    return version


def key_of(path: str) -> bytes:
    """Return the key of a file in the index: its absolute path, as bytes (any file name fits)."""
    return os.fsencode(os.path.abspath(path))


# -- the scan ----------------------------------------------------------------------


@dataclass
class _Tally:
    """What the batches of one scan found, for its report."""

    candidate_pairs: int = 0
    verified_pairs: int = 0
    groups_changed: set[int] | None = None


def scan(paths: Sequence[str], location: str, options: ScanOptions | None = None, rebuild: bool = False,
         progress: Progress | None = None, commit_every: int = COMMIT_EVERY) -> IndexedScanResult:
    """Scan `paths` into the index at `location` and return the groups of the whole index.

    Args:
        paths: files and folders, spelled as the user wants them reported.
        location: a SQLite file (created on first use) or a `postgresql://` URL.
        options: the settings; defaults when None.
        rebuild: empty an index built with other parameters and build it anew.
        progress: told how many files are read and when each is done.
        commit_every: the most documents written in one transaction.

    Returns:
        The groups and unique documents of the whole index, this scan's skipped files,
        and what the scan changed in the index (`IndexedScanResult.index`).

    Raises:
        SourceError: a path does not exist.
        StoreError: the index cannot be used (ParametersMismatch: built with other parameters).
    """
    options = options or ScanOptions()
    if options.engine != "local":
        raise OptionsError(f"--index works with the local engine only, not --engine {options.engine}")
    progress = progress or _NoProgress()
    found = list(sources.discover(paths, options))
    skipped = [f for f in found if isinstance(f, sources.Skipped)]
    spelled: dict[bytes, sources.Candidate] = {}
    for item in found:
        if isinstance(item, sources.Candidate):
            spelled.setdefault(key_of(item.path), item)
    tally = _Tally(groups_changed=set())
    with _Pool(options.jobs) as pool, open_store(location) as store:
        scan_id, resumed = store.begin_scan(parameters(options), list(paths), rebuild)
        with store.read() as tx:
            known = {k.path: k for k in tx.known([key_of(p) for p in paths])}
        unchanged, check = _unchanged(spelled, known, options)
        touched: list[tuple[int, int, int]] = []
        to_read: list[tuple[bytes, tuple[int, int, bytes]]] = []
        why = {key_of(s.path): s.reason for s in skipped}
        removals = [(k, _reason(path, why)) for path, k in known.items() if path not in spelled]
        for key, hashed in zip(check, _map_batches(pool, _hash_batch, [spelled[k].path for k in check], options),
                               strict=True):
            old = known.get(key)
            if isinstance(hashed, sources.Skipped):
                skipped.append(hashed)
                if old is not None:
                    removals.append((old, hashed.reason))
            elif old is not None and old.content_hash == hashed[2] and old.version == document_version(old.kind):
                touched.append((old.id, hashed[0], hashed[1]))
            else:
                to_read.append((key, hashed))
        with store.write() as tx:
            tx.touch(touched)
        _add(store, pool, scan_id, to_read, removals, spelled, known, options, progress, skipped, tally, commit_every)
        _compare(store, pool, options)
        result = _result(store, scan_id, tuple(resumed), _namer(paths, spelled), skipped, options, tally,
                         unchanged=len(unchanged), touched=len(touched))
        store.finish_scan([scan_id, *resumed], _summary(result.index))
    return result


def _unchanged(spelled: dict[bytes, sources.Candidate], known: dict[bytes, Known],
               options: ScanOptions) -> tuple[list[bytes], list[bytes]]:
    """Split the files found into those whose size, time and pipeline match the index, and the rest."""
    same, check = [], []
    for key, candidate in spelled.items():
        old = known.get(key)
        if old is not None and old.version == document_version(candidate.kind):
            try:
                st = os.stat(candidate.path, follow_symlinks=options.follow_symlinks)
            except OSError:
                st = None
            if st is not None and st.st_size == old.size and st.st_mtime_ns == old.mtime_ns:
                same.append(key)
                continue
        check.append(key)
    return same, check


def _reason(path: bytes, skipped: dict[bytes, str]) -> str:
    """Say why an indexed file under the scanned paths is no longer a document."""
    if path in skipped:
        return skipped[path]
    return "not-scanned" if os.path.lexists(path) else "gone"


def _add(store: Store, pool: _Pool, scan_id: int, to_read: Sequence[tuple[bytes, tuple[int, int, bytes]]],
         removals: list[tuple[Known, str]], spelled: dict[bytes, sources.Candidate], known: dict[bytes, Known],
         options: ScanOptions, progress: Progress, skipped: list[sources.Skipped], tally: _Tally,
         commit_every: int) -> None:
    """Fingerprint the new and changed files (or reuse a stored fingerprint) and write them in batches.

    The documents to remove go in the first batch, so that a renamed file
    rejoins its group, which keeps its id, in the same transaction.
    """
    bands = index.bands_for(options.threshold, options.num_perm)
    with store.read() as tx:
        reusable = {(f.content_hash, f.kind, f.version): f for f in tx.fingerprints(h[2] for _, h in to_read)}
    ready: list[NewDocument] = []
    to_sign: list[tuple[bytes, tuple[int, int, bytes]]] = []
    for key, (size, mtime, digest) in to_read:
        kind = spelled[key].kind
        change = "changed" if key in known else "new"
        stored = reusable.get((digest, kind, document_version(kind)))
        if stored is None:
            to_sign.append((key, (size, mtime, digest)))
            continue
        keys = index.band_keys(stored.signature[None, :], bands)[0]
        ready.append(NewDocument(key, size, mtime, digest, stored.version, stored.encoding, kind, stored.words,
                                 stored.signature, stored.shingles, keys, change))
    progress.start(len(to_sign))
    last = time.monotonic()

    def commit() -> None:
        nonlocal last
        with store.write() as tx:
            _apply(tx, scan_id, ready, removals, options, tally)
        ready.clear()
        removals.clear()
        last = time.monotonic()

    signed = _map_batches(pool, sign_batch, [spelled[k] for k, _ in to_sign], options)
    for (key, (size, mtime, digest)), item in zip(to_sign, signed, strict=True):
        if isinstance(item, sources.Skipped):
            skipped.append(item)
            if key in known:
                removals.append((known[key], item.reason))
        else:
            change = "changed" if key in known else "new"
            ready.append(NewDocument(key, size, mtime, digest, document_version(item.kind), item.encoding,
                                     item.kind, item.words, item.signature, item.shingles, item.keys, change))
        progress.advance(1)
        if len(ready) + len(removals) >= commit_every or time.monotonic() - last >= COMMIT_SECONDS:
            commit()
    if ready or removals:
        commit()


def _apply(tx: Transaction, scan_id: int, documents: Sequence[NewDocument], removals: Sequence[tuple[Known, str]],
           options: ScanOptions, tally: _Tally) -> None:
    """Take documents out and put documents in (replacing any at the same path), and regroup what that touches."""
    now = tx.ids_of([d.path for d in documents] + [k.path for k, _ in removals])
    removed = [(k, reason) for k, reason in removals if now.get(k.path) == k.id]  # else someone else did it
    out = {now[d.path] for d in documents if d.path in now} | {k.id for k, _ in removed}
    before = tx.load_groups(tx.groups_of(out)) if out else []
    left = {m.doc: g.id for g in before for m in g.members}
    tx.log_removals(Removal(scan_id, k.path, reason, k.content_hash, left.get(k.id)) for k, reason in removed)
    tx.delete_groups([g.id for g in before])
    tx.remove_documents(out)
    seeds = set(left) - out
    held: dict[int, fingerprint.U32] = {}
    if documents:
        first = tx.next_id("documents", len(documents))
        pairs = _match(tx, scan_id, first, documents, options, tally)
        held = {first + n: d.shingles for n, d in enumerate(documents)}
        seeds |= set(held) | {p.a for p in pairs}
    if not seeds:
        return
    more = tx.load_groups(tx.groups_of(seeds))
    tx.delete_groups([g.id for g in more])
    before += more
    found = _regroup(tx, seeds | {m.doc for g in more for m in g.members}, before, held)
    tx.add_groups(found)
    previous = {g.id: (g.reference, {m.doc for m in g.members}) for g in before}
    assert tally.groups_changed is not None
    tally.groups_changed.update(g.id for g in found if previous.get(g.id) != (g.reference, {m.doc for m in g.members}))


def _match(tx: Transaction, scan_id: int, first: int, documents: Sequence[NewDocument], options: ScanOptions,
           tally: _Tally) -> list[groups.Pair]:
    """Insert the documents with ids from `first`, and find and store their verified pairs.

    Each band of the new documents is bucketed together with, for each of
    their keys, the smallest stored id under that key: a bucket is a star
    around its smallest id, as in a scan without an index.
    """
    keyed = [n for n, d in enumerate(documents) if d.words]
    keys = np.array([documents[n].keys for n in keyed], dtype=np.uint64).reshape(len(keyed), -1)
    ids = np.array(keyed, dtype=np.int64) + first
    centers = tx.band_centers(keys)
    tx.add_documents(first, documents, scan_id)
    found = []
    for band in range(keys.shape[1]):
        old = centers[:, band] >= 0
        stacked = np.stack([np.concatenate([keys[:, band], keys[old, band]]).view(np.int64),
                            np.concatenate([ids, centers[old, band]])], axis=1)
        stacked = np.unique(stacked, axis=0)
        found.append(index.bucket_edges(stacked[:, 0].view(np.uint64), stacked[:, 1]))
    edges = index.unique_edges(np.concatenate(found)) if found else np.empty((0, 2), dtype=np.int64)
    held = {first + n: d.shingles for n, d in enumerate(documents)}
    held.update(tx.shingles({int(a) for a in edges[:, 0] if a < first}))
    pairs = groups.verify(map(tuple, edges.tolist()), held.__getitem__, options.threshold, options.containment)
    tx.add_pairs((p.a, p.b, p.similarity, p.containment) for p in pairs)
    tally.candidate_pairs += len(edges)
    tally.verified_pairs += len(pairs)
    return pairs


def _regroup(tx: Transaction, nodes: set[int], before: Sequence[StoredGroup],
             held: dict[int, fingerprint.U32]) -> list[StoredGroup]:
    """Return the groups of `nodes`: the connected components of their stored pairs.

    A group keeps the id of the old group it shares most members with (the
    largest new group chooses first); a member keeps its measures and cached
    discrepancies when its reference is the same as before.
    """
    components = groups.components(tx.pairs_touching(nodes))
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
                a, b = held[ref], held[n]
                rows.append(StoredMember(n, fingerprint.jaccard(a, b), fingerprint.containment(a, b)))
        rows.sort(key=lambda m: (m.doc != ref, info[m.doc][1]))
        result.append(StoredGroup(gid, ref, tuple(rows)))
    return result


def _compare(store: Store, pool: _Pool, options: ScanOptions) -> None:
    """Compute and cache the discrepancies of every member that has none cached for its reference."""
    with store.read() as tx:
        waiting = tx.uncompared()
        paths = tx.words_and_paths({d for _, r, m in waiting for d in (r, m)})
    jobs: dict[int, tuple[int, list[int]]] = {}
    for group, ref, member in waiting:
        jobs.setdefault(group, (ref, []))[1].append(member)
    work = [(os.fsdecode(paths[ref][1]), [os.fsdecode(paths[m][1]) for m in members])
            for ref, members in jobs.values()]
    for (ref, members), found in zip(jobs.values(), _map(pool, _compare_job, work, options), strict=True):
        with store.write() as tx:
            for member, text in zip(members, found, strict=True):
                tx.set_discrepancies(member, ref, text)


def prune(location: str) -> IndexSummary:
    """Take out of the index every document whose file is gone, and regroup (no file is read).

    Raises:
        StoreError: there is no index at `location`, or it cannot be used.
    """
    with open_store(location, create=False) as store:
        scan_id, resumed = store.begin_scan(None, ["(prune)"], False)
        with store.read() as tx:
            everything = tx.known([os.fsencode(os.sep)])
        gone = [(k, "gone") for k in everything if not os.path.exists(k.path)]
        return _remove(store, scan_id, tuple(resumed), gone)


def forget(location: str, paths: Sequence[str]) -> IndexSummary:
    """Take the documents at or below `paths` out of the index, whether their files exist or not.

    Raises:
        StoreError: there is no index at `location`, or it cannot be used.
    """
    with open_store(location, create=False) as store:
        scan_id, resumed = store.begin_scan(None, ["(forget)", *paths], False)
        with store.read() as tx:
            found = tx.known([key_of(p) for p in paths])
        return _remove(store, scan_id, tuple(resumed), [(k, "forgotten") for k in found])


def _remove(store: Store, scan_id: int, resumed: tuple[int, ...], removals: Sequence[tuple[Known, str]]) -> IndexSummary:
    tally = _Tally(groups_changed=set())
    for start in range(0, len(removals), COMMIT_EVERY):
        with store.write() as tx:
            _apply(tx, scan_id, [], removals[start : start + COMMIT_EVERY], ScanOptions(), tally)
    result = _result(store, scan_id, resumed, os.fsdecode, [], ScanOptions(), tally, unchanged=0, touched=0)
    store.finish_scan([scan_id, *resumed], _summary(result.index))
    return result.index


def stats(location: str) -> dict[str, Any]:
    """Return what the index holds: counts, parameters, size and the latest scans.

    Raises:
        StoreError: there is no index at `location`, or it cannot be used.
    """
    with open_store(location, create=False) as store:
        with store.read() as tx:
            counts = tx.counts()
            scans = tx.scans(10)
        return {"location": store.location, "backend": store.backend, **counts,
                "size_bytes": store.size_bytes(), "parameters": store.parameters(), "scans": scans}


# -- the report ----------------------------------------------------------------------


def _namer(paths: Sequence[str], spelled: dict[bytes, sources.Candidate]) -> Callable[[bytes], str]:
    """Return how the report names a document: as the user spelled it, else by its absolute path.

    A file found by this scan keeps its spelling; one under a scanned folder
    but not found (removed) is named from that folder's spelling; any other
    document of the index by its absolute path.
    """
    roots = [(key_of(p).rstrip(b"/") + b"/", p) for p in paths]

    def shown(path: bytes) -> str:
        candidate = spelled.get(path)
        if candidate is not None:
            return candidate.path
        for prefix, spelling in roots:
            if path.startswith(prefix):
                return os.path.join(spelling, os.fsdecode(path[len(prefix):]))
        return os.fsdecode(path)

    return shown


def _result(store: Store, scan_id: int, resumed: tuple[int, ...], shown: Callable[[bytes], str],
            skipped: Sequence[sources.Skipped], options: ScanOptions, tally: _Tally,
            unchanged: int, touched: int) -> IndexedScanResult:
    """Read the whole index back as a scan result, with what this scan (and those it resumed) changed."""
    with store.read() as tx:
        listed = tx.listed()
        stored = tx.load_groups()
        removals = tx.removals([scan_id, *resumed])

    docs = {d.id: d for d in listed}
    group_of = {m.doc: g.id for g in stored for m in g.members}
    found = []
    for g in stored:
        ref = shown(docs[g.reference].path)
        members = []
        for m in sorted(g.members, key=lambda m: (m.doc != g.reference, docs[m.doc].path)):
            d = docs[m.doc]
            member = shown(d.path)
            members.append(Member(member, d.encoding, d.kind, d.words, m.similarity, m.containment,
                                  load_discrepancies(m.discrepancies, ref, member)))
        found.append(Group(g.id, tuple(members)))
    unique = tuple(Unique(shown(d.path), d.encoding, d.kind, d.words) for d in listed if d.id not in group_of)
    ours = {scan_id, *resumed}
    changes: list[IndexChange] = []
    arrived = {d.path: d for d in listed if d.scan in ours}
    renamed_from: dict[bytes, Removal] = {}
    by_hash: dict[bytes, list[Removal]] = {}
    for r in removals:
        if r.reason == "gone":
            by_hash.setdefault(r.content_hash, []).append(r)
    for path, d in arrived.items():
        if d.change == "new" and by_hash.get(d.content_hash):
            renamed_from[path] = by_hash[d.content_hash].pop(0)
    for path, d in arrived.items():
        source = renamed_from.get(path)
        if source is not None:
            changes.append(IndexChange(shown(path), "renamed", group_of.get(d.id), shown(source.path)))
        else:
            changes.append(IndexChange(shown(path), d.change, group_of.get(d.id)))
    used = {id(r) for r in renamed_from.values()}
    changes += [IndexChange(shown(r.path), "removed", r.group, reason=r.reason) for r in removals if id(r) not in used]
    assert tally.groups_changed is not None
    summary = IndexSummary(
        location=store.location, backend=store.backend, scan=scan_id, resumed=resumed, documents=len(listed),
        unchanged=unchanged, touched=touched, changes=tuple(changes),
        groups_changed=tuple(sorted(tally.groups_changed & {g.id for g in stored})),
    )
    return IndexedScanResult(
        options=options, bands=index.bands_for(options.threshold, options.num_perm), groups=tuple(found),
        unique=unique, skipped=tuple(sorted(skipped, key=lambda s: s.path)),
        candidate_pairs=tally.candidate_pairs, verified_pairs=tally.verified_pairs, index=summary,
    )


def _summary(summary: IndexSummary) -> dict[str, Any]:
    counts = Counter(c.change for c in summary.changes)
    return {"unchanged": summary.unchanged, "touched": summary.touched, **dict(sorted(counts.items()))}


def dump_discrepancies(found: Iterable[differ.Discrepancy]) -> str:
    """Return discrepancies as compact JSON, without paths (the report puts in the paths of the day)."""
    return json.dumps([[d.category.value, d.kind, d.severity, d.a_text, d.b_text, d.a.line, d.a.column,
                        d.b.line, d.b.column, *d.a_context, *d.b_context, d.note] for d in found],
                      ensure_ascii=True, separators=(",", ":"))


def load_discrepancies(text: str | None, a_path: str, b_path: str) -> tuple[differ.Discrepancy, ...]:
    """Return the discrepancies `dump_discrepancies` wrote, between the files at `a_path` and `b_path`."""
    if text is None:
        log.warning("the discrepancies of %s are not computed yet (another scan is changing its group)", b_path)
        return ()
    return tuple(
        differ.Discrepancy(differ.Category(c), kind, severity, a_text, b_text, differ.Position(a_path, al, ac),
                           differ.Position(b_path, bl, bc), (a0, a1), (b0, b1), note)
        for c, kind, severity, a_text, b_text, al, ac, bl, bc, a0, a1, b0, b1, note in json.loads(text)
    )


# -- work for the processes ----------------------------------------------------------


def _hash_batch(paths: Sequence[str], options: ScanOptions) -> list[tuple[int, int, bytes] | sources.Skipped]:
    """Return each file's size, modification time and SHA-256, or why it cannot be read."""
    return [_hash_file(path, options) for path in paths]


_OPEN = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)


def _hash_file(path: str, options: ScanOptions) -> tuple[int, int, bytes] | sources.Skipped:
    flags = _OPEN | (0 if options.follow_symlinks else getattr(os, "O_NOFOLLOW", 0))
    try:
        fd = os.open(path, flags)
    except FileNotFoundError as err:
        return sources.Skipped(path, "vanished", err.strerror or str(err))
    except OSError as err:
        return sources.Skipped(path, "unreadable", err.strerror or str(err))
    with open(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode):
            return sources.Skipped(path, "special-file", "no longer a regular file; never read")
        if st.st_size > options.max_bytes:
            return sources.Skipped(path, "too-large", f"{st.st_size} bytes, over --max-bytes {options.max_bytes}")
        try:
            digest = hashlib.file_digest(fh, "sha256").digest()
        except OSError as err:
            return sources.Skipped(path, "unreadable", err.strerror or str(err))
    return st.st_size, st.st_mtime_ns, digest


def _compare_job(job: tuple[str, list[str]], options: ScanOptions) -> list[str]:
    reference, members = job
    found = compare_group([reference, *members], options)
    return [dump_discrepancies(d) for d in found[1:]]


class _NoProgress:
    def start(self, total: int) -> None:
        pass

    def advance(self, step: int = 1) -> None:
        pass


class _Pool:
    """Worker processes, started on first use and only for more than one batch of work.

    They come from a fork server (or are spawned), never forked from this
    process, so they hold none of its descriptors: the index's lock and
    connection die with this process, however it ends.
    """

    def __init__(self, jobs: int) -> None:
        self._workers = jobs or os.cpu_count() or 1
        self._pool: Executor | None = None

    def executor(self, batches: int) -> Executor | None:
        if self._workers <= 1 or batches <= 1:
            return None
        if self._pool is None:
            method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
            self._pool = ProcessPoolExecutor(self._workers, mp_context=multiprocessing.get_context(method))
        return self._pool

    def __enter__(self) -> _Pool:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)


def _map(pool: _Pool, func: Callable[[T, ScanOptions], R], items: Sequence[T], options: ScanOptions) -> Iterator[R]:
    """Apply `func` to each item (a group to compare) in order, in the pool when there are more than a few."""
    executor = pool.executor(len(items) // 8)
    if executor is None:
        return (func(item, options) for item in items)
    return executor.map(func, items, repeat(options), chunksize=8)


def _map_batches(pool: _Pool, func: Callable[[Sequence[T], ScanOptions], list[R]], items: Sequence[T],
                 options: ScanOptions) -> Iterator[R]:
    """Apply `func` to batches of the items, in the pool when there are several, and yield each item's result."""
    batches = [list(items[start : start + _BATCH]) for start in range(0, len(items), _BATCH)]
    executor = pool.executor(len(batches))
    results = (func(b, options) for b in batches) if executor is None else executor.map(func, batches, repeat(options))
    for result in results:
        yield from result
