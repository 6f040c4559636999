from __future__ import annotations

import random
import subprocess
import sys

import numpy as np
from datasketch import MinHash

from dedup.fingerprint import (
    containment,
    distinct,
    fingerprint,
    fingerprints,
    jaccard,
    overlap,
    shingle_hashes,
    signature,
    tokens,
)
from dedup.groups import cluster, components, verify
from dedup.index import (
    as_edges,
    band_keys,
    bands_for,
    bucket_edges,
    candidates,
    crowded,
    misfit_edges,
    misfit_pairs,
)
from tests.text import ENGLISH, GERMAN, versions


def test_signature_is_datasketch_affine32_bit_for_bit() -> None:
    shingles = shingle_hashes(tokens(GERMAN), 5)
    for num_perm, seed in ((128, 1), (64, 42)):
        expected = MinHash(num_perm=num_perm, seed=seed, hashfunc=lambda x: x)
        expected.update_batch([int(x) for x in shingles])
        assert np.array_equal(signature(shingles, num_perm, seed), expected.hashvalues)


def test_a_batch_is_fingerprinted_as_each_text_alone_and_as_datasketch_would() -> None:
    rng = np.random.default_rng(5)
    vocabulary = [f"Wort{n}" for n in range(3000)]
    sizes = (3000, 10, 0, 9000, 4, 2500, 2500, 1)  # sets below, above and across the 4,096 rows signed at a time
    texts = [" ".join(vocabulary[i] for i in rng.integers(0, len(vocabulary), n)) + "." for n in sizes]
    for text, found in zip(texts, fingerprints(texts, 5, 128, 1), strict=True):
        alone = shingle_hashes(tokens(text), 5)
        assert found.tokens == len(tokens(text))
        assert np.array_equal(found.shingles, alone)
        expected = MinHash(num_perm=128, seed=1, hashfunc=lambda x: x)
        expected.update_batch([int(x) for x in alone])
        assert np.array_equal(found.signature, expected.hashvalues)


def test_a_text_longer_than_a_stretch_of_word_hashes_has_the_shingles_of_its_tokens() -> None:
    rng = np.random.default_rng(6)
    text = " ".join(f"w{n}" for n in rng.integers(0, 100_000, 250_000))  # about 1.7 million code points
    (found,) = fingerprints([text], 5, 8, 1)
    assert np.array_equal(found.shingles, shingle_hashes(tokens(text), 5))


def test_tokens_fold_case_and_drop_punctuation() -> None:
    # ...and make skeletons (the test below): "y" and "m" are "u", thin letters ("t", "f") are dropped.
    assert tokens("„Darmstadt“, sagte Prof. Dr. X-Y.") == ["darusad", "sage", "pro", "dr", "x", "u"]


def test_tokens_fold_the_letters_ocr_reads_one_for_another_and_no_others() -> None:
    # A scanned copy's misreadings broke its shingles: an OCR copy fell below the threshold of its original.
    assert tokens("Die Distributionen, sagte Testing 2009") == tokens("Dic Distrihutionen. sagle Tesling 2OO9")
    assert tokens("Linux einem Programm") == tokens("Limux einen Progranm")  # (the differ keeps "n" and "m" apart)
    # Thin letters lost or gained, and a letter read twice or a pair read as a run: tesseract's, from
    # bench/data/diff_corpus_ocr. An OCR copy still fell below its original's threshold for them.
    assert tokens("Kommission Betriebssystems zusammen") == tokens("Konnnission Betriebssvsteins zusaamnen")
    assert tokens("Veröffentlichungshinweise, it is") == tokens("Veröffentlichimigshinweise. lt ls")
    assert tokens("it is") == ["", "s"]  # a word of thin letters only still stands in its shingles
    for a, b in (("1993", "1998"), ("100", "400"), ("Darmstadt", "Darmstadts"), ("Bund", "Band"),
                 ("Stadt", "Staat"), ("Rat", "Rad")):
        assert tokens(a) != tokens(b), (a, b)


def test_short_documents_have_one_shingle_and_empty_ones_none() -> None:
    assert len(shingle_hashes(["a", "b"], 5)) == 1
    assert len(shingle_hashes([], 5)) == 0


def test_exact_jaccard_and_containment() -> None:
    a = np.array([1, 2, 3, 4], dtype=np.uint32)
    b = np.array([3, 4, 5], dtype=np.uint32)
    assert jaccard(a, b) == 2 / 5
    assert containment(a, b) == 2 / 3
    assert containment(a, np.empty(0, dtype=np.uint32)) == 0.0


