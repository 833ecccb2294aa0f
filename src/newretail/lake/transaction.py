"""A load into the lake: rows staged, then made visible at once by one commit record.

A :class:`LoadTransaction` holds the writer lock from :meth:`Lake.begin` until it commits or
is abandoned. Appends stream into staging files; replacements and dimension merges are worked
out at commit against the lake as it was when the load began (no other writer can change it
meanwhile). Leaving the ``with`` block without :meth:`~LoadTransaction.commit`, or with an
exception, abandons the load: its staging folder goes, nothing becomes visible.
"""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import Literal

import pyarrow as pa
import pyarrow.compute as pc

from newretail.core.errors import LakeError
from newretail.lake.layout import (
    LOAD_ID_COLUMN,
    new_load_id,
    partition_of,
    read_files,
    schema_id,
    stored_schema,
)
from newretail.lake.lock import WriterLock
from newretail.lake.manifest import (
    LOAD_KINDS,
    CommitLog,
    LoadKind,
    LoadRecord,
    LogState,
    SourceFile,
    TableChange,
)
from newretail.lake.rows import MergeMode, conform, may_hold, merge_dimension, rows_in_scope
from newretail.lake.staging import AppendBuffer, StagedFile, Staging
from newretail.schema import TABLES, TableDef, get_table


class _Changes:
    """The files a load adds and removes, per table, while its commit is being worked out."""

    def __init__(self, root: Path, state: LogState) -> None:
        self.root = root
        self.live = {t: {p: f.load_id for p, f in files.items()} for t, files in state.live.items()}
        self.new: dict[str, StagedFile] = {}
        self.removed: defaultdict[str, list[str]] = defaultdict(list)
        self.rows_added: Counter[str] = Counter()
        self.rows_removed: Counter[str] = Counter()

    def add(self, staged: StagedFile, *, origin: str | None = None) -> None:
        """Add a new file; with ``origin`` (a load id) later steps of this commit see it live."""
        self.new[staged.relpath] = staged
        if origin is not None:
            self.live.setdefault(staged.table, {})[staged.relpath] = origin

    def remove(self, table: str, relpath: str) -> None:
        self.live[table].pop(relpath)
        staged = self.new.pop(relpath, None)
        if staged is None:
            self.removed[table].append(relpath)
        else:  # written earlier in this commit and never visible: just drop it
            staged.staged.unlink()

    def path(self, relpath: str) -> Path:
        staged = self.new.get(relpath)
        return staged.staged if staged else self.root / relpath

    def tables(self) -> dict[str, TableChange]:
        added: defaultdict[str, list[str]] = defaultdict(list)
        for staged in self.new.values():
            added[staged.table].append(staged.relpath)
        names = sorted({*added, *self.removed, *self.rows_added, *self.rows_removed})
        return {
            name: TableChange(
                added=tuple(added[name]),
                removed=tuple(self.removed[name]),
                rows_added=self.rows_added[name],
                rows_removed=self.rows_removed[name],
                schema_id=schema_id(stored_schema(get_table(name))) if added[name] else None,
            )
            for name in names
        }


