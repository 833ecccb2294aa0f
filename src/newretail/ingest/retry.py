"""What becomes of quarantined rows: listed, retried through a corrected mapping, discarded.

Which loads quarantined rows is read from the lake's manifest (each load records its count);
what became of them is ops DB state (``quarantine_batches``), written only when someone acts.
A retry is a load of its own: it adds the rows that now pass, quarantines again the rows that
still fail (with their new reasons), and marks the old batch ``retried``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pyarrow as pa
from sqlalchemy.orm import Session

from newretail.core.errors import Conflict, NotFound
from newretail.core.settings import Settings, get_settings
from newretail.ingest.loader import FileReport, LoadReport, _FileLoad
from newretail.ingest.mapping import check_header, load_mapping
from newretail.ingest.quarantine import raw_rows, read_quarantine
from newretail.ingest.readers import RawChunk, RowIssue
from newretail.lake import Lake, LoadRecord, SourceFile
from newretail.ops.db import make_engine, session_scope
from newretail.ops.migrate import upgrade
from newretail.schema.ops import QuarantineBatch, utc_now


@contextmanager
def _ops(settings: Settings) -> Iterator[Session]:
    url = settings.database_url
    upgrade(url)  # idempotent: a fresh data home gets its ops DB on first use
    engine = make_engine(url)
    try:
        with session_scope(engine) as session:
            yield session
    finally:
        engine.dispose()


def list_quarantine(settings: Settings | None = None) -> list[dict[str, object]]:
    """Every load that quarantined rows, newest first, with what became of its rows."""
    settings = settings or get_settings()
    records = [r for r in Lake.from_settings(settings).manifest() if r.rows_quarantined]
    with _ops(settings) as session:
        states = {b.load_id: b for b in session.query(QuarantineBatch).all()}
    listed = []
    for record in reversed(records):
        state = states.get(record.load_id)
        listed.append(
            {
                "load_id": record.load_id,
                "source": record.source,
                "file": ", ".join(f.name for f in record.files),
                "rows": record.rows_quarantined,
                "reasons": dict(record.quarantine_reasons),
                "status": state.status if state else "open",
                "retried_by": state.retried_by_load_id if state else None,
                "committed_at": record.committed_at,
            }
        )
    return listed


def _record(lake: Lake, load_id: str) -> LoadRecord:
    for record in lake.manifest():
        if record.load_id == load_id:
            return record
    raise NotFound(key="ingest.quarantine.unknown_load", load_id=load_id)


def _open_batch(session: Session, record: LoadRecord) -> QuarantineBatch:
    batch = session.get(QuarantineBatch, record.load_id)
    if batch is None:
        batch = QuarantineBatch(
            load_id=record.load_id,
            source=record.source,
            file_name=", ".join(f.name for f in record.files),
            file_sha256=record.files[0].sha256 if record.files else "",
            rows_quarantined=record.rows_quarantined,
            reasons=dict(record.quarantine_reasons),
            status="open",
        )
        session.add(batch)
    elif batch.status != "open":
        raise Conflict(
            key="ingest.quarantine.already_retried",
            load_id=record.load_id,
            status=batch.status,
            by=batch.retried_by_load_id or "—",
        )
    return batch


def discard_quarantine(load_id: str, *, settings: Settings | None = None) -> None:
    """Mark the quarantined rows of ``load_id`` as dealt with, without loading them."""
    settings = settings or get_settings()
    record = _record(Lake.from_settings(settings), load_id)
    if not record.rows_quarantined:
        raise NotFound(key="ingest.quarantine.not_found", load_id=load_id)
    with _ops(settings) as session:
        batch = _open_batch(session, record)
        batch.status = "discarded"
        batch.resolved_at = utc_now()


def _retry_chunk(load_id: str, settings: Settings) -> tuple[str, RawChunk]:
    problems = read_quarantine(settings.quarantine_dir, load_id)
    file_name = str(problems.column("file")[0].as_py())
    readable = [(line, row) for line, row in raw_rows(problems) if set(row) != {"_text"}]
    unreadable = [(line, row) for line, row in raw_rows(problems) if set(row) == {"_text"}]
    if not readable:
        raise Conflict(key="ingest.quarantine.nothing_to_retry", load_id=load_id)
    columns = list(dict.fromkeys(name for _, row in readable for name in row))
    table = pa.table(
        {
            name: pa.array(
                [None if row.get(name) is None else str(row[name]) for _, row in readable],
                type=pa.string(),
            )
            for name in columns
        }
    )
    reasons = {
        line: reason
        for line, reason in zip(
            problems.column("line").to_pylist(), problems.column("reason").to_pylist(), strict=True
        )
    }
    issues = tuple(
        RowIssue(line=line, reason=reasons[line], detail="", raw=str(row["_text"]))
        for line, row in unreadable
    )
    lines = np.array([line for line, _ in readable], dtype=np.int64)
    return file_name, RawChunk(table=table, lines=lines, issues=issues)


def retry_quarantine(
    load_id: str, *, source: str | None = None, settings: Settings | None = None
) -> LoadReport:
    """Load the quarantined rows of ``load_id`` again through ``source`` (default: its own)."""
    settings = settings or get_settings()
    lake = Lake.from_settings(settings)
    record = _record(lake, load_id)
    mapping = load_mapping(source or record.source, search_dirs=[settings.home / "mappings"])
    with _ops(settings) as session:
        _open_batch(session, record)  # refuses a batch already retried or discarded
    file_name, chunk = _retry_chunk(load_id, settings)
    check_header(mapping, chunk.table.column_names, file_name=file_name)
    marker = SourceFile(
        name=f"{file_name} (retry of {load_id})", sha256=f"retry-of-{load_id}", size_bytes=0
    )
    with lake.begin(source=mapping.source.name, files=[marker]) as tx:
        run = _FileLoad(mapping, lake, tx, settings=settings, file_name=file_name, corrects=False)
        run.process(chunk)
        report: FileReport = run.finish(kind="retry", note=f"retry of {load_id}")
    with _ops(settings) as session:
        batch = _open_batch(session, record)
        batch.status = "retried"
        batch.retried_by_load_id = report.load_id
        batch.resolved_at = utc_now()
    return LoadReport(source=mapping.source.name, files=[report])
