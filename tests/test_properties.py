"""Invariants of the pipeline, checked on generated input (hypothesis)."""

from __future__ import annotations

import json
import tempfile
import unicodedata
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from dedup.fingerprint import containment, jaccard, overlap, shingle_hashes, tokens
from dedup.normalize import normalize, normalize_text, words_text
from dedup.options import ScanOptions
from dedup.report import scan_report
from dedup.scan import scan

# Text made of what layout leaves behind: words, breaks, hyphens, quotes, odd spaces and marks.
LAYOUT = st.lists(
    st.sampled_from(
        [*"abcdeXYZäöß019 -.,\n\t",
         "\r\n", "\f", "\u00ad", "\u00a0", "\u200b", "ﬁ", "„", "“", "’", "e\u0301", "- \n", "-\n", "und", "Mail"]
    ),
    max_size=120,
).map("".join)
WORDS = st.lists(
    st.sampled_from(["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa"]),
    max_size=60,
)


def letters(text: str) -> list[str]:
    return [c for c in unicodedata.normalize("NFKC", text) if c.isalnum()]


@given(LAYOUT)
def test_normalizing_twice_changes_nothing(raw: str) -> None:
    once = normalize_text(raw)
    assert normalize_text(once) == once


@given(LAYOUT)
def test_no_letter_or_digit_is_lost(raw: str) -> None:
    # Page furniture (running headers, page numbers) is taken out on purpose; what is
    # taken out is listed in `artifacts`, so letters are kept or accounted for.
    result = normalize(raw)
    removed = Counter(letters("".join(raw[a.start : a.end] for a in result.artifacts)))
    added = Counter(letters("".join(a.new for a in result.artifacts)))
    assert Counter(letters(result.text)) + removed - added == Counter(letters(raw))
    if not result.artifacts:
        assert letters(result.text) == letters(raw)


# Text with only the artifacts that leave words alone, but which come close to
# those that do not: hyphens, breaks, slashes, at signs.
PLAIN = st.lists(
    st.sampled_from([*"abcXYZäöß019 -.,/@\n\t\r", "\r\n", "- ", " -", "und", "www", "http://"]),
    max_size=120,
).map("".join)


@given(st.one_of(LAYOUT, PLAIN))
@example("Text\n1\fmore text\n2\fand more\n3")  # page numbers, which the furniture pass takes out
def test_the_cheap_words_text_has_the_words_of_the_normalized_text(raw: str) -> None:
    assert tokens(words_text(raw)) == tokens(normalize_text(raw))


# Words, hyphens and what case folding changes: lengths ("ß", "ﬁ", the Kelvin sign) or a word's edges
# ("İ" folds to "i" and a combining dot, which is no word character).
SPELLINGS = st.lists(st.sampled_from(["ab", "Ab", "AB", "a", "b", "-", "--", " ", "\n", "_", "1", "²", "ß", "SS", "ss",
                                      "ﬁ", "FI", "\u212a", "k", "İ", "i", "\u0307", "ΐ", "Σ", "ς"]),
                     max_size=30).map("".join)


@given(SPELLINGS, st.data())
@example("Straße STRASSE strasse-Weg", None)
@example("İb ib i\u0307b", None)  # a text that folding cuts differently: counted run by run
def test_the_evidence_counts_the_whole_words_of_a_text_in_any_case(text: str, data: st.DataObject) -> None:
    from dedup.normalize import _WORDS, _Evidence

    runs = _WORDS.findall(text)
    words = [*runs, *(w.upper() for w in runs), "ab", "a-b", "a--b", "-ab", "ss", "k", "ib", "strasse"]
    if data is not None:
        words.append(data.draw(st.one_of(SPELLINGS, st.sampled_from(words))))
    counted = Counter(map(str.casefold, runs))
    evidence = _Evidence(text)
    for word in words:
        assert evidence.count(word) == counted[word.casefold()], word


# Anything a text may hold, with what stresses the tokenizer: case folding that changes
# lengths (ß, İ, ﬁ), marks, digits of other scripts, characters beyond the BMP.
TEXT = st.lists(st.one_of(st.sampled_from(["ß", "İ", "ﬁ", "e\u0301", "٣", "_", "-", " ", "\n", "𝔘", "😀", "Wort"]),
                          st.characters(codec="utf-8")), max_size=80).map("".join)


FUNCTION_WORDS = st.lists(st.one_of(st.sampled_from(["der", "DIE", "Und", "für", "ÜBER", "the", "The", "AND", "of",
                                                     "ofß", "İn", "is2", "_in", "-", " ", "\n", "x", "𝔘", "in\u0307"]),
                                    st.characters(codec="utf-8")), max_size=60).map("".join)


