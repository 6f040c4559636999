"""Compare two versions of a document and report their discrepancies, classified.

`align` finds where the normalized texts differ; this module says what each
difference is (the vocabulary of the JSON report) and where it sits in each
original file. Alignment runs on the layout-normalized text, never on the
fingerprint form, which would hide changed endings and figures.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from typing import Any

import orjson

from dedup import align, classify, lexicon
from dedup.align import Hunk, Side
from dedup.normalize import Normalized, line_starts, locate, normalize

CONTEXT_WORDS = 6
MAX_USAGES = 20
SAME_DATE = "same date in another form"
SAME_NUMBER = "same number in another form"
_BLANKS = re.compile(r"\s+")


class Category(StrEnum):
    """What a discrepancy is about (the JSON vocabulary)."""

    NAME = "name"
    INFLECTION = "inflection"
    NUMBER = "number"
    DATE = "date"
    WORD = "word"
    SENTENCE = "sentence"
    HEADER = "header"
    FOOTER = "footer"
    PUNCTUATION = "punctuation"
    CASE = "case"


MINOR = frozenset({Category.PUNCTUATION, Category.CASE})
MISREAD = "likely misread by OCR"
# Misreadings in one comparison that make it look scanned: then each is minor, and so is what OCR is likelier
# to misread in a scan (`classify.misread`, scanned), and its garbage that is no word (`classify.garbled`). One
# alone stays major: in a copy that was not scanned, "Mutter" -> "Mütter" or "Hund" -> "Bund" is an edit. Garbage
# counts, but one more is needed with it: two typing errors fixed ("Versammlugn" -> "Versammlung") are no scan.
# (The differ's accuracy corpus, not scanned, has at most one misreading in a pair; its copy read by OCR, up to 12.)
MISREADS = 2
_WHOLE = frozenset({Category.SENTENCE, Category.HEADER, Category.FOOTER, Category.PUNCTUATION, Category.CASE})


@dataclass(frozen=True)
class Position:
    """Where a discrepancy sits in one original file (1-based line and column)."""

    path: str
    line: int
    column: int


@dataclass(frozen=True)
class Discrepancy:
    """One place where two versions say different things."""

    category: Category
    kind: str  # added | removed | changed | moved
    severity: str  # major | minor
    a_text: str
    b_text: str
    a: Position
    b: Position
    a_context: tuple[str, str]
    b_context: tuple[str, str]
    note: str = ""

    @property
    def context(self) -> str:
        """The changed text with some words on each side, from the side that has it."""
        return context(self.a_text, self.b_text, self.a_context, self.b_context)


def context(a_text: str, b_text: str, a_context: Sequence[str], b_context: Sequence[str]) -> str:
    """Return the changed text with the words around it, from side a when it has text, else side b."""
    before, after = a_context if a_text else b_context
    return (before + (a_text or b_text) + after).strip()


@dataclass(frozen=True)
class Comparison:
    """The discrepancies of version `b` against reference `a`, and their similarity."""

    a: str
    b: str
    similarity: float
    discrepancies: tuple[Discrepancy, ...]


@dataclass(frozen=True)
class Version:
    """One side of a comparison: a document's path, raw text and normalized form."""

    path: str
    raw: str
    normalized: Normalized

    @classmethod
    def of(cls, path: str, raw: str) -> Version:
        return cls(path, raw, normalize(raw))

    @cached_property
    def side(self) -> align.Side:
        """The normalized text's tokens, made once however many members a reference is compared with."""
        return align.side(self.normalized.text)

    @cached_property
    def function_words(self) -> tuple[int, int]:
        """How many German and English function words open the text (`classify.function_words`), counted once."""
        return classify.function_words(self.normalized.text)

    @cached_property
    def _line_starts(self) -> list[int]:
        return line_starts(self.raw)

    def locate(self, offset: int) -> tuple[int, int]:
        """Return the 1-based line and column of character `offset` of the raw text (`normalize.locate`).

        The lines are found once, not again for each discrepancy.
        """
        return locate(self.raw, offset, self._line_starts)


