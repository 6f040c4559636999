"""Properties of the normalizer and the differ on arbitrary Unicode (hypothesis).

tests/test_properties.py checks the normalizer on layout-like text; here the
input is anything a decoded file can hold (every code point but surrogates),
including controls, escapes, bidi marks, combining marks and characters whose
case folding or composition changes their length, and the differ is checked to
be symmetric: comparing B with A reports what comparing A with B reports, mirrored.
"""

from __future__ import annotations

import re
from collections import Counter

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rapidfuzz.distance import Indel

from dedup import align, classify
from dedup.differ import Discrepancy, Version, compare
from dedup.normalize import (
    _LONE_NEWLINE,
    _STRUCTURE_PATTERN,
    _rewrite,
    _structure_replacement,
    locate,
    normalize,
    normalize_text,
)

# Everything a decoded document may contain: no surrogates (no decoder produces them).
ANY_CHAR = st.characters(exclude_categories=["Cs"])
TRICKY = st.sampled_from(
    [
        *("\x00", "\x07", "\x08", "\x1b", "\x1b[31m", "\x1b]0;t\x07", "\x7f", "\x85", "\x9b"),
        *("\t", "\n", "\r", "\r\n", "\x0b", "\x0c", "\u2028", "\u2029", "\u00a0", "\u00ad"),
        *("\u200b", "\u200d", "\u202e", "\u2066", "\ufeff", "\ufffe"),
        *("\u0301", "e\u0301", "\u0345", "\u1100\u1161", "ﬁ", "ﬃ", "ß", "İ", "ǅ", "ﬆ"),
        *("„", "“", "’", "«", "-", "- ", "-\n", "‐", "–", ".", ",", ":", "/", "'", '"'),
        *("[bold]", "[/]", "٣", "²", "⅓", "\U0001f600", "\U00010400"),
        *("und", "Mail", "Dr.", " ", "  "),
    ]
)
WORD = st.sampled_from(
    [
        *("the", "harbour", "board", "met", "on", "Tuesday", "27.", "August", "2019", "repairs"),
        *("pier", "Ruth", "Alder", "said", "work", "would", "start", "Darmstadt", "Darmstadts"),
        *("gewonnen", "gewonnenen", "4,2", "4,5", "Millionen", "Euro", "und", "oder", "E-Mail"),
        *("Wissens-", "über"),
    ]
)
PIECE = st.one_of(
    st.text(ANY_CHAR, min_size=1, max_size=3), TRICKY, WORD, WORD.map(lambda w: w + " ")
)
TEXT = st.lists(PIECE, max_size=60).map("".join)
ARBITRARY = st.text(ANY_CHAR, max_size=200)

# What the normalizer may not leave behind: controls but newline, C1, bidi and invisible marks.
UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2066-\u2069]")

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(st.one_of(ARBITRARY, TEXT))
def test_normalizing_arbitrary_unicode_is_idempotent(raw: str) -> None:
    once = normalize_text(raw)
    assert normalize_text(once) == once


BLANKS_AND_HYPHENS = st.lists(st.sampled_from(["a", "-", "\u00ad", " ", "  ", "\t", "\n", "\r", "\r\n", "\f", "\v"]),
                              max_size=30).map("".join)


@SETTINGS
@given(st.one_of(BLANKS_AND_HYPHENS, TEXT))
@example(" \t")
@example(" \v")
@example("a \n-\u00ad\r\n  \tb")
def test_the_structure_pass_lookahead_only_skips_places_where_nothing_matches(text: str) -> None:
    """The lookahead before the structure pattern saves time; the pattern without it finds the same matches."""
    plain = re.compile(_STRUCTURE_PATTERN.pattern.split(")", 1)[1])  # the lookahead is the first group
    assert plain.pattern.startswith("(?:(?P<hyphen>")
    assert [m.span() for m in _STRUCTURE_PATTERN.finditer(text)] == [m.span() for m in plain.finditer(text)]


