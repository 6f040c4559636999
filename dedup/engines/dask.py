"""The Dask engine: the same scan on a Dask cluster (dask.dataframe with distributed).

The driver lists the files and cuts the list into partitions of ids and
paths. Then, on the workers:

1. sign: each partition's files are read, normalized and signed where the
   partition lands (`frames.sign_partition`); the text is dropped there. The
   signed frame (facts, shingle hashes, band keys, indexed by id) is
   persisted and never moves again.
2. band shuffle: one (key, band, id) row per document and band, shuffled on
   the key (columnar, P2P), so each band bucket is whole in one partition;
   `index.bucket_edges` links it there. Candidate edges (a, b) move to the
   partition that holds a, where repeats are dropped.
3. verify: a's shingle hashes go, one row per hash and once per receiving
   partition, to the partitions that hold a's partners, and `groups.verify`
   checks each edge where b's shingles already are.
4. misfits: the verified pairs go to the partitions of step 2, whose buckets
   of three or more were kept, and `index.misfit_edges` gives the pairs to
   verify beyond the stars; they are verified as in step 3.

The driver collects the verified pairs (edges exist only between
near-duplicates), builds the groups as connected components, has the few
(reference, member) measures it lacks computed the same way, and runs the
differ for the groups it reports. Only ids, integers and per-file facts
(words, encoding, skip reason) travel; text never does.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from dedup import __version__, groups, index, sources
from dedup.engines import EngineError, frames, urls
from dedup.options import ScanOptions
from dedup.scan import Progress, ScanResult, Unique, compare_group, result_of, workers

if TYPE_CHECKING:
    import dask.dataframe as dd
    from distributed import Client

log = logging.getLogger(__name__)

PARTITION_DOCS = 20_000  # at most this many documents a partition
PARTITIONS_PER_WORKER = 2  # at least this many partitions per worker thread, for balance
CONNECT_TIMEOUT = "30s"
WORKERS_TIMEOUT = 60.0  # seconds a cluster may take to have its first worker


def scan(paths: Sequence[str], options: ScanOptions, progress: Progress) -> ScanResult:
    """Scan on the cluster at `options.scheduler`, or on a LocalCluster of `options.jobs` workers.

    Raises:
        SourceError: a path does not exist.
        EngineError: Dask is not installed, or the cluster cannot be reached or lacks dedup.
    """
    found = list(sources.distinct([item for path in paths for item in _discover(path, options)], paths))
    candidates = [f for f in found if isinstance(f, sources.Candidate)]
    skipped = [f for f in found if isinstance(f, sources.Skipped)]
    progress.start(len(candidates))
    if not candidates:
        return result_of(options, [], [], [], skipped, 0, 0)
    with connect(options) as client:
        return run(candidates, skipped, options, progress, client)


def _discover(path: str, options: ScanOptions) -> Iterator[sources.Candidate | sources.Skipped]:
    return urls.discover(path, options) if urls.is_url(path) else sources.discover([path], options)


@contextmanager
def connect(options: ScanOptions) -> Iterator[Client]:
    """Yield a client of the user's cluster, or of a LocalCluster started (and stopped) here.

    Raises:
        EngineError: distributed is missing, the scheduler unreachable, or its workers lack dedup.
    """
    try:
        import dask
        from distributed import Client, LocalCluster
    except ImportError as err:
        raise EngineError(f"--engine dask needs Dask: pip install 'dedup[dask]' ({err})") from err
    if options.scheduler is not None:
        try:
            client = Client(options.scheduler, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError, ValueError) as err:
            raise EngineError(
                f"cannot reach the Dask scheduler at {options.scheduler}: {err}"
            ) from err
        with client:
            _check_workers(client, options)
            yield client
        return
    count = workers(options.jobs)
    # Workers are not daemons, so that extraction can start its own sandbox process;
    # their statistical profiler (for a dashboard we do not start) takes the GIL every 10 ms.
    settings = {"distributed.worker.daemon": False, "distributed.worker.profile.enabled": False}
    with (
        _quiet_scheduler(),
        dask.config.set(settings),
        LocalCluster(
            n_workers=count,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            scheduler_kwargs={
                "dashboard_address": "127.0.0.1:0"
            },  # no dashboard; health routes on a free port
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


@contextmanager
def _quiet_scheduler() -> Iterator[None]:
    """Keep an in-process scheduler's chatter (a line per shuffle) off stderr, unless -vv."""
    chatty = logging.getLogger("distributed")
    before = chatty.level
    if not log.isEnabledFor(logging.DEBUG):
        chatty.setLevel(logging.ERROR)
    try:
        yield
    finally:
        chatty.setLevel(before)


