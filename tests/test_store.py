"""The storage of the persistent index, on a real SQLite file and a real PostgreSQL server."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from dedup import fingerprint, index
from dedup.incremental import parameters
from dedup.options import ScanOptions
from dedup.store import (
    NewDocument,
    ParametersMismatch,
    StoredGroup,
    StoredMember,
    StoreError,
    Transaction,
    open_store,
    redact,
)
from tests.postgres_server import postgres_server, postgres_url  # noqa: F401  (fixtures)

OPTIONS = ScanOptions()
BANDS = index.bands_for(OPTIONS.threshold, OPTIONS.num_perm)


@pytest.fixture(params=["sqlite", "postgresql"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "index.db")
    return str(request.getfixturevalue("postgres_url"))


def document(path: str, text: str) -> NewDocument:
    found = fingerprint.fingerprint(text, OPTIONS.shingle_size, OPTIONS.num_perm, OPTIONS.seed)
    keys = index.band_keys(found.signature[None, :], BANDS)[0]
    return NewDocument(path.encode(), len(text), 1, path.encode().ljust(32, b"-")[:32], "v", "utf-8", "text",
                       found.tokens, found.signature, found.shingles, keys, "new")


TEXT = " ".join(f"word{n % 97} thing{n % 13} item{n}" for n in range(120))


def test_a_new_index_records_its_parameters_and_refuses_others_until_rebuilt(location: str) -> None:
    with open_store(location) as store:
        store.begin_scan(parameters(OPTIONS), ["a"], False)
        with store.write() as tx:
            tx.add_documents(tx.next_id("documents"), [document("/a/1.txt", TEXT)], 1)
        assert store.parameters() == parameters(OPTIONS)
    other = ScanOptions(num_perm=64)
    with open_store(location) as store, pytest.raises(ParametersMismatch) as refused:
        store.begin_scan(parameters(other), ["a"], False)
    assert "num_perm 128 (this scan: 64)" in str(refused.value)
    assert "--rebuild" in str(refused.value)
    with open_store(location) as store:
        store.begin_scan(parameters(other), ["a"], True)
        assert store.parameters() == parameters(other)
        with store.read() as tx:
            assert tx.counts()["documents"] == 0


def test_fingerprints_are_stored_compactly_and_come_back_equal(location: str) -> None:
    doc = document("/a/1.txt", TEXT)
    with open_store(location) as store:
        store.begin_scan(parameters(OPTIONS), ["a"], False)
        with store.write() as tx:
            first = tx.next_id("documents")
            tx.add_documents(first, [doc], 1)
        with store.read() as tx:
            np.testing.assert_array_equal(tx.shingles([first])[first], doc.shingles)
            (stored,) = tx.fingerprints([doc.content_hash])
            np.testing.assert_array_equal(stored.signature, doc.signature)
            assert tx.counts()["band_keys"] == BANDS.bands
    if not location.startswith("postgresql"):
        with sqlite3.connect(location) as raw:
            sizes = raw.execute("SELECT length(signature), length(shingles) FROM dedup_documents").fetchone()
        assert sizes == (4 * OPTIONS.num_perm, 4 * len(doc.shingles))  # uint32 bytes, not a pickle


def test_a_rescan_reads_stamps_of_all_documents_and_whole_rows_of_those_it_asks_for(location: str) -> None:
    with open_store(location) as store:
        store.begin_scan(parameters(OPTIONS), ["a"], False)
        with store.write() as tx:
            first = tx.next_id("documents", 3)
            tx.add_documents(first, [document("/a/2.txt", TEXT), document("/a/10.txt", TEXT + " b")], 1)
            tx.add_documents(first + 2, [document("/a/1.txt", TEXT + " c")], 2)
        with store.read() as tx:
            stamps = tx.stamps()
            assert [(s.path, s.size, s.mtime_ns, s.version) for s in stamps] == [
                (b"/a/1.txt", len(TEXT) + 2, 1, "v"), (b"/a/10.txt", len(TEXT) + 2, 1, "v"),
                (b"/a/2.txt", len(TEXT), 1, "v")]  # in path order, as bytes compare
            ids = {s.path: s.id for s in stamps}
            assert [d.path for d in tx.documents([ids[b"/a/2.txt"], ids[b"/a/1.txt"]])] == [b"/a/1.txt", b"/a/2.txt"]
            assert tx.documents([]) == []
            assert [d.path for d in tx.documents()] == [s.path for s in stamps]
            assert [(d.path, d.scan) for d in tx.documents_of([2])] == [(b"/a/1.txt", 2)]
            assert [d.path for d in tx.documents_of([1, 2])] == [s.path for s in stamps]


def test_sqlite_reads_the_stamps_from_an_index_of_their_own_also_in_an_older_index(tmp_path: Path) -> None:
    path = str(tmp_path / "index.db")
    with open_store(path) as store:
        store.begin_scan(parameters(OPTIONS), ["a"], False)
        with store.write() as tx:
            tx.add_documents(tx.next_id("documents"), [document("/a/1.txt", TEXT)], 1)
    with sqlite3.connect(path) as conn:  # as an index made before the stamps had their own
        conn.execute("DROP INDEX dedup_documents_stamp")
    with open_store(path) as store, store.read() as tx:  # opening it makes it again
        assert [s.path for s in tx.stamps()] == [b"/a/1.txt"]
    with sqlite3.connect(path) as conn:  # the rows' pages, which hold the fingerprints, are not read
        plan = conn.execute("EXPLAIN QUERY PLAN SELECT id, path, size, mtime_ns, version FROM dedup_documents")
        assert "COVERING INDEX dedup_documents_stamp" in " ".join(str(row[-1]) for row in plan)


def members(tx: Transaction, keys: np.ndarray) -> list[list[set[int]]]:  # type: ignore[type-arg]
    """Return the stored documents under each (row, band) key, as band_members finds them."""
    rows, bands, docs = tx.band_members(keys)
    found: list[list[set[int]]] = [[set() for _ in range(keys.shape[1])] for _ in range(len(keys))]
    for row, band, doc in zip(rows.tolist(), bands.tolist(), docs.tolist(), strict=True):
        found[row][band].add(doc)
    return found


def test_band_members_are_every_stored_document_under_a_key_but_removed_ones(location: str) -> None:
    a, b = document("/a/1.txt", TEXT), document("/a/2.txt", TEXT)
    unrelated = document("/a/3.txt", " ".join(f"other{n}" for n in range(200)))
    with open_store(location) as store:
        store.begin_scan(parameters(OPTIONS), ["a"], False)
        with store.write() as tx:
            first = tx.next_id("documents", 3)
            tx.add_documents(first, [a, b, unrelated], 1)
            found = members(tx, np.stack([a.keys, unrelated.keys]))
            assert found[0] == [{first, first + 1}] * BANDS.bands
            assert found[1] == [{first + 2}] * BANDS.bands
            tx.remove_documents([first])
            assert members(tx, a.keys[None, :])[0] == [{first + 1}] * BANDS.bands
            assert tx.counts()["band_keys"] == 3 * BANDS.bands  # kept in their run, skipped
        with store.write() as tx:  # a batch at least half as large: its run is merged, without the removed keys
            more = tx.next_id("documents", 2)
            tx.add_documents(more, [document("/a/4.txt", TEXT + " x"), document("/a/5.txt", TEXT + " y")], 1)
            assert tx.counts()["band_keys"] == 4 * BANDS.bands
            found = members(tx, a.keys[None, :])[0]
            assert all(first + 1 in docs and first not in docs for docs in found)
            assert {more, more + 1} <= set().union(*found)  # the near-copies share some of its keys


def test_band_runs_stay_few_and_find_every_stored_key(location: str) -> None:
    rng = np.random.default_rng(7)
    bands = 6
    with open_store(location) as store:
        store.begin_scan(parameters(OPTIONS), ["a"], False)
        added: list[np.ndarray] = []
        for batch in range(40):
            keys = rng.integers(0, 2**64, size=(int(rng.integers(1, 30)), bands), dtype=np.uint64)
            keys[:, 0] = 5  # one bucket every document shares
            with store.write() as tx:
                first = tx.next_id("documents", len(keys))
                docs = [NewDocument(f"/r/{batch}-{n}".encode(), 1, 1, b"h" * 32, "v", "utf-8", "text", 1,
                                    np.zeros(4, np.uint32), np.zeros(1, np.uint32), k, "new")
                        for n, k in enumerate(keys)]
                tx.add_documents(first, docs, 1)
            added.append(np.column_stack([np.arange(first, first + len(keys)), keys.view(np.int64)]))
        every = np.concatenate(added)
        with store.write() as tx:
            assert tx.counts()["band_keys"] == every.shape[0] * bands
            assert len(tx._load_runs()) <= 1 + int(np.log2(40))
            found = members(tx, every[:, 1:].view(np.uint64))
        ids = set(every[:, 0].tolist())
        assert all(row[0] == ids for row in found)  # the bucket every document shares
        assert all(row[1:] == [{doc}] * (bands - 1) for row, doc in zip(found, every[:, 0].tolist(), strict=True))


def test_the_database_refuses_a_group_that_names_a_missing_document(location: str) -> None:
    with open_store(location) as store:
        store.begin_scan(parameters(OPTIONS), ["a"], False)
        with store.write() as tx:
            first = tx.next_id("documents", 2)
            tx.add_documents(first, [document("/a/1.txt", TEXT), document("/a/2.txt", TEXT)], 1)
            tx.add_groups([StoredGroup(1, first, (StoredMember(first, 1.0, 1.0), StoredMember(first + 1, 1.0, 1.0)))])
        with pytest.raises((StoreError, sqlite3.IntegrityError)), store.write() as tx:
            tx.remove_documents([first + 1])
        with store.read() as tx:
            assert tx.counts() | {"band_keys": 0} == {"documents": 2, "groups": 1, "grouped_documents": 2,
                                                      "verified_pairs": 0, "band_keys": 0}


def test_a_failed_transaction_leaves_nothing_behind(location: str) -> None:
    doc = document("/a/1.txt", TEXT)
    with open_store(location) as store:
        store.begin_scan(parameters(OPTIONS), ["a"], False)
        with pytest.raises(KeyboardInterrupt), store.write() as tx:
            tx.add_documents(tx.next_id("documents"), [doc], 1)
            raise KeyboardInterrupt
        with store.read() as tx:
            assert tx.counts() == {"documents": 0, "groups": 0, "grouped_documents": 0, "verified_pairs": 0,
                                   "band_keys": 0}
        with store.write() as tx:  # nor is the run it made
            assert tx.band_members(doc.keys[None, :])[2].tolist() == []


def test_an_unfinished_scan_is_resumed_by_the_next_one(location: str) -> None:
    with open_store(location) as store:
        first, resumed = store.begin_scan(parameters(OPTIONS), ["a"], False)
        assert resumed == []
    with open_store(location) as store:
        second, resumed = store.begin_scan(parameters(OPTIONS), ["a"], False)
        assert resumed == [first]
        store.finish_scan([second, first], {})
    with open_store(location) as store:
        assert store.begin_scan(parameters(OPTIONS), ["a"], False)[1] == []


@pytest.fixture
def read_only() -> Iterator[Callable[[Path], None]]:
    """Make files read-only even for root (chattr +i), or skip; undone at the end."""
    made: list[Path] = []

    def make(path: Path) -> None:
        if os.geteuid() != 0:
            path.chmod(0o444)
        elif subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0:
            pytest.skip("cannot make a file read-only for root here (chattr +i)")
        made.append(path)

    yield make
    for path in made:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(path)], check=True)
        path.chmod(0o644)


@pytest.mark.skipif(not hasattr(os, "geteuid") or not shutil.which("chattr"), reason="POSIX files, chattr")
def test_an_older_index_that_may_only_be_read_is_read_as_it_is(
    tmp_path: Path, read_only: Callable[[Path], None]
) -> None:
    path = tmp_path / "index.db"
    with open_store(str(path)) as store:
        first, _ = store.begin_scan(parameters(OPTIONS), ["a"], False)
        with store.write() as tx:
            tx.add_documents(tx.next_id("documents"), [document("/a/1.txt", TEXT)], first)
        store.finish_scan([first], {})
    with sqlite3.connect(path) as conn:  # as an index made before the stamps had their own
        conn.execute("DROP INDEX dedup_documents_stamp")
    conn.close()
    read_only(path)
    with open_store(str(path), create=False) as store:
        with store.read() as tx:
            assert [s.path for s in tx.stamps()] == [b"/a/1.txt"]
            assert tx.counts()["documents"] == 1
        with pytest.raises(StoreError, match="readonly"):
            store.begin_scan(parameters(OPTIONS), ["a"], False)


def test_what_older_code_left_logged_for_a_scan_id_is_not_counted_for_a_new_scan_with_that_id(location: str) -> None:
    with open_store(location) as store:
        first, _ = store.begin_scan(parameters(OPTIONS), ["a"], False)
        store.finish_scan([first], {})
        with store.write() as tx:  # as an interrupted scan's logs that older code's --rebuild did not empty
            tx.log_tally(first + 1, 7, 3)
            tx.log_touched(first + 1, [5], [6])
    with open_store(location) as store:
        second, resumed = store.begin_scan(parameters(OPTIONS), ["a"], False)
        assert (second, resumed) == (first + 1, [])
        with store.read() as tx:
            assert tx.tally([second]) == (0, 0)
            assert tx.touched([second]) == (set(), set())


def test_a_running_postgresql_scan_is_not_taken_for_an_interrupted_one(postgres_url: str) -> None:  # noqa: F811
    with open_store(postgres_url) as running:
        running.begin_scan(parameters(OPTIONS), ["a"], False)
        with open_store(postgres_url) as other:
            assert other.begin_scan(parameters(OPTIONS), ["b"], False)[1] == []


@pytest.mark.parametrize("content", [b"", b"my notes\n", None])
def test_a_file_that_is_not_an_index_is_refused_and_left_as_it_is(tmp_path: Path, content: bytes | None) -> None:
    path = tmp_path / "notes.txt"
    if content is None:  # another program's SQLite database
        with sqlite3.connect(path) as other:
            other.execute("CREATE TABLE mine (x)")
        other.close()
    else:
        path.write_bytes(content)
    before = path.read_bytes()
    with pytest.raises(StoreError, match="not a dedup index"):
        open_store(str(path))
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_index_commands_do_not_create_an_index(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no index"):
        open_store(str(tmp_path / "missing.db"), create=False)
    assert not (tmp_path / "missing.db").exists()


def test_a_password_never_appears_in_the_location_shown() -> None:
    assert redact("postgresql://ann:s3cret@db.example:5432/archive") == "postgresql://ann:***@db.example:5432/archive"
    assert redact("postgresql://ann@db.example/archive") == "postgresql://ann@db.example/archive"

