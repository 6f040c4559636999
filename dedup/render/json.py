"""JSON and JSON Lines output.

Text is written as UTF-8 with three kinds of characters escaped as \\uXXXX so
that the output is safe to show in a terminal and always encodable: C1
controls, bidirectional overrides and lone surrogates (which stand for bytes of
a file name that are not UTF-8; decode them with "surrogateescape").

The scan report is laid out one entry a line down to the items of its lists
(a group, a unique document, a skipped file, a new document each on a line of
its own), so that it reads and greps well. Each line is made by orjson, ten
times faster than the json module on a report of 100,000 documents; the json
module takes over for what orjson refuses (lone surrogates, integers beyond 64
bits).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any, TextIO

import orjson

from dedup import collecting
from dedup.differ import Comparison
from dedup.report import diff_report, scan_records, scan_report
from dedup.scan import ScanResult

_UNSAFE = re.compile("[\u0080-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_ONE_LINE = json.JSONEncoder(ensure_ascii=False, check_circular=False)  # a report holds no cycles
_CHUNK = 1 << 16  # characters written at a time


def dumps(data: Any, indent: int | None = 2) -> str:
    """Serialize `data` as terminal-safe JSON."""
    text = json.dumps(data, ensure_ascii=False, indent=indent)
    return _safe(text)


def _one_line(value: Any) -> str:
    """Return the compact JSON of `value`."""
    try:
        return orjson.dumps(value).decode()
    except orjson.JSONEncodeError:  # a lone surrogate (file-name bytes that are not UTF-8), a huge integer
        return _ONE_LINE.encode(value)


def _safe(text: str) -> str:
    if text.isascii():  # nothing to escape, and asking costs nothing (CPython records it)
        return text
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def write_scan(result: ScanResult, out: TextIO) -> None:
    buffered: list[str] = []
    size = 0
    with collecting.paused():  # the report's dicts hold no cycles
        for part in _spread(scan_report(result), 0):
            buffered.append(part)
            size += len(part)
            if size >= _CHUNK:
                out.write(_safe("".join(buffered)))
                buffered.clear()
                size = 0
    out.write(_safe("".join(buffered)) + "\n")


def _spread(value: Any, depth: int) -> Iterator[str]:
    """Yield the JSON of `value`, an object spread over indented lines while shallow.

    A list of objects in it has one object a line; anything deeper is written on one line.
    """
    inner = "\n" + "  " * (depth + 1)
    if isinstance(value, dict) and value and depth < 2:
        yield "{"
        for n, (key, item) in enumerate(value.items()):
            yield f"{',' if n else ''}{inner}{_one_line(str(key))}: "
            yield from _spread(item, depth + 1)
        yield "\n" + "  " * depth + "}"
    elif isinstance(value, list) and value and isinstance(value[0], dict):
        yield "["  # item by item: the lines of a million unique documents joined would be one more copy
        for n, item in enumerate(value):
            yield f"{',' if n else ''}{inner}{_one_line(item)}"
        yield f"\n{'  ' * depth}]"
    else:
        yield _one_line(value)


def write_scan_records(result: ScanResult, out: TextIO) -> None:
    for record in scan_records(result):
        out.write(_safe(_one_line(record)) + "\n")
        out.flush()


def write_diff(comparison: Comparison, out: TextIO, one_line: bool = False) -> None:
    out.write(dumps(diff_report(comparison), indent=None if one_line else 2) + "\n")
