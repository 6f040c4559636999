"""The pipeline: sources -> normalize -> fingerprint -> index -> groups -> differ -> result.

Documents stream through in batches, signed on all cores; what is kept per
document is its path, word count and LSH band keys. Shingle sets, needed to
verify candidates exactly, are spilled to a temporary file outside the
scanned folders; texts are read again only for the members of groups, when
their discrepancies are computed. Results come back in discovery order, so
the report does not depend on the number of processes.
"""

from __future__ import annotations

import gc
import itertools
import logging
import os
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, BinaryIO, NamedTuple, Protocol, TypeVar

import numpy as np

from dedup import collecting, differ, fingerprint, groups, index, sources
from dedup.normalize import words_text
from dedup.options import ScanOptions

log = logging.getLogger(__name__)

BATCH = 256  # documents a worker signs per task


class Progress(Protocol):
    """Receives progress of a scan; the CLI draws it on stderr."""

    def start(self, total: int) -> None: ...

    def advance(self, step: int = 1) -> None: ...


class _NoProgress:
    def start(self, total: int) -> None:
        pass

    def advance(self, step: int = 1) -> None:
        pass


@dataclass(frozen=True, slots=True)
class Signed:
    """What the index needs of one document: who it is, its size, its band keys and shingles.

    `signature` is the MinHash signature, which the persistent index keeps; a
    scan without an index never sends it from its workers (`sign_packed`).
    """

    path: str
    encoding: str
    kind: str
    words: int
    keys: index.U64
    shingles: fingerprint.U32
    signature: fingerprint.U32 = field(default_factory=lambda: np.empty(0, dtype=np.uint32))

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle the arrays as bytes: a worker's batch reaches the scan four times faster than as arrays."""
        return (_signed, (self.path, self.encoding, self.kind, self.words, self.keys.tobytes(),
                          self.shingles.tobytes(), self.signature.tobytes()))


def _signed(path: str, encoding: str, kind: str, words: int, keys: bytes, shingles: bytes, signature: bytes) -> Signed:
    """Unpickle a `Signed`: its arrays read-only views of the bytes."""
    return Signed(path, encoding, kind, words, np.frombuffer(keys, np.uint64), np.frombuffer(shingles, np.uint32),
                  np.frombuffer(signature, np.uint32))


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
    not_compared: str | None = None  # why it was not compared with the reference (None: it was)


class PackedMember(Member):
    """A member whose discrepancies stay as `differ.pack` wrote them (in a worker, or the index's cache).

    A million discrepancies as objects take about a gigabyte and their
    pickling a good part of a worker's time; packed they are a string a
    member. The JSON report takes the fields as they are (`packed`), and
    `discrepancies` is decoded on first use (the terminal report, a library caller).
    """

    def __init__(self, path: str, encoding: str, kind: str, words: int, similarity: float, containment: float,
                 packed: str | None, reference: str) -> None:
        for name, value in (("path", path), ("encoding", encoding), ("kind", kind), ("words", words),
                            ("similarity", similarity), ("containment", containment), ("reference", reference),
                            ("_text", packed), ("_fields", None), ("_decoded", None)):
            object.__setattr__(self, name, value)  # frozen, as Member

    reference: str  # the path of the group's reference, as shown

    @property  # Member's field, decoded on first use
    def discrepancies(self) -> tuple[differ.Discrepancy, ...]:
        decoded: tuple[differ.Discrepancy, ...] | None = self.__dict__["_decoded"]
        if decoded is None:
            decoded = tuple(differ.unpack(fields, self.reference, self.path) for fields in self.packed())
            object.__setattr__(self, "_decoded", decoded)
        return decoded

    @property  # Member's field: from the packed text
    def not_compared(self) -> str | None:
        text = self.__dict__["_text"]
        if text is None:
            return "not computed yet: another scan is changing its group"
        return differ.not_compared_reason(text)

    def packed(self) -> list[list[Any]]:
        """Return the discrepancies as a list of fields each (`differ.packed_fields`); none when not compared."""
        fields: list[list[Any]] | None = self.__dict__["_fields"]
        if fields is None:
            fields = [] if self.not_compared is not None else differ.packed_fields(self.__dict__["_text"])
            object.__setattr__(self, "_fields", fields)
        return fields


