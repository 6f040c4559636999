#!/usr/bin/env python3
r"""Build the speed-benchmark corpus: N documents of real prose with planted near-duplicates.

Text source: Debian documentation packages, all read offline (install them with
``apt-get install debian-handbook debian-reference-en debian-reference-de
python3.11-doc debian-policy developers-reference``):

* debian-handbook, every translation (HTML, paragraph text only);
* debian-reference in English and German (plain text);
* Python 3.11's documentation sources (reStructuredText, prose paragraphs only);
* debian-policy and developers-reference (plain text / reStructuredText);
* /usr/share/common-licenses.

The prose is split into sentences, de-duplicated globally (so untranslated
passages of a translation are not counted twice), kept per language (Chinese and
Japanese left out: without blanks between words, ``\w+`` "words" are whole
clauses) and cut into clause-like fragments of 4-15 words.  A base document is
written in one language: paragraphs of 1-5 sentences, each sentence 1-3 random
fragments joined by a comma, semicolon or dash, until a target size drawn from a
log-normal law (median 1.7 KB, mean ~2.2 KB, 600 B to 16 KB) is reached.  Half the
base documents are hard-wrapped at 64-79 columns, half have one paragraph a line.
Recombining fragments (rather than whole sentences or paragraphs) is what keeps
unrelated documents apart even at a million documents, where every fragment is
used about a hundred times: two unrelated documents share a fragment's few
shingles at most (``--measure-overlap`` measures it).

About ``--dup-share`` (10 %) of the documents are planted copies: each group is
one base document and 1-5 copies, each copy derived from the base by one or more
of

* edits: word substitutions, deletions, insertions, inflection and number changes
  (0.5-2.5 % of the words, at least one);
* a header line (and sometimes a footer line) added;
* re-wrapping: hard line breaks at another width (40-72 columns), end-of-line
  hyphenation of long words, sometimes CRLF line ends and trailing blanks.

Every planted pair's exact Jaccard similarity of 5-word shingles, measured on the
text before layout (line breaks and hyphenation undone), is at least
0.55 (``MIN_JACCARD``): copies that fall below are regenerated with fewer
edits (``min_jaccard`` in truth.jsonl is each group's lowest).  So a tool that
undoes layout perfectly and measures Jaccard exactly at threshold 0.5 finds every
planted pair.

Output (``bench/data/speed-<N>/`` unless ``--out``)::

    docs/<NN>/<NNN>/d<NNNNNNN>.txt   at most 1000 entries a folder
    truth.jsonl                      one planted group a line
    meta.json                        corpus statistics and the command that built it

The corpus depends only on ``--n``, ``--seed`` and the installed documentation,
never on ``--jobs``.

    python bench/speed_corpus.py --n 10000 [--seed 1] [--jobs 2] [--measure-overlap 300]
"""

from __future__ import annotations

import argparse
import gzip
import html.parser
import json
import math
import os
import random
import re
import shutil
import sys
import time
import zlib
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
DATA = BENCH / "data"
POOL_VERSION = 2
# Bump whenever the documents built for a given --n and --seed change.
GENERATOR_VERSION = 1

HANDBOOK = Path("/usr/share/doc/debian-handbook/html")
REFERENCE = Path("/usr/share/debian-reference")
PYDOCS = Path("/usr/share/doc/python3.11/html/_sources")
POLICY = Path("/usr/share/doc/debian-policy")
DEVREF = Path("/usr/share/developers-reference/_sources")
LICENSES = Path("/usr/share/common-licenses")

_WORD = re.compile(r"\w+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'„“(]?[^\W\d_])")
SHINGLE = 5
NO_BLANKS = {"zh", "ja"}


# -- the text pool ------------------------------------------------------------


