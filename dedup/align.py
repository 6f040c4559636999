"""Align two normalized texts word by word and cut the differences into hunks a reader would make.

Tokens are compared on a key that ignores hyphens and quote glyphs, with
rapidfuzz's LCS opcodes. Hunks that only differ by hyphens are layout and
dropped; the rest are slid to sentence edges, merged across one punctuation
mark or within one date, paired up when a passage moved, and collapsed into
one hunk per run of sentences that were mostly rewritten.
"""

from __future__ import annotations

import re
from array import array
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from itertools import accumulate, pairwise
from typing import Any

import numpy as np
import numpy.typing as npt

from dedup import classify
from dedup.fingerprint import code_points, plane_table, word_table

_JOINING = "'.,:/"  # a mark between two word characters joins them into one token
_TOKEN = rf"\w+(?:[{_JOINING}]\w+)*|[^\w\s]"
_SPLIT = re.compile(f"({_TOKEN})")  # the group keeps the tokens in the split
_KEY_DASHES = {"\u2010": "-", "\u2011": "-", "\u2013": "-", "\u2014": "-"}
_ABBREVIATIONS = frozenset({
    "prof", "dr", "mr", "mrs", "ms", "st", "nr", "no", "vgl", "bzw", "ca", "etc", "usw", "z", "b", "d", "h", "u", "a",
    "inc", "ltd", "co", "jr", "sr", "vs", "abs", "art",
})
_ENDS = frozenset(".!?")
LCS_CELLS = 400_000_000  # the most pairs of items one LCS may hold: 50 MB of bits, about 0.2 s
_DATE_REACH = 10  # tokens around a change searched for a date ("Dienstag, 27. August 2019" is 7)


@dataclass(frozen=True)
class Side:
    """One text, tokenized, with what the later steps look up often, computed once."""

    text: str
    starts: array[int]  # where each token starts in `text`; arrays of machine integers, not tuples of Python ints,
    ends: array[int]  # which took 36 bytes a token each: a 46 MB text's tokens took 1.6 GB instead of 0.9
    words: tuple[str, ...]  # every token's text, punctuation included
    keys: tuple[str, ...]
    sentences: tuple[int, ...]  # index of each sentence's first token, then len(words)
    words_before: array[int]  # how many word tokens (not punctuation) come before each token, then in all
    capitals: array[int]  # indexes of the tokens whose first character is upper case (str.isupper)

    @cached_property
    def places(self) -> dict[str, list[int]]:
        """Return the token indexes of each capitalised word, the only kind a name can be (built on first use)."""
        found: dict[str, list[int]] = {}
        for i in self.capitals:
            found.setdefault(self.words[i], []).append(i)
        return found

    def __len__(self) -> int:
        return len(self.words)

    def is_word(self, i: int) -> bool:
        return self.words_before[i + 1] > self.words_before[i]

    def count_words(self, lo: int, hi: int) -> int:
        return self.words_before[hi] - self.words_before[lo] if lo < hi else 0

    def span(self, lo: int, hi: int) -> str:
        return self.text[self.starts[lo] : self.ends[hi - 1]] if lo < hi else ""

    def dates_near(self, lo: int, hi: int) -> list[tuple[int, int, tuple[int, ...] | None]]:
        """Return the dates within a few words of tokens [lo, hi): token ranges [first, last] and their value.

        Dates matter only where the texts differ, so they are looked for there
        and nowhere else.
        """
        first, last = max(0, lo - _DATE_REACH), min(len(self.words), hi + _DATE_REACH) - 1
        if last < first:
            return []
        start = self.starts[first]
        found = []
        for s, e, parsed in classify.date_spans(self.text[start : self.ends[last]]):
            d0, d1 = bisect_left(self.starts, start + s), bisect_right(self.starts, start + e - 1) - 1
            if d0 <= d1:
                found.append((d0, d1, parsed))
        return found

    def sentence_of(self, i: int) -> tuple[int, int]:
        k = max(0, min(bisect_right(self.sentences, i) - 1, len(self.sentences) - 2))
        return self.sentences[k], self.sentences[k + 1]


def _is_word(token: str) -> bool:
    """A token is a word, not a punctuation mark, when it starts with a word character."""
    return token[0].isalnum() or token[0] == "_"


