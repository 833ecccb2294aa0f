"""CSV (and other delimited text) in chunks, each row with the line where its record starts.

Blocks of about a megabyte are parsed by Arrow's CSV parser, every column as text. A block is
accepted only if its line breaks add up: records + line breaks inside quoted values (of
kept and of skipped records) + blank lines = the block's line breaks. Then each record's
first line follows from running sums. Anything else in a block — a blank line inside a
quoted value, a lone carriage return, a quote left open at the block's end, Arrow refusing
the text — sends that block to Python's ``csv`` module, which is slower but tracks every
line itself. Both parse the same dialect (RFC 4180 quoting; a quote only opens a field at
its start).
"""

from __future__ import annotations

import contextlib
import csv
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from newretail.ingest.readers.detect import open_binary
from newretail.ingest.readers.model import (
    FIELD_COUNT,
    MALFORMED,
    TRUNCATED,
    ChunkBuilder,
    Lines,
    RawChunk,
    RowIssue,
    Source,
    column_names,
    fail,
    issue,
    string_schema,
    string_table,
)
from newretail.ingest.readers.text import MAX_RECORD_BYTES, TextStream

_QUOTE = b'"'
_NO_LINES: Lines = np.empty(0, dtype=np.int64)


@dataclass(frozen=True)
class CsvOptions:
    """How to split the text: the mapping's ``delimiter``, ``header_row``, ``null_values``."""

    delimiter: str = ","
    header_row: int = 1
    null_values: tuple[str, ...] = ()
    chunk_rows: int = 100_000


@dataclass
class _Parsed:
    """One block's rows, their lines and issues; ``carry`` is an unfinished last record."""

    table: pa.Table
    lines: Lines
    issues: list[RowIssue] = field(default_factory=list)
    carry: bytes = b""
    next_line: int = 0


def open_csv(
    path: Path, stack: contextlib.ExitStack, *, encoding: str, options: CsvOptions
) -> Source:
    """Open ``path`` and read its header; the rest is parsed as the chunks are iterated."""
    handle = stack.enter_context(open_binary(path))
    stream = TextStream(path, handle, encoding=encoding)
    blocks = iter(stream)
    names, rest, first_line = _read_header(path, blocks, options)
    parser = _BlockParser(path, names, options)
    return Source(
        header=names, chunks=parser.chunks(rest, first_line, blocks), encoding=stream.encoding
    )


class _LineFeed:
    """The lines of UTF-8 ``data`` for ``csv.reader``, remembering where it has got to."""

    def __init__(self, data: bytes, pos: int = 0) -> None:
        self.data = data
        self.pos = pos
        self.count = 0
        self.exhausted = False

    def __iter__(self) -> _LineFeed:
        return self

    def __next__(self) -> str:
        if self.pos >= len(self.data):
            self.exhausted = True
            raise StopIteration
        end = self.data.find(b"\n", self.pos) + 1 or len(self.data)
        line = self.data[self.pos : end].decode("utf-8")
        self.pos = end
        self.count += 1
        return line

    @property
    def done(self) -> bool:
        """Every line has been handed out."""
        return self.pos >= len(self.data)

    def text(self, start: int, end: int | None = None) -> str:
        return self.data[start:end].decode("utf-8", errors="replace").rstrip("\r\n")


def _read_header(
    path: Path, blocks: Iterator[bytes], options: CsvOptions
) -> tuple[list[str], bytes, int]:
    """(column names, the bytes after the header, the line those bytes start on)."""
    data = b""
    for block in blocks:
        data += block
        found = _parse_header(path, data, options, at_end=False)
        if found is not None:
            return found
    found = _parse_header(path, data, options, at_end=True)
    assert found is not None  # at the end of the file a header is found or an error raised
    return found


def _parse_header(
    path: Path, data: bytes, options: CsvOptions, *, at_end: bool
) -> tuple[list[str], bytes, int] | None:
    pos = 0
    for _ in range(options.header_row - 1):
        pos = data.find(b"\n", pos) + 1
        if not pos:
            break
    if (not pos and options.header_row > 1) or pos >= len(data):
        if not at_end:
            return None
        lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
        raise fail("ingest.read.no_header", path, line=options.header_row, lines=lines)
    feed = _LineFeed(data, pos)
    cells = next(csv.reader(feed, delimiter=options.delimiter), [])
    if feed.exhausted and not at_end:
        return None  # the header record may go on in the next block
    names = column_names(path, cells, line=options.header_row)
    return names, data[feed.pos :], options.header_row + feed.count


def _cut(data: bytes) -> int:
    """Where to end a block of ``data`` (which starts a record and ends with ``\\n``).

    A line break after an even number of quotes is taken for the end of a record; the last
    quarter of the data is searched for one. The block's own checks catch the exceptions
    (a quote inside an unquoted value).
    """
    end = len(data)
    quotes = data.count(_QUOTE)
    pos, floor = end - 1, end - end // 4
    while quotes % 2:
        prev = data.rfind(b"\n", 0, pos)
        if prev < floor:
            return end
        quotes -= data.count(_QUOTE, prev + 1, pos + 1)
        pos = prev
    return pos + 1


