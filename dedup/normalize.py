"""Strip layout artifacts from raw text, keeping a map back to the raw text's positions.

Four passes, each a set of edits (its matches are the artifacts; text between
them is copied as it is) with its own offset map:

1. characters: ligatures, typographic quotes, exotic spaces, zero-width,
   bidi and control characters, soft hyphens, decomposed accents;
2. page furniture: running headers and footers, page numbers, footnote
   markers, dot leaders, bullets, broken URLs (`dedup.furniture`);
3. structure: hard line breaks inside paragraphs joined, end-of-line
   hyphenation joined (suspended hyphens such as "Wissens- und" and real
   compounds such as "E-Mail" kept), paragraphs separated by one blank line,
   runs of blanks collapsed;
4. blanks at the start and the end dropped.

The result never loses a letter or digit but page furniture (listed in
`artifacts`), and normalizing it again changes nothing. `words_text` gives
the same words for fingerprints, skipping the passes where they cannot
change one.
"""

from __future__ import annotations

import re
import unicodedata
from array import array
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from dedup import furniture

VERSION = 3
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
    src_length: int

    def source(self, index: int) -> int:
        """Return the source position of output position `index`."""
        k = bisect_right(self.out_starts, index) - 1
        if k < 0:
            return 0
        base = self.src_starts[k]
        return base + (index - self.out_starts[k]) if self.copied[k] else base

    def source_end(self, index: int) -> int:
        """Return the source position just after what produced output positions before `index`."""
        if index <= 0:
            return 0
        k = bisect_right(self.out_starts, index - 1) - 1
        if self.copied[k]:
            return self.src_starts[k] + (index - self.out_starts[k])
        return self.src_starts[k + 1] if k + 1 < len(self.src_starts) else self.src_length


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
    text1, map1 = _characters(raw)
    edits = furniture.find(text1)  # the furniture pass: headers, footers, page numbers out
    paged, map_paged = _apply(text1, ((e.start, e.end, e.new) for e in edits))
    unbroken = _LONE_NEWLINE.sub(" ", paged)  # the same length: the map of pass 3 stays right
    text2, map2 = _rewrite(unbroken, _STRUCTURE_PATTERN.finditer(unbroken), _structure_replacement(unbroken))
    text3, map3 = _apply(text2, _edges(text2))
    return Normalized(text3, (map1, map_paged, map2, map3), _artifacts(edits, map1))


def normalize_text(raw: str) -> str:
    """Return only the clean text of `normalize(raw)`."""
    return normalize(raw).text


def words_text(raw: str) -> str:
    """Return a text with the words (`\\w+` runs) of `normalize(raw).text`, cheaply when it can.

    Fingerprints need only the words. Most texts have nothing a pass would
    rewrite inside or between words but quote glyphs and line-end hyphens:
    then the passes change only blanks and quotes, and of the structure pass
    only the hyphens it joins matter, which are decided as it decides them.
    """
    if (
        _WORDS_CHAR_PATTERN.search(raw) is not None
        or furniture.might_have_artifacts(raw)
    ):
        return normalize(raw).text
    evidence = _Evidence(raw)
    joins = [
        (match.start(), match.end(), "")
        for match in _LINE_END_HYPHEN.finditer(raw)
        if _hyphen_break(raw, *match.span(), "-", match.group("breaks"), evidence) == ""
    ]
    return _apply(raw, joins)[0] if joins else raw


_LINE_BREAK = re.compile(r"\r\n?|\n")  # as an editor counts lines: CRLF, LF, and CR alone (old Mac files)


def line_starts(raw: str) -> list[int]:
    """Return where each line of `raw` but the first begins."""
    return [m.end() for m in _LINE_BREAK.finditer(raw)]


def locate(raw: str, offset: int, starts: list[int] | None = None) -> tuple[int, int]:
    """Return the 1-based line and column of character `offset` in `raw` (`starts`: its `line_starts`, if known)."""
    offset = max(0, min(offset, len(raw)))
    if starts is None:
        starts = line_starts(raw)
    line = bisect_right(starts, offset)
    return line + 1, offset - (starts[line - 1] if line else 0) + 1


Replacement = Callable[[re.Match[str]], "str | None"]


