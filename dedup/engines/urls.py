"""Sources beyond the local disk: fsspec URLs (s3://, gs://, file://, …).

A URL's folder is walked with the same rules as a local folder (hidden
names, --include, --exclude, --max-bytes, supported suffixes) and its files
are reported as the user spelled the URL, with the relative path appended.
The URL is listed on the driver; a file's bytes are fetched on the worker
that signs it and decoded by `sources.read` itself (through a private
temporary file), so that a remote file is decoded, extracted and skipped
exactly as a local one.
"""

from __future__ import annotations

import fnmatch
import os
import tempfile
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Any

from dedup import sources
from dedup.errors import SourceError
from dedup.options import ScanOptions


def is_url(path: str) -> bool:
    """Tell whether a path names an fsspec URL rather than a local file."""
    return "://" in path


def discover(url: str, options: ScanOptions) -> Iterator[sources.Candidate | sources.Skipped]:
    """Walk a URL's files in a stable order.

    Raises:
        SourceError: the URL does not exist, or its fsspec backend is not installed.
    """
    fs, root = _filesystem(url)
    try:
        if not fs.exists(root):
            raise SourceError(f"no such file or folder: {url}")
        if not fs.isdir(root):
            yield _classify(url, PurePosixPath(root).name, fs.info(root), options, explicit=True)
            return
        base = url.rstrip("/")
        for dirpath, dirs, files in fs.walk(root, detail=True, topdown=True):
            rel_dir = _relative(root, dirpath)
            for name in sorted(dirs):
                rel = f"{rel_dir}{name}"
                if name.startswith(".") and not options.hidden:
                    yield sources.Skipped(
                        f"{base}/{rel}", "hidden", "hidden folder (use --hidden to scan it)"
                    )
                    del dirs[name]
                elif _matches(rel, name, options.exclude):
                    yield sources.Skipped(f"{base}/{rel}", "excluded", "folder matches --exclude")
                    del dirs[name]
            for name in sorted(files):
                yield _classify(
                    f"{base}/{rel_dir}{name}",
                    f"{rel_dir}{name}",
                    files[name],
                    options,
                    explicit=False,
                )
    except OSError as err:
        raise SourceError(f"cannot list {url}: {err}") from err


def read(candidate: sources.Candidate, options: ScanOptions) -> sources.Document | sources.Skipped:
    """Read one file, by URL or local path; every failure becomes a `Skipped` with its reason."""
    if not is_url(candidate.path):
        return sources.read(candidate, options)
    url = candidate.path
    try:
        fs, path = _filesystem(url)
        size = fs.size(path)
        if size is not None and size > options.max_bytes:
            return sources.Skipped(
                url, "too-large", f"{size} bytes, over --max-bytes {options.max_bytes}"
            )
        data = fs.cat_file(path, start=0, end=options.max_bytes + 1)
    except FileNotFoundError as err:
        return sources.Skipped(url, "vanished", str(err) or "no longer there")
    except (OSError, SourceError) as err:
        return sources.Skipped(url, "unreadable", str(err))
    except Exception as err:  # a filesystem library's own error (an HTTP status, say): the URL cannot be read
        return sources.Skipped(url, "unreadable", f"{type(err).__name__}: {err}")
    with tempfile.TemporaryDirectory(prefix="dedup-") as folder:
        local = os.path.join(folder, "document" + PurePosixPath(path).suffix)
        with open(local, "wb") as fh:
            fh.write(data)
        found = sources.read(sources.Candidate(local, candidate.kind), options)
    if isinstance(found, sources.Skipped):
        return sources.Skipped(url, found.reason, found.detail.replace(local, url))
    return sources.Document(url, found.text, found.encoding, found.kind)


def _filesystem(url: str) -> tuple[Any, str]:
    try:
        import fsspec
    except ImportError as err:  # fsspec comes with the dask extra
        raise SourceError(f"{url}: URLs need fsspec: pip install 'dedup[dask]'") from err
    try:
        return fsspec.core.url_to_fs(url)
    except (
        ImportError,
        ValueError,
    ) as err:  # ImportError: the protocol's backend (s3fs, gcsfs, …) is missing
        raise SourceError(f"{url}: {err}") from err


def _relative(root: str, dirpath: str) -> str:
    """Return dirpath relative to root, as a prefix ending in "/" (empty at the root)."""
    rel = PurePosixPath(dirpath).relative_to(PurePosixPath(root)).as_posix()
    return "" if rel == "." else f"{rel}/"


def _classify(
    url: str, rel: str, info: dict[str, Any], options: ScanOptions, explicit: bool
) -> sources.Candidate | sources.Skipped:
    name = PurePosixPath(rel).name
    if not explicit:
        if name.startswith(".") and not options.hidden:
            return sources.Skipped(url, "hidden", "hidden file (use --hidden to scan it)")
        if _matches(rel, name, options.exclude):
            return sources.Skipped(url, "excluded", "matches --exclude")
        if options.include and not _matches(rel, name, options.include):
            return sources.Skipped(url, "not-included", "matches no --include pattern")
    size = info.get("size")
    if size is not None and size > options.max_bytes:
        return sources.Skipped(
            url, "too-large", f"{size} bytes, over --max-bytes {options.max_bytes}"
        )
    suffix = PurePosixPath(name).suffix.lower()
    kind = sources.TEXT_KINDS.get(suffix) or sources.EXTRACTED_KINDS.get(suffix)
    if kind is None:
        return sources.Skipped(
            url, "unsupported", f"unsupported file type {suffix or '(no extension)'}"
        )
    return sources.Candidate(url, kind)


def _matches(rel: str, name: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatch(rel, p) or fnmatch.fnmatch(name, p) for p in patterns)
