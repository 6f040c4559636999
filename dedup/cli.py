"""The command line: parse options into one config, call the library, hand the result to a renderer.

This is the only module that prints, exits, or configures logging.
"""

from __future__ import annotations

import logging
import os
import stat
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from enum import IntEnum
from functools import wraps
from typing import Any, TextIO, TypeVar

import click

from dedup import __version__
from dedup.errors import DedupError, ReportError
from dedup.options import DEFAULT_MAX_BYTES, ScanOptions
from dedup.printable import printable

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])
PROGRESS_MIN_FILES = 200


class ExitCode(IntEnum):
    """Exit statuses (the table in README.md)."""

    OK = 0
    DUPLICATES_FOUND = 1
    ERROR = 2
    INTERRUPTED = 130


def output_options(func: F) -> F:
    """Options that shape the report, shared by `scan` and `diff`."""
    decorators = [
        click.option("--format", "fmt", type=click.Choice(["text", "json", "jsonl"]), default="text",
                     show_default=True, help="Report format on stdout."),
        click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True,
                     help="Colour the text report (auto: when stdout is a terminal and NO_COLOR is unset)."),
        click.option("--all", "show_all", is_flag=True, help="Also show cosmetic discrepancies (punctuation, case)."),
        click.option("--side-by-side", is_flag=True, help="Show the two versions of each discrepancy in columns."),
        click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True, readable=False), default=None,
                     help="Write the report to this file (a regular file is replaced atomically) instead of stdout."),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


def index_options(func: F) -> F:
    """--index and --rebuild of `scan`: with --index the scan goes through a persistent index."""

    @click.option("--index", "index_location", metavar="PATH|URL", default=None,
                  help="Keep a persistent index in this SQLite file (created on first use) or PostgreSQL URL; "
                       "a rescan reads only new and changed files.")
    @click.option("--rebuild", is_flag=True,
                  help="With --index: build the index anew when it was made with other parameters.")
    @wraps(func)
    def wrapper(*args: Any, index_location: str | None, rebuild: bool, **kwargs: Any) -> Any:
        if index_location is None:
            if rebuild:
                raise click.UsageError("--rebuild needs --index")
            return func(*args, **kwargs)
        return _scan_with_index(index_location, rebuild, **kwargs)

    return wrapper  # type: ignore[return-value]


def _scan_with_index(location: str, rebuild: bool, paths: tuple[str, ...], fmt: str, color: str, show_all: bool,
                     side_by_side: bool, output: str | None, quiet: bool, fail_on_duplicates: bool,
                     **settings: Any) -> None:
    """Run `scan --index`: the report holds what this scan changed; stderr says so in short."""
    from dataclasses import fields

    from dedup.incremental import scan as scan_indexed

    names = {f.name for f in fields(ScanOptions)}
    options = ScanOptions(**{k: v for k, v in settings.items() if k in names})
    _refuse_to_replace_a_document(output, paths)
    with _progress(quiet) as progress:
        result = scan_indexed(list(paths), location, options, rebuild, progress)
    _write_scan(result, fmt, color, show_all, side_by_side, output)
    if not quiet:
        for line in _index_lines(result.index):
            click.echo(line, err=True)
    if fail_on_duplicates and result.groups:
        sys.exit(ExitCode.DUPLICATES_FOUND)


_LISTED = 20  # changes listed on stderr per kind; the JSON report has them all


