r"""Fingerprint normalized text: tokens, word-shingle hashes and a MinHash signature.

Everything is computed with numpy over whole arrays, without a Python call
per word: the case-folded text is turned into an array of code points once,
words are the runs of `\w` characters in it (a table of the Basic
Multilingual Plane made from the `\w` of the `re` module itself), and each
word's hash is a polynomial over its code points, taken from prefix sums
(`SHINGLE_HASH`). The signature follows datasketch's "affine32" scheme bit
for bit (MurmurHash3 finalizer, then a*h+b in uint32 per permutation), so it
can be handed to datasketch's LSH and compared with `datasketch.MinHash`
directly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

U32 = npt.NDArray[np.uint32]
U64 = npt.NDArray[np.uint64]

SHINGLE_HASH = "polynomial64"  # what an index records: its shingle hashes depend on it
_TOKEN = re.compile(r"\w+")
_P = 0x100000001B3  # the multiplier of the word polynomial; odd, so invertible modulo 2**64
_P_INVERSE = pow(_P, -1, 1 << 64)
_SHINGLE_PRIME = np.uint64(0x100000001B3)
_ROWS_PER_CHUNK = 4096  # bounds the (shingles x permutations) matrix of one step


@dataclass(frozen=True, eq=False)
class Fingerprint:
    """What the index and the verifier know of a document.

    `shingles` is the sorted set of 32-bit word-shingle hashes; `signature`
    the MinHash of that set (all 0xFFFFFFFF for a document without words).
    """

    tokens: int
    shingles: U32
    signature: U32


def tokens(text: str) -> list[str]:
    """Return the fingerprint tokens: case-folded words, punctuation dropped."""
    return _TOKEN.findall(text.casefold())


def shingle_hashes(words: list[str], size: int) -> U32:
    """Return the sorted, distinct 32-bit hashes of the `size`-word shingles of `words`."""
    lengths = np.fromiter(map(len, words), np.int64, len(words))
    ends = np.cumsum(lengths)
    return _shingles(_code_points("".join(words)), ends - lengths, ends, size)


def text_shingles(text: str, size: int) -> tuple[int, U32]:
    """Return the number of tokens of `text` and `shingle_hashes(tokens(text), size)`, without a string per word."""
    points = _code_points(text.casefold())
    if len(points) and int(points.max()) > 0xFFFF:  # beyond the table: let the regular expression find the words
        words = tokens(text)
        return len(words), shingle_hashes(words, size)
    is_word = np.zeros(len(points) + 2, dtype=np.bool_)
    is_word[1:-1] = _word_table()[points]
    bounds = np.flatnonzero(is_word[1:] != is_word[:-1])  # where runs of word characters start and end
    starts, ends = bounds[::2], bounds[1::2]
    return len(starts), _shingles(points, starts, ends, size)


def _code_points(text: str) -> U32:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), np.uint32)


@lru_cache(maxsize=1)
def _word_table() -> npt.NDArray[np.bool_]:
    """Return which code points of the Basic Multilingual Plane `\\w` matches, as the `re` module decides."""
    plane = "".join(map(chr, range(0x10000)))
    return _code_points(re.sub(r"\w", "\0", plane)) != _code_points(plane)  # NUL is no word character


def _shingles(points: U32, starts: npt.NDArray[np.int64], ends: npt.NDArray[np.int64], size: int) -> U32:
    """Return the shingle hashes of the words at [starts, ends) of `points`."""
    if len(starts) == 0:
        return np.empty(0, dtype=np.uint32)
    powers, inverses = _powers(len(points))
    prefix = np.zeros(len(points) + 1, dtype=np.uint64)
    np.cumsum(points * powers[: len(points)], out=prefix[1:])  # modulo 2**64, as uint64 arithmetic wraps
    hashed = (prefix[ends] - prefix[starts]) * inverses[starts]  # sum of point * P**k over the word's k
    hashed = _fmix64(hashed * _SHINGLE_PRIME + (ends - starts).astype(np.uint64))
    width = min(size, len(hashed))
    count = len(hashed) - width + 1
    combined = hashed[:count].copy()
    for j in range(1, width):
        combined = combined * _SHINGLE_PRIME + hashed[j : j + count]
    folded = ((combined ^ (combined >> np.uint64(32))) & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    folded.sort()
    return folded[np.concatenate(([True], folded[1:] != folded[:-1]))]


@lru_cache(maxsize=4)
def _power_table(size: int) -> tuple[U64, U64]:
    powers = np.full(size, _P, dtype=np.uint64)
    powers[0] = 1
    inverses = np.full(size, _P_INVERSE, dtype=np.uint64)
    inverses[0] = 1
    return np.cumprod(powers), np.cumprod(inverses)


def _powers(length: int) -> tuple[U64, U64]:
    """Return P**k and P**-k modulo 2**64 for k up to at least `length`."""
    return _power_table(max(1 << 12, 1 << (length - 1).bit_length()))


def _fmix64(h: U64) -> U64:
    h = h ^ (h >> np.uint64(33))
    h = h * np.uint64(0xFF51AFD7ED558CCD)
    h = h ^ (h >> np.uint64(33))
    h = h * np.uint64(0xC4CEB9FE1A85EC53)
    return h ^ (h >> np.uint64(33))


@lru_cache(maxsize=8)
def permutations(num_perm: int, seed: int) -> tuple[U32, U32]:
    """Return datasketch's affine32 permutation parameters (a, b) for `num_perm` and `seed`."""
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


def _fmix32(h: U32) -> U32:
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def signature(shingles: U32, num_perm: int, seed: int) -> U32:
    """Return the MinHash signature of a set of 32-bit hashes (datasketch affine32)."""
    a, b = permutations(num_perm, seed)
    result = np.full(num_perm, 0xFFFFFFFF, dtype=np.uint32)
    mixed = _fmix32(shingles.astype(np.uint32))
    for start in range(0, len(mixed), _ROWS_PER_CHUNK):
        chunk = mixed[start : start + _ROWS_PER_CHUNK, None]
        np.minimum(result, (chunk * a + b).min(axis=0), out=result)
    return result


def fingerprint(text: str, shingle_size: int, num_perm: int, seed: int) -> Fingerprint:
    """Return the fingerprint of normalized `text`."""
    count, shingles = text_shingles(text, shingle_size)
    return Fingerprint(count, shingles, signature(shingles, num_perm, seed))


def jaccard(a: U32, b: U32) -> float:
    """Return the exact Jaccard similarity of two sorted hash sets (1.0 for two empty sets)."""
    if len(a) == 0 and len(b) == 0:
        return 1.0
    common = len(np.intersect1d(a, b, assume_unique=True))
    return common / (len(a) + len(b) - common)


def containment(a: U32, b: U32) -> float:
    """Return the share of the smaller set found in the larger one (0.0 when one is empty)."""
    smaller = min(len(a), len(b))
    if smaller == 0:
        return 0.0
    return len(np.intersect1d(a, b, assume_unique=True)) / smaller
