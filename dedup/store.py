"""Where the persistent index keeps documents, fingerprints and groups between scans.

One storage interface (`Store`, `Transaction`) with two implementations over
the same tables: SQLite, one file in WAL mode, the embedded default; and
PostgreSQL (psycopg 3, `pip install 'dedup[postgres]'`), chosen by a
`postgresql://` URL, for several scanners writing at once.

Every change is made in a write transaction that holds the index's one write
lock (SQLite's own, or a PostgreSQL advisory lock), so a batch of documents is
matched against everything committed before it and is either wholly in the
index or not at all. Foreign keys make the database itself refuse a group
that names a missing document. Fingerprints are stored compactly: the MinHash
signature and the sorted shingle hashes as little-endian uint32 bytes, the
LSH band keys as signed 64-bit integers in an indexed (band, key) table.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any, Protocol, Self
from urllib.parse import urlsplit, urlunsplit

import numpy as np
import numpy.typing as npt

from dedup import index
from dedup.errors import DedupError
from dedup.fingerprint import U32
from dedup.index import U64

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
_SQLITE_MAGIC = b"SQLite format 3\x00"
_PG_LOCK = 0x64656475  # "dedu": the advisory-lock namespace of dedup
_PG_WRITE, _PG_SCAN = 1, 2


class StoreError(DedupError):
    """The index cannot be opened or used as asked."""


class ParametersMismatch(StoreError):
    """The index was built with other fingerprint parameters than this scan's."""


@dataclass(frozen=True)
class Known:
    """What a rescan needs to tell whether a file changed since it was indexed."""

    id: int
    path: bytes
    size: int
    mtime_ns: int
    content_hash: bytes
    version: str
    kind: str


@dataclass(frozen=True)
class NewDocument:
    """A document to add: where it is, what it was, and its fingerprint."""

    path: bytes
    size: int
    mtime_ns: int
    content_hash: bytes
    version: str
    encoding: str
    kind: str
    words: int
    signature: U32
    shingles: U32
    keys: U64
    change: str  # new | changed


@dataclass(frozen=True)
class Fingerprint:
    """A stored fingerprint, reusable by a file with the same content, kind and version."""

    content_hash: bytes
    kind: str
    version: str
    encoding: str
    words: int
    signature: U32
    shingles: U32


@dataclass(frozen=True)
class Listed:
    """A document as the report shows it."""

    id: int
    path: bytes
    words: int
    encoding: str
    kind: str
    scan: int
    change: str
    content_hash: bytes


@dataclass(frozen=True)
class StoredMember:
    """A member of a stored group, with its measures and cached discrepancies against `diffed_against`."""

    doc: int
    similarity: float
    containment: float
    diffed_against: int | None = None
    discrepancies: str | None = None  # JSON, see dedup.incremental


@dataclass(frozen=True)
class StoredGroup:
    """A group as stored: its id, its reference and its members (the reference among them)."""

    id: int
    reference: int
    members: tuple[StoredMember, ...]


@dataclass(frozen=True)
class Removal:
    """A document a scan took out of the index, logged until that scan is reported."""

    scan: int
    path: bytes
    reason: str
    content_hash: bytes
    group: int | None


def blob(array: U32) -> bytes:
    """Return uint32 values as little-endian bytes."""
    return np.asarray(array, dtype="<u4").tobytes()


def unblob(data: bytes) -> U32:
    """Return the uint32 values of little-endian bytes."""
    return np.frombuffer(data, dtype="<u4").astype(np.uint32)


class Transaction(Protocol):
    """The operations of one transaction on the index; a write transaction holds the index's write lock."""

    def next_id(self, table: str, count: int = 1) -> int: ...
    def add_documents(self, first_id: int, documents: Sequence[NewDocument], scan: int) -> None: ...
    def remove_documents(self, ids: Iterable[int]) -> None: ...
    def touch(self, rows: Iterable[tuple[int, int, int]]) -> None: ...
    def ids_of(self, paths: Iterable[bytes]) -> dict[bytes, int]: ...
    def known(self, roots: Sequence[bytes]) -> list[Known]: ...
    def fingerprints(self, hashes: Iterable[bytes]) -> list[Fingerprint]: ...
    def band_centers(self, keys: U64) -> npt.NDArray[np.int64]: ...
    def words_and_paths(self, ids: Iterable[int]) -> dict[int, tuple[int, bytes]]: ...
    def shingles(self, ids: Iterable[int]) -> dict[int, U32]: ...
    def add_pairs(self, pairs: Iterable[tuple[int, int, float, float]]) -> None: ...
    def pairs_touching(self, ids: Iterable[int]) -> list[tuple[int, int]]: ...
    def groups_of(self, ids: Iterable[int]) -> set[int]: ...
    def load_groups(self, group_ids: Iterable[int] | None = None) -> list[StoredGroup]: ...
    def uncompared(self) -> list[tuple[int, int, int]]: ...
    def delete_groups(self, group_ids: Iterable[int]) -> None: ...
    def add_groups(self, found: Iterable[StoredGroup]) -> None: ...
    def set_discrepancies(self, doc: int, reference: int, found: str) -> None: ...
    def log_removals(self, removals: Iterable[Removal]) -> None: ...
    def removals(self, scans: Iterable[int]) -> list[Removal]: ...
    def listed(self) -> list[Listed]: ...
    def counts(self) -> dict[str, int]: ...
    def scans(self, limit: int) -> list[dict[str, Any]]: ...


