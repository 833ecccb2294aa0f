"""What every reader hands over: chunks of rows with their lines, and the problems found.

A reader yields :class:`RawChunk` objects: a table of at most ``chunk_rows`` rows, the
1-based physical line of each row in the file, and the :class:`RowIssue` rows that could not
be read (they are not in the table). File-level problems raise :class:`InputFileError`.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from newretail.core.errors import InputFileError

Format = Literal["csv", "excel", "parquet", "jsonl"]
Lines = npt.NDArray[np.int64]

DEFAULT_NULL_VALUES: tuple[str, ...] = ("", "NULL", "null", "NaN", "N/A", "-")
DEFAULT_CHUNK_ROWS = 100_000
#: the raw text kept with a row issue; enough to recognise the line, bounded for huge records
MAX_RAW_CHARS = 2_000

FIELD_COUNT = "ingest.read.field_count"
TRUNCATED = "ingest.read.truncated"
MALFORMED = "ingest.read.malformed"
BAD_JSON = "ingest.read.bad_json"


@dataclass(frozen=True)
class RowIssue:
    """A row the reader could not turn into fields; it is absent from the chunk's table.

    ``reason`` is a message key (``ingest.read.*``), ``detail`` says what was wrong in a few
    words (``expected 8 fields, got 7``), ``raw`` is the line's text as read (capped).
    """

    line: int
    reason: str
    detail: str
    raw: str


@dataclass(frozen=True, eq=False)
class RawChunk:
    """Rows read from a file, in file order.

    ``table``: CSV, Excel and JSON Lines give every column as ``pa.string()`` (null where the
    value is missing or one of the null values); Parquet keeps the file's own types.
    ``lines``: for each row of ``table``, its 1-based physical line (the line where a CSV
    record starts, the sheet row, the JSON line, the Parquet row index + 1), ascending.
    ``issues``: rows found unreadable while this chunk was read (not tied to its rows).
    """

    table: pa.Table
    lines: Lines
    issues: tuple[RowIssue, ...] = ()

    @property
    def num_rows(self) -> int:
        return int(self.table.num_rows)


@dataclass
class Source:
    """An opened file: its header, the chunk iterator, and how it was read."""

    header: list[str]
    chunks: Iterator[RawChunk]
    encoding: str | None = None
    sheet: str | None = None


class FileReader(Iterator[RawChunk]):
    """Iterates the chunks of one file; the header is known before the first chunk is read.

    Use it as a context manager (or exhaust it) so that the file is closed.
    """

    def __init__(
        self, path: Path, format: Format, opener: Callable[[contextlib.ExitStack], Source]
    ) -> None:
        self.path = path
        self.format: Format = format
        self._stack = contextlib.ExitStack()
        try:
            source = opener(self._stack)
        except BaseException:
            self._stack.close()
            raise
        #: the column names, in file order (JSON Lines: the keys of the first chunk)
        self.header: list[str] = source.header
        #: the text encoding used (CSV, JSON Lines), e.g. "utf-8-sig" or "gb18030"
        self.encoding = source.encoding
        #: the sheet read (Excel)
        self.sheet = source.sheet
        self._chunks = source.chunks

    def __iter__(self) -> FileReader:
        return self

    def __next__(self) -> RawChunk:
        try:
            return next(self._chunks)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Release the file; further iteration stops."""
        closer = getattr(self._chunks, "close", None)
        if closer is not None:
            closer()
        self._chunks = iter(())
        self._stack.close()

    def __enter__(self) -> FileReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class Prefetch(Iterator[RawChunk]):
    """The chunks of ``chunks``, read ahead by a background thread (at most ``depth`` waiting).

    Decompressing and parsing release the GIL for most of their time, so the next chunk is
    read while the one before is checked. An error of the reader is raised where its chunk
    would have come. Use it in a ``with`` block (or :meth:`close` it): that stops the thread
    and closes the reader.
    """

    def __init__(self, chunks: FileReader, *, depth: int = 1) -> None:
        self._chunks = chunks
        self._queue: queue.Queue[tuple[RawChunk | None, BaseException | None]]
        self._queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._done = False
        self._thread = threading.Thread(target=self._read, name="ingest-read", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            for chunk in self._chunks:
                if not self._put((chunk, None)):
                    return
            self._put((None, None))
        except BaseException as exc:  # handed to the consumer, raised there
            self._put((None, exc))
        finally:
            self._chunks.close()

    def _put(self, item: tuple[RawChunk | None, BaseException | None]) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.05)
            except queue.Full:
                continue
            return True
        return False

    def __iter__(self) -> Prefetch:
        return self

    def __next__(self) -> RawChunk:
        if self._done:
            raise StopIteration
        chunk, error = self._queue.get()
        if chunk is None:
            self._done = True
            if error is not None:
                raise error
            raise StopIteration
        return chunk

    def close(self) -> None:
        """Stop reading ahead and close the reader."""
        self._done = True
        self._stop.set()
        self._thread.join()

    def __enter__(self) -> Prefetch:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def fail(key: str, path: Path, detail: str = "", **params: Any) -> InputFileError:
    """The error for ``key`` about the file ``path`` (raise it); ``detail`` fills ``{detail}``."""
    return InputFileError(detail, key=key, path=str(path), **params)


