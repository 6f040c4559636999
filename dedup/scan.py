"""The pipeline: sources -> normalize -> fingerprint -> index -> groups -> differ -> result."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from dedup import differ, fingerprint, groups, index, sources
from dedup.normalize import normalize
from dedup.options import ScanOptions

log = logging.getLogger(__name__)


class Progress(Protocol):
    """Receives progress of a scan; the CLI draws it on stderr."""

    def start(self, total: int) -> None: ...

    def advance(self, step: int = 1) -> None: ...


class _NoProgress:
    def start(self, total: int) -> None:
        pass

    def advance(self, step: int = 1) -> None:
        pass


@dataclass(frozen=True)
class Member:
    """A document in a group, measured against the group's reference."""

    path: str
    encoding: str
    kind: str
    words: int
    similarity: float
    containment: float
    discrepancies: tuple[differ.Discrepancy, ...]


@dataclass(frozen=True)
class Group:
    """Near-duplicate documents; `members[0]` is the reference."""

    id: int
    members: tuple[Member, ...]

    @property
    def reference(self) -> Member:
        return self.members[0]


@dataclass(frozen=True)
class Unique:
    """A document that was read and has no near-duplicate."""

    path: str
    encoding: str
    kind: str
    words: int


@dataclass(frozen=True)
class ScanResult:
    """Everything a scan found; every file seen is in exactly one of groups, unique, skipped."""

    options: ScanOptions
    bands: index.Bands
    groups: tuple[Group, ...]
    unique: tuple[Unique, ...]
    skipped: tuple[sources.Skipped, ...]
    candidate_pairs: int
    verified_pairs: int


def scan(paths: Sequence[str], options: ScanOptions | None = None, progress: Progress | None = None) -> ScanResult:
    """Find the groups of near-duplicate documents among `paths`.

    Args:
        paths: files and folders, spelled as the user wants them reported.
        options: the settings; defaults when None.
        progress: told how many files there are and when each is done.

    Returns:
        The groups with each member's discrepancies, the unique documents and the skipped files.

    Raises:
        SourceError: a path does not exist.
    """
    options = options or ScanOptions()
    progress = progress or _NoProgress()
    found = list(sources.discover(paths, options))
    progress.start(sum(1 for f in found if isinstance(f, sources.Candidate)))
    documents: list[sources.Document] = []
    skipped: list[sources.Skipped] = []
    prints: list[fingerprint.Fingerprint] = []
    for item in found:
        if isinstance(item, sources.Skipped):
            skipped.append(item)
            continue
        read = sources.read(item, options)
        progress.advance()
        if isinstance(read, sources.Skipped):
            skipped.append(read)
            continue
        documents.append(read)
        text = normalize(read.text).text
        prints.append(fingerprint.fingerprint(text, options.shingle_size, options.num_perm, options.seed))
    bands = index.bands_for(options.threshold, options.num_perm)
    candidates = index.candidate_pairs([p.signature for p in prints], bands, options.seed)
    verified = groups.verify(candidates, prints, options.threshold, options.containment)
    clusters = groups.cluster(verified, prints)
    log.info("%d documents, %d candidate pairs, %d verified, %d groups",
             len(documents), len(candidates), len(verified), len(clusters))
    grouped = {n for c in clusters for n in c.members}
    return ScanResult(
        options=options,
        bands=bands,
        groups=tuple(_group(k + 1, c, documents, prints) for k, c in enumerate(clusters)),
        unique=tuple(
            Unique(d.path, d.encoding, d.kind, prints[n].tokens)
            for n, d in enumerate(documents)
            if n not in grouped
        ),
        skipped=tuple(sorted(skipped, key=lambda s: s.path)),
        candidate_pairs=len(candidates),
        verified_pairs=len(verified),
    )


def _group(
    group_id: int,
    cluster: groups.Cluster,
    documents: Sequence[sources.Document],
    prints: Sequence[fingerprint.Fingerprint],
) -> Group:
    ref_doc = documents[cluster.reference]
    reference = differ.Version.of(ref_doc.path, ref_doc.text)
    members = []
    for n, sim, cont in zip(cluster.members, cluster.similarity, cluster.containment, strict=True):
        doc = documents[n]
        found = () if n == cluster.reference else tuple(
            differ.compare(reference, differ.Version.of(doc.path, doc.text))
        )
        members.append(Member(doc.path, doc.encoding, doc.kind, prints[n].tokens, sim, cont, found))
    return Group(group_id, tuple(members))


def diff_files(path_a: str, path_b: str, options: ScanOptions | None = None) -> differ.Comparison:
    """Compare two files directly, without an index.

    Raises:
        SourceError: a file does not exist or cannot be read as a document.
    """
    from dedup.errors import SourceError

    options = options or ScanOptions()
    versions = []
    for path in (path_a, path_b):
        found = list(sources.discover([path], options))
        item = found[0] if found else None
        if isinstance(item, sources.Candidate):
            item = sources.read(item, options)
        if not isinstance(item, sources.Document):
            reason = item.detail if item is not None else "nothing to read"
            raise SourceError(f"cannot read {path}: {reason}")
        versions.append(differ.Version.of(item.path, item.text))
    a, b = versions
    sa = fingerprint.shingle_hashes(fingerprint.tokens(a.normalized.text), options.shingle_size)
    sb = fingerprint.shingle_hashes(fingerprint.tokens(b.normalized.text), options.shingle_size)
    return differ.Comparison(a.path, b.path, fingerprint.jaccard(sa, sb), tuple(differ.compare(a, b)))
