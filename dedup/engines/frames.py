"""What the Dask engine does to one partition: pandas frames in, pandas frames out, no Dask here.

Each function wraps one of the pure functions the local engine runs
(`scan.sign_batch`, `index.bucket_edges`, `index.unique_edges`,
`groups.verify`), so that the two engines differ only in how partitions are
mapped, shuffled and collected. Only integer columns are ever shuffled: band
keys with document ids, candidate edges, and the shingle hashes of candidate
documents (one row per hash). Text stays on the worker that read it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

from dedup import groups, index, sources
from dedup.fingerprint import U32
from dedup.options import ScanOptions
from dedup.scan import Reader, Signed, sign_batch

ID = "id"
SHINGLES = "shingles"
FACTS = [
    "words",
    "encoding",
    "kind",
    "reason",
    "detail",
]  # what the driver collects of each document
_I64 = np.dtype(np.int64)
_U64 = np.dtype(np.uint64)
_SHINGLE_TYPE = pa.list_(pa.uint32())


def key_columns(bands: index.Bands) -> list[str]:
    """Return the names of the band-key columns of a signed frame."""
    return [f"k{n}" for n in range(bands.bands)]


# -- signing: candidates (id, path, kind) -> one row per file ----------------------


def sign_partition(
    candidates: pd.DataFrame, options: ScanOptions, reader: Reader = sources.read
) -> pd.DataFrame:
    """Read, normalize and sign the files of one partition; the text is dropped here.

    A skipped file keeps its row, with its reason, so that every id stays on
    the partition it was given to.
    """
    bands = index.bands_for(options.threshold, options.num_perm)
    batch = [
        sources.Candidate(p, k) for p, k in zip(candidates["path"], candidates["kind"], strict=True)
    ]
    return signed_frame(candidates.index.to_numpy(_I64), sign_batch(batch, options, reader), bands)


def signed_frame(
    ids: npt.NDArray[np.int64], signed: Sequence[Signed | sources.Skipped], bands: index.Bands
) -> pd.DataFrame:
    """Return the signed frame of documents `ids`: their facts, shingles and band keys."""
    words, encoding, kind, reason, detail = [], [], [], [], []
    keys = np.zeros((len(signed), bands.bands), dtype=np.uint64)
    sets: list[U32] = []
    for n, item in enumerate(signed):
        if isinstance(item, sources.Skipped):
            words.append(0)
            encoding.append("")
            kind.append("")
            reason.append(item.reason)
            detail.append(item.detail)
            sets.append(np.empty(0, dtype=np.uint32))
            continue
        words.append(item.words)
        encoding.append(item.encoding)
        kind.append(item.kind)
        reason.append("")
        detail.append("")
        keys[n] = item.keys
        sets.append(item.shingles)
    columns: dict[str, Any] = {
        "words": np.array(words, dtype=np.int64),
        "encoding": encoding,
        "kind": kind,
        "reason": reason,
        "detail": detail,
        SHINGLES: _shingle_column(sets),
    }
    columns.update(zip(key_columns(bands), keys.T, strict=True))
    return pd.DataFrame(columns, index=pd.Index(ids, name=ID))


def _shingle_column(sets: Sequence[U32]) -> pd.arrays.ArrowExtensionArray:
    offsets = np.zeros(len(sets) + 1, dtype=np.int32)
    np.cumsum([len(s) for s in sets], out=offsets[1:])
    values = np.concatenate(sets) if sets else np.empty(0, dtype=np.uint32)
    return pd.arrays.ArrowExtensionArray(
        pa.ListArray.from_arrays(pa.array(offsets), pa.array(values))
    )


def shingle_sets(column: pd.Series) -> tuple[npt.NDArray[np.int64], U32]:
    """Return (offsets, values) of a shingle column: row n is values[offsets[n]:offsets[n + 1]]."""
    lists = pa.chunked_array(column.array.__arrow_array__()).combine_chunks()
    if len(lists) == 0:
        return np.zeros(1, dtype=np.int64), np.empty(0, dtype=np.uint32)
    offsets = np.asarray(lists.offsets).astype(np.int64)
    return offsets, np.asarray(lists.values).astype(np.uint32, copy=False)


# -- the band shuffle: (key, band, id) rows, shuffled on key, bucketed per partition -


def band_rows(signed: pd.DataFrame, bands: index.Bands) -> pd.DataFrame:
    """Return one row per (document, band) of the documents with words: key, band, id."""
    keyed = signed[(signed["reason"] == "") & (signed["words"] > 0)]
    keys = keyed[key_columns(bands)].to_numpy(dtype=np.uint64)
    return pd.DataFrame(
        {
            "key": keys.ravel(),
            "band": np.tile(np.arange(bands.bands, dtype=np.int16), len(keyed)),
            ID: np.repeat(keyed.index.to_numpy(_I64), bands.bands),
        }
    )


def bucket_partition(rows: pd.DataFrame) -> pd.DataFrame:
    """Return the candidate edges (a < b) of the band buckets in one shuffled partition.

    The shuffle on `key` brings every (band, key) bucket whole into one
    partition; `index.bucket_edges` then links each bucket band by band.
    """
    return edges_frame(index.Candidates.of([star for _, star in _stars(rows)]).pairs)


def crowded_partition(rows: pd.DataFrame) -> pd.DataFrame:
    """Return the star edges of the buckets of three documents or more in one shuffled partition, with their band."""
    found = [(band, index.crowded(star)) for band, star in _stars(rows)]
    return pd.DataFrame({
        "band": np.concatenate([np.full(len(star), band, np.int16) for band, star in found] or [np.empty(0, np.int16)]),
        "a": np.concatenate([star[:, 0] for _, star in found] or [np.empty(0, _I64)]),
        "b": np.concatenate([star[:, 1] for _, star in found] or [np.empty(0, _I64)]),
    })


def misfit_partition(crowded: pd.DataFrame, verified: index.Edges) -> pd.DataFrame:
    """Return the pairs (a < b) to verify beyond the stars of a partition's crowded buckets (`index.misfit_edges`)."""
    star = crowded[["a", "b"]].to_numpy(_I64)
    return edges_frame(index.misfit_edges([star[part] for part in _by_band(crowded["band"].to_numpy())], verified))


