"""Loading export files into the lake: read → map → validate → quarantine → commit.

Each file is one atomic load. A row is loaded into every table its mapping sends it to, or
quarantined from all of them with every reason found: a row is never half-loaded. Loading the
same file again for the same source changes nothing; a different file for the same source and
scope (see ``replace_scope`` in docs/mappings.md) replaces the rows the earlier one loaded.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from newretail.core.errors import NewretailError
from newretail.core.settings import Settings, get_settings
from newretail.ingest.checks import KeyIndex, References, hash_rows, lake_conflicts
from newretail.ingest.checks import reference_columns as _refs
from newretail.ingest.mapping import Mapping, TableMapping, check_header, load_mapping
from newretail.ingest.quarantine import Problem, QuarantineWriter
from newretail.ingest.readers import Prefetch, RawChunk, file_sha256, read_file, read_header
from newretail.ingest.transform import LINE, TableBatch, transform
from newretail.ingest.validate import PROBLEM_FIELDS
from newretail.lake import Lake, LoadTransaction, Snapshot, SourceFile
from newretail.lake.manifest import LoadKind
from newretail.schema import TABLES

Status = Literal["loaded", "unchanged", "rejected"]
Progress = Callable[[str, int], None]
CHUNK_ROWS = 200_000


@dataclass
class FileReport:
    """What happened to one file."""

    file: str
    status: Status
    sha256: str = ""
    load_id: str | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_skipped: int = 0
    rows_quarantined: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    tables: dict[str, int] = field(default_factory=dict)
    replaced: dict[str, int] = field(default_factory=dict)
    error: NewretailError | None = None
    seconds: float = 0.0
    #: seconds per stage: ``read``, ``transform``, ``checks`` (references and duplicates),
    #: ``quarantine`` and ``lake`` (staging and committing the rows)
    stages: dict[str, float] = field(default_factory=dict)


@dataclass
class LoadReport:
    """What one ``newretail load`` did, file by file."""

    source: str
    files: list[FileReport] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """Non-zero when a file was rejected whole."""
        return 1 if any(f.status == "rejected" for f in self.files) else 0


def load_files(
    paths: Sequence[Path],
    *,
    source: str,
    settings: Settings | None = None,
    sheet: str | None = None,
    on_progress: Progress | None = None,
) -> LoadReport:
    """Load each file of ``paths`` with the mapping ``source`` (a name or a TOML path)."""
    settings = settings or get_settings()
    mapping = load_mapping(source, search_dirs=[settings.home / "mappings"])
    lake = Lake.from_settings(settings)
    report = LoadReport(source=mapping.source.name)
    for path in paths:
        report.files.append(
            load_file(
                Path(path),
                mapping,
                lake=lake,
                settings=settings,
                sheet=sheet,
                on_progress=on_progress,
            )
        )
    return report


def load_file(
    path: Path,
    mapping: Mapping,
    *,
    lake: Lake,
    settings: Settings,
    sheet: str | None = None,
    on_progress: Progress | None = None,
) -> FileReport:
    """Load one file as one atomic load; file-level problems give a ``rejected`` report."""
    started = time.perf_counter()
    name = display_name(path)
    try:
        digest = file_sha256(path)
        if lake.find_load(source=mapping.source.name, sha256=digest) is not None:
            return FileReport(file=name, status="unchanged", sha256=digest)
        src = mapping.source
        chosen_sheet = sheet if sheet is not None else src.sheet
        header = read_header(
            path,
            format=src.format,
            encoding=src.encoding,
            delimiter=src.delimiter,
            header_row=src.header_row,
            sheet=chosen_sheet,
            null_values=tuple(src.null_values),
        )
        check_header(mapping, header, file_name=name)
        source_file = SourceFile(name=name, sha256=digest, size_bytes=path.stat().st_size)
        with lake.begin(source=mapping.source.name, files=[source_file]) as tx:
            run = _FileLoad(mapping, lake, tx, settings=settings, file_name=name)
            try:
                reader = read_file(
                    path,
                    format=src.format,
                    encoding=src.encoding,
                    delimiter=src.delimiter,
                    header_row=src.header_row,
                    sheet=chosen_sheet,
                    null_values=tuple(src.null_values),
                    chunk_rows=CHUNK_ROWS,
                )
                # the next chunk is read while this one is checked
                with Prefetch(reader) as chunks:
                    for chunk in run.timed(chunks):
                        run.process(chunk)
                        if on_progress:
                            on_progress(name, chunk.table.num_rows + len(chunk.issues))
                report = run.finish()
            except BaseException:
                run.quarantine.discard()
                raise
    except NewretailError as exc:
        return FileReport(
            file=name, status="rejected", error=exc, seconds=time.perf_counter() - started
        )
    report.seconds = time.perf_counter() - started
    return report


def display_name(path: Path) -> str:
    """How a file is named in reports and the quarantine: its folder and name, since exports
    of different stores often share a file name (``S001/2024-06.csv``)."""
    parent = path.parent.name
    return f"{parent}/{path.name}" if parent else path.name


class _FileLoad:
    """The state of one file's load between chunks."""

    def __init__(
        self,
        mapping: Mapping,
        lake: Lake,
        tx: LoadTransaction,
        *,
        settings: Settings,
        file_name: str,
        corrects: bool = True,
    ) -> None:
        # ``corrects``: the file is a (possibly corrected) export that replaces what the same
        # source loaded for the same scope. A retry of quarantined rows adds to a load
        # instead, so every key already in the lake is a duplicate for it.
        self.corrects = corrects
        self.mapping = mapping
        self.lake = lake
        self.tx = tx
        self.file_name = file_name
        self.snapshot: Snapshot = lake.snapshot()
        self.references = References(lake, self.snapshot)
        self.sources_by_load = {r.load_id: r.source for r in lake.manifest()}
        self.quarantine = QuarantineWriter(settings.quarantine_dir, tx.load_id)
        self.seen: dict[int, KeyIndex] = {id(entry): KeyIndex() for entry in mapping.tables}
        self.scopes: dict[str, list[pa.Table]] = {}
        self.written: dict[str, int] = {}
        self.rows_read = 0
        self.rows_loaded = 0
        self.rows_skipped = 0
        self.dates: list[tuple[date, date]] = []
        self.stages: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time the block as part of stage ``name``."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.stages[name] = self.stages.get(name, 0.0) + time.perf_counter() - started

    def timed(self, chunks: Iterator[RawChunk]) -> Iterator[RawChunk]:
        """``chunks``, the time spent reading each one counted as the ``read`` stage."""
        while True:
            with self.stage("read"):
                chunk = next(chunks, None)
            if chunk is None:
                return
            yield chunk

    # -- one chunk -------------------------------------------------------------------------

    def process(self, chunk: RawChunk) -> None:
        """Map and check one chunk; stage its good rows, quarantine the others."""
        self.rows_read += chunk.table.num_rows + len(chunk.issues)
        with self.stage("quarantine"):
            self._add_issues(chunk)
        with self.stage("transform"):
            batches = transform(
                self.mapping, chunk.table, lines=chunk.lines, file_name=self.file_name
            )
        with self.stage("checks"):
            state = _ChunkState(chunk.lines)
            problems = [state.mark(b.errors.to_table()) for b in batches]
            entries = [_Entry.of(b, state, self._checked_columns(b.mapping)) for b in batches]
            touched = state.bad.copy()
            for entry in entries:
                touched[entry.positions] = True
            problems += self._reference_problems(entries, state)
            checked, found = self._duplicate_problems(chunk, entries, state)
            problems += found
            settled = [(entry, *entry.settled(state)) for entry in checked]
            for entry, _, hashes in settled:
                self.seen[id(entry.mapping)].add(hashes)
        with self.stage("quarantine"):
            self._quarantine(chunk, problems)
        with self.stage("lake"):
            for entry, rows, _ in settled:
                self._write(rows, entry.mapping)
        self.rows_loaded += int((touched & ~state.bad).sum())
        self.rows_skipped += int((~touched).sum())

    def _add_issues(self, chunk: RawChunk) -> None:
        """Quarantine the rows the reader could not read."""
        self.quarantine.add_problems(
            Problem(
                file=self.file_name,
                line=i.line,
                reason=i.reason,
                detail=i.detail,
                raw=json.dumps({"_text": i.raw}, ensure_ascii=False),
            )
            for i in chunk.issues
        )

    def _reference_problems(self, entries: list[_Entry], state: _ChunkState) -> list[pa.Table]:
        """Reference problems, entry by entry (dimensions first: they make keys known)."""
        problems = []
        for entry in sorted(entries, key=lambda e: e.mapping.table.kind != "dimension"):
            self._collect_scope(entry.batch)
            _, rows = entry.alive(state)
            problems.append(state.mark(self._check_references(entry.batch, rows)))
        return problems

    def _duplicate_problems(
        self, chunk: RawChunk, entries: list[_Entry], state: _ChunkState
    ) -> tuple[list[_Entry], list[pa.Table]]:
        """The entries in the order they were checked for duplicates, and the problems."""
        # entries that may reject rows as duplicates run first; quiet ``distinct`` entries
        # (an order's header taken from its lines) then keep the first row that survived
        checked = sorted(entries, key=lambda e: e.mapping.distinct)
        raw = _raw_hashes(chunk, [e.batch for e in entries])
        problems = []
        for entry in checked:
            alive, rows = entry.alive(state)
            found, keep, hashes = self._check_duplicates(
                entry.mapping, rows, raw=None if raw is None else raw[entry.positions[alive]]
            )
            problems.append(state.mark(found))
            entry.candidates, entry.hashes = np.flatnonzero(alive)[keep], hashes[keep]
        return checked, problems

    def _checked_columns(self, entry: TableMapping) -> set[str]:
        """The columns of ``entry``'s rows that the reference and duplicate checks read."""
        table = entry.table
        names = {LINE, *table.key, *self.mapping.source.replace_scope}
        names.update(column for column, _ in _refs(table))
        if table.partition:
            names.add(table.partition)
        return names

    def _check_references(self, batch: TableBatch, rows: pa.Table) -> pa.Table:
        entry, table = batch.mapping, batch.mapping.table
        if table.kind == "dimension" and rows.num_rows:
            self.references.add(table.name, rows.column(table.key[0]))
        found: list[pa.Table] = []
        for column, dimension in _refs(table):
            if dimension == table.name or column not in rows.column_names:
                continue
            values = rows.column(column)
            missing = self.references.unknown(dimension, values)
            if not missing.any():
                continue
            if dimension in entry.create_missing:
                keys = pc.unique(pc.filter(values, pa.array(missing)))
                self.references.add(dimension, keys)
                bare = pa.table(
                    {
                        TABLES[dimension].key[0]: keys.cast(pa.string()),
                        "_line": pa.nulls(len(keys), pa.int64()),
                    }
                )
                self.tx.upsert(dimension, bare, mode="insert_missing")
                continue
            found.append(
                _problem_table(
                    rows,
                    missing,
                    table=table.name,
                    column=column,
                    reason="ingest.reason.unknown_reference",
                    detail=dimension,
                )
            )
        return _concat(found)

    def _check_duplicates(
        self, entry: TableMapping, rows: pa.Table, *, raw: np.ndarray | None
    ) -> tuple[pa.Table, np.ndarray, np.ndarray]:
        """Problems for duplicated rows, which of ``rows`` to write, and their hashes.

        A ``distinct`` entry keeps the first row of each key quietly (the others are left
        out of the rows to write); any other entry reports repeats as duplicates. With
        ``dedupe = "row"`` a duplicate is a source row identical in every column (``raw``:
        the hashes of the source rows behind ``rows``).
        """
        key = list(entry.table.key)
        by_row = entry.dedupe == "row" and raw is not None
        hashes = raw if by_row and raw is not None else hash_rows(rows, key)
        repeats = self.seen[id(entry)].repeats(hashes)
        if entry.distinct:
            return _concat([]), ~repeats, hashes
        found = [
            _problem_table(
                rows,
                repeats,
                table=entry.table.name,
                column=",".join(key),
                reason="ingest.reason.duplicate_in_file",
            )
        ]
        if entry.table.kind == "fact":
            scope = [c for c in self.mapping.source.replace_scope if c in rows.column_names]
            conflicts = (
                lake_conflicts(
                    self.lake,
                    self.snapshot,
                    entry.table,
                    rows,
                    key=key,
                    scope=scope,
                    source=self.mapping.source.name if self.corrects else "",
                    sources_by_load=self.sources_by_load,
                    hashes=None if by_row else hashes,
                )
                & ~repeats
            )
            found.append(
                _problem_table(
                    rows,
                    conflicts,
                    table=entry.table.name,
                    column=",".join(key),
                    reason="ingest.reason.duplicate_in_lake",
                )
            )
        return _concat(found), np.ones(rows.num_rows, dtype=bool), hashes

    def _collect_scope(self, batch: TableBatch) -> None:
        table = batch.mapping.table
        if table.kind != "fact" or batch.rows.num_rows == 0:
            return
        scope = [c for c in self.mapping.source.replace_scope if c in batch.rows.column_names]
        if scope:
            values = batch.rows.select(scope).group_by(scope).aggregate([])
            self.scopes.setdefault(table.name, []).append(values)
        if table.partition:
            bounds = pc.min_max(batch.rows.column(table.partition))
            self.dates.append((bounds["min"].as_py(), bounds["max"].as_py()))

    def _quarantine(self, chunk: RawChunk, problems: list[pa.Table]) -> None:
        found = _concat(problems)
        if found.num_rows == 0:
            return
        lines = found.column("line").to_numpy(zero_copy_only=False)
        positions = np.searchsorted(chunk.lines, lines)
        raw_rows = chunk.table.take(pa.array(positions)).to_pylist()
        raw = [json.dumps(r, ensure_ascii=False, default=str) for r in raw_rows]
        self.quarantine.add(
            found.append_column("file", pa.array([self.file_name] * found.num_rows)).append_column(
                "raw", pa.array(raw, type=pa.string())
            )
        )

    def _write(self, rows: pa.Table, entry: TableMapping) -> None:
        if rows.num_rows == 0:
            return
        table = entry.table
        if table.kind == "fact":
            self.tx.append(table.name, rows)
        else:
            self.tx.upsert(
                table.name,
                rows,
                mode="insert_missing" if entry.mode == "insert_missing" else "upsert",
            )
        self.written[table.name] = self.written.get(table.name, 0) + rows.num_rows

    # -- end of file -------------------------------------------------------------------------

    def finish(self, *, kind: LoadKind = "load", note: str = "") -> FileReport:
        for table, parts in self.scopes.items() if self.corrects else ():
            scope = pa.concat_tables(parts)
            self.tx.replace(table, scope.group_by(scope.column_names).aggregate([]))
        with self.stage("quarantine"):
            self.quarantine.write()
            quarantined, reasons = self.quarantine.rows, self.quarantine.reasons()
        period: tuple[date, date] | None = None
        if self.dates:
            period = (min(d[0] for d in self.dates), max(d[1] for d in self.dates))
        with self.stage("lake"):
            record = self.tx.commit(
                period=period,
                rows_read=self.rows_read,
                rows_loaded=self.rows_loaded,
                rows_quarantined=quarantined,
                quarantine_reasons=reasons,
                kind=kind,
                note=note,
            )
        replaced = {t: s.rows_removed for t, s in record.tables.items() if s.rows_removed}
        return FileReport(
            file=self.file_name,
            status="loaded",
            sha256=record.files[0].sha256,
            load_id=record.load_id,
            rows_read=self.rows_read,
            rows_loaded=self.rows_loaded,
            rows_skipped=self.rows_skipped,
            rows_quarantined=quarantined,
            reasons=reasons,
            tables=dict(self.written),
            replaced=replaced,
            stages=dict(self.stages),
        )


