"""Strip layout artifacts from raw text, keeping a map back to the raw text's positions.

Two passes, each a single regular-expression scan whose matches are the
artifacts; text between artifacts is copied as it is:

1. characters: ligatures, typographic quotes, exotic spaces, zero-width,
   bidi and control characters, soft hyphens, decomposed accents;
2. structure: hard line breaks inside paragraphs joined, end-of-line
   hyphenation joined (suspended hyphens such as "Wissens- und" and real
   compounds such as "E-Mail" kept), paragraphs separated by one blank line,
   runs of blanks collapsed.

The result never loses a letter or digit, and normalizing it again changes nothing.
"""

from __future__ import annotations

import re
import unicodedata
from array import array
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from dedup import furniture

VERSION = 2
"""Bumped whenever the normalized text of some input changes."""


@dataclass(frozen=True, eq=False)
class OffsetMap:
    """Piecewise map from positions in a rewritten text back to its source.

    Segment k starts at `out_starts[k]` in the output; copied segments map
    position by position, replaced ones map wholly to `src_starts[k]`.
    """

    out_starts: array[int]
    src_starts: array[int]
    copied: bytes

    def source(self, index: int) -> int:
        """Return the source position of output position `index`."""
        k = bisect_right(self.out_starts, index) - 1
        if k < 0:
            return 0
        base = self.src_starts[k]
        return base + (index - self.out_starts[k]) if self.copied[k] else base


@dataclass(frozen=True, eq=False)
class Normalized:
    """Clean text plus the maps back to the raw text, one per pass.

    `artifacts` are the layout artifacts the furniture pass took out (page
    furniture, footnote markers...), with their spans in the raw text.
    """

    text: str
    maps: tuple[OffsetMap, ...]
    artifacts: tuple[furniture.Edit, ...] = ()

    def raw_offset(self, index: int) -> int:
        """Return the position in the raw text that produced `index` of the clean text."""
        for offset_map in reversed(self.maps):
            index = offset_map.source(index)
        return index


def normalize(raw: str) -> Normalized:
    """Return the layout-normalized form of `raw` with its offset maps."""
    text1, map1 = _rewrite(raw, _CHAR_PATTERN, _char_replacement)
    edits = furniture.find(text1)  # the furniture pass: headers, footers, page numbers out
    paged, map_paged = _apply(text1, edits)
    text2, map2 = _rewrite(paged, _STRUCTURE_PATTERN, _structure_replacement(paged))
    return Normalized(text2, (map1, map_paged, map2), _artifacts(edits, map1))


def normalize_text(raw: str) -> str:
    """Return only the clean text of `normalize(raw)`."""
    return normalize(raw).text


def locate(raw: str, offset: int) -> tuple[int, int]:
    """Return the 1-based line and column of character `offset` in `raw`."""
    offset = max(0, min(offset, len(raw)))
    line = raw.count("\n", 0, offset) + 1
    column = offset - (raw.rfind("\n", 0, offset) + 1) + 1
    return line, column


Replacement = Callable[[re.Match[str]], "str | None"]


def _rewrite(text: str, pattern: re.Pattern[str], replace: Replacement) -> tuple[str, OffsetMap]:
    pieces: list[str] = []
    out_starts = array("q")
    src_starts = array("q")
    copied = bytearray()
    out = last = 0
    for match in pattern.finditer(text):
        new = replace(match)
        start, end = match.span()
        if new is None or new == match.group():
            continue
        if start > last:
            pieces.append(text[last:start])
            out_starts.append(out)
            src_starts.append(last)
            copied.append(1)
            out += start - last
        if new:
            pieces.append(new)
            out_starts.append(out)
            src_starts.append(start)
            copied.append(0)
            out += len(new)
        last = end
    if last < len(text) or not pieces:
        pieces.append(text[last:])
        out_starts.append(out)
        src_starts.append(last)
        copied.append(1)
    return "".join(pieces), OffsetMap(out_starts, src_starts, bytes(copied))


# -- furniture pass (dedup/furniture.py finds the edits) -----------------------


def _apply(text: str, edits: tuple[furniture.Edit, ...]) -> tuple[str, OffsetMap]:
    """Apply sorted, non-overlapping edits to `text`, keeping the map back to it."""
    pieces: list[str] = []
    out_starts = array("q")
    src_starts = array("q")
    copied = bytearray()
    out = last = 0
    for edit in edits:
        for piece, src, is_copy in ((text[last : edit.start], last, 1), (edit.new, edit.start, 0)):
            if piece:
                pieces.append(piece)
                out_starts.append(out)
                src_starts.append(src)
                copied.append(is_copy)
                out += len(piece)
        last = edit.end
    if last < len(text) or not pieces:
        pieces.append(text[last:])
        out_starts.append(out)
        src_starts.append(last)
        copied.append(1)
    return "".join(pieces), OffsetMap(out_starts, src_starts, bytes(copied))


def _artifacts(edits: tuple[furniture.Edit, ...], to_raw: OffsetMap) -> tuple[furniture.Edit, ...]:
    """Return the edits with their spans moved back to the raw text."""
    return tuple(
        furniture.Edit(to_raw.source(e.start), to_raw.source(e.end - 1) + 1 if e.end > e.start else
                       to_raw.source(e.start), e.new, e.reason)
        for e in edits
    )