class _Paragraphs(html.parser.HTMLParser):
    """Collect the text of paragraphs (<p>, DocBook's <div class="para">), without <pre> blocks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[str] = []
        self._open: list[bool] = []  # per open p/div: does it start a paragraph?
        self._inside = 0
        self._skip = 0
        self._parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("p", "div"):
            classes = (dict(attrs).get("class") or "").split()
            starts = (tag == "p" and "title" not in classes) or (tag == "div" and "para" in classes)
            starts = starts and not self._inside
            self._open.append(starts)
            if starts:
                self._inside = 1
                self._parts = []
        elif tag in ("pre", "script", "style"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("p", "div") and self._open:
            if self._open.pop():
                self._inside = 0
                self.paragraphs.append(" ".join("".join(self._parts).split()))
        elif tag in ("pre", "script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if self._inside and not self._skip:
            self._parts.append(data)


def _html_paragraphs(path: Path) -> list[str]:
    parser = _Paragraphs()
    parser.feed(path.read_text(encoding="utf-8", errors="replace"))
    return parser.paragraphs


def _text_paragraphs(text: str, max_indent: int = 4) -> list[str]:
    """Return the paragraphs of plain text or reST, without code, tables and markup lines."""
    paragraphs = []
    for block in re.split(r"\n[ \t]*\n", text):
        lines = [ln.expandtabs() for ln in block.splitlines() if ln.strip()]
        if not lines:
            continue
        if len(lines[0]) - len(lines[0].lstrip()) > max_indent:
            continue  # deeper indented: code, literal block, table
        if any(
            ln.lstrip().startswith((">>>", "..", "$ ", "#", "|", "+-", "==", "--", "~~"))
            for ln in lines
        ):
            continue
        para = " ".join(" ".join(lines).split())
        para = re.sub(r":[\w:]+:`([^`<]*)(?:<[^>]*>)?`", r"\1", para)  # reST roles
        para = re.sub(r"`([^`<]*?)\s*<[^>]*>`_+", r"\1", para)  # reST links
        para = para.replace("``", "").replace("**", "").replace("`", "").lstrip("*- ")
        paragraphs.append(para)
    return paragraphs


def _gunzip(path: Path) -> str:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return fh.read()


def _sources() -> Iterator[tuple[str, str, list[str]]]:
    """Yield (source, language, paragraphs), English first so translations' leftovers drop out."""
    if HANDBOOK.is_dir():
        langs = sorted(p.name for p in HANDBOOK.iterdir() if p.is_dir())
        langs.sort(key=lambda lang: lang != "en-US")
        for lang in langs:
            for page in sorted((HANDBOOK / lang).glob("*.html")):
                yield "debian-handbook", lang.split("-")[0], _html_paragraphs(page)
    for lang in ("en", "de"):
        path = REFERENCE / f"debian-reference.{lang}.txt.gz"
        if path.exists():
            yield (
                "debian-reference",
                lang,
                _text_paragraphs(_gunzip(path)),
            )
    if PYDOCS.is_dir():
        for page in sorted(PYDOCS.rglob("*.txt")):
            yield (
                "python3.11-doc",
                "en",
                _text_paragraphs(page.read_text(encoding="utf-8", errors="replace")),
            )
    if POLICY.is_dir():
        for page in sorted(POLICY.rglob("*.txt.gz")):
            yield (
                "debian-policy",
                "en",
                _text_paragraphs(_gunzip(page)),
            )
    if DEVREF.is_dir():
        for page in sorted(DEVREF.glob("*.txt")):
            yield "developers-reference", "en", _text_paragraphs(page.read_text(encoding="utf-8"))
    if LICENSES.is_dir():
        for page in sorted(p for p in LICENSES.iterdir() if p.is_file() and not p.is_symlink()):
            yield (
                "common-licenses",
                "en",
                _text_paragraphs(page.read_text(encoding="utf-8", errors="replace")),
            )


def _good_sentence(sentence: str) -> bool:
    words = _WORD.findall(sentence)
    if not 6 <= len(words) <= 80:
        return False
    visible = sum(1 for c in sentence if not c.isspace())
    letters = sum(1 for c in sentence if c.isalpha())
    return letters >= 0.75 * visible


def build_pool() -> dict:
    """Return the distinct sentences per language in reading order, and each source's count."""
    seen: set[int] = set()
    languages: dict[str, list[str]] = {}
    sources: dict[str, int] = {}
    for source, lang, paragraphs in _sources():
        kept = languages.setdefault(lang, [])
        for para in paragraphs:
            for sentence in _SENTENCE_END.split(para):
                sentence = sentence.strip()
                if not _good_sentence(sentence):
                    continue
                key = zlib.crc32(" ".join(_WORD.findall(sentence.casefold())).encode()) ^ (
                    len(sentence) << 32
                )
                if key in seen:
                    continue
                seen.add(key)
                kept.append(sentence)
                sources[source] = sources.get(source, 0) + 1
    # Languages with little text of their own make documents that share sentences too often;
    # Chinese and Japanese have no blanks between words, so "words" would be whole clauses.
    languages = {
        lang: s for lang, s in languages.items() if len(s) >= 2000 and lang not in NO_BLANKS
    }
    return {"version": POOL_VERSION, "languages": languages, "sources": sources}


