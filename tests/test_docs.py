"""README, --help and the changelog stay in sync."""

from __future__ import annotations

import re

import click
import pytest

from dedup.cli import ExitCode, cli
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_command_and_option_is_documented(command: str) -> None:
    assert f"dedup {command}" in README
    for param in cli.commands[command].params:
        if isinstance(param, click.Option):
            assert any(f"`{opt}" in README for opt in param.opts), f"{command} {param.opts} missing from README"


def test_every_exit_code_is_documented() -> None:
    for code in ExitCode:
        assert re.search(rf"^\| {code.value} \|", README, re.MULTILINE), code


def test_readme_test_command_is_what_ci_runs() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()[-1]
    assert f"\n{ci}\n" in README


def test_every_skip_reason_the_code_can_give_is_documented() -> None:
    sources = (ROOT / "dedup" / "sources.py").read_text(encoding="utf-8")
    extract = (ROOT / "dedup" / "extract.py").read_text(encoding="utf-8")
    reasons = set(re.findall(r'Skipped\([^,]+, "([a-z-]+)"', sources))
    reasons |= set(re.findall(r'ExtractionFailed\(\s*"([a-z-]+)"', extract))
    assert {"hidden", "encrypted", "extraction-timeout"} <= reasons
    for reason in reasons:
        assert f"`{reason}`" in README, reason


def test_the_changelog_is_well_formed_and_holds_each_entry_once() -> None:
    # A scripted edit once wrote an entry between every two characters of it (3ae65a7: 68 MB, 644,521 lines).
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    headings = re.findall(r"^#+ .*", text, re.MULTILINE)
    assert headings[:2] == ["# Changelog", "## [Unreleased]"]
    entries = [entry.strip() for entry in re.split(r"^- ", text, flags=re.MULTILINE)[1:]]
    assert len(entries) == len(set(entries))
    assert all(line == "" or line.startswith(("#", "- ", "  ", "All notable")) for line in text.splitlines())
