from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from tests.conftest import ROOT, SAMPLES, SEED_PDF, SEED_WEB, write
from tests.text import ENGLISH, GERMAN, corpus, rewrap

Run = Callable[..., Result]


@pytest.fixture
def in_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def planted_groups() -> set[frozenset[str]]:
    """Each folder of samples/ but unique/ holds the versions of one document."""
    groups = set()
    for folder in SAMPLES.iterdir():
        if folder.is_dir() and folder.name != "unique":
            groups.add(frozenset(os.path.join("samples", folder.name, f.name) for f in folder.iterdir()))
    return groups


def test_scan_samples_finds_the_planted_groups_and_nothing_else(
    run: Run, in_root: None, validate: Callable[[Any], None]
) -> None:
    result = run("scan", "samples", "--format", "json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    validate(report)
    found = {frozenset(d["path"] for d in g["documents"]) for g in report["groups"]}
    assert found == planted_groups()
    unique = {u["path"] for u in report["unique"]}
    assert unique == {os.path.join("samples", "unique", f.name) for f in (SAMPLES / "unique").iterdir()} | {
        os.path.join("samples", "README.md")
    }
    assert report["skipped"] == []
    assert report["stats"]["files_seen"] == sum(1 for f in SAMPLES.rglob("*") if f.is_file())


@pytest.mark.parametrize("engine", ["local", "dask"])
def test_paths_given_that_overlap_find_each_file_once(run: Run, tmp_path: Path, engine: str) -> None:
    """`scan docs docs/ docs/a.txt docs/sub` read a.txt and sub's files twice: each a duplicate of itself.

    So did a folder given through a symbolic link and by its name.
    """
    docs = tmp_path / "docs"
    write(docs, "a.txt", GERMAN)
    write(docs, "sub/b.txt", ENGLISH)
    write(docs, "sub/c.txt", rewrap(ENGLISH, 50))
    (tmp_path / "link").symlink_to("docs")
    (tmp_path / "sub-link").symlink_to(docs / "sub")
    once = json.loads(run("scan", str(docs), "--format", "json", "--engine", engine).stdout)
    given = [str(docs / "sub"), str(docs), f"{docs}/", str(docs / "a.txt"), f"{docs}/./sub/../a.txt",
             str(tmp_path / "link"), str(tmp_path / "sub-link"), str(tmp_path / "link" / "sub" / "b.txt")]
    overlapping = json.loads(run("scan", *given, "--format", "json", "--engine", engine).stdout)
    assert overlapping["stats"]["files_seen"] == once["stats"]["files_seen"] == 3
    assert overlapping["stats"]["documents"] == 3 and overlapping["stats"]["grouped_documents"] == 2
    assert sorted(d["path"] for g in overlapping["groups"] for d in g["documents"]) == [
        str(docs / "sub" / "b.txt"), str(docs / "sub" / "c.txt")]  # first spelled: under the first path given


def test_more_jobs_than_cores_start_one_process_a_core_and_say_so(run: Run) -> None:
    """`-j 500` started 500 processes, each importing the pipeline; Windows refuses a pool of more than 61."""
    from dedup.scan import workers

    cores = workers(0)
    assert cores >= 1 and workers(100_000) == cores and workers(1) == 1 and workers(cores) == cores
    for jobs, warned in (("100000", True), (str(cores), False)):
        result = subprocess.run([sys.executable, "-m", "dedup", "scan", str(SAMPLES), "-j", jobs, "--format", "json"],
                                cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0
        assert (f"--jobs {jobs}: {cores} processes at most, one a core of this machine" in result.stderr) is warned
        assert json.loads(result.stdout)["groups"] == json.loads(run("scan", str(SAMPLES), "--format", "json").stdout)[
            "groups"]


def test_text_report_on_stdout_and_summary_on_stderr(run: Run, in_root: None) -> None:
    result = run("scan", "samples")
    assert result.exit_code == 0
    assert "Group 1" in result.stdout and "dedup:" not in result.stdout
    assert result.stderr.startswith("dedup: ") and "groups" in result.stderr
    assert "\x1b[" not in result.stdout  # not a terminal: no colour


def test_the_summary_counts_in_the_singular_for_one(run: Run, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    write(docs, "a.txt", GERMAN)
    assert run("scan", str(docs)).stderr == "dedup: 1 file: 0 groups (0 documents), 1 unique, 0 skipped\n"
    write(docs, "b.txt", rewrap(GERMAN, 50))
    assert run("scan", str(docs)).stderr == "dedup: 2 files: 1 group (2 documents), 0 unique, 0 skipped\n"
    result = run("scan", str(docs), "--index", str(tmp_path / "index.db"))
    assert result.stderr.splitlines()[0].endswith(": 2 documents; 2 new, 0 changed, 0 renamed, 0 removed, "
                                                  "0 unchanged; 1 group changed")


def test_quiet_leaves_stderr_empty(run: Run, in_root: None) -> None:
    result = run("scan", "samples", "-q", "--format", "jsonl")
    assert result.exit_code == 0 and result.stderr == ""
    assert all(json.loads(line)["type"] for line in result.stdout.splitlines())


def test_colour_can_be_forced_and_no_color_wins_in_auto(
    run: Run, in_root: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert "\x1b[" in run("scan", "samples", "--color", "always").stdout
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in run("scan", "samples").stdout


def test_fail_on_duplicates_sets_exit_status(run: Run, tmp_path: Path) -> None:
    write(tmp_path, "a.txt", ENGLISH)
    write(tmp_path, "b.txt", rewrap(ENGLISH))
    write(tmp_path, "c.txt", GERMAN)
    assert run("scan", str(tmp_path), "--fail-on-duplicates").exit_code == 1
    assert run("scan", str(tmp_path)).exit_code == 0
    assert run("scan", str(tmp_path / "c.txt"), "--fail-on-duplicates").exit_code == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["scan", "no/such/folder"], "dedup: error: no such file or folder: no/such/folder"),
        (["scan", "samples", "--threshold", "1.5"], "Invalid value for '--threshold'"),
        (["scan", "samples", "--format", "xml"], "Invalid value for '--format'"),
        (["diff", "samples/README.md", "nope.txt"], "dedup: error: no such file or folder: nope.txt"),
        (["diff", "samples/unique", "samples/README.md"], "dedup: error: samples/unique is a folder: give a file"),
        (["normalize", "samples"], "dedup: error: samples is a folder: give a file"),
    ],
)
def test_errors_are_one_clear_line_and_exit_2(args: list[str], message: str) -> None:
    proc = subprocess.run([sys.executable, "-m", "dedup", *args], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert message in proc.stderr and "Traceback" not in proc.stderr


def test_diff_and_normalize_follow_a_symbolic_link_they_are_given(run: Run, tmp_path: Path) -> None:
    """As cat or diff would: neither command has --follow-symlinks, and the user named the link."""
    target = write(tmp_path, "a.txt", "The committee met on Tuesday in Darmstadt.\n")
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    compared = run("diff", str(link), str(target), "--format", "json")
    assert compared.exit_code == 0, compared.stderr
    assert json.loads(compared.stdout)["discrepancies"] == []
    normalized = run("normalize", str(link))
    assert normalized.exit_code == 0 and "Darmstadt" in normalized.stdout


def test_output_file_is_written_whole_and_no_temporary_file_is_left(run: Run, in_root: None, tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("old")
    result = run("scan", "samples", "--format", "json", "--output", str(target))
    assert result.exit_code == 0 and result.stdout == ""
    assert json.loads(target.read_text())["report"] == "scan"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


@pytest.mark.parametrize("index", [False, True])
def test_a_report_never_replaces_a_document_it_is_about(tmp_path: Path, index: bool) -> None:
    """Found by a helper's review: `scan docs/ -o docs/a.txt` replaced the document a.txt with the report."""
    docs = tmp_path / "docs"
    a, b = write(docs, "a.txt", ENGLISH), write(docs, "b.txt", rewrap(ENGLISH))
    (docs / "link.txt").symlink_to(b)
    more = ["--index", str(tmp_path / "index.db")] if index else []
    for args in (["scan", str(docs), "-o", str(a), *more], ["scan", str(docs), "-o", str(docs / "link.txt"), *more],
                 ["scan", str(a), "-o", str(a), *more],
                 ["diff", str(a), str(b), "-o", str(docs / "link.txt")]):
        proc = subprocess.run([sys.executable, "-m", "dedup", *args], capture_output=True, text=True)
        assert proc.returncode == 2 and "it is one of the documents" in proc.stderr, (args, proc.stderr)
        assert a.read_text() == ENGLISH and b.read_text() == rewrap(ENGLISH)
    beside = subprocess.run([sys.executable, "-m", "dedup", "scan", str(docs), "-o", str(docs / "report.json"), *more],
                            capture_output=True, text=True)
    assert beside.returncode == 0 and "a.txt" in (docs / "report.json").read_text()  # beside them: not one


def test_diff_command_reports_the_seed_discrepancies(run: Run, validate: Callable[[Any], None]) -> None:
    result = run("diff", str(SEED_WEB), str(SEED_PDF), "--format", "json")
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    validate(report)
    assert report["summary"] == {"footer": 1, "header": 1, "inflection": 2, "name": 2}
    handschuh = next(d for d in report["discrepancies"] if d["a_text"] == "Handschuh")
    line = SEED_WEB.read_text(encoding="utf-8").splitlines()[handschuh["a"]["line"] - 1]
    assert line[handschuh["a"]["column"] - 1 :].startswith("Handschuh betonte")


def test_diff_text_shows_changes_in_context(run: Run) -> None:
    out = run("diff", str(SEED_WEB), str(SEED_PDF)).stdout
    assert "[-gewonnenen-]{+gewonnen+}" in out
    assert "1 footer, 1 header, 2 inflections, 2 names" in out


def test_normalize_prints_the_clean_text(run: Run, tmp_path: Path) -> None:
    path = write(tmp_path, "a.txt", "Die Digi-\ntalisierung der Wissens-\nund Arbeitswelt")
    assert run("normalize", str(path)).stdout == "Die Digitalisierung der Wissens- und Arbeitswelt\n"


def test_python_dash_m_and_version(run: Run) -> None:
    proc = subprocess.run([sys.executable, "-m", "dedup", "--version"], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.startswith("dedup, version ")


def test_output_keeps_the_old_reports_mode_and_a_missing_folder_is_an_error(
    run: Run, in_root: None, tmp_path: Path
) -> None:
    target = tmp_path / "report.json"
    target.write_text("old")
    target.chmod(0o644)
    assert run("scan", "samples", "--format", "json", "-o", str(target)).exit_code == 0
    assert target.stat().st_mode & 0o777 == 0o644
    missing = tmp_path / "no" / "such" / "report.json"
    result = subprocess.run([sys.executable, "-m", "dedup", "scan", "samples", "-o", str(missing)],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 2 and "no such folder" in result.stderr and "Traceback" not in result.stderr


def test_output_writes_through_a_link_and_into_a_fifo_and_replaces_neither(
    run: Run, in_root: None, tmp_path: Path
) -> None:
    """`-o` replaced whatever was there with a regular file: a link, a FIFO, as root even /dev/null."""
    real, link = tmp_path / "real.json", tmp_path / "link.json"
    real.write_text("old")
    link.symlink_to(real.name)
    assert run("scan", "samples", "--format", "json", "-o", str(link)).exit_code == 0
    assert link.is_symlink() and json.loads(real.read_text())["report"] == "scan"
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE)  # a FIFO opened to write waits for one
    assert run("scan", "samples", "--format", "json", "-o", str(fifo)).exit_code == 0
    assert json.loads(reader.communicate(timeout=30)[0])["report"] == "scan"
    assert fifo.is_fifo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fifo", "link.json", "real.json"]


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs Linux's /dev/full")
def test_a_report_that_cannot_be_written_is_an_error_not_a_bug(in_root: None, tmp_path: Path) -> None:
    full = "/dev/full"  # every write fails with ENOSPC
    if os.geteuid() == 0:  # root could replace the system's /dev/full if this broke: a private node
        full = str(tmp_path / "full")
        os.mknod(full, stat.S_IFCHR | 0o666, os.makedev(1, 7))
    result = subprocess.run([sys.executable, "-m", "dedup", "scan", "samples", "-o", full],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"cannot write {full}: No space left on device" in result.stderr
    assert "internal error" not in result.stderr
    assert stat.S_ISCHR(os.stat(full).st_mode)


@pytest.mark.parametrize("fmt", ["text", "jsonl"])
def test_a_reader_that_stops_reading_does_not_change_the_exit_status(tmp_path: Path, fmt: str) -> None:
    """`dedup scan … --fail-on-duplicates | head` exited 1 (rich's and click's broken pipe) or 0 (ours), by format.

    So did `-o /dev/stdout`, a pipe named (2: "cannot write /dev/stdout: Broken pipe").
    """
    corpus(tmp_path, 600, 300, words=200)  # more report than a pipe holds: it breaks while the report is written
    for flags, status in (([], 0), (["--fail-on-duplicates"], 1), (["-o", "/dev/stdout"], 0),
                          (["-o", "/dev/stdout", "--fail-on-duplicates"], 1)):
        command = [sys.executable, "-m", "dedup", "scan", str(tmp_path), "--format", fmt, "--color", "never", *flags]
        process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert process.stdout is not None and process.stdout.read(100)
        process.stdout.close()  # as `head -c 100` does
        assert process.wait(timeout=120) == status
        stderr = process.stderr.read().decode() if process.stderr else ""
        assert stderr.startswith("dedup: 600 files: 300 groups") and "Error" not in stderr, stderr


def test_a_reader_gone_before_the_output_leaves_every_command_successful_and_its_work_done(tmp_path: Path) -> None:
    """`dedup index stats | true` exited 1 (click's broken pipe), after its work: so did prune, forget and normalize."""
    corpus(tmp_path / "docs", 6, 3, words=120)
    index = tmp_path / "index.db"

    def run(*args: str | Path) -> int:
        read, write_end = os.pipe()
        os.close(read)  # the reader is gone before the command writes a byte
        try:
            done = subprocess.run([sys.executable, "-m", "dedup", *map(str, args)], cwd=ROOT, stdout=write_end,
                                  stderr=subprocess.PIPE, text=True, timeout=120)
        finally:
            os.close(write_end)
        assert "Error" not in done.stderr and "Traceback" not in done.stderr, done.stderr
        return done.returncode

    def documents() -> int:
        shown = subprocess.run([sys.executable, "-m", "dedup", "index", "stats", str(index), "--format", "json"],
                               cwd=ROOT, capture_output=True, text=True, check=True)
        return int(json.loads(shown.stdout)["documents"])

    files = sorted((tmp_path / "docs").rglob("*.txt"))
    assert run("scan", tmp_path / "docs", "--index", index, "-q") == 0 and documents() == 6
    assert run("index", "stats", index) == 0
    assert run("index", "stats", index, "--format", "json") == 0
    assert run("normalize", files[0]) == 0
    files[0].unlink()
    assert run("index", "prune", index) == 0 and documents() == 5
    assert run("index", "forget", index, files[1], "--format", "json") == 0 and documents() == 4
    assert run("index", "forget", index, files[2]) == 0 and documents() == 3


@pytest.mark.parametrize(("args", "heavy"), [
    (["--help"], {"numpy", "rich", "rapidfuzz", "datasketch"}),
    (["scan", str(SAMPLES), "--format", "json", "-q"], {"rich"}),
])
def test_a_command_imports_only_what_it_needs(args: list[str], heavy: set[str]) -> None:
    probe = (
        "import sys\nfrom dedup.__main__ import run\n"
        f"sys.argv = ['dedup', *{args!r}]\n"
        "try:\n    run()\nexcept SystemExit:\n    pass\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})), file=sys.stderr)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True)
    loaded = set(done.stderr.splitlines()[-1].split())
    assert "dedup" in loaded and not heavy & loaded


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="counts threads in /proc (Linux)")
def test_a_command_starts_no_blas_threads_and_keeps_a_users_setting() -> None:
    probe = (
        "import os, sys\nfrom dedup.__main__ import run\n"
        f"sys.argv = ['dedup', 'scan', {str(SAMPLES)!r}, '--format', 'json', '-q']\n"
        "try:\n    run()\nexcept SystemExit:\n    pass\n"
        "print(len(os.listdir('/proc/self/task')), os.environ['OPENBLAS_NUM_THREADS'], file=sys.stderr)"
    )
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, env=env, check=True)
    assert done.stderr.split()[-2:] == ["1", "1"]  # numpy imported, and no thread but the main one
    env["OPENBLAS_NUM_THREADS"] = "2"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, env=env, check=True)
    assert done.stderr.split()[-1] == "2"