def _raw_hashes(chunk: RawChunk, batches: list[TableBatch]) -> np.ndarray | None:
    """Hashes of the chunk's source rows, when an entry compares whole rows."""
    if not any(b.mapping.dedupe == "row" for b in batches):
        return None
    return hash_rows(chunk.table, chunk.table.column_names)


def _line_array(rows: pa.Table) -> np.ndarray:
    if rows.num_rows == 0:
        return np.empty(0, dtype=np.int64)
    return np.asarray(rows.column("_line").to_numpy(zero_copy_only=False), dtype=np.int64)


class _ChunkState:
    """Which rows of one chunk are rejected, by position (rows are found by their line)."""

    def __init__(self, lines: np.ndarray) -> None:
        self.lines = np.asarray(lines, dtype=np.int64)
        self.bad = np.zeros(self.lines.size, dtype=bool)

    def positions(self, rows: pa.Table) -> np.ndarray:
        return np.searchsorted(self.lines, _line_array(rows))

    def mark(self, problems: pa.Table) -> pa.Table:
        """Reject the rows ``problems`` name; returns ``problems``."""
        if problems.num_rows:
            lines = np.asarray(
                problems.column("line").to_numpy(zero_copy_only=False), dtype=np.int64
            )
            self.bad[np.searchsorted(self.lines, lines)] = True
        return problems