def prints(*texts: str) -> list:  # type: ignore[type-arg]
    return [fingerprint(t, 5, 128, 1) for t in texts]


def keys_of(fps: list) -> np.ndarray:  # type: ignore[type-arg]
    return band_keys(np.array([f.signature for f in fps]), bands_for(0.5, 128))


def test_near_duplicates_are_candidates_and_unrelated_texts_are_not() -> None:
    edited = GERMAN.replace("Montag", "Dienstag").replace("18 Kilometer", "20 Kilometer")
    fps = prints(GERMAN, ENGLISH, edited, ENGLISH.replace("Monday", "Friday"))
    assert candidates(keys_of(fps)).pairs.tolist() == [[0, 2], [1, 3]]


def test_candidate_ids_are_the_given_ones() -> None:
    fps = prints(GERMAN, GERMAN)
    assert candidates(keys_of(fps), np.array([7, 3])).pairs.tolist() == [[3, 7]]


def test_a_bucket_of_k_documents_gives_k_minus_1_edges_to_its_smallest_id() -> None:
    keys = np.array([5, 9, 5, 5, 9, 1], dtype=np.uint64)
    ids = np.array([10, 11, 12, 13, 14, 15], dtype=np.int64)
    assert sorted(map(tuple, bucket_edges(keys, ids).tolist())) == [(10, 12), (10, 13), (11, 14)]


def test_a_document_under_a_key_twice_links_to_nothing_more() -> None:
    # An index's runs may hold one (key, document) entry twice: no edge of a document to itself, none twice.
    keys = np.array([5, 9, 5, 5, 9, 5], dtype=np.uint64)
    ids = np.array([4, 6, 4, 8, 6, 8])
    assert bucket_edges(keys, ids).tolist() == [[4, 8]]
    assert candidates(keys[:, None], ids).pairs.tolist() == [[4, 8]]


def test_a_member_that_fails_its_centre_is_paired_with_the_other_members_of_its_bucket() -> None:
    star = bucket_edges(np.array([5, 5, 5, 5, 9, 9, 7], dtype=np.uint64), np.array([1, 2, 3, 4, 5, 6, 8]))
    assert star.tolist() == [[1, 2], [1, 3], [1, 4], [5, 6]]
    assert crowded(star).tolist() == [[1, 2], [1, 3], [1, 4]]  # a bucket of two has no other member to try
    fits = as_edges([(1, 2), (1, 4), (5, 6)])
    assert misfit_edges([star], fits).tolist() == [[2, 3], [3, 4]]
    assert misfit_edges([star], as_edges([(1, 2), (5, 6)])).tolist() == [[2, 3], [2, 4], [3, 4]]
    assert misfit_edges([star], as_edges([(1, 2), (1, 3), (1, 4), (5, 6)])).tolist() == []
    assert misfit_edges([star], fits, limit=1).tolist() == []  # a bucket past the limit keeps its star alone
    assert misfit_edges([star], fits, limit=2).tolist() == [[2, 3], [3, 4]]


def test_misfit_pairs_leave_out_the_pairs_of_any_star() -> None:
    keys = np.array([[5, 1], [5, 1], [5, 2], [6, 2]], dtype=np.uint64)  # band 1 links 2 and 3 directly
    found = candidates(keys)
    assert found.pairs.tolist() == [[0, 1], [0, 2], [2, 3]]
    assert misfit_pairs(found, as_edges([(0, 1)])).tolist() == [[1, 2]]
    assert misfit_pairs(found, as_edges([(0, 2)])).tolist() == [[1, 2]]
    assert misfit_pairs(found, as_edges([(0, 1), (0, 2)])).tolist() == []


def groups_by_ids(keys: np.ndarray, shingles: list, order: list[int],  # type: ignore[type-arg]
                  misfits: bool = True) -> set[frozenset[int]]:
    """Return the groups a scan finds (stars, then misfits) with document n numbered order[n]."""
    ids = np.array(order, dtype=np.int64)
    number = {i: n for n, i in enumerate(order)}
    found = candidates(keys, ids)
    verified = verify(map(tuple, found.pairs.tolist()), lambda i: shingles[number[i]], 0.5, 0.8)
    more = misfit_pairs(found, as_edges((p.a, p.b) for p in verified)) if misfits else found.pairs[:0]
    verified += verify(map(tuple, more.tolist()), lambda i: shingles[number[i]], 0.5, 0.8)
    return {frozenset(number[i] for i in c) for c in components((p.a, p.b) for p in verified)}


