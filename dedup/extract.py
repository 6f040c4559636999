"""Turn the bytes of a PDF, HTML, DOCX or e-mail file into plain text.

Each format has one extractor, a function from bytes to text that raises
`ExtractionFailed` for a file it cannot read. `extract` runs the extractor in
a worker process of its own, so that a hostile file can neither crash the
scan (a crash in a C library kills only the worker) nor stall it (a file that
takes longer than `timeout` seconds gets the worker killed and is skipped as
"extraction-timeout"). The worker is started on first use and reused for the
next files; one process start costs far less than the extraction of a PDF.

Library choices (measured in bench/pdf_normalize.py, see bench/README.md):
PDF through pypdfium2 (PDFium; Apache-2.0/BSD), HTML main text through
trafilatura (Apache-2.0), DOCX through python-docx (MIT), e-mail through the
standard library.
"""

from __future__ import annotations

import io
import logging
import multiprocessing
import re
import threading
import zipfile
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from dedup.errors import DedupError

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 60.0
"""Seconds one file may take to extract before it is skipped."""

# A DOCX is a zip archive; refuse archives that would unpack to more than
# this (zip bombs) before a byte of them is inflated.
MAX_UNZIPPED_BYTES = 512 * 1024 * 1024
MAX_ZIP_RATIO = 200

# The worker gets an address-space cap so that a memory bomb fails inside it.
_WORKER_MEMORY = 4 * 1024 * 1024 * 1024

# PDFium marks a hyphen it takes for end-of-line hyphenation with U+FFFE and
# joins the lines; put the hyphen and the break back, so that normalize
# decides with evidence, as it does for every other source of text.
_PDFIUM_HYPHEN = "\ufffe"


