"""A fault of dedup's own on one file (a bug) costs that file, not the scan of all the others.

The faults are real ones, made by a reader (the extension point an engine
brings, `scan.Reader`) that hands the pipeline a document whose text is
bytes: the normalizer then raises its own TypeError, as a bug would.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dedup import differ, sources
from dedup.index import Bands
from dedup.options import ScanOptions
from dedup.render import Format, RenderOptions, render_scan
from dedup.scan import Group, PackedMember, Reader, ScanResult, Signed, compare_group, sign_batch

ROOT = Path(__file__).resolve().parent.parent
TEXT = ("The committee met on Tuesday in Darmstadt to discuss the budget for the coming year, and the chair "
        "thanked the members for their work on the report that was published last week. ") * 4


def reader_handing(bad: str, made: Callable[[str], Any]) -> Reader:
    """Read files as `sources.read` does, but hand over what `made` makes of the text of `bad`."""

    def read(candidate: sources.Candidate, options: ScanOptions) -> sources.Document | sources.Skipped:
        found = sources.read(candidate, options)
        if candidate.path == bad and isinstance(found, sources.Document):
            return sources.Document(found.path, made(found.text), found.encoding, found.kind)
        return found

    return read


def reader_failing_on(bad: str) -> Reader:
    """Hand over the text of `bad` as bytes: the normalizer raises its own TypeError."""
    return reader_handing(bad, str.encode)


def folder(tmp_path: Path) -> list[str]:
    paths = []
    for name, text in [("a.txt", TEXT), ("b.txt", TEXT.replace("Tuesday", "Monday")), ("c.txt", TEXT + "Thanks.")]:
        (tmp_path / name).write_text(text)
        paths.append(str(tmp_path / name))
    return paths


def test_a_file_dedup_fails_on_is_skipped_with_its_reason_and_the_others_are_signed(tmp_path: Path) -> None:
    a, b, c = folder(tmp_path)
    out = sign_batch([sources.Candidate(p, "text") for p in (a, b, c)], ScanOptions(), reader_failing_on(b))
    assert [type(item) for item in out] == [Signed, sources.Skipped, Signed]
    assert [item.path for item in out] == [a, b, c]
    skipped = out[1]
    assert isinstance(skipped, sources.Skipped) and skipped.reason == "internal-error"
    assert "TypeError" in skipped.detail and "report it as a bug" in skipped.detail


def test_a_member_dedup_fails_on_is_not_compared_and_says_why(tmp_path: Path, validate: Callable[[Any], None]) -> None:
    a, b, c = folder(tmp_path)
    options = ScanOptions()
    working = compare_group([a, b, c], options)
    assert [differ.not_compared_reason(p) for p in working] == [None, None, None]
    assert differ.packed_fields(working[1]), "the members' discrepancies are found when nothing fails"
    failed = compare_group([a, b, c], options, reader_failing_on(b))
    assert failed[0] == working[0] and failed[2] == working[2], "the other member is compared as ever"
    reason = differ.not_compared_reason(failed[1])
    assert reason is not None and reason.startswith("dedup failed (TypeError") and "report it as a bug" in reason

    members = tuple(PackedMember(p, "utf-8", "text", 100, 1.0, 1.0, text, a)
                    for p, text in zip([a, b, c], failed, strict=True))
    result = ScanResult(ScanOptions(), Bands(42, 3, 0.996), (Group(1, members),), (), (), 2, 2)
    report = json.loads(_rendered(result, Format.JSON))
    validate(report)
    shown = report["groups"][0]["documents"]
    assert [d.get("not_compared") for d in shown] == [None, reason, None]
    assert shown[1]["discrepancies"] == [] and shown[1]["summary"] == {} and shown[2]["discrepancies"]
    records = [json.loads(line) for line in _rendered(result, Format.JSONL).splitlines()]
    assert [d.get("not_compared") for d in records[1]["documents"]] == [None, reason, None]
    for side_by_side in (False, True):
        text = _rendered(result, Format.TEXT, side_by_side=side_by_side)
        assert text.count("not compared: dedup failed (TypeError") == 1


def test_when_the_reference_fails_no_member_is_compared(tmp_path: Path) -> None:
    a, b, c = folder(tmp_path)
    found = compare_group([a, b, c], ScanOptions(), reader_failing_on(a))
    assert found[0] == differ.pack(())
    assert all((differ.not_compared_reason(p) or "").startswith("the reference: dedup failed (TypeError")
               for p in found[1:])


def test_a_member_whose_file_cannot_be_read_again_is_not_compared(tmp_path: Path) -> None:
    a, b, c = folder(tmp_path)
    os.unlink(b)  # gone since it was signed
    found = compare_group([a, b, c], ScanOptions())
    reason = differ.not_compared_reason(found[1])
    assert reason is not None and reason.startswith("its file could not be read again (vanished")
    assert differ.not_compared_reason(found[2]) is None and differ.packed_fields(found[2])
    os.unlink(a)  # the reference too: nothing can be compared with it
    found = compare_group([a, c], ScanOptions())
    assert (differ.not_compared_reason(found[1]) or "").startswith("the reference: its file could not be read again")


class FaultyText(str):
    """A text whose case folding raises, as a bug in the fingerprints would: words_text hands it on as it is."""

    error: type[Exception] = RuntimeError

    def casefold(self) -> str:
        raise self.error("no case folding here")


class HugeText(FaultyText):
    error = MemoryError


def test_a_fault_in_the_fingerprints_costs_only_its_file(tmp_path: Path) -> None:
    a, b, c = folder(tmp_path)
    batch = [sources.Candidate(p, "text") for p in (a, b, c)]
    out = sign_batch(batch, ScanOptions(), reader_handing(b, FaultyText))
    assert [type(item) for item in out] == [Signed, sources.Skipped, Signed]
    skipped = out[1]
    assert isinstance(skipped, sources.Skipped) and skipped.reason == "internal-error"
    assert "RuntimeError: no case folding here" in skipped.detail
    good = sign_batch(batch, ScanOptions())
    assert [item.keys.tolist() for item in (out[0], out[2])] == [good[0].keys.tolist(), good[2].keys.tolist()]  # type: ignore[union-attr]


def test_running_out_of_memory_on_a_file_is_too_large_not_a_bug(tmp_path: Path) -> None:
    a, b, c = folder(tmp_path)
    out = sign_batch([sources.Candidate(p, "text") for p in (a, b, c)], ScanOptions(), reader_handing(b, HugeText))
    assert out[1] == sources.Skipped(b, "too-large", "dedup ran out of memory on it")


def _rendered(result: ScanResult, fmt: Format, side_by_side: bool = False) -> str:
    out = io.StringIO()
    render_scan(result, fmt, out, RenderOptions(width=200, side_by_side=side_by_side))
    return out.getvalue()


def test_dedup_debug_raises_the_fault_with_its_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a, b, _ = folder(tmp_path)
    monkeypatch.setenv("DEDUP_DEBUG", "1")
    with pytest.raises(TypeError):
        sign_batch([sources.Candidate(b, "text")], ScanOptions(), reader_failing_on(b))
    with pytest.raises(RuntimeError):
        sign_batch([sources.Candidate(p, "text") for p in (a, b)], ScanOptions(), reader_handing(b, FaultyText))
    with pytest.raises(TypeError):
        compare_group([a, b], ScanOptions(), reader_failing_on(b))


def test_log_lines_show_untrusted_paths_literally(tmp_path: Path) -> None:
    """A warning naming a path (here the index's) shows its control characters as escapes."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text(TEXT)
    index = str(tmp_path / "in\x1b[31mdex\x07.db")
    command = [sys.executable, "-m", "dedup", "scan", str(docs), "--index", index, "-q", "--format", "json"]
    first = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    assert first.returncode == 0, first.stderr
    again = subprocess.run([*command, "--num-perm", "64", "--rebuild"], capture_output=True, text=True, cwd=ROOT,
                           env=os.environ | {"NO_COLOR": "1"})
    assert again.returncode == 0, again.stderr
    assert "rebuilding the index at" in again.stderr
    assert "\x1b" not in again.stderr and "\x07" not in again.stderr
    assert "in\\x1b[31mdex\\x07.db" in again.stderr
