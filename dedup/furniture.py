"""Find page furniture and other layout artifacts of extracted PDF text, as edits.

Text extracted from a PDF carries what the page layout put around the words:
running headers and footers, page numbers, footnote markers, dot leaders of a
table of contents, bullet glyphs, and URLs broken at a line end. `find`
returns each as an `Edit` of the text with its reason; it never rewrites the
text itself, so that normalize applies the edits and keeps its offset map.

Pages end with form feeds ("\\f"), as dedup's PDF extractor and pdftotext
write them. A header or footer is a line near the top or bottom of a page
that recurs, with its digits masked ("Seite 3 von 12" is "Seite # von #"),
near the same edge of nearby pages; a page number needs no recurrence when
it counts the pages. Only text with pages loses letters or digits here: in
text without a form feed, bullets are unified and broken URLs rejoined.
"""

from __future__ import annotations

import itertools
import re
import statistics
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz.fuzz import ratio

# Lines this close to a page's top or bottom (blank lines not counted) may be furniture.
ZONE = 3
# Pages either side of a page where its header or footer must recur.
REACH = 4
# Similarity (0-100) of digit-masked lines that counts as the same running header.
SAME_LINE = 85.0
# A running header is a line, not a paragraph.
MAX_FURNITURE_CHARS = 140
# A page number alone on its page is furniture only on a page with this much else.
MIN_PAGE_LINES = 3


@dataclass(frozen=True)
class Edit:
    """Replace text[start:end] by `new`; `reason` says which layout artifact it was."""

    start: int
    end: int
    new: str
    reason: str


@dataclass(frozen=True)
class _Line:
    start: int
    end: int
    page: int
    text: str


@dataclass(frozen=True)
class _Notes:
    """Footnotes found: their numbers by page, and the lines where their text starts."""

    numbers: dict[int, set[int]]
    lines: set[int]


_TERMINATOR = re.compile(r"\r\n|[\n\r\f\v]")
_PAGE_NUMBER = re.compile(
    r"(?:(?:seite|page|s\.|p\.)\s*)?[-–—]*\s*(?P<n>\d{1,4}|[ivxl]{1,7})\s*[-–—]*"
    r"(?:\s*(?:/|von|of|de|sur|\|)\s*\d{1,4})?",
    re.IGNORECASE,
)
_ROMAN = {"i": 1, "v": 5, "x": 10, "l": 50}
_DIGITS = re.compile(r"\d+")
_DOT_LEADER = re.compile(r"[ \t]*(?:(?:\.[ \t]?){4,}|…{2,})[ \t]*\d*[ \t]*$")
_BULLETS = "•◦▪▫‣●○■□►▸➢➤✓✔·∙⁃"
_BULLET = re.compile(rf"^[ \t]*[{_BULLETS}][ \t]*")
# A footnote's number has at most three digits, superscript ones too: a superscript digit is a letter to
# [^\W\d_], so a longer run is refused by the lookahead (a run of 4,301 stopped int()).
_FOOTNOTE_BODY = re.compile(r"^(\d{1,3}|[¹²³⁴⁵⁶⁷⁸⁹]{1,3}(?![¹²³⁴⁵⁶⁷⁸⁹]))[ \t]?(?=[^\W\d_])")
_SUPERSCRIPT = str.maketrans("¹²³⁴⁵⁶⁷⁸⁹", "123456789")
_TO_SUPERSCRIPT = str.maketrans("123456789", "¹²³⁴⁵⁶⁷⁸⁹")
# The end of a line inside a URL, e-mail address or path, and what may continue it.
# A hyphen at the end is left to normalize's hyphenation evidence: TeX hyphenates paths.
_URL_END = re.compile(r"(?:https?://|www\.|[\w.+-]+@|(?<!\S)/)(?:\S*[/._?=&#~%:@])?$")
_URL_NEXT = re.compile(r"[\w\-.~%/?=&#@:+]*[/.=&?#_~%@][\w\-.~%/?=&#@:+]*[\w/]")
# The rest of a word from a position, and what must follow a line's last word: blanks and a line break
# (whitespace as rsplit sees it). Two matches, neither of which can backtrack far.
_REST_OF_WORD = re.compile(r"\S*")
_LAST_IN_LINE = re.compile(r"[^\S\n\r\v\f]*[\n\r\v\f]")
_SENTENCE_END = re.compile(r"[.!?:][\"'”“»«)]*$")
_HYPHENATED_END = re.compile(r"[^\W\d_]-$")


def find(text: str) -> tuple[Edit, ...]:
    """Return the layout artifacts of `text` as sorted, non-overlapping edits."""
    if not might_have_artifacts(text):
        return ()
    return _find(text)