@dataclass(frozen=True)
class Group:
    """Near-duplicate documents; `members[0]` is the reference."""

    id: int
    members: tuple[Member, ...]

    @property
    def reference(self) -> Member:
        return self.members[0]


class Unique(NamedTuple):
    """A document that was read and has no near-duplicate.

    A scan without an index, and the Dask engine, keep one for each document
    they sign (its arrays go to a spill file or stay on the workers), and the
    report lists those in no group as they are. A named tuple: a million of
    them are made in the scanning process, at a fifth of the cost of a frozen
    dataclass, on a core the workers need.
    """

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


# -- pure stage functions, shared by the engines --------------------------------


Reader = Callable[[sources.Candidate, ScanOptions], sources.Document | sources.Skipped]
"""Reads one file: `sources.read` for local paths; an engine may bring another (dedup.engines.urls)."""


def sign_batch(batch: Sequence[sources.Candidate], options: ScanOptions,
               reader: Reader = sources.read) -> list[Signed | sources.Skipped]:
    """Read, normalize and fingerprint a batch of files (the unit of work a process is given).

    The words of up to about four million characters are fingerprinted at
    once (`fingerprint.fingerprints`), so a batch of large files holds no
    more text than that at a time.
    """
    bands = index.bands_for(options.threshold, options.num_perm)
    out: list[Signed | sources.Skipped | None] = []
    waiting: list[tuple[int, sources.Document, str]] = []  # its place in `out`, the document, its words
    size = 0
    for candidate in batch:
        try:
            read = reader(candidate, options)
            if isinstance(read, sources.Skipped):
                out.append(read)
                continue
            words = words_text(read.text)
        except Exception as err:  # a fault of dedup's own on this file: the file is reported, the scan goes on
            out.append(_failed(candidate.path, err))
            continue
        waiting.append((len(out), replace(read, text=""), words))
        out.append(None)
        size += len(words)
        if size >= _SIGN_CHARACTERS:
            _sign(waiting, out, options, bands)
            waiting, size = [], 0
    _sign(waiting, out, options, bands)
    return [item for item in out if item is not None]


_SIGN_CHARACTERS = 1 << 22


@dataclass(frozen=True)
class SignedBatch:
    """A signed batch as a scan without an index keeps it: a record per document, the arrays in one piece each.

    A worker sends it so because the scanning process shares the cores with
    the workers: a `Signed` a document (three arrays each), pickled, sent and
    made again, cost the processes together about 27 µs a document more
    (100,000 documents: 68.0 -> 65.3 s of CPU, 36.7 -> 35.2 s wall).
    """

    documents: list[tuple[str, str, str, int]]  # path, encoding, kind, words of each document signed
    keyed: list[int]  # the positions in `documents` of those with words (a document without pairs with none)
    keys: bytes  # their band keys: uint64, one row of bands each
    sizes: list[int]  # how many shingles each document has
    shingles: bytes  # the documents' shingle sets, uint32, one after the other
    skipped: list[sources.Skipped]


def sign_packed(batch: Sequence[sources.Candidate], options: ScanOptions) -> SignedBatch:
    """Sign a batch (`sign_batch`) and pack it for a scan without an index (its signatures are not kept)."""
    documents: list[tuple[str, str, str, int]] = []
    keyed: list[int] = []
    keys: list[bytes] = []
    sizes: list[int] = []
    shingles: list[bytes] = []
    skipped: list[sources.Skipped] = []
    for item in sign_batch(batch, options):
        if isinstance(item, sources.Skipped):
            skipped.append(item)
            continue
        if item.words:
            keyed.append(len(documents))
            keys.append(item.keys.tobytes())
        sizes.append(len(item.shingles))
        shingles.append(item.shingles.tobytes())
        documents.append((item.path, item.encoding, item.kind, item.words))
    return SignedBatch(documents, keyed, b"".join(keys), sizes, b"".join(shingles), skipped)


