"""Extraction of PDF, HTML, DOCX and e-mail, on real files made here or shipped in fixtures/."""

from __future__ import annotations

import ctypes
import io
import zipfile
from email.message import EmailMessage
from pathlib import Path

import docx
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest

from dedup import fingerprint
from dedup.extract import ExtractionFailed, extract, extract_here
from dedup.normalize import normalize_text
from dedup.options import ScanOptions
from dedup.scan import scan
from dedup.sources import Candidate, Document, Skipped, read

FIXTURES = Path(__file__).parent / "fixtures"

PROSE = [
    "The harbour footbridge will close for repairs from the first of March, the council said.",
    "Engineers found corrosion in two of the steel supports during a routine inspection.",
    "Pedestrians will be diverted along Dock Road, which adds about twelve minutes to the walk.",
    "Signs will go up a week ahead, and stewards will guide people on the first weekend.",
]


def make_pdf(pages: list[list[str]]) -> bytes:
    """Return a PDF with one text line per string, top to bottom, made by PDFium itself."""
    document = pdfium.PdfDocument.new()
    for lines in pages:
        page = document.new_page(420, 595)
        for row, line in enumerate(lines):
            obj = pdfium_c.FPDFPageObj_NewTextObj(document.raw, b"Helvetica", 10.0)
            wide = ctypes.create_string_buffer((line + "\0").encode("utf-16-le"))
            pdfium_c.FPDFText_SetText(obj, ctypes.cast(wide, ctypes.POINTER(pdfium_c.FPDF_WCHAR)))
            pdfium_c.FPDFPageObj_Transform(obj, 1, 0, 0, 1, 40, 560 - 14 * row)
            pdfium_c.FPDFPage_InsertObject(page.raw, obj)
        pdfium_c.FPDFPage_GenerateContent(page.raw)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def make_docx(paragraphs: list[str], table: list[list[str]] | None = None) -> bytes:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, cell in enumerate(row):
                grid.cell(r, c).text = cell
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def read_file(tmp_path: Path, name: str, data: bytes) -> Document | Skipped:
    path = tmp_path / name
    path.write_bytes(data)
    kind = {".pdf": "pdf", ".docx": "docx", ".html": "html", ".eml": "eml"}[path.suffix]
    return read(Candidate(str(path), kind), ScanOptions())


def test_pdf_pages_end_with_form_feeds() -> None:
    text = extract(make_pdf([PROSE[:2], PROSE[2:]]), "pdf")
    pages = text.split("\f")
    assert pages[-1] == ""
    assert [p.splitlines() for p in pages[:-1]] == [PROSE[:2], PROSE[2:]]


def test_typeset_pdf_normalizes_to_its_source_text() -> None:
    # pdflatex output: justified, hyphenated, running header and "Seite N von M" on each page.
    raw = extract((FIXTURES / "typeset-de.pdf").read_bytes(), "pdf")
    source = (FIXTURES / "typeset-de.txt").read_text(encoding="utf-8")
    assert raw.count("\f") >= 3 and "Seite 2 von" in raw and "-\n" in raw
    assert fingerprint.tokens(normalize_text(raw)) == fingerprint.tokens(source)


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("encrypted.pdf", (FIXTURES / "encrypted.pdf").read_bytes(), "encrypted"),
        ("truncated.pdf", (FIXTURES / "typeset-de.pdf").read_bytes()[:3000], "corrupt"),
        ("garbage.pdf", b"%PDF-1.7\n" + bytes(range(256)) * 40, "corrupt"),
        ("renamed.pdf", b"just some text, saved as .pdf\n", "corrupt"),
        ("text.docx", b"a plain text file with a .docx name\n", "not-a-zip"),
        ("other.docx", b"", "not-a-zip"),
    ],
)
def test_broken_files_are_skipped_with_a_reason(
    tmp_path: Path, name: str, data: bytes, reason: str
) -> None:
    result = read_file(tmp_path, name, data)
    assert isinstance(result, Skipped)
    assert result.reason == reason
    assert result.detail


def test_zip_that_is_no_word_document_is_corrupt(tmp_path: Path) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "not a word document")
    result = read_file(tmp_path, "x.docx", out.getvalue())
    assert isinstance(result, Skipped) and result.reason == "corrupt"


def test_zip_bomb_is_refused_before_inflating(tmp_path: Path) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"\0" * (20 * 1024 * 1024))
    result = read_file(tmp_path, "bomb.docx", out.getvalue())
    assert isinstance(result, Skipped) and result.reason == "zip-bomb"


