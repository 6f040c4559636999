#!/usr/bin/env python3
"""How well does dedup see through PDF layout? Corpus builder and scorer.

Builds a corpus of real German and English prose (passages of the Debian
documentation packages, see SOURCES) and typesets every document with
pdflatex: justified, hyphenated by babel's patterns, a running header with
the document's and the chapter's title on every page and a page number in
one of four styles ("Seite 3 von 12", "8 / 63", "- 4 -", a lone number),
in one of four fonts and several page sizes. Each document also gets an HTML
version inside a web page's navigation, sidebar and footer, and a plain-text
version (the source text itself).

Then it scores the text of every PDF against its source, for the raw
extraction of each PDF library, for the libraries' and poppler's own
dehyphenation, and for dedup's normalizer over each of them:

* words: word-level agreement, 1 - word error rate over dedup's tokens
  (case-folded words);
* jaccard: Jaccard similarity of the 5-word shingles that `dedup scan` uses;
* hyphen ok/bad: line-end hyphens of the raw PDF text decided right or wrong
  (the source says whether the word is closed, "Digitalisierung", or has a
  real hyphen, "state-of-the-art");
* furn.: running header lines and page numbers left in the text;
* ms/doc: extraction (and normalization) time per document.

It also scores HTML main-text extraction (trafilatura against all the text
of the page) and runs `dedup scan` over a folder with each document as PDF,
HTML and text, counting how many documents have all three versions in one
group and how many discrepancies the differ reports between them (all of
them would be layout artifacts: the words are the same).

Needs pdflatex (texlive-latex-base, -latex-recommended, -latex-extra,
-lang-german, -fonts-recommended), pdftotext (poppler-utils) and the
documentation packages; the product needs none of them:

    apt-get install debian-handbook debian-history debian-faq debian-faq-de \\
        developers-reference developers-reference-de texlive-latex-extra \\
        texlive-lang-german texlive-fonts-recommended lmodern poppler-utils
    pip install pypdf pdfminer.six   # the alternatives scored beside dedup's choice
    python bench/pdf_normalize.py [--docs 120] [--jobs 2] [--scan-docs 40]
"""

from __future__ import annotations

import argparse
import glob
import html
import io
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz.distance import Levenshtein

from dedup import fingerprint
from dedup.extract import extract_here
from dedup.normalize import normalize_text

HERE = Path(__file__).resolve().parent
OUT = HERE / "data" / "pdf_normalize"

SOURCES = [  # (glob, block pattern, title suffix to drop)
    ("/usr/share/doc/debian-handbook/html/en-US/*.html", "para", ""),
    ("/usr/share/doc/debian-handbook/html/de-DE/*.html", "para", ""),
    ("/usr/share/doc/debian-history/docs/*.en.html", "p", ""),
    ("/usr/share/doc/debian-history/docs/*.de.html", "p", ""),
    ("/usr/share/doc/debian/FAQ/*.en.html", "p", ""),
    ("/usr/share/doc/debian/FAQ/de/*.de.html", "p", ""),
    ("/usr/share/developers-reference/*.html", "p", ""),
    ("/usr/share/developers-reference/de/*.html", "p", ""),
]
SKIP = {"index.html", "search.html", "genindex.html", "developers-reference.html"}
BOOKS = {"handbook": "The Debian Administrator's Handbook", "history": "A Brief History of Debian",
         "FAQ": "The Debian GNU/Linux FAQ", "developers-reference": "Debian Developer's Reference"}  # fmt: skip
BAD_INNER = re.compile(r"<(pre|ul|ol|dl|table|div|br|img|math)\b", re.I)
ALLOWED = re.compile(r"[A-Za-z0-9ÄÖÜäöüßÀ-ÿ .,;:!?'\"()\[\]\-–—…«»„“”‘’‚/%&§°€+=_*@#~<>]+")
GERMAN = set(
    ["der", "die", "das", "und", "ist", "nicht", "ein", "eine", "sich", "mit", "für", "auf", "dem", "den", "des",
     "werden", "wird", "auch"]
)
ENGLISH = set(
    ["the", "and", "is", "not", "a", "an", "it", "with", "for", "on", "of", "to", "this", "that", "are", "be", "by",
     "can", "which"]
)


