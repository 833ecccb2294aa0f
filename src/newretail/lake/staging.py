"""The staging area of one load: files written, synced, then moved into place at commit.

A load writes every file under ``_staging/<load_id>/``; at commit each file is renamed to its
final, unique path. Until the commit record names them, moved files are invisible to readers,
so a load that dies half-way leaves nothing that a reader can see.
"""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
from collections import OrderedDict, defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from newretail.lake.layout import (
    STAGING_DIR,
    data_dir,
    data_file,
    fsync_dir,
    fsync_file,
    make_dirs,
)
from newretail.lake.rows import split_by_partition

COMPRESSION = "zstd"
#: Rows buffered in memory across all tables and days before they are written out.
MAX_BUFFERED_ROWS = 500_000


def max_open_writers() -> int:
    """Staging files a load keeps open at once: a quarter of the process's file limit.

    A load spanning more days than this writes some days as several files.
    """
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return 512
    return max(16, min(512, soft // 4))


@dataclass
class StagedFile:
    """A file written by this load: where it is now, where it goes, how many rows it holds."""

    table: str
    relpath: str
    staged: Path
    rows: int = 0


class Staging:
    """The staging folder of one load, and the files written into it."""

    def __init__(self, root: Path, load_id: str) -> None:
        self.root = root
        self.load_id = load_id
        self.folder = make_dirs(root, f"{STAGING_DIR}/{load_id}")
        self._count = 0

    def new_file(self, table: str, folder: str) -> StagedFile:
        """A fresh staged file of ``table`` bound for ``folder`` (nothing written yet)."""
        self._count += 1
        return StagedFile(
            table, data_file(folder, self.load_id, self._count), self.folder / f"{self._count}"
        )

    def write(self, table: str, folder: str, rows: pa.Table) -> StagedFile:
        """``rows`` written and synced as one staged file bound for ``folder``."""
        staged = self.new_file(table, folder)
        pq.write_table(rows, staged.staged, compression=COMPRESSION)
        fsync_file(staged.staged)
        staged.rows = rows.num_rows
        return staged

    def publish(self, files: list[StagedFile]) -> None:
        """Move ``files`` to their final paths and sync the folders that received them."""
        folders: set[Path] = set()
        for staged in files:
            target = self.root / staged.relpath
            folder = make_dirs(self.root, str(Path(staged.relpath).parent))
            os.replace(staged.staged, target)
            staged.staged = target
            folders.add(folder)
        for folder in folders:
            fsync_dir(folder)

    def discard(self) -> None:
        """Remove the staging folder and everything in it."""
        shutil.rmtree(self.folder, ignore_errors=True)


class AppendBuffer:
    """Fact rows of one load, buffered per table and day, streamed into staged files.

    Memory stays bounded: once more than ``max_rows`` rows are buffered, every buffered day is
    written as a row group of that day's open staging file. A day gets one file per load unless
    more than ``max_open`` days are being written at once.
    """

    def __init__(
        self,
        staging: Staging,
        *,
        max_rows: int = MAX_BUFFERED_ROWS,
        max_open: int | None = None,
    ) -> None:
        self._staging = staging
        self._max_rows = max_rows
        self._max_open = max_open or max_open_writers()
        self._pending: dict[tuple[str, date], list[pa.Table]] = defaultdict(list)
        self._buffered = 0
        self._open: OrderedDict[tuple[str, date], tuple[pq.ParquetWriter, StagedFile]] = (
            OrderedDict()
        )
        self._done: list[StagedFile] = []

    def add(self, table: str, rows: pa.Table, *, partition: str) -> None:
        """Buffer conformed ``rows`` of fact ``table`` split by the date column ``partition``.

        Writes out every buffered day when the buffer is full.
        """
        for day, part in split_by_partition(rows, partition):
            self._pending[(table, day)].append(part)
            self._buffered += part.num_rows
        if self._buffered > self._max_rows:
            self.flush()

    def flush(self) -> None:
        """Write every buffered day to its staging file."""
        for slot, parts in self._pending.items():
            writer, staged = self._writer(slot, parts[0].schema)
            chunk = pa.concat_tables(parts)
            writer.write_table(chunk)
            staged.rows += chunk.num_rows
        self._pending.clear()
        self._buffered = 0

    def close(self) -> list[StagedFile]:
        """Write what is buffered, close and sync every file; the staged files, in order."""
        self.flush()
        while self._open:
            self._close_oldest()
        return self._done

    def abandon(self) -> None:
        """Close open files without syncing (the staging folder is about to be removed)."""
        for writer, _ in self._open.values():
            with contextlib.suppress(OSError, pa.ArrowException):
                writer.close()
        self._open.clear()
        self._pending.clear()

    def _writer(
        self, slot: tuple[str, date], schema: pa.Schema
    ) -> tuple[pq.ParquetWriter, StagedFile]:
        if slot in self._open:
            self._open.move_to_end(slot)
            return self._open[slot]
        if len(self._open) >= self._max_open:
            self._close_oldest()
        staged = self._staging.new_file(slot[0], data_dir(*slot))
        writer = pq.ParquetWriter(staged.staged, schema, compression=COMPRESSION)
        self._open[slot] = (writer, staged)
        return writer, staged

    def _close_oldest(self) -> None:
        _, (writer, staged) = self._open.popitem(last=False)
        writer.close()
        fsync_file(staged.staged)
        self._done.append(staged)
