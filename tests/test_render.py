"""Renderers on canned results: no MinHash, no files."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from typing import Any

from dedup.differ import Category, Comparison, Discrepancy, Position
from dedup.index import Bands
from dedup.options import ScanOptions
from dedup.printable import printable
from dedup.render import Format, RenderOptions, render_diff, render_scan
from dedup.report import scan_report
from dedup.scan import Group, Member, ScanResult, Unique
from dedup.sources import Skipped


def discrepancy(category: Category, kind: str, a: str, b: str, severity: str = "major") -> Discrepancy:
    return Discrepancy(
        category, kind, severity, a, b, Position("ref.txt", 3, 7), Position("copy.txt", 4, 1),
        ("der Sprecher ", " betonte die"), ("der Sprecher ", " betonte die"),
    )


NAME = discrepancy(Category.NAME, "removed", "Handschuh", "")
INFLECTION = discrepancy(Category.INFLECTION, "changed", "Darmstadts", "Darmstadt")
COMMA = discrepancy(Category.PUNCTUATION, "changed", ",", ";", "minor")


def result(*found: Discrepancy, path: str = "copy.txt") -> ScanResult:
    members = (
        Member("ref.txt", "utf-8", "text", 120, 1.0, 1.0, ()),
        Member(path, "cp1252", "text", 118, 0.9, 0.95, tuple(found)),
    )
    return ScanResult(
        options=ScanOptions(),
        bands=Bands(42, 3, 0.996),
        groups=(Group(1, members),),
        unique=(Unique("other.md", "utf-8", "markdown", 50),),
        skipped=(Skipped("logo.png", "unsupported", "unsupported file type .png"),),
        candidate_pairs=2,
        verified_pairs=1,
    )


def text_of(scan: ScanResult, **options: Any) -> str:
    out = io.StringIO()
    render_scan(scan, Format.TEXT, out, RenderOptions(width=100, **options))
    return out.getvalue()


def test_text_report_without_colour_marks_changes_in_text() -> None:
    assert text_of(result(NAME, INFLECTION, COMMA)) == (
        "Group 1 · 2 documents · reference ref.txt (120 words)\n"
        "  copy.txt  similarity 0.90, containment 0.95\n"
        "    1 inflection, 1 name; 1 minor hidden (--all shows them)\n"
        "    name removed  ref.txt:3:7 → copy.txt:4:1\n"
        "      …der Sprecher [-Handschuh-] betonte die…\n"
        "    inflection changed  ref.txt:3:7 → copy.txt:4:1\n"
        "      …der Sprecher [-Darmstadts-]{+Darmstadt+} betonte die…\n"
        "\n"
        "Unique (1): no near-duplicate found\n"
        "  other.md\n"
        "\n"
        "Skipped (1)\n"
        "  logo.png  unsupported: unsupported file type .png\n"
    )


def test_all_shows_cosmetic_discrepancies() -> None:
    out = text_of(result(COMMA), show_all=True)
    assert "1 punctuation\n" in out
    assert "[-,-]{+;+}" in out


def test_colour_uses_ansi_styles_only_when_asked() -> None:
    assert "\x1b[" not in text_of(result(NAME))
    coloured = text_of(result(NAME), color=True)
    assert "\x1b[" in coloured and "Handschuh" in coloured and "[-" not in coloured


def test_side_by_side_puts_each_version_in_a_column() -> None:
    out = text_of(result(INFLECTION), side_by_side=True)
    row = next(line for line in out.splitlines() if "Darmstadts" in line)
    assert row.index("[-Darmstadts-]") < row.index("{+Darmstadt+}")


HOSTILE = "\x1b]8;;http://evil\x1b\\click\x1b[2J\r\b[bold red]boom[/] [link=http://x]y[/link] \u202eevil\x9b31m"


def test_document_text_and_names_are_shown_literally() -> None:
    evil = discrepancy(Category.WORD, "changed", HOSTILE, "[/]")
    for options in ({}, {"color": True}, {"side_by_side": True}, {"color": True, "side_by_side": True}):
        out = text_of(result(evil, path="name\x1b[31m[red]x.txt"), **options)
        assert re.search("\x1b(?!\\[[0-9;]*m)", out) is None  # no escape but our own colours
        for char in ("\r", "\b", "\u202e", "\x9b"):
            assert char not in out
        squashed = "".join(re.sub("\x1b\\[[0-9;]*m", "", out).split())
        assert "[boldred]boom[/]" in squashed and "[link=http://x]y[/link]" in squashed
        assert "\\x1b]8;;http://evil" in squashed and "\\u202eevil" in squashed
        assert "name\\x1b[31m[red]x.txt" in squashed


def test_printable_escapes_controls_and_keeps_text() -> None:
    assert printable("a\x1b[1mb\tc\nd\u200fe\x9bf") == "a\\x1b[1mb c\u21b5d\\u200fe\\x9bf"
    assert printable("Grüße „x“ — ok") == "Grüße „x“ — ok"


def test_json_report_validates_and_accounts_for_every_file(validate: Callable[[Any], None]) -> None:
    out = io.StringIO()
    render_scan(result(NAME, COMMA), Format.JSON, out, RenderOptions())
    report = json.loads(out.getvalue())
    validate(report)
    stats = report["stats"]
    assert stats["files_seen"] == stats["grouped_documents"] + stats["unique_documents"] + stats["skipped"] == 4
    member = report["groups"][0]["documents"][1]
    assert member["summary"] == {"name": 1, "punctuation": 1}
    assert member["discrepancies"][0]["context"] == "der Sprecher Handschuh betonte die"


def test_jsonl_is_one_valid_record_per_line(validate: Callable[[Any], None]) -> None:
    out = io.StringIO()
    render_scan(result(NAME), Format.JSONL, out, RenderOptions())
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["type"] for r in records] == ["header", "group", "unique", "skipped", "stats"]
    for record in records:
        validate(record)


def test_json_escapes_what_a_terminal_would_act_on_and_survives_surrogates() -> None:
    out = io.StringIO()
    render_scan(result(discrepancy(Category.WORD, "changed", HOSTILE + "\x00", "b"), path="bad\udcff.txt"),
                Format.JSON, out, RenderOptions())
    text = out.getvalue()
    assert "\x1b" not in text and "\u202e" not in text and "\x9b" not in text
    text.encode("utf-8")  # no lone surrogate left
    report = json.loads(text)
    assert report["groups"][0]["documents"][1]["path"] == "bad\udcff.txt"
    assert report["groups"][0]["documents"][1]["discrepancies"][0]["a_text"] == HOSTILE + "\x00"


def test_json_report_has_one_group_document_or_skipped_file_a_line() -> None:
    out = io.StringIO()
    scan = result(NAME, COMMA, path="copy\u202e\x9b.txt")
    render_scan(scan, Format.JSON, out, RenderOptions())
    text = out.getvalue()
    assert json.loads(text) == json.loads(json.dumps(scan_report(scan)))  # the report, as data
    lines = text.splitlines()
    assert lines[0] == "{" and lines[-1] == "}" and text.endswith("}\n")
    items = {key: lines.index(f'  "{key}": [') for key in ("groups", "unique", "skipped")}
    assert json.loads(lines[items["groups"] + 1])["documents"][1]["path"] == "copy\u202e\x9b.txt"
    assert json.loads(lines[items["unique"] + 1])["path"] == "other.md"
    assert json.loads(lines[items["skipped"] + 1])["reason"] == "unsupported"
    assert lines[items["skipped"] + 2] == "  ]"
    assert "\u202e" not in text and "\x9b" not in text


def test_diff_report_json_and_text(validate: Callable[[Any], None]) -> None:
    comparison = Comparison("ref.txt", "copy.txt", 0.9, (NAME,))
    out = io.StringIO()
    render_diff(comparison, Format.JSON, out, RenderOptions())
    validate(json.loads(out.getvalue()))
    out = io.StringIO()
    render_diff(comparison, Format.TEXT, out, RenderOptions(width=80))
    assert out.getvalue().splitlines()[:2] == ["ref.txt ↔ copy.txt  similarity 0.90", "  1 name"]


def test_json_lines_survive_a_surrogate_next_to_plain_records() -> None:
    out = io.StringIO()
    scan = result(NAME, path="bad\udcff.txt")
    render_scan(scan, Format.JSONL, out, RenderOptions())
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert records[1]["documents"][1]["path"] == "bad\udcff.txt"
    assert records[2]["path"] == "other.md"
    out.getvalue().encode("utf-8")  # the surrogate is escaped, not written