@dataclass
class Doc:
    id: str
    lang: str
    book: str
    title: str
    paras: list[str]

    @property
    def text(self) -> str:
        return "\n\n".join(self.paras) + "\n"


# -- corpus --------------------------------------------------------------------


def _clean(inner: str) -> str:
    text = html.unescape(re.sub(r"<[^>]+>", "", inner))
    text = unicodedata.normalize("NFC", text).replace("\u00ad", "").replace("\u00a0", " ")
    return re.sub(r"\s+", " ", text).strip()


def _lang(text: str) -> str | None:
    words = re.findall(r"\w+", text.lower())
    de, en = sum(w in GERMAN for w in words), sum(w in ENGLISH for w in words)
    return "de" if de > 2 * en and de >= 3 else "en" if en > 2 * de and en >= 3 else None


def harvest(n_docs: int, rng: random.Random) -> list[Doc]:
    """Cut the documentation into documents of 300-900 words of consecutive paragraphs."""
    by_lang: dict[str, list[Doc]] = {"de": [], "en": []}
    for pattern, block, _ in SOURCES:
        for path in sorted(glob.glob(pattern)):
            if os.path.basename(path) in SKIP:
                continue
            raw = Path(path).read_text(encoding="utf-8", errors="replace")
            title_m = re.search(r"<title>(.*?)</title>", raw, re.S)
            title = _clean(title_m.group(1)).split(" — ")[0] if title_m else "Debian"
            title = re.sub(r"^(Chapter|Kapitel)\s+[\dA-Z]+\.\s*|^\d+\.\s*", "", title)[:60]
            book = next((b for k, b in BOOKS.items() if k in path), "Debian")
            inner = (re.findall(r"<p(?:\s[^>]*)?>(.*?)</p>", raw, re.S | re.I) if block == "p"
                     else re.findall(r'<div class="para">(.*?)</div>', raw, re.S))  # fmt: skip
            current: list[str] = []
            for piece in inner:
                text = _clean(piece)
                good = (not BAD_INNER.search(piece) and len(text.split()) >= 25
                        and ALLOWED.fullmatch(text) and text[-1] in ".!?:)\"“")  # fmt: skip
                if good:
                    current.append(text)
                if current and (not good or sum(len(p.split()) for p in current) >= 700):
                    _flush(current, title, book, path, by_lang)
                    current = []
            if current:
                _flush(current, title, book, path, by_lang)
    docs = []
    for found in by_lang.values():
        rng.shuffle(found)
        docs += found[: n_docs // 2]
    for k, doc in enumerate(sorted(docs, key=lambda d: d.id)):
        doc.id = f"{k:03d}-{doc.lang}"
    return docs


def _flush(paras: list[str], title: str, book: str, path: str, out: dict[str, list[Doc]]) -> None:
    words = sum(len(p.split()) for p in paras)
    lang = _lang(" ".join(paras))
    if words >= 300 and lang:
        out[lang].append(Doc(f"{path}:{len(out[lang])}", lang, book, title, list(paras)))


def tex_escape(s: str) -> str:
    rep = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#",
           "%": r"\%", "_": r"\_", "^": r"\textasciicircum{}", "~": r"\textasciitilde{}",
           '"': r"\textquotedbl{}", "<": r"\textless{}", ">": r"\textgreater{}", "€": r"\texteuro{}",
           "§": r"\S{}"}  # fmt: skip
    out = "".join(rep.get(c, c) for c in s)
    out = re.sub(r"-(?=-)", "-{}", out)  # no TeX dash ligatures: the characters must stay
    out = re.sub(r"(['`,!?])(?=['`,])", r"\1{}", out)
    return out


