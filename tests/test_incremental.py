"""Scans with a persistent index: what a rescan reads, reports and keeps, on real files and databases.

The kill test runs `dedup scan --index` as a real process and kills it with
SIGKILL in the middle of its work; the concurrency test has two real
processes write to one PostgreSQL index at once.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from dedup import __version__
from dedup.store import ParametersMismatch, StoreError
from tests.conftest import ROOT
from tests.postgres_server import postgres_server, postgres_url  # noqa: F401  (fixtures)
from tests.text import corpus, edited, prose, versions

Run = Callable[..., Result]
def found_groups(report: dict[str, Any]) -> set[frozenset[str]]:
    return {frozenset(Path(d["path"]).stem[3:] for d in g["documents"]) for g in report["groups"]}


def scan(run: Run, *args: str) -> dict[str, Any]:
    result = run("scan", *args, "--format", "json", "-q")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def report(run: Run, location: str) -> dict[str, Any]:
    """Return `dedup index report`: the whole index as a scan report."""
    result = run("index", "report", location, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


@pytest.fixture(params=["sqlite", "postgresql"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "index.db")
    return str(request.getfixturevalue("postgres_url"))


def test_a_first_indexed_scan_reports_what_a_plain_scan_does(run: Run, tmp_path: Path,
                                                             validate: Callable[[Any], None]) -> None:
    planted = corpus(tmp_path / "docs", 40, 6)
    plain = scan(run, str(tmp_path / "docs"))
    indexed = scan(run, str(tmp_path / "docs"), "--index", str(tmp_path / "index.db"))
    validate(indexed)
    assert "index" not in plain
    assert found_groups(indexed) == found_groups(plain) == planted
    assert {m["path"]: m["discrepancies"] for g in indexed["groups"] for m in g["documents"]} == {
        m["path"]: m["discrepancies"] for g in plain["groups"] for m in g["documents"]}
    assert indexed["stats"]["files_seen"] == plain["stats"]["files_seen"] == 40
    assert len(indexed["index"]["new"]) == 40 and indexed["index"]["unchanged"] == 0


def test_added_changed_renamed_and_deleted_documents_between_scans(run: Run, tmp_path: Path, location: str,
                                                                  validate: Callable[[Any], None]) -> None:
    docs = tmp_path / "docs"
    corpus(docs, 30, 4)
    first = scan(run, str(docs), "--index", location)
    group_of = {Path(d["path"]).stem: g["id"] for g in first["groups"] for d in g["documents"]}
    (docs / "00" / "new-copy.txt").write_text(edited(prose(20), 99))  # duplicates doc00020, unique so far
    (docs / "00" / "doc00021.txt").write_text(edited(prose(22), 98))  # changed: now a copy of doc00022
    os.rename(docs / "00" / "doc00002.txt", docs / "00" / "moved.txt")  # renamed, in group with doc00003
    os.remove(docs / "00" / "doc00005.txt")  # deleted: its group with doc00004 dissolves

    second = scan(run, str(docs), "--index", location)
    validate(second)
    index = second["index"]
    now = {Path(d["path"]).stem: g["id"] for g in second["groups"] for d in g["documents"]}
    assert index["new"] == [{"path": str(docs / "00" / "new-copy.txt"), "group": now["doc00020"]}]
    assert index["changed"] == [{"path": str(docs / "00" / "doc00021.txt"), "group": now["doc00022"]}]
    assert index["renamed"] == [{"path": str(docs / "00" / "moved.txt"), "from": str(docs / "00" / "doc00002.txt"),
                                 "group": group_of["doc00003"]}]
    assert index["removed"] == [{"path": str(docs / "00" / "doc00005.txt"), "reason": "gone",
                                 "group": group_of["doc00004"]}]
    assert index["unchanged"] == 27 and index["documents"] == 30
    assert "doc00004" not in now and now["moved"] == group_of["doc00003"]
    assert set(index["groups_changed"]) == {now["doc00020"], now["doc00022"], now["moved"]}
    for g in second["groups"]:  # no group names a document whose file is gone
        assert all(os.path.exists(d["path"]) for d in g["documents"])
    # the report holds what changed: the groups changed or joined, and the document left alone by its group
    assert {g["id"] for g in second["groups"]} == set(index["groups_changed"])
    assert [Path(u["path"]).stem for u in second["unique"]] == ["doc00004"]
    assert second["stats"]["files_seen"] == 7  # what the report lists; index.documents counts the whole index

    whole = report(run, location)
    validate(whole)
    plain = scan(run, str(docs))
    assert {frozenset(d["path"] for d in g["documents"]) for g in whole["groups"]} == {
        frozenset(d["path"] for d in g["documents"]) for g in plain["groups"]}
    assert [u["path"] for u in whole["unique"]] == [u["path"] for u in plain["unique"]]
    assert {m["path"]: m["discrepancies"] for g in whole["groups"] for m in g["documents"]} == {
        m["path"]: m["discrepancies"] for g in plain["groups"] for m in g["documents"]}
    assert [g for g in whole["groups"] if g["id"] in index["groups_changed"]] == second["groups"]
    third = scan(run, str(docs), "--index", location)
    assert third["index"]["unchanged"] == 30
    assert third["index"]["new"] == third["index"]["changed"] == third["index"]["removed"] == []
    assert third["groups"] == third["unique"] == [] and third["index"]["groups_changed"] == []
    assert report(run, location)["groups"] == whole["groups"]


def test_an_index_groups_as_a_fresh_scan_whatever_order_the_files_came_in(run: Run, tmp_path: Path) -> None:
    # Families of versions, the files named at random: a scan numbers documents in path order, an index
    # in the order they came (a renamed or changed file comes again), and groups must not depend on either.
    rng = random.Random(14)
    docs, location = tmp_path / "docs", str(tmp_path / "index.db")
    docs.mkdir()
    waiting = [(f"{family}v{k}", text) for family in range(300) for k, text in enumerate(versions(family))]
    rng.shuffle(waiting)
    present: dict[str, Path] = {}

    def names(groups: list[dict[str, Any]]) -> set[frozenset[str]]:
        return {frozenset(Path(d["path"]).name.split("-")[1] for d in g["documents"]) for g in groups}

    for step in range(12):
        for name, text in waiting[:150] if step < 10 else []:  # files come 150 at a time, then move and go
            present[name] = docs / f"{rng.randrange(10**6):06d}-{name}.txt"
            present[name].write_text(text)
        del waiting[:150]
        for name in rng.sample(sorted(present), 60):
            moved = docs / f"{rng.randrange(10**6):06d}-{name}.txt"
            present[name] = Path(os.rename(present[name], moved) or moved)
        for name in rng.sample(sorted(present), 20) if step >= 10 else []:
            present.pop(name).unlink()
        scan(run, str(docs), "--index", location)
        fresh = scan(run, str(docs))
        assert names(report(run, location)["groups"]) == names(fresh["groups"]), step
    assert len(fresh["groups"]) > 150


def test_a_small_edit_of_a_document_in_no_group_is_rescanned(run: Run, tmp_path: Path) -> None:
    """The edited file's new keys match only its old version, which the same transaction takes out."""
    docs, index = tmp_path / "docs", str(tmp_path / "index.db")
    corpus(docs, 2, 0)
    scan(run, str(docs), "--index", index)
    edited_file = docs / "00" / "doc00001.txt"
    edited_file.write_text(edited(prose(1), 5, edits=1))
    second = scan(run, str(docs), "--index", index)
    assert second["index"]["changed"] == [{"path": str(edited_file), "group": None}]
    assert [u["path"] for u in second["unique"]] == [str(edited_file)] and second["groups"] == []
    assert scan(run, str(docs), "--index", index)["index"]["unchanged"] == 2


