"""JSON and JSON Lines output.

Text is written as UTF-8 with three kinds of characters escaped as \\uXXXX so
that the output is safe to show in a terminal and always encodable: C1
controls, bidirectional overrides and lone surrogates (which stand for bytes of
a file name that are not UTF-8; decode them with "surrogateescape").
"""

from __future__ import annotations

import json
import re
from typing import Any, TextIO

from dedup.differ import Comparison
from dedup.report import diff_report, scan_records, scan_report
from dedup.scan import ScanResult

_UNSAFE = re.compile("[\u0080-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def dumps(data: Any, indent: int | None = 2) -> str:
    """Serialize `data` as terminal-safe JSON."""
    text = json.dumps(data, ensure_ascii=False, indent=indent)
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def write_scan(result: ScanResult, out: TextIO) -> None:
    out.write(dumps(scan_report(result)) + "\n")


def write_scan_records(result: ScanResult, out: TextIO) -> None:
    for record in scan_records(result):
        out.write(dumps(record, indent=None) + "\n")
        out.flush()


def write_diff(comparison: Comparison, out: TextIO, one_line: bool = False) -> None:
    out.write(dumps(diff_report(comparison), indent=None if one_line else 2) + "\n")
