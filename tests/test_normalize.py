from __future__ import annotations

import pytest

from dedup.normalize import locate, normalize, normalize_text
from tests.text import GERMAN, rewrap


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("eine Zeile\nund die nächste", "eine Zeile und die nächste"),
        ("Absatz eins.\n\n\n  Absatz zwei.", "Absatz eins.\n\nAbsatz zwei."),
        ("die Digi-\ntalisierung", "die Digitalisierung"),
        ("die Digi- \n  talisierung", "die Digitalisierung"),
        ("der Wissens-\nund Erfahrungsaustausch", "der Wissens- und Erfahrungsaustausch"),
        ("Städte- \noder Gemeindebund", "Städte- oder Gemeindebund"),
        ("per E-\nMail senden", "per E-Mail senden"),
        ("a state-of-the-\nart method", "a state-of-the-art method"),
        ("the well-\nknown well-known fact", "the well-known well-known fact"),
        ("Covid-\n19 cases", "Covid-19 cases"),
        ("soft\u00adhyphen", "softhyphen"),
        ("Digi\u00ad\ntalisierung", "Digitalisierung"),
        ("ﬁnal ﬂow", "final flow"),
        ("a\u00a0b\u2009c", "a b c"),
        ("zero\u200bwidth\ufeff", "zerowidth"),
        ("„Zitat“ and “quote” and ‚inner‘ and don’t", "\"Zitat\" and \"quote\" and 'inner' and don't"),
        ("tabs\tand   runs  ", "tabs and runs"),
        ("\n\n  leading and trailing  \n\n", "leading and trailing"),
        ("Prof. \nDr. Sinemus", "Prof. Dr. Sinemus"),
        ("Cafe\u0301", "Café"),
        ("seite\fzwei", "seite\n\nzwei"),
        ("escape \x1b[31mred", "escape [31mred"),
        ("windows\r\nline\r\n\r\nend", "windows line\n\nend"),
    ],
)
def test_layout_artifacts_are_removed(raw: str, clean: str) -> None:
    assert normalize_text(raw) == clean


def test_rewrapped_text_normalizes_to_the_original() -> None:
    assert normalize_text(rewrap(GERMAN, 50)) == normalize_text(GERMAN)


def test_hyphenated_line_end_joins_when_the_word_is_not_seen_hyphenated() -> None:
    text = "Die Versor-\ngung ist sicher. Die Versorgung bleibt."
    assert normalize_text(text) == "Die Versorgung ist sicher. Die Versorgung bleibt."


def test_offsets_point_at_the_same_word_in_the_raw_text() -> None:
    raw = rewrap(GERMAN, 40)
    result = normalize(raw)
    for word in ("Landrätin", "Kemmler", "Brandner", "Fahrradclub", "18", "2025"):
        clean_at = result.text.index(word)
        raw_at = result.raw_offset(clean_at)
        assert raw[raw_at : raw_at + len(word)] == word


def test_joined_word_maps_back_to_both_halves() -> None:
    raw = "eine Digi-\ntalisierung hier"
    result = normalize(raw)
    start = result.text.index("Digitalisierung")
    assert raw[result.raw_offset(start)] == "D"
    assert raw[result.raw_offset(start + 4)] == "t"  # "talisierung" starts on line 2


def test_locate_gives_one_based_line_and_column() -> None:
    raw = "first line\nsecond line\nthird"
    assert locate(raw, 0) == (1, 1)
    assert locate(raw, raw.index("second")) == (2, 1)
    assert locate(raw, raw.index("line", 12)) == (2, 8)
    assert locate(raw, len(raw)) == (3, 6)


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_locate_counts_lines_as_an_editor_does_whatever_the_line_ends(newline: str) -> None:
    """A file with old Mac line ends (CR alone) was all one line: `b.txt:1:74` where an editor shows 2:31."""
    lines = ["first line", "", "second line here", "third"]
    raw = newline.join(lines)
    for number, line in enumerate(lines):
        start = sum(len(earlier) + len(newline) for earlier in lines[:number])
        for column in range(len(line)):
            assert locate(raw, start + column) == (number + 1, column + 1)
    assert locate(raw, len(raw)) == (len(lines), len(lines[-1]) + 1)


def test_normalizing_twice_changes_nothing() -> None:
    for raw in (GERMAN, rewrap(GERMAN), "Wissens-\nund", "a -\n\nb", "x\u00ad\n\ny"):
        once = normalize_text(raw)
        assert normalize_text(once) == once


def test_fold_splits_are_the_characters_whose_case_folding_moves_a_words_edges() -> None:
    # Derived from the Unicode tables of the Python that runs the test: the list in the module must match them.
    from dedup.normalize import _FOLD_SPLITS

    def word(char: str) -> bool:
        return char.isalnum() or char == "_"

    derived = [
        c for c in map(chr, range(0x110000))
        if not 0xD800 <= ord(c) < 0xE000 and c.casefold() != c
        and (not all(map(word, c.casefold())) if word(c) else any(word(f) or f == "-" for f in c.casefold()))
    ]
    assert "".join(derived) == "".join(_FOLD_SPLITS.findall("".join(map(chr, range(0xD800)))
                                                          + "".join(map(chr, range(0xE000, 0x110000)))))


def test_the_evidence_of_a_long_text_counts_every_word_once_when_searching_costs_more() -> None:
    # One search a line-end hyphen is cheap in a short text; in a long text with thousands of them it was
    # quadratic (25 s for 1.5 MB and 20,000 hyphens), so the searches give way to one count of every word.
    from collections import Counter

    from dedup.normalize import _WORDS, _Evidence

    words = [f"wort{n}" for n in range(400)]
    text = " ".join(words * 5)
    evidence = _Evidence(text)
    counted = Counter(_WORDS.findall(text))
    assert [evidence.count(w) for w in words[:3]] == [5, 5, 5]
    assert evidence._words is None  # a few searches: nothing counted yet
    assert [evidence.count(w.upper()) for w in words] == [counted[w] for w in words]
    assert evidence._words is not None  # 400 searches of this text cost more than counting it once