URL = re.compile(r"https?://[^\s\"“”<>]+[^\s\"“”<>.,;:)]")
FOOTERS = {"de": [r"Seite \thepage\ von \pageref{LastPage}", r"\thepage\ / \pageref{LastPage}",
                  r"-- \thepage\ --", r"\thepage"],
           "en": [r"Page \thepage\ of \pageref{LastPage}", r"\thepage\ / \pageref{LastPage}",
                  r"-- \thepage\ --", r"\thepage"]}  # fmt: skip
FONTS = [
    r"\usepackage{lmodern}",
    r"\usepackage{mathptmx}",
    r"\usepackage{mathpazo}",
    r"\usepackage{charter}",
]


def make_tex(doc: Doc, rng: random.Random) -> str:
    def para(p: str) -> str:
        pieces, last = [], 0
        for m in URL.finditer(p):  # URLs break at slashes, without a hyphen, as \url does
            pieces += [
                tex_escape(p[last : m.start()]),
                r"\url{" + m.group().replace("%", r"\%").replace("#", r"\#") + "}",
            ]
            last = m.end()
        return "".join(pieces) + tex_escape(p[last:])

    size, width = rng.choice([10, 11, 12]), rng.choice([9.0, 10.5, 12.0, 14.0])
    footer = rng.choice(FOOTERS[doc.lang])
    return "\n".join([
        rf"\documentclass[{size}pt]{{article}}",
        r"\usepackage[T1]{fontenc}", r"\usepackage[utf8]{inputenc}", rng.choice(FONTS),
        rf"\usepackage[{'ngerman' if doc.lang == 'de' else 'english'}]{{babel}}",
        rf"\usepackage[paperwidth={width + 3:.1f}cm,paperheight={width * 1.45:.1f}cm,"
        r"top=2cm,bottom=2cm,left=1.5cm,right=1.5cm,headheight=14pt]{geometry}",
        r"\usepackage{fancyhdr}", r"\usepackage{lastpage}", r"\usepackage{url}",
        r"\pagestyle{fancy}", r"\fancyhf{}",
        rf"\fancyhead[L]{{\small {tex_escape(doc.book)}}}", rf"\fancyhead[R]{{\small {tex_escape(doc.title)}}}",
        rf"\fancyfoot[C]{{{footer}}}", r"\tolerance=1000", r"\emergencystretch=1em",
        r"\begin{document}", r"\thispagestyle{fancy}",
        *(para(p) + "\n" for p in doc.paras),
        r"\end{document}", "",
    ])  # fmt: skip


def build(docs: list[Doc], out: Path, rng: random.Random, jobs: int) -> None:
    """Write <id>.txt, <id>.pdf and <id>.html for every document."""
    out.mkdir(parents=True, exist_ok=True)
    texs = {d.id: make_tex(d, random.Random(rng.random())) for d in docs}

    def one(doc: Doc) -> None:
        (out / f"{doc.id}.txt").write_text(doc.text, encoding="utf-8")
        (out / f"{doc.id}.html").write_text(make_html(doc), encoding="utf-8")
        if (out / f"{doc.id}.pdf").exists():
            return
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "d.tex").write_text(texs[doc.id], encoding="utf-8")
            for _ in range(2):  # twice: \pageref{LastPage} needs the first run's .aux
                r = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "d.tex"],
                                   cwd=tmp, capture_output=True, timeout=300)  # fmt: skip
                if r.returncode:
                    raise RuntimeError(f"pdflatex failed on {doc.id}: {r.stdout[-800:]!r}")
            shutil.copy(Path(tmp) / "d.pdf", out / f"{doc.id}.pdf")

    with ThreadPoolExecutor(jobs) as pool:
        list(pool.map(one, docs))


