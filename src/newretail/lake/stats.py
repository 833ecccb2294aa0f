"""What the lake holds, per table: rows, files, bytes, days covered, last load.

Row counts come from the Parquet footers and days from the partition folders, so the figures
cost a footer read per file (cached: files never change) and no scan of the data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

import pyarrow.parquet as pq

from newretail.core.errors import LakeError
from newretail.lake.layout import partition_of
from newretail.lake.manifest import Snapshot
from newretail.lake.store import Lake


@dataclass(frozen=True)
class TableStats:
    """One table in one snapshot. Dates are the first and last business day (facts only)."""

    table: str
    rows: int
    files: int
    bytes: int
    first_date: date | None
    last_date: date | None
    last_load_at: datetime | None


def table_stats(
    lake: Lake | None = None, *, snapshot: Snapshot | None = None
) -> dict[str, TableStats]:
    """Statistics of every canonical table in ``snapshot`` (default: the lake's latest).

    ``last_load_at`` is the commit time of the latest load that changed the table.
    """
    lake = lake or Lake.from_settings()
    snapshot = snapshot or lake.snapshot()
    last_load: dict[str, datetime] = {}
    for record in lake.manifest()[: snapshot.version]:
        for name in record.tables:
            last_load[name] = record.committed_at
    return {
        name: _stats(name, paths, last_load.get(name)) for name, paths in snapshot.files.items()
    }


def _stats(name: str, paths: tuple[Path, ...], last_load_at: datetime | None) -> TableStats:
    footers = [_footer(path, name) for path in paths]
    days = sorted({d for d in map(partition_of, paths) if d is not None})
    return TableStats(
        table=name,
        rows=sum(rows for rows, _ in footers),
        files=len(paths),
        bytes=sum(size for _, size in footers),
        first_date=days[0] if days else None,
        last_date=days[-1] if days else None,
        last_load_at=last_load_at,
    )


def _footer(path: Path, table: str) -> tuple[int, int]:
    try:
        return _rows_and_bytes(path)
    except FileNotFoundError:
        raise LakeError(
            f"a file of {table!r} is gone: {path}",
            key="lake.missing_file",
            table=table,
            path=str(path),
        ) from None


@lru_cache(maxsize=65_536)
def _rows_and_bytes(path: Path) -> tuple[int, int]:
    # lake files are immutable under unique names, so a cached answer never goes stale
    return pq.read_metadata(path).num_rows, path.stat().st_size