def _rewrite(text: str, matches: Iterable[re.Match[str]], replace: Replacement) -> tuple[str, OffsetMap]:
    """Replace each of the `matches` in `text` by what `replace` makes of it (None: keep it)."""
    edits = (
        (match.start(), match.end(), new)
        for match in matches
        if (new := replace(match)) is not None and new != match.group()
    )
    return _apply(text, edits)


def _apply(text: str, edits: Iterable[tuple[int, int, str]]) -> tuple[str, OffsetMap]:
    """Apply sorted, non-overlapping (start, end, new) edits to `text`, keeping the map back to it."""
    pieces: list[str] = []
    out_starts = array("q")
    src_starts = array("q")
    copied = bytearray()
    out = last = 0
    for start, end, new in edits:
        for piece, src, is_copy in ((text[last:start], last, 1), (new, start, 0)):
            if piece:
                pieces.append(piece)
                out_starts.append(out)
                src_starts.append(src)
                copied.append(is_copy)
                out += len(piece)
        last = end
    if last < len(text) or not pieces:
        pieces.append(text[last:])
        out_starts.append(out)
        src_starts.append(last)
        copied.append(1)
    return "".join(pieces), OffsetMap(out_starts, src_starts, bytes(copied), len(text))


def _artifacts(edits: tuple[furniture.Edit, ...], to_raw: OffsetMap) -> tuple[furniture.Edit, ...]:
    """Return the edits with their spans moved back to the raw text."""
    return tuple(
        furniture.Edit(to_raw.source(e.start), to_raw.source_end(e.end) if e.end > e.start else
                       to_raw.source(e.start), e.new, e.reason)
        for e in edits
    )


# -- pass 1: characters -------------------------------------------------------

_LIGATURES = {"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st"}
_DOUBLE_QUOTES = "„“”‟«»〝〞＂"
_SINGLE_QUOTES = "‚‘’‛‹›＇´"
_COMBINING = "\u0300-\u036f"

# Every character pass 1 rewrites, and what it becomes ("" drops it).
_CHAR_MAP: dict[str, str] = {
    **_LIGATURES,
    **{c: '"' for c in _DOUBLE_QUOTES},
    **{c: "'" for c in _SINGLE_QUOTES},
    **{chr(c): " " for c in (0x00A0, 0x1680, *range(0x2000, 0x200B), 0x202F, 0x205F, 0x3000)},
    **{chr(c): "" for c in (*range(0x200B, 0x2010), *range(0x202A, 0x202F), *range(0x2060, 0x2065),
                            *range(0x2066, 0x206A), 0xFEFF, 0x061C)},
    **{chr(c): "" for c in (*range(0x00, 0x09), *range(0x0E, 0x20), *range(0x7F, 0x85), *range(0x86, 0xA0))},
    "\x85": "\n",
    "\u2028": "\n",
    "\u2029": "\n\n",
    "\u00ad": "",
}
# One character class, so that the scan runs at C speed; the replacement is a lookup.
_CHAR_PATTERN = re.compile("[" + "".join(re.escape(c) for c in _CHAR_MAP) + "]")
# Composing accents needs "any character" before the marks, which makes the
# scan slow; it is used only for the rare text that has combining marks.
# Characters pass 1 drops may stand between a base and its marks ("A\\b\\u0300"); they go too,
# or the marks would compose only when the text is normalized again.
_DROPPED = "".join(re.escape(c) for c, new in _CHAR_MAP.items() if new == "")
_CHAR_PATTERN_ACCENTS = re.compile(
    f"(?P<accent>.(?:[{_DROPPED}]*[{_COMBINING}])+)|{_CHAR_PATTERN.pattern}", re.DOTALL
)
_COMBINING_MARK = re.compile(f"[{_COMBINING}]")
_CHAR_OR_MARK = re.compile(_CHAR_PATTERN.pattern[:-1] + _COMBINING + "]")
_LINE_END = re.compile(r"[ \t]*[\r\n]")
# What pass 1 rewrites that may change words, or breaks next to a hyphen: all but quote glyphs.
_WORDS_CHAR_PATTERN = re.compile(
    "["
    + "".join(re.escape(c) for c in _CHAR_MAP if c not in _DOUBLE_QUOTES + _SINGLE_QUOTES)
    + _COMBINING
    + "]"
)


