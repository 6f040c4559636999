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
LSH band keys in sorted runs (`index.Run`), one row per run and band holding
the keys and their documents as 64-bit little-endian bytes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol, Self
from urllib.parse import urlsplit, urlunsplit

import numpy as np
import numpy.typing as npt

from dedup.errors import DedupError
from dedup.fingerprint import U32
from dedup.index import U64

log = logging.getLogger(__name__)

SCHEMA_VERSION = 2  # 2: band keys in runs (dedup_band_runs), not one row each; blobs last in a document row

class StoreError(DedupError):
    """The index cannot be opened or used as asked."""


class ParametersMismatch(StoreError):
    """The index was built with other fingerprint parameters than this scan's."""


class Known(NamedTuple):
    """A document as the index has it: what a rescan needs to tell whether its file changed, and the report.

    A named tuple, not a frozen dataclass: a rescan reads one per document, by
    the 100,000, and a named tuple is made several times faster.
    """

    id: int
    path: bytes
    size: int
    mtime_ns: int
    content_hash: bytes
    version: str
    kind: str
    words: int
    encoding: str
    scan: int  # the scan that added it
    change: str  # new | changed: what that scan found


class Stamp(NamedTuple):
    """What a rescan compares a file it finds with, to tell whether it changed: read for every document.

    The rest of a document's row (`Known`) is read only for those it must look at again.
    """

    id: int
    path: bytes
    size: int
    mtime_ns: int
    version: str


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
    def stamps(self) -> list[Stamp]: ...
    def documents(self, ids: Iterable[int] | None = None) -> list[Known]: ...
    def documents_of(self, scans: Iterable[int]) -> list[Known]: ...
    def fingerprints(self, hashes: Iterable[bytes]) -> list[Fingerprint]: ...
    def read_band_keys(self) -> None: ...
    def band_members(self, keys: U64) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]: ...
    def words_and_paths(self, ids: Iterable[int]) -> dict[int, tuple[int, bytes]]: ...
    def signatures(self, ids: Iterable[int]) -> dict[int, U32]: ...
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
    def log_touched(self, scan: int, groups: Iterable[int], alone: Iterable[int]) -> None: ...
    def touched(self, scans: Iterable[int]) -> tuple[set[int], set[int]]: ...
    def log_tally(self, scan: int, candidate_pairs: int, verified_pairs: int) -> None: ...
    def tally(self, scans: Iterable[int]) -> tuple[int, int]: ...
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
        from dedup.store.postgres import PostgresStore

        return PostgresStore(location, create)
    from dedup.store.sqlite import SQLiteStore

    return SQLiteStore(location, create)


def redact(url: str) -> str:
    """Return a URL without its password, fit to show in a report or a log line."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))