def compare(a: Version, b: Version) -> list[Discrepancy]:
    """Return the discrepancies of version `b` against the reference `a`."""
    sa, sb = a.side, b.side
    found, moves = align.hunks(sa, sb)
    lang = classify.language(a.function_words, b.function_words)
    found = [part for h in found for part in _apart_from_date(h, sa, sb)]
    classified = [(h, *_category(h, sa, sb, a, b, lang)) for h in found]
    words = [i for i, (h, category, note) in enumerate(classified) if not note and category not in _WHOLE]
    alike = {i for i in words if _misread(classified[i][0], sa, sb)}
    garbage = {i for i in words if i not in alike and _garbled(classified[i][0], sa, sb, lang)}
    if len(alike) >= MISREADS or len(alike) + len(garbage) > MISREADS:  # a scanned copy: its misreadings
        for i in words:  # are noise beside what changed, and so is its garbage but in a name
            h, category, _ = classified[i]
            if i in alike or (i in garbage and category is not Category.NAME) or _misread(h, sa, sb, scanned=True):
                classified[i] = (h, category, MISREAD)
    out = [_discrepancy(h, category, note, sa, sb, a, b) for h, category, note in classified]
    for move in moves:
        h = Hunk(move.removed.a0, move.removed.a1, move.added.b0, move.added.b1)
        category = Category.SENTENCE if sa.count_words(h.a0, h.a1) >= 3 else Category.WORD
        out.append(_discrepancy(h, category, "", sa, sb, a, b, kind="moved"))
    return sorted(out, key=lambda d: (d.a.line, d.a.column, d.b.line, d.b.column))


def _category(h: Hunk, sa: Side, sb: Side, a: Version, b: Version, lang: str) -> tuple[Category, str]:
    """Return the category of a hunk and a note, checking the most specific categories first."""
    words_a = [sa.words[i] for i in range(h.a0, h.a1) if sa.is_word(i) or sa.words[i] in _SIGNS]
    words_b = [sb.words[i] for i in range(h.b0, h.b1) if sb.is_word(i) or sb.words[i] in _SIGNS]
    plain_a, plain_b = _plain(words_a), _plain(words_b)
    if _read_alike(plain_a, plain_b):  # written otherwise: "pm" -> "p.m.", "USA" -> "U.S.A.", "&" -> "and"
        return Category.PUNCTUATION, ""
    if [w.casefold() for w in plain_a] == [w.casefold() for w in plain_b]:
        if [w.lower() for w in words_a] != [w.lower() for w in words_b] and _is_name(h, sa, sb, lang):
            return Category.NAME, ""  # "Kessler" -> "Keßler": another name, where "Strasse" is a spelling
        return Category.CASE, ""  # a headline in capitals too, which the aligner took for a rewritten sentence
    if h.sentence:
        return Category.SENTENCE, ""
    edge = _edge(h, sa, sb, a, b)
    if edge is not None:
        return edge, ""
    if (h.a0 == h.a1 or h.b0 == h.b1) and _whole_sentences(*((sa, h.a0, h.a1) if h.a0 < h.a1 else (sb, h.b0, h.b1))):
        return Category.SENTENCE, ""  # whatever dates or names it holds
    dates_a, dates_b = _dates_touching(sa, h.a0, h.a1), _dates_touching(sb, h.b0, h.b1)
    if dates_a and not dates_b:
        dates_b = _dates_touching(sb, h.b0, h.b1, beside=True)
    elif dates_b and not dates_a:
        dates_a = _dates_touching(sa, h.a0, h.a1, beside=True)
    if dates_a or dates_b:
        same = dates_a and dates_a == dates_b and None not in dates_a
        besides = _besides_dates(sa, h.a0, h.a1), _besides_dates(sb, h.b0, h.b1)
        if not same or besides[0] == besides[1]:
            return Category.DATE, SAME_DATE if same else ""
        words_a, words_b = besides  # the same date in another form, and next to it what changed ("12" -> "13")
    both = words_a + words_b
    if (any(map(classify.has_digit, both))
            or all(any(classify.is_figure(w, lang) for w in words) for words in (words_a, words_b))  # "elf" -> "zwölf"
            or (both and all(classify.is_unit(w, lang) for w in both)  # "Prozent" -> "%", "pm" -> "am", "12 %" -> "12"
                and ((words_a and words_b) or _after_figure(sa, h.a0, lang) or _after_figure(sb, h.b0, lang)))):
        return Category.NUMBER, SAME_NUMBER if classify.same_figures(words_a, words_b, lang) else ""
    if len(words_a) == len(words_b) == 1 and classify.is_inflection(words_a[0], words_b[0], lang) and (
            _genitive(words_a[0], words_b[0]) or not _surname(sa, h.a0)):
        return Category.INFLECTION, ""  # a surname takes no other ending: "Thomas Lang" -> "Thomas Lange"
    if _is_name(h, sa, sb, lang):
        return Category.NAME, ""
    return Category.WORD, ""