def make_html(doc: Doc) -> str:
    nav = "".join(f'<li><a href="/{w.lower()}/">{w}</a></li>' for w in
                  ["Home", "News", "Downloads", "Documentation", "Support", "Community", "Contact"])  # fmt: skip
    side = "<aside><h3>Related</h3><ul>" + "".join(
        f'<li><a href="/p/{k}">{t}</a></li>' for k, t in enumerate(
            ["Release notes for the current stable release", "Installation guide and manuals",
             "Mailing lists and archives", "Security advisories of this week"])) + "</ul></aside>"  # fmt: skip
    body = "".join(f"<p>{html.escape(p)}</p>\n" for p in doc.paras)
    return (f"<!DOCTYPE html><html lang=\"{doc.lang}\"><head><meta charset=\"utf-8\"><title>{html.escape(doc.title)}"
            f"</title></head><body><header><div class=\"logo\">debian.example</div><nav><ul>{nav}</ul></nav>"
            f"<form><input name=q placeholder=Search></form></header><main><article>\n{body}</article>{side}</main>"
            "<footer><p>Copyright © 1997-2024 SPI and others; see the license terms. Debian is a registered "
            "trademark of Software in the Public Interest, Inc.</p><p><a href=/imprint>Imprint</a> · "
            "<a href=/privacy>Privacy policy</a> · <a href=/contact>Contact</a></p>"
            "</footer></body></html>\n")  # fmt: skip


# -- extraction methods ----------------------------------------------------------


def _pdfium(data: bytes, dehyphenate: bool) -> str:
    import pypdfium2 as pdfium

    pages = []
    document = pdfium.PdfDocument(data)
    for page in document:
        text = page.get_textpage().get_text_range().replace("\r\n", "\n")
        pages.append(text.replace("\ufffe", "" if dehyphenate else "-\n"))
    return "\f".join(pages)


def _pypdf(data: bytes) -> str:
    import pypdf

    return "\f".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages)


def _pdfminer(data: bytes) -> str:
    from pdfminer.high_level import extract_text

    return extract_text(io.BytesIO(data))


def _pdftotext(path: Path, raw: bool) -> str:
    args = ["pdftotext", "-enc", "UTF-8", *(["-raw"] if raw else []), str(path), "-"]
    return subprocess.run(args, capture_output=True, check=True).stdout.decode("utf-8")


# (name, extract(path) -> text, normalize afterwards)
METHODS: list[tuple[str, Callable[[Path], str], bool]] = [
    ("pypdfium2 raw", lambda p: _pdfium(p.read_bytes(), False), False),
    ("pypdfium2 own dehyphenation", lambda p: _pdfium(p.read_bytes(), True), False),
    ("pypdf raw", lambda p: _pypdf(p.read_bytes()), False),
    ("pdfminer.six raw", lambda p: _pdfminer(p.read_bytes()), False),
    ("pdftotext -raw", lambda p: _pdftotext(p, True), False),
    ("pdftotext (own dehyphenation)", lambda p: _pdftotext(p, False), False),
    ("dedup: extract + normalize", lambda p: extract_here(p.read_bytes(), "pdf"), True),
    ("dedup normalize over pypdf", lambda p: _pypdf(p.read_bytes()), True),
    ("dedup normalize over pdfminer.six", lambda p: _pdfminer(p.read_bytes()), True),
    ("dedup normalize over pdftotext -raw", lambda p: _pdftotext(p, True), True),
]

HYPHEN_CASE = re.compile(r"([^\W\d_][\w-]*)-[ \t]*\n[ \t]*([^\W\d_]\w*)")


def hyphen_cases(raw: str, source: str) -> list[tuple[str, str]]:
    """Return the line-end hyphens of `raw` that the source decides: (joined or hyphenated form, other)."""
    src = Counter(re.findall(r"\w+(?:-\w+)*", source))
    cases = []
    for m in HYPHEN_CASE.finditer(raw):
        left, right = m.group(1), m.group(2)
        closed, open_ = left + right, f"{left}-{right}"
        if src[closed] and not src[open_]:
            cases.append((closed, open_))
        elif src[open_] and not src[closed]:
            cases.append((open_, closed))
    return cases


