"""Align two normalized documents word by word and report their discrepancies.

Alignment runs on the layout-normalized text (never the fingerprint form,
which would hide changed endings and figures), over tokens compared on a key
that ignores quote glyphs and hyphens, with rapidfuzz's LCS opcodes. The
differing stretches (hunks) are merged, moved passages are paired up, whole
rewritten sentences are reported once, and each discrepancy is classified.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from dedup import classify
from dedup.normalize import Normalized, locate, normalize


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
        before, after = self.a_context if self.a_text else self.b_context
        return (before + (self.a_text or self.b_text) + after).strip()


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


@dataclass(frozen=True)
class Token:
    text: str
    start: int
    end: int

    @property
    def is_word(self) -> bool:
        return self.text[0].isalnum() or self.text[0] == "_"


_TOKEN = re.compile(r"\w+(?:['.,:/]\w+)*|[^\w\s]")
_KEY_TRANS = str.maketrans({"\u2010": "-", "\u2011": "-", "\u2013": "-", "\u2014": "-", "\u00ad": ""})
_ABBREVIATIONS = frozenset(
    "prof dr mr mrs ms st nr no vgl bzw ca etc usw z b d h u a inc ltd co jr sr vs abs art".split()
)
CONTEXT_WORDS = 6


def tokenize(text: str) -> list[Token]:
    """Split normalized text into word and punctuation tokens with their positions."""
    return [Token(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def _key(token: Token) -> str:
    return token.text.translate(_KEY_TRANS)


@dataclass
class _Hunk:
    a0: int
    a1: int
    b0: int
    b1: int
    category: Category | None = None
    kind: str = ""
    note: str = ""


def compare(a: Version, b: Version) -> list[Discrepancy]:
    """Return the discrepancies between version `a` (the reference) and version `b`."""
    ta, tb = tokenize(a.normalized.text), tokenize(b.normalized.text)
    hunks = _align(ta, tb)
    hunks = [h for h in hunks if not _layout_only(ta, tb, h)]
    hunks = _slide(hunks, ta, tb, a.normalized.text, b.normalized.text)
    hunks = _merge(hunks, ta, tb, _date_tokens(ta, a.normalized.text), _date_tokens(tb, b.normalized.text))
    moved = _pair_moves(hunks, ta, tb)
    hunks = _sentences(hunks, ta, tb, a.normalized.text, b.normalized.text)
    lang = classify.language(a.normalized.text)
    out = [_classify(h, ta, tb, a, b, lang) for h in hunks]
    out.extend(_moved(m, ta, tb, a, b) for m in moved)
    return sorted(out, key=lambda d: (d.a.line, d.a.column, d.b.line, d.b.column))


def _align(ta: Sequence[Token], tb: Sequence[Token]) -> list[_Hunk]:
    from rapidfuzz.distance import Indel

    vocab: dict[str, int] = {}
    ka = [vocab.setdefault(_key(t), len(vocab)) for t in ta]
    kb = [vocab.setdefault(_key(t), len(vocab)) for t in tb]
    hunks: list[_Hunk] = []
    for op in Indel.opcodes(ka, kb):
        if op.tag == "equal":
            continue
        if hunks and hunks[-1].a1 == op.src_start and hunks[-1].b1 == op.dest_start:
            hunks[-1].a1, hunks[-1].b1 = op.src_end, op.dest_end
        else:
            hunks.append(_Hunk(op.src_start, op.src_end, op.dest_start, op.dest_end))
    return hunks


def _squash(tokens: Sequence[Token]) -> str:
    return "".join(_key(t) for t in tokens).replace("-", "")


def _layout_only(ta: Sequence[Token], tb: Sequence[Token], h: _Hunk) -> bool:
    """A hunk whose sides spell the same letters once hyphens are gone is a layout artifact."""
    return _squash(ta[h.a0 : h.a1]) == _squash(tb[h.b0 : h.b1])


def _slide(hunks: list[_Hunk], ta: Sequence[Token], tb: Sequence[Token], text_a: str, text_b: str) -> list[_Hunk]:
    """Move each pure addition or removal to where it reads best among its equivalent places.

    An inserted "x . The" can often be placed one token earlier or later with
    the same result; prefer the place where it starts a sentence and ends on
    punctuation, as a reader would cut it.
    """
    for n, h in enumerate(hunks):
        if (h.a0 == h.a1) == (h.b0 == h.b1):
            continue
        removal = h.b0 == h.b1
        tokens, text = (ta, text_a) if removal else (tb, text_b)
        lo, hi = (h.a0, h.a1) if removal else (h.b0, h.b1)
        floor = (hunks[n - 1].a1 if removal else hunks[n - 1].b1) if n else 0
        ceiling = (hunks[n + 1].a0 if removal else hunks[n + 1].b0) if n + 1 < len(hunks) else len(tokens)
        best, best_score = 0, _cut_score(tokens, lo, hi, text)
        k = -1
        while lo + k >= floor and _key(tokens[lo + k]) == _key(tokens[hi + k]):
            score = _cut_score(tokens, lo + k, hi + k, text)
            if score > best_score:
                best, best_score = k, score
            k -= 1
        k = 1
        while hi + k - 1 < ceiling and _key(tokens[lo + k - 1]) == _key(tokens[hi + k - 1]):
            score = _cut_score(tokens, lo + k, hi + k, text)
            if score > best_score:
                best, best_score = k, score
            k += 1
        h.a0, h.a1, h.b0, h.b1 = h.a0 + best, h.a1 + best, h.b0 + best, h.b1 + best
    return hunks


def _cut_score(tokens: Sequence[Token], lo: int, hi: int, text: str) -> int:
    before = tokens[lo - 1].text if lo > 0 else "."
    score = 2 if before in {".", "!", "?", ":", ";"} or "\n" in text[tokens[lo - 1].end : tokens[lo].start] else 0
    score += 1 if tokens[lo].is_word else 0
    score += 1 if tokens[hi - 1].text in {".", "!", "?"} else 0
    return score


def _date_tokens(tokens: Sequence[Token], text: str) -> list[tuple[int, int]]:
    """Return the token ranges [first, last] that dates cover."""
    from bisect import bisect_left, bisect_right

    starts = [t.start for t in tokens]
    ranges = []
    for s, e, _ in classify.date_spans(text):
        first, last = bisect_left(starts, s), bisect_right(starts, e - 1) - 1
        if first <= last:
            ranges.append((first, last))
    return ranges


def _merge(
    hunks: list[_Hunk],
    ta: Sequence[Token],
    tb: Sequence[Token],
    dates_a: list[tuple[int, int]],
    dates_b: list[tuple[int, int]],
) -> list[_Hunk]:
    """Join hunks separated by one punctuation token, or lying within one date on both sides."""
    merged: list[_Hunk] = []
    for h in hunks:
        if merged:
            last = merged[-1]
            gap_a, gap_b = h.a0 - last.a1, h.b0 - last.b1
            punctuation = gap_a == gap_b == 1 and not ta[last.a1].is_word
            if punctuation or (_within(dates_a, last.a0, h.a1) and _within(dates_b, last.b0, h.b1)):
                last.a1, last.b1 = h.a1, h.b1
                continue
        merged.append(h)
    return merged


def _within(ranges: list[tuple[int, int]], lo: int, hi: int) -> bool:
    return any(first <= lo and hi - 1 <= last for first, last in ranges)


@dataclass
class _Move:
    removed: _Hunk
    added: _Hunk


def _pair_moves(hunks: list[_Hunk], ta: Sequence[Token], tb: Sequence[Token]) -> list[_Move]:
    """Take out pairs of a pure removal and a pure addition with the same words (a moved passage)."""
    removals = {}
    for h in hunks:
        if h.b0 == h.b1 and _words(ta[h.a0 : h.a1]) >= 4:
            removals.setdefault(_squash(ta[h.a0 : h.a1]), h)
    moves = []
    for h in hunks:
        if h.a0 == h.a1 and _words(tb[h.b0 : h.b1]) >= 4:
            match = removals.pop(_squash(tb[h.b0 : h.b1]), None)
            if match is not None:
                moves.append(_Move(match, h))
    taken = {id(m.removed) for m in moves} | {id(m.added) for m in moves}
    hunks[:] = [h for h in hunks if id(h) not in taken]
    return moves


def _words(tokens: Sequence[Token]) -> int:
    return sum(1 for t in tokens if t.is_word)


def _sentence_bounds(tokens: Sequence[Token], text: str) -> list[int]:
    """Return the index of the first token of every sentence, plus len(tokens)."""
    starts = [0]
    for i in range(1, len(tokens)):
        prev = tokens[i - 1]
        if "\n" in text[prev.end : tokens[i].start]:
            starts.append(i)
        elif prev.text in {".", "!", "?"} and i >= 2:
            before = tokens[i - 2].text
            if before.lower() in _ABBREVIATIONS or before.isdigit() or len(before) == 1:
                continue
            if tokens[i].text[0].isupper() or tokens[i].text == '"':
                starts.append(i)
        elif prev.text == '"' and i >= 2 and tokens[i - 2].text in {".", "!", "?"}:
            starts.append(i)
    starts.append(len(tokens))
    return starts


def _sentence_of(bounds: list[int], index: int) -> tuple[int, int]:
    from bisect import bisect_right

    k = bisect_right(bounds, index) - 1
    k = max(0, min(k, len(bounds) - 2))
    return bounds[k], bounds[k + 1]


def _sentences(
    hunks: list[_Hunk], ta: Sequence[Token], tb: Sequence[Token], text_a: str, text_b: str
) -> list[_Hunk]:
    """Report once, as a sentence change, a run of sentences in which most words changed."""
    if not hunks:
        return hunks
    ba, bb = _sentence_bounds(ta, text_a), _sentence_bounds(tb, text_b)
    out: list[_Hunk] = []
    i = 0
    while i < len(hunks):
        h = hunks[i]
        if h.a0 == h.a1 or h.b0 == h.b1:
            out.append(h)
            i += 1
            continue
        s0, s1 = _sentence_of(ba, h.a0)
        j, changed = i, 0
        while j < len(hunks) and s0 <= hunks[j].a0 < s1:
            last = hunks[j]
            changed += _words(ta[last.a0 : last.a1])
            s1 = max(s1, _sentence_of(ba, max(last.a1 - 1, last.a0))[1])
            j += 1
        if changed >= 4 and changed * 2 >= _words(ta[s0:s1]):
            t0 = _sentence_of(bb, h.b0)[0]
            t1 = _sentence_of(bb, max(last.b1 - 1, last.b0))[1]
            out.append(_Hunk(s0, s1, min(t0, h.b0), max(t1, last.b1), Category.SENTENCE))
            i = j
        else:
            out.append(h)
            i += 1
    return out


def _classify(h: _Hunk, ta: Sequence[Token], tb: Sequence[Token], a: Version, b: Version, lang: str) -> Discrepancy:
    sa, sb = ta[h.a0 : h.a1], tb[h.b0 : h.b1]
    kind = "added" if not sa else "removed" if not sb else "changed"
    note = ""
    category = h.category
    if category is None:
        category, note = _category(h, ta, tb, a, b, lang)
    return _discrepancy(category, kind, h, ta, tb, a, b, note)


def _category(
    h: _Hunk, ta: Sequence[Token], tb: Sequence[Token], a: Version, b: Version, lang: str
) -> tuple[Category, str]:
    sa, sb = ta[h.a0 : h.a1], tb[h.b0 : h.b1]
    words_a = [t.text for t in sa if t.is_word]
    words_b = [t.text for t in sb if t.is_word]
    if words_a == words_b:
        return Category.PUNCTUATION, ""
    if [w.casefold() for w in words_a] == [w.casefold() for w in words_b]:
        return Category.CASE, ""
    edge = _edge(h, ta, tb, a, b)
    if edge is not None:
        return edge, ""
    dates = _date_change(h, ta, tb, a.normalized.text, b.normalized.text)
    if dates is not None:
        return Category.DATE, dates
    if any(classify.has_digit(w) for w in words_a + words_b):
        return Category.NUMBER, ""
    if len(words_a) == len(words_b) == 1 and classify.is_inflection(words_a[0], words_b[0], lang):
        return Category.INFLECTION, ""
    if _is_name(h, ta, tb, lang):
        return Category.NAME, ""
    if not sa or not sb:
        side, bounds_text, lo, hi = (ta, a.normalized.text, h.a0, h.a1) if sa else (tb, b.normalized.text, h.b0, h.b1)
        bounds = _sentence_bounds(side, bounds_text)
        if lo in bounds and hi in bounds and _words(side[lo:hi]) >= 3:
            return Category.SENTENCE, ""
    return Category.WORD, ""


def _edge(h: _Hunk, ta: Sequence[Token], tb: Sequence[Token], a: Version, b: Version) -> Category | None:
    """Return HEADER or FOOTER for whole lines that only stand before or after all shared text."""
    at_start = h.a0 == 0 and h.b0 == 0
    at_end = h.a1 == len(ta) and h.b1 == len(tb)
    if not (at_start or at_end):
        return None
    for tokens, lo, hi, version in ((ta, h.a0, h.a1, a), (tb, h.b0, h.b1, b)):
        if lo == hi:
            continue
        if not _whole_lines(version, tokens[lo].start, tokens[hi - 1].end):
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


def _date_change(h: _Hunk, ta: Sequence[Token], tb: Sequence[Token], text_a: str, text_b: str) -> str | None:
    """Return a note when the hunk touches a date on either side, else None."""
    found_a = _dates_touching(ta, h.a0, h.a1, text_a)
    found_b = _dates_touching(tb, h.b0, h.b1, text_b)
    if not found_a and not found_b:
        return None
    parsed_a = {d for _, _, d in found_a if d is not None}
    parsed_b = {d for _, _, d in found_b if d is not None}
    if parsed_a and parsed_a == parsed_b:
        return "same date in another form"
    return ""


def _dates_touching(
    tokens: Sequence[Token], lo: int, hi: int, text: str
) -> list[tuple[int, int, tuple[int, int, int] | None]]:
    if not tokens:
        return []
    if lo == hi:  # an insertion point: the text around it
        start = tokens[max(lo - 1, 0)].start
        end = tokens[min(lo, len(tokens) - 1)].end
    else:
        start, end = tokens[lo].start, tokens[hi - 1].end
    window_start = tokens[max(lo - 6, 0)].start
    window_end = tokens[min(hi + 5, len(tokens) - 1)].end
    spans = classify.date_spans(text[window_start:window_end])
    return [(s, e, d) for s, e, d in spans if window_start + s < end and window_start + e > start]


def _is_name(h: _Hunk, ta: Sequence[Token], tb: Sequence[Token], lang: str) -> bool:
    texts_a = [t.text for t in ta]
    texts_b = [t.text for t in tb]
    changed = [(texts_a, i) for i in range(h.a0, h.a1) if ta[i].is_word]
    changed += [(texts_b, i) for i in range(h.b0, h.b1) if tb[i].is_word]
    if not changed or len(changed) > 8:
        return False
    names = 0
    for texts, i in changed:
        word = texts[i]
        usages = [
            (_get(other, j - 1), word, _get(other, j + 1))
            for other in (texts_a, texts_b)
            for j, w in enumerate(other)
            if w == word and not (other is texts and j == i)
        ]
        if classify.name_score(texts, i, lang, usages) >= 2.0:
            names += 1
        elif word[0].isupper() or word.lower().rstrip(".") in classify.TITLES:
            continue
        else:
            return False
    return names > 0


def _get(words: Sequence[str], j: int) -> str | None:
    return words[j] if 0 <= j < len(words) else None


def _moved(m: _Move, ta: Sequence[Token], tb: Sequence[Token], a: Version, b: Version) -> Discrepancy:
    h = _Hunk(m.removed.a0, m.removed.a1, m.added.b0, m.added.b1)
    category = Category.SENTENCE if _words(ta[h.a0 : h.a1]) >= 3 else Category.WORD
    return _discrepancy(category, "moved", h, ta, tb, a, b, "")


def _discrepancy(
    category: Category,
    kind: str,
    h: _Hunk,
    ta: Sequence[Token],
    tb: Sequence[Token],
    a: Version,
    b: Version,
    note: str,
) -> Discrepancy:
    if note == "same date in another form":
        severity = "minor"
    else:
        severity = "minor" if category in MINOR else "major"
    return Discrepancy(
        category=category,
        kind=kind,
        severity=severity,
        a_text=_span_text(ta, h.a0, h.a1, a.normalized.text),
        b_text=_span_text(tb, h.b0, h.b1, b.normalized.text),
        a=_position(ta, h.a0, a),
        b=_position(tb, h.b0, b),
        a_context=_context(ta, h.a0, h.a1, a.normalized.text),
        b_context=_context(tb, h.b0, h.b1, b.normalized.text),
        note=note,
    )


def _span_text(tokens: Sequence[Token], lo: int, hi: int, text: str) -> str:
    if lo >= hi:
        return ""
    return text[tokens[lo].start : tokens[hi - 1].end]


def _context(tokens: Sequence[Token], lo: int, hi: int, text: str) -> tuple[str, str]:
    """Return the text of some words before and after tokens[lo:hi], spacing kept, on one line."""
    if not tokens:
        return "", ""
    at = tokens[lo].start if lo < len(tokens) else len(text)
    until = tokens[hi - 1].end if hi > lo else at
    start = tokens[max(0, lo - CONTEXT_WORDS)].start if lo > 0 else at
    end = tokens[min(len(tokens), hi + CONTEXT_WORDS) - 1].end if hi < len(tokens) else until
    return _one_line(text[start:at]), _one_line(text[until:end])


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def _position(tokens: Sequence[Token], index: int, version: Version) -> Position:
    if not tokens:
        return Position(version.path, 1, 1)
    offset = tokens[index].start if index < len(tokens) else tokens[-1].end
    line, column = locate(version.raw, version.normalized.raw_offset(offset))
    return Position(version.path, line, column)
