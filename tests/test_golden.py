"""Golden cases: tests/cases/<name>/ holds input files, `args` (one CLI argument a line) and `expected.json`.

Run with DEDUP_UPDATE_GOLDEN=1 to rewrite the expected files after a deliberate change; review the diff.
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from dedup.cli import cli

CASES = sorted(p for p in (Path(__file__).parent / "cases").iterdir() if (p / "args").is_file())


def stable(report: dict[str, Any]) -> dict[str, Any]:
    report["tool"]["version"] = "*"
    return report


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden_case(case: Path, monkeypatch: pytest.MonkeyPatch, validate: Callable[[Any], None]) -> None:
    monkeypatch.chdir(case)
    args = (case / "args").read_text(encoding="utf-8").splitlines()
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    report = stable(json.loads(result.stdout))
    validate(report)
    got = json.dumps(report, indent=2, ensure_ascii=False) + "\n"
    expected_file = case / "expected.json"
    if os.environ.get("DEDUP_UPDATE_GOLDEN"):
        expected_file.write_text(got, encoding="utf-8")
    expected = expected_file.read_text(encoding="utf-8")
    if got != expected:
        diff = "".join(difflib.unified_diff(expected.splitlines(True), got.splitlines(True), "expected", "got"))
        pytest.fail(f"report differs from {expected_file}:\n{diff}")
