"""The fast path (numpy signatures and bands, processes, spilled shingles) finds the same groups
as the straightforward one: datasketch MinHash and MinHashLSH by the book, then exact verification."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from datasketch import MinHash, MinHashLSH

from dedup import sources
from dedup.fingerprint import jaccard, shingle_hashes, tokens
from dedup.groups import components
from dedup.index import bands_for
from dedup.options import ScanOptions
from dedup.scan import scan


def corpus(folder: Path, n: int = 350, seed: int = 7) -> None:
    rng = random.Random(seed)
    vocabulary = [f"w{k}" for k in range(5000)]
    for k in range(n):
        words = [rng.choice(vocabulary) for _ in range(rng.randint(80, 200))]
        (folder / f"doc{k:04d}.txt").write_text(" ".join(words))
        if k % 7 == 0:  # a near-duplicate: a few words replaced
            copy = list(words)
            for _ in range(rng.randint(1, 3)):
                copy[rng.randrange(len(copy))] = rng.choice(vocabulary)
            (folder / f"doc{k:04d}-copy.txt").write_text(" ".join(copy))


def by_the_book(folder: Path, options: ScanOptions) -> set[frozenset[str]]:
    paths = sorted(str(p) for p in folder.iterdir())
    sets = [shingle_hashes(tokens(Path(p).read_text()), options.shingle_size) for p in paths]
    bands = bands_for(options.threshold, options.num_perm)
    lsh = MinHashLSH(num_perm=options.num_perm, params=(bands.bands, bands.rows))
    sketches = []
    for n, shingles in enumerate(sets):
        sketch = MinHash(num_perm=options.num_perm, seed=options.seed, hashfunc=lambda x: x)
        sketch.update_batch([int(x) for x in shingles])
        sketches.append(sketch)
        lsh.insert(n, sketch)
    pairs = set()
    for n, sketch in enumerate(sketches):
        for m in lsh.query(sketch):
            a, b = sorted((n, m))
            if a != b and jaccard(sets[a], sets[b]) >= options.threshold:
                pairs.add((a, b))
    return {frozenset(paths[n] for n in nodes) for nodes in components(sorted(pairs))}


@pytest.mark.parametrize("jobs", [1, 2])
def test_fast_path_finds_the_groups_datasketch_finds(tmp_path: Path, jobs: int) -> None:
    corpus(tmp_path)
    options = ScanOptions(jobs=jobs, containment=1.0)  # containment off: the book has none
    result = scan([str(tmp_path)], options)
    found = {frozenset(m.path for m in g.members) for g in result.groups}
    assert found == by_the_book(tmp_path, options)
    assert len(found) == 50


def test_a_signed_document_reaches_the_scan_from_a_worker_intact(tmp_path: Path) -> None:
    import pickle

    from dedup.scan import sign_batch
    from dedup.sources import Candidate

    corpus(tmp_path, n=3)
    batch = sign_batch([Candidate(str(p), "text") for p in sorted(tmp_path.iterdir())], ScanOptions())
    for sent, got in zip(batch, pickle.loads(pickle.dumps(batch)), strict=True):
        assert (got.path, got.encoding, got.kind, got.words) == (sent.path, sent.encoding, sent.kind, sent.words)
        for name in ("keys", "shingles", "signature"):
            a, b = getattr(sent, name), getattr(got, name)
            assert a.dtype == b.dtype and a.tolist() == b.tolist()


def test_a_packed_batch_holds_each_signed_documents_record_keys_and_shingles_in_place(tmp_path: Path) -> None:
    import pickle

    import numpy as np

    from dedup.scan import sign_batch, sign_packed
    from dedup.sources import Candidate

    corpus(tmp_path, n=3)
    (tmp_path / "doc0000-binary.txt").write_bytes(b"\x00\x01\x02 binary")  # skipped
    (tmp_path / "doc0001-dashes.txt").write_text("--- *** ---\n")  # no words: no keys, no shingles
    batch = [Candidate(str(p), "text") for p in sorted(tmp_path.iterdir())]
    signed = [s for s in sign_batch(batch, ScanOptions()) if not isinstance(s, sources.Skipped)]
    packed = pickle.loads(pickle.dumps(sign_packed(batch, ScanOptions())))
    assert [s.path for s in packed.skipped] == [str(tmp_path / "doc0000-binary.txt")]
    assert packed.documents == [(s.path, s.encoding, s.kind, s.words) for s in signed]
    assert packed.keyed == [n for n, s in enumerate(signed) if s.words] and len(packed.keyed) == len(signed) - 1
    keys = np.frombuffer(packed.keys, np.uint64).reshape(len(packed.keyed), -1)
    assert keys.tolist() == [signed[n].keys.tolist() for n in packed.keyed]
    shingles = np.frombuffer(packed.shingles, np.uint32)
    ends = np.cumsum(packed.sizes).tolist()
    assert [shingles[end - size : end].tolist() for size, end in zip(packed.sizes, ends, strict=True)] == [
        s.shingles.tolist() for s in signed]


def test_the_workers_collect_garbage_while_the_scanning_process_does_not() -> None:
    import gc

    from dedup.collecting import paused
    from dedup.scan import _executor

    with paused(), _executor(2, 10_000) as pool:  # the scan pauses the collector before it starts its workers
        assert pool is not None
        assert not gc.isenabled()
        assert all(f.result() for f in [pool.submit(gc.isenabled) for _ in range(4)])  # a worker forked from it too