class _BlockParser:
    """Parses the blocks of one file into chunks."""

    def __init__(self, path: Path, names: list[str], options: CsvOptions) -> None:
        self.path = path
        self.names = names
        self.options = options
        self.nulls = frozenset(options.null_values)
        # a line no export holds; it must not contain the delimiter
        self._sentinel = "\x00\x01\x00" if options.delimiter not in "\x00\x01" else "\x02\x03\x02"
        self._read_options = pacsv.ReadOptions(column_names=names, use_threads=False)
        self._convert = pacsv.ConvertOptions(
            column_types={name: pa.string() for name in names},
            null_values=list(options.null_values),
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
            check_utf8=False,  # the text stream has decoded every byte already
        )

    def chunks(self, pending: bytes, line: int, blocks: Iterator[bytes]) -> Iterator[RawChunk]:
        """The chunks of the file, from ``pending`` (starting on ``line``) and ``blocks``."""
        builder = ChunkBuilder(string_schema(self.names), self.options.chunk_rows)
        for block in blocks:
            pending += block
            if not pending.endswith(b"\n"):
                continue  # the end of a file without a final line break
            parsed, pending = self._step(pending, _cut(pending), line)
            line = parsed.next_line
            yield from builder.add(parsed.table, parsed.lines, parsed.issues)
        # the end of the file: whole lines, then a last line without its line break
        parsed, pending = self._step(pending, pending.rfind(b"\n") + 1, line)
        yield from builder.add(parsed.table, parsed.lines, parsed.issues)
        if pending:
            parsed = self._slow(pending, parsed.next_line, final=True)
            yield from builder.add(parsed.table, parsed.lines, parsed.issues)
        yield from builder.finish()

    def _step(self, pending: bytes, cut: int, line: int) -> tuple[_Parsed, bytes]:
        """Parse ``pending[:cut]``; what is left to parse: an unfinished record, the rest."""
        if not cut:
            nothing = _Parsed(string_schema(self.names).empty_table(), _NO_LINES, next_line=line)
            return nothing, pending
        parsed = self._parse(pending[:cut], line, final=False)
        pending = parsed.carry + pending[cut:]
        if len(pending) > MAX_RECORD_BYTES:
            raise fail(
                "ingest.read.record_too_long",
                self.path,
                line=parsed.next_line,
                limit_mb=MAX_RECORD_BYTES >> 20,
            )
        return parsed, pending

    def _parse(self, data: bytes, line: int, *, final: bool) -> _Parsed:
        return self._fast(data, line) or self._slow(data, line, final=final)

    # -- Arrow: the common case ------------------------------------------------------------

    def _fast(self, data: bytes, line: int) -> _Parsed | None:
        carriage_returns = data.count(b"\r")
        if carriage_returns and carriage_returns != data.count(b"\r\n"):
            return None  # a lone CR ends a record for Arrow, not a line for us
        parsed = self._arrow(data)
        if parsed is None:
            return None
        table, skipped = parsed
        starts = _record_starts(table, skipped, line, data=data)
        if starts is None:
            return None
        bad = np.zeros(len(starts), dtype=bool)
        bad[[row.number - 1 for row in skipped]] = True
        issues = [
            issue(
                int(starts[row.number - 1]),
                FIELD_COUNT,
                f"expected {row.expected_columns} fields, got {row.actual_columns}",
                row.text,
            )
            for row in skipped
        ]
        return _Parsed(table, starts[~bad], issues, next_line=line + data.count(b"\n"))

    def _arrow(self, body: bytes) -> tuple[pa.Table, list[pacsv.InvalidRow]] | None:
        """Arrow's rows and skipped records of ``body``; None if it ends inside a quote.

        A sentinel line is appended: it comes back as the last record, alone, only if the
        body's last record was closed (a quote left open swallows it).
        """
        skipped: list[pacsv.InvalidRow] = []

        def skip(row: pacsv.InvalidRow) -> str:
            skipped.append(row)
            return "skip"

        parse = pacsv.ParseOptions(
            delimiter=self.options.delimiter, newlines_in_values=True, invalid_row_handler=skip
        )
        try:
            table = pacsv.read_csv(
                pa.py_buffer(body + self._sentinel.encode() + b"\n"),
                read_options=self._read_options,
                parse_options=parse,
                convert_options=self._convert,
            )
        except pa.ArrowInvalid:
            return None
        records = table.num_rows + len(skipped)
        if len(self.names) > 1:  # the sentinel is one field: an invalid record
            closed = bool(skipped) and skipped[-1].text == self._sentinel
            return (table, skipped[:-1]) if closed and skipped[-1].number == records else None
        last = table.num_rows - 1
        if last < 0 or table.column(0)[last].as_py() != self._sentinel:
            return None
        return table.slice(0, last), skipped

    # -- Python's csv: blocks Arrow's line numbers cannot be trusted for ---------------------

    def _slow(self, data: bytes, line: int, *, final: bool) -> _Parsed:
        """Python's csv over ``data``: exact lines, an issue per bad record. A quote still
        open at the end is carried to the next block, or at the end of the file an issue."""
        if csv.field_size_limit() < MAX_RECORD_BYTES:
            csv.field_size_limit(MAX_RECORD_BYTES)  # the default (128 KB) rejects long notes
        cut_short = final and not data.endswith(b"\n")
        feed = _LineFeed(data + b"\n" if cut_short else data)
        rows: list[list[str]] = []
        lines: list[int] = []
        issues: list[RowIssue] = []
        carry, next_line = b"", line + data.count(b"\n")
        for start, start_line, record in self._records(feed, line):
            if feed.exhausted:  # the record ran into the end of the data inside a quote
                if not final:
                    carry, next_line = data[start:], start_line
                else:
                    issues.append(
                        issue(start_line, TRUNCATED, "a quote is not closed", feed.text(start))
                    )
                break
            raw = feed.text(start, feed.pos)
            found = self._check(record, start_line, raw, at_cut=cut_short and feed.done)
            if isinstance(found, RowIssue):
                issues.append(found)
            elif found:
                rows.append(found)
                lines.append(start_line)
        table = string_table(self.names, self._columns(rows))
        lines_array = np.array(lines, dtype=np.int64)
        return _Parsed(table, lines_array, issues, carry=carry, next_line=next_line)

    def _records(
        self, feed: _LineFeed, line: int
    ) -> Iterator[tuple[int, int, list[str] | csv.Error]]:
        """(byte offset, line, fields or the parse error) of each record in ``feed``."""
        reader = csv.reader(feed, delimiter=self.options.delimiter, strict=False)
        while True:
            start, start_line = feed.pos, line + feed.count
            try:
                record: list[str] | csv.Error = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                record = exc
            yield start, start_line, record

    def _check(
        self, record: list[str] | csv.Error, line: int, raw: str, *, at_cut: bool
    ) -> list[str] | RowIssue:
        """The record, or the issue that keeps it out; a blank line gives ``[]``."""
        if isinstance(record, csv.Error):
            return issue(line, MALFORMED, str(record), raw)
        expected = len(self.names)
        if not record or len(record) == expected:
            return record
        detail = f"expected {expected} fields, got {len(record)}"
        reason = TRUNCATED if at_cut and len(record) < expected else FIELD_COUNT
        return issue(line, reason, detail, raw)

    def _columns(self, rows: list[list[str]]) -> list[list[str | None]]:
        nulls = self.nulls
        return [[None if v in nulls else v for v in column] for column in zip(*rows, strict=True)]