# Without a form feed there are no pages, no headers, footers, footnotes or dot leaders: the
# artifacts left are a bullet at a line's start and a URL broken at a line end (see _inline, _gap).
_LINE_START_BULLET = re.compile(rf"(?:^|[\n\r\v])[ \t]*[{_BULLETS}]")


def might_have_artifacts(text: str) -> bool:
    """Return False when `text` certainly has no artifact (a quick check that skips the line-by-line pass)."""
    return (
        "\f" in text
        # `in` for each bullet: a third of the time of a character class, and none for a text whose
        # characters are all below the bullet's (Python stores it in one byte a character)
        or (any(bullet in text for bullet in _BULLETS) and _LINE_START_BULLET.search(text) is not None)
        or _maybe_broken_url(text)
    )


def _maybe_broken_url(text: str) -> bool:
    """Return whether some line ends inside a URL, e-mail address or path that the next line continues.

    The test `_gap` makes between two lines of a text without pages (they
    follow each other, no blank line between), made only on the lines whose
    last word holds a slash, an at sign or "www.": a word with a mark inside
    a line is passed over whole, however many marks it has.
    """
    for mark in ("/", "@", "www."):
        at = text.find(mark)
        floor = 0  # a line starts here, at or before the mark: the line breaks are looked for after it
        while at >= 0:
            word_end = _REST_OF_WORD.match(text, at).end()  # type: ignore[union-attr]  # \S* always matches
            if _LAST_IN_LINE.match(text, word_end) is None:
                at = text.find(mark, word_end)
                continue
            end = _TERMINATOR.search(text, at + len(mark))
            if end is None:
                break  # the last line: nothing follows it
            start = max(floor - 1, text.rfind("\n", floor, at), text.rfind("\r", floor, at),
                        text.rfind("\v", floor, at)) + 1
            line = text[start : end.start()]
            following = _TERMINATOR.search(text, end.end())
            after = text[end.end() : following.start() if following else len(text)]
            if _may_end_in_url(line) and _URL_END.search(line.rstrip()) and _URL_NEXT.match(after.lstrip()):
                return True
            floor = end.end()
            at = text.find(mark, floor)
    return False


def _may_end_in_url(line: str) -> bool:
    """Return False when `line` certainly does not end inside a URL, address or path (_URL_END)."""
    words = line.rsplit(None, 1)
    if not words:
        return False
    tail = words[-1]
    return tail.startswith("/") or "@" in tail or "www." in tail or "://" in tail


def _find(text: str) -> tuple[Edit, ...]:
    lines = _lines(text)
    pages = lines[-1].page + 1
    paged = pages > 1  # a form feed makes pages, even one page that ends with it
    reasons = _furniture(lines, pages) if paged else {}
    kept = [k for k, ln in enumerate(lines) if k not in reasons and ln.text.strip()]
    notes = _footnotes(lines, kept) if paged else _Notes({}, set())
    if not kept:
        return _disjoint(_removals(text, lines, range(len(lines)), reasons, len(text)))
    edits = _removals(text, lines, range(kept[0]), reasons, lines[kept[0]].start)
    widths = _widths(lines, kept) if paged else {}
    for a, b in itertools.pairwise(kept):
        edits += _gap(text, lines, a, b, reasons, notes, widths)
    edits += _removals(text, lines, range(kept[-1] + 1, len(lines)), reasons, len(text))
    for k in kept:
        edits += _inline(lines[k], notes.numbers.get(lines[k].page, set()), k in notes.lines, paged)
    return _disjoint(edits)


def _disjoint(edits: list[Edit]) -> tuple[Edit, ...]:
    """Sort the edits, dropping any that overlaps an earlier one (the first found wins)."""
    kept: list[Edit] = []
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        if not kept or edit.start >= kept[-1].end:
            kept.append(edit)
    return tuple(kept)


def _lines(text: str) -> list[_Line]:
    lines, page, last = [], 0, 0
    for match in _TERMINATOR.finditer(text):
        lines.append(_Line(last, match.start(), page, text[last : match.start()]))
        if match.group() == "\f":
            page += 1
        last = match.end()
    lines.append(_Line(last, len(text), page, text[last:]))
    return lines