def side(text: str) -> Side:
    """Tokenize a normalized text.

    The tokens are those of `_TOKEN`, found with numpy over the code points
    (`_spans`): the regular expression takes about 100 ns a character. Which
    tokens are words and which start with a capital is looked up in tables
    of the BMP, by the tokens' first characters.
    """
    points = code_points(text)
    beyond_tables = int(points.max(initial=0)) > 0xFFFF
    starts, ends = _spans(text, points, beyond_tables)
    first, after = _ints(starts), _ints(ends)
    words = tuple([text[s:e] for s, e in zip(first, after, strict=True)])
    keys = words
    if any(d in text for d in _KEY_DASHES):
        # A token is a run of word characters (no dash among them) or one
        # other character, so only a lone dash token can have another key.
        keys = tuple(map(_KEY_DASHES.get, words, words))
    initials = points[starts]  # each token's first code point
    if beyond_tables:
        is_word = np.array([_is_word(w) for w in words], dtype=np.bool_)
        capitals = array("q", [i for i, w in enumerate(words) if w[0].isupper()])
    else:
        is_word = _kinds()[initials] == _WORD
        capitals = _ints(np.flatnonzero(_capitals()[initials]))
    words_before = _ints(np.concatenate(([0], np.cumsum(is_word))))
    return Side(text, first, after, words, keys, _sentence_bounds(points, words, starts, initials),
                words_before, capitals)


def _ints(values: npt.NDArray[Any]) -> array[int]:
    """Return integers as an array of int64 (indexing one gives a Python int, as a tuple's would)."""
    out = array("q")
    out.frombytes(values.astype(np.int64).tobytes())
    return out


_BLANK, _WORD, _OTHER, _JOINS = range(4)


