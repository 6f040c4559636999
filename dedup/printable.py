"""Untrusted text made safe to print: every control, C1, bidi and surrogate character shown as an escape."""

from __future__ import annotations

import re

_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_NAMES = {"\n": "\u21b5", "\t": " "}


def printable(text: str) -> str:
    """Return `text` with every control, C1, bidi and surrogate character shown as an escape."""
    return _UNSAFE.sub(lambda m: _NAMES.get(m.group()) or _escape(m.group()), text)


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