def _counted(n: int, noun: str) -> str:
    """Return the count and the noun, plural unless the count is one: "1 group", "0 groups", "2 groups"."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _index_lines(summary: Any) -> Iterator[str]:
    """Say on stderr what a scan changed in the index, and which groups the documents joined or left."""
    counts = {kind: len(summary.of(kind)) for kind in ("new", "changed", "renamed", "removed")}
    yield (f"dedup: index {summary.location} (scan {summary.scan}): {_counted(summary.documents, 'document')}; "
           + ", ".join(f"{n} {kind}" for kind, n in counts.items())
           + f", {summary.unchanged + summary.touched} unchanged; "
           + f"{_counted(len(summary.groups_changed), 'group')} changed")
    if summary.resumed:
        yield f"dedup: resumed interrupted scan(s) {', '.join(map(str, summary.resumed))}"
    for kind in counts:
        changes = summary.of(kind)
        for change in changes[:_LISTED]:
            where = f"group {change.group}" if change.group is not None else "unique"
            if kind == "removed":
                where = f"{change.reason}" + (f", left group {change.group}" if change.group is not None else "")
            elif kind == "renamed":
                where = f"from {change.previous_path}, {where}"  # escaped with the line below
            yield printable(f"  {kind:8} {change.path}  ({where})")
        if len(changes) > _LISTED:
            yield f"  … and {len(changes) - _LISTED} more {kind} (all in --format json)"


class _PrintableFormatter(logging.Formatter):
    """Log lines name files, whose names are untrusted: their control characters are shown as escapes.

    Line by line, so that a traceback (-vv) keeps its lines.
    """

    def format(self, record: logging.LogRecord) -> str:
        return "\n".join(map(printable, super().format(record).split("\n")))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dedup")
@click.option("-v", "--verbose", count=True, help="Log what each stage does (on stderr).")
def cli(verbose: int) -> None:
    """Find near-duplicate documents and show precisely what differs between the versions."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_PrintableFormatter("dedup: %(levelname)s: %(message)s"))
    logging.basicConfig(level=logging.WARNING - 10 * min(verbose, 2), handlers=[handler])


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=False, readable=False))
@output_options
@index_options
@click.option("--threshold", type=click.FloatRange(0, 1, min_open=True), default=0.5, show_default=True,
              help="Exact Jaccard similarity of word shingles that makes two documents near-duplicates.")
@click.option("--containment", type=click.FloatRange(0, 1, min_open=True), default=0.8, show_default=True,
              help="Share of the smaller document found in the larger that groups them as well.")
@click.option("--shingle-size", type=click.IntRange(1, 20), default=5, show_default=True, help="Words per shingle.")
@click.option("--num-perm", type=click.IntRange(16, 1024), default=128, show_default=True,
              help="MinHash permutations.")
@click.option("--seed", type=click.IntRange(0, 2**32 - 1), default=1, show_default=True,
              help="Seed of the MinHash permutations.")
@click.option("--include", multiple=True, metavar="GLOB", help="Only scan files matching GLOB (repeatable).")
@click.option("--exclude", multiple=True, metavar="GLOB", help="Skip files and folders matching GLOB (repeatable).")
@click.option("--hidden", is_flag=True, help="Also scan hidden files and folders.")
@click.option("--follow-symlinks", is_flag=True, help="Follow symbolic links (loops are detected).")
@click.option("--max-bytes", type=click.IntRange(1), default=DEFAULT_MAX_BYTES, show_default=True,
              help="Skip files larger than this.")
@click.option("--jobs", "-j", type=click.IntRange(0), default=0, show_default=True,
              help="Processes that read and fingerprint files (0: one per core).")
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="What runs the scan: processes on this machine, or a Dask cluster (pip install 'dedup[dask]').")
@click.option("--scheduler", metavar="ADDRESS", default=None,
              help="With --engine dask: the scheduler of your Dask cluster (tcp://HOST:PORT); else a LocalCluster.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no summary on stderr.")