def _furniture(lines: list[_Line], pages: int) -> dict[int, str]:
    """Map line index to reason for every header, footer and page number line."""
    body: list[list[int]] = [[] for _ in range(pages)]
    for k, line in enumerate(lines):
        if line.text.strip():
            body[line.page].append(k)
    tops = [ks[:ZONE] for ks in body]
    bottoms = [ks[::-1][:ZONE] for ks in body]
    masked = {k: _mask(lines[k].text) for zone in (*tops, *bottoms) for k in zone}
    found: dict[int, str] = {}
    for page in range(pages):
        recurring = {}
        for zones, reason in ((tops, "running-header"), (bottoms, "running-footer")):
            for k in zones[page]:
                text = lines[k].text.strip()
                if _counts_pages(text, page, len(body[page])):
                    found[k] = "page-number"
                elif len(text) <= MAX_FURNITURE_CHARS and _recurs(masked[k], page, zones, masked):
                    recurring[k] = reason
        # A page most of whose lines recur is a repeated page (a form, a copy), not
        # furniture; a header and a footer over a page's last line or two are.
        if len(recurring) <= 2 or 2 * len(recurring) <= len(body[page]):
            found.update(recurring)
    return found


def _mask(line: str) -> str:
    return " ".join(_DIGITS.sub("#", line).split()).casefold()


def _counts_pages(text: str, page: int, page_lines: int) -> bool:
    """Tell whether `text` is the number of its page (page is 0-based), on a page with text."""
    match = _PAGE_NUMBER.fullmatch(text)
    if match is None or page_lines <= MIN_PAGE_LINES:
        return False
    number = match.group("n").lower()
    if number.isdigit():
        return int(number) == page + 1
    if not set(number) <= _ROMAN.keys():  # "İ" matches [ivxl] when case is ignored, and lowers to "i" and a dot
        return False
    values = [_ROMAN[c] for c in number]
    value = sum(-v if v < w else v for v, w in zip(values, [*values[1:], 0], strict=True))
    return value == page + 1