def _sign(waiting: Sequence[tuple[int, sources.Document, str]], out: list[Signed | sources.Skipped | None],
          options: ScanOptions, bands: index.Bands) -> None:
    """Fingerprint the waiting documents and put each one's `Signed` in its place in `out`.

    If dedup fails on the batch, each document is fingerprinted alone, and the
    one it fails on is reported (`_failed`).
    """
    if not waiting:
        return
    try:
        found = fingerprint.fingerprints([words for _, _, words in waiting], options.shingle_size,
                                         options.num_perm, options.seed)
        keys = index.band_keys(np.stack([f.signature for f in found]), bands)
    except Exception as err:  # a fault of dedup's own
        if len(waiting) > 1:
            for one in waiting:
                _sign([one], out, options, bands)
        else:
            out[waiting[0][0]] = _failed(waiting[0][1].path, err)
        return
    for (place, doc, _), f, k in zip(waiting, found, keys, strict=True):
        out[place] = Signed(doc.path, doc.encoding, doc.kind, f.tokens, k, f.shingles, f.signature)


def compare_group(paths: Sequence[str], options: ScanOptions, reader: Reader = sources.read) -> list[str]:
    """Read a group's files again and return each member's discrepancies against the first (the reference), packed.

    A member that cannot be compared is packed with the reason instead (`differ.not_compared`): its file, or
    the reference's, cannot be read again, or dedup failed on it (a bug). The scanning process says so.
    """
    reference = _version(paths[0], options, reader)
    if isinstance(reference, str):
        return [differ.pack(()), *(differ.not_compared(f"the reference: {reference}") for _ in paths[1:])]
    return [differ.pack(()), *(_compared(reference, path, options, reader) for path in paths[1:])]


def _compared(reference: differ.Version, path: str, options: ScanOptions, reader: Reader) -> str:
    version = _version(path, options, reader)
    if isinstance(version, str):
        return differ.not_compared(version)
    try:
        return differ.pack(differ.compare(reference, version))
    except Exception as err:  # a fault of dedup's own on this pair
        return differ.not_compared(_failed(path, err).detail)


def _version(path: str, options: ScanOptions, reader: Reader) -> differ.Version | str:
    """Read a member again, or say why it cannot be compared."""
    kind = sources.TEXT_KINDS.get(os.path.splitext(path)[1].lower()) or sources.EXTRACTED_KINDS.get(
        os.path.splitext(path)[1].lower(), "text"
    )
    try:
        read = reader(sources.Candidate(path, kind), options)
        if isinstance(read, sources.Skipped):
            return f"its file could not be read again ({read.reason}: {read.detail})"
        return differ.Version.of(read.path, read.text)
    except Exception as err:  # a fault of dedup's own on this file
        return _failed(path, err).detail


def _failed(path: str, err: Exception) -> sources.Skipped:
    """Report a file dedup itself failed on (a bug), so that one file does not stop the scan of all the others.

    Running out of memory on it is no bug: the file is too large. With
    DEDUP_DEBUG set, the error is raised instead, with its traceback.
    """
    if os.environ.get("DEDUP_DEBUG"):
        raise err
    if isinstance(err, MemoryError):
        return sources.Skipped(path, "too-large", "dedup ran out of memory on it")
    message = f"{type(err).__name__}: {err}" if str(err) else type(err).__name__
    return sources.Skipped(path, "internal-error", f"dedup failed ({message}); please report it as a bug")


