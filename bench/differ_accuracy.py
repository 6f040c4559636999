#!/usr/bin/env python3
# ruff: noqa: E501  (report-formatting f-strings)
"""Score the differ against the planted edits of bench/data/diff_corpus/.

Runs ``python -m dedup diff A B --format json`` on every pair (as a
subprocess, from the repository root), reads the ``discrepancies`` list and
compares it with ``truth.json``.  Discrepancies with severity "minor" are
ignored.

Matching rule (also in bench/README.md):

* Text is normalised before comparing: Unicode NFKC, soft hyphens dropped,
  quotes and dashes unified, case folded, and a hyphen at a line end is
  undone both ways ("Ent-\\nwickler" gives "entwickler" as well as "ent",
  "wickler"); tokens are runs of letters/digits.
* The *core* of a planted edit is what differs: for "changed" the tokens of
  a_text not in b_text (A side) and of b_text not in a_text (B side); for
  "added" the tokens of b_text; for "removed" those of a_text.
* A reported major discrepancy matches a planted edit when (1) its a_text
  shares a core token of the A side, or its b_text one of the B side - the
  direction must be right - and (2) it is near: on some side where the
  report gives a line, the report's lines (its line plus the newlines in its
  text) come within 2 lines of the planted edit's lines in that file.  A
  report that gives no line on either side passes (2); and (3) it is not
  much larger than the planted edit: on each side at most 25 tokens more than
  the planted text (a report of a whole paragraph does not "find" a changed
  word in it).
* A planted edit is *found* if at least one report matches it; it is
  *classified correctly* if its best report (the one that covers most of its
  core; ties go to the report matching fewer edits) has the planted category.
  A report that is the best report of two or more planted edits is counted
  as "merged"; a matching report that is no edit's best report is a
  "fragment", not a false report.  A major report that matches no
  planted edit is a *false report*.

    python bench/differ_accuracy.py [--jobs 2] [--limit N] [--cmd "python -m dedup diff"]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import subprocess
import sys
import time
import unicodedata
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CATEGORIES = ("name", "inflection", "number", "date", "word", "sentence", "header", "footer")
TARGET_FOUND, TARGET_FALSE, TARGET_CLASSIFIED = 95.0, 5.0, 90.0
LINE_SLACK = 2
SIZE_SLACK = 25

QUOTES = str.maketrans({c: '"' for c in "„“”«»‚‘’‹›'`´"} | {c: "-" for c in "‐‑‒–—―−"})


def _variants(s: str) -> list[str]:
    s = unicodedata.normalize("NFKC", s or "").replace("\u00ad", "").translate(QUOTES).casefold()
    joined = re.sub(r"(\w)-[ \t]*\r?\n\s*(\w)", r"\1\2", s)
    kept = re.sub(r"-[ \t]*\r?\n\s*", "-", s)
    return [joined, kept]


def token_list(s: str) -> list[str]:
    """Tokens of s, with end-of-line hyphenation undone."""
    return re.findall(r"\w+", _variants(s)[0])


def token_set(s: str) -> set[str]:
    """All tokens s may stand for: hyphenation undone and kept, compounds joined."""
    out: set[str] = set()
    for v in _variants(s):
        out.update(re.findall(r"\w+", v))
        out.update(w.replace("-", "") for w in re.findall(r"\w+(?:-\w+)+", v))
    return out


def core(edit: dict[str, Any]) -> tuple[set[str], set[str]]:
    a, b = token_list(edit["a_text"]), token_list(edit["b_text"])
    if edit["kind"] == "added":
        return set(), set(b)
    if edit["kind"] == "removed":
        return set(a), set()
    ca, cb = Counter(a), Counter(b)
    da, db = set((ca - cb).keys()), set((cb - ca).keys())
    if not da and not db:
        da, db = set(a), set(b)
    return da, db


def _line(pos: object) -> int | None:
    if isinstance(pos, dict):
        v = pos.get("line")
        return v if isinstance(v, int) else None
    return None


def near(rep: dict[str, Any], edit: dict[str, Any]) -> bool:
    any_line = False
    for side in ("a", "b"):
        line = _line(rep.get(side))
        if line is None:
            continue
        any_line = True
        lo = line
        hi = line + (rep.get(f"{side}_text") or "").count("\n")
        plo, phi = edit[f"{side}_lines"]
        if lo <= phi + LINE_SLACK and hi >= plo - LINE_SLACK:
            return True
    return not any_line


def tight(rep: dict[str, Any], edit: dict[str, Any]) -> bool:
    """The report is not much larger than the planted edit (at most SIZE_SLACK more tokens a side)."""
    for side in ("a", "b"):
        if (
            len(token_list(rep.get(f"{side}_text") or ""))
            > len(token_list(edit[f"{side}_text"])) + SIZE_SLACK
        ):
            return False
    return True


def overlap(rep: dict[str, Any], edit: dict[str, Any], cores: tuple[set[str], set[str]]) -> float:
    """Share of the planted core found on the right side of the report (0 = no match)."""
    ca, cb = cores
    hit = len(ca & token_set(rep.get("a_text") or "")) + len(
        cb & token_set(rep.get("b_text") or "")
    )
    return hit / max(1, len(ca) + len(cb))


def find_discrepancies(doc: object) -> list[dict[str, Any]] | None:
    if isinstance(doc, dict):
        if isinstance(doc.get("discrepancies"), list):
            found_list: list[dict[str, Any]] = doc["discrepancies"]
            return found_list
        for v in doc.values():
            found = find_discrepancies(v)
            if found is not None:
                return found
    if isinstance(doc, list):
        out: list[dict[str, Any]] = []
        hit = False
        for v in doc:
            found = find_discrepancies(v)
            if found is not None:
                hit = True
                out += found
        return out if hit else None
    return None


def run_pair(pair: str, corpus: Path, cmd: list[str], timeout: float) -> dict[str, Any]:
    truth = json.loads((corpus / "pairs" / pair / "truth.json").read_text(encoding="utf-8"))
    a, b = str(corpus / truth["a"]), str(corpus / truth["b"])
    t0 = time.time()
    res = {"truth": truth, "error": None, "reports": [], "seconds": 0.0}
    try:
        p = subprocess.run(
            [*cmd, a, b, "--format", "json"], capture_output=True, cwd=REPO, timeout=timeout
        )
        res["seconds"] = time.time() - t0
        out = p.stdout.decode("utf-8", errors="replace")
        try:
            doc = json.loads(out)
        except json.JSONDecodeError:
            res["error"] = (
                f"exit {p.returncode}, no JSON on stdout: {out[:200]!r} {p.stderr.decode(errors='replace')[-400:]!r}"
            )
            return res
        reps = find_discrepancies(doc)
        if reps is None:
            res["error"] = f"exit {p.returncode}, JSON has no 'discrepancies' list"
            return res
        res["reports"] = [r for r in reps if isinstance(r, dict)]
    except subprocess.TimeoutExpired:
        res["error"] = f"timed out after {timeout}s"
        res["seconds"] = time.time() - t0
    return res


def score_pair(res: dict[str, Any]) -> dict[str, Any]:
    edits = res["truth"]["edits"]
    cores = [core(e) for e in edits]
    major = [r for r in res["reports"] if str(r.get("severity", "major")).lower() != "minor"]
    minor = len(res["reports"]) - len(major)
    # matches[i] = list of (overlap, report index)
    matches: dict[int, list[tuple[float, int]]] = defaultdict(list)
    covered: dict[int, list[int]] = defaultdict(list)
    for j, r in enumerate(major):
        for i, e in enumerate(edits):
            ov = overlap(r, e, cores[i])
            if ov > 0 and near(r, e) and tight(r, e):
                matches[i].append((ov, j))
                covered[j].append(i)
    out_edits = []
    best_for: Counter[int] = Counter()  # report index -> number of edits it is the best report for
    for i, e in enumerate(edits):
        m = sorted(matches[i], key=lambda t: (-t[0], len(covered[t[1]]), t[1]))
        best = major[m[0][1]] if m else None
        if m:
            best_for[m[0][1]] += 1
        out_edits.append(
            {
                "edit": e,
                "found": bool(m),
                "report": best,
                "category_ok": best is not None and best.get("category") == e["category"],
                "kind_ok": best is not None and best.get("kind") == e["kind"],
                "n_reports": len(m),
            }
        )
    false = [r for j, r in enumerate(major) if not covered[j]]
    return {
        "id": res["truth"]["id"],
        "truth": res["truth"],
        "edits": out_edits,
        "major": major,
        "false": false,
        "merged": sum(1 for n in best_for.values() if n > 1),
        "fragments": sum(1 for j in covered if covered[j] and not best_for[j]),
        "minor": minor,
        "error": res["error"],
        "seconds": res["seconds"],
    }


def pct(n: int, d: int) -> str:
    return f"{100.0 * n / d:5.1f}%" if d else "   n/a"


def _short(s: str | None, n: int = 90) -> str:
    s = (s or "").replace("\n", "⏎")
    return s if len(s) <= n else s[: n - 1] + "…"


def _excerpt(path: Path, lines: list[int], slack: int = 1) -> str:
    try:
        text = path.read_text(encoding="utf-8").split("\n")
    except OSError:
        return ""
    lo, hi = max(1, lines[0] - slack), min(len(text), lines[1] + slack)
    return "\n".join(f"      {k:4d}| {text[k - 1]}" for k in range(lo, hi + 1))


def write_examples(scored: list[dict[str, Any]], corpus: Path, path: Path, n: int = 10) -> None:
    out = ["Differ accuracy: examples of misses, false reports and misclassifications", ""]
    misses = [(s, e) for s in scored for e in s["edits"] if not e["found"]]
    wrong = [(s, e) for s in scored for e in s["edits"] if e["found"] and not e["category_ok"]]
    false = [(s, r) for s in scored for r in s["false"]]

    def pdir(s: dict[str, Any]) -> Path:
        return corpus / "pairs" / str(s["id"])

    out.append(f"== MISSES ({len(misses)} in all; first {n})")
    for s, e in misses[:n]:
        ed = e["edit"]
        t = s["truth"]
        out.append(
            f"-- pair {s['id']} ({t['lang']}, pdf side {t['pdf_side']}, {t['extractor']}): planted {ed['category']}/{ed['kind']}"
            f"  a={_short(ed['a_text'])!r}  b={_short(ed['b_text'])!r}  a_lines={ed['a_lines']} b_lines={ed['b_lines']}"
        )
        if s["error"]:
            out.append(f"   differ error: {s['error']}")
        out.append(f"   A {pdir(s) / 'a.txt'}:\n{_excerpt(pdir(s) / 'a.txt', ed['a_lines'])}")
        out.append(f"   B {pdir(s) / 'b.txt'}:\n{_excerpt(pdir(s) / 'b.txt', ed['b_lines'])}")
        near_reps = [r for r in s["major"] if near(r, ed)]
        for r in near_reps[:3]:
            out.append(
                f"   nearby report: {r.get('category')}/{r.get('kind')} a={_short(r.get('a_text'))!r} b={_short(r.get('b_text'))!r}"
            )
        out.append("")
    out.append(f"== FALSE REPORTS ({len(false)} in all; first {n})")
    for s, r in false[:n]:
        t = s["truth"]
        la, lb = _line(r.get("a")), _line(r.get("b"))
        out.append(
            f"-- pair {s['id']} ({t['lang']}, pdf side {t['pdf_side']}, {t['extractor']}): reported "
            f"{r.get('category')}/{r.get('kind')} a@{la}={_short(r.get('a_text'))!r} b@{lb}={_short(r.get('b_text'))!r}"
        )
        if r.get("context"):
            out.append(f"   context: {_short(r.get('context'), 160)!r}")
        planted = "; ".join(
            f"{e['edit']['category']}/{e['edit']['kind']} a={_short(e['edit']['a_text'], 40)!r} b={_short(e['edit']['b_text'], 40)!r}"
            for e in s["edits"]
        )
        out.append(f"   planted in this pair: {planted}")
        if la:
            out.append(f"   A:\n{_excerpt(pdir(s) / 'a.txt', [la, la])}")
        if lb:
            out.append(f"   B:\n{_excerpt(pdir(s) / 'b.txt', [lb, lb])}")
        out.append("")
    out.append(f"== MISCLASSIFIED ({len(wrong)} in all; first {n})")
    for s, e in wrong[:n]:
        ed, r = e["edit"], e["report"]
        out.append(
            f"-- pair {s['id']} ({s['truth']['lang']}): planted {ed['category']}/{ed['kind']} a={_short(ed['a_text'])!r} b={_short(ed['b_text'])!r}\n"
            f"   reported {r.get('category')}/{r.get('kind')} a={_short(r.get('a_text'))!r} b={_short(r.get('b_text'))!r}"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def summarise(scored: list[dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    lines = []
    per: dict[str, Counter[str]] = defaultdict(Counter)
    for s in scored:
        for e in s["edits"]:
            c = per[e["edit"]["category"]]
            c["planted"] += 1
            c["found"] += e["found"]
            c["class_ok"] += e["category_ok"]
            c["kind_ok"] += e["kind_ok"]
        for r in s["major"]:
            per[str(r.get("category"))]["reported"] += 1
        for r in s["false"]:
            per[str(r.get("category"))]["false"] += 1
    tot: Counter[str] = Counter()
    for c in per.values():
        tot.update(c)
    head = f"{'category':<12}{'planted':>8}{'found':>9}{'classified':>12}{'kind ok':>9}{'reported':>10}{'false':>9}"
    lines += [head, "-" * len(head)]
    cats = list(CATEGORIES) + sorted(k for k in per if k not in CATEGORIES)
    for cat in cats:
        c = per[cat]
        if not c:
            continue
        lines.append(
            f"{cat:<12}{c['planted']:>8}{pct(c['found'], c['planted']):>9}{pct(c['class_ok'], c['found']):>12}"
            f"{pct(c['kind_ok'], c['found']):>9}{c['reported']:>10}{pct(c['false'], c['reported']):>9}"
        )
    lines.append("-" * len(head))
    lines.append(
        f"{'all':<12}{tot['planted']:>8}{pct(tot['found'], tot['planted']):>9}{pct(tot['class_ok'], tot['found']):>12}"
        f"{pct(tot['kind_ok'], tot['found']):>9}{tot['reported']:>10}{pct(tot['false'], tot['reported']):>9}"
    )
    lines.append(
        "found = share of planted edits matched by a major report; classified = of those found, share whose"
    )
    lines.append(
        "best report has the planted category; false = share of major reports matching no planted edit."
    )
    # breakdowns
    breakdowns = (
        ("language", "lang"),
        ("extractor", "extractor"),
        ("pdf side", "pdf_side"),
        ("edited side", "edited_side"),
    )
    for label, field in breakdowns:
        g: dict[str, Counter[str]] = defaultdict(Counter)
        for s in scored:
            k = str(s["truth"][field])
            g[k]["planted"] += len(s["edits"])
            g[k]["found"] += sum(e["found"] for e in s["edits"])
            g[k]["class_ok"] += sum(e["category_ok"] for e in s["edits"])
            g[k]["reported"] += len(s["major"])
            g[k]["false"] += len(s["false"])
        lines.append(
            f"by {label}: "
            + "; ".join(
                f"{k}: found {pct(v['found'], v['planted']).strip()}, classified {pct(v['class_ok'], v['found']).strip()}, "
                f"false {pct(v['false'], v['reported']).strip()}"
                for k, v in sorted(g.items())
            )
        )
    errors = [s for s in scored if s["error"]]
    merged = sum(s["merged"] for s in scored)
    frags = sum(s["fragments"] for s in scored)
    minor = sum(s["minor"] for s in scored)
    clean_pairs = sum(
        1
        for s in scored
        if not s["false"] and all(e["found"] and e["category_ok"] for e in s["edits"])
    )
    lines.append(
        f"pairs: {len(scored)} (fully right: {clean_pairs}); differ errors: {len(errors)}; minor reports ignored: {minor}; "
        f"merged reports (one report, several planted edits): {merged}; fragment reports: {frags}"
    )
    found = 100.0 * tot["found"] / tot["planted"] if tot["planted"] else 0.0
    false = 100.0 * tot["false"] / tot["reported"] if tot["reported"] else 0.0
    classified = 100.0 * tot["class_ok"] / tot["found"] if tot["found"] else 0.0
    ok = found >= TARGET_FOUND and false <= TARGET_FALSE and classified >= TARGET_CLASSIFIED
    per_cat_fail = [
        c
        for c in CATEGORIES
        if per[c]["planted"]
        and (
            100.0 * per[c]["found"] / per[c]["planted"] < TARGET_FOUND
            or (
                per[c]["found"] and 100.0 * per[c]["class_ok"] / per[c]["found"] < TARGET_CLASSIFIED
            )
        )
    ]
    lines.append(
        f"targets (found >= {TARGET_FOUND:.0f}%, false <= {TARGET_FALSE:.0f}%, classified >= {TARGET_CLASSIFIED:.0f}%): "
        f"found {found:.1f}%, false {false:.1f}%, classified {classified:.1f}% -> {'MET' if ok else 'NOT MET'}"
        + (f"; categories below target: {', '.join(per_cat_fail)}" if per_cat_fail else "")
    )
    summary = {
        "found_pct": round(found, 2),
        "false_pct": round(false, 2),
        "classified_pct": round(classified, 2),
        "targets_met": ok and not per_cat_fail,
        "per_category": {k: dict(v) for k, v in per.items()},
        "pairs": len(scored),
        "errors": len(errors),
        "merged": merged,
        "fragments": frags,
        "minor_ignored": minor,
    }
    return "\n".join(lines), summary


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=HERE / "data" / "diff_corpus")
    ap.add_argument("--jobs", type=int, default=2, help="pairs run in parallel (default 2)")
    ap.add_argument("--limit", type=int, default=0, help="score only the first N pairs")
    ap.add_argument("--cmd", default=os.environ.get("DEDUP_DIFF_CMD", f"{shlex.quote(sys.executable)} -m dedup diff"),
                    help="differ command; 'A B --format json' is appended (default: python -m dedup diff)")  # fmt: skip
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds per pair")
    ap.add_argument("--misses", type=Path, default=HERE / "data" / "diff_misses.txt")
    ap.add_argument(
        "--json",
        type=Path,
        default=HERE / "data" / "differ_accuracy.json",
        help="write the summary here",
    )
    ap.add_argument("--examples", type=int, default=10)
    ap.add_argument("--check", action="store_true", help="exit 1 when a target is not met")
    args = ap.parse_args()
    manifest_path = args.corpus / "manifest.json"
    if not manifest_path.exists():
        sys.exit(f"no corpus at {args.corpus}; build it first: python bench/diff_corpus.py")
    pairs = json.loads(manifest_path.read_text(encoding="utf-8"))["pairs"]
    if args.limit:
        pairs = pairs[: args.limit]
    cmd = shlex.split(args.cmd)
    t0 = time.time()
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        results = list(pool.map(lambda p: run_pair(p, args.corpus, cmd, args.timeout), pairs))
    scored = [score_pair(r) for r in results]
    table, summary = summarise(scored)
    wall = time.time() - t0
    print(f"differ: {args.cmd}  corpus: {args.corpus}  pairs: {len(pairs)}  wall {wall:.1f}s "
          f"(mean {sum(s['seconds'] for s in scored) / max(1, len(scored)):.2f}s per pair, jobs {args.jobs})")  # fmt: skip
    print(table)
    errs = [s for s in scored if s["error"]]
    for s in errs[:3]:
        print(f"  error in pair {s['id']}: {s['error'][:300]}", file=sys.stderr)
    write_examples(scored, args.corpus, args.misses, args.examples)
    print(f"examples of misses / false reports: {args.misses}")
    summary.update({"wall_seconds": round(wall, 1), "cmd": args.cmd})
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    return 1 if args.check and not summary["targets_met"] else 0


if __name__ == "__main__":
    sys.exit(main())