class LoadTransaction:
    """One load in progress; see the module docstring. Use it as a context manager."""

    def __init__(
        self,
        *,
        root: Path,
        log: CommitLog,
        state: LogState,
        lock: WriterLock,
        source: str,
        files: Sequence[SourceFile],
    ) -> None:
        self.load_id = new_load_id()
        self.source = source
        self.files = tuple(files)
        #: The lake as this load sees it (the latest version when the lock was taken).
        self.snapshot = state.snapshot(root, TABLES)
        self._root = root
        self._log = log
        self._state = state
        self._lock = lock
        self._staging = Staging(root, self.load_id)
        self._appends = AppendBuffer(self._staging)
        self._appended: Counter[str] = Counter()
        self._replacements: list[tuple[TableDef, pa.Table]] = []
        self._upserts: defaultdict[str, list[tuple[pa.Table, MergeMode]]] = defaultdict(list)
        self._written: list[StagedFile] = []
        self._closed = False

    def __enter__(self) -> LoadTransaction:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.abort()

    def append(self, table: str, rows: pa.Table) -> None:
        """Add fact ``rows`` to ``table`` (columns as in :func:`newretail.lake.rows.conform`).

        Rows may carry ``_line`` (their line in the source file); ``_load_id`` is set here.
        """
        definition = self._table(table, "append", "fact")
        if rows.num_rows == 0:
            return
        assert definition.partition is not None  # every fact table has one (TableDef checks)
        conformed = conform(definition, rows, load_id=self.load_id)
        self._appends.add(definition.name, conformed, partition=definition.partition)
        self._appended[definition.name] += rows.num_rows

    def replace(self, table: str, scope: pa.Table) -> None:
        """At commit, remove ``table``'s rows loaded by this load's source that match ``scope``.

        A row matches when its values on ``scope``'s columns equal one row of ``scope`` (nulls
        match nothing). Rows of other sources are never touched; when ``scope`` holds the
        partition date, only those days' files are read.
        """
        definition = self._table(table, "replace", None)
        if scope.num_rows:
            self._replacements.append((definition, _cast_scope(definition, scope)))

    def upsert(self, table: str, rows: pa.Table, *, mode: MergeMode = "upsert") -> None:
        """At commit, merge dimension ``rows`` into ``table`` by its key.

        ``upsert``: new values win, but a null never overwrites a known value;
        ``insert_missing``: only keys not yet present are added.
        """
        definition = self._table(table, "upsert", "dimension")
        if mode not in ("upsert", "insert_missing"):
            raise LakeError(
                f"unknown merge mode {mode!r}",
                key="lake.bad_argument",
                name="mode",
                reason=repr(mode),
            )
        if rows.num_rows:
            conformed = conform(definition, rows, load_id=self.load_id)
            self._upserts[definition.name].append((conformed, mode))

    def commit(
        self,
        *,
        period: tuple[date, date] | None,
        rows_read: int,
        rows_loaded: int,
        rows_quarantined: int,
        quarantine_reasons: Mapping[str, int],
        kind: LoadKind = "load",
        note: str = "",
    ) -> LoadRecord:
        """Make the load visible and record it; the committed :class:`LoadRecord`.

        A load that changed nothing is still recorded, so its source files are recognised
        when offered again. The lock is released whatever happens.
        """
        self._check_open()
        _check_counts(period, kind, rows_read, rows_loaded, rows_quarantined, quarantine_reasons)
        try:
            changes = self._prepare()
            self._staging.publish(self._written)
            record = self._publish(
                LoadRecord(
                    version=self._state.version + 1,
                    load_id=self.load_id,
                    source=self.source,
                    committed_at=datetime.now(UTC),
                    files=self.files,
                    period=period,
                    tables=changes.tables(),
                    rows_read=rows_read,
                    rows_loaded=rows_loaded,
                    rows_quarantined=rows_quarantined,
                    quarantine_reasons=dict(quarantine_reasons),
                    kind=kind,
                    note=note,
                )
            )
        except BaseException:
            self.abort()
            raise
        self._written = []
        self._appends.keep()
        self.abort()  # the record is out: this only clears staging and releases the lock
        return record

    def abort(self) -> None:
        """Abandon the load (a no-op once committed or abandoned): nothing becomes visible."""
        if self._closed:
            return
        self._closed = True
        try:
            self._appends.abandon()
            for staged in self._written:  # moved into place but never recorded
                staged.staged.unlink(missing_ok=True)
            self._staging.discard()
        finally:
            self._lock.release()

    def _prepare(self) -> _Changes:
        changes = _Changes(self._root, self._state)
        for staged in self._appends.close():
            changes.add(staged)
        changes.rows_added.update(self._appended)
        for definition, scope in self._replacements:
            self._apply_replace(changes, definition, scope)
        for name, calls in self._upserts.items():
            self._apply_upsert(changes, get_table(name), calls)
        self._written = list(changes.new.values())
        return changes

    def _apply_replace(self, changes: _Changes, table: TableDef, scope: pa.Table) -> None:
        ours = {r.load_id for r in self._state.records if r.source == self.source}
        if not ours:
            return  # nothing of this source in the lake yet
        days = _scope_days(table, scope)
        load_ids = pa.array(sorted(ours), pa.string())
        for relpath, origin in list(changes.live.get(table.name, {}).items()):
            if days is not None and partition_of(relpath) not in days:
                continue
            # a fact file only ever holds rows of the source whose load wrote it
            if table.kind == "fact" and origin not in ours and origin != self.load_id:
                continue
            path = changes.path(relpath)
            if not may_hold(path, scope, skip=table.partition):
                continue  # its statistics exclude every scope value: another store's file
            rows = read_files([path], stored_schema(table))
            mask = pc.and_(
                rows_in_scope(rows, scope), pc.is_in(rows.column(LOAD_ID_COLUMN), load_ids)
            )
            matched = pc.sum(mask).as_py() or 0
            if not matched:
                continue
            changes.remove(table.name, relpath)
            kept = rows.filter(pc.invert(mask))
            if kept.num_rows:
                folder = str(PurePosixPath(relpath).parent)
                changes.add(self._staging.write(table.name, folder, kept), origin=self.load_id)
            changes.rows_removed[table.name] += matched

    def _apply_upsert(
        self, changes: _Changes, table: TableDef, calls: list[tuple[pa.Table, MergeMode]]
    ) -> None:
        relpaths = list(changes.live.get(table.name, {}))
        current = read_files([changes.path(p) for p in relpaths], stored_schema(table))
        merged = current
        for rows, mode in _same_mode_runs(calls):
            merged = merge_dimension(merged, rows, key=table.key, mode=mode)
        ours = pc.sum(pc.equal(merged.column(LOAD_ID_COLUMN), self.load_id)).as_py() or 0
        if not ours:
            return
        for relpath in relpaths:
            changes.remove(table.name, relpath)
        changes.add(self._staging.write(table.name, table.name, merged), origin=self.load_id)
        changes.rows_added[table.name] += ours
        # every row of this load either is a new key or replaced a previous version
        changes.rows_removed[table.name] += ours - (merged.num_rows - current.num_rows)

    def _publish(self, record: LoadRecord) -> LoadRecord:
        state = self._state
        while not self._log.append(record):
            newer = self._log.read_after(state.version)
            self._check_no_conflict(newer)
            state = state.extended(newer)
            record = dataclasses.replace(
                record, version=state.version + 1, committed_at=datetime.now(UTC)
            )
        return record

    def _check_no_conflict(self, newer: list[LoadRecord]) -> None:
        # Only a writer bypassing the lock gets here. Appends commute with anything; a
        # replacement or merge computed against an older version must be redone.
        recomputed = {t.name for t, _ in self._replacements} | set(self._upserts)
        for record in newer:
            if recomputed & set(record.tables):
                raise LakeError(
                    f"load {self.load_id} conflicts with load {record.load_id}",
                    key="lake.conflict",
                    load_id=self.load_id,
                    other=record.load_id,
                )

    def _table(
        self, name: str, operation: str, kind: Literal["fact", "dimension"] | None
    ) -> TableDef:
        self._check_open()
        definition = get_table(name)
        if kind is not None and definition.kind != kind:
            raise LakeError(
                f"{operation} applies to {kind} tables; {name!r} is a {definition.kind} table",
                key="lake.wrong_kind",
                operation=operation,
                expected=kind,
                table=name,
                kind=definition.kind,
            )
        return definition

    def _check_open(self) -> None:
        if self._closed:
            raise LakeError(
                f"load {self.load_id} is already closed",
                key="lake.transaction_closed",
                load_id=self.load_id,
            )