def test_a_rescan_reads_only_files_whose_size_or_time_changed(run: Run, tmp_path: Path) -> None:
    docs, index = tmp_path / "docs", str(tmp_path / "index.db")
    corpus(docs, 6, 1)
    scan(run, str(docs), "--index", index)
    path = docs / "00" / "doc00004.txt"
    stat = path.stat()
    path.write_text(prose(0).upper()[: stat.st_size].ljust(stat.st_size))  # same size, now a copy of doc00000
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    second = scan(run, str(docs), "--index", index)
    assert second["index"]["changed"] == [] and second["index"]["unchanged"] == 6  # not read: by design
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    third = scan(run, str(docs), "--index", index)
    assert third["index"]["changed"] == [{"path": str(path), "group": 1}]  # read now: joins doc00000 and doc00001

    other = docs / "00" / "doc00005.txt"
    os.utime(other, ns=(other.stat().st_atime_ns, other.stat().st_mtime_ns + 10**9))
    fourth = scan(run, str(docs), "--index", index)
    assert fourth["index"]["touched"] == 1 and fourth["index"]["changed"] == []


def test_an_index_built_with_other_parameters_is_refused(run: Run, tmp_path: Path) -> None:
    docs, index = tmp_path / "docs", str(tmp_path / "index.db")
    corpus(docs, 4, 1)
    scan(run, str(docs), "--index", index)
    refused = subprocess.run([sys.executable, "-m", "dedup", "scan", str(docs), "--index", index, "--num-perm", "64"],
                             capture_output=True, text=True, cwd=ROOT)
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr.count("\n") == 1
    assert "num_perm 128 (this scan: 64)" in refused.stderr and "--rebuild" in refused.stderr
    with pytest.raises(ParametersMismatch, match=r"shingle_size 5 \(this scan: 4\)"):
        run("scan", str(docs), "--index", index, "--shingle-size", "4")
    rebuilt = scan(run, str(docs), "--index", index, "--num-perm", "64", "--rebuild")
    assert len(rebuilt["index"]["new"]) == 4 and rebuilt["options"]["num_perm"] == 64
    # As if an earlier dedup had built it: its signatures and cached discrepancies are not reused after an upgrade.
    db = sqlite3.connect(index)
    with db:
        stored = json.loads(db.execute("SELECT value FROM dedup_meta WHERE key = 'parameters'").fetchone()[0])
        db.execute("UPDATE dedup_meta SET value = ? WHERE key = 'parameters'",
                   (json.dumps({**stored, "dedup_version": "0.0.1"}),))
    db.close()
    with pytest.raises(ParametersMismatch, match=rf"dedup_version '0\.0\.1' \(this scan: '{re.escape(__version__)}'\)"):
        run("scan", str(docs), "--index", index, "--num-perm", "64")
    # prune and forget regroup with this dedup's banding and differ: refused too, and nothing taken out.
    os.remove(docs / "00" / "doc00001.txt")
    for args in (["prune", index], ["forget", index, str(docs / "00" / "doc00002.txt")]):
        with pytest.raises(ParametersMismatch, match=r"dedup_version '0\.0\.1'"):
            run("index", *args)
    assert json.loads(run("index", "stats", index, "--format", "json").stdout)["documents"] == 4


