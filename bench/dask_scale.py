#!/usr/bin/env python3
"""Time the Dask engine beside the local engine on a generated corpus of N short documents.

    python bench/dask_scale.py --n 1000000 [--workers 2] [--seed 1] [--json FILE]

The corpus (``bench/data/dask-scale-<N>/``, git-ignored, built once and kept)
is N documents of 50-70 words drawn from a vocabulary of 5,000 words; one base
document in 40 has one to three near-copies (a word changed, sometimes a header
word added). Short documents keep the corpus small on disk and make the
per-document costs (reading, signing, shuffling) the ones measured, not text
length.

Each engine runs as its own process, so that the figures are the ones a user
sees: ``dedup scan DOCS --format json`` for the local engine (``--jobs W``),
and for the Dask engine this script in ``--child`` mode, which starts the
engine's own LocalCluster (``W`` worker processes, one thread each) and runs
the scan with a stage observer, so the wall time splits into cluster start,
signing, the band shuffle, bucketing and routing the candidate edges,
verification, grouping and the differ. Peak memory is sampled (psutil, every
0.2 s) per process of each run's process tree: the driver, and the largest
worker. Both reports are compared: they must be identical but for the engine
options.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import threading
import time
from operator import itemgetter
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
VOCABULARY = 5000


def build_corpus(folder: Path, n: int, seed: int) -> dict[str, Any]:
    """Write the corpus unless it is there already; return its description."""
    meta_file = folder / "meta.json"
    if meta_file.exists():
        meta = json.loads(meta_file.read_text())
        if meta["n"] == n and meta["seed"] == seed:
            return meta  # type: ignore[no-any-return]
    docs = folder / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    vocabulary = [f"w{k}" for k in range(VOCABULARY)]
    started = time.perf_counter()
    k = copies = groups = 0
    while k < n:
        words = itemgetter(*rng.integers(0, VOCABULARY, int(rng.integers(50, 71))).tolist())(
            vocabulary
        )
        k = _write(docs, k, " ".join(words), ".txt")
        if k % 40 == 0:
            groups += 1
            for _ in range(int(rng.integers(1, 4))):
                if k >= n:
                    break
                copy = list(words)
                copy[int(rng.integers(0, len(copy)))] = vocabulary[int(rng.integers(0, VOCABULARY))]
                if rng.random() < 0.5:
                    copy.insert(0, "Pressemitteilung")
                k = _write(docs, k, " ".join(copy), ".md")
                copies += 1
    meta = {
        "n": n,
        "seed": seed,
        "planted_groups": groups,
        "copies": copies,
        "build_s": round(time.perf_counter() - started, 1),
    }
    meta_file.write_text(json.dumps(meta, indent=1) + "\n")
    return meta


def _write(docs: Path, k: int, text: str, suffix: str) -> int:
    sub = docs / f"{k // 1_000_000:02d}" / f"{k // 1000 % 1000:03d}"
    if k % 1000 == 0:
        sub.mkdir(parents=True, exist_ok=True)
    (sub / f"d{k:07d}{suffix}").write_text(text)
    return k + 1


class Sampler:
    """Sample the resident memory of a process and its descendants; keep each process's peak."""

    def __init__(self, pid: int) -> None:
        import psutil

        self.root = psutil.Process(pid)
        self.peaks: dict[int, int] = {}
        self.cpu: dict[int, float] = {}
        self.total_peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        import psutil

        while not self._stop.is_set():
            try:
                tree = [self.root, *self.root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            total = 0
            for proc in tree:
                try:
                    rss = proc.memory_info().rss
                    times = proc.cpu_times()
                except psutil.NoSuchProcess:
                    continue
                self.cpu[proc.pid] = times.user + times.system
                total += rss
                self.peaks[proc.pid] = max(self.peaks.get(proc.pid, 0), rss)
            self.total_peak = max(self.total_peak, total)
            self._stop.wait(0.2)

    def stop(self) -> dict[str, float]:
        """Stop sampling; return CPU seconds and the peaks (driver, largest worker, tree) in MB."""
        self._stop.set()
        self._thread.join()
        workers = [rss for pid, rss in self.peaks.items() if pid != self.root.pid]
        mb = 1024 * 1024
        return {
            "cpu_s": round(sum(self.cpu.values()), 1),
            "driver_peak_mb": round(self.peaks.get(self.root.pid, 0) / mb, 1),
            "worker_peak_mb": round(max(workers, default=0) / mb, 1),
            "tree_peak_mb": round(self.total_peak / mb, 1),
        }


def timed(command: list[str]) -> dict[str, Any]:
    """Run a command; return its wall time and memory peaks."""
    load = os.getloadavg()[
        0
    ]  # a shared machine: a high load stretches the wall time, not the CPU time
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT)
    sampler = Sampler(process.pid)
    code = process.wait()
    figures: dict[str, Any] = {
        "wall_s": round(time.perf_counter() - started, 1),
        "returncode": code,
        "load_average_before": round(load, 1),
    }
    figures.update(sampler.stop())
    return figures


