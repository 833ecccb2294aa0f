"""The load manifest: the lake's commit log, one JSON record per committed load.

``_log/<version:012d>.json`` holds the record of version ``version`` (1, 2, 3 … without gaps).
A record appears atomically (written to a temporary file, synced, then hard-linked to its
final name, which fails if that version exists), so a reader sees a load entirely or not at
all. The live files of a table are the union of ``added`` minus ``removed`` over the records,
in order; readers replay the log instead of listing folders.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal, cast

from newretail.core.errors import LakeError
from newretail.lake.layout import LOG_DIR, fsync_dir

LoadKind = Literal["load", "replace", "retry"]
LOAD_KINDS: tuple[LoadKind, ...] = ("load", "replace", "retry")
#: Layout version of a log record; a reader refuses records of a newer layout.
RECORD_FORMAT = 1


@dataclass(frozen=True)
class SourceFile:
    """A source file taken in by a load, identified by its SHA-256 checksum."""

    name: str
    sha256: str
    size_bytes: int


@dataclass(frozen=True)
class TableChange:
    """What one load did to one table.

    ``added``/``removed`` are file paths relative to the lake root. ``rows_added`` counts rows
    the load put in (appended facts, inserted or updated dimension rows), ``rows_removed``
    rows it took out (replaced facts, previous versions of updated dimension rows): the table
    grows by ``rows_added - rows_removed``. ``schema_id`` fingerprints the added files' schema.
    """

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    rows_added: int = 0
    rows_removed: int = 0
    schema_id: str | None = None


@dataclass(frozen=True)
class LoadRecord:
    """One committed load: its source files, what it changed, and its row counts.

    ``period`` is the first and last business date of the loaded rows (None if none);
    ``quarantine_reasons`` counts quarantined rows per reason key.
    """

    version: int
    load_id: str
    source: str
    committed_at: datetime
    files: tuple[SourceFile, ...]
    period: tuple[date, date] | None
    tables: Mapping[str, TableChange]
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    quarantine_reasons: Mapping[str, int]
    kind: LoadKind = "load"
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        """The record as written to the log (dates and times in ISO 8601, UTC)."""
        return {
            "format": RECORD_FORMAT,
            "version": self.version,
            "load_id": self.load_id,
            "source": self.source,
            "committed_at": self.committed_at.isoformat(),
            "kind": self.kind,
            "note": self.note,
            "files": [vars(f) for f in self.files],
            "period": [d.isoformat() for d in self.period] if self.period else None,
            "rows_read": self.rows_read,
            "rows_loaded": self.rows_loaded,
            "rows_quarantined": self.rows_quarantined,
            "quarantine_reasons": dict(self.quarantine_reasons),
            "tables": {name: _change_json(change) for name, change in self.tables.items()},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LoadRecord:
        """The record read back from its JSON form (KeyError/ValueError if malformed)."""
        if data["format"] > RECORD_FORMAT:
            raise ValueError(f"record format {data['format']} is newer than this version reads")
        period = data["period"]
        kind = data["kind"]
        if kind not in LOAD_KINDS:
            raise ValueError(f"unknown load kind {kind!r}")
        return cls(
            version=int(data["version"]),
            load_id=str(data["load_id"]),
            source=str(data["source"]),
            committed_at=datetime.fromisoformat(data["committed_at"]),
            files=tuple(SourceFile(**f) for f in data["files"]),
            period=(date.fromisoformat(period[0]), date.fromisoformat(period[1]))
            if period
            else None,
            tables={name: _change_from_json(c) for name, c in data["tables"].items()},
            rows_read=int(data["rows_read"]),
            rows_loaded=int(data["rows_loaded"]),
            rows_quarantined=int(data["rows_quarantined"]),
            quarantine_reasons={str(k): int(v) for k, v in data["quarantine_reasons"].items()},
            kind=cast(LoadKind, kind),
            note=str(data["note"]),
        )


def _change_json(change: TableChange) -> dict[str, Any]:
    return {
        "added": list(change.added),
        "removed": list(change.removed),
        "rows_added": change.rows_added,
        "rows_removed": change.rows_removed,
        "schema_id": change.schema_id,
    }


def _change_from_json(data: Mapping[str, Any]) -> TableChange:
    return TableChange(
        added=tuple(data["added"]),
        removed=tuple(data["removed"]),
        rows_added=int(data["rows_added"]),
        rows_removed=int(data["rows_removed"]),
        schema_id=data.get("schema_id"),
    )


@dataclass(frozen=True)
class Snapshot:
    """The lake as of one committed version: the live files of every table.

    ``files`` maps each table (every canonical one, loaded or not) to its files in commit
    order; ``schema_ids`` gives the schema fingerprints among a table's files.
    """

    version: int
    files: Mapping[str, tuple[Path, ...]]
    schema_ids: Mapping[str, frozenset[str]] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class LiveFile:
    """A live file: the load that added it and the fingerprint of its schema."""

    load_id: str
    schema_id: str | None


@dataclass(frozen=True)
class LogState:
    """The log replayed up to ``version``: its records and each table's live files."""

    version: int = 0
    records: tuple[LoadRecord, ...] = ()
    live: Mapping[str, Mapping[str, LiveFile]] = field(default_factory=dict)

    def extended(self, records: Iterable[LoadRecord]) -> LogState:
        """The state after replaying ``records`` (the next versions, in order)."""
        new = tuple(records)
        if not new:
            return self
        live = {table: dict(files) for table, files in self.live.items()}
        for record in new:
            for table, change in record.tables.items():
                files = live.setdefault(table, {})
                for path in change.removed:
                    files.pop(path, None)
                for path in change.added:
                    files[path] = LiveFile(record.load_id, change.schema_id)
        return LogState(new[-1].version, self.records + new, live)

    def snapshot(self, root: Path, tables: Iterable[str]) -> Snapshot:
        """The snapshot of this state with absolute paths under ``root``; ``tables`` all listed."""
        names = dict.fromkeys([*tables, *self.live])
        return Snapshot(
            version=self.version,
            files={t: tuple(root / p for p in self.live.get(t, {})) for t in names},
            schema_ids={
                t: frozenset(f.schema_id or "" for f in self.live.get(t, {}).values())
                for t in names
            },
        )


