"""Letters that OCR reads one for another, because they are drawn alike.

The differ calls a word changed only so a likely misreading
(`classify.misread`); the fingerprint folds each group to one letter, so
that a scanned copy's misreadings break fewer shingles
(`fingerprint.glyph_table`).
"""

from __future__ import annotations

import re

# Each letter is folded to its group's first; a letter stands in one group only, lowercase ("B" is "b", so
# "ß" read as "B" is in the group of "b"). "n" and "m" are apart: "einen" -> "einem" is an ending changed.
GROUPS = ("l1iıj|!íìîïtf7", "o0öóòôø°", "eécèêë", "aäáàâã", "uüúùûnvy", "bhß8", "s5$§", "gq9", "z2")
FOLD = {ord(c): group[0] for group in GROUPS for c in group}  # for str.translate
# The fingerprint's: word letters only, and "m" with "n" as well. A shingle only has to survive a misreading; the
# differ, which must tell "einen" from "einem", does not use it.
WORD_FOLD = {k: v for k, v in FOLD.items() if re.fullmatch(r"\w", chr(k)) and re.fullmatch(r"\w", v)}
WORD_FOLD[ord("m")] = FOLD[ord("n")]
THIN = GROUPS[0][0]  # the fingerprint drops the letters folded to it: OCR loses and gains them most
# Letter pairs read as one letter, and back: "rn" for "m", "cl" for "d", "ii" for "ü".
_PAIRS = re.compile("rn|nn|in|ni|cl|ci|li|vv|ii|ri|ti")
_AS_ONE = {"rn": "m", "nn": "m", "in": "m", "ni": "m", "cl": "d", "ci": "d", "li": "h", "vv": "w", "ii": "u",
           "ri": "n", "ti": "u"}
_DOTLESS = str.maketrans("ı", "i")


def folded(text: str) -> str:
    """Return lowercase `text` with letter pairs read as one made one, and each letter folded to its group's."""
    return _PAIRS.sub(lambda m: _AS_ONE[m[0]], text.translate(_DOTLESS)).translate(FOLD)