def load_pool() -> dict:
    """Return the sentence pool, from bench/data's cache when this code version built it."""
    cache = DATA / f"pool-v{POOL_VERSION}.json.gz"
    if cache.exists():
        with gzip.open(cache, "rt", encoding="utf-8") as fh:
            return json.load(fh)
    pool = build_pool()
    if not pool["languages"]:
        sys.exit(
            "speed_corpus: no documentation found; apt-get install debian-handbook "
            "debian-reference-en debian-reference-de python3.11-doc debian-policy "
            "developers-reference"
        )
    cache.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(cache, "wt", encoding="utf-8") as fh:
        json.dump(pool, fh, ensure_ascii=False)
    return pool


# -- documents ------------------------------------------------------------------

_POOL: dict = {}
_LANGS: list[str] = []
_WEIGHTS: list[float] = []


def _fragments(sentences: list[str]) -> list[str]:
    """Cut sentences into fragments of 4-15 words: at , ; : and dashes, else every 6-15 words."""
    rng = random.Random(0)
    out = []
    for sentence in sentences:
        for clause in re.split(r"[,;:]\s+|\s+[-–]\s+", sentence.rstrip(".!?")):
            words = clause.split()
            while len(words) > 15:
                cut = rng.randint(6, 15)
                out.append(" ".join(words[:cut]))
                words = words[cut:]
            if len(words) >= 4:
                out.append(" ".join(words))
    return list(dict.fromkeys(out))


def _init(pool: dict) -> None:
    global _POOL, _LANGS, _WEIGHTS
    _POOL = {lang: _fragments(sentences) for lang, sentences in pool["languages"].items()}
    _LANGS = sorted(_POOL)
    total = sum(len(s) for s in _POOL.values())
    _WEIGHTS = [len(_POOL[lang]) / total for lang in _LANGS]


def _sentence(rng: random.Random, fragments: list[str]) -> str:
    parts = [rng.choice(fragments) for _ in range(rng.choice((1, 2, 2, 3)))]
    text = rng.choice((", ", ", ", "; ", " - ")).join(parts) if len(parts) > 1 else parts[0]
    return text[0].upper() + text[1:] + rng.choice((".", ".", ".", ".", "?", "!"))


def _paragraphs(rng: random.Random, lang: str, target: int) -> list[str]:
    fragments = _POOL[lang]
    paragraphs: list[str] = []
    size = 0
    while size < target:
        para = " ".join(_sentence(rng, fragments) for _ in range(rng.randint(1, 5)))
        paragraphs.append(para)
        size += len(para.encode("utf-8")) + 2
    return paragraphs


def _wrap(
    paragraph: str, width: int, rng: random.Random | None = None, hyphenate: float = 0.0
) -> list[str]:
    """Greedy hard wrap; with `rng`, split long words at a line end with a hyphen."""
    lines: list[str] = []
    line = ""
    for word in paragraph.split(" "):
        if not line:
            line = word
        elif len(line) + 1 + len(word) <= width:
            line += " " + word
        else:
            room = width - len(line) - 2  # a blank and the hyphen
            if (
                rng is not None
                and len(word) >= 7
                and word.isalpha()
                and word.islower()
                and room >= 3
                and rng.random() < hyphenate
            ):
                cut = rng.randint(3, min(room, len(word) - 3))
                lines.append(f"{line} {word[:cut]}-")
                line = word[cut:]
            else:
                lines.append(line)
                line = word
    if line:
        lines.append(line)
    return lines


def _render(paragraphs: list[str], width: int | None) -> str:
    if width is None:
        return "\n\n".join(paragraphs) + "\n"
    return "\n\n".join("\n".join(_wrap(p, width)) for p in paragraphs) + "\n"