def _after_figure(s: Side, i: int, lang: str) -> bool:
    """Whether token `i` comes after a figure, and maybe units of it ("6,4 Millionen Euro"): a unit or "pm" dropped
    there is a number changed; "Franken" alone is a region, "am" a verb."""
    while i > 0 and classify.is_unit(s.words[i - 1], lang):
        i -= 1
    return i > 0 and classify.has_digit(s.words[i - 1])


def _surname(s: Side, i: int) -> bool:
    """Whether word `i` stands after a first name or a title ("Thomas Lang", "Dr. Lang")."""
    before = [s.words[j] for j in range(max(0, i - 2), i) if s.words[j] != "."]
    return bool(before) and (before[-1].lower() in lexicon.FIRST_NAMES or before[-1].lower() in lexicon.TITLES)


def _genitive(a: str, b: str) -> bool:
    """Whether one word is the other with a genitive's "s" or "'s" ("Darmstadts", "Holloway's")."""
    short, long = sorted((a, b), key=len)
    return long[len(short):] in ("s", "'s", "’s") and long.startswith(short)


def _misread(h: Hunk, sa: Side, sb: Side, scanned: bool = False) -> bool:
    """Whether the hunk's words could be OCR's misreading of the other side's (`classify.misread`)."""
    return classify.misread(*_words(h, sa, sb), scanned)


def _garbled(h: Hunk, sa: Side, sb: Side, lang: str) -> bool:
    """Whether the hunk's words could be OCR's garbage of the other side's (`classify.garbled`)."""
    return classify.garbled(*_words(h, sa, sb), lang)


def _words(h: Hunk, sa: Side, sb: Side) -> tuple[list[str], list[str]]:
    return ([sa.words[i] for i in range(h.a0, h.a1) if sa.is_word(i)],
            [sb.words[i] for i in range(h.b0, h.b1) if sb.is_word(i)])


_SIGNS = classify.UNIT_SIGNS | {"&"}  # signs that stand for words
_LOW_HIGH = re.compile(r"(?<=[^\W\d_])[⁰¹²³⁴⁵⁶⁷⁸⁹₀₁₂₃₄₅₆₇₈₉]+")  # after a letter: "CO₂", "m²", not "10⁶"
_FIGURES = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹₀₁₂₃₄₅₆₇₈₉", "0123456789" * 2)
_AND = ({"&", "und"}, {"&", "and"})  # in either language: "Black & Decker" is "Black and Decker" in a German text


