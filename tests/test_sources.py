from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from dedup import markup
from dedup.options import ScanOptions
from dedup.sources import Candidate, Document, Skipped, decode, discover, read
from tests.conftest import write

Run = Callable[..., Result]

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


CONTROLS = [chr(c) for c in (*range(0x01, 0x09), *range(0x0E, 0x1B), *range(0x1C, 0x20))]  # NUL: any one is binary


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252"])
@pytest.mark.parametrize("control", CONTROLS)
def test_text_with_more_control_characters_than_text_has_is_binary(encoding: str, control: str) -> None:
    text = "Grüße aus Köln, „Straße“. " * 6  # 156 characters: more than 8 control characters make it binary
    assert decode((text + control * 8).encode(encoding)) == (text + control * 8, encoding)
    assert decode((text + control * 9).encode(encoding)) == "binary"


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


def test_the_walk_goes_depth_first_folders_before_files_each_in_name_order(tmp_path: Path) -> None:
    for name in ("b.txt", "a/z.txt", "a/c/y.txt", "a/b/x.txt", "c.md", ".h/w.txt", "a/.g.txt"):
        write(tmp_path, name, "x")
    write(tmp_path, "d/v.txt", "x")
    (tmp_path / "a" / "link").symlink_to(tmp_path / "d")
    found = [(Path(f.path).relative_to(tmp_path).as_posix(),
              f.reason if isinstance(f, Skipped) else f.kind) for f in walk(tmp_path)]
    assert found == [
        (".h", "hidden"), ("b.txt", "text"), ("c.md", "markdown"),
        ("a/link", "symlink"), ("a/.g.txt", "hidden"), ("a/z.txt", "text"),
        ("a/b/x.txt", "text"), ("a/c/y.txt", "text"), ("d/v.txt", "text"),
    ]


def test_patterns_match_the_path_below_the_scanned_folder_or_the_name(tmp_path: Path) -> None:
    for name in ("a/b/c/x.txt", "a/b/y.txt", "a/z.txt", "b/y.txt"):
        write(tmp_path, name, "x")

    def used(**patterns: object) -> list[str]:
        return [Path(f.path).relative_to(tmp_path).as_posix()
                for f in walk(tmp_path, **patterns) if isinstance(f, Candidate)]

    assert used(include=("a/b/*",)) == ["a/b/y.txt", "a/b/c/x.txt"]  # fnmatch's * crosses "/"
    assert used(include=("y.txt",)) == ["a/b/y.txt", "b/y.txt"]
    assert used(exclude=("a/b",)) == ["a/z.txt", "b/y.txt"]
    assert used(exclude=("b",)) == ["a/z.txt"]  # a folder's name, at any depth


def test_file_types_come_from_the_last_suffix_of_the_name(tmp_path: Path) -> None:
    for name in ("a.TXT", "b.tar.md", "c.", "d", "e.txt.bak"):
        write(tmp_path, name, "x")
    found = {Path(f.path).name: getattr(f, "kind", None) or f.detail for f in walk(tmp_path)}
    none = "unsupported file type (no extension)"
    assert found == {"a.TXT": "text", "b.tar.md": "markdown", "c.": none, "d": none,
                     "e.txt.bak": "unsupported file type .bak"}


def test_special_files_and_links_are_told_apart_in_the_walk(tmp_path: Path) -> None:
    write(tmp_path, "real.txt", "x")
    os.mkfifo(tmp_path / "pipe.txt")
    (tmp_path / "link.txt").symlink_to(tmp_path / "real.txt")
    (tmp_path / "broken.txt").symlink_to(tmp_path / "nowhere.txt")

    def reasons(**options: object) -> dict[str, str]:
        return {Path(f.path).name: getattr(f, "reason", "used") for f in walk(tmp_path, **options)}

    assert reasons() == {"real.txt": "used", "pipe.txt": "special-file", "link.txt": "symlink",
                         "broken.txt": "symlink"}
    assert reasons(follow_symlinks=True) == {"real.txt": "used", "pipe.txt": "special-file",
                                             "link.txt": "used", "broken.txt": "unreadable"}