@click.option("--fail-on-duplicates", is_flag=True, help="Exit with status 1 when a group was found.")
def scan(paths: tuple[str, ...], fmt: str, color: str, show_all: bool, side_by_side: bool, output: str | None,
         threshold: float, containment: float, shingle_size: int, num_perm: int, seed: int,
         include: tuple[str, ...], exclude: tuple[str, ...], hidden: bool, follow_symlinks: bool,
         max_bytes: int, jobs: int, engine: str, scheduler: str | None, quiet: bool,
         fail_on_duplicates: bool) -> None:
    """Scan files and folders for groups of near-duplicate documents."""
    from dedup.scan import scan as run_scan
    from dedup.scan import workers

    options = ScanOptions(
        threshold=threshold, containment=containment, shingle_size=shingle_size, num_perm=num_perm,
        seed=seed, include=include, exclude=exclude, hidden=hidden, follow_symlinks=follow_symlinks,
        max_bytes=max_bytes, jobs=jobs, engine=engine, scheduler=scheduler,
    )
    if jobs > workers(jobs) and not scheduler:
        log.warning("--jobs %d: %d processes at most, one a core of this machine", jobs, workers(jobs))
    _refuse_to_replace_a_document(output, paths)
    with _progress(quiet) as progress:
        result = run_scan(list(paths), options, progress)
    _write_scan(result, fmt, color, show_all, side_by_side, output)
    if not quiet:
        grouped = sum(len(g.members) for g in result.groups)
        total = grouped + len(result.unique) + len(result.skipped)
        click.echo(
            f"dedup: {_counted(total, 'file')}: {_counted(len(result.groups), 'group')} "
            f"({_counted(grouped, 'document')}), {len(result.unique)} unique, {len(result.skipped)} skipped",
            err=True,
        )
    if fail_on_duplicates and result.groups:
        sys.exit(ExitCode.DUPLICATES_FOUND)


@cli.command()
@click.argument("a", type=click.Path(exists=False))
@click.argument("b", type=click.Path(exists=False))
@output_options
def diff(a: str, b: str, fmt: str, color: str, show_all: bool, side_by_side: bool, output: str | None) -> None:
    """Show what differs between two versions A (the reference) and B, without an index."""
    from dedup.render import Format, render_diff
    from dedup.scan import diff_files

    _refuse_to_replace_a_document(output, (a, b))
    comparison = diff_files(a, b)
    with _report_stream(output) as out:
        render_diff(comparison, Format(fmt), out, _render_options(color, show_all, side_by_side, out))


@cli.command()
@click.argument("file", type=click.Path(exists=False))
@click.option("--show-removed", is_flag=True,
              help="List on stderr the layout artifacts taken out (headers, page numbers...) and why.")
def normalize(file: str, show_removed: bool) -> None:
    """Print what the normalizer makes of FILE (layout artifacts taken out)."""
    from dedup.normalize import locate
    from dedup.normalize import normalize as run_normalize
    from dedup.sources import read_named

    item = read_named(file, ScanOptions())
    result = run_normalize(item.text)
    _print([result.text])
    if show_removed:
        # Where each artifact sat in the extracted text, what it was, and what replaced it.
        # On stderr: stdout stays the clean text (`dedup normalize --show-removed f > clean.txt`).
        click.echo(f"--- {len(result.artifacts)} layout artifacts taken out ---", err=True)
        for artifact in result.artifacts:
            line, column = locate(item.text, artifact.start)
            removed = _printable(item.text[artifact.start : artifact.end])
            new = f" -> {_printable(artifact.new)}" if artifact.new else ""
            click.echo(f"{line}:{column} {artifact.reason}: {removed}{new}", err=True)


def _printable(text: str) -> str:
    """Quote text for a one-line listing, with breaks and control characters escaped."""
    return repr(text if len(text) <= 80 else text[:77] + "...")


@cli.group(name="index")
def index_command() -> None:
    """Look after a persistent index (made by `dedup scan --index`)."""


@index_command.command(name="stats")
@click.argument("location", metavar="INDEX")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Output format on stdout.")
def index_stats(location: str, fmt: str) -> None:
    """Show what the index INDEX holds: documents, groups, parameters, size, latest scans."""
    from dedup.incremental import stats
    from dedup.render.json import dumps

    found = stats(location)
    if fmt == "json":
        _print([dumps(found)])
        return
    lines = [f"{key:18} {found[key]}" for key in ("location", "backend", "documents", "groups", "grouped_documents",
                                                  "verified_pairs", "band_keys", "size_bytes")]
    parameters = found["parameters"] or {}
    lines.append(f"{'parameters':18} " + ", ".join(f"{k}={v}" for k, v in sorted(parameters.items())))
    for scan in found["scans"]:
        state = "finished" if scan["finished"] else (f"resumed by {scan['resumed_by']}" if scan["resumed_by"]
                                                     else "running or interrupted")
        done = ", ".join(f"{n} {kind}" for kind, n in (scan["summary"] or {}).items())  # what it found, counted
        lines.append(printable(f"{'scan ' + str(scan['id']):18} {state}: {' '.join(scan['roots'])}"
                               + (f" ({done})" if done else "")))
    _print(lines)


