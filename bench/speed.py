#!/usr/bin/env python3
"""Speed benchmark: dedup scan against datasketch by the book and a rensa pipeline.

Builds (or reuses) the corpus of ``bench/speed_corpus.py`` with N documents,
then runs each tool as a whole process on the corpus's ``docs/`` folder and
measures, for each:

* wall time, and CPU time (user + system of the process and every child it waited for);
* peak memory: the highest sum of the resident set sizes of the process and all
  its children, polled every 20-250 ms (a fork's shared pages count once per process);
* precision and recall of the near-duplicate pairs it reports against the planted
  groups of ``truth.jsonl``.  Pairs are compared after transitive closure: a tool's
  pairs are merged into connected components (dedup reports components already),
  and every pair of documents in one component counts; the truth is every pair of
  documents in one planted group.

The tools (``--tools``):

* ``dedup``: ``dedup scan DOCS --format json -q`` (with ``--jobs N`` when dedup has
  that option), groups parsed from its JSON report; includes the differ's work on
  every group, which the baselines don't do;
* ``datasketch``: ``bench/baselines/datasketch_book.py``;
* ``rensa``: ``bench/baselines/rensa_pipeline.py``.

All read the same files with a warm page cache (the corpus is read once before the
first tool), use the same 5-word shingles of lower-cased words, 128 permutations
(rensa: bands x rows, see its script) and dedup's LSH banding (read from dedup's
report: 42 bands x 3 rows when this was written), and call a pair a near-duplicate at
Jaccard 0.5 (dedup: exact Jaccard on its normalized text, or containment 0.8;
baselines: MinHash estimate on the raw text).

    python bench/speed.py --n 10000 [--n 100000] [--jobs 2] [--tools dedup,rensa] [--skip-build]
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import hashlib
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from itertools import combinations
from pathlib import Path

import psutil

BENCH = Path(__file__).resolve().parent
DATA = BENCH / "data"
TOOLS = ("dedup", "datasketch", "rensa")


@dataclass
class Run:
    """One tool's measured run."""

    tool: str
    command: list[str]
    returncode: int
    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    max_single_rss_mb: float
    load_before: float
    pairs_reported: int = 0
    pairs_scored: int = 0
    true_positives: int = 0
    precision: float = 0.0
    recall: float = 0.0
    notes: dict = field(default_factory=dict)


def corpus_version() -> int:
    """Return the corpus generator's version: a corpus built by another version is rebuilt."""
    match = re.search(r"^GENERATOR_VERSION = (\d+)", (BENCH / "speed_corpus.py").read_text(), re.M)
    return int(match.group(1)) if match else 0