# -- the local engine -------------------------------------------------------------


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
        EngineError: the Dask engine is not installed or its cluster cannot be reached.

    The local engine pauses the garbage collector while it runs, for the whole
    process (all its threads), and restores it as it was, also on an error.
    """
    options = options or ScanOptions()
    progress = progress or _NoProgress()
    if options.engine == "dask":
        from dedup.engines import scan_on_dask

        return scan_on_dask(paths, options, progress)
    # This process makes an object or more for each document, none in a cycle: with the garbage
    # collector on, it walked them over and over (100,000 documents: 683 times, 0.41 s of its CPU).
    with collecting.paused():
        return _scan_here(paths, options, progress)


def _scan_here(paths: Sequence[str], options: ScanOptions, progress: Progress) -> ScanResult:
    """Scan with the local engine: sign in worker processes, group in this one, compare in the workers."""
    bands = index.bands_for(options.threshold, options.num_perm)
    found = list(sources.discover(paths, options))
    candidates = [f for f in found if isinstance(f, sources.Candidate)]
    skipped = [f for f in found if isinstance(f, sources.Skipped)]
    progress.start(len(candidates))
    with _executor(options.jobs, len(candidates)) as pool, tempfile.TemporaryFile(prefix="dedup-") as spill:
        # Kept per document: its `Unique` record (about 250 bytes with its path); its band keys go into
        # one array per batch, its shingles to the spill file.
        documents: list[Unique] = []
        offsets = [0]
        keys: list[index.U64] = []
        keyed: list[int] = []  # documents with words; one without has no shingles and pairs with nothing
        for batch in _map(pool, sign_packed, _batches(candidates), options):
            skipped += batch.skipped
            spill.write(batch.shingles)
            offsets += [offsets[-1] + total for total in itertools.accumulate(batch.sizes)]
            keyed += [len(documents) + n for n in batch.keyed]
            if batch.keyed:
                keys.append(np.frombuffer(batch.keys, np.uint64).reshape(len(batch.keyed), bands.bands))
            documents += map(Unique._make, batch.documents)  # a batch's encodings are one string each
            progress.advance(len(batch.documents) + len(batch.skipped))
        del found, candidates  # a Candidate per file: not needed any more
        shingles = _reader(spill, offsets)
        key_matrix = np.concatenate(keys) if keys else np.empty((0, bands.bands), dtype=np.uint64)
        del keys
        paired = index.candidates(key_matrix, np.array(keyed, dtype=np.int64), threads=workers(options.jobs))
        del key_matrix
        verified = groups.verify(map(tuple, paired.pairs.tolist()), shingles, options.threshold, options.containment)
        more = index.misfit_pairs(paired, index.as_edges((p.a, p.b) for p in verified))
        verified += groups.verify(map(tuple, more.tolist()), shingles, options.threshold, options.containment)
        tried = len(paired.pairs) + len(more)
        del paired
        clusters = groups.cluster(verified, [d.words for d in documents], shingles)
        log.info("%d documents, %d candidate pairs, %d verified, %d groups",
                 len(documents), tried, len(verified), len(clusters))
        member_paths = [[documents[n].path for n in c.members] for c in clusters]
        # Groups eight to a task, as the index does: one at a time, the scanning process spent a tenth of
        # the comparisons' time handing them out and taking the results, on a core the workers need.
        compared = list(_map(pool, compare_group, member_paths, options, chunksize=8)) if clusters else []
    return result_of(options, documents, clusters, compared, skipped, tried, len(verified))


def result_of(options: ScanOptions, documents: Sequence[Unique], clusters: Sequence[groups.Cluster],
              compared: Sequence[Sequence[str]], skipped: Iterable[sources.Skipped],
              candidate_pairs: int, verified_pairs: int) -> ScanResult:
    """Assemble the result of any engine: clusters index `documents` (in discovery order)."""
    grouped = {n for c in clusters for n in c.members}
    return ScanResult(
        options=options,
        bands=index.bands_for(options.threshold, options.num_perm),
        groups=tuple(_group(k + 1, c, documents, found)
                     for k, (c, found) in enumerate(zip(clusters, compared, strict=True))),
        unique=tuple(d for n, d in enumerate(documents) if n not in grouped),
        skipped=tuple(sorted(skipped, key=lambda s: s.path)),
        candidate_pairs=candidate_pairs,
        verified_pairs=verified_pairs,
    )


NO_SHINGLES = np.empty(0, dtype=np.uint32)
T = TypeVar("T")
R = TypeVar("R")


def _batches(items: Sequence[T]) -> Iterator[list[T]]:
    for start in range(0, len(items), BATCH):
        yield list(items[start : start + BATCH])


@contextmanager
def _executor(jobs: int, work: int) -> Iterator[Executor | None]:
    """Yield a process pool for `jobs` processes (0: all cores), or None to work in this process."""
    count = workers(jobs)
    if count <= 1 or work <= BATCH:
        yield None
        return
    pool = ProcessPoolExecutor(max_workers=count, initializer=_start_worker, initargs=(os.getpid(),))
    try:
        try:
            pool.submit(int)  # starts the workers: a process refused (a limit on processes, memory) is known now
        except OSError as err:  # it was an internal error
            no_workers(err)
            yield None
        else:
            yield pool
    finally:  # after Ctrl-C too: the batches not begun are dropped, not worked through
        pool.shutdown(cancel_futures=True)


def no_workers(err: OSError) -> None:
    """Say that the scan works in one process: none could be started (a limit on processes, memory)."""
    log.warning("cannot start worker processes (%s): this scan works in one process", err)


def workers(jobs: int) -> int:
    """Return how many processes (or threads) `--jobs` asks for: 0 means one a core, and never more than the cores.

    The work is all computing: a process more than the cores only costs its
    memory and its start (`-j 500` started 500 processes), and Windows refuses
    a pool of more than 61.
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    count = min(jobs, cores) if jobs else cores
    return min(count, 61) if os.name == "nt" else count


