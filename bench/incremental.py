#!/usr/bin/env python3
"""Benchmark the persistent index: a first scan, a rescan after adding documents, a rescan with nothing new.

    python bench/incremental.py --n 100000 --new 1000 --dups 200 [--index URL] [--jobs 0] [--plain]

Builds ``bench/data/incremental-<N>/`` (git-ignored): N documents of about
2 KB of synthetic prose (words drawn from a Zipf law over 50,000 made-up
words, so unrelated documents share no 5-word shingle), of which ``--old-dups``
(5 %) are edited copies of other old documents, so that the first scan has
groups to diff. Then, timing each ``dedup scan DIR --index IDX --format json``
as a whole process (wall clock, the report written to a file):

1. the first scan, which builds the index (``--rebuild``: a PostgreSQL index starts empty too);
2. ``--new`` documents are added in a new folder, ``--dups`` of them edited
   copies of random old documents (a few words replaced, rewrapped at another
   width, some with a header line), the rest unrelated;
3. the rescan, whose report (what the scan changed: the groups the new
   documents joined) must put every planted copy in its old document's
   group (the check prints the planted pairs it finds);
4. a rescan with nothing changed (its report lists no group).

``--plain`` also times a scan without an index of the first N documents.
The corpus depends only on ``--n``, ``--new``, ``--dups`` and ``--seed``.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
_SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "ta", "ve", "so", "pi", "da", "ge", "hu", "zo", "bre", "sta", "lin",
              "mar", "tel", "gru", "fen", "ol", "ach", "ing", "ber"]


def vocabulary(size: int, rng: np.random.Generator) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        parts = rng.integers(0, len(_SYLLABLES), size=rng.integers(2, 5))
        words.add("".join(_SYLLABLES[p] for p in parts))
    return sorted(words)


class Writer:
    """Makes documents of synthetic prose and edited copies of them."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.words = vocabulary(50_000, self.rng)
        weights = 1 / np.arange(1, len(self.words) + 1, dtype=np.float64)
        self.cdf = np.cumsum(weights) / weights.sum()

    def text(self) -> list[str]:
        count = int(np.clip(self.rng.lognormal(np.log(300), 0.4), 80, 2000))
        picks = np.searchsorted(self.cdf, self.rng.random(count)).clip(0, len(self.words) - 1)
        return [self.words[i] for i in picks]

    def copy(self, words: list[str]) -> list[str]:
        out = list(words)
        for _ in range(max(1, len(out) // 60)):  # about 1.5 % of the words replaced
            out[int(self.rng.integers(len(out)))] = self.words[int(self.rng.integers(len(self.words)))]
        if self.rng.random() < 0.3:
            out = ["Pressemitteilung", "vom", str(int(self.rng.integers(1, 29))), "Mai", "2025", "\n", *out]
        return out

    def layout(self, words: list[str]) -> str:
        width = int(self.rng.integers(50, 90))
        lines, line = [], ""
        for n, word in enumerate(words):
            if word == "\n":
                lines.append(line)
                line = ""
                continue
            word = word.capitalize() + "." if n % 17 == 16 else word
            if line and len(line) + 1 + len(word) > width:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}" if line else word
        lines.append(line)
        return "\n".join(lines) + "\n"


def build(folder: Path, n: int, new: int, dups: int, old_dups: int, seed: int) -> dict[str, str]:
    """Write the old documents in docs/old/ and the new ones in parked/ (moved to docs/new/ for the rescan).

    Returns each planted new copy's path (in docs/new/) and its old source's path.
    """
    if (folder / "planted.json").exists():
        return json.loads((folder / "planted.json").read_text())  # type: ignore[no-any-return]
    shutil.rmtree(folder, ignore_errors=True)
    writer = Writer(seed)
    texts: list[list[str]] = []
    for k in range(n):
        path = folder / "docs" / "old" / f"{k // 1000:03d}" / f"d{k:07d}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        words = writer.copy(texts[int(writer.rng.integers(n - old_dups))]) if k >= n - old_dups else writer.text()
        texts.append(words)
        path.write_text(writer.layout(words))
    planted = {}
    for k in range(new):
        path = folder / "parked" / f"n{k:07d}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        if k < dups:
            source = int(writer.rng.integers(n - old_dups))
            path.write_text(writer.layout(writer.copy(texts[source])))
            planted[str(folder / "docs" / "new" / path.name)] = str(
                folder / "docs" / "old" / f"{source // 1000:03d}" / f"d{source:07d}.txt")
        else:
            path.write_text(writer.layout(writer.text()))
    (folder / "planted.json").write_text(json.dumps(planted))
    return planted


_CPUACCT = Path("/sys/fs/cgroup/cpuacct")


def timed(args: list[str], report: Path) -> tuple[float, float | None, dict[str, object]]:
    """Run one scan; return its wall time, the CPU time of its whole process tree (or None), and its report.

    CPU time is read from a cgroup (v1 cpuacct) made for the run, so that the
    workers of the scan's fork server count too; where none can be made (not
    root, no cgroup v1), it is None. On a machine shared with other work, CPU
    time is the fairer measure: wall time grows with the others' load.
    """
    group = _CPUACCT / f"dedup-bench-{os.getpid()}-{report.stem}"
    try:
        group.mkdir()
    except OSError:
        group = None  # type: ignore[assignment]

    def enter() -> None:
        if group is not None:
            (group / "cgroup.procs").write_text(str(os.getpid()))

    warm_up()
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "dedup", "scan", *args, "--format", "json", "-o", str(report), "-q"],
                   check=True, cwd=ROOT, preexec_fn=enter)
    wall = time.perf_counter() - start
    cpu = None
    if group is not None:
        time.sleep(1.5)  # workers leave within a second of the scan's end
        cpu = int((group / "cpuacct.usage").read_text()) / 1e9
        group.rmdir()
    return wall, cpu, json.loads(report.read_text())


