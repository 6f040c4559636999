"""The index in one SQLite file, in WAL mode: one scan writes at a time, readers never wait."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from dedup.store import StoreError
from dedup.store.sql import TABLES, SQLStore

log = logging.getLogger(__name__)

_SQLITE_MAGIC = b"SQLite format 3\x00"


class SQLiteStore(SQLStore):
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
            self._make_tables()
        except sqlite3.DatabaseError as err:
            self.close()
            if create or not _read_only_here(path, err):
                raise StoreError(f"cannot use {path} as an index: {err}") from err
            # `stats` and `report` of an index in a folder this process may not write (WAL mode needs
            # its -shm file there), with no write-ahead log left: read as the file is.
            log.info("%s is in a read-only folder: read as it is", path)
            self._conn = _immutable(path)

    def _make_tables(self) -> None:
        """Make the tables and indexes that a new index, or one made by an older dedup, lacks.

        An existing index that this process may only read (`stats` and `report` of a
        shared one) is read as it is: what an older dedup did not make only speeds up a rescan.
        """
        tables = TABLES.replace("WITHOUT_ROWID", "WITHOUT ROWID").replace("DOUBLE PRECISION", "REAL")
        try:
            with self.write() as tx:
                for statement in tables.replace("id BIGINT PRIMARY KEY", "id INTEGER PRIMARY KEY").split(";"):
                    if statement.strip():
                        tx._exec(statement)
                # What a rescan reads of every document (SQLStore.stamps), in path order, from an index
                # that holds nothing else (id is SQLite's rowid, in every index): not from the table's
                # pages, which hold the fingerprints too. Made when an older index is opened.
                tx._exec("CREATE INDEX IF NOT EXISTS dedup_documents_stamp ON dedup_documents "
                         "(path, size, mtime_ns, version)")
        except StoreError as err:
            cause = err.__cause__
            read_only = isinstance(cause, sqlite3.Error) and cause.sqlite_errorcode & 0xFF == sqlite3.SQLITE_READONLY
            if not read_only or self._one("SELECT 1 FROM sqlite_master WHERE name = 'dedup_meta'") is None:
                self.close()
                raise
            log.info("%s is read-only here: read as it is", self._path)

    @contextmanager
    def write(self) -> Iterator[SQLiteStore]:
        """Yield the store inside a write transaction (SQLite's write lock, taken at once)."""
        try:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self
                self._conn.execute("COMMIT")
            except BaseException:
                self._runs.clear()  # runs read or made in the transaction may be gone with it
                if self._conn.in_transaction:  # SQLite may have rolled back itself (a full disk)
                    self._conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as err:
            raise _failed(self._path, err) from err

    @contextmanager
    def read(self) -> Iterator[SQLiteStore]:
        """Yield the store inside a read transaction (one snapshot)."""
        try:
            self._conn.execute("BEGIN")
            try:
                yield self
            finally:
                self._conn.execute("ROLLBACK")
        except sqlite3.Error as err:
            raise _failed(self._path, err) from err

    def begin_scan(self, parameters: dict[str, Any] | None, roots: Sequence[str],
                   rebuild: bool) -> tuple[int, list[int]]:
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
    query = "SELECT 1 FROM sqlite_master WHERE name = 'dedup_meta'"
    try:
        probe = sqlite3.connect(_uri(path, "mode=ro"), uri=True)
        try:
            ours = probe.execute(query).fetchone()
        except sqlite3.DatabaseError as err:
            if not _read_only_here(path, err):
                raise
            probe.close()
            probe = _immutable(path)
            ours = probe.execute(query).fetchone()
        finally:
            probe.close()
    except sqlite3.DatabaseError as err:
        raise _failed(path, err) from err
    if not ours:
        raise StoreError(f"{path} is an SQLite database but not a dedup index; it was left as it is")


def _uri(path: str, query: str) -> str:
    """Return SQLite's URI of a file, with `query` (a name with ? or # in it is percent-encoded)."""
    return f"{Path(os.path.abspath(path)).as_uri()}?{query}"


def _read_only_here(path: str, err: sqlite3.Error) -> bool:
    """Whether `err` is SQLite unable to make a WAL index's -shm file beside it, with no -wal file to read."""
    code = getattr(err, "sqlite_errorcode", 0) & 0xFF
    return code in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN) and not os.path.exists(path + "-wal")


def _immutable(path: str) -> sqlite3.Connection:
    """Open an index as a file nobody changes: no lock, no -shm file (for a read-only folder)."""
    return sqlite3.connect(_uri(path, "immutable=1"), uri=True, isolation_level=None, check_same_thread=False)


def _failed(path: str, err: sqlite3.Error) -> StoreError:
    """Name what went wrong with the index; a damaged file gets the way on, which --rebuild cannot give."""
    damaged = getattr(err, "sqlite_errorcode", 0) & 0xFF in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)
    hint = " (the file is damaged: move it away and scan into a new --index path)" if damaged else ""
    return StoreError(f"the index {path} failed: {err}{hint}")
