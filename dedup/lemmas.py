"""Lemmas from simplemma, with its dictionaries kept as tries in the user's cache folder.

simplemma decodes a language's dictionary into a Python dict in every process
that asks for a lemma: 1.8 s of CPU for German (1.1 million forms), 0.3 s for
English, paid by each worker of a scan and by every rescan that classifies one
inflection. The same dictionary as a MARISA trie (marisa-trie) is built once,
in about 5 s, stored in the cache folder (``platformdirs.user_cache_dir``, one
file a language and simplemma version, 7.6 MB for German) and memory-mapped in
milliseconds by every later process. The lemmas are simplemma's own: the trie
holds the same forms, looked up by the same strategy.

Where the cache folder cannot be written, the decoded dictionary is used as
simplemma would. The folder may be deleted at any time; it is built again.
A build whose process was killed leaves a temporary file, deleted an hour later.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Mapping
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import simplemma


@lru_cache(maxsize=65536)
def lemma(word: str, lang: str) -> str:
    """Return the casefolded lemma of `word` in `lang` ("de", "en", ...), or the word itself when unknown."""
    return str(_lemmatizer().lemmatize(word, lang=lang)).casefold()


@lru_cache(maxsize=65536)
def is_word(word: str, lang: str) -> bool:
    """Return whether `word` is a form in the dictionary of `lang`, as written, lowercase or capitalised; a word
    with hyphens, whether each of its parts is ("Debian-Installationsskripte")."""
    forms = _tries().get_dictionary(lang)
    return all(part in forms or part.lower() in forms or part.capitalize() in forms
               for part in word.split("-") if part)


@cache
def _lemmatizer() -> simplemma.Lemmatizer:
    import simplemma
    from simplemma.strategies import DefaultStrategy

    return simplemma.Lemmatizer(lemmatization_strategy=DefaultStrategy(dictionary_factory=_tries()))


@cache
def _tries() -> Tries:
    import platformdirs
    import simplemma

    return Tries(Path(platformdirs.user_cache_dir("dedup")) / f"lemmas-simplemma-{simplemma.__version__}")


class Tries:
    """A simplemma dictionary factory: each language's dictionary as a trie stored in `folder`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._loaded: dict[str, Mapping[str, str]] = {}

    def get_dictionary(self, lang: str) -> Mapping[str, str]:
        if lang not in self._loaded:
            self._loaded[lang] = self._load(lang)
        return self._loaded[lang]

    def _load(self, lang: str) -> Mapping[str, str]:
        import marisa_trie
        from simplemma.strategies.dictionaries import DefaultDictionaryFactory
        from simplemma.strategies.dictionaries.trie_dictionary_factory import TrieWrapDict

        path = self.folder / f"{lang}.marisa"
        _sweep(self.folder, lang)
        with contextlib.suppress(RuntimeError, OSError):  # absent, unreadable or damaged: built again
            return TrieWrapDict(marisa_trie.BytesTrie().mmap(str(path)))
        forms = DefaultDictionaryFactory(cache_max_size=0).get_dictionary(lang)  # raises for an unknown language
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=f".{lang}-", suffix=".tmp")
        except OSError:
            return forms
        try:
            os.close(handle)
            trie = marisa_trie.BytesTrie((form, base.encode()) for form, base in forms.items())
            trie.save(temporary)  # marisa raises RuntimeError for a full disk
            os.replace(temporary, path)  # whole or not at all, also for a scan's workers building at once
        except (OSError, RuntimeError):
            return forms
        finally:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
        return TrieWrapDict(trie)


_STALE_SECONDS = 3600  # a build takes seconds: a temporary file this old is one whose process was killed


def _sweep(folder: Path, lang: str) -> None:
    """Delete the temporary files that builds of `lang`'s trie left when their process was killed."""
    limit = time.time() - _STALE_SECONDS
    with contextlib.suppress(OSError):  # no folder yet, or one that cannot be read: nothing to sweep
        for leftover in folder.glob(f".{lang}-*.tmp"):
            with contextlib.suppress(OSError):  # gone meanwhile, or not ours to delete
                if leftover.stat().st_mtime < limit:
                    leftover.unlink()