@SETTINGS
@given(st.one_of(BLANKS_AND_HYPHENS, TEXT))
@example("a\nb")
@example("a\n")
@example("\n")
@example("a-\nb \nc\n d\n\ne\u00ad\nf\r\ng")
def test_line_breaks_made_spaces_before_the_structure_pass_change_neither_its_text_nor_its_map(text: str) -> None:
    """normalize() turns lone line breaks into spaces first; the structure pass makes the same of either text."""
    def structure_pass(t: str) -> tuple[str, list[int], list[int]]:
        out, offsets = _rewrite(t, _STRUCTURE_PATTERN.finditer(t), _structure_replacement(t))
        ends = range(len(out) + 1)
        return out, [offsets.source(i) for i in ends], [offsets.source_end(i) for i in ends]

    unbroken = _LONE_NEWLINE.sub(" ", text)
    assert len(unbroken) == len(text)
    assert structure_pass(unbroken) == structure_pass(text)


@SETTINGS
@given(st.one_of(ARBITRARY, TEXT))
def test_normalized_text_holds_no_control_bidi_or_invisible_character(raw: str) -> None:
    assert not UNSAFE.findall(normalize_text(raw))


@SETTINGS
@given(st.one_of(ARBITRARY, TEXT))
def test_every_clean_position_maps_back_into_the_raw_text_in_order(raw: str) -> None:
    normalized = normalize(raw)
    offsets = [normalized.raw_offset(i) for i in range(len(normalized.text) + 1)]
    assert all(0 <= o <= len(raw) for o in offsets)
    assert offsets == sorted(offsets)


@SETTINGS
@given(st.one_of(ARBITRARY, TEXT))
def test_a_text_compared_with_itself_has_no_discrepancy(raw: str) -> None:
    assert compare(Version.of("a.txt", raw), Version.of("b.txt", raw)) == []


def mutate(draw: st.DrawFn, text: str) -> str:
    """Another version of `text`: pieces deleted, inserted or replaced."""
    pieces = re.findall(r"\S+|\s+", text)
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, len(pieces)))
        match draw(st.sampled_from(["delete", "insert", "replace"])):
            case "delete" if at < len(pieces):
                del pieces[at]
            case "insert":
                pieces.insert(at, draw(PIECE))
            case "replace" if at < len(pieces):
                pieces[at] = draw(PIECE)
    return "".join(pieces)


@st.composite
def two_versions(draw: st.DrawFn) -> tuple[str, str]:
    a = draw(st.one_of(TEXT, ARBITRARY))
    b = draw(st.one_of(st.just(mutate(draw, a)), TEXT, ARBITRARY))
    return a, b


@SETTINGS
@given(two_versions())
def test_every_discrepancy_names_text_that_differs(texts: tuple[str, str]) -> None:
    """No empty discrepancy: one side has text, and changed text differs from its counterpart."""
    a, b = Version.of("a.txt", texts[0]), Version.of("b.txt", texts[1])
    for d in compare(a, b):
        assert d.a_text or d.b_text
        assert (d.kind == "added") == (not d.a_text)
        assert (d.kind == "removed") == (not d.b_text)
        if d.kind in {"changed", "moved"}:
            assert d.a_text and d.b_text
        if d.kind == "changed":
            assert d.a_text != d.b_text


# -- the differ is symmetric: B against A is A against B, mirrored ---------------------------------


MIRROR_KIND = {"added": "removed", "removed": "added", "changed": "changed", "moved": "moved"}


def seen_from_a(d: Discrepancy) -> tuple[str, str, str]:
    return d.kind, d.a_text, d.b_text


def seen_from_b(d: Discrepancy) -> tuple[str, str, str]:
    """The same discrepancy as comparing the other way round would report it."""
    return MIRROR_KIND[d.kind], d.b_text, d.a_text