def _record_starts(
    table: pa.Table, skipped: Sequence[pacsv.InvalidRow], line: int, *, data: bytes
) -> Lines | None:
    """The first line of each record (kept or skipped, in order), or None if the line
    breaks of ``data`` are not all accounted for by records, quoted values and blank lines.
    """
    breaks = data.count(b"\n")
    records = table.num_rows + len(skipped)
    if records == breaks and not skipped:
        return line + np.arange(records, dtype=np.int64)
    numbers = [row.number for row in skipped]
    if any(n is None or not 0 < n <= records for n in numbers):
        return None
    extra = np.zeros(records, dtype=np.int64)
    if records < breaks and _QUOTE in data:
        bad = np.zeros(records, dtype=bool)
        bad[[n - 1 for n in numbers]] = True
        extra[~bad] = _breaks_in_values(table)
        extra[bad] = [row.text.count("\n") for row in skipped]
    blanks = _NO_LINES
    if records + int(extra.sum()) < breaks:
        blanks = _blank_lines(data)
    if records + int(extra.sum()) + len(blanks) != breaks:
        return None
    # a record's line without the blank lines, then moved down past the blanks above it
    packed = np.arange(records, dtype=np.int64) + np.cumsum(extra) - extra
    blanks_above = np.searchsorted(blanks - np.arange(len(blanks)), packed, side="right")
    starts: Lines = line + packed + blanks_above
    return starts


def _blank_lines(data: bytes) -> Lines:
    """The 0-based indexes of the empty lines of ``data`` (which ends with a line break)."""
    raw = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(raw == ord("\n"))
    starts = np.concatenate(([0], ends[:-1] + 1))
    length = ends - starts
    blank = (length == 0) | ((length == 1) & (raw[starts] == ord("\r")))
    found: Lines = np.flatnonzero(blank).astype(np.int64)
    return found


def _breaks_in_values(table: pa.Table) -> np.ndarray:
    """Per row, the line breaks inside its (quoted) values."""
    total = np.zeros(table.num_rows, dtype=np.int64)
    for column in table.columns:
        counts = pc.fill_null(pc.count_substring(column, "\n"), 0)
        total += counts.to_numpy().astype(np.int64)
    return total