class ExtractionFailed(DedupError):
    """A file whose text cannot be extracted; `reason` is a short code, `detail` a sentence."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(reason, detail)
        self.reason = reason
        self.detail = detail

    def __str__(self) -> str:
        return f"{self.reason}: {self.detail}"


def extract(data: bytes, kind: str, timeout: float | None = DEFAULT_TIMEOUT) -> str:
    """Return the text of a file of the given kind.

    Args:
        data: the file's bytes.
        kind: "pdf", "html", "docx" or "eml".
        timeout: seconds the extraction may take, in an isolated worker
            process; None extracts in this process with no limit.

    Returns:
        The text; for a PDF, every page ends with a form feed ("\\f").

    Raises:
        ExtractionFailed: the file is encrypted, corrupt, too slow or of an unknown kind.
    """
    if kind not in EXTRACTORS:
        raise ExtractionFailed("unsupported", f"no extractor for {kind} files")
    if timeout is None:
        return extract_here(data, kind)
    return _WORKER.run(data, kind, timeout)


def extract_here(data: bytes, kind: str) -> str:
    """Extract in this process; every failure of the library becomes `ExtractionFailed`."""
    try:
        return EXTRACTORS[kind](data)
    except ExtractionFailed:
        raise
    except MemoryError:
        raise ExtractionFailed("too-large", "the extractor ran out of memory") from None
    except (
        Exception
    ) as err:  # a library's own failure on a bad file: the file is skipped, not the scan
        log.debug("extraction of a %s file failed", kind, exc_info=True)
        raise ExtractionFailed("extraction-failed", f"{type(err).__name__}: {err}") from None


# -- PDF ------------------------------------------------------------------------


def pdf_text(data: bytes) -> str:
    """Return the text of every page of a PDF, each ending with a form feed."""
    import pypdfium2 as pdfium

    if b"%PDF" not in data[:1024]:
        raise ExtractionFailed("corrupt", "not a PDF file (no %PDF header)")
    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as err:
        message = str(err)
        if "password" in message.lower():
            raise ExtractionFailed("encrypted", "the PDF is encrypted with a password") from None
        raise ExtractionFailed("corrupt", f"the PDF cannot be opened ({message})") from None
    pages = []
    try:
        for index in range(len(document)):
            page = document[index]
            textpage = page.get_textpage()
            try:
                pages.append(_pdfium_page_text(textpage.get_text_range()))
            finally:
                textpage.close()
                page.close()
    finally:
        document.close()
    # Every page ends with a form feed, as in pdftotext's output, so that even
    # a one-page document is seen as a page (its page number is furniture).
    return "".join(page + "\f" for page in pages)


def _pdfium_page_text(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.replace(_PDFIUM_HYPHEN, "-\n")


# -- HTML -----------------------------------------------------------------------


def html_text(data: bytes) -> str:
    """Return the main text of a web page (not its menus, sidebars and footers)."""
    import trafilatura
    from trafilatura.settings import use_config

    config = use_config()
    # Size is bounded by --max-bytes already; the time by our worker, not by signals.
    config.set("DEFAULT", "max_file_size", str(1 << 40))
    config.set("DEFAULT", "extraction_timeout", "0")
    text = trafilatura.extract(
        data, include_comments=False, include_tables=True, favor_recall=True, config=config
    )
    if not text:
        # A page too short or too odd for main-text detection: take all of its text.
        text = trafilatura.html2txt(data)
    if not text:
        # lxml gives up on elements nested deeper than 255 levels and returns
        # nothing; the standard library's parser builds no tree and has no limit.
        text = _all_text(data)
    # trafilatura writes one line per block; a block is a paragraph.
    return re.sub(r"\n+", "\n\n", text or "")


_NOT_TEXT = frozenset({"script", "style", "template", "noscript", "head"})
_INLINE = frozenset({
    "a", "abbr", "b", "bdi", "bdo", "big", "cite", "code", "data", "del", "dfn", "em", "font", "i", "ins", "kbd",
    "mark", "q", "s", "samp", "small", "span", "strike", "strong", "sub", "sup", "time", "tt", "u", "var", "wbr",
})


def _all_text(data: bytes) -> str:
    """Return the text of every element of a page but scripts, styles and the head, a line a block."""
    from html.parser import HTMLParser

    from trafilatura.utils import decode_file  # the page's declared or detected encoding

    class Collector(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.pieces: list[str] = []
            self.hidden = 0

        def handle_starttag(self, tag: str, attrs: Any) -> None:
            if tag in _NOT_TEXT:
                self.hidden += 1
            if tag not in _INLINE:
                self.pieces.append("\n")

        def handle_endtag(self, tag: str) -> None:
            if tag in _NOT_TEXT and self.hidden:
                self.hidden -= 1
            if tag not in _INLINE:
                self.pieces.append("\n")

        def handle_data(self, data: str) -> None:
            if not self.hidden:
                self.pieces.append(data)

    collector = Collector()
    collector.feed(decode_file(data))
    collector.close()
    lines = (" ".join(line.split()) for line in "".join(collector.pieces).split("\n"))
    return "\n".join(line for line in lines if line)


# -- DOCX -----------------------------------------------------------------------


def docx_text(data: bytes) -> str:
    """Return the body text of a Word document: paragraphs and table cells in order."""
    import docx
    from docx.table import Table

    _check_zip(data)
    document = docx.Document(io.BytesIO(data))
    blocks: list[str] = []
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            for row in item.rows:
                cells = [cell.text.strip() for cell in row.cells]
                blocks.append("\t".join(dict.fromkeys(c for c in cells if c)))
        else:
            blocks.append(item.text)
    return "\n\n".join(b for b in blocks if b.strip())


def _check_zip(data: bytes) -> None:
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise ExtractionFailed(
            "not-a-zip", "a .docx file must be a zip archive, and this one is not"
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError) as err:
        raise ExtractionFailed("corrupt", f"broken zip archive ({err})") from None
    unzipped = sum(m.file_size for m in members)
    packed = sum(m.compress_size for m in members) or 1
    if unzipped > MAX_UNZIPPED_BYTES or unzipped / packed > MAX_ZIP_RATIO:
        raise ExtractionFailed(
            "zip-bomb", f"the archive would unpack to {unzipped} bytes from {packed} (refused)"
        )
    if "word/document.xml" not in {m.filename for m in members}:
        raise ExtractionFailed("corrupt", "the zip archive holds no word/document.xml")


# -- e-mail ---------------------------------------------------------------------


def eml_text(data: bytes) -> str:
    """Return the subject and the body of an e-mail message (plain text preferred)."""
    from email import policy
    from email.message import EmailMessage
    from email.parser import BytesParser

    message = BytesParser(policy=policy.default).parsebytes(data)
    assert isinstance(message, EmailMessage)  # policy.default makes EmailMessage objects
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        raise ExtractionFailed("empty", "the message has no text or HTML body")
    content = body.get_content()
    if body.get_content_subtype() == "html":
        raw = content.encode("utf-8") if isinstance(content, str) else bytes(content)
        content = html_text(raw)
    subject = str(message.get("subject", "") or "").strip()
    return f"{subject}\n\n{content}" if subject else str(content)


EXTRACTORS: dict[str, Callable[[bytes], str]] = {
    "pdf": pdf_text,
    "html": html_text,
    "docx": docx_text,
    "eml": eml_text,
}


# -- the worker process ---------------------------------------------------------


class _Worker:
    """One reusable extraction process, replaced when it times out or dies."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: Any = None
        self._conn: Connection | None = None

    def run(self, data: bytes, kind: str, timeout: float) -> str:
        with self._lock:
            conn = self._start()
            try:
                conn.send((data, kind))
                if not conn.poll(timeout):
                    self._stop()
                    raise ExtractionFailed(
                        "extraction-timeout", f"extraction took longer than {timeout:g} s"
                    )
                status, *payload = conn.recv()
            except (EOFError, OSError):
                self._stop()
                raise ExtractionFailed(
                    "extraction-crashed", "the extractor process died on this file"
                ) from None
        if status == "ok":
            return str(payload[0])
        raise ExtractionFailed(str(payload[0]), str(payload[1]))

    def _start(self) -> Connection:
        if self._conn is not None and self._process.is_alive():
            return self._conn
        self._stop()
        # spawn, not fork: a fork would copy the parent's threads and locks.
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        self._process = context.Process(
            target=_serve, args=(child,), daemon=True, name="dedup-extract"
        )
        self._process.start()
        child.close()
        self._conn = parent
        log.debug("started extraction worker %s", self._process.pid)
        return parent

    def _stop(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._process is not None:
            self._process.kill()
            self._process.join(5)
            self._process = None


def _serve(conn: Connection) -> None:
    """Extract files sent over `conn` until it closes (the worker's main loop)."""
    import signal

    # Ctrl-C at a terminal reaches the whole process group; the parent stops this worker itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (_WORKER_MEMORY, _WORKER_MEMORY))
    except (ImportError, ValueError, OSError):
        pass  # no such limit on this platform; the timeout still holds
    while True:
        try:
            data, kind = conn.recv()
        except (EOFError, OSError):
            return
        try:
            conn.send(("ok", extract_here(data, kind)))
        except ExtractionFailed as err:
            conn.send(("failed", err.reason, err.detail))


_WORKER = _Worker()