def _stars(rows: pd.DataFrame) -> list[tuple[int, index.Edges]]:
    """Return each band's star (`index.bucket_edges`) of the shuffled rows of one partition."""
    band = rows["band"].to_numpy()
    keys = rows["key"].to_numpy(dtype=np.uint64)
    ids = rows[ID].to_numpy(dtype=np.int64)
    return [(int(band[part[0]]), index.bucket_edges(keys[part], ids[part])) for part in _by_band(band)]


def _by_band(band: npt.NDArray[np.int16]) -> list[npt.NDArray[np.intp]]:
    """Return the rows of each band, in their order (a bucket's star edges stay consecutive)."""
    order = np.argsort(band, kind="stable")
    return [part for part in np.split(order, np.flatnonzero(np.diff(band[order])) + 1) if len(part)]


def edges_frame(edges: index.Edges) -> pd.DataFrame:
    """Return edges as a frame with columns a, b."""
    return pd.DataFrame({"a": edges[:, 0].astype(np.int64), "b": edges[:, 1].astype(np.int64)})


def distinct_edges(by_a: pd.DataFrame, tried: pd.DataFrame | None = None) -> pd.DataFrame:
    """Drop repeated edges of a partition indexed by a (an edge found in several bands), and those in `tried`."""
    edges = index.unique_edges(
        np.stack([by_a.index.to_numpy(_I64), by_a["b"].to_numpy(_I64)], axis=1)
    )
    if tried is not None and len(edges):
        seen = np.stack([tried.index.to_numpy(_I64), tried["b"].to_numpy(_I64)], axis=1)
        edges = edges[~np.isin(index.codes(edges), index.codes(seen))]
    return pd.DataFrame({"b": edges[:, 1]}, index=pd.Index(edges[:, 0], name="a"))


# -- verification: a's shingles travel to b's partition, once per (a, partition) ----


def partition_of(ids: npt.NDArray[np.int64], divisions: Sequence[int]) -> npt.NDArray[np.int64]:
    """Return the partition (by Dask's divisions) that holds each id."""
    inner = np.asarray(divisions[1:-1], dtype=np.int64)
    return np.searchsorted(inner, ids, side="right").astype(np.int64)


def to_b(by_a: pd.DataFrame) -> pd.DataFrame:
    """Return a partition's edges (indexed by a) as columns a, b, for the move to b's partition."""
    return pd.DataFrame({"a": by_a.index.to_numpy(_I64), "b": by_a["b"].to_numpy(_I64)})


