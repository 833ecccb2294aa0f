"""The lake: Parquet files per table, made visible by a commit log, read by snapshot.

A reader asks for a :class:`Snapshot` (the live files as of the latest committed load) and
reads those files only; a writer stages files, then publishes one log record. Several
processes can read while one loads, and a reader never sees part of a load.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow as pa

from newretail.core.errors import LakeError
from newretail.core.settings import Settings, get_settings
from newretail.lake.layout import (
    LOCK_FILE,
    LOG_DIR,
    STAGING_DIR,
    partition_of,
    read_files,
    stored_schema,
)
from newretail.lake.lock import WriterLock
from newretail.lake.manifest import CommitLog, LoadRecord, LogState, Snapshot, SourceFile
from newretail.lake.transaction import LoadTransaction
from newretail.schema import TABLES, TableDef, get_table


class Lake:
    """The Parquet lake under ``root`` (normally ``Settings.lake_dir``).

    One instance may be shared by the threads of a process; it caches the replayed log and
    reads only the records committed since it last looked.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root).absolute()
        self._log = CommitLog(self.root)
        self._state = LogState()
        self._snapshot: Snapshot | None = None
        self._guard = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Lake:
        """The lake of the configured data home."""
        return cls((settings or get_settings()).lake_dir)

    def snapshot(self) -> Snapshot:
        """The live files of every canonical table as of the latest committed load."""
        state = self._refresh()
        cached = self._snapshot
        if cached is None or cached.version != state.version:
            # tens of thousands of paths: built once per version, not once per call
            cached = self._snapshot = state.snapshot(self.root, TABLES)
        return cached

    def manifest(self) -> list[LoadRecord]:
        """Every committed load's record, oldest first."""
        return list(self._refresh().records)

    def find_load(self, *, source: str, sha256: str) -> LoadRecord | None:
        """The latest committed load of ``source`` that took in the file with ``sha256``."""
        wanted = sha256.lower()
        for record in reversed(self._refresh().records):
            if record.source == source and any(f.sha256.lower() == wanted for f in record.files):
                return record
        return None

    def read(
        self,
        table: str,
        *,
        columns: Sequence[str] | None = None,
        dates: tuple[date, date] | None = None,
        snapshot: Snapshot | None = None,
    ) -> pa.Table:
        """``table``'s rows (stored schema: its columns, ``_load_id``, ``_line``) as an Arrow table.

        For small reads (dimension lookups, key checks): analytics go through
        :func:`newretail.lake.engine.connect`. ``columns`` selects columns; ``dates`` (first
        and last business day, inclusive) reads only those days' files of a fact table.
        Nothing loaded yet gives an empty table with the right schema.
        """
        definition = get_table(table)
        schema = stored_schema(definition)
        for name in columns or ():
            if name not in schema.names:
                raise LakeError(
                    f"table {table!r} has no column {name!r}",
                    key="lake.unknown_column",
                    table=table,
                    column=name,
                )
        paths = (snapshot or self.snapshot()).files.get(table, ())
        if dates is not None:
            paths = _within(definition, paths, dates)
        try:
            return read_files(paths, schema, columns=columns)
        except FileNotFoundError as exc:
            # pyarrow names the missing file in the message, not in ``filename``
            gone = exc.filename or str(exc)
            raise LakeError(
                f"a file of {table!r} is gone: {gone}",
                key="lake.missing_file",
                table=table,
                path=gone,
            ) from None

    def begin(
        self, *, source: str, files: Sequence[SourceFile], timeout: float = 30.0
    ) -> LoadTransaction:
        """Start a load of ``files`` from ``source``, waiting up to ``timeout`` s for the lock.

        :class:`LakeError` (``lake.locked``) if another load still holds the lock then.
        """
        if not source.strip():
            raise LakeError(
                "a load needs a source name",
                key="lake.bad_argument",
                name="source",
                reason="empty",
            )
        lock = self._lock(timeout)
        try:
            return LoadTransaction(
                root=self.root,
                log=self._log,
                state=self._refresh(),
                lock=lock,
                source=source,
                files=files,
            )
        except BaseException:
            lock.release()
            raise

    def vacuum(self, *, older_than: timedelta, timeout: float = 30.0) -> int:
        """Delete files no reader can need; the number of files deleted.

        Goes: files a load replaced more than ``older_than`` ago (a reader may still hold a
        snapshot that lists them until then), files of loads that never committed, and
        leftover staging folders. Takes the writer lock, so no load runs meanwhile.
        """
        if older_than < timedelta(0):
            raise LakeError(
                "older_than must not be negative",
                key="lake.bad_argument",
                name="older_than",
                reason=str(older_than),
            )
        lock = self._lock(timeout)
        try:
            state = self._refresh()
            deleted = self._delete_unreferenced(state, datetime.now(UTC) - older_than)
            deleted += self._clear_leftovers()
            return deleted
        finally:
            lock.release()

    def _refresh(self) -> LogState:
        with self._guard:
            self._state = self._state.extended(self._log.read_after(self._state.version))
            return self._state

    def _lock(self, timeout: float) -> WriterLock:
        self.root.mkdir(parents=True, exist_ok=True)
        lock = WriterLock(self.root / LOCK_FILE)
        lock.acquire(timeout=timeout)
        return lock

    def _delete_unreferenced(self, state: LogState, cutoff: datetime) -> int:
        live = {path for files in state.live.values() for path in files}
        removed_at = {
            path: record.committed_at
            for record in state.records
            for change in record.tables.values()
            for path in change.removed
        }
        deleted = 0
        for path in self._data_files():
            relpath = path.relative_to(self.root).as_posix()
            if relpath in live:
                continue
            when = removed_at.get(relpath)
            if when is not None and when > cutoff:
                continue
            path.unlink()
            deleted += 1
        self._prune_empty_folders()
        return deleted

    def _clear_leftovers(self) -> int:
        deleted = 0
        staging = self.root / STAGING_DIR
        for folder in sorted(staging.iterdir()) if staging.exists() else ():
            deleted += sum(1 for p in folder.rglob("*") if p.is_file())
            shutil.rmtree(folder)
        for temp in (self.root / LOG_DIR).glob(".tmp-*"):
            temp.unlink()
        return deleted

    def _data_files(self) -> list[Path]:
        return sorted(
            path
            for folder in self.root.iterdir()
            if folder.is_dir() and not folder.name.startswith("_")
            for path in folder.rglob("*.parquet")
        )

    def _prune_empty_folders(self) -> None:
        for folder in self.root.iterdir():
            if not folder.is_dir() or folder.name.startswith("_"):
                continue
            for day in folder.iterdir():
                if day.is_dir() and not any(day.iterdir()):
                    day.rmdir()
            if not any(folder.iterdir()):
                folder.rmdir()


def _within(table: TableDef, paths: tuple[Path, ...], dates: tuple[date, date]) -> tuple[Path, ...]:
    if table.partition is None:
        raise LakeError(
            f"table {table.name!r} is not partitioned by date",
            key="lake.not_partitioned",
            table=table.name,
        )
    start, end = dates
    if start > end:
        raise LakeError(
            f"empty date range {start} – {end}", key="lake.bad_date_range", start=start, end=end
        )
    days = ((path, partition_of(path)) for path in paths)
    return tuple(path for path, day in days if day is not None and start <= day <= end)