def score_hyphens(cases: list[tuple[str, str]], out: str, source: str) -> tuple[int, int]:
    """Count cases decided right and wrong: the right form must be in the output as often as in the source."""
    words_out = Counter(re.findall(r"\w+(?:-\w+)*", out))
    words_src = Counter(re.findall(r"\w+(?:-\w+)*", source))
    ok = bad = 0
    for (right, _wrong), n in Counter(cases).items():
        missing = min(n, max(0, words_src[right] - words_out[right]))
        ok, bad = ok + n - missing, bad + missing
    return ok, bad


def furniture_left(doc: Doc, out: str) -> int:
    """Count running headers and page numbers left in `out` (beyond those in the source)."""
    flat = re.sub(r"\s+", " ", out)
    left = sum(flat.count(s) - doc.text.count(s) for s in (doc.book, doc.title))
    pages = re.compile(
        r"\b(?:Seite|Page) \d+ (?:von|of) \d+\b|(?<![\w/])\d+ / \d+(?![\w/])|– \d+ –|-- \d+ --"
    )
    return left + len(pages.findall(flat)) - len(pages.findall(doc.text))


def score(docs: list[Doc], out: Path) -> dict[str, dict[str, float]]:
    results: dict[str, dict[str, float]] = {}
    for name, method, normalized in METHODS:
        wers, jacs, secs, ok, bad, furn = [], [], [], 0, 0, 0
        for doc in docs:
            pdf = out / f"{doc.id}.pdf"
            start = time.perf_counter()
            text = method(pdf)
            if normalized:
                text = normalize_text(text)
            secs.append(time.perf_counter() - start)
            src_tokens, out_tokens = fingerprint.tokens(doc.text), fingerprint.tokens(text)
            wers.append(Levenshtein.distance(src_tokens, out_tokens) / len(src_tokens))
            jacs.append(fingerprint.jaccard(fingerprint.shingle_hashes(src_tokens, 5),
                                            fingerprint.shingle_hashes(out_tokens, 5)))  # fmt: skip
            raw = _pdfium(pdf.read_bytes(), False)
            o, b = score_hyphens(hyphen_cases(raw, doc.text), text, doc.text)
            ok, bad, furn = ok + o, bad + b, furn + furniture_left(doc, text)
        results[name] = {"words": 1 - statistics.fmean(wers), "words_min": 1 - max(wers),
                         "jaccard": statistics.fmean(jacs), "jaccard_min": min(jacs),
                         "hyphen_ok": ok, "hyphen_bad": bad, "furniture": furn,
                         "ms": 1000 * statistics.fmean(secs)}  # fmt: skip
    return results


def score_html(docs: list[Doc], out: Path) -> dict[str, dict[str, float]]:
    import lxml.html

    def all_text(data: bytes) -> str:
        return "\n\n".join(t.strip() for t in lxml.html.fromstring(data).itertext() if t.strip())

    methods = {"lxml: all text of the page": all_text,
               "dedup: trafilatura main text": lambda d: extract_here(d, "html")}  # fmt: skip
    results = {}
    for name, method in methods.items():
        wers, jacs, secs = [], [], []
        for doc in docs:
            data = (out / f"{doc.id}.html").read_bytes()
            start = time.perf_counter()
            text = normalize_text(method(data))
            secs.append(time.perf_counter() - start)
            src_tokens, out_tokens = fingerprint.tokens(doc.text), fingerprint.tokens(text)
            wers.append(Levenshtein.distance(src_tokens, out_tokens) / len(src_tokens))
            jacs.append(fingerprint.jaccard(fingerprint.shingle_hashes(src_tokens, 5),
                                            fingerprint.shingle_hashes(out_tokens, 5)))  # fmt: skip
        results[name] = {"words": 1 - statistics.fmean(wers), "words_min": 1 - max(wers),
                         "jaccard": statistics.fmean(jacs), "jaccard_min": min(jacs),
                         "ms": 1000 * statistics.fmean(secs)}  # fmt: skip
    return results


