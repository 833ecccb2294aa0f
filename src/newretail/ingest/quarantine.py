"""The quarantine: rows a load rejected, with the reason, the file, the line and the field.

Each load that rejected rows has ``<home>/quarantine/<load_id>/rows.parquet``: one record per
problem, with the raw source row (as JSON) so that ``newretail quarantine retry`` can run it
through a corrected mapping. The file is written completely before the load commits, under a
temporary name, and renamed into place: it is never seen half-written.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from newretail.core.errors import NotFound
from newretail.core.i18n import translate
from newretail.core.settings import get_settings
from newretail.ingest.validate import PROBLEM_FIELDS
from newretail.schema import TABLES

QUARANTINE_SCHEMA = pa.schema(
    [pa.field("file", pa.string()), *PROBLEM_FIELDS, pa.field("raw", pa.string())]
)
ROWS_FILE = "rows.parquet"


@dataclass(frozen=True)
class Problem:
    """One reason one source row was rejected."""

    file: str
    line: int
    reason: str
    table: str | None = None
    column: str | None = None
    source: str | None = None
    value: str | None = None
    detail: str | None = None
    raw: str | None = None


class QuarantineWriter:
    """Collects the problems of one load and writes them as one Parquet file."""

    def __init__(self, root: Path, load_id: str) -> None:
        self.folder = root / load_id
        self._batches: list[pa.Table] = []

    def add(self, problems: pa.Table) -> None:
        """Add problems given as a table with (a subset of) :data:`QUARANTINE_SCHEMA`'s columns."""
        if problems.num_rows == 0:
            return
        columns = {
            field.name: (
                problems.column(field.name).cast(field.type)
                if field.name in problems.column_names
                else pa.nulls(problems.num_rows, field.type)
            )
            for field in QUARANTINE_SCHEMA
        }
        self._batches.append(pa.table(columns, schema=QUARANTINE_SCHEMA))

    def add_problems(self, problems: Iterable[Problem]) -> None:
        rows = [vars(p) for p in problems]
        if rows:
            self.add(pa.Table.from_pylist(rows, schema=QUARANTINE_SCHEMA))

    @property
    def rows(self) -> int:
        """Distinct (file, line) pairs quarantined so far."""
        return len(self._lines())

    def _lines(self) -> set[tuple[str, int]]:
        seen: set[tuple[str, int]] = set()
        for batch in self._batches:
            seen.update(
                zip(batch.column("file").to_pylist(), batch.column("line").to_pylist(), strict=True)
            )
        return seen

    def reasons(self) -> dict[str, int]:
        """Rows per reason (a row with two problems of one reason counts once)."""
        return _reason_counts(self._batches)

    def write(self) -> Path | None:
        """Write the file (temporary name, then rename); ``None`` when nothing was rejected."""
        if not self._batches:
            return None
        self.folder.mkdir(parents=True, exist_ok=True)
        final = self.folder / ROWS_FILE
        temp = self.folder / f".{ROWS_FILE}.tmp"
        pq.write_table(pa.concat_tables(self._batches), temp, compression="zstd")
        with open(temp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(temp, final)
        return final

    def discard(self) -> None:
        """Remove what was written (the load was aborted)."""
        for path in (self.folder / ROWS_FILE, self.folder / f".{ROWS_FILE}.tmp"):
            path.unlink(missing_ok=True)
        if self.folder.exists() and not any(self.folder.iterdir()):
            self.folder.rmdir()


def _reason_counts(batches: Sequence[pa.Table]) -> dict[str, int]:
    rows_by_reason: dict[str, set[tuple[str, int]]] = {}
    for batch in batches:
        for file, line, reason in zip(
            batch.column("file").to_pylist(),
            batch.column("line").to_pylist(),
            batch.column("reason").to_pylist(),
            strict=True,
        ):
            rows_by_reason.setdefault(reason, set()).add((file, line))
    return {reason: len(rows) for reason, rows in sorted(rows_by_reason.items())}


def read_quarantine(root: Path, load_id: str) -> pa.Table:
    """The problems recorded for ``load_id``; :class:`NotFound` when it rejected nothing."""
    path = root / load_id / ROWS_FILE
    if not path.exists():
        raise NotFound(key="ingest.quarantine.not_found", load_id=load_id)
    return pq.read_table(path)


def raw_rows(problems: pa.Table) -> list[tuple[int, dict[str, object]]]:
    """The distinct source rows behind ``problems``: (line, column → value), by line."""
    seen: dict[int, dict[str, object]] = {}
    for line, raw in zip(
        problems.column("line").to_pylist(), problems.column("raw").to_pylist(), strict=True
    ):
        if raw is not None and line not in seen:
            seen[line] = json.loads(raw)
    return sorted(seen.items())


def describe(root: Path, load_id: str, *, limit: int | None = None) -> list[dict[str, object]]:
    """The problems of ``load_id`` as rows for people: file, line, field, value, message."""
    problems = read_quarantine(root, load_id).sort_by([("line", "ascending")])
    if limit is not None:
        problems = problems.slice(0, limit)
    described: list[dict[str, object]] = []
    for row in problems.select(
        ["file", "line", "table", "column", "source", "reason", "value", "detail"]
    ).to_pylist():
        detail = row["detail"]
        if row["reason"] == "ingest.reason.unknown_reference" and detail in TABLES:
            detail = TABLES[detail].zh if _zh() else TABLES[detail].en
        message = translate(
            row["reason"],
            column=row["column"] or "",
            value=row["value"] or "",
            source=row["source"] or "",
            detail=detail or "",
            line=row["line"],
        )
        described.append({**row, "message": message})
    return described


def _zh() -> bool:
    return get_settings().lang == "zh-CN"