@index_command.command(name="report")
@click.argument("location", metavar="INDEX")
@output_options
def index_report(location: str, fmt: str, color: str, show_all: bool, side_by_side: bool, output: str | None) -> None:
    """Report every group and every document in no group that INDEX holds, as `dedup scan` would (no file is read)."""
    from dedup.incremental import report

    result = report(location)
    _write_scan(result, fmt, color, show_all, side_by_side, output)


@index_command.command(name="prune")
@click.argument("location", metavar="INDEX")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Output format on stdout.")
def index_prune(location: str, fmt: str) -> None:
    """Take out of INDEX the documents whose files are gone (without scanning), and list them."""
    from dedup.incremental import prune

    _removed(prune(location), fmt)


@index_command.command(name="forget")
@click.argument("location", metavar="INDEX")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=False, readable=False))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Output format on stdout.")
def index_forget(location: str, paths: tuple[str, ...], fmt: str) -> None:
    """Take the documents at or below PATHS out of INDEX (the files are not touched), and list them."""
    from dedup.incremental import forget

    summary = forget(location, list(paths))
    if not summary.of("removed"):  # a typo, or a quoted glob: the paths are taken as they are
        log.warning("no document of %s is at or below %s (paths are taken as written, not as patterns)",
                    location, " or ".join(paths))
    _removed(summary, fmt)


def _removed(summary: Any, fmt: str) -> None:
    from dedup.render.json import dumps
    from dedup.report import index_section

    if fmt == "json":
        section = index_section(summary)
        _print([dumps({k: section[k] for k in ("location", "documents", "removed", "groups_changed")})])
        return
    lines = []
    for change in summary.of("removed"):
        left = f", left group {change.group}" if change.group is not None else ""
        lines.append(printable(f"{change.path}  ({change.reason}{left})"))
    _print(lines)
    taken = len(summary.of("removed"))
    click.echo(printable(f"dedup: {taken} document{'' if taken == 1 else 's'} taken out of {summary.location}; "
                         f"{summary.documents} left"), err=True)


def _write_scan(result: Any, fmt: str, color: str, show_all: bool, side_by_side: bool, output: str | None) -> None:
    """Write a scan report (of `scan`, `scan --index` or `index report`) to stdout or to `output`."""
    from dedup.render import Format, render_scan

    with _report_stream(output) as out:
        render_scan(result, Format(fmt), out, _render_options(color, show_all, side_by_side, out))
    missed = [(g.reference, m) for g in result.groups for m in g.members[1:] if m.not_compared is not None]
    for reference, member in missed[:_LISTED]:
        log.warning("%s was not compared with %s: %s", member.path, reference.path, member.not_compared)
    if len(missed) > _LISTED:
        log.warning("… and %d more members not compared (not_compared in --format json)", len(missed) - _LISTED)


def _render_options(color: str, show_all: bool, side_by_side: bool, out: TextIO) -> Any:
    from dedup.render import RenderOptions

    if color == "auto":
        use_color = out.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"
    else:
        use_color = color == "always"
    return RenderOptions(color=use_color, show_all=show_all, side_by_side=side_by_side)


def _print(lines: Iterable[str]) -> None:
    """Write lines on stdout; a reader that stops reading (`| head`) ends the output, not the command's success.

    (click.echo's broken pipe ended the command with status 1, after its work was done.)
    """
    with _report_stream(None) as out:
        for line in lines:
            out.write(line + "\n")


