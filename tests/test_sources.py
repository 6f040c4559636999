from __future__ import annotations

import os
from pathlib import Path

import pytest

from dedup.options import ScanOptions
from dedup.sources import Candidate, Document, Skipped, decode, discover, read
from tests.conftest import write

TEXT = "Grüße aus Köln: „Straße“ und Maß – naïve café.\n"


@pytest.mark.parametrize(
    ("encoding", "data"),
    [
        ("utf-8", TEXT.encode("utf-8")),
        ("utf-8-sig", b"\xef\xbb\xbf" + TEXT.encode("utf-8")),
        ("utf-16", TEXT.encode("utf-16")),
        ("utf-16-le", TEXT.encode("utf-16-le")),
        ("utf-16-be", TEXT.encode("utf-16-be")),
        ("cp1252", (TEXT * 20).encode("cp1252")),
    ],
)
def test_common_encodings_are_detected(encoding: str, data: bytes) -> None:
    decoded = decode(data)
    assert isinstance(decoded, tuple)
    text, _ = decoded
    assert text.lstrip("\ufeff").startswith("Grüße aus Köln: „Straße“")


def test_latin1_text_without_typographic_quotes_decodes() -> None:
    data = ("Der Bürgermeister begrüßte die Gäste in Düsseldorf. " * 10).encode("latin-1")
    decoded = decode(data)
    assert isinstance(decoded, tuple)
    assert "Bürgermeister begrüßte" in decoded[0]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (bytes(range(256)) * 20, "binary"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(500), "binary"),
    ],
)
def test_non_text_is_named(data: bytes, reason: str) -> None:
    assert decode(data) == reason


def walk(root: Path, **options: object) -> list[Candidate | Skipped]:
    return list(discover([str(root)], ScanOptions(**options)))  # type: ignore[arg-type]


def test_folders_are_walked_in_order_and_every_file_is_accounted_for(tmp_path: Path) -> None:
    write(tmp_path, "b.txt", "b")
    write(tmp_path, "a/z.md", "z")
    write(tmp_path, "a/y.pdfx", "y")
    write(tmp_path, ".hidden/x.txt", "x")
    write(tmp_path, ".dotfile.txt", "x")
    found = walk(tmp_path)
    kinds = {Path(f.path).relative_to(tmp_path).as_posix(): (type(f).__name__, getattr(f, "reason", "")) for f in found}
    assert kinds == {
        ".hidden": ("Skipped", "hidden"),
        ".dotfile.txt": ("Skipped", "hidden"),
        "a/y.pdfx": ("Skipped", "unsupported"),
        "a/z.md": ("Candidate", ""),
        "b.txt": ("Candidate", ""),
    }


def test_hidden_files_are_scanned_on_request(tmp_path: Path) -> None:
    write(tmp_path, ".hidden/x.txt", "x")
    assert [type(f).__name__ for f in walk(tmp_path, hidden=True)] == ["Candidate"]


def test_include_and_exclude_globs(tmp_path: Path) -> None:
    write(tmp_path, "keep/a.txt", "a")
    write(tmp_path, "keep/b.md", "b")
    write(tmp_path, "drafts/c.txt", "c")
    found = walk(tmp_path, include=("*.txt",), exclude=("drafts",))
    reasons = {Path(f.path).name: getattr(f, "reason", "used") for f in found}
    assert reasons == {"a.txt": "used", "b.md": "not-included", "drafts": "excluded"}


def test_paths_are_reported_as_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "docs/a.txt", "a")
    monkeypatch.chdir(tmp_path)
    assert [f.path for f in discover(["docs"], ScanOptions())] == [os.path.join("docs", "a.txt")]


def test_a_missing_path_is_an_error(tmp_path: Path) -> None:
    from dedup.errors import SourceError

    with pytest.raises(SourceError, match="no such file"):
        list(discover([str(tmp_path / "nope")], ScanOptions()))


def test_read_skips_too_large_and_blank_files(tmp_path: Path) -> None:
    big = write(tmp_path, "big.txt", "x" * 100)
    blank = write(tmp_path, "blank.txt", "  \n\t\n")
    good = write(tmp_path, "good.txt", TEXT, "cp1252")
    options = ScanOptions(max_bytes=50)
    assert read(Candidate(str(big), "text"), options) == Skipped(str(big), "too-large", "100 bytes, over --max-bytes 50")
    assert isinstance(result := read(Candidate(str(blank), "text"), ScanOptions()), Skipped)
    assert result.reason == "empty"
    assert isinstance(doc := read(Candidate(str(good), "text"), ScanOptions()), Document)
    assert doc.text == TEXT


@pytest.mark.skipif(os.geteuid() == 0 if hasattr(os, "geteuid") else True, reason="root reads every file")
def test_unreadable_file_is_skipped_with_the_reason(tmp_path: Path) -> None:
    path = write(tmp_path, "locked.txt", "secret")
    path.chmod(0)
    result = read(Candidate(str(path), "text"), ScanOptions())
    assert isinstance(result, Skipped) and result.reason == "unreadable"