_WEEKDAYS = ("Montag", "Dienstag", "Mittwoch", "Monday", "Tuesday", "Friday")
_MONTHS = ("Januar", "März", "August", "Oktober", "January", "June", "September")
_ORGS = (
    "Fachinformation eGovernment",
    "Pressemitteilung",
    "Newsletter",
    "Internal memo",
    "Release notes",
    "Rundschreiben",
    "Bulletin",
    "Mitteilung der Verwaltung",
)
_FOOTERS = (
    "Seite {a} von {b}",
    "Page {a} of {b}",
    "© {y} Example Verlag GmbH",
    "Quelle: www.example.org/{a}{b}",
    "Alle Rechte vorbehalten, {y}",
    "Distribution: internal ({a}/{b})",
)


def _header(rng: random.Random) -> str:
    return (
        f"{rng.choice(_ORGS)} {rng.randint(1, 999)}, {rng.choice(_WEEKDAYS)}, "
        f"{rng.randint(1, 28)}. {rng.choice(_MONTHS)} {rng.randint(1995, 2025)}"
    )


def _footer(rng: random.Random) -> str:
    return rng.choice(_FOOTERS).format(
        a=rng.randint(1, 9), b=rng.randint(10, 99), y=rng.randint(1995, 2025)
    )


def _edit(rng: random.Random, paragraphs: list[str], lang: str, count: int) -> list[str]:
    """Apply `count` word edits (substitute, delete, insert, inflect, number) to the paragraphs."""
    words = [p.split(" ") for p in paragraphs]
    fragments = _POOL[lang]
    for _ in range(count):
        k = rng.randrange(len(words))
        para = words[k]
        if len(para) < 3:
            continue
        i = rng.randrange(len(para))
        op = rng.choice(("substitute", "substitute", "delete", "insert", "inflect", "number"))
        other = rng.choice(rng.choice(fragments).split(" "))
        if op == "substitute":
            para[i] = other
        elif op == "delete":
            del para[i]
        elif op == "insert":
            para.insert(i, other)
        elif op == "inflect":
            w = para[i]
            para[i] = w[:-1] if len(w) > 4 and w[-1] in "sne" else w + rng.choice(("s", "e", "en"))
        else:
            digits = [j for j, w in enumerate(para) if any(c.isdigit() for c in w)]
            if digits:
                j = rng.choice(digits)
                para[j] = re.sub(r"\d", lambda _m: str(rng.randrange(10)), para[j], count=1)
            else:
                para.insert(i, str(rng.randint(2, 2025)))
    return [" ".join(p) for p in words if p]


def shingles(text: str) -> set[int]:
    """Return the 5-word shingles of `text` (lower-cased \\w+ words) as 64-bit hashes."""
    words = _WORD.findall(text.lower())
    if len(words) < SHINGLE:
        return {hash(tuple(words))} if words else set()
    return {hash(tuple(words[i : i + SHINGLE])) for i in range(len(words) - SHINGLE + 1)}


def jaccard(a: set[int], b: set[int]) -> float:
    if not a and not b:
        return 1.0
    common = len(a & b)
    return common / (len(a) + len(b) - common)


@dataclass
class Copy:
    text: str
    clean: str
    info: dict


def _make_copy(rng: random.Random, base: list[str], lang: str, strength: float) -> Copy:
    words = sum(len(p.split(" ")) for p in base)
    info: dict = {}
    paragraphs = list(base)
    kinds = set()
    while not kinds:
        kinds = {
            k
            for k, p in (("edit", 0.8), ("header", 0.35), ("footer", 0.15), ("rewrap", 0.5))
            if rng.random() < p
        }
    if "edit" in kinds:
        count = max(1, round(words * rng.uniform(0.005, 0.025) * strength))
        paragraphs = _edit(rng, paragraphs, lang, count)
        info["edits"] = count
    if "header" in kinds:
        paragraphs.insert(0, _header(rng))
        info["header"] = True
    if "footer" in kinds:
        paragraphs.append(_footer(rng))
        info["footer"] = True
    clean = "\n\n".join(paragraphs)
    if "rewrap" in kinds:
        width = rng.randint(40, 72)
        info["rewrap"] = width
        lines = []
        for para in paragraphs:
            lines.extend(_wrap(para, width, rng, hyphenate=0.6))
            lines.append("")
        if rng.random() < 0.3:
            lines = [ln + " " * rng.choice((0, 0, 1, 2)) for ln in lines]
        newline = "\r\n" if rng.random() < 0.2 else "\n"
        info["crlf"] = newline == "\r\n"
        text = newline.join(lines[:-1]) + newline
    else:
        text = None  # the base's own layout, applied by the caller
    return Copy(text or "", clean, info)


