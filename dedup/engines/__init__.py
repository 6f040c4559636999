"""Engines beyond one machine's processes; the local engine is `dedup.scan.scan` itself."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from dedup.errors import DedupError

if TYPE_CHECKING:
    from dedup.options import ScanOptions
    from dedup.scan import Progress, ScanResult


class EngineError(DedupError):
    """An engine cannot run: not installed, its cluster unreachable, or its workers unfit."""


def scan_on_dask(paths: Sequence[str], options: ScanOptions, progress: Progress) -> ScanResult:
    """Run the scan with the Dask engine (dedup.engines.dask), importing Dask only now.

    Raises:
        EngineError: the dask extra is not installed, or the cluster cannot be used.
    """
    try:
        from dedup.engines import dask as engine
    except ImportError as err:
        raise EngineError(f"--engine dask needs Dask: pip install 'dedup[dask]' ({err})") from err
    return engine.scan(paths, options, progress)