def issue(line: int, reason: str, detail: str, raw: str) -> RowIssue:
    """A row issue with ``raw`` capped (a runaway quoted record can be megabytes)."""
    if len(raw) > MAX_RAW_CHARS:
        raw = raw[:MAX_RAW_CHARS] + "…"
    return RowIssue(line=line, reason=reason, detail=detail, raw=raw)


def column_names(path: Path, cells: Sequence[str | None], *, line: int) -> list[str]:
    """Header cells as column names: trimmed, a blank one named ``column_<position>``.

    Raises if the header is blank or repeats a name (the mapping could not tell them apart).
    """
    names = [(cell or "").strip() for cell in cells]
    if not any(names):
        raise fail("ingest.read.blank_header", path, line=line)
    names = [name or f"column_{i}" for i, name in enumerate(names, start=1)]
    return unique_names(path, names, line=line)


def unique_names(path: Path, names: Sequence[str], *, line: int) -> list[str]:
    """``names`` as a list; raises naming the ones that occur more than once."""
    repeated = [name for name, count in Counter(names).items() if count > 1]
    if repeated:
        listed = ", ".join(f"'{name}'" for name in repeated)
        raise fail("ingest.read.duplicate_columns", path, line=line, names=listed)
    return list(names)


def string_table(names: Sequence[str], columns: Sequence[Sequence[str | None]]) -> pa.Table:
    """A table of ``pa.string()`` columns named ``names`` (empty columns give zero rows)."""
    arrays = [pa.array(values, type=pa.string()) for values in columns]
    if not arrays:
        arrays = [pa.array([], type=pa.string()) for _ in names]
    return pa.Table.from_arrays(arrays, schema=string_schema(names))


def string_schema(names: Sequence[str]) -> pa.Schema:
    return pa.schema([pa.field(name, pa.string()) for name in names])


@dataclass
class ChunkBuilder:
    """Regroups pieces of rows into chunks of exactly ``chunk_rows`` rows (the last: fewer).

    Issues ride with the next chunk handed out; a file whose only news is issues still gets
    a (zero-row) chunk carrying them.
    """

    schema: pa.Schema
    chunk_rows: int
    _tables: list[pa.Table] = field(default_factory=list)
    _lines: list[Lines] = field(default_factory=list)
    _issues: list[RowIssue] = field(default_factory=list)
    _rows: int = 0

    def add(self, table: pa.Table, lines: Lines, issues: Iterable[RowIssue]) -> Iterator[RawChunk]:
        """Take a piece; yield every chunk that is now full."""
        self._issues.extend(issues)
        if table.num_rows:
            self._tables.append(table)
            self._lines.append(lines)
            self._rows += table.num_rows
        if self._rows >= self.chunk_rows:
            yield from self._flush(final=False)

    def finish(self) -> Iterator[RawChunk]:
        """Yield what is left."""
        yield from self._flush(final=True)

    def _flush(self, *, final: bool) -> Iterator[RawChunk]:
        if not self._rows and not (final and self._issues):
            return
        table = pa.concat_tables(self._tables) if self._tables else self.schema.empty_table()
        lines = np.concatenate(self._lines) if self._lines else np.empty(0, dtype=np.int64)
        start = 0
        while table.num_rows - start >= self.chunk_rows or (final and start < table.num_rows):
            end = min(start + self.chunk_rows, table.num_rows)
            yield self._chunk(table.slice(start, end - start), lines[start:end])
            start = end
        rest = table.num_rows - start
        self._tables = [table.slice(start)] if rest else []
        self._lines = [lines[start:]] if rest else []
        self._rows = rest
        if final and self._issues:
            yield self._chunk(self.schema.empty_table(), np.empty(0, dtype=np.int64))

    def _chunk(self, table: pa.Table, lines: Lines) -> RawChunk:
        issues, self._issues = tuple(self._issues), []
        return RawChunk(
            table=table, lines=np.ascontiguousarray(lines, dtype=np.int64), issues=issues
        )
