from __future__ import annotations

import json
import signal
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner, Result

from dedup.cli import cli

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
SEEDS = ROOT.parent / "shared" / "seeds"
SEED_WEB = SAMPLES / "dstgb-digitalstadt" / "web.txt"
SEED_PDF = SAMPLES / "dstgb-digitalstadt" / "pdf-extract.txt"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: limit tests that take minutes (run with -m slow)")
    # A shell without job control starts background commands with SIGINT ignored, and a child
    # inherits that: the tests that send dedup Ctrl-C need it to arrive, however pytest was started.
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(scope="session")
def schema() -> dict[str, Any]:
    text = resources.files("dedup").joinpath("schema/report.schema.json").read_text(encoding="utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def validate(schema: dict[str, Any]) -> Callable[[Any], None]:
    validator = jsonschema.Draft202012Validator(schema)

    def check(document: Any) -> None:
        validator.validate(document)

    return check


@pytest.fixture
def run() -> Callable[..., Result]:
    """Run the CLI in-process; stdout and stderr are kept apart (click >= 8.2)."""

    def invoke(*args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)

    return invoke


def write(folder: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path