@SETTINGS
@given(two_versions())
@example(("alpha beta gamma", "beta alpha gamma"))  # a swap: ties must not depend on the direction
@example(("0“", "00“0"))
@example((":²", ":²0"))  # "²" is a digit that int() refuses: a time's hour is ASCII
def test_comparing_b_with_a_mirrors_comparing_a_with_b(texts: tuple[str, str]) -> None:
    a, b = Version.of("a.txt", texts[0]), Version.of("b.txt", texts[1])
    forward, backward = compare(a, b), compare(b, a)
    assert len(forward) == len(backward)
    assert Counter(map(seen_from_a, forward)) == Counter(map(seen_from_b, backward))


@SETTINGS
@given(two_versions())
@example(("alpha beta gamma", "beta alpha gamma"))
def test_mirrored_discrepancies_sit_at_the_same_places(texts: tuple[str, str]) -> None:
    a, b = Version.of("a.txt", texts[0]), Version.of("b.txt", texts[1])
    forward = Counter((d.a, d.b, *seen_from_a(d)) for d in compare(a, b))
    backward = Counter((d.b, d.a, *seen_from_b(d)) for d in compare(b, a))
    assert forward == backward


# -- the fast paths of the differ give what the plain rules give ----------------------------------


def sentence_starts(words: list[str], blanks: list[str]) -> list[int]:
    """The plain rule, token by token: a sentence starts after a line break, or after a mark
    ending a sentence (not an abbreviation, a figure or an initial) before a capital or a quote."""
    bounds = [0]
    for i in range(1, len(words)):
        prev, before = words[i - 1], words[i - 2] if i >= 2 else ""
        if "\n" in blanks[i]:
            bounds.append(i)
        elif prev in {".", "!", "?"} and i >= 2:
            if before.lower() in align._ABBREVIATIONS or before.isdigit() or len(before) == 1:
                continue
            if words[i][0].isupper() or words[i] == '"':
                bounds.append(i)
        elif prev == '"' and before in {".", "!", "?"}:
            bounds.append(i)
    return [*bounds, len(words)]


MARK = st.sampled_from(["Dr", "z", "B", "27", ".", "!", "?", '"', "\n", "\n\n", ":"])
DASH = st.sampled_from(["\u2010", "\u2011", "\u2013", "\u2014"])
PROSE = st.lists(WORD | MARK | DASH, max_size=60).map(" ".join)  # dense in sentence ends and dashes


@SETTINGS
@given(st.one_of(ARBITRARY, TEXT, PROSE))
@example("27.08.19 don't a/b:c, 4,5 .. a.. 'x' _a_ Ende. Neu\nZeile \"Zitat.\" Dann! Dr. X")  # numpy's tokens
@example("\U0001f600 Ende. Neu 27.08.19")  # beyond the BMP: the regular expression's tokens
@example("Ärger über ǅemal, Σ _x 2 Ende. Neu")  # capitals and words by the tables: ǅ is title case, not upper
@example("Ⓐ Ⅷ ½ a")  # upper case but not letters (Ⓐ, Ⅷ): capitals as isupper() says
def test_a_side_holds_each_token_with_its_place_key_and_sentence(text: str) -> None:
    side = align.side(text)
    found = list(re.finditer(r"\w+(?:['.,:/]\w+)*|[^\w\s]", text))
    assert list(side.words) == [m.group() for m in found]
    assert list(side.starts) == [m.start() for m in found]
    assert list(side.ends) == [m.end() for m in found]
    keyed = text.translate(str.maketrans("\u2010\u2011\u2013\u2014", "----"))
    assert list(side.keys) == [keyed[m.start() : m.end()] for m in found]
    blanks = [text[e:s] for e, s in zip([0, *side.ends], side.starts, strict=False)]
    assert list(side.sentences) == sentence_starts(list(side.words), blanks)
    is_word = [bool(re.match(r"\w", w)) for w in side.words]
    assert [side.is_word(i) for i in range(len(side))] == is_word
    assert [side.count_words(0, i) for i in range(len(side) + 1)] == [sum(is_word[:i]) for i in range(len(side) + 1)]
    assert list(side.capitals) == [i for i, w in enumerate(side.words) if w[0].isupper()]