def _unit(args: tuple[int, int, int, list[int], str]) -> tuple[int, list[dict] | None]:
    """Write one base document and its copies; return (bytes written, truth record or None)."""
    seed, unit_id, base_doc, copy_docs, root = args
    rng = random.Random(f"{seed}/{unit_id}")
    lang = rng.choices(_LANGS, _WEIGHTS)[0]
    target = min(16000, max(600, int(rng.lognormvariate(math.log(1700), 0.6))))
    base = _paragraphs(rng, lang, target)
    width = rng.randint(64, 79) if rng.random() < 0.5 else None
    texts = {base_doc: _render(base, width)}
    record = None
    if copy_docs:
        cleans = {base_doc: "\n\n".join(base)}
        infos = []
        for doc in copy_docs:
            strength = 1.0
            for _attempt in range(6):
                copy = _make_copy(rng, base, lang, strength)
                sh = shingles(copy.clean)
                worst = min(jaccard(sh, shingles(c)) for c in cleans.values())
                if worst >= MIN_JACCARD:
                    break
                strength /= 2
            else:
                copy = Copy("", cleans[base_doc], {"exact": True})
            text = copy.text or _render(copy.clean.split("\n\n"), width)
            texts[doc] = text
            cleans[doc] = copy.clean
            infos.append({"path": doc_path(doc), **copy.info})
        members = sorted(cleans)
        sets = {d: shingles(cleans[d]) for d in members}
        pair_j = [
            jaccard(sets[a], sets[b]) for n, a in enumerate(members) for b in members[n + 1 :]
        ]
        record = {
            "group": unit_id,
            "lang": lang,
            "base": doc_path(base_doc),
            "members": [doc_path(d) for d in members],
            "copies": infos,
            "min_jaccard": round(min(pair_j), 4),
        }
    written = 0
    for doc, text in texts.items():
        path = Path(root) / doc_path(doc)
        path.parent.mkdir(parents=True, exist_ok=True)
        data = text.encode("utf-8")
        path.write_bytes(data)
        written += len(data)
    return written, record


MIN_JACCARD = 0.55


def doc_path(doc: int) -> str:
    """Return the path of document `doc` below docs/: at most 1000 entries per folder."""
    return f"docs/{doc // 1_000_000:02d}/{doc // 1000 % 1000:03d}/d{doc:07d}.txt"


def plan(n: int, seed: int, dup_share: float) -> list[tuple[int, list[int]]]:
    """Return the units (base document, [copy documents]); documents are shuffled over 0..n-1."""
    rng = random.Random(f"{seed}/plan")
    copies_left = round(n * dup_share)
    sizes = []
    while copies_left > 0:
        k = min(copies_left, rng.choices((1, 2, 3, 4, 5), (60, 25, 10, 3, 2))[0])
        sizes.append(k)
        copies_left -= k
    singles = n - sum(sizes) - len(sizes)
    if singles < 0:
        raise SystemExit("speed_corpus: --dup-share too large for --n")
    order = list(range(n))
    rng.shuffle(order)
    units: list[tuple[int, list[int]]] = []
    pos = 0
    for k in sizes:
        units.append((order[pos], sorted(order[pos + 1 : pos + 1 + k])))
        pos += 1 + k
    units.extend((order[pos + i], []) for i in range(singles))
    return units


