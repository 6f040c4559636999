"""Turn results into the versioned, JSON-ready report (see dedup/schema/report.schema.json)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from dedup import __version__, differ
from dedup.changes import IndexedScanResult, IndexSummary
from dedup.differ import Comparison, Discrepancy
from dedup.normalize import VERSION as NORMALIZER_VERSION
from dedup.scan import Group, Member, PackedMember, ScanResult

SCHEMA_VERSION = "1.0"

Json = dict[str, Any]


def scan_report(result: ScanResult) -> Json:
    """Return the whole scan report as one JSON-ready object."""
    report = {
        **_header("scan", result),
        "stats": stats(result),
        "groups": [group(g) for g in result.groups],
        "unique": [unique for unique in _unique(result)],
        "skipped": [skipped for skipped in _skipped(result)],
    }
    if isinstance(result, IndexedScanResult):
        report["index"] = index_section(result.index)
    return report


def scan_records(result: ScanResult) -> Iterator[Json]:
    """Yield the report as a stream of records: header, groups, unique, skipped, stats last."""
    yield {"type": "header", **_header("scan", result)}
    for g in result.groups:
        yield {"type": "group", **group(g)}
    for unique in _unique(result):
        yield {"type": "unique", **unique}
    for skipped in _skipped(result):
        yield {"type": "skipped", **skipped}
    if isinstance(result, IndexedScanResult):
        yield {"type": "index", **index_section(result.index)}
    yield {"type": "stats", **stats(result)}


def index_section(summary: IndexSummary) -> Json:
    """Return what a scan with --index changed: new, changed, renamed and removed documents and their groups."""
    return {
        "location": summary.location,
        "backend": summary.backend,
        "scan": summary.scan,
        "resumed_scans": list(summary.resumed),
        "documents": summary.documents,
        "unchanged": summary.unchanged,
        "touched": summary.touched,
        "new": [{"path": c.path, "group": c.group} for c in summary.of("new")],
        "changed": [{"path": c.path, "group": c.group} for c in summary.of("changed")],
        "renamed": [{"path": c.path, "from": c.previous_path, "group": c.group} for c in summary.of("renamed")],
        "removed": [{"path": c.path, "reason": c.reason, "group": c.group} for c in summary.of("removed")],
        "groups_changed": list(summary.groups_changed),
    }


def _header(report: str, result: ScanResult) -> Json:
    options = result.options.to_dict()
    options["lsh"] = {
        "recall_at_threshold": round(result.bands.recall_at_threshold, 4),
        "bands": result.bands.bands,
        "rows": result.bands.rows,
        "scheme": "affine32",
    }
    options["normalizer_version"] = NORMALIZER_VERSION
    return {
        "schema_version": SCHEMA_VERSION,
        "report": report,
        "tool": {"name": "dedup", "version": __version__},
        "options": options,
    }


def stats(result: ScanResult) -> Json:
    """Return the counts of a scan; files_seen = grouped + unique + skipped."""
    grouped = sum(len(g.members) for g in result.groups)
    found = Counter(c for g in result.groups for m in g.members for c in _categories(m))
    return {
        "files_seen": grouped + len(result.unique) + len(result.skipped),
        "documents": grouped + len(result.unique),
        "groups": len(result.groups),
        "grouped_documents": grouped,
        "unique_documents": len(result.unique),
        "skipped": len(result.skipped),
        "skipped_by_reason": dict(sorted(Counter(s.reason for s in result.skipped).items())),
        "candidate_pairs": result.candidate_pairs,
        "verified_pairs": result.verified_pairs,
        "discrepancies": dict(sorted(found.items())),
    }


def group(g: Group) -> Json:
    """Return one group as JSON-ready data."""
    return {
        "id": g.id,
        "reference": g.reference.path,
        "documents": [member(m, m is g.reference) for m in g.members],
    }


def member(m: Member, is_reference: bool) -> Json:
    """Return one member of a group as JSON-ready data."""
    if isinstance(m, PackedMember):  # discrepancies as a worker or the index packed them, never decoded
        found = [packed_discrepancy(fields, m.reference, m.path) for fields in m.packed()]
    else:
        found = [discrepancy(d) for d in m.discrepancies]
    out = {
        "path": m.path,
        "is_reference": is_reference,
        "similarity": round(m.similarity, 4),
        "containment": round(m.containment, 4),
        "words": m.words,
        "encoding": m.encoding,
        "kind": m.kind,
        "summary": dict(sorted(Counter(_categories(m)).items())),
        "discrepancies": found,
    }
    if m.not_compared is not None:
        out["not_compared"] = m.not_compared
    return out


def _categories(m: Member) -> Iterator[str]:
    if isinstance(m, PackedMember):
        return (fields[0] for fields in m.packed())
    return (d.category.value for d in m.discrepancies)


def summary(found: Iterable[Discrepancy]) -> dict[str, int]:
    """Count discrepancies by category."""
    return dict(sorted(Counter(d.category.value for d in found).items()))


def discrepancy(d: Discrepancy) -> Json:
    """Return one discrepancy as JSON-ready data."""
    return _discrepancy(d.category.value, d.kind, d.severity, d.a_text, d.b_text, d.context,
                        (d.a.path, d.a.line, d.a.column), (d.b.path, d.b.line, d.b.column), d.note)


def packed_discrepancy(fields: Sequence[Any], a_path: str, b_path: str) -> Json:
    """Return one discrepancy as `discrepancy` does, from its packed fields (`differ.pack`)."""
    category, kind, severity, a_text, b_text, a_line, a_column, b_line, b_column, a0, a1, b0, b1, note = fields
    return _discrepancy(category, kind, severity, a_text, b_text, differ.context(a_text, b_text, (a0, a1), (b0, b1)),
                        (a_path, a_line, a_column), (b_path, b_line, b_column), note)


def _discrepancy(category: str, kind: str, severity: str, a_text: str, b_text: str, context: str,
                 a: tuple[str, int, int], b: tuple[str, int, int], note: str) -> Json:
    data: Json = {
        "category": category,
        "kind": kind,
        "severity": severity,
        "a_text": a_text,
        "b_text": b_text,
        "context": context,
        "a": {"path": a[0], "line": a[1], "column": a[2]},
        "b": {"path": b[0], "line": b[1], "column": b[2]},
    }
    if note:
        data["note"] = note
    return data


def diff_report(comparison: Comparison) -> Json:
    """Return the report of `dedup diff` as one JSON-ready object."""
    return {
        "schema_version": SCHEMA_VERSION,
        "report": "diff",
        "tool": {"name": "dedup", "version": __version__},
        "a": comparison.a,
        "b": comparison.b,
        "similarity": round(comparison.similarity, 4),
        "summary": summary(comparison.discrepancies),
        "discrepancies": [discrepancy(d) for d in comparison.discrepancies],
    }


def _unique(result: ScanResult) -> Iterator[Json]:
    for u in result.unique:
        yield {"path": u.path, "words": u.words, "encoding": u.encoding, "kind": u.kind}


def _skipped(result: ScanResult) -> Iterator[Json]:
    for s in result.skipped:
        yield {"path": s.path, "reason": s.reason, "detail": s.detail}
