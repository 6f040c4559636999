"""Scan with a persistent index: the second scan costs only what changed.

A file whose size and modification time match the index is not read. One
whose size or time differ is hashed, and only a new content hash has it read
and fingerprinted again; a file with the content of a document the index
already holds (a rename, a copy) takes that document's fingerprint. Files the
index has under the scanned paths but the walk no longer finds are removed,
and reported as removed.

New documents are written in batches, one transaction each: in it a batch
is matched against everything already in the index and the groups it
touches are computed again (dedup.regroup). Discrepancies are computed for
the members whose reference is new to them and cached in the index, so a
group nobody touched costs nothing in later scans. The report holds what
the scan changed (dedup.changes): the groups it changed or that its
documents joined, and its documents that joined none; `report` reads the
whole index back.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import multiprocessing
import os
import pickle
import signal
import stat
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from functools import lru_cache
from itertools import chain, repeat
from typing import Any, NoReturn, TypeVar

from dedup import __version__, changes, collecting, fingerprint, index, markup, sources
from dedup.changes import (
    IndexChange,
    IndexedScanResult,
    IndexSummary,
    key_of,
    keys_of,
    namer,
    summary_counts,
)
from dedup.errors import OptionsError
from dedup.normalize import VERSION as NORMALIZER_VERSION
from dedup.options import ScanOptions
from dedup.regroup import apply
from dedup.scan import (
    Progress,
    ScanResult,
    compare_group,
    ignore_interrupt,
    no_workers,
    sign_batch,
    watch_scanner,
    workers,
)
from dedup.store import Known, NewDocument, Stamp, Store, open_store

__all__ = ["IndexChange", "IndexSummary", "IndexedScanResult", "forget", "parameters", "prune", "report", "scan",
           "stats"]

log = logging.getLogger(__name__)

COMMIT_EVERY = 1024  # documents written per transaction at most...
COMMIT_SECONDS = 2.0  # ...and at least this often: what an interruption can lose, what other scanners wait for
# Workers come from a fork server that takes about 0.4 s of CPU to import the pipeline: work that one process
# does in about a second is done without them, unless they were started already (`_Pool.ready`). A scan that
# finds many new files among many known ones starts the server first: 1,000 new files (200 copies) among
# 100,000 known took 1.49-1.62 s instead of 1.58-1.98 s; among 50,000 known, the same; among 1,000 known,
# 0.2 s more (waiting for the server).
_PARALLEL_FILES = 2048  # files to hash (hashing runs at a gigabyte a second or so)
_PARALLEL_BYTES = 8 << 20  # bytes of files to sign (about 8 MB a second)
_PARALLEL_WORDS = 250_000  # words in the groups to compare (about 4 µs a word)
_PARALLEL_NEW = 4096  # new files (about 8 MB): the fork server starts while the known files are examined
_WARM_KNOWN = 65_536  # ...or 256 new files with so many known: examining them outlasts the server's start
_BATCH = 256  # files a worker hashes, signs or compares per task
# Known files examined in two processes (`_in_two`): forking costs a few milliseconds, examining 16,384 files 40.
# On Linux only: elsewhere a forked process may not use what its parent's threads held (macOS) or cannot be.
FORK_FILES = 16_384
_CAN_FORK = sys.platform == "linux"
_EXTRACTORS = {"pdf": "pypdfium2", "html": "trafilatura", "docx": "python-docx"}

T = TypeVar("T")
R = TypeVar("R")


def parameters(options: ScanOptions) -> dict[str, Any]:
    """Return what fingerprints and groups depend on; an index refuses a scan with other values."""
    bands = index.bands_for(options.threshold, options.num_perm)
    return {
        "dedup_version": __version__, "normalizer_version": NORMALIZER_VERSION, "scheme": "affine32",
        "shingle_hash": fingerprint.SHINGLE_HASH,
        "num_perm": options.num_perm, "seed": options.seed, "bands": bands.bands, "rows": bands.rows,
        "shingle_size": options.shingle_size, "threshold": options.threshold,
        "containment": options.containment, "content_hash": "sha256",
    }


@lru_cache(maxsize=16)
def document_version(kind: str) -> str:
    """Return the version of the extraction and normalization that a document of `kind` goes through."""
    version = f"normalize {NORMALIZER_VERSION}"
    if kind == "markdown":
        version += f"; markup {markup.VERSION}"
    library = _EXTRACTORS.get(kind)
    if library is not None:
        from importlib import metadata  # here: 30 ms that a rescan of text files need not pay

        try:
            version += f"; {library} {metadata.version(library)}"
        except metadata.PackageNotFoundError:
            version += f"; {library} absent"
    return version


# -- the scan ----------------------------------------------------------------------

def scan(paths: Sequence[str], location: str, options: ScanOptions | None = None, rebuild: bool = False,
         progress: Progress | None = None, commit_every: int = COMMIT_EVERY) -> IndexedScanResult:
    """Scan `paths` into the index at `location` and return what the scan changed.

    Args:
        paths: files and folders, spelled as the user wants them reported.
        location: a SQLite file (created on first use) or a `postgresql://` URL.
        options: the settings; defaults when None.
        rebuild: empty an index built with other parameters and build it anew.
        progress: told how many files are read and when each is done.
        commit_every: the most documents written in one transaction.

    Returns:
        The groups this scan changed or that its documents joined, its documents in no group,
        its skipped files, and what it changed in the index (`IndexedScanResult.index`).

    Raises:
        SourceError: a path does not exist.
        StoreError: the index cannot be used (ParametersMismatch: built with other parameters).
    """
    options = options or ScanOptions()
    if options.engine != "local":
        raise OptionsError(f"--index works with the local engine only, not --engine {options.engine}")
    progress = progress or _NoProgress()
    # This process makes objects by the 100,000 (files, rows, documents), none in a cycle: with the garbage
    # collector on, a first scan of 100,000 documents took 1.5 s longer, 1.0 s of it this process's CPU.
    with collecting.paused():
        return _scan_into(paths, location, options, rebuild, progress, commit_every)


def _scan_into(paths: Sequence[str], location: str, options: ScanOptions, rebuild: bool, progress: Progress,
               commit_every: int) -> IndexedScanResult:
    """Scan `paths` into the index at `location` (`scan`, with the collector paused)."""
    candidates: list[sources.Candidate] = []
    skipped: list[sources.Skipped] = []
    for found in sources.discover(paths, options):
        if isinstance(found, sources.Candidate):
            candidates.append(found)
        else:
            skipped.append(found)
    keys = keys_of([c.path for c in candidates], paths, os.getcwd())
    spelled = dict(zip(keys, candidates, strict=True))  # distinct: `discover` yields a file found twice once
    with _Pool(options.jobs) as pool, open_store(location) as store:
        scan_id, resumed = store.begin_scan(parameters(options), list(paths), rebuild)
        with store.read() as tx:
            stamps = {s.path: s for s in changes.under(tx.stamps(), changes.scopes(paths))}
        new = len(spelled) - len(stamps)  # at least so many new files
        if new >= _PARALLEL_NEW or (new >= _BATCH and len(stamps) >= _WARM_KNOWN):
            pool.warm()  # its imports overlap the examination of the files known already
        unchanged, check = _unchanged(spelled, stamps, options)  # no transaction held open while files are examined
        gone = [s.id for path, s in stamps.items() if path not in spelled]
        with store.read() as tx:  # only the documents to look at again are read whole: their file changed or is gone
            known = {k.path: k for k in tx.documents([stamps[k].id for k in check if k in stamps] + gone)}
        touched: list[tuple[int, int, int]] = []
        to_read: list[tuple[bytes, tuple[int, int, bytes]]] = []
        skipped_keys = keys_of([s.path for s in skipped], paths, os.getcwd())
        why = dict(zip(skipped_keys, (s.reason for s in skipped), strict=True))
        roots = [key_of(p) for p in paths]
        removals = [(k, _reason(path, why, roots)) for path, k in known.items() if path not in spelled]
        hashes = _map_batches(pool, _hash_batch, [spelled[k].path for k in check], options,
                              parallel=len(check) > _PARALLEL_FILES)
        for key, hashed in zip(check, hashes, strict=True):
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
        _add(store, pool, scan_id, to_read, removals, spelled, known, options, progress, skipped, commit_every)
        _compare(store, pool, options, scan_id)
        if resumed:  # what an interrupted scan added is new in this report, not unchanged as well
            again = set(check)
            with store.read() as tx:
                unchanged -= sum(1 for d in tx.documents_of(resumed) if d.path in spelled and d.path not in again)
        result = changes.result(store, scan_id, tuple(resumed), namer(paths, spelled), skipped, options,
                                unchanged=unchanged, touched=len(touched))
        store.finish_scan([scan_id, *resumed], summary_counts(result.index))
    return result


def _unchanged(spelled: dict[bytes, sources.Candidate], stamps: dict[bytes, Stamp],
               options: ScanOptions) -> tuple[int, list[bytes]]:
    """Count the files found whose size, time and pipeline match the index, and return the others, in order.

    Examining every file is most of a rescan with nothing changed (a system
    call each, 2 µs here): with many files, a forked process examines the
    second half meanwhile (`_in_two`).
    """
    versions = {kind: document_version(kind) for kind in {c.kind for c in spelled.values()}}
    uid = os.geteuid() if hasattr(os, "geteuid") else -1
    gids = set(os.getgroups()) | {os.getegid()} if hasattr(os, "getegid") else set()

    def changed(found: Iterable[tuple[bytes, sources.Candidate]]) -> list[bytes]:
        examine = os.stat if options.follow_symlinks else os.lstat  # (no keyword to parse 100,000 times)
        check = []
        for key, candidate in found:
            old = stamps.get(key)
            if old is not None and old.version == versions[candidate.kind]:
                try:
                    st = examine(candidate.path)
                except OSError:
                    check.append(key)
                    continue
                if st.st_size == old.size and st.st_mtime_ns == old.mtime_ns and (
                        st.st_mode & 0o444 == 0o444 or _may_read(st, uid, gids)):
                    continue
            check.append(key)
        return check

    forked = len(stamps) >= FORK_FILES and _CAN_FORK and workers(options.jobs) > 1  # known files: examined
    check = _in_two(changed, list(spelled.items())) if forked else changed(spelled.items())
    return len(spelled) - len(check), check


def _may_read(st: os.stat_result, uid: int, gids: set[int]) -> bool:
    """Whether a file's permission bits let this process read it.

    A file made unreadable (chmod) keeps its size and time: the bits say to
    look at it again, and reading it tells (root may still read it).
    """
    if st.st_uid == uid:
        return bool(st.st_mode & stat.S_IRUSR)
    if st.st_gid in gids:
        return bool(st.st_mode & stat.S_IRGRP)
    return bool(st.st_mode & stat.S_IROTH)


def _reason(path: bytes, skipped: dict[bytes, str], roots: list[bytes]) -> str:
    """Say why an indexed file under the scanned paths (`roots`, where they are) is no longer a document."""
    if path in skipped:
        return skipped[path]
    if not changes.beneath(path, roots):
        return "moved"  # indexed where a scanned path was spelled to be, and is no longer (`changes.scopes`)
    return "not-scanned" if os.path.lexists(path) else "gone"


def _add(store: Store, pool: _Pool, scan_id: int, to_read: Sequence[tuple[bytes, tuple[int, int, bytes]]],
         removals: list[tuple[Known, str]], spelled: dict[bytes, sources.Candidate], known: dict[bytes, Known],
         options: ScanOptions, progress: Progress, skipped: list[sources.Skipped], commit_every: int) -> None:
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
            apply(tx, scan_id, ready, removals, options)
        ready.clear()
        removals.clear()
        last = time.monotonic()

    signed = _map_batches(pool, sign_batch, [spelled[k] for k, _ in to_sign], options,
                          parallel=pool.ready or sum(size for _, (size, _, _) in to_sign) > _PARALLEL_BYTES)
    if to_sign:  # meanwhile (the workers sign), what the new documents are bucketed with: every stored band key
        with store.read() as tx:
            tx.read_band_keys()
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

def _compare(store: Store, pool: _Pool, options: ScanOptions, scan_id: int) -> None:
    """Compute and cache the discrepancies of every member that has none cached for its reference.

    Their groups are logged as changed by scan `scan_id`: what the report shows
    of them is new (a group left so by an interrupted scan, or by `prune` or `forget`, too).
    """
    with store.read() as tx:
        waiting = tx.uncompared()
        paths = tx.words_and_paths({d for _, r, m in waiting for d in (r, m)})
    if waiting:
        with store.write() as tx:
            tx.log_touched(scan_id, sorted({group for group, _, _ in waiting}), ())
    jobs: dict[int, tuple[int, list[int]]] = {}
    for group, ref, member in waiting:
        jobs.setdefault(group, (ref, []))[1].append(member)
    work = [(os.fsdecode(paths[ref][1]), [os.fsdecode(paths[m][1]) for m in members])
            for ref, members in jobs.values()]
    done: list[tuple[int, int, str]] = []
    last = time.monotonic()
    words = sum(paths[d][0] for ref, members in jobs.values() for d in (ref, *members))
    parallel = pool.ready or words > _PARALLEL_WORDS
    for (ref, members), found in zip(jobs.values(), _map(pool, _compare_job, work, options, parallel), strict=True):
        done += [(member, ref, text) for member, text in zip(members, found, strict=True)]
        if len(done) >= COMMIT_EVERY or time.monotonic() - last >= COMMIT_SECONDS:
            _cache(store, done)
            last = time.monotonic()
    _cache(store, done)


def _cache(store: Store, done: list[tuple[int, int, str]]) -> None:
    """Write computed discrepancies (member, reference, JSON) in one transaction."""
    if done:
        with store.write() as tx:
            for member, ref, text in done:
                tx.set_discrepancies(member, ref, text)
        done.clear()


def prune(location: str) -> IndexSummary:
    """Take out of the index every document whose file is gone, and regroup.

    No file is read, but those of a group whose reference was taken out, to compare its members with the new one.

    Raises:
        StoreError: there is no index at `location`, or it cannot be used.
    """
    with open_store(location, create=False) as store:
        scan_id, resumed = store.begin_scan(_as_built(store), ["(prune)"], False)
        with store.read() as tx:
            stamps = tx.stamps()
        gone = [s.id for s in stamps if not os.path.exists(s.path)]  # no transaction held open meanwhile
        with store.read() as tx:
            found = tx.documents(gone)
        return _remove(store, scan_id, tuple(resumed), [(k, "gone") for k in found])


def forget(location: str, paths: Sequence[str]) -> IndexSummary:
    """Take the documents at or below `paths` out of the index, whether their files exist or not.

    No file is read, but those of a group whose reference was taken out, to compare its members with the new one.

    Raises:
        StoreError: there is no index at `location`, or it cannot be used.
    """
    with open_store(location, create=False) as store:
        scan_id, resumed = store.begin_scan(_as_built(store), ["(forget)", *paths], False)
        with store.read() as tx:
            found = tx.documents(s.id for s in changes.under(tx.stamps(), changes.scopes(paths)))
        return _remove(store, scan_id, tuple(resumed), [(k, "forgotten") for k in found])


def _remove(store: Store, scan_id: int, resumed: tuple[int, ...],
            removals: Sequence[tuple[Known, str]]) -> IndexSummary:
    options = _built_with(store)  # the buckets of the documents taken out get new centres (regroup._recentre)
    for start in range(0, len(removals), COMMIT_EVERY):
        with store.write() as tx:
            apply(tx, scan_id, [], removals[start : start + COMMIT_EVERY], options)
    with _Pool(0) as pool:  # a group whose reference was taken out is compared with its new one
        _compare(store, pool, options, scan_id)
    result = changes.result(store, scan_id, resumed, os.fsdecode, [], options, unchanged=0, touched=0)
    store.finish_scan([scan_id, *resumed], summary_counts(result.index))
    return result.index


def report(location: str) -> ScanResult:
    """Return the whole index as a scan result: every group, and every document in no group.

    Raises:
        StoreError: there is no index at `location`, or it cannot be used.
    """
    with open_store(location, create=False) as store:
        return changes.whole(store, _built_with(store))


def _as_built(store: Store) -> dict[str, Any] | None:
    """Return this dedup's parameters for the index's options, which `begin_scan` refuses if another dedup
    version or normalizer built the index: regrouping with this one's would mix the two (None: no scan yet)."""
    return parameters(_built_with(store)) if store.parameters() is not None else None