@pytest.mark.parametrize("where", [0.0, 0.5])
def test_a_damaged_index_is_named_as_such_with_the_way_on(run: Run, tmp_path: Path, where: float) -> None:
    """A damaged file gave "internal error: DatabaseError" (a bug to report, said the message), and no way on."""
    docs, index = tmp_path / "docs", tmp_path / "index.db"
    corpus(docs, 300, 20)
    scan(run, str(docs), "--index", str(index))
    size = index.stat().st_size
    with open(index, "r+b") as fh:  # the header page kept: it is still an SQLite file, damaged inside
        fh.seek(max(4096, int(size * where)))
        fh.write(b"\xa5" * (size // 2))
    with pytest.raises(StoreError, match="the file is damaged: move it away and scan into a new --index path"):
        run("index", "report", str(index), "--format", "json")


def _documents_committed(index: Path) -> int:
    try:
        with sqlite3.connect(f"file:{index}?mode=ro", uri=True, timeout=5) as db:
            return int(db.execute("SELECT COUNT(*) FROM dedup_documents").fetchone()[0])
    except sqlite3.Error:
        return 0


def _descendants(pid: int) -> set[int]:
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    parents[int(entry)] = int(fh.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
    found, todo = set(), [pid]
    while todo:
        parent_pid = todo.pop()
        children = {child for child, parent in parents.items() if parent == parent_pid}
        todo += children - found
        found |= children
    return found


def _running(pid: int) -> bool:
    try:
        return "zombie" not in Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGINT], ids=["kill-9", "ctrl-c"])
def test_an_interrupted_scan_leaves_the_index_consistent_and_the_next_one_resumes(
        run: Run, tmp_path: Path, how: signal.Signals) -> None:
    docs, index = tmp_path / "docs", tmp_path / "index.db"
    # 18 MB: worth worker processes (incremental._PARALLEL_BYTES), and three transactions (COMMIT_EVERY), so that
    # the first is written well before the scan ends: 0.37 s before on a fast machine, against 0.22 s with 2,000
    planted = corpus(docs, 3000, 40, words=900)
    jobs = "2" if how == signal.SIGKILL else "1"  # kill -9 hits the scan alone: its workers must not live on
    process = subprocess.Popen([sys.executable, "-m", "dedup", "scan", str(docs), "--index", str(index), "-j", jobs,
                                "-q", "--format", "json", "-o", str(tmp_path / "report.json")],
                               cwd=ROOT, start_new_session=True, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while _documents_committed(index) == 0 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert process.poll() is None, "the scan ended before it could be interrupted"
    helpers = _descendants(process.pid) if os.path.isdir("/proc") else set()
    if how == signal.SIGKILL and os.path.isdir("/proc"):
        assert helpers, "the scan started no worker process: the test would not show that none outlives it"
    if how == signal.SIGKILL:
        os.kill(process.pid, how)
    else:
        os.killpg(process.pid, how)  # what a terminal does on Ctrl-C
        process.wait(timeout=60)
        assert process.returncode == 130
    # A killed scan is not reaped yet: its workers must not take the zombie for alive, or a caller that reads
    # the scan's stdout to its end (subprocess.run(capture_output=True)) waits for ever on the pipe they hold.
    deadline = time.monotonic() + 15
    while any(_running(p) for p in helpers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_running(p) for p in helpers), "worker processes outlived the scan"
    process.wait(timeout=60)
    process.stderr.close()
    assert not (tmp_path / "report.json").exists()

    with sqlite3.connect(f"file:{index}?mode=ro", uri=True) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        kept = db.execute("SELECT COUNT(*) FROM dedup_documents").fetchone()[0]
        assert db.execute("SELECT finished FROM dedup_scans").fetchall() == [(None,)]
        assert db.execute("SELECT COUNT(*) FROM dedup_members m LEFT JOIN dedup_documents d ON d.id = m.doc "
                          "WHERE d.id IS NULL").fetchone()[0] == 0
    assert 0 < kept < 3000

    report = scan(run, str(docs), "--index", str(index))
    assert report["index"]["resumed_scans"] == [1]
    assert len(report["index"]["new"]) == 3000  # what the interrupted scan added is reported too
    assert report["index"]["unchanged"] == 0  # and not as unchanged as well (it was: 3000 new, `kept` unchanged)
    assert found_groups(report) == planted
    # Counted by both processes (the planted pairs are in the first batch, which the interrupted one wrote).
    assert report["stats"]["verified_pairs"] == len(planted) <= report["stats"]["candidate_pairs"]


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="finds the workers in /proc")
def test_the_workers_of_a_scan_without_an_index_end_with_it_when_it_is_killed(tmp_path: Path) -> None:
    """They waited for work on pipes they shared with the killed scan, for ever, holding its stdout open."""
    docs = tmp_path / "docs"
    corpus(docs, 3000, 40, words=900)
    process = subprocess.Popen([sys.executable, "-m", "dedup", "scan", str(docs), "-j", "2", "-q", "--format", "json"],
                               cwd=ROOT, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline, helpers = time.monotonic() + 120, set()
    while not helpers and process.poll() is None and time.monotonic() < deadline:
        helpers = _descendants(process.pid)
        time.sleep(0.01)
    assert process.poll() is None and helpers, "the scan ended before it started its workers"
    os.kill(process.pid, signal.SIGKILL)  # and not reaped yet: a zombie, to its workers
    process.communicate(timeout=30)  # returns once no worker holds the pipes
    deadline = time.monotonic() + 15  # a worker closes its files a moment before it has ended
    while any(_running(p) for p in helpers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_running(p) for p in helpers), "worker processes outlived the scan"
    assert process.returncode == -signal.SIGKILL


def test_a_rescan_resuming_a_killed_one_reports_what_the_killed_one_changed(run: Run, tmp_path: Path) -> None:
    """Groups dissolved by a rescan killed with SIGKILL: the next scan lists the documents they left alone."""
    docs, index = tmp_path / "docs", tmp_path / "index.db"
    corpus(docs, 2000, 40, words=900)
    scan(run, str(docs), "--index", str(index))
    left_alone = {str(docs / "00" / f"doc{n:05d}.txt") for n in range(0, 80, 2)}
    for n in range(1, 2000, 2):  # the second of each pair now unrelated, and much else rewritten: work to kill
        (docs / f"{n // 500:02d}" / f"doc{n:05d}.txt").write_text(prose(n + 10_000, 900))
    # Twenty documents a transaction: with the default (1,024), these 1,000 were written in one transaction at
    # the end of the scan, which then ended within some 70 ms; a test that took longer to kill it failed.
    script = ("import sys; from dedup.incremental import scan; from dedup.options import ScanOptions; "
              "scan([sys.argv[1]], sys.argv[2], ScanOptions(jobs=2), commit_every=20)")
    process = subprocess.Popen([sys.executable, "-c", script, str(docs), str(index)],
                               cwd=ROOT, start_new_session=True, stderr=subprocess.DEVNULL)

    def logged() -> int:
        try:
            with sqlite3.connect(f"file:{index}?mode=ro", uri=True, timeout=5) as db:
                return int(db.execute("SELECT COUNT(*) FROM dedup_touched WHERE doc IS NOT NULL").fetchone()[0])
        except sqlite3.Error:
            return 0

    deadline = time.monotonic() + 120
    while logged() == 0 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert process.poll() is None, "the rescan ended before it could be interrupted"
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=60)
    resumed = scan(run, str(docs), "--index", str(index))
    assert resumed["index"]["resumed_scans"] == [2] and resumed["groups"] == []
    assert left_alone <= {u["path"] for u in resumed["unique"]}  # logged by the killed scan's transactions
    assert len(resumed["index"]["changed"]) == 1000


def test_two_scanners_writing_to_one_postgresql_index_end_with_the_groups_of_one(
        run: Run, tmp_path: Path, postgres_server: str) -> None:  # noqa: F811
    import psycopg

    docs = tmp_path / "docs"
    planted = corpus(docs, 600, 100, words=40, per_folder=300)  # 300 documents in each of 00 and 01
    for n in range(1, 200, 4):  # move one side of many pairs to the other folder, so pairs span both
        os.rename(docs / "00" / f"doc{n:05d}.txt", docs / "01" / f"doc{n:05d}.txt")
    shared, alone = (f"{postgres_server.rpartition('/')[0]}/dedup_test_{name}_{os.getpid()}" for name in ("two", "one"))
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        for url in (shared, alone):
            conn.execute(f"DROP DATABASE IF EXISTS {url.rpartition('/')[2]} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {url.rpartition('/')[2]}")
    try:
        script = ("import sys; from dedup.incremental import scan; from dedup.options import ScanOptions; "
                  "r = scan([sys.argv[1]], sys.argv[2], ScanOptions(jobs=1), commit_every=20); "
                  "print(sorted({c.path.rpartition('/')[0] for c in r.index.changes}), len(r.index.changes))")
        scanners = [subprocess.Popen([sys.executable, "-c", script, str(docs / part), shared], cwd=ROOT,
                                     stdout=subprocess.PIPE, text=True) for part in ("00", "01")]
        said = [p.communicate(timeout=300)[0] for p in scanners]
        assert [p.returncode for p in scanners] == [0, 0]
        # each reports the documents it added, not those the other added meanwhile
        assert said == [f"{[str(docs / part)]} {count}\n" for part, count in (("00", 250), ("01", 350))]
        rescan = scan(run, str(docs / "00"), str(docs / "01"), "--index", shared)
        assert rescan["index"]["new"] == [] and rescan["index"]["unchanged"] == 600 and rescan["groups"] == []
        one = scan(run, str(docs / "00"), str(docs / "01"), "--index", alone)
        together = report(run, shared)
        assert found_groups(together) == found_groups(one) == found_groups(report(run, alone)) == planted
        assert {(g["reference"], len(g["documents"])) for g in together["groups"]} == {
            (g["reference"], len(g["documents"])) for g in one["groups"]}
    finally:
        with psycopg.connect(postgres_server, autocommit=True) as conn:
            for url in (shared, alone):
                conn.execute(f"DROP DATABASE IF EXISTS {url.rpartition('/')[2]} WITH (FORCE)")


def test_index_commands_show_prune_and_forget(run: Run, tmp_path: Path) -> None:
    docs, index = tmp_path / "docs", str(tmp_path / "index.db")
    corpus(docs, 10, 2)
    scan(run, str(docs), "--index", index)
    stats = run("index", "stats", index, "--format", "json")
    assert stats.exit_code == 0, stats.stderr
    assert json.loads(stats.stdout)["documents"] == 10 and json.loads(stats.stdout)["groups"] == 2
    last_scan = run("index", "stats", index).stdout.splitlines()[-1]  # what the scan found, counted
    assert last_scan == f"scan 1             finished: {docs} (0 unchanged, 0 touched, 10 new)"
    shown = run("index", "report", index, "--color", "never")  # the text report of the whole index, as scan's
    assert shown.exit_code == 0 and shown.stdout.startswith(f"Group 1 · 2 documents · reference {docs / '00'}")
    assert all(str(docs / "00" / f"doc{n:05d}.txt") in shown.stdout for n in range(4))
    os.remove(docs / "00" / "doc00001.txt")
    pruned = run("index", "prune", index)
    assert pruned.stdout == f"{docs / '00' / 'doc00001.txt'}  (gone, left group 1)\n"
    forgotten = run("index", "forget", index, str(docs / "00" / "doc00002.txt"), "--format", "json")
    assert json.loads(forgotten.stdout)["removed"] == [
        {"path": str(docs / "00" / "doc00002.txt"), "reason": "forgotten", "group": 2}]
    assert (docs / "00" / "doc00002.txt").exists()  # the file is never touched
    assert json.loads(run("index", "stats", index, "--format", "json").stdout)["groups"] == 0
    with pytest.raises(StoreError, match="no index"):
        run("index", "stats", str(tmp_path / "none.db"))
    with pytest.raises(StoreError, match="no index"):
        run("index", "report", str(tmp_path / "none.db"))
    assert not (tmp_path / "none.db").exists()


def test_prune_and_forget_show_file_names_literally(run: Run, tmp_path: Path) -> None:
    """A file name is untrusted text: its escape sequences must not reach the terminal."""
    docs, index = tmp_path / "docs", str(tmp_path / "index.db")
    docs.mkdir()
    for name in ("gone\x1b[2J\x1b]0;OWNED\x07.txt", "kept\x1b[31m.txt"):
        (docs / name).write_text(prose(len(name)))
    scan(run, str(docs), "--index", index)
    (docs / "gone\x1b[2J\x1b]0;OWNED\x07.txt").unlink()
    pruned = run("index", "prune", index)
    forgotten = run("index", "forget", index, str(docs / "kept\x1b[31m.txt"))
    assert pruned.stdout == f"{docs}/gone\\x1b[2J\\x1b]0;OWNED\\x07.txt  (gone)\n"
    assert forgotten.stdout == f"{docs}/kept\\x1b[31m.txt  (forgotten)\n"
    assert "1 document taken out" in forgotten.stderr
    missed = subprocess.run([sys.executable, "-m", "dedup", "index", "forget", index, str(docs / "*.txt")],
                            cwd=ROOT, capture_output=True, text=True)  # a quoted glob: taken as written
    assert missed.returncode == 0 and missed.stdout == ""
    assert f"no document of {index} is at or below {docs}/*.txt (paths are taken as written" in missed.stderr


@pytest.mark.parametrize("how", ["deleted", "edited", "forgotten"])
def test_copies_of_a_document_stay_grouped_when_it_goes(run: Run, tmp_path: Path, how: str) -> None:
    """b and c were only ever compared with a, the centre of their buckets; without a they pair with each other."""
    docs, index = tmp_path / "docs", str(tmp_path / "index.db")
    docs.mkdir()
    text = prose(7)
    (docs / "a.txt").write_text(text)
    scan(run, str(docs), "--index", index, "--num-perm", "64")  # a first: the smallest id
    (docs / "b.txt").write_text(edited(text, 1, edits=1))
    (docs / "c.txt").write_text(edited(text, 2, edits=1))
    scan(run, str(docs), "--index", index, "--num-perm", "64")
    if how == "deleted":
        (docs / "a.txt").unlink()
    elif how == "edited":
        (docs / "a.txt").write_text(prose(8))  # unrelated now
    if how == "forgotten":
        assert run("index", "forget", index, str(docs / "a.txt")).exit_code == 0
    else:
        rescan = scan(run, str(docs), "--index", index, "--num-perm", "64")
        assert [[d["path"] for d in g["documents"]] for g in rescan["groups"]] == [
            [str(docs / "b.txt"), str(docs / "c.txt")]]
    listed = [[d["path"] for d in g["documents"]] for g in report(run, index)["groups"]]
    plain = scan(run, *(str(docs / f) for f in ("b.txt", "c.txt")), "--num-perm", "64")
    assert listed == [[d["path"] for d in g["documents"]] for g in plain["groups"]] == [
        [str(docs / "b.txt"), str(docs / "c.txt")]]


def test_a_group_whose_reference_is_forgotten_is_compared_with_its_new_one(run: Run, tmp_path: Path) -> None:
    docs, index = tmp_path / "docs", str(tmp_path / "index.db")
    docs.mkdir()
    text = prose(7)
    (docs / "a.txt").write_text(edited(text, 1, edits=1))
    (docs / "b.txt").write_text(edited(text, 2, edits=1))
    (docs / "c.txt").write_text(text.rstrip() + " with more words than the others\n")  # the reference
    assert scan(run, str(docs), "--index", index)["groups"][0]["reference"] == str(docs / "c.txt")
    forgotten = run("index", "forget", index, str(docs / "c.txt"), "--format", "json")
    assert json.loads(forgotten.stdout)["groups_changed"] == [1]
    whole, plain = report(run, index), scan(run, str(docs / "a.txt"), str(docs / "b.txt"))
    assert [[(m["path"], m["discrepancies"]) for m in g["documents"]] for g in whole["groups"]] == [
        [(m["path"], m["discrepancies"]) for m in g["documents"]] for g in plain["groups"]]
    assert whole["stats"]["discrepancies"] == {"word": 2}


def test_file_names_that_are_not_utf8_are_kept_and_reported(run: Run, tmp_path: Path,
                                                          validate: Callable[[Any], None]) -> None:
    docs, index = tmp_path / "docs", str(tmp_path / "index.db")
    docs.mkdir()
    odd = os.path.join(os.fsencode(docs), b"caf\xe9.txt")  # Latin-1 bytes in the name
    with open(odd, "w") as fh:
        fh.write(prose(1))
    (docs / "copy.txt").write_text(edited(prose(1), 2))
    first = scan(run, str(docs), "--index", index)
    validate(first)
    assert {d["path"] for g in first["groups"] for d in g["documents"]} == {os.fsdecode(odd), str(docs / "copy.txt")}
    os.remove(odd)
    second = scan(run, str(docs), "--index", index)
    assert second["index"]["removed"] == [{"path": os.fsdecode(odd), "reason": "gone", "group": 1}]


def test_a_file_reached_through_two_given_paths_is_one_document_named_as_first_reached(
        run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "x.txt").write_text(prose(1))
    (tmp_path / "a" / "b" / "y.txt").write_text(edited(prose(1), 2))
    (tmp_path / "a" / "b" / "z.txt").write_text(prose(3))
    first = scan(run, "a", "./a/b", "--index", "index.db")  # a/b/y.txt and a/b/z.txt are reached twice
    assert [d["path"] for d in first["index"]["new"]] == ["a/b/y.txt", "a/b/z.txt", "a/x.txt"]
    assert [[d["path"] for d in g["documents"]] for g in first["groups"]] == [["a/b/y.txt", "a/x.txt"]]
    again = scan(run, "a", "./a/b", "--index", "index.db")
    assert (again["index"]["documents"], again["index"]["unchanged"], again["index"]["new"]) == (3, 3, [])


def test_a_folder_scanned_through_a_link_and_by_its_name_is_one_set_of_documents(
        run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each of its files was indexed twice, under both spellings, and reported as a duplicate of itself."""
    monkeypatch.chdir(tmp_path)
    corpus(tmp_path / "real", 6, 2)
    os.symlink("real", "link")
    first = scan(run, "link", "--index", "index.db")
    assert len(first["index"]["new"]) == 6 and all(d["path"].startswith("link/") for d in first["index"]["new"])
    again = scan(run, "real", "--index", "index.db")
    assert (again["index"]["documents"], again["index"]["unchanged"], again["index"]["new"]) == (6, 6, [])
    assert again["groups"] == [] and again["index"]["removed"] == []
    os.remove("real/00/doc00005.txt")
    gone = scan(run, "link", "--index", "index.db")  # named as this scan spells its folder
    assert gone["index"]["removed"] == [{"path": "link/00/doc00005.txt", "reason": "gone", "group": None}]
    forgotten = run("index", "forget", "index.db", "link/00/doc00004.txt")
    assert forgotten.exit_code == 0 and report(run, "index.db")["stats"]["documents"] == 4


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the examination forks on Linux only")
def test_a_scan_killed_while_a_forked_process_examines_files_leaves_nothing_behind(tmp_path: Path) -> None:
    """The forked process outlived its killed parent: it held the scan's stdout (a reader waited for it) and
    the index's lock (the next scan waited) until it had examined its half. Each lstat is slowed here
    (sitecustomize, in the scan's processes only) so that the kill lands while the two examine."""
    docs, index = tmp_path / "docs", str(tmp_path / "index.db")
    many_files(docs)
    command = [sys.executable, "-m", "dedup", "scan", str(docs), "--index", index, "--format", "json", "-q"]
    assert subprocess.run(command, cwd=ROOT, capture_output=True, timeout=600).returncode == 0
    slow = tmp_path / "slow"
    slow.mkdir()
    (slow / "sitecustomize.py").write_text(
        "import os, time\n_lstat = os.lstat\n"
        "def lstat(path, *args, **kwargs):\n    time.sleep(0.002)\n    return _lstat(path, *args, **kwargs)\n"
        "os.lstat = lstat\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(slow), str(ROOT)]))
    scan = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not _children(scan.pid):  # the examination has begun: the scan has forked
        assert scan.poll() is None and time.monotonic() < deadline
        time.sleep(0.01)
    scan.kill()
    killed = time.monotonic()
    scan.communicate(timeout=60)  # the end of its output: every holder of the pipes is gone
    assert time.monotonic() - killed < 5  # the half left to examine takes 16 s
    started = time.monotonic()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0 and json.loads(done.stdout)["index"]["unchanged"] == len(list(docs.rglob("*.txt")))
    assert "waiting" not in done.stderr and time.monotonic() - started < 60


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the examination forks on Linux only")
def test_a_rescan_that_may_not_start_a_process_examines_every_file_itself() -> None:
    """A refused fork (a limit on processes, memory) stopped the scan with "internal error: BlockingIOError".

    The rescan runs as a user of its own with a limit of one process (RLIMIT_NPROC, which root ignores),
    in a folder of /tmp that user may reach (pytest's are root's alone).
    """
    import resource

    from dedup.scan import workers

    if workers(0) < 2:
        pytest.skip("one core: the examination does not fork")
    setpriv = shutil.which("setpriv")
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or setpriv is None:
        pytest.skip("needs root and setpriv to run the scan as a user of its own")
    user = 54321  # a user id with no process: the scan is its one process
    shared = Path(tempfile.mkdtemp(prefix="dedup-nproc-"))
    try:
        shared.chmod(0o777)
        docs, index = shared / "docs", str(shared / "index.db")
        count = many_files(docs)
        command = [setpriv, f"--reuid={user}", f"--regid={user}", "--clear-groups", sys.executable, "-m", "dedup",
                   "scan", str(docs), "--index", index, "--format", "json", "-q"]
        env = dict(os.environ, PYTHONPATH=str(ROOT), XDG_CACHE_HOME=str(shared / "cache"), HOME=str(shared))
        first = subprocess.run([*command, "-j", "1"], cwd=shared, env=env, capture_output=True, text=True,
                               timeout=600)
        assert first.returncode == 0, first.stderr  # (one process: the user may not reach the interpreter's path)

        def one_process() -> None:
            resource.setrlimit(resource.RLIMIT_NPROC, (1, 1))

        limited = subprocess.run(command, cwd=shared, env=env, capture_output=True, text=True, timeout=600,
                                 preexec_fn=one_process)
        assert limited.returncode == 0, limited.stderr
        assert json.loads(limited.stdout)["index"]["unchanged"] == count
    finally:
        shutil.rmtree(shared, ignore_errors=True)


def test_a_scan_whose_worker_processes_cannot_start_works_in_one_process(tmp_path: Path) -> None:
    """A fork server that could not be started (here an interpreter that is not there; seen with one out of
    the user's reach) broke the pipe to Python's resource tracker, which click took for a closed stdout:
    the scan ended with status 1 and no message."""
    from dedup.incremental import _PARALLEL_NEW

    docs = tmp_path / "docs"
    many_files(docs, _PARALLEL_NEW + 10)  # enough new files that the scan starts its workers' server
    probe = ("import multiprocessing, sys\nmultiprocessing.set_executable('/nonexistent/python')\n"
             "from dedup.cli import main\n"
             f"sys.argv = ['dedup', 'scan', {str(docs)!r}, '--index', {str(tmp_path / 'index.db')!r}, "
             "'--format', 'json', '-q']\nmain()\n")
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "cannot start worker processes" in done.stderr and "this scan works in one process" in done.stderr
    assert json.loads(done.stdout)["index"]["documents"] == _PARALLEL_NEW + 10


def _children(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []


def test_a_folder_moved_with_a_link_left_in_its_place_is_renamed_once_and_nothing_doubles(
        run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Its files were indexed anew where the link leads, each a duplicate of its old self, which stayed for
    good: `prune` saw its file (through the link), and `forget data` took the new ones. (An index made by a
    dedup that did not resolve links meets the same on its first rescan through a link.)"""
    monkeypatch.chdir(tmp_path)
    corpus(tmp_path / "data", 4, 1)
    old = {str(tmp_path / "data" / "00" / f"doc{n:05d}.txt") for n in range(4)}
    scan(run, "data", "--index", "index.db")
    (tmp_path / "disk2").mkdir()
    os.rename("data", "disk2/data")
    os.symlink("disk2/data", "data")
    moved = scan(run, "data", "--index", "index.db")
    assert [(d["path"], d["group"] is None) for d in moved["index"]["renamed"]] == [
        (f"data/00/doc{n:05d}.txt", n >= 2) for n in range(4)]  # doc00000 and doc00001 a pair, as before
    assert {d["from"] for d in moved["index"]["renamed"]} == old
    assert moved["index"]["new"] == moved["index"]["removed"] == [] and moved["index"]["documents"] == 4
    again = scan(run, "data", "--index", "index.db")
    assert (again["index"]["unchanged"], again["index"]["renamed"], again["groups"]) == (4, [], [])
    assert run("index", "forget", "index.db", "data").exit_code == 0
    assert report(run, "index.db")["stats"]["documents"] == 0


def test_files_reached_through_a_link_to_a_folder_outside_are_in_the_scan_s_scope(
        run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With --follow-symlinks, a/ext -> ../b: b's files were "new" on every rescan, and one deleted was never
    reported removed (their keys, where the link leads, lay outside the scanned folder's)."""
    monkeypatch.chdir(tmp_path)
    corpus(tmp_path / "a", 2, 0)
    corpus(tmp_path / "b", 2, 0)
    os.symlink("../b", "a/ext")
    first = scan(run, "a", "--follow-symlinks", "--index", "index.db")
    assert sorted(d["path"] for d in first["index"]["new"]) == [
        "a/00/doc00000.txt", "a/00/doc00001.txt", "a/ext/00/doc00000.txt", "a/ext/00/doc00001.txt"]
    assert scan(run, "a", "--follow-symlinks", "--index", "index.db")["index"]["unchanged"] == 4
    os.remove("b/00/doc00001.txt")
    gone = scan(run, "a", "--follow-symlinks", "--index", "index.db")["index"]
    assert (gone["unchanged"], gone["new"], [(d["path"], d["reason"]) for d in gone["removed"]]) == (
        3, [], [("a/ext/00/doc00001.txt", "gone")])
    unfollowed = scan(run, "a", "--index", "index.db")["index"]
    assert [(d["path"], d["reason"]) for d in unfollowed["removed"]] == [("a/ext/00/doc00000.txt", "not-scanned")]


def many_files(docs: Path, count: int | None = None) -> int:
    """Write small distinct files, by default enough that a rescan examines them in two processes; return how many."""
    from dedup.incremental import FORK_FILES

    count = FORK_FILES + 300 if count is None else count
    for n in range(count):
        folder = docs / f"{n // 1000:02d}"
        if n % 1000 == 0:
            folder.mkdir(parents=True)
        (folder / f"doc{n:05d}.txt").write_text(f"document {n} of the archive, word {n * 7919 % 10007}\n")
    return count


def test_a_rescan_of_many_files_finds_each_change_whichever_half_of_the_files_it_is_in(tmp_path: Path) -> None:
    """With `incremental.FORK_FILES` known files or more, a forked process examines the second half of them."""
    docs, index = tmp_path / "docs", str(tmp_path / "index.db")
    count = many_files(docs)

    def scan_index() -> dict[str, Any]:
        done = subprocess.run([sys.executable, "-m", "dedup", "scan", str(docs), "--index", index, "--format", "json",
                               "-q"], cwd=ROOT, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)  # type: ignore[no-any-return]

    assert len(scan_index()["index"]["new"]) == count
    files = sorted(docs.rglob("*.txt"))  # the order of the walk: each half has a share of each change
    edited, touched, deleted = files[5::count // 4][:4], files[7::count // 3][:3], files[9::count // 5][:5]
    for path in edited:
        path.write_text(path.read_text() + "and one more line\n")
    for path in touched:
        os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    for path in deleted:
        path.unlink()
    index_section = scan_index()["index"]
    assert sorted(d["path"] for d in index_section["changed"]) == sorted(map(str, edited))
    assert sorted(d["path"] for d in index_section["removed"]) == sorted(map(str, deleted))
    assert index_section["touched"] == len(touched) and index_section["new"] == []
    assert index_section["unchanged"] == count - len(edited) - len(touched) - len(deleted)


def test_a_document_without_words_is_kept_and_pairs_with_nothing(run: Run, tmp_path: Path) -> None:
    docs, index = tmp_path / "docs", str(tmp_path / "index.db")
    corpus(docs, 3, 1)
    scan(run, str(docs), "--index", index)
    (docs / "00" / "dashes.txt").write_text("--- *** ---\n")  # text, but no word to shingle
    (docs / "00" / "more-dashes.txt").write_text("--- *** ---\n")
    report = scan(run, str(docs), "--index", index)
    assert sorted(Path(c["path"]).name for c in report["index"]["new"]) == ["dashes.txt", "more-dashes.txt"]
    assert all(c["group"] is None for c in report["index"]["new"])


def test_a_rescan_with_many_new_files_reports_with_workers_what_one_process_reports(run: Run, tmp_path: Path) -> None:
    # Enough new files (incremental._PARALLEL_NEW) that the scan starts its workers' server early and hands
    # them the signing and the comparisons, though one process would compare these few groups at once.
    docs = tmp_path / "docs"
    corpus(docs / "old", 60, 5, words=40)
    one, two = str(tmp_path / "one.db"), str(tmp_path / "two.db")
    scan(run, str(docs), "--index", one, "-j", "1")
    scan(run, str(docs), "--index", two, "-j", "2")
    for n in range(4100):  # 20 copies of old documents, the rest unrelated
        text = edited(prose(2 * n, 40), 1000 + n) if n < 20 else prose(10_000 + n, 40)
        (docs / "new" / f"{n // 500}").mkdir(parents=True, exist_ok=True)
        (docs / "new" / f"{n // 500}" / f"new{n:05d}.txt").write_text(text)
    alone, shared = scan(run, str(docs), "--index", one, "-j", "1"), scan(run, str(docs), "--index", two, "-j", "2")
    assert len(alone["index"]["new"]) == 4100
    assert alone["index"] == {**shared["index"], "location": one}
    assert alone["groups"] == shared["groups"] and alone["unique"] == shared["unique"]
    joined = {Path(d["path"]).name for g in alone["groups"] for d in g["documents"]}
    assert {f"new{n:05d}.txt" for n in range(20)} <= joined
    assert sum(len(m["discrepancies"]) for g in alone["groups"] for m in g["documents"]) >= 20


_FORK_SERVER = """
import sys
from multiprocessing import forkserver
from dedup.incremental import _Pool

def imported(module):
    return module in sys.modules

if __name__ == "__main__":
    with _Pool(2) as pool:
        pool.warm()
        status = open(f"/proc/{forkserver._forkserver._forkserver_pid}/status").read()
        ignored = int(status.split("SigIgn:")[1].split()[0], 16)
        print(ignored >> 1 & 1, all(pool.executor().map(imported, ["simplemma"] * 2)))
"""


@pytest.mark.skipif(not os.path.exists("/proc/self/status")
                    or "forkserver" not in multiprocessing.get_all_start_methods(),
                    reason="needs a fork server and /proc")
def test_workers_are_forked_from_a_server_that_imported_the_pipeline_and_ignores_ctrl_c(tmp_path: Path) -> None:
    # In a fresh process: a fork server started before (by other code) would have no preload.
    # simplemma is imported by none of the modules a worker needs to run a task, only by the server's preload.
    script = tmp_path / "fork_server.py"
    script.write_text(_FORK_SERVER)
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=ROOT, check=True)
    assert result.stdout.split() == ["1", "True"]  # SIGINT ignored from the server's start; simplemma preloaded


@pytest.mark.skipif(not os.path.exists("/proc/self/status")
                    or "forkserver" not in multiprocessing.get_all_start_methods(),
                    reason="needs a fork server and /proc")
def test_ctrl_c_while_the_fork_server_starts_ends_the_scan_without_a_traceback(tmp_path: Path) -> None:
    # The server imports the pipeline (about 0.4 s) before it ignores SIGINT itself, and the scan starts its
    # workers meanwhile: Ctrl-C then printed the server's KeyboardInterrupt, or a worker's failure to open a
    # semaphore that the interrupted pool had removed.
    docs = tmp_path / "docs"
    corpus(docs, 4200, 0, words=12, per_folder=1000)  # enough new files to start the server early
    process = subprocess.Popen([sys.executable, "-m", "dedup", "scan", str(docs), "--index", str(tmp_path / "i.db"),
                                "-j", "2", "-q", "--format", "json"], cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        started = [pid for pid in _descendants(process.pid) if "forkserver" in _cmdline(pid)]
        if started:
            time.sleep(0.15)  # into the server's imports (about 0.4 s), past Python's start
            break
        time.sleep(0.005)
    os.killpg(process.pid, signal.SIGINT)  # as Ctrl-C does: the whole process group
    _, err = process.communicate(timeout=60)
    assert started, "the scan never started its fork server"
    assert process.returncode == 130 and "Traceback" not in err, err


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return ""


def test_the_keys_of_many_files_are_the_keys_of_each(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dedup.changes import key_of, keys_of

    monkeypatch.chdir(tmp_path)
    paths = ["a.txt", "./a.txt", "docs/a.txt", "docs//b.txt", "docs/x/../c.txt", "/d.txt", "/srv/e.txt",
             "docs/x/..", "docs/.", "docs/", "/", "../f.txt", "bad\udcff/g\udcfe.txt", "docs/h.txt"]
    assert keys_of(paths, paths, os.getcwd()) == [key_of(p) for p in paths]  # each path a root


def test_the_scope_of_a_scan_is_its_paths_and_what_is_below_them() -> None:
    from dedup.changes import under
    from dedup.store import Known

    paths = sorted([b"/a", b"/a/b", b"/a/b.txt", b"/a/b/c.txt", b"/a/b0", b"/a/bc/d.txt", b"/a/b/e/f.txt", b"/b"])
    documents = [Known(n, p, 0, 0, b"", "", "text", 1, "utf-8", 1, "new") for n, p in enumerate(paths)]

    def scope(*roots: bytes) -> list[bytes]:
        return [d.path for d in under(documents, roots)]

    assert scope(b"/a/b") == [b"/a/b", b"/a/b/c.txt", b"/a/b/e/f.txt"]
    assert scope(b"/a/b.txt", b"/a/b/e") == [b"/a/b.txt", b"/a/b/e/f.txt"]
    assert scope(b"/a/b/e", b"/a/b.txt") == [b"/a/b.txt", b"/a/b/e/f.txt"]  # in path order, whatever the roots'
    assert scope(b"/a/b", b"/a/b/c.txt") == scope(b"/a/b")  # each document once
    assert scope(b"/") == paths
    assert scope(b"/c") == []


def test_a_packed_member_as_a_worker_sends_it_or_the_index_caches_it_reports_what_its_discrepancies_would() -> None:
    from dedup.differ import Category, Discrepancy, Position, pack
    from dedup.report import member, stats
    from dedup.scan import Group, Member, PackedMember

    found = (
        Discrepancy(Category.NAME, "removed", "major", "Handschuh", "", Position("ref.txt", 3, 7),
                    Position("copy\udcff.txt", 4, 1), ("der Sprecher ", " betonte"), ("der Sprecher ", " betonte")),
        Discrepancy(Category.DATE, "changed", "major", "3. Mai", "4. Mai", Position("ref.txt", 5, 1),
                    Position("copy\udcff.txt", 6, 2), ("am ", " in"), ("am ", " in"), note="a day later"),
        Discrepancy(Category.WORD, "added", "major", "", "neu\udc80", Position("ref.txt", 7, 1),  # (orjson refuses)
                    Position("copy\udcff.txt", 8, 1), ("a ", " b"), ("c ", " d")),
    )
    cached = PackedMember("copy\udcff.txt", "cp1252", "text", 118, 0.9, 0.95, pack(found), "ref.txt")
    decoded = Member("copy\udcff.txt", "cp1252", "text", 118, 0.9, 0.95, found)
    assert member(cached, False) == member(decoded, False)
    assert cached.discrepancies == found  # decoded on first use, for the terminal report and the library
    assert stats(_result(Group(1, (cached,)))) == stats(_result(Group(1, (decoded,))))
    assert member(PackedMember("x.txt", "utf-8", "text", 1, 1.0, 1.0, None, "r.txt"), False)["discrepancies"] == []


def _result(group: Any) -> Any:
    from dedup.index import Bands
    from dedup.options import ScanOptions
    from dedup.scan import ScanResult

    return ScanResult(ScanOptions(), Bands(42, 3, 0.99), (group,), (), (), 0, 0)


def test_a_member_whose_reference_is_gone_is_not_compared_and_not_retried_each_scan(run: Run, tmp_path: Path) -> None:
    """The index still holds a reference whose file went away, outside the folder scanned now.

    The new member joins its group, but cannot be compared with it: the report
    says so (`not_compared`), and so does stderr. The reason stays cached, so a
    rescan with nothing changed does not compare the group again.
    """
    index = str(tmp_path / "index.db")
    original = prose(7, 120)
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.txt").write_text(original)
    scan(run, str(tmp_path / "a"), "--index", index)
    (tmp_path / "a" / "x.txt").unlink()
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "y.txt").write_text(" ".join(original.split()[:110]) + "\n")
    done = subprocess.run([sys.executable, "-m", "dedup", "scan", str(tmp_path / "b"), "--index", index,
                           "--format", "json", "-q"], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    (group,) = json.loads(done.stdout)["groups"]
    reference, member = group["documents"]
    assert reference["path"].endswith("x.txt") and "not_compared" not in reference
    assert member["not_compared"].startswith("the reference: its file could not be read again (vanished")
    assert member["discrepancies"] == []
    assert f"{tmp_path / 'b' / 'y.txt'} was not compared with" in done.stderr
    again = scan(run, str(tmp_path / "b"), "--index", index)
    assert again["groups"] == [] and again["index"]["groups_changed"] == []
    (kept,) = report(run, index)["groups"]
    assert kept["documents"][1]["not_compared"] == member["not_compared"]
