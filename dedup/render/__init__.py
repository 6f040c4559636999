"""Output formats behind one interface: the CLI picks a `Format`, the renderer writes the report."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TextIO, assert_never

from dedup.differ import Comparison
from dedup.scan import ScanResult


class Format(StrEnum):
    """The report formats."""

    TEXT = "text"
    JSON = "json"
    JSONL = "jsonl"


@dataclass(frozen=True)
class RenderOptions:
    """How the terminal report looks; JSON ignores all but nothing here changes its content."""

    color: bool = False
    show_all: bool = False
    side_by_side: bool = False
    width: int | None = None


def render_scan(result: ScanResult, fmt: Format, out: TextIO, options: RenderOptions) -> None:
    """Write the report of a scan to `out` in format `fmt` (rich is imported for the terminal only)."""
    match fmt:
        case Format.TEXT:
            from dedup.render import terminal

            terminal.write_scan(result, terminal.console(out, options), options)
        case Format.JSON:
            from dedup.render import json

            json.write_scan(result, out)
        case Format.JSONL:
            from dedup.render import json

            json.write_scan_records(result, out)
        case _:
            assert_never(fmt)


def render_diff(comparison: Comparison, fmt: Format, out: TextIO, options: RenderOptions) -> None:
    """Write the report of a diff to `out` in format `fmt` (JSONL is one line of JSON)."""
    match fmt:
        case Format.TEXT:
            from dedup.render import terminal

            terminal.write_diff(comparison, terminal.console(out, options), options)
        case Format.JSON | Format.JSONL:
            from dedup.render import json

            json.write_diff(comparison, out, one_line=fmt is Format.JSONL)
        case _:
            assert_never(fmt)
