"""Fingerprint normalized text: tokens, word-shingle hashes and a MinHash signature.

Shingle hashes and signatures are computed with numpy over whole arrays. The
signature follows datasketch's "affine32" scheme bit for bit (MurmurHash3
finalizer, then a*h+b in uint32 per permutation), so it can be handed to
datasketch's LSH and compared with `datasketch.MinHash` directly.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

U32 = npt.NDArray[np.uint32]

_TOKEN = re.compile(r"\w+")
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
    if not words:
        return np.empty(0, dtype=np.uint32)
    hashed = np.fromiter((zlib.crc32(w.encode("utf-8", "surrogatepass")) for w in words), np.uint64, len(words))
    width = min(size, len(hashed))
    count = len(hashed) - width + 1
    combined = hashed[:count].copy()
    prime = np.uint64(0x100000001B3)
    for j in range(1, width):
        combined = combined * prime + hashed[j : j + count]
    folded = (combined ^ (combined >> np.uint64(32))) & np.uint64(0xFFFFFFFF)
    return np.unique(folded.astype(np.uint32))


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
    words = tokens(text)
    shingles = shingle_hashes(words, shingle_size)
    return Fingerprint(len(words), shingles, signature(shingles, num_perm, seed))


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