def _plain(words: list[str]) -> list[str]:
    """Return the words as they read: figures set low or high as any ("CO₂" is "CO2", "m²" "m2"), and without the
    points inside them, figures kept whole ("1.500" is not "1500")."""
    words = [_LOW_HIGH.sub(lambda m: m[0].translate(_FIGURES), w) for w in words]
    return [w if classify.has_digit(w) else w.replace(".", "") for w in words]


def _read_alike(a: list[str], b: list[str]) -> bool:
    """Whether two runs of plain words read the same, "&" for "and" or "und"."""
    return len(a) == len(b) and all(x == y or {x.casefold(), y.casefold()} in _AND for x, y in zip(a, b, strict=True))


def _apart_from_date(h: Hunk, sa: Side, sb: Side) -> list[Hunk]:
    """Split a date off what changed next to it, when the two are one hunk.

    "April 14, 2025, 12 people" -> "(2025-04-14), 13 people" is one hunk (the
    comma between joins them): it is a minor "same date in another form" and
    a number changed, "12" -> "13", each with its own text and place. So is
    another date next to another number.
    """
    if h.sentence or not (_has_digit(sa, h.a0, h.a1) and _has_digit(sb, h.b0, h.b1)):  # a date has a value by them
        return [h]
    found, besides = [], []
    for s, lo, hi in ((sa, h.a0, h.a1), (sb, h.b0, h.b1)):
        dates = [(d0, d1, parsed) for d0, d1, parsed in s.dates_near(lo, hi) if d0 < hi and d1 >= lo]
        if len(dates) != 1 or dates[0][2] is None:
            return [h]
        found.append(dates[0])
        besides.append([s.words[i] for i in range(lo, hi) if s.is_word(i) and not dates[0][0] <= i <= dates[0][1]])
    (a_first, a_last, _), (b_first, b_last, _) = found
    if besides[0] == besides[1]:
        return [h]  # nothing changed besides the date
    if _marks(sa, h.a0, a_first) and _marks(sb, h.b0, b_first):  # the date first: cut after it and its marks
        cut_a, cut_b = _past_marks(sa, a_last + 1, h.a1), _past_marks(sb, b_last + 1, h.b1)
        if (cut_a, cut_b) != (h.a1, h.b1):
            return [Hunk(h.a0, cut_a, h.b0, cut_b), Hunk(cut_a, h.a1, cut_b, h.b1)]
    if _marks(sa, a_last + 1, h.a1) and _marks(sb, b_last + 1, h.b1):  # the date last: cut before it
        cut_a, cut_b = _before_marks(sa, h.a0, a_first), _before_marks(sb, h.b0, b_first)
        if (cut_a, cut_b) != (h.a0, h.b0):
            return [Hunk(h.a0, cut_a, h.b0, cut_b), Hunk(cut_a, h.a1, cut_b, h.b1)]
    return [h]


def _has_digit(s: Side, lo: int, hi: int) -> bool:
    return any(classify.has_digit(s.words[i]) for i in range(lo, hi))


def _marks(s: Side, lo: int, hi: int) -> bool:
    """Whether tokens [lo, hi) hold no word (none at all is none)."""
    return not any(s.is_word(i) for i in range(lo, hi))


def _past_marks(s: Side, i: int, hi: int) -> int:
    while i < hi and not s.is_word(i):
        i += 1
    return min(i, hi)


def _before_marks(s: Side, lo: int, i: int) -> int:
    while i > lo and not s.is_word(i - 1):
        i -= 1
    return max(i, lo)


def _whole_sentences(s: Side, lo: int, hi: int) -> bool:
    """Return whether tokens [lo, hi) are one or more whole sentences (give or take a boundary mark)."""
    words = s.count_words(lo, hi)
    if words < 3:
        return False
    starts = lo in s.sentences or (lo > 0 and s.words[lo - 1] in {".", "!", "?"})
    ends = hi in s.sentences or s.words[hi - 1] in {".", "!", "?"}
    return (starts and ends) or (words >= 6 and (starts or ends) and any(w in {".", "!", "?"} for w in s.words[lo:hi]))


