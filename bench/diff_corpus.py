#!/usr/bin/env python3
"""Build the differ accuracy corpus (bench/data/diff_corpus/).

Every pair is a passage of real German or English prose taken from Debian
documentation packages (see SOURCES), in two versions:

* the clean version: paragraphs separated by blank lines, one paragraph a line;
* the "PDF" version: the same passage typeset by pdflatex (justified, babel
  hyphenation, narrow text block) and extracted again with poppler's
  ``pdftotext`` - plain mode or ``-raw`` mode, chosen per pair (see
  ``--extractor``).  Plain mode joins hyphenated lines and drops the hyphen
  (poppler's own de-hyphenation), raw mode keeps every hard line break and
  every end-of-line hyphen, so both kinds of real extraction output occur.

One version carries 1-3 planted edits (categories name, inflection, number,
date, word, sentence, header, footer).  Which side (A or B) is the PDF
extraction, and which side carries the edited text, is chosen at random per
pair, so added/removed/changed occur in both directions.

Ground truth: ``pairs/<id>/truth.json`` for every pair and ``manifest.json``
for the whole corpus.  Only the Python standard library, ``pdflatex``
(texlive-latex-base, texlive-latex-recommended, texlive-lang-german) and
``pdftotext`` (poppler-utils) are needed; the product needs none of them.

    python bench/diff_corpus.py [--seed 1] [--pairs 240] [--jobs 2]
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import html
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "data" / "diff_corpus"
CATEGORIES = ("name", "inflection", "number", "date", "word", "sentence", "header", "footer")
MIN_GAP_WORDS = 8
OVERFULL_PT = 10.0

# --------------------------------------------------------------------------
# Sources: Debian documentation packages (apt-get install debian-handbook
# debian-history debian-faq debian-faq-de developers-reference
# developers-reference-de).  (package, glob, block kind)
# --------------------------------------------------------------------------
SOURCES = [
    ("debian-handbook", "/usr/share/doc/debian-handbook/html/en-US/*.html", "para"),
    ("debian-handbook", "/usr/share/doc/debian-handbook/html/de-DE/*.html", "para"),
    ("debian-history", "/usr/share/doc/debian-history/docs/*.en.html", "p"),
    ("debian-history", "/usr/share/doc/debian-history/docs/*.de.html", "p"),
    ("debian-faq", "/usr/share/doc/debian/FAQ/*.en.html", "p"),
    ("debian-faq-de", "/usr/share/doc/debian/FAQ/de/*.de.html", "p"),
    ("developers-reference", "/usr/share/developers-reference/*.html", "p"),
    ("developers-reference-de", "/usr/share/developers-reference/de/*.html", "p"),
]
SKIP_FILES = {"developers-reference.html", "search.html", "index.html", "genindex.html"}
OCR_PACKAGES = "imagemagick tesseract-ocr tesseract-ocr-deu tesseract-ocr-eng"  # --extractor ocr
APT_PACKAGES = (
    "debian-handbook debian-history debian-faq debian-faq-de developers-reference "
    "developers-reference-de texlive-latex-base texlive-latex-recommended "
    "texlive-lang-german texlive-fonts-recommended poppler-utils lmodern"
)


def _w(text: str) -> list[str]:
    """Split a whitespace-separated word list."""
    return text.split()


STOP = {
    "de": set(
        _w(
            "aber auch auf bei das dass dem den der des die diese dieser durch ein eine "
            "einem einen einer es für haben hat ich im ist kann können mit nach nicht "
            "noch nur oder sich sie sind so und vom von war wenn werden wie wir wird "
            "wurde zu zum zur über"
        )
    ),
    "en": set(
        _w(
            "a also an and are as at be been but by can for from has have i if in into is "
            "it its more not of on only or should than that the their there these they "
            "this those to was we were when which will with would you your"
        )
    ),
}
ALLOWED_CHARS = re.compile(
    r"[A-Za-z0-9ÄÖÜäöüßÀ-ÿŒœŠšŽžŁłĆćČčĘęŚśŃńŻżŹźŘřĚěÅå .,;:!?'\"()\-–—…«»„“”‘’‚/%&§°€]+"
)
MONTHS = {
    "de": ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September",
           "Oktober", "November", "Dezember"],
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"],
}  # fmt: skip
WEEKDAYS = {
    "de": ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"],
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
}

# Proper-name gazetteers used for name swaps and for the names planted into
# header/footer lines.  Person names are people named in the sources
# (Debian project leaders, authors) plus common surnames.
PERSONS = [
    ("Ian", "Murdock"), ("Bruce", "Perens"), ("Ian", "Jackson"), ("Wichert", "Akkerman"),
    ("Ben", "Collins"), ("Bdale", "Garbee"), ("Martin", "Michlmayr"), ("Branden", "Robinson"),
    ("Anthony", "Towns"), ("Sam", "Hocevar"), ("Steve", "McIntyre"), ("Stefano", "Zacchiroli"),
    ("Lucas", "Nussbaum"), ("Neil", "McGovern"), ("Chris", "Lamb"), ("Sam", "Hartman"),
    ("Jonathan", "Carter"), ("Raphaël", "Hertzog"), ("Roland", "Mas"), ("Linus", "Torvalds"),
    ("Richard", "Stallman"), ("Joey", "Hess"), ("Manoj", "Srivastava"), ("Brian", "White"),
]  # fmt: skip
SURNAMES = {
    "de": ["Müller", "Schmidt", "Weber", "Becker", "Hoffmann", "Wagner", "Krüger", "Brandt"],
    "en": ["Walker", "Thompson", "Harris", "Fletcher", "Morgan", "Bennett", "Hughes", "Porter"],
}
ORGS = ["Debian", "Ubuntu", "Canonical", "Google", "Microsoft", "Intel", "Mozilla", "Novell",
        "Knoppix", "Fedora", "Gentoo", "Slackware", "Mandriva", "Xandros", "Corel", "Falcot",
        "Purdue", "Stanford", "SUSE", "IBM", "Oracle", "Apple", "Netscape"]  # fmt: skip
PLACES = {
    "de": ["Berlin", "Hamburg", "München", "Köln", "Darmstadt", "Leipzig", "Wien", "Zürich",
           "Paris", "London", "Boston", "Portland", "Kapstadt", "Montreal"],
    "en": ["Berlin", "Hamburg", "Munich", "Cologne", "Darmstadt", "Leipzig", "Vienna", "Zurich",
           "Paris", "London", "Boston", "Portland", "Cape Town", "Montreal"],
}  # fmt: skip

COUNTRIES = {
    "de": _w("Deutschland Frankreich Italien Spanien Österreich Schweiz Japan Kanada Brasilien"),
    "en": _w("Germany France Italy Spain Austria Switzerland Japan Canada Brazil"),
}

# Ordinary lowercase words: swap pairs (different words, not inflections)
# and words that can be dropped without breaking the sentence.
WORD_SWAPS = {
    "de": [("sehr", "recht"), ("oft", "häufig"), ("immer", "stets"), ("schnell", "rasch"),
           ("einfach", "leicht"), ("wichtig", "wesentlich"), ("bereits", "schon"),
           ("nur", "lediglich"), ("auch", "ebenfalls"), ("meist", "oft"), ("ganz", "völlig"),
           ("direkt", "unmittelbar"), ("später", "danach"), ("jetzt", "nun"),
           ("wirklich", "tatsächlich"), ("genau", "exakt"), ("natürlich", "selbstverständlich"),
           ("vielleicht", "eventuell"), ("insbesondere", "besonders"), ("daher", "deshalb"),
           ("jedoch", "aber"), ("allerdings", "jedoch"), ("zudem", "außerdem"),
           ("gleichzeitig", "zugleich"), ("regelmäßig", "ständig"), ("möglich", "denkbar"),
           ("schwierig", "kompliziert"), ("häufig", "oft"), ("außerdem", "zusätzlich"),
           ("manchmal", "gelegentlich"), ("hier", "dort"), ("viele", "zahlreiche"),
           ("einige", "mehrere"), ("neue", "weitere"), ("groß", "klein"), ("gut", "schlecht")],
    "en": [("very", "quite"), ("often", "frequently"), ("always", "usually"),
           ("quickly", "rapidly"), ("simple", "easy"), ("important", "essential"),
           ("only", "just"), ("later", "afterwards"), ("now", "currently"),
           ("really", "truly"), ("exactly", "precisely"), ("perhaps", "maybe"),
           ("especially", "particularly"), ("therefore", "thus"), ("large", "big"),
           ("small", "little"), ("main", "primary"), ("easily", "readily"),
           ("generally", "typically"), ("entirely", "completely"), ("mostly", "largely"),
           ("many", "numerous"), ("several", "various"), ("good", "bad"), ("new", "recent"),
           ("difficult", "hard"), ("possible", "feasible"), ("still", "yet"),
           ("sometimes", "occasionally"), ("here", "there"), ("major", "minor")],
}  # fmt: skip
WORD_DROPS = {
    "de": _w(
        "sehr auch nur bereits schon noch immer meist oft ganz wirklich natürlich "
        "vielleicht insbesondere zudem außerdem eigentlich fast gerade sogar bisher "
        "ebenfalls dabei inzwischen mittlerweile tatsächlich meistens häufig"
    ),
    "en": _w(
        "very also only often still already really usually generally especially quite "
        "just even always simply certainly mostly actually probably currently easily"
    ),
}
NOT_NAMES = set(
    _w(
        "Corp Ethernet Explorer Firewire Foundation Free GmbH Hat IPv Inc Internet Ltd "
        "Med Mint Navigator New Oldoldstable Oldstable Plasma Software Story Telnet "
        "Unicode Unified Western"
    )
)
# English endings that give another form of the same word: plural/3rd
# person -s, past -ed vs. -ing, and -d after a final e (use/used).
EN_INFLECTIONS = {frozenset(("", "s")), frozenset(("ed", "ing")), frozenset(("", "d"))}
INFLECTION_STOP = set(
    _w(
        "alle allem allen aller alles ander andere anderem anderen anderer anderes diese "
        "diesem diesen dieser dieses eine einem einen einer eines erst erste ersten "
        "erster erstes ihre ihrem ihren ihrer ihres jede jedem jeden jeder jedes keine "
        "keinem keinen keiner market marketing mehr mehrere others seine seinem seinen "
        "seiner seines selbe selben selber their there these things those unsere unserem "
        "unseren unserer unseres viel viele vielen vieler weiter weitere weiteren "
        "weiterer welche welchem welchen welcher welches"
    )
)

# Lines for header/footer edits (one side only).  {date} etc. are filled in.
HEADER_TEMPLATES = {
    "de": ["Pressemitteilung, {weekday}, {date_long}", "Stand: {date_num}",
           "Entwurf vom {date_short}", "Debian-Projekt – Rundschreiben vom {date_long}",
           "Interne Mitteilung an {person}", "Neuigkeiten aus {place}, {date_long}",
           "Sonderausgabe Nr. {n}"],
    "en": ["Press release, {weekday}, {date_long}", "Last updated: {date_iso}",
           "Draft of {date_long}", "Debian Project News – {date_long}",
           "Internal memo to {person}", "News from {place}, {date_long}",
           "Special issue no. {n}"],
}  # fmt: skip
FOOTER_TEMPLATES = {
    "de": ["(Quelle: Debian-Projekt vom {date_short})", "Alle Angaben ohne Gewähr.",
           "Kontakt: {person}, Presseteam", "Übersetzt von {person}.",
           "Nachdruck nur mit Genehmigung, {place} {year}", "Ende der Mitteilung"],
    "en": ["(Source: Debian Project, {date_long})", "All information without guarantee.",
           "Contact: {person}, press team", "Translated by {person}.",
           "Reprinted with permission, {place} {year}", "End of release"],
}  # fmt: skip
# Realistic parentheticals planted into both versions when a passage has no
# date/number/name of its own, so that the category can then be edited.
BASE_DATE = {
    "de": ["(Stand: {d})", "(zuletzt geprüft am {d})"],
    "en": ["(as of {d})", "(last checked on {d})"],
}
BASE_NUMBER = {
    "de": ["(rund {n} Pakete)", "(etwa {n} Entwickler)", "(über {n} Seiten)"],
    "en": ["(about {n} packages)", "(some {n} developers)", "(over {n} pages)"],
}
BASE_NAME = {"de": ["(laut {p})", "(so {p})"], "en": ["(according to {p})", "(says {p})"]}


# --------------------------------------------------------------------------
# Harvesting paragraphs
# --------------------------------------------------------------------------
@dataclass
class Para:
    text: str
    lang: str
    source: str  # package:path
    index: int  # block index in the file
    run: int  # consecutive-run id (a run never crosses headings, lists, code...)


BAD_INNER = re.compile(
    r"<(code|pre|tt|ul|ol|dl|table|div|br|kbd|samp|var)\b|class=\"(literal|command|filename|"
    r"replaceable|xref|option|varname|userinput|computeroutput|email|systemitem|package)|"
    r"<span class=\"pre\"",
    re.I,
)
GAP_BREAK = re.compile(r"<(h\d|pre|ul|ol|dl|table|blockquote)\b|class=\"(sidebar|note|title|"
                       r"important|warning|tip|titlepage|footnote)", re.I)  # fmt: skip
TAG = re.compile(r"<[^>]+>")


def _blocks(raw: str, kind: str) -> list[tuple[int, int, str]]:
    out = []
    if kind == "p":
        for m in re.finditer(r"<p(?:\s[^>]*)?>(.*?)</p>", raw, re.S | re.I):
            out.append((m.start(), m.end(), m.group(1)))
        return out
    for m in re.finditer(r'<div class="para">', raw):
        depth, pos = 1, m.end()
        while depth and pos < len(raw):
            nxt = re.search(r"<div\b|</div>", raw[pos:])
            if not nxt:
                break
            depth += 1 if nxt.group(0) != "</div>" else -1
            pos += nxt.end()
        out.append((m.start(), pos, raw[m.end() : pos - len("</div>")]))
    return out


def _clean(inner: str) -> str:
    text = html.unescape(TAG.sub("", inner))
    text = unicodedata.normalize("NFC", text).replace("\u00ad", "").replace("\u00a0", " ")
    return re.sub(r"\s+", " ", text).strip()


def detect_lang(text: str) -> str | None:
    words = re.findall(r"[a-zäöüß]+", text.lower())
    de = sum(w in STOP["de"] for w in words)
    en = sum(w in STOP["en"] for w in words)
    if de >= 3 and de > 2 * en:
        return "de"
    if en >= 3 and en > 2 * de:
        return "en"
    return None


def good_text(text: str) -> bool:
    words = text.split()
    if not 12 <= len(words) <= 260:
        return False
    if not ALLOWED_CHARS.fullmatch(text):
        return False
    if re.search(r"https?:|www\.|\.org\b|\.com\b|\.deb\b|/[a-z]|\b[a-z]+/[a-z]+\b", text):
        return False
    if text[-1] not in '.!?»“”")' or text.count("(") != text.count(")"):
        return False
    if sum(c.isupper() for c in text) > 0.12 * len(text):
        return False
    if re.search(r"\.\.\.|…|\b[A-Z]{2,}[a-z]*_|::|-{2,}", text):
        return False
    if re.search(r"\b\d+(?!st\b|nd\b|rd\b|th\b)[a-zäöüß]{2,}", text):
        return False  # "Kapitel 15ist": the source's markup lost a space
    return not (text.count('"') % 2 or text[0].islower())


def harvest() -> list[Para]:
    import glob

    paras: list[Para] = []
    seen: set[str] = set()
    run = 0
    for package, pattern, kind in SOURCES:
        for path in sorted(glob.glob(pattern)):
            if os.path.basename(path) in SKIP_FILES or os.path.basename(path).startswith(
                "sect.acknowledgments"
            ):
                continue
            raw = Path(path).read_text(encoding="utf-8", errors="replace")
            prev_end = None
            run += 1
            for i, (start, end, inner) in enumerate(_blocks(raw, kind)):
                if prev_end is not None:
                    gap = raw[prev_end:start]
                    if GAP_BREAK.search(gap) or _clean(gap):
                        run += 1
                prev_end = end
                text = _clean(inner)
                if BAD_INNER.search(inner) or not good_text(text):
                    run += 1
                    continue
                lang = detect_lang(text)
                key = re.sub(r"\W+", "", text.lower())
                if lang is None or key in seen:
                    run += 1
                    continue
                seen.add(key)
                paras.append(Para(text, lang, f"{package}:{path}", i, run))
    return paras


# --------------------------------------------------------------------------
# Corpus statistics: proper names and attested word forms
# --------------------------------------------------------------------------
WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")


class Lexicon:
    def __init__(self, paras: list[Para]):
        cap_mid: Counter[str] = Counter()
        lower: Counter[str] = Counter()
        self.vocab: dict[str, Counter[str]] = {"de": Counter(), "en": Counter()}
        for p in paras:
            for sent in split_sentences(p.text):
                toks = WORD.findall(sent)
                for m in WORD.finditer(sent):  # attested forms: standalone words only
                    if sent[m.end() : m.end() + 1] not in ("-", "/") and sent[
                        m.start() - 1 : m.start()
                    ] not in ("-", "/"):
                        self.vocab[p.lang][m.group(0)] += 1
                for j, t in enumerate(toks):
                    if p.lang != "en":
                        continue
                    if t[0].isupper() and j > 0:
                        cap_mid[t] += 1
                    elif t.islower():
                        lower[t] += 1
        months = {m for ms in MONTHS.values() for m in ms} | {
            w for ws in WEEKDAYS.values() for w in ws
        }
        # A proper name: written with a capital in the middle of English
        # sentences, (almost) never lowercase, and also used in German text.
        self.names = {
            t
            for t, c in cap_mid.items()
            if c >= 2
            and lower[t.lower()] <= 0.1 * c
            and not t.isupper()
            and t not in months
            and len(t) >= 3
            and self.vocab["de"][t] >= 1
        }
        self.names -= NOT_NAMES
        self.names = {t for t in self.names if not re.fullmatch(r"[A-Z]+s", t)}
        self.names |= {s for _, s in PERSONS} | {g for g, _ in PERSONS} | set(ORGS)
        self.names |= {p for lang in PLACES for p in PLACES[lang] + COUNTRIES[lang] if " " not in p}

    def is_name(self, tok: str) -> bool:
        return tok in self.names


# --------------------------------------------------------------------------
# Passages
# --------------------------------------------------------------------------
ABBREV = re.compile(
    r"(?:\b(?:z|B|d|h|u|a|s|o|v|e|g|i|ca|bzw|usw|etc|vgl|Nr|Dr|Mr|Mrs|Ms|St|Inc|Ltd|Corp|vs|No|"
    r"sog|ggf|evtl|inkl|bspw|Abs|Kap|Abb|al|Jh|Jr|Sr|Prof|[A-ZÄÖÜ])|\d)\.$"
)


def split_sentences(text: str) -> list[str]:
    """Split a paragraph into sentences (keeps abbreviations and ordinals)."""
    out, start = [], 0
    for m in re.finditer(r"[.!?][»“”\")]?(?= +[A-ZÄÖÜ„“»\"(])", text):
        if m.group(0)[0] == "." and ABBREV.search(text[max(0, m.start() - 6) : m.start() + 1]):
            continue
        out.append(text[start : m.end()])
        start = m.end() + 1
    out.append(text[start:])
    return [s for s in out if s]


@dataclass
class Passage:
    lang: str
    source: str
    paras: list[str]
    score: float = 0.0

    @property
    def text(self) -> str:
        return "\n\n".join(self.paras)


DATE_RES = {
    "de": [
        re.compile(r"\b(?P<d>\d{1,2})\. ?(?P<m>" + "|".join(MONTHS["de"]) + r") (?P<y>\d{4})\b"),
        re.compile(r"\b(?P<d>\d{1,2})\.(?P<mn>\d{1,2})\.(?P<y>\d{4}|\d{2})\b"),
        re.compile(r"\b(?P<y>\d{4})-(?P<mn>\d{2})-(?P<d>\d{2})\b"),
        re.compile(r"\b(?P<m>" + "|".join(MONTHS["de"]) + r") (?P<y>1[89]\d\d|20\d\d)\b"),
    ],
    "en": [
        re.compile(
            r"\b(?P<m>"
            + "|".join(MONTHS["en"])
            + r") (?P<d>\d{1,2})(?:st|nd|rd|th)?, (?P<y>\d{4})\b"
        ),
        re.compile(r"\b(?P<d>\d{1,2}) (?P<m>" + "|".join(MONTHS["en"]) + r") (?P<y>\d{4})\b"),
        re.compile(r"\b(?P<y>\d{4})-(?P<mn>\d{2})-(?P<d>\d{2})\b"),
        re.compile(r"\b(?P<m>" + "|".join(MONTHS["en"]) + r") (?P<y>1[89]\d\d|20\d\d)\b"),
    ],
}
NUMBER_RE = re.compile(r"(?<![\w.,/-])\d{1,3}(?:([.,])\d{3})*(?:[.,]\d+)?(?![\w/-]|[.,]\d)")


def find_dates(text: str, lang: str) -> list[re.Match[str]]:
    found: list[re.Match[str]] = []
    for rx in DATE_RES[lang]:
        for m in rx.finditer(text):
            if not any(m.start() < f.end() and f.start() < m.end() for f in found):
                found.append(m)
    return sorted(found, key=lambda m: m.start())


def find_numbers(text: str, lang: str) -> list[re.Match[str]]:
    dates = find_dates(text, lang)
    out = []
    for m in NUMBER_RE.finditer(text):
        if any(m.start() < d.end() and d.start() < m.end() for d in dates):
            continue
        if re.fullmatch(r"(1[89]|20)\d\d", m.group(0)):  # bare years are dates, not figures
            continue
        if lang == "de" and re.match(r"\. [^\W\d_]", text[m.end() : m.end() + 3]):
            continue  # German ordinal ("3. Auflage") or sentence end: leave alone
        out.append(m)
    return out


def standalone(text: str, start: int, end: int, glue: str = "-/") -> bool:
    """The word text[start:end] is not glued to letters, digits or `glue` characters."""
    before = text[start - 1 : start] if start else " "
    after = text[end : end + 1] or " "
    return not (before.isalnum() or after.isalnum() or before in glue or after in glue)


def find_names(text: str, lex: Lexicon) -> list[tuple[int, int]]:
    out = []
    for m in WORD.finditer(text):
        t = m.group(0)
        if not standalone(text, m.start(), m.end()):
            continue
        if lex.is_name(t):
            out.append((m.start(), m.end()))
    return out


def _passages_from(
    group: list[Para], lex: Lexicon, rng: random.Random, used: set[int]
) -> list[Passage]:
    out = []
    i = 0
    while i < len(group):
        words, j = 0, i
        while j < len(group) and words < 150 and group[j].lang == group[i].lang:
            words += len(group[j].text.split())
            j += 1
        if 150 <= words <= 400 and not any(id(g) in used for g in group[i:j]):
            ps = Passage(group[i].lang, group[i].source, [g.text for g in group[i:j]])
            t = ps.text
            ps.score = (
                min(len(find_names(t, lex)), 4)
                + 1.5 * min(len(find_numbers(t, ps.lang)), 3)
                + 2 * min(len(find_dates(t, ps.lang)), 3)
                + rng.random()
            )
            out.append(ps)
            used.update(id(g) for g in group[i:j])
        i = max(j, i + 1)
    return out


def build_passages(paras: list[Para], lex: Lexicon, rng: random.Random) -> dict[str, list[Passage]]:
    """Passages of 150-400 words from consecutive paragraphs of one file.

    First pass: paragraphs that follow each other directly (no heading, code,
    list or sidebar between them).  Second pass: the remaining paragraphs of a
    file in document order, skipping what lies between them.
    """
    used: set[int] = set()
    out: dict[str, list[Passage]] = {"de": [], "en": []}
    for key in ("run", "source"):
        groups: dict[object, list[Para]] = {}
        for p in paras:
            if id(p) not in used:
                groups.setdefault(getattr(p, key), []).append(p)
        for gk in sorted(groups, key=str):
            for ps in _passages_from(groups[gk], lex, rng, used):
                out[ps.lang].append(ps)
    return out


# --------------------------------------------------------------------------
# Edits
# --------------------------------------------------------------------------
@dataclass
class Edit:
    category: str
    start: int  # span in the base (unedited) body text
    end: int
    new: str  # replacement text in the edited version
    kind: str  # relative to base -> edited: added / removed / changed
    x_text: str  # the edit's tokens in the base version
    y_text: str  # ... and in the edited version
    note: str = ""
    where: str = "body"  # body / header / footer


@dataclass
class Plan:
    base: str  # body text, paragraphs separated by "\n\n"
    lang: str
    edits: list[Edit] = field(default_factory=list)
    header: str | None = None  # header/footer line present in BOTH versions (unused)

    def word_index(self, pos: int) -> int:
        return len(self.base[:pos].split())

    def free(self, start: int, end: int, margin_start: bool = False) -> bool:
        ws, we = self.word_index(start), self.word_index(end)
        total = len(self.base.split())
        for e in self.edits:
            if e.where == "header" and ws < MIN_GAP_WORDS:
                return False
            if e.where == "footer" and we > total - MIN_GAP_WORDS:
                return False
            if e.where != "body":
                continue
            es, ee = self.word_index(e.start), self.word_index(e.end)
            if ws < ee + MIN_GAP_WORDS and es < we + MIN_GAP_WORDS:
                return False
        return True


def _date_shift(m: re.Match[str], lang: str, rng: random.Random) -> str:
    text = m.group(0)
    gd = m.groupdict()
    what = rng.choice([w for w in ("d", "m", "y") if gd.get(w) or (w == "m" and gd.get("mn"))])
    if what == "d":
        d = int(gd["d"])
        nd = rng.choice([x for x in range(1, 29) if x != d and abs(x - d) <= 9])
        s = str(nd).zfill(len(gd["d"])) if len(gd["d"]) == 2 else str(nd)
        a, b = m.span("d")
    elif what == "y":
        y = gd["y"]
        if len(y) == 4:
            s = str(int(y) + rng.choice([-3, -2, -1, 1, 2, 3]))
        else:
            s = str((int(y) + rng.choice([-2, -1, 1, 2])) % 100).zfill(2)
        a, b = m.span("y")
    elif gd.get("m"):
        months = MONTHS[lang]
        i = months.index(gd["m"])
        s = months[(i + rng.choice([-2, -1, 1, 2, 3])) % 12]
        a, b = m.span("m")
    else:
        mn = int(gd["mn"])
        s = str(((mn - 1 + rng.choice([-2, -1, 1, 2, 3])) % 12) + 1).zfill(len(gd["mn"]))
        a, b = m.span("mn")
    off = m.start()
    return text[: a - off] + s + text[b - off :]


def _number_change(tok: str, rng: random.Random) -> str:
    digits = [i for i, c in enumerate(tok) if c.isdigit()]
    for _ in range(20):
        chars = list(tok)
        pos = rng.choice(digits[-3:]) if len(digits) > 1 else digits[0]
        old = chars[pos]
        choices = [
            d
            for d in "0123456789"
            if d != old and not (pos == digits[0] and d == "0" and len(digits) > 1)
        ]
        chars[pos] = rng.choice(choices)
        new = "".join(chars)
        if new != tok:
            return new
    return tok + "0"


def fmt_date(lang: str, rng: random.Random, style: str | None = None) -> tuple[str, dict[str, str]]:
    y, mo, d = rng.randint(1996, 2024), rng.randint(1, 12), rng.randint(1, 28)
    import datetime as _dt

    wd = WEEKDAYS[lang][_dt.date(y, mo, d).weekday()]
    month = MONTHS[lang][mo - 1]
    forms = {
        "date_long": f"{d}. {month} {y}" if lang == "de" else f"{month} {d}, {y}",
        "date_num": f"{d:02d}.{mo:02d}.{y}" if lang == "de" else f"{d} {month} {y}",
        "date_short": f"{d:02d}.{mo:02d}.{y % 100:02d}" if lang == "de" else f"{month} {d}, {y}",
        "date_iso": f"{y}-{mo:02d}-{d:02d}",
        "weekday": wd,
        "year": str(y),
    }
    return forms[style or rng.choice(["date_long", "date_num", "date_short", "date_iso"])], forms


def fill(template: str, lang: str, rng: random.Random) -> str:
    _, forms = fmt_date(lang, rng)
    g, s = rng.choice(PERSONS)
    return template.format(
        person=f"{g} {s}", place=rng.choice(PLACES[lang]), n=rng.randint(2, 48), **forms
    )


class Planner:
    def __init__(self, lex: Lexicon, sentences: dict[str, list[str]]):
        self.lex = lex
        self.sentences = sentences  # pool of sentences for "sentence changed"

    # each planner returns an Edit or None ------------------------------
    def name(self, plan: Plan, rng: random.Random) -> Edit | None:
        """Swap a known person/place/organisation name, or drop a given name."""
        t, lang = plan.base, plan.lang
        givens = sorted({g for g, _ in PERSONS})
        surnames = sorted({s for _, s in PERSONS} | set(SURNAMES[lang]))
        places = [p for p in PLACES[lang] + COUNTRIES[lang] if " " not in p]
        classes = [givens, surnames, places, ORGS]
        cands = [
            (a, b)
            for a, b in find_names(t, self.lex)
            if plan.free(a, b) and any(t[a:b] in c for c in classes)
        ]
        rng.shuffle(cands)
        cands.sort(key=lambda s: t[s[0] : s[1]] == "Debian")  # "Debian" is everywhere: use it last
        # about a third: "Given Surname" -> "Surname", a proper name removed
        # (or added); if the passage names nobody, a person is planted first
        if rng.random() < 0.35:
            for _ in range(2):
                t = plan.base
                for a, b in find_names(t, self.lex):
                    prev = re.search(r"([^\W\d_]+) $", t[max(0, a - 30) : a])
                    if t[a:b] in surnames and prev and prev.group(1) in givens:
                        ga = a - len(prev.group(0))
                        if plan.free(ga, b):
                            g = prev.group(1)
                            return Edit("name", ga, a, "", "removed", g, "", "given name dropped")
                if not seed_base(plan, "name", rng):
                    break
            t = plan.base
            cands = [
                (a, b)
                for a, b in find_names(t, self.lex)
                if plan.free(a, b) and any(t[a:b] in c for c in classes)
            ]
            rng.shuffle(cands)
        for a, b in cands:
            tok = t[a:b]
            pool = next(c for c in classes if tok in c)
            new = rng.choice([p for p in pool if p not in (tok, "Debian")])
            return Edit("name", a, b, new, "changed", tok, new, "name swapped")
        return None

    def inflection(self, plan: Plan, rng: random.Random) -> Edit | None:
        t, lang = plan.base, plan.lang
        vocab = self.lex.vocab[lang]
        toks = [
            m
            for m in WORD.finditer(t)
            if len(m.group(0)) >= 5 and m.group(0).lower() not in INFLECTION_STOP
        ]
        rng.shuffle(toks)
        if lang == "de":
            endings_cap = ["", "e", "en", "n", "s", "es"]
            endings_low = ["", "e", "en", "em", "er", "es"]
        else:
            endings_cap = []
            endings_low = ["", "s", "ed", "ing", "d"]
        for m in toks:
            w = m.group(0)
            if not plan.free(m.start(), m.end()):
                continue
            if not standalone(t, m.start(), m.end(), "-/'’"):
                continue
            endings = endings_cap if w[0].isupper() else endings_low
            if w[0].isupper() and lang == "en":
                continue
            forms = []
            for e1 in endings:
                if e1 and not w.endswith(e1):
                    continue
                stem = w[: len(w) - len(e1)] if e1 else w
                if len(stem) < 4:
                    continue
                for e2 in endings:
                    if e2 == e1 or (lang == "en" and frozenset((e1, e2)) not in EN_INFLECTIONS):
                        continue
                    if lang == "en" and "d" in (e1, e2) and not stem.endswith("e"):
                        continue
                    cand = stem + e2
                    if (
                        vocab[cand] >= 2
                        and cand != w
                        and not ({cand.lower(), w.lower()} & INFLECTION_STOP)
                    ):
                        forms.append(cand)
            if forms:
                new = rng.choice(sorted(set(forms)))
                return Edit(
                    "inflection", m.start(), m.end(), new, "changed", w, new, "ending changed"
                )
        return None

    def number(self, plan: Plan, rng: random.Random) -> Edit | None:
        cands = [m for m in find_numbers(plan.base, plan.lang) if plan.free(m.start(), m.end())]
        if not cands:
            return None
        m = rng.choice(cands)
        new = _number_change(m.group(0), rng)
        return Edit("number", m.start(), m.end(), new, "changed", m.group(0), new, "figure changed")

    def date(self, plan: Plan, rng: random.Random) -> Edit | None:
        cands = [m for m in find_dates(plan.base, plan.lang) if plan.free(m.start(), m.end())]
        if not cands:
            return None
        m = rng.choice(cands)
        new = _date_shift(m, plan.lang, rng)
        return Edit("date", m.start(), m.end(), new, "changed", m.group(0), new, "date changed")

    def word(self, plan: Plan, rng: random.Random) -> Edit | None:
        t, lang = plan.base, plan.lang
        swaps = dict(WORD_SWAPS[lang])
        drops = set(WORD_DROPS[lang])
        cands = []
        for m in WORD.finditer(t):
            w = m.group(0)
            if not standalone(t, m.start(), m.end()):
                continue
            if w in swaps or w in drops:
                cands.append(m)
        rng.shuffle(cands)
        want_drop = rng.random() < 0.4  # else prefer a replacement
        cands.sort(key=lambda m: (m.group(0) in drops) != want_drop)
        for m in cands:
            w = m.group(0)
            if not plan.free(m.start(), m.end()):
                continue
            if w in drops and (w not in swaps or want_drop):
                # remove the word and one adjoining space
                if t[m.end() : m.end() + 1] == " " and t[m.start() - 1 : m.start()] in (
                    " ",
                    "\n",
                    "",
                ):
                    if m.start() == 0 or t[m.start() - 1] == "\n":
                        continue  # paragraph-initial: would change capitalisation
                    return Edit(
                        "word", m.start(), m.end() + 1, "", "removed", w, "", "word dropped"
                    )
                continue
            if w in swaps:
                return Edit(
                    "word", m.start(), m.end(), swaps[w], "changed", w, swaps[w], "word replaced"
                )
        return None

    def sentence(self, plan: Plan, rng: random.Random) -> Edit | None:
        t = plan.base
        spans = []
        pos = 0
        for para in t.split("\n\n"):
            sents = split_sentences(para)
            off = pos
            for s in sents:
                a = t.index(s, off)
                spans.append((a, a + len(s), len(sents)))
                off = a + len(s)
            pos += len(para) + 2
        # not the passage's first or last sentence: dropping those would make
        # a header/footer-like change, not a sentence change
        spans = spans[1:-1]
        cands = [
            (a, b)
            for a, b, n in spans
            if n >= 2 and 6 <= len(t[a:b].split()) <= 45 and plan.free(a, b)
        ]
        if not cands:
            return None
        a, b = rng.choice(cands)
        sent = t[a:b]
        if rng.random() < 0.35:
            pool = [
                s for s in self.sentences[plan.lang] if 6 <= len(s.split()) <= 35 and s not in t
            ]
            new = rng.choice(pool)
            return Edit("sentence", a, b, new, "changed", sent, new, "sentence replaced")
        # remove the sentence together with one separating space
        if b < len(t) and t[b] == " ":
            return Edit("sentence", a, b + 1, "", "removed", sent, "", "sentence dropped")
        if a > 0 and t[a - 1] == " ":
            return Edit("sentence", a - 1, b, "", "removed", sent, "", "sentence dropped")
        return None

    def header(self, plan: Plan, rng: random.Random) -> Edit | None:
        if any(e.where == "header" for e in plan.edits):
            return None
        if any(e.where == "body" and plan.word_index(e.start) < MIN_GAP_WORDS for e in plan.edits):
            return None
        line = fill(rng.choice(HEADER_TEMPLATES[plan.lang]), plan.lang, rng)
        return Edit("header", 0, 0, line, "added", "", line, "header line", where="header")

    def footer(self, plan: Plan, rng: random.Random) -> Edit | None:
        if any(e.where == "footer" for e in plan.edits):
            return None
        total = len(plan.base.split())
        if any(
            e.where == "body" and plan.word_index(e.end) > total - MIN_GAP_WORDS for e in plan.edits
        ):
            return None
        line = fill(rng.choice(FOOTER_TEMPLATES[plan.lang]), plan.lang, rng)
        n = len(plan.base)
        return Edit("footer", n, n, line, "added", "", line, "footer line", where="footer")


def seed_base(plan: Plan, category: str, rng: random.Random) -> bool:
    """Plant a realistic date/number/name parenthetical into BOTH versions."""
    lang = plan.lang
    if category == "date":
        text = rng.choice(BASE_DATE[lang]).format(
            d=fmt_date(lang, rng, rng.choice(["date_long", "date_num", "date_iso"]))[0]
        )
    elif category == "number":
        text = rng.choice(BASE_NUMBER[lang]).format(
            n=rng.choice(
                [
                    str(rng.randint(12, 950)),
                    f"{rng.randint(1, 40)}{'.' if lang == 'de' else ','}{rng.randint(0, 999):03d}",
                ]
            )
        )
    elif category == "name":
        g, s = rng.choice(PERSONS)
        text = rng.choice(BASE_NAME[lang]).format(p=f"{g} {s}")
    else:
        return False
    t = plan.base
    ends = [m.start() for m in re.finditer(r"[^\s)»“”\"]\.(?=\s|$)", t)]
    ends = [e + 1 for e in ends if not ABBREV.search(t[max(0, e - 5) : e + 2])]
    ends = [e for e in ends if t[e] == "."]
    ends = [e for e in ends if plan.free(max(0, e - 1), e)]
    if not ends:
        return False
    e = rng.choice(ends)
    shift = len(text) + 1
    for ed in plan.edits:
        if ed.where == "body" and ed.start >= e:
            ed.start += shift
            ed.end += shift
        elif ed.where == "footer":
            ed.start = ed.end = ed.start + shift
    plan.base = t[:e] + " " + text + t[e:]
    return True


# --------------------------------------------------------------------------
# Typesetting and extraction
# --------------------------------------------------------------------------
def tex_escape(s: str) -> str:
    rep = {
        "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#",
        "%": r"\%", "_": r"\_", "^": r"\textasciicircum{}", "~": r"\textasciitilde{}",
        '"': r"\textquotedbl{}", "<": r"\textless{}", ">": r"\textgreater{}",
        "`": r"\textasciigrave{}", "§": r"\S{}", "€": r"\texteuro{}",
    }  # fmt: skip
    out = "".join(rep.get(c, c) for c in s)
    # break TeX ligatures that would change the characters: -- ''  ,,  !` ?`
    out = re.sub(r"-(?=-)", "-{}", out)
    out = re.sub(r"'(?=')", "'{}", out)
    out = re.sub(r",(?=,)", ",{}", out)
    return out


def make_tex(
    header: str | None,
    paras: list[str],
    footer: str | None,
    lang: str,
    layout: dict[str, Any],
    running: str | None,
) -> str:
    babel = "ngerman" if lang == "de" else "english"
    font = {"lmodern": r"\usepackage{lmodern}", "times": r"\usepackage{mathptmx}",
            "palatino": r"\usepackage{mathpazo}",
            "charter": r"\usepackage{charter}"}[layout["font"]]  # fmt: skip
    pre = [
        rf"\documentclass[{layout['size']}pt]{{article}}",
        r"\usepackage[T1]{fontenc}",
        r"\usepackage[utf8]{inputenc}",
        font,
        rf"\usepackage[{babel}]{{babel}}",
        rf"\usepackage[paperwidth={layout['width'] + 2:.1f}cm,paperheight={layout['height']}cm,"
        rf"top=1.5cm,bottom=1.5cm,left=1cm,right=1cm]{{geometry}}",
    ]
    if layout["parskip"]:
        pre.append(r"\usepackage{parskip}")
    if running:
        pre += [
            r"\usepackage{fancyhdr}",
            r"\pagestyle{fancy}",
            r"\fancyhf{}",
            rf"\fancyhead[L]{{\small {tex_escape(running)}}}",
            r"\fancyfoot[C]{\thepage}",
        ]
    else:
        pre.append(r"\pagestyle{empty}")
    pre += [
        rf"\hyphenpenalty={layout['hyphenpenalty']}",
        r"\tolerance=800",
        r"\emergencystretch=1.5em",
    ]
    body = [r"\begin{document}"]
    if header is not None:
        body += [r"{\raggedright\noindent " + tex_escape(header) + r"\par}\medskip", ""]
    body += [tex_escape(p) + "\n" for p in paras]
    if footer is not None:
        body += [r"\medskip{\raggedright\noindent " + tex_escape(footer) + r"\par}", ""]
    body.append(r"\end{document}")
    return "\n".join(pre + body) + "\n"


def typeset(tex: str, workdir: Path, extractor: str, lang: str, seed: int) -> tuple[str, bytes, float]:
    """Run pdflatex and pdftotext (or OCR, `ocr`); also return the worst overfull box in pt."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "page.tex").write_text(tex, encoding="utf-8")
    env = dict(os.environ, SOURCE_DATE_EPOCH="1577836800", FORCE_SOURCE_DATE="1")
    r = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "page.tex"],
        cwd=workdir, capture_output=True, env=env, timeout=120,
    )  # fmt: skip
    if r.returncode != 0:
        log = (workdir / "page.log").read_text(errors="replace")[-1500:]
        raise RuntimeError(f"pdflatex failed:\n{log}")
    if extractor == "ocr":
        out = ocr(workdir, lang, seed)
    else:
        args = (
            ["pdftotext", "-enc", "UTF-8"]
            + (["-raw"] if extractor == "raw" else [])
            + ["page.pdf", "-"]
        )
        out = subprocess.run(args, cwd=workdir, capture_output=True, check=True, timeout=60).stdout
    log = (workdir / "page.log").read_text(errors="replace")
    overfull = max(
        [float(x) for x in re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide", log)] or [0.0]
    )
    return out.decode("utf-8"), (workdir / "page.pdf").read_bytes(), overfull


OCR_DPI = 200  # a photocopy scanned at 200 dpi: tesseract misreads 0 to 10 words in a hundred, by font
OCR_LANGS = {"de": "deu", "en": "eng"}


def ocr(workdir: Path, lang: str, seed: int) -> bytes:
    """Return the text tesseract reads from page.pdf rendered and degraded like a scanned photocopy.

    Each page is rendered at OCR_DPI in grey, turned by 0.6 degrees, given
    Gaussian noise (ImageMagick's, seeded: the same pair gives the same text),
    blurred and cut to black and white. Pages are joined with a form feed,
    as pdftotext does.
    """
    subprocess.run(["pdftoppm", "-r", str(OCR_DPI), "-gray", "-png", "page.pdf", "scan"],
                   cwd=workdir, check=True, timeout=120)  # fmt: skip
    pages = []
    for image in sorted(workdir.glob("scan-*.png")):
        subprocess.run(
            ["convert", image.name, "-seed", str(seed), "-rotate", "0.6", "-attenuate", "0.3",
             "+noise", "Gaussian", "-blur", "0x0.5", "-threshold", "50%", "degraded.png"],
            cwd=workdir, check=True, timeout=120,
        )  # fmt: skip
        pages.append(subprocess.run(["tesseract", "degraded.png", "-", "-l", OCR_LANGS[lang]], cwd=workdir,
                                    capture_output=True, check=True, timeout=300).stdout)
    return b"\f".join(pages)


def line_of(text: str, pos: int) -> int:
    return text.count("\n", 0, max(0, min(pos, len(text)))) + 1


class PosMap:
    """Map offsets in the clean text onto the extracted text (non-space chars aligned)."""

    def __init__(self, clean: str, extracted: str):
        self.extracted = extracted
        ci = [i for i, c in enumerate(clean) if not c.isspace()]
        ei = [i for i, c in enumerate(extracted) if not c.isspace()]
        cs = "".join(clean[i] for i in ci)
        es = "".join(extracted[i] for i in ei)
        sm = difflib.SequenceMatcher(None, cs, es, autojunk=False)
        self.map: dict[int, int] = {}
        for blk in sm.get_matching_blocks():
            for k in range(blk.size):
                self.map[ci[blk.a + k]] = ei[blk.b + k]
        self.keys = sorted(self.map)

    def pos(self, clean_pos: int, forward: bool = True) -> int:
        import bisect

        if not self.keys:
            return 0
        i = bisect.bisect_left(self.keys, clean_pos)
        if forward and i < len(self.keys):
            return self.map[self.keys[i]]
        return self.map[self.keys[max(0, i - 1)]] + (1 if not forward else 0)


# --------------------------------------------------------------------------
# Pair construction
# --------------------------------------------------------------------------
@dataclass
class PairJob:
    pid: str
    lang: str
    source: str
    plan: Plan
    swap: bool  # True: A is the edited version
    pdf_side: str
    extractor: str
    layout: dict[str, Any]
    running: str | None


def side_text(header: str | None, body: str, footer: str | None) -> tuple[str, int]:
    """Clean file text and the offset of the body inside it."""
    parts, off = [], 0
    if header is not None:
        parts.append(header)
        off = len(header) + 2
    parts.append(body)
    if footer is not None:
        parts.append(footer)
    return "\n\n".join(parts), off


def realise(job: PairJob, out_dir: Path, keep_pdf: bool) -> dict[str, Any]:
    plan = job.plan
    base = plan.base
    body_edits = sorted([e for e in plan.edits if e.where == "body"], key=lambda e: e.start)
    y_body, y_starts, _shift = base, {}, 0
    pieces, last = [], 0
    for e in body_edits:
        pieces.append(base[last : e.start])
        y_starts[id(e)] = sum(len(p) for p in pieces)
        pieces.append(e.new)
        last = e.end
    pieces.append(base[last:])
    y_body = "".join(pieces)
    hdr = next((e.new for e in plan.edits if e.where == "header"), None)
    ftr = next((e.new for e in plan.edits if e.where == "footer"), None)
    x_text, x_off = side_text(None, base, None)
    y_text, y_off = side_text(hdr, y_body, ftr)
    # A/B assignment
    if job.swap:
        clean = {"a": y_text, "b": x_text}
        hf = {"a": (hdr, ftr), "b": (None, None)}
        bodies = {"a": y_body, "b": base}
    else:
        clean = {"a": x_text, "b": y_text}
        hf = {"a": (None, None), "b": (hdr, ftr)}
        bodies = {"a": base, "b": y_body}
    pdir = out_dir / "pairs" / job.pid
    pdir.mkdir(parents=True, exist_ok=True)
    files = {s: clean[s] + "\n" for s in "ab"}
    ps = job.pdf_side
    # A word that cannot be broken (long compound with a hyphen) may stick out
    # into the margin or off the page, where pdftotext loses it: widen the
    # text block until no line is more than OVERFULL_PT too wide.
    for _ in range(5):
        tex = make_tex(
            hf[ps][0], bodies[ps].split("\n\n"), hf[ps][1], job.lang, job.layout, job.running
        )
        with tempfile.TemporaryDirectory(prefix="diffcorpus-") as tmp:
            extracted, pdf, overfull = typeset(tex, Path(tmp), job.extractor, job.lang, int(job.pid))
        if overfull <= OVERFULL_PT:
            break
        job.layout = dict(job.layout, width=job.layout["width"] + 1.0)
    if not job.running and extracted.count("\f") > 1:
        raise RuntimeError(f"{job.pid}: passage did not fit on one page")
    files[ps] = extracted
    pmap = PosMap(clean[ps], extracted)

    def lines(side: str, start: int, end: int) -> list[int]:
        text = files[side]
        if side == ps:
            s = pmap.pos(start, True)
            e = pmap.pos(max(start, end - 1), True) if end > start else s
            return [line_of(text, s), line_of(text, e)]
        return [line_of(text, start), line_of(text, max(start, end - 1))]

    truth_edits = []
    for e in sorted(plan.edits, key=lambda e: (e.where != "header", e.where == "footer", e.start)):
        # offsets of the edit in the clean text of each version
        if e.where == "header":
            xs, xe, ys, ye = 0, 0, 0, len(e.new)
        elif e.where == "footer":
            xs = xe = len(x_text)
            ys, ye = len(y_text) - len(e.new), len(y_text)
        else:
            xs, xe = x_off + e.start, x_off + e.end
            ys = y_off + y_starts[id(e)]
            ye = ys + len(e.new)
        # narrow removed spans to the tokens themselves (drop the joining space)
        if e.kind == "removed":
            raw = x_text[xs:xe]
            xs += len(raw) - len(raw.lstrip())
            xe -= len(raw) - len(raw.rstrip())
        kind = e.kind
        if job.swap:  # A is the edited version: base -> edited is B -> A
            a_span, b_span = (ys, ye), (xs, xe)
            a_text, b_text = e.y_text, e.x_text
            kind = {"added": "removed", "removed": "added"}.get(kind, kind)
        else:
            a_span, b_span = (xs, xe), (ys, ye)
            a_text, b_text = e.x_text, e.y_text
        truth_edits.append(
            {
                "category": e.category,
                "kind": kind,
                "a_text": a_text,
                "b_text": b_text,
                "src_offset": e.start
                if e.where == "body"
                else (0 if e.where == "header" else len(base)),
                "a_offset": a_span[0],
                "b_offset": b_span[0],
                "a_lines": lines("a", *a_span),
                "b_lines": lines("b", *b_span),
                "note": e.note,
            }
        )
    problems = verify(files, truth_edits)
    if problems:
        print(f"  warning: pair {job.pid}: " + "; ".join(problems), file=sys.stderr)
    (pdir / "a.txt").write_text(files["a"], encoding="utf-8")
    (pdir / "b.txt").write_text(files["b"], encoding="utf-8")
    (pdir / f"{ps}.clean.txt").write_text(clean[ps] + "\n", encoding="utf-8")
    if keep_pdf:
        (pdir / f"{ps}.pdf").write_bytes(pdf)
        (pdir / f"{ps}.tex").write_text(tex, encoding="utf-8")
    truth = {
        "id": job.pid,
        "lang": job.lang,
        "source": job.source,
        "a": f"pairs/{job.pid}/a.txt",
        "b": f"pairs/{job.pid}/b.txt",
        "pdf_side": ps,
        "edited_side": "a" if job.swap else "b",
        "extractor": {"raw": "pdftotext -raw", "ocr": f"tesseract {OCR_DPI} dpi"}.get(job.extractor, "pdftotext"),
        "layout": job.layout,
        "running_header": job.running,
        "edits": truth_edits,
    }
    (pdir / "truth.json").write_text(
        json.dumps(truth, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    return truth


def _norm_tokens(s: str) -> list[str]:
    s = s.replace("\f", "\n").translate(str.maketrans("’‘", "''"))
    s = re.sub(r"(\w)-\n(\w)", r"\1\2", s)
    return re.findall(r"\w+", s.lower())


def verify(files: dict[str, str], edits: list[dict[str, Any]]) -> list[str]:
    """Check that each edit's text lies on the lines the ground truth gives."""
    problems = []
    for e in edits:
        for side in "ab":
            want = _norm_tokens(e[f"{side}_text"])
            if not want:
                continue
            lines = files[side].split("\n")
            lo, hi = e[f"{side}_lines"]
            window = "\n".join(lines[max(0, lo - 1) : hi])
            got = _norm_tokens(window)
            joined = " ".join(got)
            if " ".join(want) not in joined and "".join(want) not in "".join(got):
                problems.append(
                    f"{e['category']} {side}_text {e[f'{side}_text'][:40]!r} not on lines {lo}-{hi}"
                )
    return problems


def plan_pairs(args: argparse.Namespace) -> list[PairJob]:
    rng = random.Random(args.seed)
    paras = harvest()
    if not paras:
        sys.exit(f"no source paragraphs found; install: apt-get install {APT_PACKAGES}")
    lex = Lexicon(paras)
    pools = build_passages(paras, lex, rng)
    sentences = {
        lang: [s for p in paras if p.lang == lang for s in split_sentences(p.text)]
        for lang in ("de", "en")
    }
    planner = Planner(lex, sentences)
    n_de = args.pairs // 2
    want = {"de": n_de, "en": args.pairs - n_de}
    chosen: list[Passage] = []
    for lang in ("de", "en"):
        pool = sorted(pools[lang], key=lambda p: -p.score)
        if len(pool) < want[lang]:
            sys.exit(f"only {len(pool)} {lang} passages available, {want[lang]} wanted")
        # at most a third of a language's passages from one package
        per_pkg: Counter[str] = Counter()
        picked: list[Passage] = []
        for p in pool:
            pkg = p.source.split(":")[0]
            if per_pkg[pkg] >= max(want[lang] // 2, 1):
                continue
            per_pkg[pkg] += 1
            picked.append(p)
            if len(picked) == want[lang]:
                break
        for p in pool:
            if len(picked) == want[lang]:
                break
            if p not in picked:
                picked.append(p)
        chosen += picked
    rng.shuffle(chosen)
    counts: Counter[str] = Counter()
    jobs = []
    for i, ps in enumerate(chosen):
        plan = Plan(ps.text, ps.lang)
        k = rng.choices([1, 2, 3], weights=[25, 45, 30])[0]
        order = sorted(CATEGORIES, key=lambda c: (counts[c], rng.random()))
        for cat in order:
            if len(plan.edits) >= k:
                break
            edit = getattr(planner, cat)(plan, rng)
            if edit is None and cat in ("date", "number", "name") and seed_base(plan, cat, rng):
                edit = getattr(planner, cat)(plan, rng)
            if edit is not None:
                plan.edits.append(edit)
                counts[cat] += 1
        # direction of added/removed: a dropped word/sentence/name in the
        # edited version reads as "added" when the sides are swapped.
        swap = rng.random() < 0.5
        size = rng.choice([10, 10, 11, 11, 12])
        layout = {
            "font": rng.choice(["lmodern", "lmodern", "times", "palatino", "charter"]),
            "size": size,
            "width": rng.choice([5.5, 6.0, 6.5, 7.0, 7.5, 8.0, 9.0]),
            "height": 60 if not args.running_headers else 14,
            "parskip": rng.random() < 0.4,
            "hyphenpenalty": rng.choice([0, 25, 50]),
        }
        drawn = rng.choice(["plain", "raw"]) if args.extractor in ("mixed", "ocr") else None  # ocr: mixed's pairs
        extractor = drawn if args.extractor == "mixed" else args.extractor
        running = None
        if args.running_headers:
            running = "Das Debian-Handbuch" if ps.lang == "de" else "The Debian Handbook"
        jobs.append(
            PairJob(
                f"{i + 1:04d}",
                ps.lang,
                ps.source,
                plan,
                swap,
                rng.choice("ab"),
                extractor,
                layout,
                running,
            )
        )
    return jobs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--pairs", type=int, default=240, help="number of pairs (half German, half English)"
    )
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument(
        "--extractor",
        choices=["mixed", "plain", "raw", "ocr"],
        default="mixed",
        help="pdftotext mode: plain (poppler joins hyphenated lines), "
        "raw (keeps line-end hyphens), mixed; or ocr (tesseract reads a degraded scan)",
    )
    ap.add_argument(
        "--running-headers",
        action="store_true",
        help="typeset with fancyhdr running header and page numbers "
        "(layout artefacts the differ should ignore)",
    )
    ap.add_argument(
        "--no-pdf", action="store_true", help="do not keep the .pdf/.tex of the PDF side"
    )
    args = ap.parse_args()
    for tool in ("pdflatex", "pdftotext") + (("pdftoppm", "convert", "tesseract") if args.extractor == "ocr" else ()):
        if not shutil.which(tool):
            sys.exit(f"{tool} not found; install: apt-get install {APT_PACKAGES} {OCR_PACKAGES}")
    t0 = time.time()
    jobs = plan_pairs(args)
    if args.out.exists():
        shutil.rmtree(args.out)
    args.out.mkdir(parents=True)
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        truths = list(pool.map(lambda j: realise(j, args.out, not args.no_pdf), jobs))
    cat_counts = Counter(e["category"] for t in truths for e in t["edits"])
    kind_counts = Counter(f"{e['category']}/{e['kind']}" for t in truths for e in t["edits"])
    manifest = {
        "seed": args.seed,
        "extractor": args.extractor,
        "running_headers": args.running_headers,
        "pairs": [t["id"] for t in truths],
        "stats": {
            "pairs": len(truths),
            "per_language": dict(Counter(t["lang"] for t in truths)),
            "per_category": {c: cat_counts[c] for c in CATEGORIES},
            "per_category_kind": dict(sorted(kind_counts.items())),
            "edits": sum(cat_counts.values()),
            "pdf_side": dict(Counter(t["pdf_side"] for t in truths)),
            "edited_side": dict(Counter(t["edited_side"] for t in truths)),
            "extractor": dict(Counter(t["extractor"] for t in truths)),
            "sources": dict(Counter(t["source"].split(":")[0] for t in truths)),
        },
        "digest": hashlib.sha256(
            "".join(
                (args.out / t["a"]).read_text(encoding="utf-8")
                + (args.out / t["b"]).read_text(encoding="utf-8")
                for t in truths
            ).encode()
        ).hexdigest()[:16],
    }
    (args.out / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    st = manifest["stats"]
    print(f"built {st['pairs']} pairs in {time.time() - t0:.1f}s -> {args.out}")
    print(f"  languages: {st['per_language']}  edits: {st['edits']}  sources: {st['sources']}")
    print("  per category: " + ", ".join(f"{c} {n}" for c, n in st["per_category"].items()))
    print(
        f"  pdf side: {st['pdf_side']}  edited side: {st['edited_side']}  "
        f"extractor: {st['extractor']}"
    )
    print(f"  digest: {manifest['digest']}")
    low = [c for c, n in st["per_category"].items() if n < 40 and st["pairs"] >= 200]
    if low:
        print(f"  warning: fewer than 40 planted edits for {low}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
