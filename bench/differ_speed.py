"""How long `dedup diff` takes to align two 50,000-word versions with 1% of the words changed.

Run: python bench/differ_speed.py [--words 50000] [--changed 0.01] [--repeat 3] [--text FILE] [--rewritten N]
Prose: the test texts of tests/text.py are too short, so the versions are made
of sentences drawn (with a fixed seed) from the samples' prose, or with
--text of FILE's words (for large texts, whose sentences do not repeat as a
few samples' do). --rewritten N replaces N words in the middle of version B
by as many of A's words in random order, without the marks that end a
sentence: a passage rewritten whole, no sentence of which can match one of A
(a short sentence such as "Ja." would), so that the word-level alignment meets
it in one piece. The peak resident memory of the process is printed too.
The figure is CPU time of this process (one core); on a shared machine take
the best of several runs (--repeat) and note the load average printed with it.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import statistics
import subprocess
import time
from pathlib import Path

from dedup.differ import Version, compare

ROOT = Path(__file__).resolve().parent.parent


def sentences() -> list[str]:
    text = " ".join(p.read_text(encoding="utf-8", errors="replace") for p in sorted((ROOT / "samples").rglob("*.txt")))
    return [s for s in re.split(r"(?<=[.!?])\s+", " ".join(text.split())) if len(s.split()) > 4]


def versions(words: int, changed: float, seed: int, text: str | None = None,
             rewritten: int = 0) -> tuple[str, str]:
    rng = random.Random(seed)
    pool = sentences()
    out: list[str] = text.split() if text is not None else []
    while len(out) < words:
        out.extend(rng.choice(pool).split())
    a = out if text is not None else out[:words]
    words = len(a)
    b = list(a)
    for i in rng.sample(range(words), int(words * changed)):
        b[i] = b[i] + "x" if rng.random() < 0.5 else rng.choice(pool).split()[0]
    if rewritten:
        middle = (words - rewritten) // 2
        b[middle : middle + rewritten] = [w.rstrip(".!?") or "x" for w in rng.sample(a, rewritten)]
    para = lambda ws: "\n\n".join(" ".join(ws[i : i + 120]) for i in range(0, len(ws), 120))  # noqa: E731
    return para(a), para(b)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--words", type=int, default=50_000)
    parser.add_argument("--changed", type=float, default=0.01)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--text", type=Path, help="version A is this file's words (--words is then ignored)")
    parser.add_argument("--rewritten", type=int, default=0, help="words rewritten in one passage of version B")
    args = parser.parse_args()
    text = args.text.read_text(encoding="utf-8", errors="replace") if args.text else None
    a, b = versions(args.words, args.changed, seed=1, text=text, rewritten=args.rewritten)
    words = len(a.split())
    timings, cpu = [], []
    compare(Version.of("a.txt", a[:2000]), Version.of("b.txt", b[:2000]))  # warm: imports, lemma tables
    for _ in range(args.repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        found = compare(Version.of("a.txt", a), Version.of("b.txt", b))
        timings.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    print(f"words per version: {words}, changed: {args.changed:.4%} ({int(words * args.changed)} words), "
          f"{args.rewritten} rewritten in one passage")
    print(f"discrepancies reported: {len(found)}")
    print(f"diff time (normalize both + align + classify), median of {args.repeat}: "
          f"{statistics.median(timings):.3f} s wall, {statistics.median(cpu):.3f} s CPU (one core)")
    print(f"best of {args.repeat}: {min(timings):.3f} s wall, {min(cpu):.3f} s CPU")
    print(f"peak resident memory of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    print(f"dedup {commit()}, load average {' / '.join(f'{x:.2f}' for x in os.getloadavg())}")


def commit() -> str:
    """Return the short commit of the code measured, marked when dedup/ has uncommitted changes."""
    def git(*args: str) -> str:
        done = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else ""

    head = git("rev-parse", "--short", "HEAD") or "(not a git checkout)"
    dirty = git("status", "--porcelain", "dedup")
    return head + (" + uncommitted changes in dedup/" if dirty else "")


if __name__ == "__main__":
    main()