def _recurs(line: str, page: int, zones: list[list[int]], masked: dict[int, str]) -> bool:
    """Tell whether `line` recurs near the same edge of enough nearby pages."""
    near = [p for p in range(max(0, page - REACH), min(len(zones), page + REACH + 1)) if p != page]
    hits = sum(1 for p in near if any(ratio(line, masked[k]) >= SAME_LINE for k in zones[p]))
    # Headers may alternate between even and odd pages, so half the neighbours suffice.
    return hits >= max(1, min(2, len(near) // 2))


def _removals(
    text: str, lines: list[_Line], span: range, reasons: dict[int, str], stop: int
) -> list[Edit]:
    """Remove the lines in `span` that are furniture, each with the blank lines after it."""
    edits = []
    for k in span:
        if k in reasons:
            after = k + 1
            while after < len(lines) and after not in reasons and not lines[after].text.strip():
                after += 1
            end = lines[after].start if after < len(lines) else len(text)
            edits.append(Edit(lines[k].start, min(end, stop), "", reasons[k]))
    return edits


def _widths(lines: list[_Line], kept: list[int]) -> dict[int, tuple[int, float]]:
    """Map each page to its number of kept lines and their median width."""
    by_page: dict[int, list[int]] = {}
    for k in kept:
        by_page.setdefault(lines[k].page, []).append(len(lines[k].text.strip()))
    return {page: (len(ws), statistics.median(ws)) for page, ws in by_page.items()}


def _gap(
    text: str,
    lines: list[_Line],
    a: int,
    b: int,
    reasons: dict[int, str],
    notes: _Notes,
    widths: dict[int, tuple[int, float]],
) -> list[Edit]:
    """Edit what lies between kept lines a and b: removed lines and the break itself."""
    before, after = lines[a], lines[b]
    removed = [k for k in range(a + 1, b) if k in reasons]
    first = lines[removed[0]].start if removed else after.start
    edits = _removals(text, lines, range(a + 1, b), reasons, after.start)
    blanks = sum(1 for k in range(a + 1, b) if k not in reasons)
    if (
        not blanks
        and _may_end_in_url(before.text)
        and _URL_END.search(before.text.rstrip())
        and _URL_NEXT.match(after.text.lstrip())
    ):
        return [*edits, Edit(before.end, first, "", "broken-url")]
    new_page = after.page != before.page
    if b in notes.lines:
        separator, reason = "\n\n", "footnote"
    elif new_page:
        separator = "\n\n" if _paragraph_end(before, widths, page_end=True) else "\n"
        reason = "page-break"
    elif not blanks and not removed and _paragraph_end(before, widths, page_end=False):
        # Extracted pages have no blank lines: a short line that ends a sentence ends a paragraph.
        separator, reason = "\n\n", "paragraph-end"
    else:
        separator, reason = ("\n\n" if blanks else "\n"), "line-break"
    if (removed or new_page or reason != "line-break") and text[before.end : first] != separator:
        edits.append(Edit(before.end, first, separator, reason))
    return edits


def _paragraph_end(line: _Line, widths: dict[int, tuple[int, float]], page_end: bool) -> bool:
    """Tell whether a line of a page ends a paragraph.

    On a page of text, a line narrower than most (they are justified or
    nearly so) that ends a sentence ends a paragraph; a hyphenated word runs
    on. A page too short to measure ends a paragraph at its end only.
    """
    text = line.text.strip()
    if _HYPHENATED_END.search(text):
        return False
    count, median = widths.get(line.page, (0, 0.0))
    if count < MIN_PAGE_LINES:
        return page_end
    return len(text) < 0.8 * median and bool(_SENTENCE_END.search(text))


def _footnotes(lines: list[_Line], kept: list[int]) -> _Notes:
    """Find footnotes: a numbered line in a page's lower half whose number marks a word above."""
    notes = _Notes({}, set())
    by_page: dict[int, list[int]] = {}
    for k in kept:
        by_page.setdefault(lines[k].page, []).append(k)
    for page, ks in by_page.items():
        for k in ks[len(ks) // 2 :]:
            match = _FOOTNOTE_BODY.match(lines[k].text)
            if match is None:
                continue
            number = int(match.group(1).translate(_SUPERSCRIPT))
            marker = _marker(number)
            if any(marker.search(lines[j].text) for j in ks if j < k):
                notes.numbers.setdefault(page, set()).add(number)
                notes.lines.add(k)
    return notes


@lru_cache(maxsize=1024)  # footnote numbers have three digits at most; asked for on every line of a page
def _marker(number: int) -> re.Pattern[str]:
    """Match footnote `number` set after a word or its punctuation ("Adresse.1", "word²", "25 %¹").

    After a comma, point or colon that follows a figure, plain digits are the
    rest of a number ("18,200", "3.14 percent", "3,5 Prozent", "Abschnitt
    4.1 Methoden", "2:1"): German capitalises its nouns, so a capital after
    them tells nothing. There only a year that ends a sentence takes a
    marker ("in 2019.1 Since then"). Neither does a code of one or two
    capitals ("CO2", "Q1") nor a unit ("m²", "km³"). A marker in a list
    ("studies1,2,3", "year.¹,²") goes with its comma.
    """
    plain, sup = str(number), str(number).translate(_TO_SUPERSCRIPT)
    after = r"[.,;:!?\"”“»)%]"
    ends = r"(?=[\s.,;:!?)]|$)"
    word = _after_word()
    found = [rf"(?:{word}|(?<={after})(?<!\d[.,:])){plain}{ends}", rf"(?:{word}|(?<={after})){sup}{ends}",
             rf"(?<=[⁰¹²³⁴⁵⁶⁷⁸⁹]),{sup}{ends}"]
    if len(plain) < 3:
        sentence = r"(?=(?:,\d\d?)*(?:[ \t]*$|\s+[„\"»(A-ZÄÖÜ]))"
        found.append(rf"(?<=\d{{4}}\.)(?<![\d,]\d{{4}}\.){plain}{sentence}")
        listed = [rf"{_after_word(d)}|(?<={after}{d})(?<!\d\.{d})|(?<=\d{{4}}\.{d})(?<![\d,]\d{{4}}\.{d})"
                  for d in (r"\d", r"\d\d")]  # each a marker above, before the comma
        found.append(rf"(?:{'|'.join(listed)}),{plain}{ends}")
    return re.compile("|".join(found))


def _after_word(then: str = "") -> str:
    """Return a lookbehind for a word, then `then`: not a letter alone, a code of two capitals or a unit ("x2",
    "CO2", "Q1", "km²")."""
    return rf"(?<=[^\W\d_]{then})" + "".join(rf"(?<!\b{code}{then})" for code in _CODES)


_CODES = (r"[^\W\d_]", r"[A-ZÄÖÜ]{2}", r"[cdkm]m")


def _inline(line: _Line, numbers: set[int], is_note: bool, paged: bool) -> list[Edit]:
    """Edits inside one kept line: footnote markers, dot leaders, bullets."""
    edits: list[Edit] = []
    start = line.start
    if is_note:
        match = _FOOTNOTE_BODY.match(line.text)
        if match:
            edits.append(Edit(start, start + match.end(), "", "footnote-number"))
    else:
        for number in sorted(numbers):
            for match in _marker(number).finditer(line.text):
                edits.append(
                    Edit(start + match.start(), start + match.end(), "", "footnote-marker")
                )
        bullet = _BULLET.match(line.text)
        if bullet and line.text[: bullet.end()] != "- ":
            edits.append(Edit(start, start + bullet.end(), "- ", "bullet"))
    leader = _DOT_LEADER.search(line.text) if paged else None
    if leader and leader.start() > 0:
        edits.append(Edit(start + leader.start(), line.end, "", "dot-leader"))
    return edits