@SETTINGS
@given(st.one_of(ARBITRARY, TEXT))
def test_a_version_locates_every_offset_as_the_normalizer_does(raw: str) -> None:
    version = Version.of("a.txt", raw)
    for offset in range(-1, len(raw) + 2):
        assert version.locate(offset) == locate(raw, offset)


WEEKDAY_TEXT = st.lists(
    st.sampled_from(["Dienstag", "MITTWOCH", "mıttwoch", "ſonnabend", "Tuesday", "ſunday", "tag"])
    | st.sampled_from(["MAİ", "maı", "ſept", "SEPT.", "MÄRZ", "Jänner", "oct", "Juli", "of", "3rd"])
    | st.sampled_from([",", " ", "27.", "August", "2019", "\u0130", "\u03a3", "x"])
    | st.text(ANY_CHAR, max_size=2),
    max_size=12,
).map("".join)


@SETTINGS
@given(st.one_of(WEEKDAY_TEXT, ARBITRARY))
def test_the_weekday_hints_never_hide_a_date(text: str) -> None:
    """date_spans looks for weekdays only where a hint is; looking everywhere finds the same."""
    found = classify.date_spans(text)
    hints, classify._WEEKDAY_HINTS = classify._WEEKDAY_HINTS, ("",)  # "" is in every text
    try:
        assert classify.date_spans(text) == found
    finally:
        classify._WEEKDAY_HINTS = hints


@SETTINGS
@given(st.one_of(WEEKDAY_TEXT, ARBITRARY))
@example("27. ſept 2019, 1. MAİ 2020 und 2. maı 2021")  # letters that IGNORECASE matches but lower() keeps
def test_the_month_stems_never_hide_a_date(text: str) -> None:
    """date_spans tries the month patterns only where a month's stem is; trying them everywhere finds the same."""
    found = classify.date_spans(text)
    stems, classify._MONTH_STEMS = classify._MONTH_STEMS, re.compile("")  # "" is in every text
    try:
        assert classify.date_spans(text) == found
    finally:
        classify._MONTH_STEMS = stems


@given(st.lists(st.integers(0, 12), max_size=60), st.lists(st.integers(0, 12), max_size=60), st.integers(0, 900))
@settings(max_examples=500, deadline=None)
@example([1, 2, 3, 4], [1, 3, 2, 4], 0)
@example([5, 5, 1, 6, 6], [6, 6, 1, 5, 5], 0)
def test_the_anchored_alignment_pairs_everything_outside_its_blocks_in_order(x: list[int], y: list[int],
                                                                             cells: int) -> None:
    # Sentences and words are aligned by LCS where it fits in `cells` pairs (a text of 320,000 sentences
    # took 3.1 GB in one), else cut at the items each side holds once, and a stretch with none is one
    # block: whatever the limit, what lies outside the blocks is the same on both sides, and the blocks
    # are in order, apart and not empty.
    blocks = align._differing(x, y, cells)
    kept_x, kept_y, i0, j0 = [], [], 0, 0
    for n, (a0, a1, b0, b1) in enumerate(blocks):
        assert i0 <= a0 <= a1 and j0 <= b0 <= b1 and (a0 < a1 or b0 < b1)
        assert n == 0 or (a0 > i0 and b0 > j0)  # an item kept on each side between two blocks
        kept_x += x[i0:a0]
        kept_y += y[j0:b0]
        i0, j0 = a1, b1
    assert kept_x + x[i0:] == kept_y + y[j0:]
    assert (blocks == []) == (x == y)
    if cells >= len(x) * len(y):  # one LCS, as rapidfuzz makes it
        assert blocks == align.blocks(Indel.opcodes(x, y))