def _spans(text: str, points: npt.NDArray[np.uint32],
           beyond_tables: bool) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Return where each token of `text` starts and ends, as `_SPLIT` cuts it.

    A token is a run of word characters and of joining marks between two of
    them ("27.08.19", "don't"), or one character that is neither a word
    character nor a blank.
    """
    if beyond_tables:  # a code point beyond the BMP: the regular expression splits the text
        offsets = list(accumulate(map(len, _SPLIT.split(text)), initial=0))  # blank, token, ..., blank
        return np.array(offsets[1:-1:2], dtype=np.intp), np.array(offsets[2:-1:2], dtype=np.intp)
    kind = _kinds()[points]
    word = kind == _WORD
    inner = np.zeros(len(word) + 2, dtype=np.bool_)  # in a word run, with a False on either side
    inner[1:-1] = word
    inner[2:-2] |= (kind[1:-1] == _JOINS) & word[:-2] & word[2:]
    single = (kind != _BLANK) & ~inner[1:-1]
    starts = np.flatnonzero((inner[1:-1] & ~inner[:-2]) | single)
    ends = np.flatnonzero((inner[1:-1] & ~inner[2:]) | single) + 1
    return starts, ends


@lru_cache(maxsize=1)
def _kinds() -> npt.NDArray[np.int8]:
    """Return the kind of each BMP code point as `re` sees it: blank (`\\s`), word (`\\w`), other, joining mark."""
    kinds = np.full(0x10000, _OTHER, dtype=np.int8)
    kinds[word_table()] = _WORD
    kinds[plane_table(r"\s")] = _BLANK
    kinds[[ord(c) for c in _JOINING]] = _JOINS
    return kinds


@lru_cache(maxsize=1)
def _capitals() -> npt.NDArray[np.bool_]:
    """Return which code points of the BMP are upper case (`str.isupper`: capital letters, and Ⓐ or Ⅷ too)."""
    return np.array([chr(c).isupper() for c in range(0x10000)], dtype=np.bool_)


def _sentence_bounds(points: npt.NDArray[np.uint32], words: Sequence[str], starts: npt.NDArray[np.intp],
                     initials: npt.NDArray[np.uint32]) -> tuple[int, ...]:
    """Return the index of each sentence's first token, then len(words).

    A sentence starts after a line break or a mark; only the tokens after
    those, found with numpy, are looked at one by one.
    """
    breaks = set(np.searchsorted(starts, np.flatnonzero(points == 10)).tolist())  # tokens after a line break
    # tokens after a lone mark: a token that starts with one is the mark alone ("27.08.19" is one token)
    lone_mark = (initials == 46) | (initials == 33) | (initials == 63) | (initials == 34)  # . ! ? "
    marks = set((np.flatnonzero(lone_mark) + 1).tolist())
    bounds = [0]
    for i in sorted(breaks | marks):
        if not 1 <= i < len(words):
            continue
        prev = words[i - 1]
        if i in breaks:
            bounds.append(i)
        elif prev in _ENDS and i >= 2:
            before = words[i - 2]
            if before.lower() in _ABBREVIATIONS or before.isdigit() or len(before) == 1:
                continue
            if words[i][0].isupper() or words[i] == '"':
                bounds.append(i)
        elif prev == '"' and i >= 2 and words[i - 2] in _ENDS:
            bounds.append(i)
    bounds.append(len(words))
    return tuple(bounds)


@dataclass
class Hunk:
    """Token ranges [a0, a1) and [b0, b1) that differ; `sentence` when collapsed to whole sentences."""

    a0: int
    a1: int
    b0: int
    b1: int
    sentence: bool = False


@dataclass(frozen=True)
class Move:
    """A passage removed in one place and added, the same, in another."""

    removed: Hunk
    added: Hunk


def hunks(a: Side, b: Side) -> tuple[list[Hunk], list[Move]]:
    """Return the hunks between `a` and `b`, and the moved passages taken out of them.

    An LCS can tie ("alpha beta" against "beta alpha"); the texts are always
    aligned in one order and the result mirrored, so that comparing B with A
    reports exactly what comparing A with B reports, the other way round.
    """
    if b.keys < a.keys:
        found, moves = hunks(b, a)
        return [_mirror(h) for h in found], [Move(_mirror(m.added), _mirror(m.removed)) for m in moves]
    found = [h for h in _align(a, b) if not _layout_only(a, b, h)]
    found = _merge([_slide(h, n, found, a, b) for n, h in enumerate(found)], a, b)
    moves = _pair_moves(found, a, b)
    return _sentences(found, a, b), moves


def _mirror(h: Hunk) -> Hunk:
    return Hunk(h.b0, h.b1, h.a0, h.a1, h.sentence)


def _align(a: Side, b: Side) -> list[Hunk]:
    """Align word by word, anchored on identical sentences.

    One LCS over two 50,000-word texts costs seconds and a bit matrix of
    hundreds of megabytes; sentences are aligned first (a few thousand
    items), and the word-level LCS runs only inside the blocks that differ.
    """
    vocab: dict[object, int] = {}
    sent_a = [vocab.setdefault(a.keys[lo:hi], len(vocab)) for lo, hi in _pairs(a.sentences)]
    sent_b = [vocab.setdefault(b.keys[lo:hi], len(vocab)) for lo, hi in _pairs(b.sentences)]
    found: list[Hunk] = []
    for sa0, sa1, sb0, sb1 in _differing(sent_a, sent_b):
        a0, a1, b0, b1 = a.sentences[sa0], a.sentences[sa1], b.sentences[sb0], b.sentences[sb1]
        words: dict[str, int] = {}
        ka = [words.setdefault(k, len(words)) for k in a.keys[a0:a1]]
        kb = [words.setdefault(k, len(words)) for k in b.keys[b0:b1]]
        found += [Hunk(a0 + lo_a, a0 + hi_a, b0 + lo_b, b0 + hi_b) for lo_a, hi_a, lo_b, hi_b in _differing(ka, kb)]
    return found


def _differing(x: Sequence[int], y: Sequence[int], cells: int = LCS_CELLS) -> list[tuple[int, int, int, int]]:
    """Return the ranges of two sequences that differ: by LCS where it fits in `cells`, else anchored first.

    rapidfuzz's LCS keeps a bit for each pair of items: two versions of a
    46 MB text (320,000 sentences each) took 3.1 GB in one LCS, and 120,000
    words rewritten in a text without sentence ends 2.7 GB and 8.8 s in all
    (`bench/differ_speed.py --rewritten`). A longer stretch is cut at the
    items that it holds once on each side, in an order both share (the
    longest such run, as patience diff finds it), and each piece between
    them is aligned the same way. A piece too long that has no such item
    left is one block, its common ends trimmed.
    """
    from rapidfuzz.distance import Indel

    found: list[tuple[int, int, int, int]] = []
    todo = [(0, len(x), 0, len(y))]  # the stretches to align, the next one last
    while todo:
        i0, i1, j0, j1 = todo.pop()
        while i0 < i1 and j0 < j1 and x[i0] == y[j0]:
            i0, j0 = i0 + 1, j0 + 1
        while i0 < i1 and j0 < j1 and x[i1 - 1] == y[j1 - 1]:
            i1, j1 = i1 - 1, j1 - 1
        if i0 == i1 and j0 == j1:
            continue
        if (i1 - i0) * (j1 - j0) <= cells:
            found += [(i0 + a0, i0 + a1, j0 + b0, j0 + b1)
                       for a0, a1, b0, b1 in blocks(Indel.opcodes(x[i0:i1], y[j0:j1]))]
            continue
        anchors = _anchors(x[i0:i1], y[j0:j1])
        if not anchors:
            found.append((i0, i1, j0, j1))
            continue
        stretches, i, j = [], i0, j0
        for a, b in [*anchors, (i1 - i0, j1 - j0)]:
            if i < i0 + a or j < j0 + b:
                stretches.append((i, i0 + a, j, j0 + b))
            i, j = i0 + a + 1, j0 + b + 1
        todo += reversed(stretches)
    return found


def _anchors(x: Sequence[int], y: Sequence[int]) -> list[tuple[int, int]]:
    """Return the places of the items each sequence holds once, in the longest order both share."""
    once_x, once_y = Counter(x), Counter(y)
    where_y = {item: j for j, item in enumerate(y) if once_y[item] == 1}
    return _rising([(i, where_y[item]) for i, item in enumerate(x) if once_x[item] == 1 and item in where_y])


def _rising(pairs: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Return the longest run of `pairs` (sorted by their first) whose seconds rise too."""
    tails: list[int] = []  # tails[k]: the smallest second ending a rising run of k + 1 pairs
    ends: list[int] = []  # the index in `pairs` of that run's last pair
    before = [-1] * len(pairs)
    for n, (_, j) in enumerate(pairs):
        k = bisect_left(tails, j)
        before[n] = ends[k - 1] if k else -1
        if k == len(tails):
            tails.append(j)
            ends.append(n)
        else:
            tails[k], ends[k] = j, n
    run, n = [], ends[-1] if ends else -1
    while n >= 0:
        run.append(pairs[n])
        n = before[n]
    return run[::-1]