def _check_workers(client: Client, options: ScanOptions) -> None:
    try:
        client.wait_for_workers(1, timeout=WORKERS_TIMEOUT)
        versions = client.run(_worker_version)
    except TimeoutError as err:
        raise EngineError(f"the Dask cluster at {options.scheduler} has no worker") from err
    except ImportError as err:
        raise EngineError(
            f"a Dask worker cannot import dedup ({err}); "
            f"install dedup {__version__} on every worker"
        ) from err
    wrong = sorted(
        f"{worker} has {version}" for worker, version in versions.items() if version != __version__
    )
    if wrong:
        raise EngineError(f"the Dask workers need dedup {__version__}: {'; '.join(wrong)}")


def _worker_version() -> str:
    from dedup import __version__ as version

    return version


Stages = Callable[[str], None]
"""Told each stage's name as it ends: signed, band shuffle, candidates, verified, grouped..."""


def run(
    candidates: Sequence[sources.Candidate],
    skipped: Sequence[sources.Skipped],
    options: ScanOptions,
    progress: Progress,
    client: Client | None = None,
    stages: Stages | None = None,
) -> ScanResult:
    """Scan the candidates on Dask: on `client`'s cluster, or else on the current Dask scheduler."""
    done = stages or (lambda name: None)
    reader = urls.read if any(urls.is_url(c.path) for c in candidates) else sources.read
    bands = index.bands_for(options.threshold, options.num_perm)
    table = pd.DataFrame(
        {"path": [c.path for c in candidates], "kind": [c.kind for c in candidates]},
        index=pd.RangeIndex(len(candidates), name=frames.ID),
    )
    listed = _listed(table, _partitions(len(candidates), client), client)
    meta = frames.signed_frame(np.empty(0, np.int64), [], bands)
    signed = listed.map_partitions(frames.sign_partition, options, reader, meta=meta).persist()
    _follow(signed, client, progress)
    facts = signed[frames.FACTS].compute()
    done("signed")

    rows = signed.map_partitions(frames.band_rows, bands, meta=frames.band_rows(meta, bands))
    shuffled = _settle(rows.shuffle(on="key", npartitions=signed.npartitions).persist(), client)
    done("band shuffle")
    by_a = candidate_edges(shuffled, signed).persist()
    crowded = shuffled.map_partitions(frames.crowded_partition, meta=frames.crowded_partition(rows._meta)).persist()
    by_a, crowded = _settle(by_a, client), _settle(crowded, client)
    del shuffled  # the shuffled rows are released on the workers once bucketed
    candidate_pairs = int(by_a.map_partitions(len, meta=(None, "int64")).compute().sum())
    done("candidates")
    verified = measure(by_a, signed, options.threshold, options.containment).compute()
    more = misfit_edges(crowded, by_a, verified, signed).persist()
    candidate_pairs += int(more.map_partitions(len, meta=(None, "int64")).compute().sum())
    verified = pd.concat([verified, measure(more, signed, options.threshold, options.containment).compute()])
    del by_a, crowded, more
    done("verified")

    ids = facts.index.to_numpy(np.int64)[facts["reason"].to_numpy() == ""]
    documents = [
        Unique(candidates[n].path, e, k, int(w))
        for n, e, k, w in zip(
            ids.tolist(),
            facts["encoding"].to_numpy()[ids],
            facts["kind"].to_numpy()[ids],
            facts["words"].to_numpy()[ids],
            strict=True,
        )
    ]
    clusters = _clusters(verified, ids, [d.words for d in documents], signed)
    log.info(
        "%d documents, %d candidate pairs, %d verified, %d groups",
        len(documents),
        candidate_pairs,
        len(verified),
        len(clusters),
    )
    done("grouped")
    compared = [
        compare_group([documents[n].path for n in c.members], options, reader) for c in clusters
    ]
    done("compared")
    lost = [
        sources.Skipped(candidates[n].path, r, d)
        for n, r, d in zip(facts.index.tolist(), facts["reason"], facts["detail"], strict=True)
        if r
    ]
    return result_of(
        options, documents, clusters, compared, [*skipped, *lost], candidate_pairs, len(verified)
    )


