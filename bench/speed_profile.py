#!/usr/bin/env python3
"""Where `dedup scan` spends its time, stage by stage, sampled with py-spy.

Runs ``py-spy record --subprocesses`` on ``dedup scan DOCS --format json -q``
(the worker processes included; idle samples, such as the main process waiting
for its workers, are not counted), then attributes every sample to a stage by
its call stack:

* the phase is the outermost dedup frame that names one (signing a batch,
  LSH, verify, cluster, comparing a group, rendering the report);
* inside signing and comparing, the sub-stage is the innermost frame that names
  one (reading, normalize and its furniture pass, tokens, shingles, signature,
  band keys; re-reading, normalize, lemmatizer, differ).

A sample is taken ``--rate`` times a second from every process that is not
blocked, so "active s" adds up the processes; on a busy machine it counts time
spent runnable but waiting for a core too, so read the shares rather than the
seconds.  Needs ``pip install py-spy`` (the bench extra).

    python bench/speed_profile.py --n 100000 [--jobs 2] [--rate 50] [--raw stacks.txt]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

BENCH = Path(__file__).resolve().parent

# (stage, pattern over one frame "function (file:line)"); the first that matches names the phase.
PHASES = [
    ("discover", r"^discover \(dedup/sources\.py"),
    ("sign", r"^sign_batch \(dedup/scan\.py"),
    ("LSH candidates", r"^candidates \(dedup/index\.py"),
    ("verify", r"^verify \(dedup/groups\.py"),
    ("cluster", r"^cluster \(dedup/groups\.py"),
    ("differ", r"^compare_group \(dedup/scan\.py"),
    ("render", r"\(dedup/render/|^render_scan "),
    ("result objects", r"^_group \(dedup/scan\.py|^ScanResult"),
]
SIGN_STAGES = [
    ("read+decode", r"^(read|decode|_read_bytes|_looks_binary) \(dedup/sources\.py"),
    ("normalize: furniture", r"\(dedup/furniture\.py"),
    ("normalize", r"\(dedup/normalize\.py"),
    ("tokens", r"^(tokens|code_points|word_table) \(dedup/fingerprint\.py"),
    ("shingles", r"^(shingle_hashes|fingerprints|_word_hashes|_shingle_keys|_combine|_fold|distinct|_powers|"
                 r"_power_table|_power_arrays|_fmix64) \(dedup/fingerprint\.py"),
    ("signature", r"^(signature|_signatures|_fmix32|permutations) \(dedup/fingerprint\.py"),
    ("band keys", r"^band_keys \(dedup/index\.py"),
]
DIFFER_STAGES = [
    ("re-read", r"\(dedup/sources\.py"),
    ("normalize: furniture", r"\(dedup/furniture\.py"),
    ("normalize", r"\(dedup/normalize\.py"),
    ("lemmatizer (simplemma)", r"\(simplemma/"),
    ("align", r"\(dedup/align\.py"),
    ("classify", r"\(dedup/classify\.py"),
]
IPC = r"\((concurrent/futures|multiprocessing)/|pickle"
STARTUP = r"^_find_and_load \("


def _match(rules: list[tuple[str, str]], frame: str) -> str | None:
    for stage, pattern in rules:
        if re.search(pattern, frame):
            return stage
    return None


def stage_of(frames: list[str]) -> str:
    """Return the stage of one sampled stack (outermost frame first)."""
    for k, frame in enumerate(frames):
        phase = _match(PHASES, frame)
        if phase is None:
            continue
        sub_rules = {"sign": SIGN_STAGES, "differ": DIFFER_STAGES}.get(phase)
        if sub_rules:
            for inner in reversed(frames[k + 1 :]):
                sub = _match(sub_rules, inner)
                if sub:
                    return f"{phase}: {sub}"
            return f"{phase}: other"
        return phase
    if any(re.search(IPC, f) for f in frames):
        return "process pool / IPC"
    if any(re.search(STARTUP, f) for f in frames):
        return "startup (imports)"
    return "other"


def summarize(raw: Path, rate: int) -> tuple[Counter[str], Counter[str]]:
    """Return samples per stage and per process from py-spy's raw (collapsed) output."""
    stages: Counter[str] = Counter()
    processes: Counter[str] = Counter()
    for line in raw.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        frames = stack.split(";")
        # With --subprocesses a worker's stack is nested in its parent's: the innermost
        # "process PID:command" frame names the process that was sampled.
        marks = [k for k, f in enumerate(frames) if f.startswith("process ")]
        process = frames[marks[-1]].split(":")[0] if marks else "?"
        body = frames[marks[-1] + 1 :] if marks else frames
        stages[stage_of(body)] += int(count)
        processes[process] += int(count)
    return stages, processes


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("docs", nargs="?", help="folder to scan (default: bench/data/speed-N/docs)")
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--rate", type=int, default=50, help="samples per second per process")
    ap.add_argument("--raw", type=Path, default=None, help="keep py-spy's collapsed stacks here")
    ap.add_argument(
        "--from-raw", type=Path, default=None, help="only summarize an earlier --raw file"
    )
    args = ap.parse_args(argv)
    if args.from_raw:
        raw, wall = args.from_raw, None
    else:
        docs = args.docs or str(BENCH / "data" / f"speed-{args.n}" / "docs")
        pyspy = shutil.which("py-spy", path=os.path.dirname(sys.executable)) or shutil.which(
            "py-spy"
        )
        dedup = shutil.which("dedup", path=os.path.dirname(sys.executable)) or "dedup"
        if not pyspy:
            sys.exit("speed_profile: py-spy not found (pip install py-spy)")
        raw = args.raw or Path(tempfile.mkstemp(prefix="dedup-profile-", suffix=".txt")[1])
        command = [
            pyspy,
            "record",
            "--format",
            "raw",
            "--rate",
            str(args.rate),
            "--subprocesses",
            "-o",
            str(raw),
            "--",
            dedup,
            "scan",
            docs,
            "--format",
            "json",
            "-q",
            "--jobs",
            str(args.jobs),
        ]
        print("speed_profile: " + " ".join(command), file=sys.stderr, flush=True)
        started = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wall = time.perf_counter() - started
    stages, processes = summarize(raw, args.rate)
    total = sum(stages.values())
    print("| stage | samples | share | active s |")
    print("| --- | ---: | ---: | ---: |")
    for stage, count in stages.most_common():
        print(f"| {stage} | {count:,} | {100 * count / total:.1f} % | {count / args.rate:,.1f} |")
    print(f"| total | {total:,} | 100 % | {total / args.rate:,.1f} |")
    print()
    print(
        "per process (active s): "
        + ", ".join(
            f"{p.removeprefix('process ')} {c / args.rate:,.1f}" for p, c in processes.most_common()
        )
    )
    if wall is not None:
        print(f"wall time under py-spy: {wall:,.1f} s")
        from speed import dedup_state  # bench/ is this script's folder, first on sys.path

        state = dedup_state()
        dirty = " + uncommitted changes" if state["dirty"] else ""
        print(f"dedup profiled: commit {state['commit']}{dirty}, code {state['code_sha256']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
