"""The Dask engine gives the local engine's report: pure per-partition functions under the
synchronous scheduler, then whole scans on a real LocalCluster of two worker processes."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("distributed")
pytest.importorskip("pyarrow")

import dask
import dask.dataframe as dd
import pandas as pd
from distributed import LocalCluster

from dedup import groups, index, sources
from dedup.engines import EngineError, frames, urls
from dedup.engines import dask as engine
from dedup.errors import OptionsError
from dedup.options import ScanOptions
from dedup.report import scan_report
from dedup.scan import _NoProgress, scan, sign_batch
from tests.conftest import SAMPLES, write
from tests.text import versions


def corpus(folder: Path, n: int, seed: int = 3) -> int:
    """Write n documents of 40-60 words, one in 80 with 1-3 near-copies; return the copies."""
    rng = random.Random(seed)
    vocabulary = [f"w{k}" for k in range(5000)]
    copies = k = 0
    while k < n:
        words = rng.choices(vocabulary, k=rng.randint(40, 60))
        versions = [words]
        if k % 80 == 79:
            for _ in range(rng.randint(1, 3)):
                copy = list(words)
                copy[rng.randrange(len(copy))] = rng.choice(vocabulary)  # one word changed
                if rng.random() < 0.5:
                    copy.insert(0, "Pressemitteilung")  # a header line
                versions.append(copy)
        for version in versions[: n - k]:
            if k % 1000 == 0:
                (folder / f"{k // 1000:03d}").mkdir()
            copies += version is not words
            suffix = ".txt" if version is words else ".md"
            with open(folder / f"{k // 1000:03d}" / f"d{k:06d}{suffix}", "w") as out:
                out.write(" ".join(version))
            k += 1
    return copies


def same_report(a: Any, b: Any) -> None:
    """Assert two scan reports agree on everything but the engine settings."""
    a, b = scan_report(a), scan_report(b)
    for report in (a, b):
        for key in ("engine", "scheduler", "jobs"):
            report["options"].pop(key, None)
    assert a["stats"] == b["stats"]
    assert a["groups"] == b["groups"]
    assert a == b


# -- pure functions, synchronous scheduler ----------------------------------------


def test_bucketing_shuffled_rows_finds_the_local_edges() -> None:
    rng = np.random.default_rng(5)
    keys = rng.integers(0, 40, size=(300, 6)).astype(np.uint64)  # few keys: many buckets of several
    ids = np.arange(300, dtype=np.int64) * 3  # ids need not be dense
    expected = index.candidates(keys, ids).pairs
    rows = pd.DataFrame(
        {
            "key": keys.ravel(),
            "band": np.tile(np.arange(6, dtype=np.int16), 300),
            "id": np.repeat(ids, 6),
        }
    )
    parts = [
        rows[rows["key"] % 3 == k].sample(frac=1, random_state=k) for k in range(3)
    ]  # shuffled on key
    found = pd.concat([frames.bucket_partition(p) for p in parts])
    got = index.unique_edges(found[["a", "b"]].to_numpy())
    assert np.array_equal(got, expected)
    assert len(expected) > 200


def test_misfits_of_shuffled_crowded_buckets_are_the_local_misfit_pairs() -> None:
    rng = np.random.default_rng(6)
    keys = rng.integers(0, 40, size=(300, 6)).astype(np.uint64)
    ids = np.arange(300, dtype=np.int64) * 3
    found = index.candidates(keys, ids)
    verified = found.pairs[rng.random(len(found.pairs)) < 0.7]  # the others failed: their members are misfits
    expected = index.misfit_pairs(found, verified)
    rows = pd.DataFrame({"key": keys.ravel(), "band": np.tile(np.arange(6, dtype=np.int16), 300),
                         "id": np.repeat(ids, 6)})
    parts = [rows[rows["key"] % 3 == k].sample(frac=1, random_state=k) for k in range(3)]
    more = pd.concat([frames.misfit_partition(frames.crowded_partition(p), verified) for p in parts])
    tried = pd.DataFrame({"b": found.pairs[:, 1]}, index=pd.Index(found.pairs[:, 0], name="a"))
    got = frames.distinct_edges(more.set_index("a"), tried)
    assert np.array_equal(np.stack([got.index.to_numpy(), got["b"].to_numpy()], axis=1), expected)
    assert len(expected) > 100


def test_band_rows_leave_out_skipped_and_wordless_documents() -> None:
    bands = index.bands_for(0.5, 128)
    signed = sign_batch(
        [sources.Candidate(str(p), "text") for p in sorted(SAMPLES.rglob("*.txt"))[:3]],
        ScanOptions(),
    )
    signed = [*signed, sources.Skipped("x.txt", "binary", "binary")]
    frame = frames.signed_frame(np.array([10, 11, 12, 13], dtype=np.int64), signed, bands)
    rows = frames.band_rows(frame, bands)
    assert len(rows) == 3 * bands.bands
    assert set(rows["id"]) == {10, 11, 12}
    assert frame.loc[13, "reason"] == "binary"


def test_shipped_shingles_verify_as_groups_verify_does() -> None:
    rng = np.random.default_rng(9)
    sets = [np.unique(rng.integers(0, 60, 40).astype(np.uint32)) for _ in range(12)]
    signed = pd.DataFrame(
        {frames.SHINGLES: frames._shingle_column(sets)}, index=pd.Index(range(12), name="id")
    )
    divisions = [0, 6, 11]
    edges = [(0, 7), (0, 8), (1, 2), (3, 11), (5, 6), (0, 9)]
    by_a = pd.DataFrame(
        {"b": [b for _, b in edges]}, index=pd.Index([a for a, _ in edges], name="a")
    )
    shipped = frames.shipped_shingles(by_a, signed, divisions)
    assert len(shipped) == sum(
        len(sets[a]) for a in (0, 1, 3, 5)
    )  # 0 goes to partition 1 once for 3 partners
    to_b = frames.to_b(by_a)
    found = []
    for part, (low, high) in enumerate([(0, 6), (6, 12)]):
        here = to_b[(to_b["b"] >= low) & (to_b["b"] < high)].set_index("b")
        arrived = shipped[shipped["anchor"] == divisions[part]]
        found.append(frames.verify_partition(here, arrived, signed.loc[low : high - 1], 0.3, 0.9))
    got = {(r.a, r.b, r.similarity, r.containment) for r in pd.concat(found).itertuples()}
    expected = {
        (p.a, p.b, p.similarity, p.containment)
        for p in groups.verify(edges, sets.__getitem__, 0.3, 0.9)
    }
    assert got == expected
    assert 0 < len(expected) < len(edges)


def test_partition_of_is_where_set_index_on_the_divisions_sends_an_id() -> None:
    frame = pd.DataFrame({"x": range(100)}, index=pd.Index(range(100), name="id"))
    parted = dd.from_pandas(frame, npartitions=7, sort=True)
    ids = np.random.default_rng(1).integers(0, 100, 500)
    routed = dd.from_pandas(pd.DataFrame({"a": ids, "n": range(500)}), npartitions=3)
    routed = routed.set_index("a", divisions=parted.divisions)
    with dask.config.set(scheduler="synchronous"):
        for k, part in enumerate(routed.partitions):
            here = part.compute()
            assert (frames.partition_of(here.index.to_numpy(), parted.divisions) == k).all()
            assert set(here.index) <= set(parted.partitions[k].compute().index)
            assert len(here) > 0


def families(folder: Path) -> Path:
    """Write families of versions (tests.text.versions), whose buckets have misfits; return the folder."""
    for family in range(300):
        for k, text in enumerate(versions(family)):
            write(folder, f"{family:03d}v{k}.txt", text)
    return folder


@pytest.mark.parametrize("where", ["samples", "families"])
def test_the_dask_graph_gives_the_local_report_under_the_synchronous_scheduler(where: str, tmp_path: Path) -> None:
    folder = SAMPLES if where == "samples" else families(tmp_path)
    options = ScanOptions(jobs=1)
    found = list(sources.discover([str(folder)], options))
    candidates = [f for f in found if isinstance(f, sources.Candidate)]
    with dask.config.set(scheduler="synchronous"):
        result = engine.run(
            candidates,
            [f for f in found if isinstance(f, sources.Skipped)],
            ScanOptions(engine="dask"),
            _NoProgress(),
        )
    same_report(result, scan([str(folder)], options))
    assert len(result.groups) == 4 if where == "samples" else len(result.groups) > 200


def test_a_file_url_gives_the_local_groups_with_url_paths(tmp_path: Path) -> None:
    write(tmp_path, "a.txt", "the quick brown fox jumps over the lazy dog " * 20)
    write(tmp_path, "sub/b.md", "the quick brown fox jumps over the lazy dog " * 19 + "and more")
    write(tmp_path, ".hidden/c.txt", "never read")
    write(tmp_path, "d.png", "not text")
    write(tmp_path, "e.txt", "")
    options = ScanOptions(engine="dask")
    url = f"file://{tmp_path}"
    found = list(urls.discover(url, options))
    local = list(sources.discover([str(tmp_path)], options))
    assert [(f.path.replace(url, str(tmp_path)), type(f)) for f in found] == [
        (f.path, type(f)) for f in local
    ]
    candidates = [f for f in found if isinstance(f, sources.Candidate)]
    with dask.config.set(scheduler="synchronous"):
        result = engine.run(
            candidates, [f for f in found if isinstance(f, sources.Skipped)], options, _NoProgress()
        )
    assert [[m.path for m in g.members] for g in result.groups] == [
        [f"{url}/a.txt", f"{url}/sub/b.md"]
    ]
    assert {s.path: s.reason for s in result.skipped} == {
        f"{url}/.hidden": "hidden",
        f"{url}/d.png": "unsupported",
        f"{url}/e.txt": "empty",
    }
    assert result.groups[0].members[1].discrepancies  # the differ read the URL too


def test_an_fsspec_backend_beyond_the_disk_is_listed_read_and_decoded() -> None:
    fsspec = pytest.importorskip("fsspec")
    memory = fsspec.filesystem("memory")  # in this process only: the synchronous scheduler
    text = "the quick brown fox jumps over the lazy dog " * 20
    memory.pipe(
        {
            "/dedup-test/a.txt": text.encode(),
            "/dedup-test/sub/b.txt": (text + "and more").encode(),
            "/dedup-test/big.txt": b"x" * 5000,
            "/dedup-test/c.txt": "Grüße aus Köln, schöne Straße".encode("cp1252"),
        }
    )
    options = ScanOptions(engine="dask", max_bytes=4000)
    try:
        found = list(urls.discover("memory://dedup-test", options))
        with dask.config.set(scheduler="synchronous"):
            result = engine.run(
                [f for f in found if isinstance(f, sources.Candidate)],
                [f for f in found if isinstance(f, sources.Skipped)],
                options,
                _NoProgress(),
            )
    finally:
        memory.rm("/dedup-test", recursive=True)
    assert [sorted(m.path for m in g.members) for g in result.groups] == [
        ["memory://dedup-test/a.txt", "memory://dedup-test/sub/b.txt"]
    ]
    assert [(u.path, u.encoding) for u in result.unique] == [
        ("memory://dedup-test/c.txt", "cp1252")
    ]
    assert [(s.path, s.reason) for s in result.skipped] == [
        ("memory://dedup-test/big.txt", "too-large")
    ]


def test_options_keep_the_scheduler_to_the_dask_engine() -> None:
    with pytest.raises(OptionsError, match="--scheduler needs --engine dask"):
        ScanOptions(scheduler="tcp://127.0.0.1:8786")
    with pytest.raises(OptionsError, match="--engine"):
        ScanOptions(engine="spark")
    assert "scheduler" not in ScanOptions(engine="dask").to_dict()
    assert ScanOptions(engine="dask", scheduler="tcp://h:1").to_dict()["scheduler"] == "tcp://h:1"


def test_an_unreachable_scheduler_is_one_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "CONNECT_TIMEOUT", "1s")
    options = ScanOptions(engine="dask", scheduler="tcp://127.0.0.1:9")
    with pytest.raises(
        EngineError, match=r"cannot reach the Dask scheduler at tcp://127\.0\.0\.1:9"
    ):
        scan([str(SAMPLES)], options)


# -- a real LocalCluster: two worker processes ------------------------------------


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    with (
        engine._quiet_scheduler(),
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
        ) as cluster,
    ):
        yield cluster.scheduler_address


def test_samples_on_the_cluster_through_the_cli(
    scheduler: str, run: Callable[..., Any], validate: Callable[[Any], None]
) -> None:
    result = run(
        "scan", str(SAMPLES), "--engine", "dask", "--scheduler", scheduler, "--format", "json", "-q"
    )
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    report = json.loads(result.stdout)
    validate(report)
    assert report["options"]["engine"] == "dask"
    assert report["options"]["scheduler"] == scheduler
    local = json.loads(run("scan", str(SAMPLES), "--format", "json", "-q").stdout)
    for r in (report, local):
        r.pop("options")
    assert report == local


def test_20000_documents_on_the_cluster_give_the_local_report(
    scheduler: str, tmp_path: Path
) -> None:
    copies = corpus(tmp_path, 20_000)
    write(tmp_path, "000/empty.txt", "")
    (tmp_path / "000" / "binary.txt").write_bytes(bytes(range(256)) * 4)
    local = scan([str(tmp_path)], ScanOptions(jobs=2))
    on_dask = scan([str(tmp_path)], ScanOptions(engine="dask", scheduler=scheduler))
    same_report(on_dask, local)
    assert len(local.unique) + sum(len(g.members) for g in local.groups) == 20_000
    assert sum(len(g.members) - 1 for g in local.groups) == copies
    assert {s.reason for s in on_dask.skipped} == {"empty", "binary"}


class _ServerError(Exception):
    """What a filesystem library raises of its own, not an OSError (aiohttp's ClientResponseError, say)."""


def test_a_url_whose_library_raises_its_own_error_is_unreadable_not_a_bug() -> None:
    import fsspec
    from fsspec.implementations.memory import MemoryFileSystem

    class Failing(MemoryFileSystem):  # fsspec's own in-memory filesystem, answering 503 to every request
        protocol = "dedup-failing"

        def size(self, path: str) -> int:
            raise _ServerError("503, message='Service Unavailable'")

    fsspec.register_implementation("dedup-failing", Failing, clobber=True)
    found = urls.read(sources.Candidate("dedup-failing://dedup-test/a.txt", "text"), ScanOptions(engine="dask"))
    assert found == sources.Skipped("dedup-failing://dedup-test/a.txt", "unreadable",
                                    "_ServerError: 503, message='Service Unavailable'")