def blocks(opcodes: Iterable[Any]) -> list[tuple[int, int, int, int]]:
    """Return the ranges that differ in rapidfuzz opcodes, neighbouring changes joined ("m" -> "rn" is one)."""
    found: list[tuple[int, int, int, int]] = []
    for op in opcodes:
        if op.tag == "equal":
            continue
        if found and found[-1][1] == op.src_start and found[-1][3] == op.dest_start:
            found[-1] = (found[-1][0], op.src_end, found[-1][2], op.dest_end)
        else:
            found.append((op.src_start, op.src_end, op.dest_start, op.dest_end))
    return found


def _pairs(bounds: Sequence[int]) -> list[tuple[int, int]]:
    return list(pairwise(bounds))


def squash(s: Side, lo: int, hi: int) -> str:
    """Return the letters of tokens[lo:hi] without hyphens: equal squashes differ only in layout.

    A hyphen between digits stays: "2-3 Wochen" and "23 Wochen" differ.
    """
    return _LAYOUT_HYPHEN.sub("", "".join(s.keys[lo:hi]))


_LAYOUT_HYPHEN = re.compile(r"(?<!\d)-|-(?!\d)")


def _layout_only(a: Side, b: Side, h: Hunk) -> bool:
    return squash(a, h.a0, h.a1) == squash(b, h.b0, h.b1)


def _slide(h: Hunk, n: int, found: list[Hunk], a: Side, b: Side) -> Hunk:
    """Move a pure addition or removal to where it reads best among its equivalent places.

    An inserted "x . The" can often be placed one token earlier or later with
    the same result; prefer the place where it starts a sentence and ends on
    punctuation, as a reader would cut it.
    """
    if (h.a0 == h.a1) == (h.b0 == h.b1):
        return h
    removal = h.b0 == h.b1
    s, lo, hi = (a, h.a0, h.a1) if removal else (b, h.b0, h.b1)
    floor = (found[n - 1].a1 if removal else found[n - 1].b1) if n else 0
    ceiling = (found[n + 1].a0 if removal else found[n + 1].b0) if n + 1 < len(found) else len(s)
    best, best_score = 0, _cut_score(s, lo, hi)
    k = -1
    while lo + k >= floor and s.keys[lo + k] == s.keys[hi + k]:
        if (score := _cut_score(s, lo + k, hi + k)) > best_score:
            best, best_score = k, score
        k -= 1
    k = 1
    while hi + k - 1 < ceiling and s.keys[lo + k - 1] == s.keys[hi + k - 1]:
        if (score := _cut_score(s, lo + k, hi + k)) > best_score:
            best, best_score = k, score
        k += 1
    return Hunk(h.a0 + best, h.a1 + best, h.b0 + best, h.b1 + best)