def _built_with(store: Store) -> ScanOptions:
    """Return the options of the scans that built the index (the defaults for an empty one)."""
    built = store.parameters() or {}
    return ScanOptions(**{k: built[k] for k in ("threshold", "containment", "shingle_size", "num_perm", "seed")
                          if k in built})


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
    return compare_group([reference, *members], options)[1:]


def _in_two(func: Callable[[Sequence[T]], list[R]], items: Sequence[T]) -> list[R]:
    """Return `func(items)`, computed over the first half here and the second in a forked process at once.

    The child shares this process's memory as it was (nothing is sent to
    it), sends back its half's result through a pipe and ends. It holds none
    of this process's descriptors (`_second_half`): the index's lock and
    connection, stdout and stderr stay this process's, and it dies with this
    process. A fork refused (a limit on processes, memory) or a child that
    fails has the work done here. Ctrl-C is held back while the two part:
    this process gets it, and ends the child.
    """
    half = len(items) // 2
    try:
        read, write = os.pipe()
    except OSError:
        return func(items)
    child, status, parent = -1, 1, os.getpid()
    try:
        with _interrupts_held():
            try:
                child = os.fork()
            except OSError:
                child = -1
            if child == 0:  # pragma: no cover (the child ends by _exit, before coverage could write)
                _second_half(func, items[half:], write, parent)
        os.close(write)
        write = -1
        if child < 0:
            return func(items)
        first = func(items[:half])
        with open(read, "rb", closefd=False) as answer:
            sent = answer.read()
    except BaseException:
        if child > 0:
            os.kill(child, signal.SIGKILL)
        raise
    finally:
        if child > 0:
            status = os.waitpid(child, 0)[1]
        for fd in (read, write):
            if fd >= 0:
                os.close(fd)
    second = pickle.loads(sent) if status == 0 else func(items[half:])
    return first + second