@given(FUNCTION_WORDS)
@example("x " * 1248 + "the and")  # the opening ends inside "the": "th" is no function word
@example("𝔘 der the")  # beyond the table: the regular expression decides
def test_function_words_are_the_letter_runs_of_the_lower_cased_opening(text: str) -> None:
    from dedup.classify import _ENGLISH, _GERMAN, _WORD, function_words

    words = _WORD.findall(text[:2500].lower())
    assert function_words(text) == (sum(w in _GERMAN for w in words), sum(w in _ENGLISH for w in words))


@given(st.lists(TEXT, max_size=6), st.integers(1, 6))
@example(["Straße İstanbul ﬁnal", "", "eins zwei", "a b c d e f g h"], 2)
@example(["𝔘𝔫𝔦𝔠𝔬𝔡𝔢 words", "plain words here"], 1)  # beyond the table: the regular expression decides
@example(["one\x00two three", "four"], 3)  # a NUL in a text is no word, as the NUL between texts
def test_a_batch_of_fingerprints_is_each_text_fingerprinted_from_its_tokens(texts: list[str], size: int) -> None:
    from dedup.fingerprint import fingerprints, signature

    for text, found in zip(texts, fingerprints(texts, size, 16, 7), strict=True):
        shingles = shingle_hashes(tokens(text), size)
        assert found.tokens == len(tokens(text))
        assert found.shingles.tolist() == shingles.tolist()
        assert found.signature.tolist() == signature(shingles, 16, 7).tolist()


@given(WORDS, WORDS, st.integers(1, 6))
def test_similarity_is_symmetric_and_in_range(a: list[str], b: list[str], size: int) -> None:
    sa, sb = shingle_hashes(a, size), shingle_hashes(b, size)
    assert 0.0 <= jaccard(sa, sb) == jaccard(sb, sa) <= 1.0
    assert 0.0 <= containment(sa, sb) == containment(sb, sa) <= 1.0
    common, union = set(sa.tolist()) & set(sb.tolist()), set(sa.tolist()) | set(sb.tolist())
    if len(sa) and len(sb):
        assert overlap(sa, sb) == (len(common) / len(union), len(common) / min(len(sa), len(sb)))
    else:
        assert overlap(sa, sb) == (1.0 if not union else 0.0, 0.0)


DOCUMENTS = st.lists(
    st.lists(st.sampled_from(["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]),
             min_size=1, max_size=40).map(" ".join),
    min_size=1, max_size=8,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DOCUMENTS, st.data())
def test_groups_partition_the_documents_and_identical_files_share_a_group(
    texts: list[str], data: st.DataObject
) -> None:
    copied = data.draw(st.integers(0, len(texts) - 1))
    with tempfile.TemporaryDirectory() as folder:
        for n, text in enumerate(texts):
            Path(folder, f"doc{n}.txt").write_text(text, encoding="utf-8")
        Path(folder, "copy.txt").write_text(texts[copied], encoding="utf-8")
        result = scan([folder], ScanOptions())
    seen = [m.path for g in result.groups for m in g.members] + [u.path for u in result.unique]
    assert sorted(seen) == sorted({*seen}) and len(seen) == len(texts) + 1
    group_of = {m.path: g.id for g in result.groups for m in g.members}
    original, copy = str(Path(folder, f"doc{copied}.txt")), str(Path(folder, "copy.txt"))
    assert copy in group_of and group_of[copy] == group_of[original]


@settings(max_examples=10, deadline=None)
@given(DOCUMENTS, st.integers(0, 2**32 - 1))
def test_a_fixed_seed_gives_the_same_report(texts: list[str], seed: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        for n, text in enumerate(texts):
            Path(folder, f"doc{n}.txt").write_text(text, encoding="utf-8")
        options = ScanOptions(seed=seed, threshold=0.3)
        first = json.dumps(scan_report(scan([folder], options)))
        second = json.dumps(scan_report(scan([folder], options)))
    assert first == second


UNPAGED = st.lists(
    st.sampled_from(["word ", "Wort", "\n", "\n\n", " ", "•", "- ", "http://x.org/a", "www.ex", "a@b.de",
                     "/usr/", "bin", "doc/x", "and/or", ".", "1", "\r\n", "\t", "·", "Seite 3", "\v"]),
    max_size=40,
).map("".join)


@given(st.one_of(UNPAGED, LAYOUT))
@example("mehr unter https://www.example.org/pres\nse/mitteilung.html heute")
@example("siehe /usr/share/\ndoc/x mehr")  # a path: its slash follows a blank
@example("edit /etc/fstab\nand more")  # a path at a line end that the next line does not continue
@example("instal·lat, paral·lel\n  · a bullet")  # a middle dot inside a word is no bullet; at a line start it is
@example("a\rwww.example.org/\vpath/x b")  # lines end at \r and \v too
def test_the_quick_check_skips_only_text_without_artifacts(text: str) -> None:
    from dedup import furniture

    assert furniture.find(text) == furniture._find(text)
