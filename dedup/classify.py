"""Offline signals that tell what a changed span is: a date, a number, a name, an inflection.

No model is downloaded: names come from combining weak signals (capitals
away from a sentence start, titles, role nouns, speech verbs and attribution
patterns, first names, how the same word is used elsewhere); inflections from
simplemma's lemmas and shared stems; dates from German and English patterns.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from collections.abc import Sequence
from datetime import date

import numpy as np

from dedup import glyphs, lexicon
from dedup.fingerprint import code_points, plane_table

_MONTHS = {
    "januar": 1, "jänner": 1, "january": 1, "jan": 1,
    "februar": 2, "february": 2, "feb": 2, "febr": 2,
    "märz": 3, "march": 3, "mar": 3, "mär": 3,
    "april": 4, "apr": 4,
    "mai": 5, "may": 5,
    "juni": 6, "june": 6, "jun": 6,
    "juli": 7, "july": 7, "jul": 7,
    "august": 8, "aug": 8,
    "september": 9, "sept": 9, "sep": 9,
    "oktober": 10, "october": 10, "okt": 10, "oct": 10,
    "november": 11, "nov": 11,
    "dezember": 12, "december": 12, "dez": 12, "dec": 12,
}  # fmt: skip
_WEEKDAYS = (
    "montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonnabend|sonntag|"
    "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
)
_SHORT_MONTHS = {"jan", "feb", "febr", "mar", "mär", "apr", "jun", "jul", "aug", "sept", "sep", "okt", "oct", "nov",
                 "dez", "dec"}  # fmt: skip
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DATE_PATTERNS = (
    # 2019-08-27
    re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})\b"),
    # 27.08.19, 27.08.2019
    re.compile(r"\b(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4}|\d{2})\b"),
    # 27. August 2019, 27 August 2019, 27th of August 2019
    re.compile(
        rf"\b(?P<d>\d{{1,2}})(?:\.|st|nd|rd|th)?\s*(?:of\s+)?(?P<mn>{_MONTH})\.?,?\s+(?P<y>\d{{4}})\b",
        re.IGNORECASE,
    ),
    # August 27, 2019
    re.compile(rf"\b(?P<mn>{_MONTH})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y>\d{{4}})\b", re.IGNORECASE),
    # August 2019
    re.compile(rf"\b(?P<mn>{_MONTH})\.?\s+(?P<y>\d{{4}})\b", re.IGNORECASE),
    # 27. August, 27 August, 27th of August (no year: kept only with a capital, "3 may" is no date)
    re.compile(rf"\b(?P<d>\d{{1,2}})(?:\.|st|nd|rd|th)?\s*(?:of\s+)?(?P<mn>{_MONTH})\b\.?", re.IGNORECASE),
    # August 27
    re.compile(rf"\b(?P<mn>{_MONTH})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\b(?![.,:]?\d)", re.IGNORECASE),
    # Dienstag, Monday (a weekday alone counts as part of a date)
    re.compile(rf"\b(?:{_WEEKDAYS})\b", re.IGNORECASE),
)


_DIGITS = re.compile(r"\d+")
# "Montag, den 3. Juni", "am Montag, dem 3. Juni", "Monday the 3rd"
_WEEKDAY_GAP = re.compile(r",?[ \t]*(?:\n[ \t]*)?(?:de[nm][ \t]+|the[ \t]+)?")
_WEEKDAY_NUMBERS = {
    "montag": 0, "dienstag": 1, "mittwoch": 2, "donnerstag": 3, "freitag": 4, "samstag": 5, "sonnabend": 5,
    "sonntag": 6, "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6,
}  # fmt: skip
_WEEKDAY = re.compile(rf"\b(?:{_WEEKDAYS})\b", re.IGNORECASE)
# Every weekday holds one of these; a character that matches one of their
# letters under IGNORECASE lower-cases to that letter, so a text whose lower
# case holds none has no weekday, and the slow pattern need not run.
_WEEKDAY_HINTS: tuple[str, ...] = ("tag", "day", "ttwoch", "onnabend")
_REACH = 24  # a date's words stand at most this far from its figures
# Under IGNORECASE only "ı", "İ" and "ſ" match a letter of a month's name without lower-casing to it
# ("İ" lower-cases to "i" and a combining dot): mapped so, a name the patterns found is a key of _MONTHS.
_MONTH_LETTERS = str.maketrans("ıſ", "is", "\u0307")
# The patterns after the first two need a month's name, which starts with one of these.
_MONTH_STEMS = re.compile("|".join(sorted({name[:3] for name in _MONTHS})))


def date_spans(text: str) -> list[tuple[int, int, tuple[int, ...] | None]]:
    """Return (start, end, (year, month, day) or None) for each date found in `text`.

    Every date form but a lone weekday holds a figure, so the patterns run
    only in windows around figures: fast on long texts with few numbers.
    """
    spans: list[tuple[int, int, tuple[int, ...] | None]] = []
    windows: list[list[int]] = []
    dayless: set[int] = set()
    for m in _DIGITS.finditer(text):
        lo, hi = max(0, m.start() - _REACH), min(len(text), m.end() + _REACH)
        if windows and lo <= windows[-1][1]:
            windows[-1][1] = hi
        else:
            windows.append([lo, hi])
    for lo, hi in windows:
        here: list[tuple[int, int, tuple[int, ...] | None]] = []
        named = _MONTH_STEMS.search(text[lo:hi].lower().translate(_MONTH_LETTERS)) is not None
        for pattern in _DATE_PATTERNS[:-1] if named else _DATE_PATTERNS[:2]:
            for m in pattern.finditer(text, lo, hi):
                if "y" not in m.groupdict() and not _yearless(m, text):
                    continue
                if not any(s <= m.start() < e or m.start() <= s < m.end() for s, e, _ in here):
                    here.append((m.start(), m.end(), _parse(m)))
                    if m.groupdict().get("d") is None:
                        dayless.add(m.start())  # "April 2025": no day for a weekday to fit
        spans.extend(here)
    taken = sorted(spans)
    starts = [s for s, _, _ in taken]
    lower = text.lower()
    for m in _WEEKDAY.finditer(text) if any(h in lower for h in _WEEKDAY_HINTS) else ():
        k = bisect_right(starts, m.start()) - 1
        if k >= 0 and taken[k][1] > m.start():
            continue  # within a date
        after = k + 1
        if (after < len(taken) and taken[after][0] not in dayless
                and _WEEKDAY_GAP.fullmatch(text, m.end(), taken[after][0])):
            _, end, parsed = taken[after]  # "Monday, June 3, 2024": one date, the same as "2024-06-03"
            weekday = _WEEKDAY_NUMBERS.get(m.group(0).lower().translate(_MONTH_LETTERS), -1)  # ("ſunday": -1)
            if parsed is not None and (not parsed[0] or date(*parsed[:3]).weekday() != weekday):
                parsed = (*parsed, weekday)  # "Sunday, June 3, 2024" (a Monday), "Monday, June 3": only itself
            spans[spans.index(taken[after])] = (m.start(), end, parsed)
        else:
            spans.append((m.start(), m.end(), None))
    return sorted(spans)


def _yearless(m: re.Match[str], text: str) -> bool:
    """Return whether a match with no year is a date.

    Without a year, "12. August Becker", "Mai 5 neue" and "3 of May's" read
    as well as figures beside a month's name: a yearless date counts only
    after a word that introduces one ("am", "bis", "on", "by", a weekday), a
    month needs its capital and an abbreviation its point, and "June 3"
    (never German) no lower-case word after it ("by June 3 new stores") but
    after a weekday.
    """
    month = m.group("mn")
    short = month.lower() in _SHORT_MONTHS and text[m.end("mn") : m.end("mn") + 1] != "."
    if not month[0].isupper() or short or _parse(m) is None:
        return False
    cue = _YEARLESS_CUE.search(text, max(0, m.start() - 20), m.start())
    if cue is None:
        return False
    if m.start("mn") > m.start("d"):
        return True
    weekday = _WEEKDAY.match(cue.group(1)) is not None  # "Monday, June 3 she said": a date
    return month.lower() not in _GERMAN_MONTHS and (weekday or not text[m.end() : m.end() + 3].lstrip()[:1].islower())


_YEARLESS_CUE = re.compile(
    rf"(?<!\w)(am|vom|zum|bis|ab|seit|den|dem|on|by|until|till|from|since|the|{_WEEKDAYS}),?[ \t]+\Z",
    re.IGNORECASE)
_GERMAN_MONTHS = {"januar", "jänner", "februar", "märz", "mär", "mai", "juni", "juli", "oktober", "okt", "dezember",
                  "dez"}  # fmt: skip


def _parse(m: re.Match[str]) -> tuple[int, ...] | None:
    """Return (year, month, day), the year 0 when the date has none ("27. August"), or None for no valid date."""
    groups = m.groupdict()
    if not groups:
        return None  # a weekday alone
    year = int(groups["y"]) if "y" in groups else 0
    if 0 < year < 100:
        year += 2000 if year < 70 else 1900
    month = _MONTHS[groups["mn"].lower().translate(_MONTH_LETTERS)] if groups.get("mn") else int(groups["m"])
    day = int(groups["d"]) if groups.get("d") else 1
    try:
        date(year or 2000, month, day)  # (2000 is a leap year: "29. Februar" is a date)
    except ValueError:
        return None
    return year, month, day


_DIGIT = re.compile(r"\d")


def has_digit(text: str) -> bool:
    """Return whether `text` holds a figure."""
    return _DIGIT.search(text) is not None


_NUMBER_WORDS = {
    lang: {word: str(n) for n, word in enumerate(words.split())}
    for lang, words in (("de", "null eins zwei drei vier fünf sechs sieben acht neun zehn elf zwölf"),
                        ("en", "zero one two three four five six seven eight nine ten eleven twelve"))
}
# A sign or abbreviation and the words it stands for ("12 %" says what "12 Prozent" says), casefolded
# without a point; words of different units ("Euro", "Dollar") are not the same.
_UNIT_WORDS = {
    "%": {"prozent", "percent", "pct"},
    "€": {"euro", "euros", "eur"}, "eur": {"euro", "euros"},
    "$": {"dollar", "dollars", "usd"}, "usd": {"dollar", "dollars"},
    "£": {"pound", "pounds", "gbp"}, "gbp": {"pound", "pounds"},
    "chf": {"franken", "franc", "francs"}, "¥": {"yen", "jpy"}, "jpy": {"yen"}, "ct": {"cent", "cents"},
    "mio": {"million", "millionen"}, "mrd": {"milliarde", "milliarden"}, "tsd": {"tausend"},
    "km": {"kilometer", "kilometern", "kilometers", "kilometre", "kilometres"},
    "kg": {"kilogramm", "kilogram", "kilograms", "kilo", "kilos"}, "ha": {"hektar", "hectare", "hectares"},
    "mi": {"meile", "meilen", "mile", "miles"}, "m²": {"m2", "qm", "quadratmeter", "quadratmetern"},
    "kwh": {"kilowattstunde", "kilowattstunden"},
}  # fmt: skip (no "bn": a German Billion is a thousand times an English billion)
# Words that multiply the figure before them; no "billion" in German, where a Billion is an English trillion.
_SCALES = {
    "de": {"tausend": 3, "tsd": 3, "million": 6, "millionen": 6, "mio": 6, "milliarde": 9, "milliarden": 9, "mrd": 9},
    "en": {"thousand": 3, "million": 6, "millions": 6, "mio": 6, "billion": 9, "billions": 9, "bn": 9},
}
_UNITS = set(_UNIT_WORDS).union(*_UNIT_WORDS.values(), *_SCALES.values())
UNIT_SIGNS = frozenset(sign for sign in _UNIT_WORDS if not sign.isalpha())


def _same_unit(a: str, b: str) -> bool:
    """Whether two words are one unit: its sign and a word for it, or two of its words ("Kilometer", "Kilometern")."""
    x, y = a.casefold().rstrip("."), b.casefold().rstrip(".")
    return x == y or any({x, y} <= {sign, *words} for sign, words in _UNIT_WORDS.items())


_THOUSANDS = {"de": ".", "en": ","}
_DECIMAL = {"de": ",", "en": "."}


def number_value(word: str, lang: str) -> str | None:
    """Return a figure as the language writes it (de 1.500,5; en 1,500.5) without its separators, else None.

    A thousands separator counts only between groups of three digits:
    "1.500" is 1500 in German and 1.5 in English. Digits are kept as they
    are: 007 is not 7, nor 1.50 1.5. A number up to twelve may be a word ("zwölf", "twelve").
    """
    spelled = _NUMBER_WORDS[lang].get(word.casefold())
    if spelled is not None:
        return spelled
    sep, point = _THOUSANDS[lang], _DECIMAL[lang]
    whole, _, fraction = word.partition(point)
    groups = whole.split(sep)
    if not all(g.isdigit() and g.isascii() for g in groups) or not 0 < len(groups[0]) <= (3 if len(groups) > 1 else 30):
        return None
    if any(len(g) != 3 for g in groups[1:]) or (fraction and not (fraction.isdigit() and fraction.isascii())):
        return None
    return "".join(groups) + ("." + fraction if fraction else "")


def is_figure(word: str, lang: str) -> bool:
    """Return whether `word` holds a figure or is a number word ("zwölf")."""
    return has_digit(word) or word.casefold() in _NUMBER_WORDS[lang]


def is_unit(word: str, lang: str) -> bool:
    """Return whether `word` is a sign or word of a unit or scale ("%", "Prozent", "€", "Mio.", "billion"), or in
    English the half of the day a time is in ("pm", "a.m.")."""
    return word.casefold().rstrip(".") in _UNITS or (lang == "en" and word.casefold().replace(".", "") in _HALF_DAY)


def same_figures(a: Sequence[str], b: Sequence[str], lang: str) -> bool:
    """Return whether two runs of words say the same thing, figures or units written otherwise.

    1.500 and 1500 in German, "zwölf" and 12, "%" and "Prozent", "Mio." and
    "Millionen", "6 pm" and "18:00": each word is the same as the other's, or
    stands for it, times of day read first (`_times`).
    """
    a, b = _scaled(_times(a, lang), lang), _scaled(_times(b, lang), lang)
    if len(a) != len(b):
        return False
    for x, y in zip(a, b, strict=True):
        if x == y or _same_unit(x, y) or _same_time(x, y) or _same_time(y, x):
            continue
        value = number_value(x, lang)
        if value is None or value != number_value(y, lang):
            return False
    return True


def _scaled(words: Sequence[str], lang: str) -> list[str]:
    """Return the words with each figure and the scale word after it as one figure: "4,2 Millionen" is "4200000"."""
    out, i = [], 0
    while i < len(words):
        value = number_value(words[i], lang) if i + 1 < len(words) else None
        power = _SCALES[lang].get(words[i + 1].casefold().rstrip(".")) if value is not None else None
        if value is None or power is None:
            out.append(words[i])
            i += 1
            continue
        whole, _, fraction = value.partition(".")
        if len(fraction) > power:  # finer than a unit ("0,0000001 Mio."): as written
            out.extend(words[i : i + 2])
        else:
            out.append(str(int(whole + fraction.ljust(power, "0"))))
        i += 2
    return out


# A time of day: an hour, with its minutes after ":" (or "." in German, or before "am"/"pm": "6.30 pm").
_CLOCK = re.compile(r"([01]?[0-9]|2[0-4])(?:([:.])([0-5][0-9]))?")  # ASCII digits: int() refuses "²"
_HALF_DAY = {"am": 0, "pm": 12}  # "a.m." and "p.m." too: read without their points
_HOUR_WORDS = frozenset({"uhr", "o'clock"})


def _times(words: Sequence[str], lang: str) -> list[str]:
    """Return the words with each time of day as one word, "HH:MM" on 24 hours.

    "18 Uhr", "18.00 Uhr", "6 pm", "6 p.m." and "6:00 pm" are all "18:00";
    "18:30" is "18:30", and so is "18.30" in German. A figure alone stays
    what it is (`same_figures` takes "18" for "18:00").
    """
    out, i = [], 0
    while i < len(words):
        m = _CLOCK.fullmatch(words[i])
        if m is None:
            out.append(words[i])
            i += 1
            continue
        hour, minute = int(m[1]), m[3] or "00"
        after = words[i + 1].casefold().replace(".", "") if i + 1 < len(words) else ""
        if after in _HALF_DAY and lang == "en" and 1 <= hour <= 12:
            out.append(f"{hour % 12 + _HALF_DAY[after]:02d}:{minute}")
            i += 2
        elif after in _HOUR_WORDS:
            out.append(f"{hour:02d}:{minute}")
            i += 2
        else:
            out.append(f"{hour:02d}:{minute}" if m[2] == ":" or (m[2] == "." and lang == "de") else words[i])
            i += 1
    return out


def _same_time(x: str, y: str) -> bool:
    """Whether two words read by `_times` say the same time: "18" and "18:00", "6.30" and "06:30"."""
    if x.isascii() and x.isdigit():
        return y == f"{int(x):02d}:00"
    m = _CLOCK.fullmatch(x)
    return m is not None and m[2] == "." and y == f"{int(m[1]):02d}:{m[3]}"


# -- inflection ---------------------------------------------------------------


# What German and English add to a stem: the letters after the longest shared stem of two forms ("einen" ->
# "einem": "n", "m"; "Arbeiten" -> "Arbeitern": "en", "ern").
_ENDINGS = frozenset({
    "", "e", "n", "m", "r", "s", "t", "d", "en", "em", "er", "es", "et", "st", "te", "in", "ern", "ens", "est", "ten",
    "ter", "tes", "ed", "ing", "ly",
})


def is_inflection(a: str, b: str, lang: str) -> bool:
    """Return whether two different words are forms of the same word.

    Forms share a stem of at least 4 letters and 60 % of the longer word, and
    end in what German or English adds to a stem ("Darmstadt" -> "Darmstadts",
    "gewonnenen" -> "gewonnen"), not in other letters ("Schmidt" -> "Schmitt");
    or the lemmatizer gives them one lemma ("Häuser", "Haus").
    """
    fa, fb = a.casefold(), b.casefold()
    if fa == fb or not (a.isalpha() and b.isalpha()):
        return False
    longest = max(len(fa), len(fb))
    for stem in range(_common_prefix(fa, fb), max(4, math.ceil(0.6 * longest)) - 1, -1):
        if fa[stem:] in _ENDINGS and fb[stem:] in _ENDINGS:
            return True
    if min(len(fa), len(fb)) < 2:  # a letter alone is no form of a word
        return False
    from dedup.lemmas import lemma  # simplemma: loaded on the first word that needs it

    la, lb = lemma(a, lang), lemma(b, lang)  # irregular forms too: "is" -> "was", "ist" -> "war"
    return la in (lb, fb) or lb == fa


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


# -- OCR misreadings ----------------------------------------------------------

_THIN = frozenset("il1ıj|!íì.,'`’‘")  # what a speck of dust reads as, or a thin letter lost


def misread(a: Sequence[str], b: Sequence[str], scanned: bool = False) -> bool:
    """Return whether words `b` could be words `a` as OCR misreads them (or the other way round).

    The words are joined (OCR splits and joins words), and each place where
    they differ must be letters drawn alike ("l", "1", "I"; "e", "c"; "ö",
    "o"), pairs read as one ("rn", "m"), or a thin letter ("i", "l") lost or
    gained. At most two letters may differ so, or one in four. Figures alone on
    both sides never are misread: "1993" -> "1998" is a changed figure,
    whatever a scanner does to "3" and "8".

    In a copy known to be `scanned` (it holds such misreadings already), OCR
    is given more: words of two letters, one in three letters differing, and
    one place of at most two letters read as others not drawn alike ("Linux"
    -> "Limix", "Quartal" -> "Onartal"), but never at the word's end, where an
    inflection changes ("Darmstadt" -> "Darmstadts", "einen" -> "einem"), nor a
    letter added or dropped at its start ("here" -> "there"). What is a
    misreading in any copy is one in a scanned copy.
    """
    if not a or not b or len(a) > 3 or len(b) > 3:
        return False
    if all(has_digit(w) and not any(c.isalpha() for c in w) for w in (*a, *b)):
        return False
    x, y = "".join(a).lower(), "".join(b).lower()  # not casefold: "ß" read as "B" is not "ss"
    if x == y:
        return len(a) != len(b)  # split or joined: "hy pothetisches"
    if scanned and 1 < len(a) == len(b):  # joined as in any copy, or word by word, each with its own ending
        return misread(a, b) or all(v == w or misread([v], [w], scanned)  # ("computer" -> "computers" is not)
                                    for v, w in zip(a, b, strict=True))
    shortest = min(len(x), len(y))
    if shortest < (2 if scanned else 3):
        return False
    from rapidfuzz.distance import Levenshtein

    from dedup.align import blocks  # (align imports this module)

    if Levenshtein.distance(x, y) > max(2, shortest // (3 if scanned else 4)):
        return False
    unlike = [(i0, i1, j0, j1) for i0, i1, j0, j1 in blocks(Levenshtein.opcodes(x, y))
              if not _alike(x[i0:i1], y[j0:j1])]
    if not unlike:
        return True
    if not scanned or len(a) != 1 or len(b) != 1 or len(unlike) > 1 or shortest < 3:
        return False
    i0, i1, j0, j1 = unlike[0]
    fx, fy = x.translate(glyphs.FOLD), y.translate(glyphs.FOLD)
    same_start, same_end = _common_prefix(fx, fy), _common_prefix(fx[::-1], fy[::-1])
    # Not the word's end changed or lengthened ("einen" -> "einem", "Information" -> "Informationen"), nor
    # letters added at its start ("here" -> "there"): the letters alike at both ends say where it changed.
    return (same_end > 0 and max(same_start, same_end) < shortest
            and max(i1 - i0, j1 - j0) <= 2 and (x[i0:i1] + y[j0:j1]).isalpha())


def garbled(a: Sequence[str], b: Sequence[str], lang: str) -> bool:
    """Return whether words `b` could be OCR's garbage of words `a` (or the other way round): the words of one side
    are all words of `lang`, and the other's, read as letters close to them, partly no words at all ("vielmehr" ->
    "viehnchr", "bestimmte" -> "bestinmite").

    An edit puts words for words; OCR's garbage is no word. Where both sides are words ("einen" -> "einem") or
    neither (names, compounds the dictionary lacks), this says nothing. Nor does it for a word made of words
    ("geimpft" -> "ungeimpft", "Wasserstoffbusse" -> "Wasserstoffzüge"), another ending ("Information" ->
    "Iuformationen"), or figures.
    """
    if not a or not b or len(a) > 3 or len(b) > 3 or any(map(has_digit, (*a, *b))):
        return False
    from dedup.lemmas import is_word  # simplemma's dictionary: loaded on the first hunk that needs it

    known_a, known_b = [is_word(w, lang) for w in a], [is_word(w, lang) for w in b]
    if all(known_a) == all(known_b):
        return False
    clean, read, known = (a, b, known_b) if all(known_a) else (b, a, known_a)
    if any(_made_of_words(w, lang) for w, k in zip(read, known, strict=True) if not k):
        return False
    if len(clean) != len(read):  # split or joined differently
        return _close("".join(clean), "".join(read))
    return all(v == w or (not k and _close(v, w)) for v, w, k in zip(clean, read, known, strict=True))


def _made_of_words(word: str, lang: str) -> bool:
    """Whether `word` is a word of at least 2 letters and one of at least 4 after it, joined ("un" + "geimpft")."""
    from dedup.lemmas import is_word

    return any(is_word(word[:i], lang) and is_word(word[i:], lang) for i in range(2, len(word) - 3))


_GARBLED = 0.4  # of the longer word's letters (folded), at most, may differ in OCR's garbage


def _close(word: str, read: str) -> bool:
    """Whether `read` is letter for letter close to `word` (letters drawn alike counted as one), and is not `word`
    with another ending: where letters were lost or gained, the last stays ("Information" -> "Iuformationen" is an
    inflection, however misread)."""
    x, y = word.lower(), read.lower()
    if min(len(x), len(y)) < 3:
        return False
    from rapidfuzz.distance import Levenshtein

    def apart(u: str, v: str) -> int:
        return Levenshtein.distance(u.translate(glyphs.FOLD), v.translate(glyphs.FOLD))

    if apart(x, y) > max(2, round(_GARBLED * max(len(x), len(y)))):
        return False
    short, long = sorted((x, y), key=len)
    return len(x) == len(y) or (x[-1] == y[-1] and not any(
        long[-cut:] in _ENDINGS and apart(long[:-cut], short) <= 1 for cut in (1, 2, 3)))


def _alike(x: str, y: str) -> bool:
    """Letters drawn alike, one for one ("in" -> "tu") or with pairs read as one ("rn" -> "m"), or thin ones."""
    return (glyphs.folded(x) == glyphs.folded(y) or x.translate(glyphs.FOLD) == y.translate(glyphs.FOLD)
            or (not x and set(y) <= _THIN) or (not y and set(x) <= _THIN))


# -- names --------------------------------------------------------------------

_ENDS_SENTENCE = frozenset(".!?:")
_PARTICLES = frozenset({
    "von", "van", "der", "de", "di", "da", "du", "la", "le", "zu", "vom", "ten", "ter", "bin", "al",
})
_ADJECTIVE_ENDINGS = ("e", "en", "er", "es", "em")


def name_score(words: Sequence[str], index: int, lang: str,
               usages: Sequence[tuple[str | None, str, str | None]]) -> float:
    """Return how strongly `words[index]` looks like a proper name (>= 2 means: a name).

    Args:
        words: the tokens of the text the word stands in (punctuation included).
        index: position of the word in `words`.
        lang: "de" or "en" (German capitalises every noun, so capitals count less there).
        usages: token windows (previous, word, next) of every other place the same
            word stands in the documents being compared.
    """
    word = words[index]
    if not word[:1].isupper():
        return -5.0 if word.lower() not in _PARTICLES else 0.0
    score = _shape(word) + _place(_neighbour(words, index, -1), _neighbour(words, index, -2),
                                  _neighbour(words, index, 1), lang)
    if word.lower().endswith(lexicon.ROLE_SUFFIXES):
        score -= 2.0  # "sagte Landrätin Kemmler": the role is a noun, the name comes after it
    window = [w.lower() for w in words[max(0, index - 8) : index]]
    if any(w.endswith(lexicon.ROLE_SUFFIXES) for w in window):
        score += 1.5
    # How the same word stands elsewhere: once as a speaker, after a title, or
    # without an article after a preposition, it is a name everywhere.
    if usages and max(_place(p, None, n, lang) for p, _, n in usages) >= 1.5:
        score += 1.5
    return score


def _shape(word: str) -> float:
    """Return the evidence in the word itself: inner capitals, acronyms, first names, places."""
    rest = word[1:]
    score = 0.0
    if (any(c.isupper() for c in rest) and any(c.islower() for c in rest)) or (
        len(word) >= 2 and word.isupper() and word.isalpha()
    ):
        score += 3.0  # DStGB, eGovernment, McDonald, NASA
    if word.lower() in lexicon.FIRST_NAMES or word.lower() in lexicon.PLACES:
        score += 2.0
    return score


def _place(prev: str | None, before_prev: str | None, nxt: str | None, lang: str) -> float:
    """Return the evidence in where a capitalised word stands: its neighbours."""
    if prev == '"' and before_prev is not None and before_prev not in _ENDS_SENTENCE:
        prev = before_prev  # a quote inside a sentence does not start one
    elif prev == "." and before_prev is not None and before_prev.lower() in lexicon.TITLE_ABBREVIATIONS:
        prev = before_prev  # "Dr. Kessler": the point ends the title, not a sentence
    low = (prev or "").lower()
    score = 0.0
    if prev is None or prev in _ENDS_SENTENCE or prev == '"':
        pass  # a sentence start says nothing
    elif lang == "en":
        score += 2.0  # English capitalises names, not nouns
    elif low in lexicon.DETERMINERS:
        score -= 1.5  # "der Handschuh": a common noun
    elif low in lexicon.PREPOSITIONS:
        score += 1.5  # "in Darmstadt"; a German noun would take its article
    elif prev[0].isupper() and prev[0].isalpha():
        score += 1.0  # "Ian Murdock", "Stadt Darmstadt"
    elif low in lexicon.SPEECH_VERBS:
        score += 2.0  # "sagte Kemmler", "betonte Brandner": the speaker, after the verb (not "sagte" as an adjective)
    elif prev.isalpha() and prev.islower() and low.endswith(_ADJECTIVE_ENDINGS):
        score -= 1.0  # "einen sicheren Weg"
    else:
        score += 0.5
    if low in lexicon.FIRST_NAMES or low.rstrip(".") in lexicon.TITLES:
        score += 3.0
    if low in lexicon.ATTRIBUTION or (nxt or "").lower() in lexicon.SPEECH_VERBS:
        score += 2.0
    return score


def _neighbour(words: Sequence[str], index: int, step: int) -> str | None:
    j = index + step
    return words[j] if 0 <= j < len(words) else None


_GERMAN = frozenset({
    "der", "die", "das", "und", "ist", "nicht", "mit", "von", "zu", "den", "dem", "des", "ein", "eine", "einen", "auf",
    "für", "sich", "auch", "als", "wird", "werden", "wurde", "sind", "im", "bei", "nach", "aus", "oder", "wie", "über",
    "sie", "er", "es", "wir", "ihr", "noch", "nur",
})
_ENGLISH = frozenset({
    "the", "and", "of", "to", "is", "in", "that", "with", "for", "as", "on", "by", "are", "was", "were", "be", "this",
    "it", "from", "at", "or", "an", "which", "has", "have", "not", "will", "would", "their", "they", "its",
})
_WORD = re.compile(r"[^\W\d_]+")


_SHORTEST, _LONGEST = min(map(len, _GERMAN | _ENGLISH)), max(map(len, _GERMAN | _ENGLISH))


def function_words(text: str) -> tuple[int, int]:
    """Return how many German and how many English function words the opening of `text` has.

    The words are the runs of `_WORD` in the lower-cased opening. They are
    found with numpy over the code points, and only those of a function
    word's length are cut out (the regular expression took 75 µs a document).
    """
    opening = text[:2500].lower()
    points = code_points(opening)
    if int(points.max(initial=0)) > 0xFFFF:  # beyond the table: the regular expression finds the words
        words = _WORD.findall(opening)
    else:
        letter = np.zeros(len(points) + 2, dtype=np.bool_)
        letter[1:-1] = plane_table(r"[^\W\d_]")[points]  # the characters of _WORD
        bounds = np.flatnonzero(letter[1:] != letter[:-1])  # where runs of letters start and end
        starts, ends = bounds[::2], bounds[1::2]
        fits = (ends - starts >= _SHORTEST) & (ends - starts <= _LONGEST)
        words = [opening[s:e] for s, e in zip(starts[fits].tolist(), ends[fits].tolist(), strict=True)]
    return sum(map(_GERMAN.__contains__, words)), sum(map(_ENGLISH.__contains__, words))


def language(*counts: tuple[int, int]) -> str:
    """Return "de" or "en", by which language's function words are more frequent in the texts (`function_words`)."""
    return "de" if sum(c[0] for c in counts) > sum(c[1] for c in counts) else "en"