@dataclass
class _Entry:
    """One entry's rows of one chunk on their way through the checks.

    The checks read a few columns (``narrow``); the wide rows are filtered once, when the
    chunk is settled, instead of after every check.
    """

    batch: TableBatch
    #: the chunk position of each row of ``batch.rows``
    positions: np.ndarray
    narrow: pa.Table
    #: the rows (indexes into ``batch.rows``) that passed the duplicate check, and their hashes
    candidates: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    hashes: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.uint64))

    @classmethod
    def of(cls, batch: TableBatch, state: _ChunkState, columns: set[str]) -> _Entry:
        names = [name for name in batch.rows.column_names if name in columns]
        return cls(batch, state.positions(batch.rows), batch.rows.select(names))

    @property
    def mapping(self) -> TableMapping:
        return self.batch.mapping

    def alive(self, state: _ChunkState) -> tuple[np.ndarray, pa.Table]:
        """Which rows are not rejected yet, and the checked columns of those rows."""
        alive = ~state.bad[self.positions]
        return alive, self.narrow if alive.all() else self.narrow.filter(pa.array(alive))

    def settled(self, state: _ChunkState) -> tuple[pa.Table, np.ndarray]:
        """The rows to write once every check of the chunk has run, and their hashes."""
        kept = ~state.bad[self.positions[self.candidates]]
        rows = self.batch.rows
        if kept.all() and self.candidates.size == rows.num_rows:
            return rows, self.hashes
        chosen = np.zeros(rows.num_rows, dtype=bool)
        chosen[self.candidates[kept]] = True
        return rows.filter(pa.array(chosen)), self.hashes[kept]


