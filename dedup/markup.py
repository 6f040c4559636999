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

VERSION = 3
"""Bumped whenever the text made of some Markdown file changes (an index reads such files again)."""

_TITLE = r"(?:[ \t]+(?:\"[^\"\n]*\"|'[^'\n]*'|\([^()\n]*\)))?[ \t]*"  # an optional "title"
_LINK = re.compile(
    r"(?P<image>!?)\[(?P<text>[^\[\]\n]*)\]"  # [text] or ![alt]
    r"\([ \t]*(?:<[^<>\n]*>|[^\s()<>]*)" + _TITLE + r"\)"  # (target "title")
)
_DEFINITION = re.compile(r"^ {0,3}\[(?P<label>(?!\^)[^\[\]\n]*[^\[\]\s][^\[\]\n]*)\]:[ \t]*(?:<[^<>\n]*>|[^\s<>]+)"
                         + _TITLE + "\r?$", re.MULTILINE)  # ("[^1]: …" is a footnote, GitHub's)
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})", re.MULTILINE)
_CODE_SPAN = re.compile(r"(?<!`)(`{1,2})(?!`)[^`\n]+?(?<!`)\1(?!`)")  # `code` or ``code``, on one line
_REFERENCE = re.compile(r"(?P<image>!?)\[(?P<text>[^\[\]\n]*)\](?:\[(?P<label>[^\[\]\n]*)\])?(?![(:\[])")


def markdown_text(text: str) -> str:
    """Return `text` with the syntax of its links and its images replaced by spaces (not in code)."""
    if "](" not in text and "]:" not in text:
        return text
    code = (_fenced(text) if "```" in text or "~~~" in text else []) + [m.span() for m in _CODE_SPAN.finditer(text)]
    if "](" in text:
        text = _LINK.sub(lambda m: m.group(0) if _inside(m.start(), code) else _blanked(m), text)
    if "]:" not in text:
        return text
    definitions = _definitions(text, code)
    if not definitions:
        return text
    labels = {_label(m.group("label")) for m in definitions}
    starts = {m.start() for m in definitions}
    text = _DEFINITION.sub(lambda m: _spaces(m.group(0)) if m.start() in starts else m.group(0), text)  # one pass

    def reference(match: re.Match[str]) -> str:
        label = match.group("label") or match.group("text")  # "[text][]" and "[label]" name themselves
        return _blanked(match) if _label(label) in labels and not _inside(match.start(), code) else match.group(0)

    return _REFERENCE.sub(reference, text)


def _definitions(text: str, code: list[tuple[int, int]]) -> list[re.Match[str]]:
    """Return the link definitions: out of fenced code, each after a blank line or another definition.

    (A definition cannot interrupt a paragraph: "…Strecken.\\n[Hinweis]: vorläufig" is text.)
    """
    found: list[re.Match[str]] = []
    for m in _DEFINITION.finditer(text):
        line_end = m.start() - 1  # the line before ends here
        before = text[text.rfind("\n", 0, max(line_end, 0)) + 1 : max(line_end, 0)]
        follows = m.start() == 0 or not before.strip() or (found and found[-1].end() + 1 == m.start())
        if follows and not _inside(m.start(), code):
            found.append(m)
    return found


def _fenced(text: str) -> list[tuple[int, int]]:
    """Return the spans of the fenced code blocks (``` or ~~~ up to a fence as long, or the end)."""
    spans: list[tuple[int, int]] = []
    opened: re.Match[str] | None = None
    for m in _FENCE.finditer(text):
        if opened is None:
            opened = m
        elif m.group(1)[0] == opened.group(1)[0] and len(m.group(1)) >= len(opened.group(1)):
            spans.append((opened.start(), m.end()))
            opened = None
    if opened is not None:
        spans.append((opened.start(), len(text)))
    return spans


def _inside(position: int, spans: list[tuple[int, int]]) -> bool:
    return any(start <= position < end for start, end in spans)


def _spaces(line: str) -> str:
    """Return a space for each character of a line, its carriage return kept."""
    return " " * len(line.rstrip("\r")) + "\r" * line.endswith("\r")


def _label(label: str) -> str:
    """Return a link label as Markdown matches it: case and runs of blanks do not count."""
    return " ".join(label.split()).casefold()


def _blanked(match: re.Match[str]) -> str:
    whole = match.group(0)  # within one line: the patterns match no line end
    if match.group("image"):
        return " " * len(whole)
    start, end = match.start("text") - match.start(), match.end("text") - match.start()
    return " " * start + whole[start:end] + " " * (len(whole) - end)