def _second_half(func: Callable[[Sequence[T]], list[R]], part: Sequence[T], write: int,
                 parent: int) -> NoReturn:  # pragma: no cover (runs in the forked process)
    """In the forked process: drop the parent's descriptors, compute, send the result, and end without cleanup.

    Killed with its parent (Linux's parent-death signal): an orphan held the
    output open, so that a reader of the scan's report waited for it.
    """
    import ctypes  # here: a scan that does not fork does not pay for it

    status = 1
    try:
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # gone before the signal was asked for
            os._exit(1)
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        for fd in map(int, os.listdir("/proc/self/fd")):  # (closerange up to the limit may close a million)
            if fd > 2 and fd != write:
                with contextlib.suppress(OSError):  # the listing's own, closed already
                    os.close(fd)
        data = pickle.dumps(func(part), protocol=pickle.HIGHEST_PROTOCOL)
        with open(write, "wb") as out:
            out.write(data)
        status = 0
    finally:
        os._exit(status)  # no cleanup: what it would flush or close is its parent's


_PR_SET_PDEATHSIG = 1


class _NoProgress:
    def start(self, total: int) -> None:
        pass

    def advance(self, step: int = 1) -> None:
        pass


class _Pool:
    """Worker processes, started on first use, for work that one process would take more than about a second for.

    They come from a fork server (or are spawned), never forked from this
    process, so they hold none of its descriptors: the index's lock and
    connection die with this process, however it ends. The server imports
    the pipeline once, and each worker it forks starts with it in a few
    milliseconds (each imported it anew before: 0.3 s of CPU a worker). A
    scan that finds many new files starts the server before it examines the
    known ones (`warm`), so that the imports run on another core meanwhile.
    A worker whose scan process is gone (kill -9) stops within a second
    instead of working through the queued batches.
    """

    def __init__(self, jobs: int) -> None:
        self._workers = workers(jobs)
        self._pool: Executor | None = None
        self._warm = False

    def executor(self) -> Executor | None:
        if self._workers <= 1:
            return None
        if self._pool is None:
            with _interrupts_held():  # a worker whose start Ctrl-C cut short failed, with a traceback
                self.warm()
                try:
                    self._pool = ProcessPoolExecutor(self._workers, mp_context=_context(), initializer=_watch,
                                                     initargs=(os.getpid(),))
                    for _ in range(self._workers):
                        self._pool.submit(int)  # each starts a worker now, rather than with the first batches
                except OSError as err:
                    self._cannot_start(err)
        return self._pool

    def _cannot_start(self, err: OSError) -> None:
        """Work in this process from now on: no process could be started (a limit, an interpreter out of reach).

        The error was a broken pipe to Python's resource tracker, which click
        took for a closed stdout: the scan ended with status 1 and no message.
        """
        no_workers(err)
        self._workers, self._warm = 1, False
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def warm(self) -> None:
        """Start the fork server now, to import the pipeline while this process goes on with its work.

        The server starts with Ctrl-C ignored, as its workers run: it ignores it
        itself only once it has imported the pipeline, and a Ctrl-C before
        that printed its traceback under dedup's "interrupted".
        """
        if self._workers > 1 and _context().get_start_method() == "forkserver":
            self._warm = True
            from multiprocessing import forkserver

            try:
                previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # what the server inherits
            except ValueError:  # not the main thread, which alone gets Ctrl-C
                previous = None
            try:
                forkserver.ensure_running()
            except OSError as err:
                self._cannot_start(err)
            finally:
                if previous is not None:
                    signal.signal(signal.SIGINT, previous)

    @property
    def ready(self) -> bool:
        """Whether the workers run or their server is started: then any work of more than a batch goes to them."""
        return self._pool is not None or self._warm

    def __enter__(self) -> _Pool:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)