def shipped_shingles(
    by_a: pd.DataFrame, signed: pd.DataFrame, divisions: Sequence[int]
) -> pd.DataFrame:
    """Return a's shingle hashes, a row each, addressed to each partition holding a partner of a.

    The row's `anchor` is the first id of the receiving partition, so that a
    shuffle on the signed frame's divisions delivers it there; a hub linked to
    many documents of one partition travels there once.
    """
    if len(by_a) == 0:
        return shipped_meta()
    anchors = np.asarray(divisions, dtype=np.int64)[
        partition_of(by_a["b"].to_numpy(_I64), divisions)
    ]
    sent = np.unique(np.stack([by_a.index.to_numpy(_I64), anchors], axis=1), axis=0)
    offsets, values = shingle_sets(signed[SHINGLES])
    at = signed.index.get_indexer(sent[:, 0])
    starts, lengths = offsets[at], offsets[at + 1] - offsets[at]
    return pd.DataFrame(
        {
            "anchor": np.repeat(sent[:, 1], lengths),
            "a": np.repeat(sent[:, 0], lengths),
            "shingle": values[_ranges(starts, lengths)],
        }
    )


def shipped_meta() -> pd.DataFrame:
    """Return an empty frame shaped like `shipped_shingles`."""
    return pd.DataFrame(
        {
            "anchor": np.empty(0, np.int64),
            "a": np.empty(0, np.int64),
            "shingle": np.empty(0, np.uint32),
        }
    )


def _ranges(starts: npt.NDArray[np.int64], lengths: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Return the concatenation of range(start, start + length) for each pair, vectorised."""
    total = int(lengths.sum())
    if total == 0:
        return np.empty(0, dtype=np.int64)
    ends = np.cumsum(lengths)
    return np.repeat(starts - (ends - lengths), lengths) + np.arange(total, dtype=np.int64)


def verify_partition(
    by_b: pd.DataFrame,
    shipped: pd.DataFrame,
    signed: pd.DataFrame,
    threshold: float,
    containment: float,
) -> pd.DataFrame:
    """Verify the edges ending here with `groups.verify`: a's shingles came, b's are here.

    With both thresholds 0 every edge is kept: its measures only.
    """
    if len(by_b) == 0:
        return pairs_meta()
    a_ids, a_sets = _shipped_sets(shipped)
    offsets, values = shingle_sets(signed[SHINGLES])
    at = {int(i): n for n, i in enumerate(signed.index.to_numpy(_I64))}

    def shingles(n: int) -> U32:
        if n in a_ids:
            return a_sets[a_ids[n]]
        k = at[n]
        return values[offsets[k] : offsets[k + 1]]

    edges = zip(by_b["a"].to_numpy(_I64).tolist(), by_b.index.to_numpy(_I64).tolist(), strict=True)
    found = groups.verify(edges, shingles, threshold, containment)
    return pd.DataFrame(
        {
            "a": np.array([p.a for p in found], dtype=np.int64),
            "b": np.array([p.b for p in found], dtype=np.int64),
            "similarity": np.array([p.similarity for p in found], dtype=np.float64),
            "containment": np.array([p.containment for p in found], dtype=np.float64),
        }
    )


def _shipped_sets(shipped: pd.DataFrame) -> tuple[dict[int, int], list[U32]]:
    """Return the shipped sets: a -> position, and the sets, sorted (arrival order is not kept)."""
    a = shipped["a"].to_numpy(_I64)
    shingle = shipped["shingle"].to_numpy(np.uint32)
    order = np.lexsort((shingle, a))
    a, shingle = a[order], shingle[order]
    cuts = np.flatnonzero(np.diff(a)) + 1
    firsts = a[np.concatenate(([0], cuts))] if len(a) else a
    return {int(x): n for n, x in enumerate(firsts)}, np.split(shingle, cuts) if len(a) else []


def pairs_meta() -> pd.DataFrame:
    """Return an empty frame shaped like `verify_partition`'s."""
    return pd.DataFrame(
        {
            "a": np.empty(0, np.int64),
            "b": np.empty(0, np.int64),
            "similarity": np.empty(0, np.float64),
            "containment": np.empty(0, np.float64),
        }
    )