def child(docs: str, workers: int, report: str, stages_file: str) -> None:
    """Run the Dask engine in this process with a stage observer (the --child mode)."""
    from dedup import sources
    from dedup.engines import dask as engine
    from dedup.options import ScanOptions
    from dedup.render import Format, RenderOptions, render_scan
    from dedup.scan import _NoProgress

    marks = [("start", time.perf_counter(), _tree_cpu())]
    options = ScanOptions(engine="dask", jobs=workers)
    found = list(sources.discover([docs], options))
    marks.append(("listed", time.perf_counter(), _tree_cpu()))
    with engine.connect(options) as client:
        marks.append(("cluster started", time.perf_counter(), _tree_cpu()))
        result = engine.run(
            [f for f in found if isinstance(f, sources.Candidate)],
            [f for f in found if isinstance(f, sources.Skipped)],
            options,
            _NoProgress(),
            client,
            stages=lambda name: marks.append((name, time.perf_counter(), _tree_cpu())),
        )
        marks.append(("result", time.perf_counter(), _tree_cpu()))
    marks.append(("cluster stopped", time.perf_counter(), _tree_cpu()))
    with open(report, "w", encoding="utf-8") as out:
        render_scan(
            result,
            Format("json"),
            out,
            RenderOptions(color=False, show_all=False, side_by_side=False),
        )
    steps = {
        name: {"wall_s": round(t - marks[k][1], 2), "cpu_s": round(cpu - marks[k][2], 2)}
        if name != "cluster stopped"  # the workers' CPU leaves with them
        else {"wall_s": round(t - marks[k][1], 2)}
        for k, (name, t, cpu) in enumerate(marks[1:])
    }
    Path(stages_file).write_text(json.dumps(steps, indent=1) + "\n")


def _tree_cpu() -> float:
    """Return the CPU seconds of this process and its live descendants (driver and workers)."""
    import psutil

    total = 0.0
    for proc in [psutil.Process(), *psutil.Process().children(recursive=True)]:
        try:
            times = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def same_reports(a_file: Path, b_file: Path) -> bool:
    """Tell whether two JSON reports agree on everything but the engine options."""
    a, b = (json.loads(f.read_text()) for f in (a_file, b_file))
    for report in (a, b):
        report.pop("options")
    return a == b  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", type=Path, default=None, help="write the figures here too")
    parser.add_argument("--skip-local", action="store_true", help="time the Dask engine only")
    parser.add_argument(
        "--child", nargs=3, metavar=("DOCS", "REPORT", "STAGES"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.workers, args.child[1], args.child[2])
        return
    folder = ROOT / "bench" / "data" / f"dask-scale-{args.n}"
    corpus = build_corpus(folder, args.n, args.seed)
    docs = str(folder / "docs")
    print(f"corpus: {json.dumps(corpus)}", flush=True)
    figures: dict[str, Any] = {
        "machine": {"nproc": os.cpu_count(), "python": platform.python_version()},
        "corpus": corpus,
        "workers": args.workers,
    }
    if not args.skip_local:
        local = folder / "report-local.json"
        figures["local"] = timed(
            [
                sys.executable,
                "-m",
                "dedup",
                "scan",
                docs,
                "--format",
                "json",
                "-q",
                "--jobs",
                str(args.workers),
                "-o",
                str(local),
            ]
        )
        print(f"local: {json.dumps(figures['local'])}", flush=True)
    on_dask, stages = folder / "report-dask.json", folder / "stages-dask.json"
    figures["dask"] = timed(
        [
            sys.executable,
            __file__,
            "--workers",
            str(args.workers),
            "--child",
            docs,
            str(on_dask),
            str(stages),
        ]
    )
    figures["dask"]["stages_s"] = json.loads(stages.read_text())
    run = figures["dask"]["stages_s"]
    figures["dask"]["band_shuffle_share"] = {
        "wall": round(run["band shuffle"]["wall_s"] / figures["dask"]["wall_s"], 4),
        "cpu": round(run["band shuffle"]["cpu_s"] / figures["dask"]["cpu_s"], 4),
    }
    print(f"dask: {json.dumps(figures['dask'])}", flush=True)
    if not args.skip_local:
        figures["identical_reports"] = same_reports(local, on_dask)
        print(f"identical reports: {figures['identical_reports']}", flush=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=1) + "\n")


if __name__ == "__main__":
    main()