@contextmanager
def _interrupts_held() -> Iterator[None]:
    """Hold Ctrl-C (SIGINT) back in this thread until the block ends; processes started meanwhile keep holding it."""
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT}) if hasattr(signal, "pthread_sigmask") else None
    try:
        yield
    finally:
        if held is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)


@lru_cache(maxsize=1)
def _context() -> multiprocessing.context.BaseContext:
    """Return the fork server's context, which has the server import this module and simplemma (or spawn's)."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__, "simplemma"])  # simplemma: 0.1-0.2 s, for the comparisons
    return context


def _watch(scanner: int) -> None:
    """In a worker: ignore Ctrl-C (see `ignore_interrupt`); exit as soon as the scanning process `scanner` is gone."""
    ignore_interrupt()
    watch_scanner(scanner)


def _map(pool: _Pool, func: Callable[[T, ScanOptions], R], items: Sequence[T], options: ScanOptions,
         parallel: bool) -> Iterator[R]:
    """Apply `func` to each item (a group to compare) in order, in the pool if `parallel`."""
    executor = pool.executor() if parallel else None
    if executor is None:
        return (func(item, options) for item in items)
    return executor.map(func, items, repeat(options), chunksize=8)


def _map_batches(pool: _Pool, func: Callable[[Sequence[T], ScanOptions], list[R]], items: Sequence[T],
                 options: ScanOptions, parallel: bool) -> Iterator[R]:
    """Apply `func` to batches of the items, in the pool if `parallel` (all sent at once), and yield each item's
    result."""
    batches = [list(items[start : start + _BATCH]) for start in range(0, len(items), _BATCH)]
    executor = pool.executor() if parallel and len(batches) > 1 else None
    results = (func(b, options) for b in batches) if executor is None else executor.map(func, batches, repeat(options))
    return chain.from_iterable(results)