def warm_up(seconds: float = 1.5) -> None:
    """Keep a core busy for a moment before a timed run.

    On the shared virtual machines this was measured on, a process started
    after a second or more of idleness ran slower for its first second or two
    (a rescan with nothing changed: 1.8 s of user CPU when started right after
    busy work, 2.7 s after 20 s idle, the same work), which a 70 s first scan
    hardly notices but a 2 s rescan does. The loop makes every run, the first
    scan included, start on a busy core, as a benchmark's warm-up would.
    """
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        sum(range(10_000))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--new", type=int, default=1000)
    parser.add_argument("--dups", type=int, default=200)
    parser.add_argument("--old-dups", type=int, default=None, help="edited copies among the old documents (5 %%)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", default="0")
    parser.add_argument("--index", default=None,
                        help="index path or postgresql:// URL (default: a file in the data folder)")
    parser.add_argument("--plain", action="store_true", help="also time a scan without an index")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    # dedup's bytecode compiled first, as `pip install` compiles an installed copy's: run from a checkout
    # with PYTHONDONTWRITEBYTECODE set (as on the project's machines), each dedup process compiled the modules
    # changed since their bytecode was written (0.08 s a process on 24 November 2026: 8 % of a rescan).
    compileall.compile_dir(str(ROOT / "dedup"), quiet=1)
    folder = (args.out or ROOT / "bench" / "data" / f"incremental-{args.n}").resolve()  # planted paths absolute
    t0 = time.perf_counter()
    planted = build(folder, args.n, args.new, args.dups, args.old_dups if args.old_dups is not None else args.n // 20,
                    args.seed)
    print(f"corpus: {folder} ({time.perf_counter() - t0:.0f} s to build); dedup {commit()}", flush=True)
    index = args.index or str(folder / "index.db")
    if not index.startswith("postgres"):
        for suffix in ("", "-wal", "-shm"):
            Path(index + suffix).unlink(missing_ok=True)
    docs, new_dir, parked = folder / "docs", folder / "docs" / "new", folder / "parked"
    if new_dir.exists():
        new_dir.rename(parked)  # the first scan sees the old documents only
    results: dict[str, object] = {"dedup": commit(), "n": args.n, "new": args.new, "dups": args.dups, "jobs": args.jobs,
                                  "index": "sqlite" if not index.startswith("postgres") else "postgresql",
                                  "load_average_before": os.getloadavg()}
    if args.plain:
        plain, plain_cpu, _ = timed([str(docs), "-j", args.jobs], folder / "plain.json")
        results.update({"plain_scan_s": round(plain, 1), "plain_scan_cpu_s": plain_cpu})
        print(f"plain scan (no index): {plain:.1f} s, CPU {plain_cpu} s", flush=True)
    first, first_cpu, report = timed([str(docs), "--index", index, "--rebuild", "-j", args.jobs], folder / "first.json")
    print(f"first scan: {first:.1f} s, CPU {first_cpu} s, {report['stats']['groups']} groups",  # type: ignore[index]
          flush=True)
    parked.rename(new_dir)
    second, second_cpu, report = timed([str(docs), "--index", index, "-j", args.jobs], folder / "second.json")
    section = report["index"]  # type: ignore[index]
    group_of = {d["path"]: g["id"] for g in report["groups"] for d in g["documents"]}  # type: ignore[index]
    found = sum(1 for copy, source in planted.items() if copy in group_of and group_of[copy] == group_of.get(source))
    print(f"rescan after adding {args.new}: {second:.1f} s ({100 * second / first:.2f} % of the first scan), "
          f"CPU {second_cpu} s ({_share(second_cpu, first_cpu)} of the first scan's CPU); "
          f"{len(section['new'])} new, planted copies found in their source's group: {found} of {len(planted)}; "
          f"the report lists {len(report['groups'])} groups, {len(report['unique'])} unique",  # type: ignore[arg-type]
          flush=True)
    third, third_cpu, report = timed([str(docs), "--index", index, "-j", args.jobs], folder / "third.json")
    print(f"rescan with nothing changed: {third:.1f} s ({100 * third / first:.2f} % of the first scan), "
          f"CPU {third_cpu} s ({_share(third_cpu, first_cpu)} of the first scan's CPU); "
          f"{report['index']['unchanged']} unchanged, the report lists {len(report['groups'])} groups",  # type: ignore
          flush=True)
    size = sum(os.path.getsize(index + s) for s in ("", "-wal") if os.path.exists(index + s)) \
        if not index.startswith("postgres") else None
    results.update({
        "first_scan_s": round(first, 1), "rescan_after_adding_s": round(second, 1),
        "rescan_after_adding_share": round(second / first, 4), "planted_found": found,
        "planted": len(planted), "rescan_unchanged_s": round(third, 1),
        "rescan_unchanged_share": round(third / first, 4),
        "index_bytes": size, "load_average_after": os.getloadavg(),
        "first_scan_cpu_s": first_cpu, "rescan_after_adding_cpu_s": second_cpu, "rescan_unchanged_cpu_s": third_cpu,
    })
    (folder / "results.json").write_text(json.dumps(results, indent=1))
    print(json.dumps(results))


def commit() -> str:
    """Return the short commit of the code measured, marked when dedup/ has uncommitted changes."""
    def git(*args: str) -> str:
        done = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else ""

    head = git("rev-parse", "--short", "HEAD") or "(not a git checkout)"
    return head + (" + uncommitted changes in dedup/" if git("status", "--porcelain", "dedup") else "")


def _share(part: float | None, whole: float | None) -> str:
    return "n/a" if part is None or not whole else f"{100 * part / whole:.2f} %"


if __name__ == "__main__":
    main()