def _same_mode_runs(calls: list[tuple[pa.Table, MergeMode]]) -> list[tuple[pa.Table, MergeMode]]:
    """Consecutive calls of one mode as one call with their rows in order.

    :func:`merge_dimension` applies the rows of one call in order, as if merged one at a
    time, so the result is the same; a load that adds keys chunk by chunk (unknown SKUs
    created as they come) then costs one merge, not one per chunk.
    """
    runs: list[tuple[list[pa.Table], MergeMode]] = []
    for rows, mode in calls:
        if runs and runs[-1][1] == mode:
            runs[-1][0].append(rows)
        else:
            runs.append(([rows], mode))
    return [(pa.concat_tables(parts), mode) for parts, mode in runs]


def _cast_scope(table: TableDef, scope: pa.Table) -> pa.Table:
    columns = []
    for name in scope.column_names:
        if name not in table.by_column:
            raise LakeError(
                f"table {table.name!r} has no column {name!r}",
                key="lake.unknown_column",
                table=table.name,
                column=name,
            )
        target = table.by_column[name].arrow_type
        try:
            columns.append(scope.column(name).cast(target, safe=True))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise LakeError(
                f"{table.name}.{name} should be {target}",
                key="lake.bad_type",
                table=table.name,
                column=name,
                expected=str(target),
                actual=str(scope.column(name).type),
                reason=str(exc),
            ) from None
    return pa.table(columns, names=scope.column_names)


def _scope_days(table: TableDef, scope: pa.Table) -> set[date] | None:
    if table.partition is None or table.partition not in scope.column_names:
        return None
    return {d for d in pc.unique(scope.column(table.partition)).to_pylist() if d is not None}


def _check_counts(
    period: tuple[date, date] | None,
    kind: str,
    rows_read: int,
    rows_loaded: int,
    rows_quarantined: int,
    reasons: Mapping[str, int],
) -> None:
    problems = []
    if kind not in LOAD_KINDS:
        problems.append(("kind", f"{kind!r} is not one of {', '.join(LOAD_KINDS)}"))
    if period is not None and period[0] > period[1]:
        problems.append(("period", f"{period[0]} is after {period[1]}"))
    counts = {
        "rows_read": rows_read,
        "rows_loaded": rows_loaded,
        "rows_quarantined": rows_quarantined,
    }
    counts.update({f"quarantine_reasons[{k}]": v for k, v in reasons.items()})
    problems += [(n, f"{v!r} is not a count") for n, v in counts.items() if v < 0]
    if problems:
        name, detail = problems[0]
        raise LakeError(
            f"invalid {name}: {detail}", key="lake.bad_argument", name=name, reason=detail
        )