def _edge(h: Hunk, sa: Side, sb: Side, a: Version, b: Version) -> Category | None:
    """Return HEADER or FOOTER for whole lines that only stand before or after all shared text."""
    at_start = h.a0 == 0 and h.b0 == 0
    at_end = h.a1 == len(sa) and h.b1 == len(sb)
    if not (at_start or at_end):
        return None
    for s, lo, hi, version in ((sa, h.a0, h.a1, a), (sb, h.b0, h.b1, b)):
        if lo < hi and not _whole_lines(version, s.starts[lo], s.ends[hi - 1]):
            return None
    return Category.HEADER if at_start else Category.FOOTER


def _whole_lines(version: Version, start: int, end: int) -> bool:
    raw = version.raw
    r0 = version.normalized.raw_offset(start)
    r1 = version.normalized.raw_offset(end - 1) + 1
    before = raw[raw.rfind("\n", 0, r0) + 1 : r0]
    nl = raw.find("\n", r1)
    after = raw[r1 : nl if nl >= 0 else len(raw)]
    return not before.strip() and not after.strip()


def _dates_touching(s: Side, lo: int, hi: int, beside: bool = False) -> set[tuple[int, ...] | None]:
    """Return the (parsed) dates that overlap tokens [lo, hi), or touch the insertion point lo.

    With `beside`, those next to tokens that hold no word: "- July 31, 2025 -" -> "Thursday, July 31,
    2025" swaps a mark for a weekday that fits, the same date in another form.
    """
    if beside and any(s.is_word(i) for i in range(lo, hi)):
        return set()
    first, last = (lo - 1, hi) if beside else (lo - 1, lo) if lo == hi else (lo, hi - 1)
    return {parsed for d0, d1, parsed in s.dates_near(first, last + 1) if d0 <= last and d1 >= first}


def _besides_dates(s: Side, lo: int, hi: int) -> list[str]:
    """Return the words of tokens [lo, hi) that are in no date (a hunk joined across a date may hold others)."""
    dates = s.dates_near(lo, hi) if lo < hi else []
    return [s.words[i] for i in range(lo, hi) if s.is_word(i) and not any(d0 <= i <= d1 for d0, d1, _ in dates)]


def _is_name(h: Hunk, sa: Side, sb: Side, lang: str) -> bool:
    """Return whether the changed words are a proper name (and nothing else but titles and capitals).

    One capitalised word put in place of another stands where the other stood:
    the evidence of both counts, so "Oracle" for "Debian" at a sentence start is
    a name when "Debian" is one elsewhere.
    """
    words_a = [(sa, i) for i in range(h.a0, h.a1) if sa.is_word(i)]
    words_b = [(sb, i) for i in range(h.b0, h.b1) if sb.is_word(i)]
    # A personal pronoun put for a name, or a name for one: the name is what changed ("sagte Kemmler" -> "sagte
    # sie" loses the speaker).
    if words_a and _lone_pronoun(words_b):
        words_b = []
    elif words_b and _lone_pronoun(words_a):
        words_a = []
    changed = words_a + words_b
    if not changed or len(changed) > 8:
        return False
    scores = []
    for s, i in changed:
        word = s.words[i]
        if not (word[0].isupper() or word.lower().rstrip(".") in lexicon.TITLES):
            return False
        usages = [  # a few uses tell enough
            (_at(other, j - 1), word, _at(other, j + 1))
            for other in (sa, sb)
            for j in other.places.get(word, ())[:MAX_USAGES]
            if not (other is s and j == i)
        ]
        scores.append(classify.name_score(s.words, i, lang, usages))
    swapped = len(scores) == 2 and h.a1 - h.a0 == h.b1 - h.b0 == 1
    return max(scores) >= 2.0 or (swapped and sum(scores) >= 1.5)