class _CombiningMark(Exception):
    """Pass 1 met a combining mark: it starts again with the pattern that composes accents."""


def _characters(raw: str) -> tuple[str, OffsetMap]:
    """Pass 1: rewrite the characters of `_CHAR_MAP`, composing accents where the text has combining marks.

    One scan looks for the characters and the marks at once (a scan for marks
    first and then one for the characters cost 8 to 14 µs more a document);
    the rare text with a mark is done again with the slower pattern that
    composes them. The matches are taken one at a time, never all kept.
    """
    try:
        return _rewrite(raw, _without_marks(_CHAR_OR_MARK.finditer(raw)), _char_replacement)
    except _CombiningMark:
        return _rewrite(raw, _CHAR_PATTERN_ACCENTS.finditer(raw), _char_replacement)


def _without_marks(matches: Iterable[re.Match[str]]) -> Iterator[re.Match[str]]:
    for match in matches:
        if _COMBINING_MARK.match(match.group()):
            raise _CombiningMark
        yield match


def _char_replacement(match: re.Match[str]) -> str | None:
    char = match.group()
    if match.lastgroup == "accent":
        kept = "".join(_CHAR_MAP.get(c, c) for c in char)  # the marks' base, too, is rewritten
        composed = unicodedata.normalize("NFC", kept)
        return composed if len(composed) < len(kept) else (kept if kept != char else None)
    if char == "\u00ad":
        # A soft hyphen survives pass 1 only where it hyphenates a word at a line end.
        start = match.start()
        text = match.string
        if start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_") and _LINE_END.match(text, start + 1):
            return None
    return _CHAR_MAP[char]


# -- pass 3: structure (pass 2 is dedup.furniture) -----------------------------

_NEWLINE = r"(?:\r\n|[\r\n\f\v])"
_STRUCTURE_PATTERN = re.compile(
    # The lookahead names every character a match can start with, and that a space starts one only
    # before another blank, which spares the engine trying the alternatives at most positions (same
    # matches, 4x faster than without it, then 1.8x faster than with a lone space in it).
    r"(?=[-\u00ad\t\r\n\f\v]| [ \t\r\n\f\v])"
    rf"(?:(?P<hyphen>[-\u00ad])?(?P<breaks>(?:[ \t]*{_NEWLINE})+)[ \t]*"
    r"|(?P<blanks>[ \t]{2,}|\t))"
)

# A line break that _STRUCTURE_PATTERN matches alone, and so replaces by a space: no hyphen or blank
# before it, something other than a blank after it. Most breaks of a wrapped text are such; replaced at
# once, by one space each, they spare pass 3 a match, a call and two pieces of its map apiece. Its map is
# as good: a piece of one character replaced by one maps back as a copied one does, but at the very end
# of the text (the offset of a text that normalizes to nothing), hence the character required after it.
# The break comes first so that the engine looks for it alone (8x faster than with the lookbehind first).
_LONE_NEWLINE = re.compile(r"\n(?<![-\u00ad \t\r\n\f\v]\n)(?=[^ \t\r\n\f\v])")

# A hyphen before line breaks, matched as _STRUCTURE_PATTERN matches it.
_LINE_END_HYPHEN = re.compile(rf"-(?P<breaks>(?:[ \t]*{_NEWLINE})+)[ \t]*")

# Words after which a line-end hyphen is a suspended hyphen ("Wissens- und Erfahrungsaustausch").
SUSPENSION_WORDS = frozenset({
    "und", "oder", "bzw", "bzw.", "sowie", "bis", "beziehungsweise", "noch", "wie", "als", "auch",
    "and", "or", "nor", "to",
})
_WORD_BEFORE = re.compile(r"[\w-]*\w$")
_WORD_AFTER = re.compile(r"\w+")
_WORDS = re.compile(r"\w+(?:-\w+)*")


def _structure_replacement(text: str) -> Replacement:
    """Return the replacement function for pass 3 over `text`."""
    evidence = _Evidence(text)

    def replace(match: re.Match[str]) -> str | None:
        # Blanks at the very start and end are left to the last pass (_edges).
        start, stop = match.span()
        if match.group("blanks") is not None:
            return " "
        if match.group() == "\n":
            return " "  # the common case: a hard line break inside a paragraph
        hyphen = match.group("hyphen")
        breaks = match.group("breaks")
        if hyphen is None:
            return "\n\n" if _is_paragraph(breaks) else " "
        return _hyphen_break(text, start, stop, hyphen, breaks, evidence)

    return replace


