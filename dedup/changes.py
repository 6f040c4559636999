"""What a scan with an index changed, as a scan result, and the whole index read back as one."""

from __future__ import annotations

import bisect
import logging
import os
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any, TypeVar

from dedup import collecting, index, sources
from dedup.options import ScanOptions
from dedup.scan import Group, PackedMember, ScanResult, Unique
from dedup.store import Known, Removal, Stamp, Store, StoredGroup

D = TypeVar("D", Known, Stamp)  # a document as the index has it, whole or its stamp

log = logging.getLogger(__name__)


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
    """A scan with an index: its groups and unique documents are those the scan changed (`changes.result`)."""

    index: IndexSummary


def key_of(path: str, cwd: str | None = None) -> bytes:
    """Return the key of a file or folder the user named: where it is (`sources.resolved`), as bytes (any name fits).

    `cwd`, the current folder read once, spares a getcwd() call per file in a large scan.
    """
    return os.fsencode(sources.resolved(path, cwd or os.getcwd()))


def keys_of(paths: Iterable[str], roots: Sequence[str], cwd: str) -> list[bytes]:
    """Return the key of each file found under `roots`: where it is (`sources.located`), as bytes.

    A folder scanned through a symbolic link and by its own name is one
    folder: its files were indexed twice, each a duplicate of itself.
    """
    return sources.located(paths, roots, cwd)


def scopes(paths: Sequence[str]) -> list[bytes]:
    """Return the keys of the paths a scan was given: where they are, and where they were spelled to be.

    A folder indexed as spelled that is now a link to another place (moved,
    with a link left behind), or indexed by a dedup that did not resolve
    links: the documents under its old key are in the scan's scope too, and go
    (`moved`; renamed when their files are found at the new key). A path
    with ".." has no such old key: ".." after a link is not where it seems.
    """
    cwd = os.getcwd()
    keys = [key_of(p, cwd) for p in paths]
    keys += [os.fsencode(os.path.normpath(os.path.join(cwd, p))) for p in paths if ".." not in PurePath(p).parts]
    return list(dict.fromkeys(keys))


def beneath(path: bytes, roots: Iterable[bytes]) -> bool:
    """Return whether `path` is one of `roots` or below one."""
    return any(path == root or path.startswith(root.rstrip(b"/") + b"/") for root in roots)


def namer(paths: Sequence[str], spelled: dict[bytes, sources.Candidate]) -> Callable[[bytes], str]:
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


def under(documents: Sequence[D], roots: Iterable[bytes]) -> list[D]:
    """Return the documents (in path order) at the given paths or below them: the scope of a scan."""
    spans = []
    for root in roots:
        base = root.rstrip(b"/")
        for lo, hi in ((root, root + b"\0"), (base + b"/", base + b"0")):  # "0" follows "/"
            spans.append((bisect.bisect_left(documents, lo, key=_path), bisect.bisect_left(documents, hi, key=_path)))
    found: list[D] = []
    end = 0
    for start, stop in sorted(spans):  # slices of the sorted documents, each taken once
        if stop > end:
            found += documents[max(start, end) : stop]
            end = stop
    return found


def _path(document: Known | Stamp) -> bytes:
    return document.path