def _lone_pronoun(words: list[tuple[Side, int]]) -> bool:
    """Whether the words of one side (each as its side and index) are one personal pronoun."""
    if len(words) != 1:
        return False
    s, i = words[0]
    return s.words[i].lower() in lexicon.PERSONAL_PRONOUNS


def _at(s: Side, j: int) -> str | None:
    return s.words[j] if 0 <= j < len(s.words) else None


def _discrepancy(
    h: Hunk, category: Category, note: str, sa: Side, sb: Side, a: Version, b: Version, kind: str = ""
) -> Discrepancy:
    kind = kind or ("added" if h.a0 == h.a1 else "removed" if h.b0 == h.b1 else "changed")
    minor = category in MINOR or note in (SAME_DATE, SAME_NUMBER, MISREAD)
    return Discrepancy(
        category=category,
        kind=kind,
        severity="minor" if minor else "major",
        a_text=sa.span(h.a0, h.a1),
        b_text=sb.span(h.b0, h.b1),
        a=_position(sa, h.a0, a),
        b=_position(sb, h.b0, b),
        a_context=_context(sa, h.a0, h.a1),
        b_context=_context(sb, h.b0, h.b1),
        note=note,
    )


def _context(s: Side, lo: int, hi: int) -> tuple[str, str]:
    """Return the text of some words before and after tokens [lo, hi), spacing kept, on one line."""
    if not len(s):
        return "", ""
    at = s.starts[lo] if lo < len(s) else len(s.text)
    until = s.ends[hi - 1] if hi > lo else at
    start = s.starts[max(0, lo - CONTEXT_WORDS)] if lo > 0 else at
    end = s.ends[min(len(s), hi + CONTEXT_WORDS) - 1] if hi < len(s) else until
    return _one_line(s.text[start:at]), _one_line(s.text[until:end])


def _one_line(text: str) -> str:
    return _BLANKS.sub(" ", text)


def _position(s: Side, index: int, version: Version) -> Position:
    if not len(s):
        return Position(version.path, 1, 1)
    offset = s.starts[index] if index < len(s) else s.ends[-1]
    line, column = version.locate(version.normalized.raw_offset(offset))
    return Position(version.path, line, column)


# -- discrepancies as compact JSON: what a worker sends back, what the index caches ----------------


def pack(found: Iterable[Discrepancy]) -> str:
    """Return discrepancies as compact JSON, a list of fields each, without paths (the report adds them)."""
    return json.dumps([[d.category.value, d.kind, d.severity, d.a_text, d.b_text, d.a.line, d.a.column,
                        d.b.line, d.b.column, *d.a_context, *d.b_context, d.note] for d in found],
                      ensure_ascii=True, separators=(",", ":"))


def not_compared(reason: str) -> str:
    """Return the packed form of a member that was not compared: a JSON string saying why, in place of the list."""
    return json.dumps(reason, ensure_ascii=True)


def not_compared_reason(text: str) -> str | None:
    """Return why a packed member was not compared (`not_compared`), or None when `text` holds its discrepancies."""
    return json.loads(text) if text.startswith('"') else None


def packed_fields(text: str) -> list[list[Any]]:
    """Return the fields of each discrepancy `pack` wrote."""
    try:
        return orjson.loads(text)  # type: ignore[no-any-return]  # three times the json module's speed
    except orjson.JSONDecodeError:  # an escaped lone surrogate, which orjson refuses
        return json.loads(text)  # type: ignore[no-any-return]


def unpack(fields: Sequence[Any], a_path: str, b_path: str) -> Discrepancy:
    """Return the discrepancy of one item of `packed_fields`, between the files at `a_path` and `b_path`."""
    c, kind, severity, a_text, b_text, al, ac, bl, bc, a0, a1, b0, b1, note = fields
    return Discrepancy(Category(c), kind, severity, a_text, b_text, Position(a_path, al, ac),
                       Position(b_path, bl, bc), (a0, a1), (b0, b1), note)