def test_a_folder_reached_twice_through_links_is_walked_once(tmp_path: Path) -> None:
    write(tmp_path, "a/x.txt", "x")
    (tmp_path / "a" / "loop").symlink_to(tmp_path / "a")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    found = [(Path(f.path).relative_to(tmp_path).as_posix(), getattr(f, "reason", "used"))
             for f in walk(tmp_path, follow_symlinks=True)]
    assert found == [("a/x.txt", "used"), ("a/loop", "symlink-loop"), ("b", "symlink-loop")]


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
    assert (read(Candidate(str(big), "text"), options)
            == Skipped(str(big), "too-large", "100 bytes, over --max-bytes 50"))
    assert isinstance(result := read(Candidate(str(blank), "text"), ScanOptions()), Skipped)
    assert result.reason == "empty"
    assert isinstance(doc := read(Candidate(str(good), "text"), ScanOptions()), Document)
    assert doc.text == TEXT


def test_a_file_that_grows_after_it_is_opened_is_read_whole_or_found_too_large(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The read asks for the size fstat gave plus a byte; a file that grew since must still be read
    # on to the end, or up to --max-bytes + 1 to be refused.
    def stale(real: Callable[..., os.stat_result]) -> Callable[..., os.stat_result]:
        def at_open(*args: Any, **kwargs: Any) -> os.stat_result:
            st = list(real(*args, **kwargs))
            st[6] = 3  # st_size: what the file held when it was found and opened
            return os.stat_result(st)
        return at_open

    small = write(tmp_path, "small.txt", "grown " * 8)
    large = write(tmp_path, "large.txt", "grown " * 100)
    monkeypatch.setattr(os, "fstat", stale(os.fstat))
    monkeypatch.setattr(os, "lstat", stale(os.lstat))
    doc = read(Candidate(str(small), "text"), ScanOptions(max_bytes=100))
    assert isinstance(doc, Document)
    assert doc.text == "grown " * 8
    assert read(Candidate(str(large), "text"), ScanOptions(max_bytes=100)) == Skipped(
        str(large), "too-large", "grew over --max-bytes 100 while read")


@pytest.mark.skipif(os.geteuid() == 0 if hasattr(os, "geteuid") else True, reason="root reads every file")
def test_unreadable_file_is_skipped_with_the_reason(tmp_path: Path) -> None:
    path = write(tmp_path, "locked.txt", "secret")
    path.chmod(0)
    result = read(Candidate(str(path), "text"), ScanOptions())
    assert isinstance(result, Skipped) and result.reason == "unreadable"


def test_markdown_links_and_images_are_blanked_out_in_place() -> None:
    text = ('# Title\n\nSee [the plan](https://example.org/plan "The plan") and [Petra Kemmler](<a b.html>).\n'
            '![A photo of the road](img/road.jpg) [not a link] (nor this) [x](unclosed\n')
    out = markup.markdown_text(text)
    assert len(out) == len(text) and [m.start() for m in re.finditer("\n", out)] == [
        m.start() for m in re.finditer("\n", text)]
    assert out.split() == ["#", "Title", "See", "the", "plan", "and", "Petra", "Kemmler", ".", "[not", "a", "link]",
                           "(nor", "this)", "[x](unclosed"]
    assert out.index("Kemmler") == text.index("Kemmler")  # positions are the file's
    assert markup.markdown_text("no links [here] (at all)") == "no links [here] (at all)"


def test_markdown_reference_links_and_their_definitions_are_blanked_out_in_place() -> None:
    text = ("Landrätin [Petra Kemmler][pk] sagte, [die Karte][] und [Radweg] zeigen ![Foto][img] mehr.\n"
            "[nicht definiert][zz] [x] [pk]: mitten im Satz\n\n"
            '[PK]: https://example.org/kemmler "Profil"\n  [Die  Karte]: <karte.html>\n[radweg]: /radweg\n'
            "[img]: foto.png 'Foto'\n    [eingerückt]: code.html\n")
    out = markup.markdown_text(text)
    assert len(out) == len(text) and [m.start() for m in re.finditer("\n", out)] == [
        m.start() for m in re.finditer("\n", text)]
    assert out.split() == ["Landrätin", "Petra", "Kemmler", "sagte,", "die", "Karte", "und", "Radweg", "zeigen",
                           "mehr.", "[nicht", "definiert][zz]", "[x]", "[pk]:", "mitten", "im", "Satz",
                           "[eingerückt]:", "code.html"]  # undefined labels, and a code block, stay as written
    assert out.index("Kemmler") == text.index("Kemmler")
    assert markup.markdown_text("[a]: not a definition without its target [a]") == (
        "[a]: not a definition without its target [a]")


def test_markdown_code_paragraph_lines_and_footnotes_are_not_taken_for_links() -> None:
    """Found by a helper's review: CommonMark shows these as text, and dedup blanked them."""
    kept = ["```\n[rw]: https://example.org/radweg\nSiehe [Radweg][rw].\n```\n",  # fenced code
            "Geschrieben als `[Radweg][rw]` und ``[rw]: x``.\n",  # code spans
            "Weitere Strecken.\n[Hinweis]: vorläufig\n",  # a definition cannot interrupt a paragraph
            "Vier Millionen Euro.[^1]\n\n[^1]: Schätzung.\n"]  # a footnote (GitHub's), not a definition
    for text in kept:
        assert markup.markdown_text(text + "\n[rw]: https://example.org/radweg\n").startswith(text), text
    crlf = "Siehe [Radweg][rw].\r\n\r\n[rw]: https://example.org/radweg\r\n[b]: /b\r\n"
    out = markup.markdown_text(crlf)
    assert out.split() == ["Siehe", "Radweg", "."] and out.count("\r\n") == 4 and len(out) == len(crlf)


def test_a_markdown_version_with_links_differs_from_its_plain_text_only_where_words_do(run: Run,
                                                                                       tmp_path: Path) -> None:
    md = write(tmp_path, "a.md", "# Radwege\n\nLandrätin [Petra Kemmler](https://example.org/kemmler) erklärte, "
                                 "dass ![Karte](karte.png) 18 Kilometer neue Wege entstehen.\n")
    txt = write(tmp_path, "b.txt", "Radwege\n\nLandrätin Petra Kemmler erklärte, dass 20 Kilometer neue Wege "
                                   "entstehen.\n")
    result = run("diff", str(md), str(txt), "--format", "json")
    found = [(d["category"], d["a_text"], d["b_text"], d["a"]["line"], d["a"]["column"])
             for d in json.loads(result.stdout)["discrepancies"] if d["severity"] == "major"]
    assert found == [("number", "18", "20", 3, md.read_text().splitlines()[2].index("18") + 1)]
    referenced = write(tmp_path, "c.md", "# Radwege\n\nLandrätin [Petra Kemmler][pk] erklärte, dass ![Karte][map] "
                                         "18 Kilometer neue [Wege] entstehen.\n\n[pk]: https://example.org/kemmler\n"
                                         "[map]: karte.png\n[wege]: https://example.org/wege \"Wege\"\n")
    result = run("diff", str(referenced), str(txt), "--format", "json")
    found = [(d["category"], d["a_text"], d["b_text"], d["a"]["line"], d["a"]["column"])
             for d in json.loads(result.stdout)["discrepancies"] if d["severity"] == "major"]
    assert found == [("number", "18", "20", 3, referenced.read_text().splitlines()[2].index("18") + 1)]