def test_groups_are_those_of_every_pair_in_every_bucket_whatever_the_order_of_ids() -> None:
    # Families of versions, each edited from an earlier one: a version can share a band with the bucket's
    # centre by chance, fail with it and still be a near-duplicate of another member. The ids give the centres.
    # Such a family is rare (one seed in a few hundred, which ones depends on the shingle hashes): seeds are
    # tried past the first 300 until one gives it.
    bands = bands_for(0.5, 128)
    families = stars_differ = seed = 0
    while seed < 300 or (not stars_differ and seed < 3000):
        rng = random.Random(seed)
        fps = fingerprints(versions(seed), 5, 128, 1)
        shingles = [f.shingles for f in fps]
        keys = band_keys(np.array([f.signature for f in fps]), bands)
        every = set()
        for band in range(bands.bands):
            for key in set(keys[:, band].tolist()):
                bucket = np.flatnonzero(keys[:, band] == key).tolist()
                every |= {(a, b) for a in bucket for b in bucket if a < b}
        expected = {frozenset(c) for c in components((p.a, p.b) for p in verify(sorted(every), shingles.__getitem__,
                                                                                 0.5, 0.8))}
        families += len(expected) > 0
        orders = [[0, 1, 2, 3, 4], [4, 3, 2, 1, 0], rng.sample(range(5), 5), rng.sample(range(10, 90), 5)]
        for order in orders:
            assert groups_by_ids(keys, shingles, order) == expected, (seed, order)
        stars_differ += any(groups_by_ids(keys, shingles, order, misfits=False) != expected for order in orders)
        seed += 1
    assert families > 200
    assert stars_differ > 0  # the stars alone miss a pair in some families: the case is tested


def test_bands_bucketed_on_threads_give_the_edges_of_one_thread() -> None:
    rng = np.random.default_rng(7)
    keys = rng.integers(0, 40, size=(3000, 12)).astype(np.uint64)  # many buckets, some of hundreds of documents
    ids = rng.permutation(10_000)[:3000].astype(np.int64)
    alone = candidates(keys, ids, threads=1).pairs
    assert len(alone) > 3000
    assert candidates(keys, ids, threads=3).pairs.tolist() == alone.tolist()


def test_distinct_is_numpy_unique_without_importing_numpy_ma() -> None:
    values = np.random.default_rng(1).integers(0, 50, 400).astype(np.uint64)
    assert distinct(values).tolist() == sorted(set(values.tolist()))
    assert distinct(values[:1]).tolist() == values[:1].tolist() and distinct(values[:0]).tolist() == []
    script = ("import sys, numpy as np; from dedup import index; "
              "index.candidates(np.array([[1], [1], [2]], dtype=np.uint64)); print('numpy.ma' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True).stdout == "False\n"


def test_verification_rejects_pairs_below_both_thresholds() -> None:
    fps = prints(GERMAN, ENGLISH, GERMAN.split("\n\n")[0])
    verified = verify([(0, 1), (0, 2)], lambda n: fps[n].shingles, threshold=0.5, min_containment=0.8)
    assert [(p.a, p.b) for p in verified] == [(0, 2)]
    assert verified[0].containment == 1.0 and verified[0].similarity < 0.5


def test_clusters_are_connected_components_with_the_longest_member_as_reference() -> None:
    fps = prints("a b c d e f", "a b c d e f g h", "p q r s t u", "a b c d e f g", "p q r s t u v")
    pairs = verify([(0, 3), (3, 1), (2, 4)], lambda n: fps[n].shingles, threshold=0.5, min_containment=0.8)
    found = cluster(pairs, [f.tokens for f in fps], lambda n: fps[n].shingles)
    assert [(c.reference, c.members) for c in found] == [(1, (1, 0, 3)), (4, (4, 2))]
    for c in found:  # measured against the reference, whether a verified pair holds them or not
        measures = [overlap(fps[c.reference].shingles, fps[n].shingles) for n in c.members]
        assert list(zip(c.similarity, c.containment, strict=True)) == measures
    assert found[0].similarity[0] == 1.0 and found[0].similarity[1] < 1.0


def test_bands_find_a_pair_at_the_threshold_99_percent_of_the_time() -> None:
    from dedup.index import candidate_probability

    for threshold in (0.3, 0.5, 0.8, 0.95):
        bands = bands_for(threshold, 128)
        assert bands.bands * bands.rows <= 128
        assert candidate_probability(threshold, bands.bands, bands.rows) >= 0.99
        assert candidate_probability(0.1, bands.bands, bands.rows) < 0.5
