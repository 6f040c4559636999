"""The index in a PostgreSQL database (psycopg 3): several scanners may write at once."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from dedup.store import StoreError, redact
from dedup.store.sql import TABLES, SQLStore

log = logging.getLogger(__name__)

_PG_LOCK = 0x64656475  # "dedu": the advisory-lock namespace of dedup
_PG_WRITE, _PG_SCAN = 1, 2


class PostgresStore(SQLStore):
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
            for statement in TABLES.replace(" WITHOUT_ROWID", "").replace("BLOB", "BYTEA").split(";"):
                if statement.strip():
                    tx._exec(statement)

    @contextmanager
    def write(self) -> Iterator[PostgresStore]:
        """Yield the store inside a transaction that holds the index's write lock."""
        try:
            with self._conn.transaction():
                self._conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", (_PG_LOCK, _PG_WRITE))
                yield self
        except BaseException as err:
            self._runs.clear()  # runs read or made in the transaction may be gone with it
            if not isinstance(err, self._psycopg.Error):
                raise
            raise StoreError(f"the index {self.location} failed: {err}".strip()) from err

    @contextmanager
    def read(self) -> Iterator[PostgresStore]:
        """Yield the store inside a read-only snapshot."""
        with self._conn.transaction():
            self._conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield self

    def begin_scan(self, parameters: dict[str, Any] | None, roots: Sequence[str],
                   rebuild: bool) -> tuple[int, list[int]]:
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
