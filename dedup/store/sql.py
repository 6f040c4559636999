"""The tables and queries the SQLite and PostgreSQL indexes share."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from typing import Any, Self

import numpy as np
import numpy.typing as npt

from dedup import index
from dedup.fingerprint import U32, distinct
from dedup.index import U64
from dedup.store import (
    SCHEMA_VERSION,
    Fingerprint,
    Known,
    NewDocument,
    ParametersMismatch,
    Removal,
    Stamp,
    StoredGroup,
    StoredMember,
    blob,
    unblob,
)

log = logging.getLogger(__name__)

TABLES = """
CREATE TABLE IF NOT EXISTS dedup_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS dedup_scans (
  id BIGINT PRIMARY KEY, started DOUBLE PRECISION NOT NULL, finished DOUBLE PRECISION,
  adopted_by BIGINT, roots TEXT NOT NULL, summary TEXT);
-- The blobs come last: SQLite reads a row's columns in order, and a rescan reads every row but not its blobs.
CREATE TABLE IF NOT EXISTS dedup_documents (
  id BIGINT PRIMARY KEY, path BLOB NOT NULL UNIQUE, size BIGINT NOT NULL, mtime_ns BIGINT NOT NULL,
  content_hash BLOB NOT NULL, version TEXT NOT NULL, encoding TEXT NOT NULL, kind TEXT NOT NULL,
  words BIGINT NOT NULL, scan BIGINT NOT NULL, change TEXT NOT NULL,
  signature BLOB NOT NULL, shingles BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS dedup_documents_hash ON dedup_documents (content_hash);
CREATE INDEX IF NOT EXISTS dedup_documents_scan ON dedup_documents (scan);
CREATE TABLE IF NOT EXISTS dedup_band_runs (
  run BIGINT NOT NULL, band SMALLINT NOT NULL, keys BLOB NOT NULL, docs BLOB NOT NULL, PRIMARY KEY (run, band));
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
-- What the transactions of an unfinished scan changed, for its report or that of the scan resuming it:
-- a group changed (doc NULL), or a document left in no group (grp NULL).
CREATE TABLE IF NOT EXISTS dedup_touched (scan BIGINT NOT NULL, grp BIGINT, doc BIGINT);
CREATE INDEX IF NOT EXISTS dedup_touched_scan ON dedup_touched (scan);
-- The candidate and verified pairs each transaction of an unfinished scan counted, for the same reports.
CREATE TABLE IF NOT EXISTS dedup_tally (scan BIGINT NOT NULL, candidate_pairs BIGINT NOT NULL,
  verified_pairs BIGINT NOT NULL);
"""
# Band keys are kept in runs (see index.Run): one row for each run and band, its
# keys sorted, with the document of each. A run is written whole, in the
# transaction that adds its documents; the keys of a document taken out stay in
# its run, unused (a lookup skips documents that are gone), until the run is merged.
WIPE = ("dedup_tally", "dedup_touched", "dedup_removed", "dedup_members", "dedup_groups", "dedup_pairs",
        "dedup_band_runs", "dedup_documents", "dedup_scans", "dedup_meta")
LEGACY = ("dedup_band_keys",)  # tables of older layouts, dropped by a rebuild


class SQLStore:
    """The tables and queries both databases share; a subclass brings the connection and the locks.

    The store is its own transaction object: `write()` and `read()` yield it
    with a transaction open on its one connection.
    """

    backend = "sql"
    location = ""
    _param = "?"

    def __init__(self) -> None:
        self._conn: Any = None
        self._runs: dict[int, index.Run] = {}  # the band-key runs read so far; runs are never changed, only replaced

    # -- what a subclass supplies ------------------------------------------------------

    def write(self) -> AbstractContextManager[SQLStore]:
        raise NotImplementedError

    def read(self) -> AbstractContextManager[SQLStore]:
        raise NotImplementedError

    def _ids(self, ids: Iterable[int]) -> tuple[str, Any]:
        """Return an SQL test `IN …` for a set of ids, and its one parameter."""
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
                "cannot be mixed with this scan's: use the index's parameters (and the dedup version that "
                "built it), or scan with --rebuild to build the index anew (every document is read again)")
        if rebuild and layout is not None:
            log.warning("rebuilding the index at %s: every document is read again", self.location)
            for table in WIPE:
                self._exec(f"DELETE FROM {table}")
            for table in LEGACY:
                self._exec(f"DROP TABLE IF EXISTS {table}")
            old = None
        if old is None:
            self._exec(self._sql("INSERT INTO dedup_meta VALUES ('schema', ?)"), (str(SCHEMA_VERSION),))
            self._exec(self._sql("INSERT INTO dedup_meta VALUES ('parameters', ?)"),
                       (json.dumps(parameters, sort_keys=True),))

    def _register(self, roots: Sequence[str]) -> int:
        # What transactions logged is dropped when their scan is reported; rows of a scan that is not
        # unfinished can only be left by older code (whose --rebuild empties the tables it knows), and
        # would be counted for the new scan that gets that id.
        for table in ("dedup_tally", "dedup_touched", "dedup_removed"):
            self._exec(f"DELETE FROM {table} WHERE scan NOT IN (SELECT id FROM dedup_scans WHERE finished IS NULL)")
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
        """Mark a scan and the interrupted scans it resumed finished, and drop what their transactions logged."""
        with self.write():
            fragment, param = self._ids(scans)
            self._exec(self._sql(f"UPDATE dedup_scans SET finished = ? WHERE id {fragment}"), (time.time(), param))
            self._exec(self._sql("UPDATE dedup_scans SET summary = ? WHERE id = ?"), (json.dumps(summary), scans[0]))
            self._exec(self._sql(f"DELETE FROM dedup_removed WHERE scan {fragment}"), (param,))
            self._exec(self._sql(f"DELETE FROM dedup_touched WHERE scan {fragment}"), (param,))
            self._exec(self._sql(f"DELETE FROM dedup_tally WHERE scan {fragment}"), (param,))

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
        """Insert documents with consecutive ids from `first_id`, and their band keys as a new run."""
        self._many(
            "INSERT INTO dedup_documents VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            ((first_id + n, d.path, d.size, d.mtime_ns, d.content_hash, d.version, d.encoding, d.kind,
              d.words, scan, d.change, blob(d.signature), blob(d.shingles)) for n, d in enumerate(documents)),
        )
        keyed = [n for n, d in enumerate(documents) if d.words]  # no shingles: pairs with nothing
        if keyed:
            keys = np.stack([documents[n].keys for n in keyed]).astype(np.uint64, copy=False)
            self._add_run(index.make_run(keys, np.array(keyed, dtype=np.int64) + first_id))

    def _add_run(self, run: index.Run) -> None:
        """Store a run, merged first with the smallest stored runs while it is at least half as large as them.

        Like a binary counter, this keeps about log2(batches) runs and writes
        each key about log2(batches) times; a merge leaves out the keys of
        documents taken out since.
        """
        runs = self._load_runs()
        while runs:
            smallest = min(runs, key=lambda r: (len(runs[r]), r))
            if 2 * len(run) < len(runs[smallest]):
                break
            pieces = [runs.pop(smallest), run]
            docs = distinct(np.concatenate([p.docs for p in pieces]))
            run = index.merge_runs(pieces, np.setdiff1d(docs, self._existing(docs), assume_unique=True))
            self._exec(self._sql("DELETE FROM dedup_band_runs WHERE run = ?"), (smallest,))
            del self._runs[smallest]
        number = self.next_id("band_runs")  # a new number: a reader that kept the old runs will not mistake it
        self._many("INSERT INTO dedup_band_runs VALUES (?, ?, ?, ?)",
                   ((number, band, _i64(run.keys[run.starts[band] : run.starts[band + 1]]),
                     _i64(run.docs[run.starts[band] : run.starts[band + 1]])) for band in range(len(run.starts) - 1)))
        self._runs[number] = run

    def _load_runs(self) -> dict[int, index.Run]:
        """Return the stored runs by number, reading only those not read before."""
        stored = {int(r[0]) for r in self._all("SELECT DISTINCT run FROM dedup_band_runs")}
        for gone in set(self._runs) - stored:  # merged by another scanner
            del self._runs[gone]
        missing = stored - set(self._runs)
        if missing:
            fragment, param = self._ids(missing)
            pieces: dict[int, list[tuple[bytes, bytes]]] = {}
            for run, _, keys, docs in self._all(self._sql(
                    f"SELECT run, band, keys, docs FROM dedup_band_runs WHERE run {fragment} ORDER BY run, band"),
                    (param,)):
                pieces.setdefault(int(run), []).append((keys, docs))
            for run, bands in pieces.items():
                sizes = [len(k) // 8 for k, _ in bands]
                keys = np.frombuffer(b"".join(k for k, _ in bands), dtype="<u8").astype(np.uint64, copy=False)
                docs = np.frombuffer(b"".join(d for _, d in bands), dtype="<i8").astype(np.int64, copy=False)
                self._runs[run] = index.Run(np.concatenate(([0], np.cumsum(sizes))).astype(np.int64), keys, docs)
        return dict(self._runs)

    def _existing(self, ids: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """Return those of `ids` (sorted) that are documents of the index, sorted."""
        if len(ids) == 0:
            return ids
        fragment, param = self._ids(ids.tolist())
        found = np.array([r[0] for r in self._all(self._sql(f"SELECT id FROM dedup_documents WHERE id {fragment}"),
                                                  (param,))], dtype=np.int64)
        return np.sort(found)

    def remove_documents(self, ids: Iterable[int]) -> None:
        """Delete documents; their groups must be gone already (their band keys are skipped from now on)."""
        ids = list(ids)
        if not ids:
            return
        fragment, param = self._ids(ids)
        self._exec(self._sql(f"DELETE FROM dedup_documents WHERE id {fragment}"), (param,))

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

    def stamps(self) -> list[Stamp]:
        """Return every document's id, path, size, modification time and version, in path order."""
        # No ORDER BY, sorted here (paths compare as bytes, as in the database): PostgreSQL reads the table
        # in its order; SQLite reads an index of these columns (dedup/store/sqlite.py), in path order already.
        rows = self._all("SELECT id, path, size, mtime_ns, version FROM dedup_documents")
        found = list(map(Stamp._make, rows))  # both drivers give a BLOB or BYTEA as bytes
        found.sort(key=_path)
        return found

    def documents(self, ids: Iterable[int] | None = None) -> list[Known]:
        """Return the documents with these ids (all when None), in path order."""
        if ids is None:
            return self._known("", ())
        fragment, param = self._ids(ids)
        return self._known(f"WHERE id {fragment}", (param,))

    def documents_of(self, scans: Iterable[int]) -> list[Known]:
        """Return the documents these scans added, in path order."""
        fragment, param = self._ids(scans)
        return self._known(f"WHERE scan {fragment}", (param,))

    def _known(self, where: str, params: Sequence[Any]) -> list[Known]:
        rows = self._all(self._sql("SELECT id, path, size, mtime_ns, content_hash, version, kind, words, encoding, "
                                   f"scan, change FROM dedup_documents {where}"), params)
        found = [Known(r[0], bytes(r[1]), r[2], r[3], bytes(r[4]), r[5], r[6], r[7], r[8], r[9], r[10]) for r in rows]
        found.sort(key=_path)
        return found

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

    def read_band_keys(self) -> None:
        """Read the stored band keys now, not on first use (`band_members`): 0.1 s at 100,000 documents."""
        self._load_runs()

    def band_members(self, keys: U64) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Return every stored document under one of `keys` (shape (n, bands)): the row and band asked, and its id."""
        rows, bands, docs = index.run_matches(list(self._load_runs().values()), keys.astype(np.uint64, copy=False))
        if len(docs) == 0:
            return rows, bands, docs
        kept = np.isin(docs, self._existing(distinct(docs)))  # the runs keep the keys of documents taken out
        return rows[kept], bands[kept], docs[kept]

    def words_and_paths(self, ids: Iterable[int]) -> dict[int, tuple[int, bytes]]:
        """Return each document's word count and path."""
        fragment, param = self._ids(ids)
        rows = self._all(self._sql(f"SELECT id, words, path FROM dedup_documents WHERE id {fragment}"), (param,))
        return {r[0]: (r[1], bytes(r[2])) for r in rows}

    def signatures(self, ids: Iterable[int]) -> dict[int, U32]:
        """Return the MinHash signature of each of these documents that has words (the others have no band keys)."""
        fragment, param = self._ids(ids)
        rows = self._all(self._sql(f"SELECT id, signature FROM dedup_documents WHERE id {fragment} AND words > 0"),
                         (param,))
        return {r[0]: unblob(r[1]) for r in rows}

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
        return {r[0] for r in self._all(self._sql(f"SELECT DISTINCT grp FROM dedup_members WHERE doc {fragment}"),
                                        (param,))}

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
        """Return (group, reference, member) for every member whose discrepancies are not cached yet.

        A member cached as not compared (`differ.not_compared`) keeps its reason until its group changes.
        """
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
            "(SELECT reference FROM dedup_groups WHERE id = dedup_members.grp) = ?"),
            (reference, found, doc, reference))

    def log_removals(self, removals: Iterable[Removal]) -> None:
        """Log documents taken out, so that the scan's report (or the one resuming it) names them."""
        self._many("INSERT INTO dedup_removed VALUES (?, ?, ?, ?, ?)",
                   ((r.scan, r.path, r.reason, r.content_hash, r.group) for r in removals))

    def log_touched(self, scan: int, groups: Iterable[int], alone: Iterable[int]) -> None:
        """Log the groups a transaction of `scan` changed and the documents it left in no group."""
        self._many("INSERT INTO dedup_touched VALUES (?, ?, ?)",
                   [*((scan, g, None) for g in groups), *((scan, None, d) for d in alone)])

    def log_tally(self, scan: int, candidate_pairs: int, verified_pairs: int) -> None:
        """Log the candidate and verified pairs a transaction of `scan` counted."""
        if candidate_pairs or verified_pairs:
            self._exec(self._sql("INSERT INTO dedup_tally VALUES (?, ?, ?)"), (scan, candidate_pairs, verified_pairs))

    def tally(self, scans: Iterable[int]) -> tuple[int, int]:
        """Return the candidate and verified pairs these scans counted, as logged."""
        fragment, param = self._ids(scans)
        row = self._one(self._sql("SELECT COALESCE(SUM(candidate_pairs), 0), COALESCE(SUM(verified_pairs), 0) "
                                  f"FROM dedup_tally WHERE scan {fragment}"), (param,))
        return int(row[0]), int(row[1])

    def touched(self, scans: Iterable[int]) -> tuple[set[int], set[int]]:
        """Return the groups these scans changed and the documents they left in no group, as logged."""
        fragment, param = self._ids(scans)
        rows = self._all(self._sql(f"SELECT grp, doc FROM dedup_touched WHERE scan {fragment}"), (param,))
        return {r[0] for r in rows if r[0] is not None}, {r[1] for r in rows if r[1] is not None}

    def removals(self, scans: Iterable[int]) -> list[Removal]:
        """Return the documents these scans took out."""
        fragment, param = self._ids(scans)
        rows = self._all(self._sql("SELECT scan, path, reason, content_hash, grp FROM dedup_removed "
                                   f"WHERE scan {fragment}"), (param,))
        return [Removal(r[0], bytes(r[1]), r[2], bytes(r[3]), r[4]) for r in rows]

    def counts(self) -> dict[str, int]:
        """Return how many documents, groups, grouped documents, pairs and band keys the index holds."""
        return {name: int(self._one(sql)[0]) for name, sql in (
            ("documents", "SELECT COUNT(*) FROM dedup_documents"),
            ("groups", "SELECT COUNT(*) FROM dedup_groups"),
            ("grouped_documents", "SELECT COUNT(*) FROM dedup_members"),
            ("verified_pairs", "SELECT COUNT(*) FROM dedup_pairs"),
            ("band_keys", "SELECT COALESCE(SUM(LENGTH(keys)), 0) / 8 FROM dedup_band_runs"),
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


def _i64(values: npt.NDArray[Any]) -> bytes:
    """Return 64-bit values as little-endian bytes."""
    return values.astype("<i8", copy=False).tobytes()


def _path(document: Known | Stamp) -> bytes:
    return document.path