def result(store: Store, scan_id: int, resumed: tuple[int, ...], shown: Callable[[bytes], str],
           skipped: Sequence[sources.Skipped], options: ScanOptions, unchanged: int, touched: int) -> IndexedScanResult:
    """Return what this scan (and those it resumed) changed in the index, as a scan result.

    Its groups are those the scan changed or that a document it added joined,
    each with all its members; its unique documents are those it added that
    are in no group, and those left alone by a group it dissolved. A group
    nobody touched is not read: `whole` reads the whole index. Documents
    another scanner of a shared index added meanwhile are not this scan's.
    """
    ours = [scan_id, *resumed]
    with collecting.paused(), store.read() as tx:  # objects by the 100,000 after a first scan, no cycles
        arrived = tx.documents_of(ours)
        removals = tx.removals(ours)
        changed, ungrouped = tx.touched(ours)  # as the transactions of all these scans logged it
        candidate_pairs, verified_pairs = tx.tally(ours)
        left = {r.group for r in removals if r.group is not None}
        wanted = tx.groups_of(d.id for d in arrived) | changed | left
        stored = tx.load_groups(wanted) if wanted else []
        group_of = {m.doc: g.id for g in stored for m in g.members}
        docs = {d.id: d for d in arrived}
        docs |= {d.id: d for d in tx.documents((set(group_of) | ungrouped) - set(docs))}  # the rest, read once
        count = tx.counts()["documents"]
    listed = {d.id for d in arrived} | set(group_of)
    alone = [docs[n] for n in ungrouped if n in docs and n not in listed]
    unique = sorted([d for d in arrived if d.id not in group_of] + alone, key=_path)
    changes: list[IndexChange] = []
    renamed_from: dict[bytes, Removal] = {}
    by_hash: dict[bytes, list[Removal]] = {}
    for r in removals:
        if r.reason in ("gone", "moved"):
            by_hash.setdefault(r.content_hash, []).append(r)
    for d in arrived:
        if d.change == "new" and by_hash.get(d.content_hash):
            renamed_from[d.path] = by_hash[d.content_hash].pop(0)
    for d in arrived:
        source = renamed_from.get(d.path)
        if source is not None:
            changes.append(IndexChange(shown(d.path), "renamed", group_of.get(d.id), shown(source.path)))
        else:
            changes.append(IndexChange(shown(d.path), d.change, group_of.get(d.id)))
    used = {id(r) for r in renamed_from.values()}
    changes += [IndexChange(shown(r.path), "removed", r.group, reason=r.reason) for r in removals if id(r) not in used]
    summary = IndexSummary(
        location=store.location, backend=store.backend, scan=scan_id, resumed=resumed, documents=count,
        unchanged=unchanged, touched=touched, changes=tuple(changes),
        groups_changed=tuple(g.id for g in stored),
    )
    return IndexedScanResult(
        options=options, bands=index.bands_for(options.threshold, options.num_perm),
        groups=_groups(stored, docs, shown), unique=_unique(unique, shown),
        skipped=tuple(sorted(skipped, key=lambda s: s.path)),
        candidate_pairs=candidate_pairs, verified_pairs=verified_pairs, index=summary,
    )


def whole(store: Store, options: ScanOptions) -> ScanResult:
    """Read the whole index back as a scan result: every group and every document in no group.

    Documents are named by their absolute paths; `verified_pairs` counts the
    pairs the index holds, and `candidate_pairs` the same (the candidates the
    scans rejected are not kept).
    """
    with collecting.paused(), store.read() as tx:
        documents = tx.documents()
        stored = tx.load_groups()
        pairs = tx.counts()["verified_pairs"]
    docs = {d.id: d for d in documents}
    grouped = {m.doc for g in stored for m in g.members}
    return ScanResult(
        options=options, bands=index.bands_for(options.threshold, options.num_perm),
        groups=_groups(stored, docs, os.fsdecode), unique=_unique([d for d in documents if d.id not in grouped],
                                                                  os.fsdecode),
        skipped=(), candidate_pairs=pairs, verified_pairs=pairs,
    )


def _groups(stored: Sequence[StoredGroup], docs: dict[int, Known], shown: Callable[[bytes], str]) -> tuple[Group, ...]:
    found = []
    for g in stored:
        ref = shown(docs[g.reference].path)
        members = []
        for m in sorted(g.members, key=lambda m: (m.doc != g.reference, docs[m.doc].path)):
            d = docs[m.doc]
            members.append(PackedMember(shown(d.path), d.encoding, d.kind, d.words, m.similarity, m.containment,
                                        m.discrepancies, ref))
        found.append(Group(g.id, tuple(members)))
    return tuple(found)


def _unique(documents: Iterable[Known], shown: Callable[[bytes], str]) -> tuple[Unique, ...]:
    return tuple(Unique(shown(d.path), d.encoding, d.kind, d.words) for d in documents)


def summary_counts(summary: IndexSummary) -> dict[str, Any]:
    counts = Counter(c.change for c in summary.changes)
    return {"unchanged": summary.unchanged, "touched": summary.touched, **dict(sorted(counts.items()))}
