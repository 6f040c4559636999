"""Markdown's inline links and images, blanked out of a .md file's text with its positions kept.

A link's target and an image are not text a reader sees: "[Petra
Kemmler](https://example.org)" in the Markdown version of a press release
and "Petra Kemmler" in its PDF are the same words. Their syntax is replaced
by spaces, character for character (line ends kept), so that every position
in the text is still the position in the file; the normalizer collapses the
blanks. The link's text stays; an image goes whole, its alternative text too.
Emphasis, headings and list marks are punctuation, which the differ already
reports as cosmetic.
"""

from __future__ import annotations

import re

VERSION = 1
"""Bumped whenever the text made of some Markdown file changes (an index reads such files again)."""

_LINK = re.compile(
    r"(?P<image>!?)\[(?P<text>[^\[\]\n]*)\]"  # [text] or ![alt]
    r"\([ \t]*(?:<[^<>\n]*>|[^\s()<>]*)"  # (target or (<target>
    r"(?:[ \t]+(?:\"[^\"\n]*\"|'[^'\n]*'|\([^()\n]*\)))?[ \t]*\)"  # an optional "title", then )
)

def markdown_text(text: str) -> str:
    """Return `text` with the syntax of its inline links and its images replaced by spaces."""
    if "](" not in text:
        return text
    return _LINK.sub(_blanked, text)


def _blanked(match: re.Match[str]) -> str:
    whole = match.group(0)  # within one line: the pattern matches no line end
    if match.group("image"):
        return " " * len(whole)
    start, end = match.start("text") - match.start(), match.end("text") - match.start()
    return " " * start + whole[start:end] + " " * (len(whole) - end)