PROBLEM_SCHEMA = pa.schema(PROBLEM_FIELDS)


def _problem_table(
    rows: pa.Table,
    mask: np.ndarray,
    *,
    table: str,
    column: str,
    reason: str,
    detail: str | None = None,
) -> pa.Table:
    if not mask.any():
        return PROBLEM_SCHEMA.empty_table()
    picked = rows.filter(pa.array(mask))
    n = picked.num_rows
    first = column.split(",")[0]
    values = (
        picked.column(first).cast(pa.string())
        if first in picked.column_names
        else pa.nulls(n, pa.string())
    )
    return pa.table(
        {
            "line": picked.column("_line"),
            "table": pa.array([table] * n),
            "column": pa.array([column] * n),
            "source": pa.nulls(n, pa.string()),
            "reason": pa.array([reason] * n),
            "value": values,
            "detail": pa.array([detail] * n, pa.string()),
        },
        schema=PROBLEM_SCHEMA,
    )


def _concat(tables: list[pa.Table]) -> pa.Table:
    conformed = [_conform(t) for t in tables if t.num_rows]
    return pa.concat_tables(conformed) if conformed else PROBLEM_SCHEMA.empty_table()


def _conform(table: pa.Table) -> pa.Table:
    return pa.table(
        {
            f.name: (
                table.column(f.name).cast(f.type)
                if f.name in table.column_names
                else pa.nulls(table.num_rows, f.type)
            )
            for f in PROBLEM_SCHEMA
        },
        schema=PROBLEM_SCHEMA,
    )