class Store(Protocol):
    """An open index: SQLite or PostgreSQL behind the same operations."""

    location: str
    backend: str

    def parameters(self) -> dict[str, Any] | None: ...
    def begin_scan(self, parameters: dict[str, Any] | None, roots: Sequence[str],
                   rebuild: bool) -> tuple[int, list[int]]: ...
    def finish_scan(self, scans: Sequence[int], summary: dict[str, Any]) -> None: ...
    def write(self) -> AbstractContextManager[Transaction]: ...
    def read(self) -> AbstractContextManager[Transaction]: ...
    def size_bytes(self) -> int | None: ...
    def close(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(self, *exc: object) -> None: ...


def open_store(location: str, create: bool = True) -> Store:
    """Open the index at `location`: a `postgresql://` URL, else the path of a SQLite file.

    Args:
        location: where the index is.
        create: create the index if there is none yet (else raise).

    Raises:
        StoreError: the location is not an index (nothing is written to it), or cannot be reached.
    """
    if location.startswith(("postgresql://", "postgres://")):
        return PostgresStore(location, create)
    return SQLiteStore(location, create)


def redact(url: str) -> str:
    """Return a URL without its password, fit to show in a report or a log line."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))


_TABLES = """
CREATE TABLE IF NOT EXISTS dedup_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS dedup_scans (
  id BIGINT PRIMARY KEY, started DOUBLE PRECISION NOT NULL, finished DOUBLE PRECISION,
  adopted_by BIGINT, roots TEXT NOT NULL, summary TEXT);
CREATE TABLE IF NOT EXISTS dedup_documents (
  id BIGINT PRIMARY KEY, path BLOB NOT NULL UNIQUE, size BIGINT NOT NULL, mtime_ns BIGINT NOT NULL,
  content_hash BLOB NOT NULL, version TEXT NOT NULL, encoding TEXT NOT NULL, kind TEXT NOT NULL,
  words BIGINT NOT NULL, signature BLOB NOT NULL, shingles BLOB NOT NULL,
  scan BIGINT NOT NULL, change TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS dedup_documents_hash ON dedup_documents (content_hash);
CREATE TABLE IF NOT EXISTS dedup_band_keys (
  band SMALLINT NOT NULL, key BIGINT NOT NULL, doc BIGINT NOT NULL, PRIMARY KEY (band, key, doc)) WITHOUT_ROWID;
CREATE TABLE IF NOT EXISTS dedup_pairs (
  a BIGINT NOT NULL REFERENCES dedup_documents (id) ON DELETE CASCADE,
  b BIGINT NOT NULL REFERENCES dedup_documents (id) ON DELETE CASCADE,
  similarity DOUBLE PRECISION NOT NULL, containment DOUBLE PRECISION NOT NULL, PRIMARY KEY (a, b));
CREATE INDEX IF NOT EXISTS dedup_pairs_b ON dedup_pairs (b);
CREATE TABLE IF NOT EXISTS dedup_groups (
  id BIGINT PRIMARY KEY, reference BIGINT NOT NULL REFERENCES dedup_documents (id));
CREATE INDEX IF NOT EXISTS dedup_groups_reference ON dedup_groups (reference);
CREATE TABLE IF NOT EXISTS dedup_members (
  doc BIGINT PRIMARY KEY REFERENCES dedup_documents (id),
  grp BIGINT NOT NULL REFERENCES dedup_groups (id),
  similarity DOUBLE PRECISION NOT NULL, containment DOUBLE PRECISION NOT NULL,
  diffed_against BIGINT, discrepancies TEXT);
CREATE INDEX IF NOT EXISTS dedup_members_grp ON dedup_members (grp);
CREATE TABLE IF NOT EXISTS dedup_removed (
  scan BIGINT NOT NULL, path BLOB NOT NULL, reason TEXT NOT NULL, content_hash BLOB NOT NULL, grp BIGINT);
CREATE INDEX IF NOT EXISTS dedup_removed_scan ON dedup_removed (scan);
"""
# Band keys carry no foreign key on purpose: a cascade would need a second index
# over millions of rows. A document's keys are deleted by their primary key,
# recomputed from its stored signature (remove_documents), in the same transaction.
_WIPE = ("dedup_removed", "dedup_members", "dedup_groups", "dedup_pairs", "dedup_band_keys",
         "dedup_documents", "dedup_scans", "dedup_meta")


class _SQLStore:
    """The tables and queries both databases share; a subclass brings the connection and the locks.

    The store is its own transaction object: `write()` and `read()` yield it
    with a transaction open on its one connection.
    """

    backend = "sql"
    location = ""
    _param = "?"

    def __init__(self) -> None:
        self._conn: Any = None
        self._banding: index.Bands | None = None

    # -- what a subclass supplies ------------------------------------------------------

    def write(self) -> AbstractContextManager[_SQLStore]:
        raise NotImplementedError

    def read(self) -> AbstractContextManager[_SQLStore]:
        raise NotImplementedError

    def _ids(self, ids: Iterable[int]) -> tuple[str, Any]:
        """Return an SQL test `IN …` for a set of ids, and its one parameter."""
        raise NotImplementedError

    def _centers(self, pairs: list[list[int]]) -> list[tuple[int, int, int | None]]:
        raise NotImplementedError

    def _copy_band_keys(self, rows: list[tuple[int, int, int]]) -> None:
        raise NotImplementedError

    def _sql(self, text: str) -> str:
        return text if self._param == "?" else text.replace("?", "%s")

    # -- the index's life ------------------------------------------------------------------

    def parameters(self) -> dict[str, Any] | None:
        """Return the parameters the index was built with (None for a new index)."""
        with self.read() as tx:
            value = tx._one("SELECT value FROM dedup_meta WHERE key = 'parameters'")
        return json.loads(value[0]) if value else None

    def _check(self, parameters: dict[str, Any] | None, rebuild: bool) -> None:
        """Refuse other parameters than the index's unless rebuilding; record them in a new index."""
        layout = self._one("SELECT value FROM dedup_meta WHERE key = 'schema'")
        if layout is not None and int(layout[0]) != SCHEMA_VERSION and not rebuild:
            raise ParametersMismatch(
                f"the index at {self.location} has storage layout {layout[0]}, this dedup writes "
                f"{SCHEMA_VERSION}; add --rebuild to build it anew (every document is read again)")
        if parameters is None:
            return
        found = self._one("SELECT value FROM dedup_meta WHERE key = 'parameters'")
        old = json.loads(found[0]) if found else None
        if old is not None and old != parameters and not rebuild:
            diff = "; ".join(f"{k} {old.get(k)!r} (this scan: {parameters.get(k)!r})"
                             for k in sorted(set(old) | set(parameters)) if old.get(k) != parameters.get(k))
            raise ParametersMismatch(
                f"the index at {self.location} was built with other parameters: {diff}. Its signatures "
                "cannot be mixed with this scan's: scan with the index's parameters, or add --rebuild "
                "to build the index anew (every document is read again)")
        if rebuild and layout is not None:
            log.warning("rebuilding the index at %s: every document is read again", self.location)
            for table in _WIPE:
                self._exec(f"DELETE FROM {table}")
            old = None
        if old is None:
            self._exec(self._sql("INSERT INTO dedup_meta VALUES ('schema', ?)"), (str(SCHEMA_VERSION),))
            self._exec(self._sql("INSERT INTO dedup_meta VALUES ('parameters', ?)"),
                       (json.dumps(parameters, sort_keys=True),))
            self._banding = None

    def _register(self, roots: Sequence[str]) -> int:
        scan = self.next_id("scans")
        self._exec(self._sql("INSERT INTO dedup_scans (id, started, roots) VALUES (?, ?, ?)"),
                   (scan, time.time(), json.dumps(list(roots), ensure_ascii=True)))
        return scan

    def _adopt(self, scan: int, alive: Callable[[int], bool]) -> list[int]:
        """Take over the unfinished scans whose process is gone: this scan reports what they did."""
        rows = self._all(self._sql("SELECT id, adopted_by FROM dedup_scans WHERE finished IS NULL AND id <> ? "
                                   "ORDER BY id"), (scan,))
        # A dead scan adopted by a scan that died too is adopted again, so that nothing goes unreported.
        dead = [int(i) for i, by in rows if not alive(int(i)) and (by is None or not alive(int(by)))]
        for other in dead:
            self._exec(self._sql("UPDATE dedup_scans SET adopted_by = ? WHERE id = ?"), (scan, other))
        if dead:
            log.warning("resuming interrupted scan(s) %s of this index", ", ".join(map(str, dead)))
        return dead

    def finish_scan(self, scans: Sequence[int], summary: dict[str, Any]) -> None:
        """Mark a scan and the interrupted scans it resumed finished, and drop their removal log."""
        with self.write():
            fragment, param = self._ids(scans)
            self._exec(self._sql(f"UPDATE dedup_scans SET finished = ? WHERE id {fragment}"), (time.time(), param))
            self._exec(self._sql("UPDATE dedup_scans SET summary = ? WHERE id = ?"), (json.dumps(summary), scans[0]))
            self._exec(self._sql(f"DELETE FROM dedup_removed WHERE scan {fragment}"), (param,))

    # -- queries (inside write() or read()) ----------------------------------------------

    def _exec(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._conn.execute(sql, params)

    def _one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._conn.execute(sql, params).fetchone()

    def _all(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return list(self._conn.execute(sql, params).fetchall())

    def _many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        rows = list(rows)
        if rows:
            self._conn.cursor().executemany(self._sql(sql), rows)

    def next_id(self, table: str, count: int = 1) -> int:
        """Reserve `count` ids of documents, groups or scans and return the first.

        Ids come from counters and are never reused: a cached comparison names
        its reference by id, and group 7 of one report stays group 7 later.
        """
        name = f"next_{table}"
        row = self._one(self._sql("SELECT value FROM dedup_meta WHERE key = ?"), (name,))
        first = int(row[0]) if row else 1
        self._exec(self._sql("DELETE FROM dedup_meta WHERE key = ?"), (name,))
        self._exec(self._sql("INSERT INTO dedup_meta VALUES (?, ?)"), (name, str(first + count)))
        return first

    def add_documents(self, first_id: int, documents: Sequence[NewDocument], scan: int) -> None:
        """Insert documents with consecutive ids from `first_id`, and their band keys."""
        self._many(
            "INSERT INTO dedup_documents VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            ((first_id + n, d.path, d.size, d.mtime_ns, d.content_hash, d.version, d.encoding, d.kind,
              d.words, blob(d.signature), blob(d.shingles), scan, d.change) for n, d in enumerate(documents)),
        )
        rows: list[tuple[int, int, int]] = []
        for n, d in enumerate(documents):
            if d.words:  # a document without words has no shingles and pairs with nothing
                rows.extend((band, key, first_id + n) for band, key in enumerate(d.keys.view(np.int64).tolist()))
        if rows:
            self._copy_band_keys(rows)

    def remove_documents(self, ids: Iterable[int]) -> None:
        """Delete documents with their band keys and pairs; their groups must be gone already."""
        ids = list(ids)
        if not ids:
            return
        fragment, param = self._ids(ids)
        rows = self._all(self._sql(f"SELECT id, words, signature FROM dedup_documents WHERE id {fragment}"), (param,))
        doomed: list[tuple[int, int, int]] = []
        for doc, words, signature in rows:
            if words:
                keys = index.band_keys(unblob(signature)[None, :], self._bands())[0]
                doomed.extend((band, key, doc) for band, key in enumerate(keys.view(np.int64).tolist()))
        self._many("DELETE FROM dedup_band_keys WHERE band = ? AND key = ? AND doc = ?", doomed)
        self._exec(self._sql(f"DELETE FROM dedup_documents WHERE id {fragment}"), (param,))

    def _bands(self) -> index.Bands:
        """Return the banding the index was built with."""
        if self._banding is None:
            stored = json.loads(self._one("SELECT value FROM dedup_meta WHERE key = 'parameters'")[0])
            self._banding = index.Bands(stored["bands"], stored["rows"], 0.0)
        return self._banding

    def touch(self, rows: Iterable[tuple[int, int, int]]) -> None:
        """Record a new size and modification time (id, size, mtime_ns) of files whose content is the same."""
        self._many("UPDATE dedup_documents SET size = ?, mtime_ns = ? WHERE id = ?",
                   ((size, mtime, doc) for doc, size, mtime in rows))

    def ids_of(self, paths: Iterable[bytes]) -> dict[bytes, int]:
        """Return the ids of the documents at these paths, as the index has them now."""
        found = {}
        for path in paths:
            row = self._one(self._sql("SELECT id FROM dedup_documents WHERE path = ?"), (path,))
            if row:
                found[path] = int(row[0])
        return found

    def known(self, roots: Sequence[bytes]) -> list[Known]:
        """Return the documents at the given paths or below them (the scope of a scan)."""
        found: dict[int, Known] = {}
        sql = self._sql("SELECT id, path, size, mtime_ns, content_hash, version, kind FROM dedup_documents "
                        "WHERE path = ? OR (path >= ? AND path < ?)")
        for root in roots:
            base = root.rstrip(b"/")
            for row in self._all(sql, (root, base + b"/", base + b"0")):  # "0" follows "/"
                found[row[0]] = Known(row[0], bytes(row[1]), row[2], row[3], bytes(row[4]), row[5], row[6])
        return list(found.values())

    def fingerprints(self, hashes: Iterable[bytes]) -> list[Fingerprint]:
        """Return a stored fingerprint for each content hash the index holds (one per hash, kind and version)."""
        found: dict[tuple[bytes, str, str], Fingerprint] = {}
        for h, kind, version, encoding, words, signature, shingles in self._by_hash(set(hashes)):
            found.setdefault((bytes(h), kind, version),
                             Fingerprint(bytes(h), kind, version, encoding, words, unblob(signature), unblob(shingles)))
        return list(found.values())

    def _by_hash(self, hashes: set[bytes]) -> list[Any]:
        sql = ("SELECT content_hash, kind, version, encoding, words, signature, shingles "
               "FROM dedup_documents WHERE content_hash = ?")
        return [row for digest in hashes for row in self._all(self._sql(sql), (digest,))]

    def band_centers(self, keys: U64) -> npt.NDArray[np.int64]:
        """Return, for each (document, band) key, the smallest id of a stored document with that key, else -1."""
        flat = keys.view(np.int64)
        out = np.full(keys.shape, -1, dtype=np.int64)
        if flat.size == 0:
            return out
        bands = np.broadcast_to(np.arange(keys.shape[1], dtype=np.int64), keys.shape)
        asked = np.unique(np.stack([bands.ravel(), flat.ravel()], axis=1), axis=0)
        found = np.array([r for r in self._centers(asked.tolist()) if r[2] is not None], dtype=np.int64).reshape(-1, 3)
        for band in range(keys.shape[1]):
            rows = found[found[:, 0] == band]
            if len(rows) == 0:
                continue
            rows = rows[np.argsort(rows[:, 1])]
            at = np.searchsorted(rows[:, 1], flat[:, band]).clip(0, len(rows) - 1)
            hit = rows[at, 1] == flat[:, band]
            out[hit, band] = rows[at[hit], 2]
        return out

    def words_and_paths(self, ids: Iterable[int]) -> dict[int, tuple[int, bytes]]:
        """Return each document's word count and path."""
        fragment, param = self._ids(ids)
        rows = self._all(self._sql(f"SELECT id, words, path FROM dedup_documents WHERE id {fragment}"), (param,))
        return {r[0]: (r[1], bytes(r[2])) for r in rows}

    def shingles(self, ids: Iterable[int]) -> dict[int, U32]:
        """Return each document's sorted shingle hashes."""
        fragment, param = self._ids(ids)
        rows = self._all(self._sql(f"SELECT id, shingles FROM dedup_documents WHERE id {fragment}"), (param,))
        return {r[0]: unblob(r[1]) for r in rows}

    def add_pairs(self, pairs: Iterable[tuple[int, int, float, float]]) -> None:
        """Record verified pairs (a < b)."""
        self._many("INSERT INTO dedup_pairs VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING", pairs)

    def pairs_touching(self, ids: Iterable[int]) -> list[tuple[int, int]]:
        """Return the verified pairs with a document among `ids`."""
        fragment, param = self._ids(ids)
        sql = f"SELECT a, b FROM dedup_pairs WHERE a {fragment} UNION SELECT a, b FROM dedup_pairs WHERE b {fragment}"
        return [(r[0], r[1]) for r in self._all(self._sql(sql), (param, param))]

    def groups_of(self, ids: Iterable[int]) -> set[int]:
        """Return the groups that have a document among `ids`."""
        fragment, param = self._ids(ids)
        return {r[0] for r in self._all(self._sql(f"SELECT DISTINCT grp FROM dedup_members WHERE doc {fragment}"), (param,))}

    def load_groups(self, group_ids: Iterable[int] | None = None) -> list[StoredGroup]:
        """Return the given groups (all when None) with their members, in id order."""
        sql = ("SELECT g.id, g.reference, m.doc, m.similarity, m.containment, m.diffed_against, m.discrepancies "
               "FROM dedup_groups g JOIN dedup_members m ON m.grp = g.id")
        if group_ids is None:
            rows = self._all(sql + " ORDER BY g.id, m.doc")
        else:
            fragment, param = self._ids(group_ids)
            rows = self._all(self._sql(f"{sql} WHERE g.id {fragment} ORDER BY g.id, m.doc"), (param,))
        found: dict[int, tuple[int, list[StoredMember]]] = {}
        for gid, ref, doc, sim, cont, against, text in rows:
            found.setdefault(gid, (ref, []))[1].append(StoredMember(doc, sim, cont, against, text))
        return [StoredGroup(gid, ref, tuple(members)) for gid, (ref, members) in found.items()]

    def uncompared(self) -> list[tuple[int, int, int]]:
        """Return (group, reference, member) for every member whose discrepancies are not cached yet."""
        return [(r[0], r[1], r[2]) for r in self._all(
            "SELECT g.id, g.reference, m.doc FROM dedup_members m JOIN dedup_groups g ON g.id = m.grp "
            "WHERE m.discrepancies IS NULL ORDER BY g.id, m.doc")]

    def delete_groups(self, group_ids: Iterable[int]) -> None:
        """Delete groups and their memberships."""
        fragment, param = self._ids(group_ids)
        self._exec(self._sql(f"DELETE FROM dedup_members WHERE grp {fragment}"), (param,))
        self._exec(self._sql(f"DELETE FROM dedup_groups WHERE id {fragment}"), (param,))

    def add_groups(self, found: Iterable[StoredGroup]) -> None:
        """Insert groups and their members."""
        found = list(found)
        self._many("INSERT INTO dedup_groups VALUES (?, ?)", ((g.id, g.reference) for g in found))
        self._many("INSERT INTO dedup_members VALUES (?, ?, ?, ?, ?, ?)",
                   ((m.doc, g.id, m.similarity, m.containment, m.diffed_against, m.discrepancies)
                    for g in found for m in g.members))

    def set_discrepancies(self, doc: int, reference: int, found: str) -> None:
        """Cache a member's discrepancies, unless its group got another reference meanwhile."""
        self._exec(self._sql(
            "UPDATE dedup_members SET diffed_against = ?, discrepancies = ? WHERE doc = ? AND "
            "(SELECT reference FROM dedup_groups WHERE id = dedup_members.grp) = ?"), (reference, found, doc, reference))

    def log_removals(self, removals: Iterable[Removal]) -> None:
        """Log documents taken out, so that the scan's report (or the one resuming it) names them."""
        self._many("INSERT INTO dedup_removed VALUES (?, ?, ?, ?, ?)",
                   ((r.scan, r.path, r.reason, r.content_hash, r.group) for r in removals))

    def removals(self, scans: Iterable[int]) -> list[Removal]:
        """Return the documents these scans took out."""
        fragment, param = self._ids(scans)
        rows = self._all(self._sql(f"SELECT scan, path, reason, content_hash, grp FROM dedup_removed WHERE scan {fragment}"), (param,))
        return [Removal(r[0], bytes(r[1]), r[2], bytes(r[3]), r[4]) for r in rows]

    def listed(self) -> list[Listed]:
        """Return every document, in path order."""
        rows = self._all("SELECT id, path, words, encoding, kind, scan, change, content_hash "
                         "FROM dedup_documents ORDER BY path")
        return [Listed(r[0], bytes(r[1]), r[2], r[3], r[4], r[5], r[6], bytes(r[7])) for r in rows]

    def counts(self) -> dict[str, int]:
        """Return how many documents, groups, grouped documents, pairs and band keys the index holds."""
        return {name: int(self._one(sql)[0]) for name, sql in (
            ("documents", "SELECT COUNT(*) FROM dedup_documents"),
            ("groups", "SELECT COUNT(*) FROM dedup_groups"),
            ("grouped_documents", "SELECT COUNT(*) FROM dedup_members"),
            ("verified_pairs", "SELECT COUNT(*) FROM dedup_pairs"),
            ("band_keys", "SELECT COUNT(*) FROM dedup_band_keys"),
        )}

    def scans(self, limit: int) -> list[dict[str, Any]]:
        """Return the latest scans, newest first."""
        rows = self._all(self._sql("SELECT id, started, finished, adopted_by, roots, summary FROM dedup_scans "
                                   "ORDER BY id DESC LIMIT ?"), (limit,))
        return [{"id": r[0], "started": r[1], "finished": r[2], "resumed_by": r[3], "roots": json.loads(r[4]),
                 "summary": json.loads(r[5]) if r[5] else None} for r in rows]

    def size_bytes(self) -> int | None:
        return None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SQLiteStore(_SQLStore):
    """The index in one SQLite file (WAL mode); one scan writes at a time, readers never wait."""

    backend = "sqlite"

    def __init__(self, path: str, create: bool = True) -> None:
        super().__init__()
        self.location = path
        self._path = path
        self._lock_fd: int | None = None
        _refuse_foreign_file(path, create)
        try:
            self._conn = sqlite3.connect(path, isolation_level=None, timeout=60.0, check_same_thread=False)
            self._conn.execute("PRAGMA foreign_keys = ON")
            self._conn.execute("PRAGMA synchronous = NORMAL")
            if self._conn.execute("PRAGMA journal_mode = WAL").fetchone()[0] != "wal":
                raise StoreError(f"cannot use {path} as an index: SQLite's WAL mode is not available there")
            tables = _TABLES.replace("WITHOUT_ROWID", "WITHOUT ROWID").replace("DOUBLE PRECISION", "REAL")
            with self.write() as tx:
                for statement in tables.replace("id BIGINT PRIMARY KEY", "id INTEGER PRIMARY KEY").split(";"):
                    if statement.strip():
                        tx._exec(statement)
        except sqlite3.DatabaseError as err:
            self.close()
            raise StoreError(f"cannot use {path} as an index: {err}") from err

    @contextmanager
    def write(self) -> Iterator[SQLiteStore]:
        """Yield the store inside a write transaction (SQLite's write lock, taken at once)."""
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    @contextmanager
    def read(self) -> Iterator[SQLiteStore]:
        """Yield the store inside a read transaction (one snapshot)."""
        self._conn.execute("BEGIN")
        try:
            yield self
        finally:
            self._conn.execute("ROLLBACK")

    def begin_scan(self, parameters: dict[str, Any] | None, roots: Sequence[str], rebuild: bool) -> tuple[int, list[int]]:
        """Check the parameters, register a scan and return its id and the interrupted scans it resumes.

        A scan holds an exclusive lock on the file for its whole run (flock, released by the
        system when the process ends however it ends), so any unfinished scan found here is dead.
        """
        self._lock_scans()
        with self.write():
            self._check(parameters, rebuild)
            scan = self._register(roots)
            return scan, self._adopt(scan, lambda _: False)

    def _lock_scans(self) -> None:
        try:
            import fcntl
        except ImportError:  # not on POSIX: one scan at a time is then the user's care
            return
        self._lock_fd = os.open(self._path, os.O_RDONLY)
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.warning("another scan is writing %s; waiting for it to finish", self._path)
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX)

    def _ids(self, ids: Iterable[int]) -> tuple[str, Any]:
        return "IN (SELECT value FROM json_each(?))", json.dumps([int(i) for i in ids])

    def _centers(self, pairs: list[list[int]]) -> list[tuple[int, int, int | None]]:
        sql = ("SELECT json_extract(q.value, '$[0]'), json_extract(q.value, '$[1]'), "
               "(SELECT MIN(b.doc) FROM dedup_band_keys b WHERE b.band = json_extract(q.value, '$[0]') "
               "AND b.key = json_extract(q.value, '$[1]')) FROM json_each(?) q")
        return self._all(sql, (json.dumps(pairs),))

    def _copy_band_keys(self, rows: list[tuple[int, int, int]]) -> None:
        self._many("INSERT INTO dedup_band_keys VALUES (?, ?, ?)", rows)

    def size_bytes(self) -> int | None:
        return sum(os.path.getsize(p) for p in (self._path, self._path + "-wal") if os.path.exists(p))

    def close(self) -> None:
        super().close()
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # releases the scan lock
            self._lock_fd = None


def _refuse_foreign_file(path: str, create: bool) -> None:
    """Raise unless `path` is absent (and may be created) or already a dedup index; never touch it otherwise."""
    if not os.path.exists(path):
        if not create:
            raise StoreError(f"no index at {path}")
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            raise StoreError(f"cannot create the index {path}: no folder {folder}")
        return
    if os.path.isdir(path):
        raise StoreError(f"{path} is a folder; --index takes the path of an index file")
    try:
        with open(path, "rb") as fh:
            head = fh.read(len(_SQLITE_MAGIC))
    except OSError as err:
        raise StoreError(f"cannot open the index {path}: {err.strerror}") from err
    if head != _SQLITE_MAGIC:
        raise StoreError(f"{path} exists and is not a dedup index; it was left as it is (give a new path)")
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as probe:
            ours = probe.execute("SELECT 1 FROM sqlite_master WHERE name = 'dedup_meta'").fetchone()
        probe.close()
    except sqlite3.DatabaseError as err:
        raise StoreError(f"cannot open the index {path}: {err}") from err
    if not ours:
        raise StoreError(f"{path} is an SQLite database but not a dedup index; it was left as it is")


class PostgresStore(_SQLStore):
    """The index in a PostgreSQL database: several scanners may write at once.

    Each write transaction first takes one advisory lock, so batches from
    different scanners are applied one after the other, each seeing all the
    batches committed before it; reading and fingerprinting, most of a scan's
    work, runs in parallel. A running scan also holds a session lock named by
    its id, by which other scanners tell it from one that was interrupted.
    """

    backend = "postgresql"
    _param = "%s"

    def __init__(self, url: str, create: bool = True) -> None:
        super().__init__()
        self.location = redact(url)
        try:
            import psycopg
        except ImportError as err:
            raise StoreError("a PostgreSQL index needs psycopg: pip install 'dedup[postgres]'") from err
        self._psycopg = psycopg
        try:
            self._conn = psycopg.connect(url, autocommit=True)
        except psycopg.Error as err:
            raise StoreError(f"cannot connect to the index {self.location}: {err}".strip()) from err
        with self.write() as tx:
            exists = tx._one("SELECT to_regclass('dedup_meta')")[0] is not None
            if not exists and not create:
                raise StoreError(f"no index at {self.location}")
            for statement in _TABLES.replace(" WITHOUT_ROWID", "").replace("BLOB", "BYTEA").split(";"):
                if statement.strip():
                    tx._exec(statement)

    @contextmanager
    def write(self) -> Iterator[PostgresStore]:
        """Yield the store inside a transaction that holds the index's write lock."""
        try:
            with self._conn.transaction():
                self._conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", (_PG_LOCK, _PG_WRITE))
                yield self
        except self._psycopg.Error as err:
            raise StoreError(f"the index {self.location} failed: {err}".strip()) from err

    @contextmanager
    def read(self) -> Iterator[PostgresStore]:
        """Yield the store inside a read-only snapshot."""
        with self._conn.transaction():
            self._conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield self

    def begin_scan(self, parameters: dict[str, Any] | None, roots: Sequence[str], rebuild: bool) -> tuple[int, list[int]]:
        """Check the parameters, register a scan (holding its session lock) and adopt interrupted scans."""
        with self.write():
            self._check(parameters, rebuild)
            scan = self._register(roots)
            self._conn.execute("SELECT pg_advisory_lock(%s, %s)", (_PG_LOCK + _PG_SCAN, scan))
            return scan, self._adopt(scan, self._alive)

    def _alive(self, scan: int) -> bool:
        taken = self._one("SELECT pg_try_advisory_lock(%s, %s)", (_PG_LOCK + _PG_SCAN, scan))[0]
        if taken:
            self._exec("SELECT pg_advisory_unlock(%s, %s)", (_PG_LOCK + _PG_SCAN, scan))
        return not taken

    def _ids(self, ids: Iterable[int]) -> tuple[str, Any]:
        return "= ANY(?::bigint[])", [int(i) for i in ids]

    def ids_of(self, paths: Iterable[bytes]) -> dict[bytes, int]:
        rows = self._all("SELECT path, id FROM dedup_documents WHERE path = ANY(%s::bytea[])", (list(paths),))
        return {bytes(r[0]): int(r[1]) for r in rows}

    def _by_hash(self, hashes: set[bytes]) -> list[Any]:
        return self._all("SELECT content_hash, kind, version, encoding, words, signature, shingles "
                         "FROM dedup_documents WHERE content_hash = ANY(%s::bytea[])", (list(hashes),))

    def _centers(self, pairs: list[list[int]]) -> list[tuple[int, int, int | None]]:
        sql = ("SELECT q.band, q.key, (SELECT MIN(b.doc) FROM dedup_band_keys b WHERE b.band = q.band "
               "AND b.key = q.key) FROM unnest(%s::smallint[], %s::bigint[]) AS q(band, key)")
        return self._all(sql, ([p[0] for p in pairs], [p[1] for p in pairs]))

    def _copy_band_keys(self, rows: list[tuple[int, int, int]]) -> None:
        with self._conn.cursor() as cur, cur.copy("COPY dedup_band_keys (band, key, doc) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