def _cut_score(s: Side, lo: int, hi: int) -> int:
    after_break = (lo == 0 or s.words[lo - 1] in {".", "!", "?", ":", ";"}
                   or "\n" in s.text[s.ends[lo - 1] : s.starts[lo]])
    return 2 * after_break + s.is_word(lo) + (s.words[hi - 1] in _ENDS)


def _merge(found: list[Hunk], a: Side, b: Side) -> list[Hunk]:
    """Join hunks separated by one punctuation token, lying within one date on both sides, or separated by a
    piece of one date that both sides hold in other forms.

    ("June 3, 2024" against "(2024-06-03)," aligns on "2024": the two hunks
    around it are one date each side, with a parenthesis or comma more; with
    a change next to the date, the differ splits the date off again.)
    """
    merged: list[Hunk] = []
    for h in found:
        if merged:
            last = merged[-1]
            one_mark = h.a0 - last.a1 == h.b0 - last.b1 == 1 and not a.is_word(last.a1)
            if one_mark or (_holding(a, last.a0, h.a1) and _holding(b, last.b0, h.b1)) or _same_date_between(
                    a, b, last, h):
                last.a1, last.b1 = h.a1, h.b1
                continue
        merged.append(h)
    return merged


def _same_date_between(a: Side, b: Side, last: Hunk, h: Hunk) -> bool:
    """Whether the tokens between two hunks are a piece of one date, with its figures, that both sides hold."""
    if h.a0 - last.a1 > _DATE_REACH or not any(classify.has_digit(w) for w in a.words[last.a1 : h.a0]):
        return False  # longer than any date, or none of its figures
    held = set(_holding(a, last.a1, h.a0)) - {None}
    return bool(held and held & set(_holding(b, last.b1, h.b0)))


def _holding(s: Side, lo: int, hi: int) -> list[tuple[int, ...] | None]:
    """Return the values of the dates that hold tokens [lo, hi), give or take the punctuation at their ends."""
    while hi - lo > 1 and not s.is_word(lo):
        lo += 1
    while hi - lo > 1 and not s.is_word(hi - 1):
        hi -= 1
    if hi - lo > _DATE_REACH:  # longer than any date (7 tokens at most): no need to look
        return []
    return [parsed for first, last, parsed in s.dates_near(lo, hi) if first <= lo and hi - 1 <= last]


def _pair_moves(found: list[Hunk], a: Side, b: Side) -> list[Move]:
    """Take out pairs of a pure removal and a pure addition with the same words (a moved passage)."""
    removals: dict[str, Hunk] = {}
    for h in found:
        if h.b0 == h.b1 and a.count_words(h.a0, h.a1) >= 4:
            removals.setdefault(squash(a, h.a0, h.a1), h)
    moves = []
    for h in found:
        if h.a0 == h.a1 and b.count_words(h.b0, h.b1) >= 4:
            match = removals.pop(squash(b, h.b0, h.b1), None)
            if match is not None:
                moves.append(Move(match, h))
    taken = {id(m.removed) for m in moves} | {id(m.added) for m in moves}
    found[:] = [h for h in found if id(h) not in taken]
    return moves


def _sentences(found: list[Hunk], a: Side, b: Side) -> list[Hunk]:
    """Collapse a run of sentences in which most words changed, on both sides, into one sentence hunk."""
    out: list[Hunk] = []
    i = 0
    while i < len(found):
        h = found[i]
        if h.a0 == h.a1 or h.b0 == h.b1:
            out.append(h)
            i += 1
            continue
        first = a.sentence_of(h.a0), b.sentence_of(h.b0)
        (s0, s1), (t0, t1) = first
        j, changed = i, 0
        while j < len(found) and (s0 <= found[j].a0 < s1 or t0 <= found[j].b0 < t1):
            last = found[j]
            changed += a.count_words(last.a0, last.a1) + b.count_words(last.b0, last.b1)
            s1 = max(s1, last.a1, a.sentence_of(max(last.a1 - 1, last.a0))[1])
            t1 = max(t1, last.b1, b.sentence_of(max(last.b1 - 1, last.b0))[1])
            j += 1
        if changed >= 8 and changed * 2 >= a.count_words(s0, s1) + b.count_words(t0, t1):
            out.append(Hunk(min(s0, h.a0), s1, min(t0, h.b0), t1, sentence=True))
            i = j
        else:
            out.append(h)
            i += 1
            # A later hunk of the run that starts in the same two sentences reaches the same end with fewer
            # changed words: it is not collapsed either (without this, a text of one long sentence costs h²).
            while i < j and (a.sentence_of(found[i].a0), b.sentence_of(found[i].b0)) == first:
                out.append(found[i])
                i += 1
    return out
