"""All settings that shape a scan, in one frozen object built once at the CLI edge."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from dedup.errors import OptionsError

DEFAULT_MAX_BYTES = 64 * 1024 * 1024
ENGINES = ("local", "dask")


@dataclass(frozen=True)
class ScanOptions:
    """Settings of one scan.

    Args:
        threshold: exact Jaccard similarity of word shingles at or above which
            two documents are near-duplicates.
        containment: share of the smaller document's shingles found in the
            larger one at or above which two documents are grouped as well
            (an excerpt, or a version with an extra header or footer).
        shingle_size: words per shingle.
        num_perm: MinHash permutations (signature length).
        seed: seed of the MinHash permutations; the same seed gives the same report.
        include: glob patterns a file must match (none: every supported file).
        exclude: glob patterns that skip a file or folder.
        hidden: also scan hidden files and folders (names starting with a dot).
        follow_symlinks: follow symbolic links (loops are detected).
        max_bytes: files larger than this are skipped as too large.
        jobs: processes that read and fingerprint files (0: one per core).
        engine: what runs the scan: "local" (processes on this machine) or "dask" (a Dask cluster).
        scheduler: address of the Dask scheduler to run on (tcp://HOST:PORT); None starts a
            LocalCluster with `jobs` workers. Only with engine "dask"; recorded only when given.
    """

    threshold: float = 0.5
    containment: float = 0.8
    shingle_size: int = 5
    num_perm: int = 128
    seed: int = 1
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    hidden: bool = False
    follow_symlinks: bool = False
    max_bytes: int = DEFAULT_MAX_BYTES
    jobs: int = 0
    engine: str = field(default="local")
    scheduler: str | None = None

    def __post_init__(self) -> None:
        if not 0.0 < self.threshold <= 1.0:
            raise OptionsError(f"--threshold must be in (0, 1], got {self.threshold}")
        if not 0.0 < self.containment <= 1.0:
            raise OptionsError(f"--containment must be in (0, 1], got {self.containment}")
        if not 1 <= self.shingle_size <= 20:
            raise OptionsError(f"--shingle-size must be between 1 and 20, got {self.shingle_size}")
        if not 16 <= self.num_perm <= 1024:
            raise OptionsError(f"--num-perm must be between 16 and 1024, got {self.num_perm}")
        if not 0 <= self.seed < 2**32:
            raise OptionsError(f"--seed must be between 0 and 2**32 - 1, got {self.seed}")
        if self.jobs < 0:
            raise OptionsError(f"--jobs must be 0 (all cores) or more, got {self.jobs}")
        if self.max_bytes < 1:
            raise OptionsError(f"--max-bytes must be positive, got {self.max_bytes}")
        if self.engine not in ENGINES:
            raise OptionsError(f"--engine must be one of {', '.join(ENGINES)}, got {self.engine!r}")
        if self.scheduler is not None and self.engine != "dask":
            raise OptionsError("--scheduler needs --engine dask")

    def to_dict(self) -> dict[str, Any]:
        """Return the settings as JSON-ready data."""
        data = asdict(self)
        data["include"] = list(self.include)
        data["exclude"] = list(self.exclude)
        if self.scheduler is None:  # the report names a cluster only when the user chose one
            del data["scheduler"]
        return data