def _is_paragraph(breaks: str) -> bool:
    return len(re.findall(_NEWLINE, breaks)) > 1 or "\f" in breaks or "\v" in breaks


def _hyphen_break(
    text: str, start: int, stop: int, hyphen: str, breaks: str, evidence: _Evidence
) -> str:
    """Return what text[start:stop], a hyphen and the line breaks after it, becomes."""
    paragraph = _is_paragraph(breaks)
    if paragraph or start == 0 or stop == len(text) or not text[start - 1].isalnum():
        return ("" if hyphen == "\u00ad" else hyphen) + ("\n\n" if paragraph else " ")
    if hyphen == "\u00ad":
        return ""
    return _line_end_hyphen(text, start, stop, evidence)


def _edges(text: str) -> list[tuple[int, int, str]]:
    """Return the edits that drop the blanks at the start and the end of `text` (pass 4)."""
    start, end = len(text) - len(text.lstrip()), len(text.rstrip())
    if end <= start:
        return [(0, len(text), "")] if text else []
    return [(a, b, "") for a, b in ((0, start), (end, len(text))) if b > a]


# -- hyphenation at a line end ---------------------------------------------------


class _Evidence:
    """What a document says about its own words, computed on first use."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._folded: str | None = None
        self._words: Counter[str] | None = None
        self._spent = 0  # what the searches cost so far, in characters of counting every word

    def count(self, word: str) -> int:
        """Return how often `word` occurs in the document whole (never split at a line end).

        A whole word is a run of `_WORDS`, compared case-folded. Folding keeps
        the runs of a text that has none of `_FOLD_SPLITS`: then the word's
        places in the folded text are found, which costs a few microseconds
        where counting every word of a 2 KB text cost about 90. The searches
        give way to that count once they have cost as much, so that a long
        text with many line-end hyphens costs at most about twice the count.
        """
        if self._folded is None:
            self._folded = "" if _FOLD_SPLITS.search(self._text) else self._text.casefold()
        if not self._folded or self._spent >= len(self._text):
            if self._words is None:
                self._words = Counter(map(str.casefold, _WORDS.findall(self._text)))
            return self._words[word.casefold()]
        target = word.casefold()
        if _WORDS.fullmatch(target) is None:  # "a--b" is never one run
            return 0
        # Measured on 880 KB: counting every word 87 ns a character, a search 0.55 ns a character of the
        # text (1/160) and about 600 ns a place found (7 characters' worth).
        text, found, places = self._folded, 0, 0
        self._spent += len(text) // 128
        at = text.find(target)
        while at >= 0:
            places += 1
            if self._spent + 8 * places > len(self._text):  # "a" in "aaaa…": counting is cheaper now
                self._spent = len(self._text)
                return self.count(word)
            found += not _run_goes_on(text, at - 1, -1) and not _run_goes_on(text, at + len(target), 1)
            at = text.find(target, at + 1)
        self._spent += 8 * places
        return found


def _run_goes_on(text: str, at: int, step: int) -> bool:
    """Return whether a run of `_WORDS` goes on through text[at] (step -1: leftwards, 1: rightwards)."""
    if not 0 <= at < len(text):
        return False
    if text[at] == "-":
        at += step
        return 0 <= at < len(text) and _is_word_character(text[at])
    return _is_word_character(text[at])


def _is_word_character(char: str) -> bool:
    return char.isalnum() or char == "_"  # what \w matches


# The characters whose case folding turns a word character into a non-word one or the reverse ("İ"
# folds to "i" and a combining dot), and so cuts or joins runs of _WORDS (tests/test_normalize.py
# derives them from the Unicode tables of the Python that runs it).
_FOLD_SPLITS = re.compile(
    "[\u0130\u01f0\u0345\u0390\u03b0\u1e96-\u1e99\u1f50\u1f52\u1f54\u1f56\u1fb6\u1fb7\u1fc6\u1fc7"
    "\u1fd2\u1fd3\u1fd6\u1fd7\u1fe2-\u1fe4\u1fe6\u1fe7\u1ff6\u1ff7]"
)


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