def scan_check(docs: list[Doc], out: Path) -> dict[str, object]:
    """Scan a folder with every document as .pdf, .html and .txt; count groups and discrepancies."""
    from dedup.scan import scan

    with tempfile.TemporaryDirectory() as tmp:
        for doc in docs:
            for ext in ("pdf", "html", "txt"):
                shutil.copy(out / f"{doc.id}.{ext}", Path(tmp) / f"{doc.id}.{ext}")
        start = time.perf_counter()
        result = scan([tmp])
        seconds = time.perf_counter() - start
    complete = 0
    categories: Counter[str] = Counter()
    examples = []
    for group in result.groups:
        stems = {Path(m.path).stem for m in group.members}
        if len(stems) == 1 and len(group.members) == 3:
            complete += 1
        for member in group.members:
            for d in member.discrepancies:
                categories[d.category] += 1
                if len(examples) < 8:
                    examples.append(
                        f"{Path(member.path).name}: {d.category} {d.a_text!r} -> {d.b_text!r}"
                    )
    return {"documents": len(docs), "files": 3 * len(docs), "groups": len(result.groups),
            "complete_groups": complete, "unique": len(result.unique), "skipped": len(result.skipped),
            "discrepancies": dict(categories), "examples": examples, "seconds": round(seconds, 1)}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--docs", type=int, default=120, help="documents, half German, half English"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=2, help="pdflatex runs at once")
    parser.add_argument(
        "--scan-docs", type=int, default=40, help="documents in the dedup scan check"
    )
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    for tool in ("pdflatex", "pdftotext"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} not found: see the apt-get line in this file's docstring")
    rng = random.Random(args.seed)
    docs = harvest(args.docs, rng)
    out = args.out / f"seed{args.seed}-n{len(docs)}"
    start = time.perf_counter()
    build(docs, out, rng, args.jobs)
    words = sum(len(fingerprint.tokens(d.text)) for d in docs)
    pages = sum(_pdfium((out / f"{d.id}.pdf").read_bytes(), False).count("\f") + 1 for d in docs)
    print(f"corpus: {len(docs)} documents ({sum(d.lang == 'de' for d in docs)} German, "
          f"{sum(d.lang == 'en' for d in docs)} English), {words} words, {pages} PDF pages, in {out} "
          f"(built in {time.perf_counter() - start:.0f} s)\n")  # fmt: skip
    pdf = score(docs, out)
    print(
        f"{'PDF text vs source':38} {'words':>7} {'(min)':>7} {'jaccard':>7} {'(min)':>6} "
        f"{'hyph ok':>7} {'bad':>5} {'furn.':>6} {'ms/doc':>7}"
    )
    for name, r in pdf.items():
        print(
            f"{name:38} {r['words']:7.2%} {r['words_min']:7.2%} {r['jaccard']:7.4f} {r['jaccard_min']:6.3f} "
            f"{r['hyphen_ok']:7.0f} {r['hyphen_bad']:5.0f} {r['furniture']:6.0f} {r['ms']:7.1f}"
        )
    web = score_html(docs, out)
    print(
        f"\n{'HTML text vs source':38} {'words':>7} {'(min)':>7} {'jaccard':>7} {'(min)':>6} {'ms/doc':>7}"
    )
    for name, r in web.items():
        print(
            f"{name:38} {r['words']:7.2%} {r['words_min']:7.2%} {r['jaccard']:7.4f} {r['jaccard_min']:6.3f} "
            f"{r['ms']:7.1f}"
        )
    checked = scan_check(docs[: args.scan_docs], out)
    print(
        f"\ndedup scan over {checked['files']} files ({checked['documents']} documents as .pdf, .html, .txt): "
        f"{checked['groups']} groups, {checked['complete_groups']} with exactly one document's three "
        f"versions, {checked['unique']} unique, {checked['skipped']} skipped, in {checked['seconds']} s"
    )
    print(
        f"discrepancies reported between versions: {sum(checked['discrepancies'].values())} "  # type: ignore[attr-defined]
        f"{checked['discrepancies']}"
    )
    for line in checked["examples"]:  # type: ignore[attr-defined]
        print("   ", line)
    if args.json:
        args.json.write_text(json.dumps({"pdf": pdf, "html": web, "scan": checked}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