def test_docx_paragraphs_and_tables_in_order(tmp_path: Path) -> None:
    data = make_docx(PROSE[:2], table=[["Item", "Cost"], ["Steel", "4,2 Mio"]])
    result = read_file(tmp_path, "letter.docx", data)
    assert isinstance(result, Document)
    blocks = result.text.split("\n\n")
    assert blocks[:2] == PROSE[:2]
    assert blocks[2:] == ["Item\tCost", "Steel\t4,2 Mio"]


def test_html_main_text_without_menus_and_footer() -> None:
    body = "".join(f"<p>{p}</p>" for p in PROSE)
    page = (
        "<html><head><title>Bridge</title></head><body><nav><ul><li><a href=/>Home</a></li>"
        "<li><a href=/sport>Sport and leisure pages</a></li></ul></nav>"
        f"<main><article><h1>Footbridge closes</h1>{body}</article></main>"
        "<footer><p>Copyright Harbour Gazette, all rights reserved.</p></footer></body></html>"
    )
    text = extract(page.encode("utf-8"), "html")
    for paragraph in PROSE:
        assert paragraph in text
    assert "Sport and leisure" not in text and "Copyright" not in text


def test_html_in_a_legacy_encoding_is_decoded() -> None:
    page = '<html><head><meta charset="windows-1252"></head><body><p>Grüße aus Köln, „schön“.</p>'
    text = extract((page + "</body></html>").encode("cp1252"), "html")
    assert "Grüße aus Köln" in text


@pytest.mark.parametrize("depth", [300, 10_000])
def test_html_nested_deeper_than_lxml_allows_keeps_its_text(depth: int) -> None:
    # lxml stops at 255 levels and gives no text; nothing of the page may be lost for that.
    inner = "".join(f"<p>{p}</p>" for p in PROSE[:2]) + "<script>var hidden = 1;</script>"
    page = "<html><head><style>p {}</style></head><body>" + "<div>" * depth + inner
    text = extract((page + "</div>" * depth + "</body></html>").encode("utf-8"), "html")
    assert text.split("\n\n") == PROSE[:2]


@pytest.mark.parametrize("subtype", ["plain", "html"])
def test_eml_subject_and_body(subtype: str) -> None:
    message = EmailMessage()
    message["Subject"] = "Footbridge closure"
    message["From"] = "press@example.org"
    if subtype == "plain":
        message.set_content("\n\n".join(PROSE))
    else:
        message.set_content("".join(f"<p>{p}</p>" for p in PROSE), subtype="html")
    text = extract(message.as_bytes(), "eml")
    assert text.startswith("Footbridge closure\n\n")
    assert fingerprint.tokens(text).count(*fingerprint.tokens("dock")) == 1


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ExtractionFailed) as err:
        extract(b"x", "odt")
    assert err.value.reason == "unsupported"


def test_time_limit_skips_and_the_next_file_still_extracts() -> None:
    # No extraction answers within a nanosecond; the worker is killed and replaced.
    with pytest.raises(ExtractionFailed) as err:
        extract(make_pdf([PROSE] * 20), "pdf", timeout=1e-9)
    assert err.value.reason == "extraction-timeout"
    assert PROSE[0] in extract(make_pdf([PROSE]), "pdf")


def test_extract_here_and_worker_agree() -> None:
    data = make_pdf([PROSE[:1], PROSE[1:]])
    assert extract_here(data, "pdf") == extract(data, "pdf")


def test_scan_groups_the_same_document_as_pdf_html_and_text(tmp_path: Path) -> None:
    header, words = "Harbour Gazette - Local news", " ".join(PROSE * 3).split()
    lines = [" ".join(words[i : i + 9]) for i in range(0, len(words), 9)]
    starts = range(0, len(lines), 5)
    pages = [
        [header, *lines[i : i + 5], f"Page {n + 1} of {len(starts)}"] for n, i in enumerate(starts)
    ]
    (tmp_path / "bridge.pdf").write_bytes(make_pdf(pages))
    body = "<p>" + " ".join(words) + "</p>"
    (tmp_path / "bridge.html").write_text(
        f"<html><body><nav><a href=/>Home</a> <a href=/a>Archive</a></nav><article>{body}"
        "</article><footer>Imprint and privacy policy of the site</footer></body></html>",
        encoding="utf-8",
    )
    (tmp_path / "bridge.txt").write_text(" ".join(words) + "\n", encoding="utf-8")
    result = scan([str(tmp_path)])
    assert not result.skipped and not result.unique
    [group] = result.groups
    assert len(group.members) == 3
    assert all(not member.discrepancies for member in group.members)