class CommitLog:
    """The ``_log`` folder: reading records after a version, appending the next one."""

    def __init__(self, root: Path) -> None:
        self.folder = root / LOG_DIR

    def path(self, version: int) -> Path:
        return self.folder / f"{version:012d}.json"

    def read_after(self, version: int) -> list[LoadRecord]:
        """The records of versions ``version + 1`` onwards, up to the latest, in order."""
        records: list[LoadRecord] = []
        while True:
            path = self.path(version + len(records) + 1)
            try:
                text = path.read_text(encoding="utf-8")
            except FileNotFoundError:
                return records
            try:
                records.append(LoadRecord.from_json(json.loads(text)))
            except (KeyError, ValueError, TypeError) as exc:
                raise LakeError(
                    f"damaged load manifest at {path}: {exc}",
                    key="lake.corrupt_log",
                    path=str(path),
                    reason=str(exc),
                ) from None

    def append(self, record: LoadRecord) -> bool:
        """Publish ``record`` as version ``record.version``; False if that version exists.

        The record is synced under a temporary name, then hard-linked to its final name, so
        it appears complete or not at all and never overwrites another load's record.
        """
        self.folder.mkdir(parents=True, exist_ok=True)
        temp = self.folder / f".tmp-{record.load_id}-{record.version}.json"
        data = json.dumps(record.to_json(), ensure_ascii=False, indent=1).encode("utf-8")
        with temp.open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temp, self.path(record.version))
        except FileExistsError:
            temp.unlink()
            return False
        # the record is visible from here on: tidying up must not turn it into a failure
        with contextlib.suppress(OSError):
            temp.unlink()
            fsync_dir(self.folder)
        return True