def _refuse_to_replace_a_document(output: str | None, inputs: Sequence[str]) -> None:
    """Refuse, before any work, a report that would replace a document it is about (`-o` naming one).

    `scan folder/ -o folder/a.txt` replaced the document a.txt with the report.
    An existing file is one when it was given, or lies in a folder given and
    is of a kind the scan reads; a report beside the documents (report.json)
    is not.

    Raises:
        ReportError: `output` is one of the documents.
    """
    from dedup.sources import EXTRACTED_KINDS, TEXT_KINDS

    if output is None or not os.path.isfile(output):
        return  # stdout, a device, a FIFO, a new file: no document replaced
    target = os.path.realpath(output)
    readable = os.path.splitext(target)[1].lower() in TEXT_KINDS.keys() | EXTRACTED_KINDS.keys()
    for given in inputs:
        if "://" in given or not os.path.exists(given):
            continue
        inside = readable and os.path.isdir(given) and target.startswith(os.path.join(os.path.realpath(given), ""))
        if inside or (os.path.isfile(given) and os.path.samefile(given, output)):
            raise ReportError(f"will not write the report to {output}: it is one of the documents; choose another file")


@contextmanager
def _report_stream(output: str | None) -> Iterator[TextIO]:
    """Yield stdout, or where `output` names: a regular file is replaced only once the report is complete.

    A link is written through, as the shell's `>` does; a device or FIFO (`/dev/null`, `/dev/stdout`, a
    pipe) is written to, never replaced by a file.
    """
    if output is None:
        try:
            yield sys.stdout
            sys.stdout.flush()
        except BrokenPipeError:  # the reader stopped reading (`| head`): the run ends as it would have
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # the rest of the report goes nowhere
        return
    try:
        mode = os.stat(output).st_mode
    except FileNotFoundError:
        mode = stat.S_IFREG
    except OSError as err:
        raise ReportError(f"cannot write {output}: {err.strerror}") from err
    try:
        if not stat.S_ISREG(mode):
            try:
                with open(output, "w", encoding="utf-8") as out:
                    yield out
            except BrokenPipeError:  # a pipe's reader stopped reading: as for stdout, the run ends as it would have
                pass
            return
        target = os.path.realpath(output)
        folder = os.path.dirname(target)
        if not os.path.isdir(folder):
            raise ReportError(f"cannot write {output}: no such folder {folder}")
        fd, temp = tempfile.mkstemp(prefix=".dedup-", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                yield out
            os.chmod(temp, _report_mode(target))  # mkstemp's 0600 would otherwise survive the rename
            os.replace(temp, target)
        except BaseException:
            os.unlink(temp)
            raise
    except OSError as err:  # a full disk, a folder not ours to write: the user's to fix, not a bug
        raise ReportError(f"cannot write {output}: {err.strerror or err}") from err


def _report_mode(path: str) -> int:
    """Return the mode of the report file: the old report's, or what the umask gives a new file."""
    try:
        return os.stat(path).st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


@contextmanager
def _progress(quiet: bool) -> Iterator[Any]:
    """Yield a progress callback: a rich bar on stderr when it is a terminal, else nothing."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    bar = Progress(
        "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
        console=Console(stderr=True), transient=True,
    )

    class Bar:
        task: Any = None

        def start(self, total: int) -> None:
            if total >= PROGRESS_MIN_FILES:
                bar.start()
                self.task = bar.add_task("reading", total=total)

        def advance(self, step: int = 1) -> None:
            if self.task is not None:
                bar.advance(self.task, step)

    try:
        yield Bar()
    finally:
        bar.stop()


def main() -> None:
    """Run the CLI; every error becomes one line on stderr and an exit status."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(ExitCode.ERROR)
    except click.exceptions.Abort:
        click.echo("dedup: interrupted", err=True)
        sys.exit(ExitCode.INTERRUPTED)
    except KeyboardInterrupt:
        click.echo("dedup: interrupted", err=True)
        sys.exit(ExitCode.INTERRUPTED)
    except DedupError as exc:
        click.echo(f"dedup: error: {printable(str(exc))}", err=True)
        sys.exit(ExitCode.ERROR)
    except BrokenPipeError:
        sys.stderr.close()
        sys.exit(ExitCode.OK)
    except Exception as exc:  # the last line of defence: one line, never a traceback
        if os.environ.get("DEDUP_DEBUG"):
            raise
        message = printable(f"{type(exc).__name__}: {exc}")
        click.echo(f"dedup: internal error: {message} (DEDUP_DEBUG=1 shows the traceback)", err=True)
        sys.exit(ExitCode.ERROR)