# -- pass 1: characters -------------------------------------------------------

_LIGATURES = {"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st"}
_DOUBLE_QUOTES = "„“”‟«»〝〞＂"
_SINGLE_QUOTES = "‚‘’‛‹›＇´"
_SPACES = "\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000"
_INVISIBLE = "\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u061c"
_CONTROLS = "\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f"
_COMBINING = "\u0300-\u036f"

_CHAR_PATTERN = re.compile(
    rf"(?P<lig>[{''.join(_LIGATURES)}])"
    rf"|(?P<dq>[{_DOUBLE_QUOTES}])"
    rf"|(?P<sq>[{_SINGLE_QUOTES}])"
    rf"|(?P<space>[{_SPACES}])"
    rf"|(?P<drop>[{_INVISIBLE}{_CONTROLS}]|\u00ad(?![ \t]*[\r\n]))"
    r"|(?P<line>[\x85\u2028])"
    r"|(?P<para>\u2029)"
    rf"|(?P<accent>.[{_COMBINING}]+)",
    re.DOTALL,
)

_CHAR_FIXED = {"dq": '"', "sq": "'", "space": " ", "drop": "", "line": "\n", "para": "\n\n"}


def _char_replacement(match: re.Match[str]) -> str | None:
    group = match.lastgroup
    assert group is not None  # every alternative is a named group
    if group == "lig":
        return _LIGATURES[match.group()]
    if group == "accent":
        composed = unicodedata.normalize("NFC", match.group())
        return composed if len(composed) < len(match.group()) else None
    return _CHAR_FIXED[group]


# -- pass 2: structure --------------------------------------------------------

_NEWLINE = r"(?:\r\n|[\r\n\f\v])"
_STRUCTURE_PATTERN = re.compile(
    rf"(?P<hyphen>[-\u00ad])?(?P<breaks>(?:[ \t]*{_NEWLINE})+)[ \t]*"
    r"|(?P<blanks>[ \t]+)"
)

# Words after which a line-end hyphen is a suspended hyphen ("Wissens- und Erfahrungsaustausch").
SUSPENSION_WORDS = frozenset(
    "und oder bzw bzw. sowie bis beziehungsweise noch wie als auch and or nor to".split()
)
_WORD_BEFORE = re.compile(r"[\w-]*\w$")
_WORD_AFTER = re.compile(r"\w+")
_WORDS = re.compile(r"\w+(?:-\w+)*")


def _structure_replacement(text: str) -> Replacement:
    """Return the replacement function for pass 2 over `text`."""
    evidence = _Evidence(text)
    end = len(text)

    def replace(match: re.Match[str]) -> str | None:
        start, stop = match.span()
        at_edge = start == 0 or stop == end
        if match.group("blanks") is not None:
            if at_edge:
                return ""
            return None if match.group() == " " else " "
        hyphen = match.group("hyphen")
        breaks = match.group("breaks")
        paragraph = len(re.findall(_NEWLINE, breaks)) > 1 or "\f" in breaks or "\v" in breaks
        if hyphen is None:
            return "" if at_edge else ("\n\n" if paragraph else " ")
        keep = "" if hyphen == "\u00ad" else hyphen
        if paragraph or at_edge or not text[start - 1].isalnum():
            return keep + ("" if at_edge else "\n\n" if paragraph else " ")
        if hyphen == "\u00ad":
            return ""
        return _line_end_hyphen(text, start, stop, evidence)

    return replace


# -- hyphenation at a line end ---------------------------------------------------


class _Evidence:
    """What a document says about its own words, computed on first use."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._words: Counter[str] | None = None

    def count(self, word: str) -> int:
        """Return how often `word` occurs in the document whole (never split at a line end)."""
        if self._words is None:
            self._words = Counter(w.casefold() for w in _WORDS.findall(self._text))
        return self._words[word.casefold()]


def _line_end_hyphen(text: str, start: int, stop: int, evidence: _Evidence) -> str:
    """Decide what a hyphen at a line end becomes: "" (joined), "-" (compound) or "- " (suspended).

    The evidence, strongest first: a conjunction after it makes a suspended
    hyphen ("Wissens- und"); then the document's own spelling of the word,
    joined or hyphenated, wherever it is not split at a line end; then a
    capital or digit after it, or a hyphen earlier in the word, makes a
    compound ("E-Mail", "state-of-the-art"); otherwise the word is joined.
    Dictionaries were measured and left out (bench/README.md): English
    patterns and word lists (pyphen, simplemma) decide 7 more words in 1650
    right but take 1.7 s to load, and German compounds are too open for them.
    """
    before = _WORD_BEFORE.search(text, max(0, start - 80), start)
    after = _WORD_AFTER.match(text, stop)
    if before is None or after is None:
        return "- "
    left, right = before.group(), after.group()
    if right.lower() in SUSPENSION_WORDS or right in {"u", "o"}:
        return "- "
    joined, hyphenated = evidence.count(left + right), evidence.count(f"{left}-{right}")
    if joined or hyphenated:
        return "" if joined >= hyphenated else "-"
    if right[0].isupper() or right[0].isdigit() or left[-1].isdigit() or "-" in left:
        return "-"
    return ""
