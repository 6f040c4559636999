"""Prose for tests, written for them: German and English press texts with no relation to the samples,
and corpora of random words with planted near-duplicates."""

from __future__ import annotations

import random
from pathlib import Path

GERMAN = (
    "Der Landkreis Oberwald hat am Montag ein neues Programm zur Förderung von Radwegen vorgestellt. "
    "Landrätin Petra Kemmler erklärte, dass in den kommenden drei Jahren insgesamt 18 Kilometer neue "
    "Wege entstehen sollen. Die Kosten von rund 6,4 Millionen Euro teilen sich Land und Kreis. "
    "„Wir wollen, dass Kinder sicher zur Schule kommen“, sagte Kemmler bei der Vorstellung in Hallberg.\n\n"
    "Der Sprecher des Kreistages Brandner betonte die Bedeutung der Verbindung zwischen den Dörfern. "
    "Viele Familien hätten sich seit Jahren einen sicheren Weg gewünscht. Die ersten Bauarbeiten beginnen "
    "am 14. April 2025 an der Kreisstraße zwischen Hallberg und Mooskirchen. Anwohnerinnen und Anwohner "
    "werden vorab in einer Versammlung informiert, so Brandner.\n\n"
    "Nach Angaben der Verwaltung sollen die neuen Wege auch im Winter geräumt werden. Dafür stellt der "
    "Kreis zusätzliche Fahrzeuge bereit. Die Planung wurde gemeinsam mit den Gemeinden und dem örtlichen "
    "Fahrradclub erarbeitet."
)

ENGLISH = (
    "The county council of Westmere approved a new plan for cycle paths on Monday. Council leader "
    "Margaret Holloway said that 11 miles of new paths would be built over the next three years. The "
    "cost of about 4.8 million pounds will be shared by the county and the regional fund. \"We want "
    "children to get to school safely,\" Holloway said at the launch in Ashby.\n\n"
    "A spokesperson for the cycling club, Dunmore, stressed that the link between the villages mattered "
    "most. Many families had asked for a safe route for years. Work on the first section starts on "
    "April 14, 2025 along the road between Ashby and Fenwick. Residents will be told about the plans at "
    "a public meeting beforehand, said Dunmore.\n\n"
    "According to the council, the new paths will also be cleared of snow in winter. The county is "
    "buying two extra vehicles for that purpose. The plan was drawn up together with the parishes and "
    "the local cycling club."
)


def rewrap(text: str, width: int = 60) -> str:
    """Lay text out as a PDF extraction would: hard line breaks, trailing blanks, paragraphs kept."""
    out = []
    for paragraph in text.split("\n\n"):
        line = ""
        for word in paragraph.split():
            if line and len(line) + 1 + len(word) > width:
                out.append(line + " ")
                line = word
            else:
                line = f"{line} {word}" if line else word
        out.append(line)
        out.append("")
    return "\n".join(out)


_SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "ta", "ve", "so", "pi", "da", "ge", "hu", "zo", "bre", "sta", "lin"]
VOCABULARY = sorted({"".join(random.Random(n).choices(_SYLLABLES, k=3)) for n in range(5000)})


def prose(seed: int, words: int = 70) -> str:
    """Return a text of random words: unrelated texts share next to no 5-word shingle."""
    rng = random.Random(seed)
    return " ".join(rng.choice(VOCABULARY) for _ in range(words)) + ".\n"


def edited(text: str, seed: int, edits: int = 2) -> str:
    """Return a near-duplicate of `text`: a few words replaced (Jaccard well above 0.5)."""
    rng = random.Random(seed)
    words = text.split()
    for _ in range(edits):
        words[rng.randrange(len(words))] = rng.choice(VOCABULARY)
    return " ".join(words) + "\n"


def corpus(folder: Path, documents: int, groups: int, words: int = 70, per_folder: int = 500) -> set[frozenset[str]]:
    """Write `documents` files, the first 2 * `groups` of them as pairs of near-duplicates; return the pairs."""
    planted = set()
    for n in range(documents):
        name = folder / f"{n // per_folder:02d}" / f"doc{n:05d}.txt"
        name.parent.mkdir(parents=True, exist_ok=True)
        if n < 2 * groups and n % 2:
            name.write_text(edited(prose(n - 1, words), n))
            planted.add(frozenset({f"{n - 1:05d}", f"{n:05d}"}))
        else:
            name.write_text(prose(n, words))
    return planted


def versions(seed: int, count: int = 5) -> list[str]:
    """Return a family of `count` texts, each edited from an earlier one: some are near-duplicates of one
    another and not of the others, and two that are not may still share an LSH band by chance."""
    rng = random.Random(seed)
    texts = [prose(seed, 60)]
    for k in range(count - 1):
        texts.append(edited(rng.choice(texts), seed * 10 + k, edits=rng.randint(3, 10)))
    return texts
