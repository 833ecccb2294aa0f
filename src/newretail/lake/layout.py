"""Where things live in the lake, and the schema of a stored file.

Under the lake root::

    <table>/date=YYYY-MM-DD/part-<load_id>-<n>.parquet   fact files (one business day each)
    <table>/part-<load_id>-<n>.parquet                   dimension files
    _log/<version:012d>.json                            the commit log (load manifest)
    _staging/<load_id>/                                 files of a load not yet committed
    _lock                                               the writer lock

File names are unique (the load id is in them) and a file is never modified once written, so a
reader holding an older snapshot can keep reading while a newer load commits.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path, PurePosixPath

import pyarrow as pa
import pyarrow.dataset as ds

from newretail.schema import TableDef

#: Column of every stored row naming the load that wrote it.
LOAD_ID_COLUMN = "_load_id"
#: Column of every stored row giving its line in the source file (null when not from a file).
LINE_COLUMN = "_line"
LINEAGE_FIELDS = (
    pa.field(LOAD_ID_COLUMN, pa.string(), nullable=False),
    pa.field(LINE_COLUMN, pa.int64()),
)

LOG_DIR = "_log"
STAGING_DIR = "_staging"
LOCK_FILE = "_lock"
PARTITION_PREFIX = "date="


def stored_schema(table: TableDef) -> pa.Schema:
    """The Arrow schema of a stored file: the table's columns, then ``_load_id`` and ``_line``."""
    return pa.schema([*table.arrow_schema, *LINEAGE_FIELDS])


def schema_id(schema: pa.Schema) -> str:
    """A short fingerprint of ``schema`` (names, types, nullability), recorded per written file.

    Readers use it to know whether every file of a table still has the current layout, or
    whether files written before a schema change need their columns matched by name.
    """
    text = "|".join(f"{f.name}:{f.type}:{int(f.nullable)}" for f in schema)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def new_load_id(now: datetime | None = None) -> str:
    """A unique load id that sorts by start time, e.g. ``20250301T083012123456-9f3a1c2e``."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return f"{moment:%Y%m%dT%H%M%S%f}-{secrets.token_hex(4)}"


def data_dir(table: str, day: date | None) -> str:
    """The folder (relative to the lake root) of ``table``'s files for ``day`` (None: dimension)."""
    if day is None:
        return table
    return f"{table}/{PARTITION_PREFIX}{day.isoformat()}"


def data_file(folder: str, load_id: str, number: int) -> str:
    """The relative path of the ``number``-th file written by ``load_id`` into ``folder``."""
    return f"{folder}/part-{load_id}-{number}.parquet"


def partition_of(path: str | Path) -> date | None:
    """The business day of a fact file from its path, relative or not (None: a dimension)."""
    folder = PurePosixPath(path).parent.name
    if folder.startswith(PARTITION_PREFIX):
        return date.fromisoformat(folder[len(PARTITION_PREFIX) :])
    return None


def fsync_file(path: Path) -> None:
    """Flush ``path``'s contents to disk (so a rename after it never exposes a torn file)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_all(paths: Iterable[Path], *, directories: bool = False) -> None:
    """Sync many files (or folders) at once: fsync releases the GIL and the file system
    commits concurrent syncs together, so a load of hundreds of daily files is not paced by
    one disk flush after another."""
    sync = fsync_dir if directories else fsync_file
    todo = list(paths)
    if len(todo) < 4:
        for path in todo:
            sync(path)
        return
    with ThreadPoolExecutor(max_workers=min(16, len(todo))) as pool:
        list(pool.map(sync, todo))  # consumed so that a failed sync raises here


def fsync_dir(path: Path) -> None:
    """Flush ``path``'s directory entries to disk (renames, links and new files in it)."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def make_dirs(root: Path, folder: str) -> Path:
    """Create ``root/folder`` and any missing parents, syncing each parent that gained an entry."""
    target = root / folder
    missing: list[Path] = []
    probe = target
    while not probe.exists():
        missing.append(probe)
        probe = probe.parent
    for created in reversed(missing):
        created.mkdir(exist_ok=True)
        fsync_dir(created.parent)
    return target


def read_files(
    paths: Sequence[Path], schema: pa.Schema, *, columns: Sequence[str] | None = None
) -> pa.Table:
    """The rows of the Parquet ``paths`` in ``schema`` (columns a file lacks read as nulls).

    An empty table with ``schema`` (or its ``columns``) when ``paths`` is empty; a missing
    file raises :class:`FileNotFoundError`.
    """
    names = list(columns) if columns is not None else schema.names
    if not paths:
        return schema.empty_table().select(names)
    dataset = ds.dataset([str(p) for p in paths], schema=schema, format="parquet")
    return dataset.to_table(columns=names)
