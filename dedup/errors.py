"""The one exception family of dedup; the CLI turns each into a single line on stderr."""

from __future__ import annotations


class DedupError(Exception):
    """Base of every error dedup raises on purpose."""


class OptionsError(DedupError):
    """A setting is out of range or inconsistent."""


class SourceError(DedupError):
    """A path given by the user cannot be scanned at all."""


class ReportError(DedupError):
    """The report cannot be written where it was asked for."""
