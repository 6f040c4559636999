"""Markdown's links and images, blanked out of a .md file's text with its positions kept.

A link's target and an image are not text a reader sees: "[Petra
Kemmler](https://example.org)" in the Markdown version of a press release
and "Petra Kemmler" in its PDF are the same words. Their syntax is replaced
by spaces, character for character (line ends kept), so that every position
in the text is still the position in the file; the normalizer collapses the
blanks. The link's text stays; an image goes whole, its alternative text too.
Reference-style links ("[text][label]", "[text][]", "[label]") are blanked
as inline ones when their label is defined, and the definitions
("[label]: https://example.org "Title"") go whole. Emphasis, headings and
list marks are punctuation, which the differ already reports as cosmetic.
"""

from __future__ import annotations

import re

VERSION = 2
"""Bumped whenever the text made of some Markdown file changes (an index reads such files again)."""

_TITLE = r"(?:[ \t]+(?:\"[^\"\n]*\"|'[^'\n]*'|\([^()\n]*\)))?[ \t]*"  # an optional "title"
_LINK = re.compile(
    r"(?P<image>!?)\[(?P<text>[^\[\]\n]*)\]"  # [text] or ![alt]
    r"\([ \t]*(?:<[^<>\n]*>|[^\s()<>]*)" + _TITLE + r"\)"  # (target "title")
)
_DEFINITION = re.compile(r"^ {0,3}\[(?P<label>[^\[\]\n]*[^\[\]\s][^\[\]\n]*)\]:[ \t]*(?:<[^<>\n]*>|[^\s<>]+)"
                         + _TITLE + "$", re.MULTILINE)
_REFERENCE = re.compile(r"(?P<image>!?)\[(?P<text>[^\[\]\n]*)\](?:\[(?P<label>[^\[\]\n]*)\])?(?![(:\[])")


def markdown_text(text: str) -> str:
    """Return `text` with the syntax of its links and its images replaced by spaces."""
    if "](" in text:
        text = _LINK.sub(_blanked, text)
    if "]:" not in text:
        return text
    labels = {_label(m.group("label")) for m in _DEFINITION.finditer(text)}
    if not labels:
        return text
    text = _DEFINITION.sub(lambda m: " " * len(m.group(0)), text)

    def reference(match: re.Match[str]) -> str:
        label = match.group("label") or match.group("text")  # "[text][]" and "[label]" name themselves
        return _blanked(match) if _label(label) in labels else match.group(0)

    return _REFERENCE.sub(reference, text)


def _label(label: str) -> str:
    """Return a link label as Markdown matches it: case and runs of blanks do not count."""
    return " ".join(label.split()).casefold()


def _blanked(match: re.Match[str]) -> str:
    whole = match.group(0)  # within one line: the patterns match no line end
    if match.group("image"):
        return " " * len(whole)
    start, end = match.start("text") - match.start(), match.end("text") - match.start()
    return " " * start + whole[start:end] + " " * (len(whole) - end)