def _start_worker(scanner: int) -> None:
    """Start a worker of a scan: Ctrl-C ignored, the garbage collector on, and gone when the scan is.

    The scan pauses the collector in its own process, and a worker forked
    from it would start with the collector paused too; a worker's comparisons
    may leave cycles (an exception and its traceback) that only it frees.
    """
    ignore_interrupt()
    gc.enable()
    watch_scanner(scanner)


def watch_scanner(scanner: int) -> None:
    """In a worker: exit as soon as the scanning process `scanner` has ended (say, by kill -9).

    Workers wait for work on pipes they share with the scan, so nothing else
    ends them: they lived on, and held the scan's stdout open, so that a
    caller reading it to its end waited for ever. A process that has ended
    but is not reaped yet (a zombie, /proc says so on Linux) counts as ended.
    """

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if not _alive(scanner):
                os._exit(1)

    threading.Thread(target=watch, name="dedup-watch", daemon=True).start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, under another user
        pass
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rpartition(b")")[2].split()[0] != b"Z"  # the state follows the name, in ()
    except (OSError, IndexError):
        return True


def ignore_interrupt() -> None:
    """In a worker: ignore SIGINT, which Ctrl-C sends the whole process group; the scanning process stops the pool.

    A worker that took it would print a traceback when it happened to wait for work.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _map(pool: Executor | None, func: Callable[[T, ScanOptions], R], items: Iterable[T], options: ScanOptions,
         chunksize: int = 1) -> Iterator[R]:
    """Apply `func` to each item in order, in the pool when there is one, `chunksize` items to a task."""
    if pool is None:
        return (func(item, options) for item in items)
    return pool.map(func, items, itertools.repeat(options), chunksize=chunksize)


def _reader(spill: BinaryIO, offsets: list[int]) -> groups.Shingles:
    spill.flush()
    data = _load(spill, offsets[-1])

    def shingles(n: int) -> fingerprint.U32:
        return data[offsets[n] : offsets[n + 1]]

    return shingles


def _load(spill: BinaryIO, size: int) -> fingerprint.U32:
    """Map the spilled shingles read-only (no copy in memory for a large scan).

    As a plain array over the mapping: a slice of an `np.memmap` is a memmap too, made
    in Python, and took two fifths of the verification's time.
    """
    if size == 0:
        return NO_SHINGLES
    return np.asarray(np.memmap(spill, dtype=np.uint32, mode="r", shape=(size,)))


def _group(group_id: int, cluster: groups.Cluster, documents: Sequence[Unique], found: Sequence[str]) -> Group:
    reference = documents[cluster.members[0]].path
    members: list[Member] = []
    for n, sim, cont, packed in zip(cluster.members, cluster.similarity, cluster.containment, found, strict=True):
        doc = documents[n]
        members.append(PackedMember(doc.path, doc.encoding, doc.kind, doc.words, sim, cont, packed, reference))
    return Group(group_id, tuple(members))


def diff_files(path_a: str, path_b: str, options: ScanOptions | None = None) -> differ.Comparison:
    """Compare two files directly, without an index.

    Raises:
        SourceError: a file does not exist or cannot be read as a document.
    """
    options = options or ScanOptions()
    a, b = (differ.Version.of(d.path, d.text) for d in (sources.read_named(p, options) for p in (path_a, path_b)))
    sa = fingerprint.shingle_hashes(fingerprint.tokens(a.normalized.text), options.shingle_size)
    sb = fingerprint.shingle_hashes(fingerprint.tokens(b.normalized.text), options.shingle_size)
    return differ.Comparison(a.path, b.path, fingerprint.jaccard(sa, sb), tuple(differ.compare(a, b)))
