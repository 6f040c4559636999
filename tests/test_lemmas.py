"""simplemma's dictionaries as tries in a cache folder: the same lemmas, built once, rebuilt when damaged."""

from __future__ import annotations

import os
import stat
import sys

import pytest
import simplemma
from simplemma.strategies import DefaultStrategy
from simplemma.strategies.dictionaries.trie_dictionary_factory import TrieWrapDict

from dedup import classify, lemmas
from dedup.lemmas import Tries

# Regular and irregular forms, unknown words, capitals and umlauts.
WORDS = {
    "en": "ran went children mice better geese was running Tuesday xqzzy Darmstadt studies",
    "de": "Häuser ging Kinder gegangen Darmstadts Bürgermeisterin sprach war Männer xqzzy Ämter",
}


def lemmatizer(folder: os.PathLike[str]) -> simplemma.Lemmatizer:
    return simplemma.Lemmatizer(lemmatization_strategy=DefaultStrategy(dictionary_factory=Tries(folder)))


@pytest.mark.parametrize("lang", ["en", "de"])
def test_the_trie_gives_simplemmas_lemmas(tmp_path, lang):
    built, stored = lemmatizer(tmp_path), lemmatizer(tmp_path)
    for word in WORDS[lang].split():
        expected = simplemma.lemmatize(word, lang=lang)
        assert built.lemmatize(word, lang=lang) == expected, word
    assert (tmp_path / f"{lang}.marisa").is_file()
    for word in WORDS[lang].split():  # a second process finds the stored trie
        assert stored.lemmatize(word, lang=lang) == simplemma.lemmatize(word, lang=lang), word
    assert isinstance(Tries(tmp_path).get_dictionary(lang), TrieWrapDict)
    assert not [p for p in tmp_path.iterdir() if p.suffix == ".tmp"]  # no temporary file left behind


@pytest.mark.parametrize("trie", ["stored", "built"])
def test_the_temporary_files_of_killed_builds_are_swept_and_a_running_builds_kept(tmp_path, trie):
    if trie == "stored":
        lemmatizer(tmp_path).lemmatize("went", lang="en")
    stale, running, other = tmp_path / ".en-k1ll3d.tmp", tmp_path / ".en-running.tmp", tmp_path / ".de-k1ll3d.tmp"
    for leftover in (stale, running, other):
        leftover.write_bytes(b"half a trie")
    two_hours_ago = os.stat(running).st_mtime - 7200
    os.utime(stale, (two_hours_ago, two_hours_ago))
    os.utime(other, (two_hours_ago, two_hours_ago))
    assert lemmatizer(tmp_path).lemmatize("went", lang="en") == "go"
    assert not stale.exists()
    assert running.exists()  # another process may be building it right now
    assert other.exists()  # swept when German is loaded


def test_a_damaged_trie_is_built_again(tmp_path):
    damaged = tmp_path / "en.marisa"
    damaged.write_bytes(b"\0" * 64 + b"not a trie" * 100)
    assert lemmatizer(tmp_path).lemmatize("went", lang="en") == "go"
    assert damaged.stat().st_size > 100_000  # replaced by a whole trie
    assert lemmatizer(tmp_path).lemmatize("mice", lang="en") == "mouse"


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="root writes to read-only folders")
def test_a_folder_that_cannot_be_written_uses_the_dictionary(tmp_path):
    tmp_path.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        assert lemmatizer(tmp_path / "cache").lemmatize("went", lang="en") == "go"
        assert not (tmp_path / "cache").exists()
    finally:
        tmp_path.chmod(stat.S_IRWXU)


def test_a_file_where_the_folder_would_be_uses_the_dictionary(tmp_path):
    (tmp_path / "cache").write_text("a file where the folder would be")
    assert lemmatizer(tmp_path / "cache").lemmatize("went", lang="en") == "go"
    assert (tmp_path / "cache").read_text() == "a file where the folder would be"


def test_inflections_need_the_lemmas():
    assert classify.is_inflection("Häuser", "Haus", "de")
    assert classify.is_inflection("ran", "run", "en")
    assert not classify.is_inflection("ran", "rat", "en")


def test_a_word_is_known_however_capitalised_and_part_by_part_with_hyphens():
    for word in ("Häuser", "häuser", "HÄUSER", "Ging", "ging", "Stadt-Verwaltung"):  # a sentence start, a headline
        assert lemmas.is_word(word, "de"), word
    for word in ("Bestinmite", "viehnchr", "Stadt-Xqzzy", "running"):  # OCR's garbage; one part no word; English
        assert not lemmas.is_word(word, "de"), word
    assert lemmas.is_word("Running", "en") and not lemmas.is_word("chiklren", "en")