def _listed(table: pd.DataFrame, partitions: int, client: Client | None) -> dd.DataFrame:
    """Cut the list of files into partitions of consecutive ids, scattered to the workers.

    Scattering sends each partition to a worker directly; embedded in the
    task graph, a long list would pass through the scheduler.
    """
    import dask.dataframe as dd

    if client is None:
        return dd.from_pandas(table, npartitions=partitions, sort=True)
    starts = [len(table) * k // partitions for k in range(partitions)]
    parts = [table.iloc[a:b] for a, b in zip(starts, [*starts[1:], len(table)], strict=True)]
    divisions = (*starts, len(table) - 1)
    return dd.from_delayed(client.scatter(parts), meta=table.iloc[:0], divisions=divisions)


def _settle(frame: dd.DataFrame, client: Client | None) -> dd.DataFrame:
    """Wait until a persisted frame is computed on the cluster (a persist returns at once)."""
    if client is not None:
        from distributed import wait

        wait(frame)
    return frame


def candidate_edges(shuffled: dd.DataFrame, signed: dd.DataFrame) -> dd.DataFrame:
    """Return the distinct candidate edges of shuffled band rows, indexed by a, on a's partition."""
    edges = shuffled.map_partitions(
        frames.bucket_partition, meta=frames.edges_frame(np.empty((0, 2), np.int64))
    )
    by_a = edges.set_index("a", divisions=signed.divisions)
    return by_a.map_partitions(frames.distinct_edges, meta=by_a._meta)


def misfit_edges(crowded: dd.DataFrame, by_a: dd.DataFrame, verified: pd.DataFrame,
                 signed: dd.DataFrame) -> dd.DataFrame:
    """Return the pairs to verify beyond the stars (`index.misfit_edges`), indexed by a, less those of `by_a`.

    The verified pairs (edges only between near-duplicates, few) go to every
    partition of crowded buckets as one array in the graph.
    """
    from dask.delayed import delayed

    edges = delayed(verified[["a", "b"]].to_numpy(np.int64), pure=True)
    pairs = crowded.map_partitions(frames.misfit_partition, edges, meta=frames.edges_frame(np.empty((0, 2), np.int64)))
    return dd_map(frames.distinct_edges, pairs.set_index("a", divisions=signed.divisions), by_a, meta=by_a._meta)


def measure(
    by_a: dd.DataFrame, signed: dd.DataFrame, threshold: float, containment: float
) -> dd.DataFrame:
    """Return the edges whose similarity or containment reaches its threshold, with both."""

    divisions = list(signed.divisions)
    shingles = signed[[frames.SHINGLES]]
    by_b = by_a.map_partitions(frames.to_b, meta=frames.to_b(by_a._meta)).set_index(
        "b", divisions=signed.divisions
    )
    shipped = dd_map(frames.shipped_shingles, by_a, shingles, divisions, meta=frames.shipped_meta())
    shipped = shipped.set_index("anchor", divisions=signed.divisions)
    return dd_map(
        frames.verify_partition,
        by_b,
        shipped,
        shingles,
        threshold,
        containment,
        meta=frames.pairs_meta(),
    )


def dd_map(func: Any, *args: Any, meta: pd.DataFrame) -> dd.DataFrame:
    """Apply func partition by partition to frames that share their divisions (no realignment)."""
    import dask.dataframe as dd

    frames_given = [a for a in args if isinstance(a, dd.DataFrame)]
    assert len({f.npartitions for f in frames_given}) == 1, "frames must share their partitions"
    return dd.map_partitions(func, *args, meta=meta, align_dataframes=False, enforce_metadata=False)


def _clusters(
    verified: pd.DataFrame, ids: np.ndarray, words: Sequence[int], signed: dd.DataFrame
) -> list[groups.Cluster]:
    """Return the groups of the verified pairs over documents numbered in discovery order.

    The reference follows `groups.cluster`: most words, ties to the member
    found first. Measures against the reference come from the verified pairs,
    and those not among them are measured on the workers.
    """
    number = {int(i): n for n, i in enumerate(ids.tolist())}
    known = {}
    for a, b, sim, cont in verified.itertuples(index=False):
        known[(number[a], number[b])] = (float(sim), float(cont))
    found = []
    for nodes in groups.components(known):
        reference = max(nodes, key=lambda n: (words[n], -n))
        found.append((reference, [reference] + [n for n in nodes if n != reference]))
    lacking = [
        (r, n) for r, members in found for n in members[1:] if (min(r, n), max(r, n)) not in known
    ]
    if lacking:
        known.update(_measure_pairs(lacking, ids, signed))
    clusters = []
    for reference, members in found:
        measures = [(1.0, 1.0)] + [
            known[(min(reference, n), max(reference, n))] for n in members[1:]
        ]
        clusters.append(
            groups.Cluster(
                reference,
                tuple(members),
                tuple(m[0] for m in measures),
                tuple(m[1] for m in measures),
            )
        )
    return clusters


def _measure_pairs(
    pairs: Sequence[tuple[int, int]], ids: np.ndarray, signed: dd.DataFrame
) -> dict[tuple[int, int], tuple[float, float]]:
    """Measure document pairs on the workers (both thresholds 0: every pair comes back)."""
    import dask.dataframe as dd

    edges = pd.DataFrame({"a": ids[[a for a, _ in pairs]], "b": ids[[b for _, b in pairs]]})
    by_a = dd.from_pandas(edges, npartitions=1).set_index("a", divisions=signed.divisions)
    number = {int(i): n for n, i in enumerate(ids.tolist())}
    measured = {}
    for a, b, sim, cont in measure(by_a, signed, 0.0, 0.0).compute().itertuples(index=False):
        x, y = number[a], number[b]
        measured[(min(x, y), max(x, y))] = (float(sim), float(cont))
    return measured


def _partitions(documents: int, client: Client | None) -> int:
    """Return how many partitions: at most PARTITION_DOCS documents, a few per worker thread."""
    threads = sum(client.nthreads().values()) if client is not None else os.cpu_count() or 1
    return max(
        1,
        min(documents, max(math.ceil(documents / PARTITION_DOCS), PARTITIONS_PER_WORKER * threads)),
    )


def _follow(signed: dd.DataFrame, client: Client | None, progress: Progress) -> None:
    """Report each signed partition as it completes; wait for all of them."""
    divisions = signed.divisions
    sizes = [divisions[k + 1] - divisions[k] for k in range(len(divisions) - 1)]
    sizes[-1] += 1  # the last division is inclusive
    if client is None:
        progress.advance(sum(sizes))
        return
    from distributed import as_completed, futures_of

    futures = futures_of(signed)
    position = {f.key: k for k, f in enumerate(sorted(futures, key=lambda f: f.key[1]))}
    for future in as_completed(futures):
        future.result()  # raises a worker's error here
        progress.advance(sizes[position[future.key]])