def measure_overlap(root: Path, truth: list[dict], sample: int, seed: int) -> dict:
    """Measure, for `sample` random documents, the top Jaccard to a document outside their group."""
    files = sorted((root / "docs").rglob("*.txt"))
    rel = [str(f.relative_to(root)) for f in files]
    group_of = {m: g["group"] for g in truth for m in g["members"]}
    rng = random.Random(f"{seed}/overlap")
    picked = rng.sample(range(len(files)), min(sample, len(files)))
    picked_sets = {i: shingles(files[i].read_text(encoding="utf-8")) for i in picked}
    postings: dict[int, list[int]] = {}
    for i, sh in picked_sets.items():
        for s in sh:
            postings.setdefault(s, []).append(i)
    shared: dict[tuple[int, int], int] = {}
    sizes: dict[int, int] = {}
    for j, f in enumerate(files):
        sh = shingles(f.read_text(encoding="utf-8"))
        hits: dict[int, int] = {}
        for s in sh:
            for i in postings.get(s, ()):
                hits[i] = hits.get(i, 0) + 1
        for i, c in hits.items():
            if i != j and (
                group_of.get(rel[i]) is None or group_of.get(rel[i]) != group_of.get(rel[j])
            ):
                shared[(i, j)] = c
                sizes[j] = len(sh)
    best = {i: 0.0 for i in picked}
    any_shared = {i: 0 for i in picked}
    for (i, j), c in shared.items():
        jac = c / (len(picked_sets[i]) + sizes[j] - c)
        best[i] = max(best[i], jac)
        any_shared[i] += 1
    values = sorted(best.values())
    return {
        "sample": len(picked),
        "max_jaccard_to_unrelated": {
            "max": round(values[-1], 4),
            "p99": round(values[int(0.99 * (len(values) - 1))], 4),
            "median": round(values[len(values) // 2], 4),
        },
        "unrelated_docs_sharing_a_shingle_mean": round(sum(any_shared.values()) / len(picked), 2),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=10_000, help="number of documents")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--dup-share", type=float, default=0.10, help="share of documents that are planted copies"
    )
    ap.add_argument("--out", type=Path, default=None, help="folder (default bench/data/speed-N)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument(
        "--measure-overlap",
        type=int,
        default=0,
        metavar="SAMPLE",
        help="measure the highest Jaccard of SAMPLE random documents to unrelated ones",
    )
    args = ap.parse_args(argv)
    out: Path = args.out or DATA / f"speed-{args.n}"
    started = time.perf_counter()
    pool = load_pool()
    _init(pool)
    if out.exists():
        shutil.rmtree(out)
    (out / "docs").mkdir(parents=True)
    units = plan(args.n, args.seed, args.dup_share)
    work = [(args.seed, uid, base, copies, str(out)) for uid, (base, copies) in enumerate(units)]
    total = 0
    truth: list[dict] = []
    if args.jobs > 1:
        with ProcessPoolExecutor(args.jobs, initializer=_init, initargs=(pool,)) as ex:
            results = ex.map(_unit, work, chunksize=256)
            for written, record in results:
                total += written
                if record:
                    truth.append(record)
    else:
        for item in work:
            written, record = _unit(item)
            total += written
            if record:
                truth.append(record)
    truth.sort(key=lambda r: r["group"])
    with open(out / "truth.jsonl", "w", encoding="utf-8") as fh:
        for record in truth:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    langs = {}
    for r in truth:
        langs[r["lang"]] = langs.get(r["lang"], 0) + 1
    pairs = sum(len(r["members"]) * (len(r["members"]) - 1) // 2 for r in truth)
    meta = {
        "command": "python bench/speed_corpus.py "
        + " ".join(argv if argv is not None else sys.argv[1:]),
        "generator": GENERATOR_VERSION,
        "n": args.n,
        "seed": args.seed,
        "bytes": total,
        "mean_bytes": round(total / args.n),
        "groups": len(truth),
        "grouped_documents": sum(len(r["members"]) for r in truth),
        "copies": sum(len(r["copies"]) for r in truth),
        "truth_pairs": pairs,
        "min_planted_jaccard": min((r["min_jaccard"] for r in truth), default=None),
        "pool_sentences": {lang: len(s) for lang, s in sorted(pool["languages"].items())},
        "pool_fragments": {lang: len(s) for lang, s in sorted(_POOL.items())},
        "pool_sources": pool["sources"],
        "seconds": round(time.perf_counter() - started, 1),
    }
    if args.measure_overlap:
        meta["overlap"] = measure_overlap(out, truth, args.measure_overlap, args.seed)
    (out / "meta.json").write_text(
        json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    print(
        json.dumps(
            {k: v for k, v in meta.items() if k not in ("pool_sentences", "pool_fragments")},
            ensure_ascii=False,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