def ensure_corpus(n: int, seed: int, jobs: int, skip_build: bool) -> Path:
    """Return the corpus folder for (n, seed), building it unless an identical one exists."""
    root = DATA / f"speed-{n}"
    meta_path = root / "meta.json"
    version = corpus_version()
    if meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if skip_build or (
            meta.get("n") == n and meta.get("seed") == seed and meta.get("generator") == version
        ):
            return root
    elif skip_build:
        sys.exit(f"speed: no corpus at {root}; run without --skip-build")
    print(f"speed: building the corpus of {n} documents in {root} ...", file=sys.stderr, flush=True)
    subprocess.run(
        [
            sys.executable,
            str(BENCH / "speed_corpus.py"),
            "--n",
            str(n),
            "--seed",
            str(seed),
            "--jobs",
            str(jobs),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return root


def warm_cache(docs: Path) -> None:
    """Read every file once, so that no tool pays for the first read from disk."""
    for dirpath, _dirs, names in os.walk(docs):
        for name in names:
            with open(os.path.join(dirpath, name), "rb") as fh:
                while fh.read(1 << 20):
                    pass


def _tree_rss(proc: psutil.Process) -> int:
    total = 0
    try:
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0
    for p in procs:
        with contextlib.suppress(psutil.Error):
            total += p.memory_info().rss
    return total


def measure(tool: str, command: list[str], stdout_path: Path) -> Run:
    """Run `command` to completion; measure wall time, CPU time and peak memory of its tree."""
    load = os.getloadavg()[0]
    with open(stdout_path, "wb") as out, open(stdout_path.with_suffix(".stderr"), "wb") as err:
        started = time.perf_counter()
        child = subprocess.Popen(command, stdout=out, stderr=err)
        proc = psutil.Process(child.pid)
        peak = 0
        interval = 0.02
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            peak = max(peak, _tree_rss(proc))
            time.sleep(interval)
            interval = min(0.25, interval * 1.1)
        wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    return Run(
        tool=tool,
        command=command,
        returncode=child.returncode,
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime,
        peak_rss_mb=max(peak, usage.ru_maxrss * 1024) / 2**20,
        max_single_rss_mb=usage.ru_maxrss / 1024,
        load_before=load,
    )


def dedup_command(docs: Path, jobs: int) -> list[str]:
    exe = shutil.which("dedup", path=os.path.dirname(sys.executable)) or shutil.which("dedup")
    command = [exe] if exe else [sys.executable, "-m", "dedup"]
    command += ["scan", str(docs), "--format", "json", "-q"]
    helptext = subprocess.run([*command[:-4], "--help"], capture_output=True, text=True).stdout
    if "--jobs" in helptext:
        command += ["--jobs", str(jobs)]
    return command


def dedup_banding(report: Path) -> tuple[int, int]:
    """Return dedup's LSH (bands, rows): from its report when it ran, else as dedup computes it."""
    try:
        lsh = json.loads(report.read_text())["options"]["lsh"]
        return int(lsh["bands"]), int(lsh["rows"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    try:
        from dedup.index import bands_for
        from dedup.options import ScanOptions

        options = ScanOptions()
        bands = bands_for(options.threshold, options.num_perm)
        return bands.bands, bands.rows
    except Exception as exc:  # dedup's API moved: say so, and use datasketch's choice for 0.4
        print(f"speed: cannot learn dedup's banding ({exc}); baselines use 32 x 4", file=sys.stderr)
        return 32, 4


def tool_command(tool: str, docs: Path, jobs: int, banding: tuple[int, int]) -> list[str]:
    if tool == "dedup":
        return dedup_command(docs, jobs)
    script = {"datasketch": "datasketch_book.py", "rensa": "rensa_pipeline.py"}[tool]
    return [
        sys.executable,
        str(BENCH / "baselines" / script),
        str(docs),
        "--bands",
        str(banding[0]),
        "--rows",
        str(banding[1]),
    ]


def reported_components(tool: str, output: Path, docs: Path) -> tuple[list[list[str]], int, dict]:
    """Return the tool's groups (paths relative to docs/), how many pairs it reported, notes."""
    data = json.loads(output.read_text())
    if tool == "dedup":
        groups = [
            [os.path.relpath(d["path"], docs) for d in g["documents"]] for g in data["groups"]
        ]
        stats = data.get("stats", {})
        notes = {
            k: stats.get(k) for k in ("documents", "groups", "candidate_pairs", "verified_pairs")
        }
        return groups, stats.get("verified_pairs", 0), notes
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in data["pairs"]:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    comps: dict[str, list[str]] = {}
    for x in parent:
        comps.setdefault(find(x), []).append(x)
    return (
        list(comps.values()),
        len(data["pairs"]),
        {"documents": data.get("documents"), "bands": data.get("bands")},
    )


def pairs_of(groups: list[list[str]]) -> set[tuple[str, str]]:
    return {(a, b) if a < b else (b, a) for g in groups for a, b in combinations(g, 2)}


def truth_pairs(root: Path) -> set[tuple[str, str]]:
    groups = []
    with open(root / "truth.jsonl", encoding="utf-8") as fh:
        for line in fh:
            record = json.loads(line)
            groups.append([os.path.relpath(m, "docs") for m in record["members"]])
    return pairs_of(groups)


def dedup_state() -> dict:
    """Return which dedup was measured: commit, uncommitted changes in dedup/, hash of its code."""
    repo = BENCH.parent

    def git(*cmd: str) -> str:
        done = subprocess.run(["git", *cmd], cwd=repo, capture_output=True, text=True)
        return done.stdout.strip()

    digest = hashlib.sha256()
    for path in sorted((repo / "dedup").rglob("*.py")):
        digest.update(path.relative_to(repo).as_posix().encode() + b"\0" + path.read_bytes())
    return {
        "commit": git("rev-parse", "--short", "HEAD"),
        "dirty": bool(git("status", "--porcelain", "--", "dedup")),
        "code_sha256": digest.hexdigest()[:12],
    }


def startup_times(repeat: int) -> dict:
    """Return median wall and CPU times of `dedup --help` and `dedup scan samples/ -q`."""
    exe = shutil.which("dedup", path=os.path.dirname(sys.executable)) or "dedup"
    samples = BENCH.parent / "samples"
    commands = {
        "dedup --help": [exe, "--help"],
        "dedup scan samples/ -q": [exe, "scan", str(samples), "-q"],
    }
    times = {}
    for name, command in commands.items():
        walls, cpus = [], []
        for _ in range(repeat):
            started = time.perf_counter()
            child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            _pid, _status, usage = os.wait4(child.pid, 0)
            child.returncode = 0  # reaped by wait4
            walls.append(time.perf_counter() - started)
            cpus.append(usage.ru_utime + usage.ru_stime)
        times[name] = {
            "median_s": statistics.median(walls),
            "median_cpu_s": statistics.median(cpus),
            "runs_s": [round(w, 3) for w in walls],
            "load": os.getloadavg()[0],
        }
    return times


def machine() -> dict:
    model = ""
    with open("/proc/cpuinfo") as fh:
        for line in fh:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    versions = {}
    for package in ("dedup", "datasketch", "rensa", "numpy"):
        try:
            from importlib.metadata import version

            versions[package] = version(package)
        except Exception:
            versions[package] = None
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "os": platform.platform(),
        "versions": versions,
    }


def bench_one(n: int, args: argparse.Namespace) -> dict:
    root = ensure_corpus(n, args.seed, args.jobs, args.skip_build)
    docs = root / "docs"
    meta = json.loads((root / "meta.json").read_text())
    truth = truth_pairs(root)
    warm_cache(docs)
    runs_dir = DATA / "runs"
    runs_dir.mkdir(parents=True, exist_ok=True)
    runs: list[Run] = []
    for tool in args.tools:
        best: Run | None = None
        for attempt in range(args.repeat):
            banding = dedup_banding(
                runs_dir / f"dedup-{n}.json" if "dedup" in args.tools else Path("-")
            )
            command = tool_command(tool, docs, args.jobs, banding)
            print(
                f"speed: N={n} {tool} (run {attempt + 1}/{args.repeat}): {' '.join(command)}",
                file=sys.stderr,
                flush=True,
            )
            output = runs_dir / f"{tool}-{n}.json"
            run = measure(tool, command, output)
            if run.returncode != 0:
                print(
                    f"speed: {tool} failed with status {run.returncode}; "
                    f"see {output.with_suffix('.stderr')}",
                    file=sys.stderr,
                )
                best = run
                break
            if best is None or run.wall_s < best.wall_s:
                groups, reported, notes = reported_components(tool, output, docs)
                found = pairs_of(groups)
                tp = len(found & truth)
                run.pairs_reported, run.pairs_scored, run.true_positives = reported, len(found), tp
                run.precision = tp / len(found) if found else 1.0
                run.recall = tp / len(truth) if truth else 1.0
                run.notes = notes
                best = run
        assert best is not None
        runs.append(best)
    return {
        "n": n,
        "corpus": {
            k: meta.get(k)
            for k in (
                "n",
                "seed",
                "bytes",
                "mean_bytes",
                "groups",
                "grouped_documents",
                "copies",
                "truth_pairs",
                "generator",
            )
        },
        "truth_pairs": len(truth),
        "runs": [asdict(r) for r in runs],
    }


def table(result: dict) -> str:
    corpus = result["corpus"]
    n, mb = corpus["n"], corpus["bytes"] / 1e6
    lines = [
        f"N = {n:,} documents, {mb:,.1f} MB, "
        f"{corpus['truth_pairs']:,} planted pairs in {corpus['groups']:,} groups",
        "",
        "| tool | docs/s | MB/s | wall s | CPU s | docs/CPU-s | peak RSS MB "
        "| precision | recall | pairs (closed) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    by_tool = {r["tool"]: r for r in result["runs"]}
    for r in result["runs"]:
        if r["returncode"] != 0:
            lines.append(f"| {r['tool']} | failed (status {r['returncode']}) |" + " |" * 9)
            continue
        cells = [
            r["tool"],
            f"{n / r['wall_s']:,.0f}",
            f"{mb / r['wall_s']:,.2f}",
            f"{r['wall_s']:,.1f}",
            f"{r['cpu_s']:,.1f}",
            f"{n / r['cpu_s']:,.0f}",
            f"{r['peak_rss_mb']:,.0f}",
            f"{r['precision']:.4f}",
            f"{r['recall']:.4f}",
            f"{r['pairs_scored']:,}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    dedup = by_tool.get("dedup")
    if dedup and dedup["returncode"] == 0:
        ratios = []
        for other in ("datasketch", "rensa"):
            r = by_tool.get(other)
            if r and r["returncode"] == 0:
                ratios.append(
                    f"dedup/{other}: throughput x{r['wall_s'] / dedup['wall_s']:.2f} (wall), "
                    f"x{r['cpu_s'] / dedup['cpu_s']:.2f} (CPU), "
                    f"peak memory x{dedup['peak_rss_mb'] / r['peak_rss_mb']:.2f}"
                )
        lines += ["", *ratios]
    loads = ", ".join(f"{r['tool']} {r['load_before']:.1f}" for r in result["runs"])
    lines.append(f"(1-minute load average when each run started: {loads})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--n",
        type=int,
        action="append",
        help="documents in the corpus (repeatable; default 10000; 0: none)",
    )
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="processes for building the corpus, and for dedup when it has --jobs",
    )
    ap.add_argument(
        "--tools", default=",".join(TOOLS), help=f"comma-separated, from {','.join(TOOLS)}"
    )
    ap.add_argument(
        "--skip-build", action="store_true", help="use the corpus in bench/data as it is"
    )
    ap.add_argument("--repeat", type=int, default=1, help="runs per tool; the fastest counts")
    ap.add_argument(
        "--startup",
        type=int,
        default=5,
        metavar="RUNS",
        help="also time `dedup --help` and `dedup scan samples/ -q` RUNS times each (0: no)",
    )
    ap.add_argument("--json", type=Path, default=None, help="also write all figures to this file")
    args = ap.parse_args(argv)
    # dedup's bytecode compiled first, as `pip install` compiles an installed copy's: run from a checkout
    # with PYTHONDONTWRITEBYTECODE set (as on the project's machines), each dedup process compiled the modules
    # changed since their bytecode was written (0.08 s a process on 24 November 2026: 8 % of a rescan).
    compileall.compile_dir(str(BENCH.parent / "dedup"), quiet=1)
    requested = {t.strip() for t in args.tools.split(",") if t.strip()}
    if requested - set(TOOLS):
        ap.error(f"unknown tools: {', '.join(sorted(requested - set(TOOLS)))}")
    args.tools = [t for t in TOOLS if t in requested]  # dedup first: the baselines take its banding
    results = {
        "machine": machine(),
        "dedup": dedup_state(),
        "command": "python bench/speed.py " + " ".join(argv or sys.argv[1:]),
        "results": [],
    }
    if args.startup:
        results["startup"] = startup_times(args.startup)
        for name, t in results["startup"].items():
            runs = ", ".join(f"{w:.2f}" for w in t["runs_s"])
            print(
                f"{name}: median {t['median_s']:.3f} s wall, {t['median_cpu_s']:.3f} s CPU "
                f"(runs: {runs}; load {t['load']:.1f})",
                flush=True,
            )
        print(flush=True)
    for n in [n for n in args.n or [10_000] if n > 0]:
        result = bench_one(n, args)
        results["results"].append(result)
        print(table(result) + "\n", flush=True)
    m = results["machine"]
    d = results["dedup"]
    print(
        f"dedup measured: commit {d['commit']}{' + uncommitted changes' if d['dirty'] else ''}, "
        f"code {d['code_sha256']}"
    )
    print(
        f"machine: {m['nproc']} cores, {m['cpu']}, {m['ram_gb']} GB RAM, Python {m['python']}, "
        + ", ".join(f"{k} {v}" for k, v in m["versions"].items())
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0 if all(r["returncode"] == 0 for res in results["results"] for r in res["runs"]) else 1


if __name__ == "__main__":
    sys.exit(main())
