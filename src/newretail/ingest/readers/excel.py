"""Excel workbooks (.xlsx, .xlsm), one sheet, streamed row by row.

Cells become the text a person sees in Excel: ``12`` not ``12.0``, dates as ``2024-01-05``,
date-times as ``2024-01-05 08:30:00``, booleans as ``true``/``false``. Formulas give their
last computed value. Line numbers are the sheet's row numbers; fully empty rows are skipped.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import warnings
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

import numpy as np
import openpyxl
from openpyxl.utils.exceptions import InvalidFileException

from newretail.core.errors import InputFileError
from newretail.ingest.readers.model import (
    FIELD_COUNT,
    RawChunk,
    RowIssue,
    Source,
    column_names,
    fail,
    issue,
    string_table,
)

Sheet = str | int
# what openpyxl raises on a damaged or foreign workbook
_BROKEN = (
    zipfile.BadZipFile,
    InvalidFileException,
    ParseError,
    KeyError,
    ValueError,
    TypeError,
    OSError,
)
Cell = str | None
# doubles hold every integer up to 2**53 exactly: such a float is shown as an integer
_EXACT = 2.0**53


def open_excel(
    path: Path,
    stack: contextlib.ExitStack,
    *,
    sheet: Sheet | None,
    header_row: int,
    null_values: Sequence[str],
    chunk_rows: int,
) -> Source:
    """Open the workbook, choose the sheet and read its header row."""
    handle = stack.enter_context(path.open("rb"))
    try:
        with warnings.catch_warnings():
            # openpyxl warns about workbook features it drops (styles, extensions): not ours
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(handle, read_only=True, data_only=True)
    except _BROKEN as exc:
        raise _corrupt(path, exc) from None
    stack.callback(book.close)
    worksheet = _choose_sheet(path, book, sheet)
    worksheet.reset_dimensions()  # some writers record a wrong size; read every row there is
    rows = _Guarded(path, worksheet.iter_rows(values_only=True))
    names = _header(path, rows, header_row)
    reader = _SheetRows(path, names, null_values=null_values, chunk_rows=chunk_rows)
    return Source(
        header=names, chunks=reader.chunks(rows, first_line=header_row + 1), sheet=worksheet.title
    )


def _corrupt(path: Path, exc: BaseException) -> InputFileError:
    return fail("ingest.read.corrupt", path, format="Excel .xlsx", detail=str(exc) or repr(exc))


class _Guarded(Iterator[tuple[Any, ...]]):
    """Sheet rows; a damaged sheet raises a file error instead of openpyxl's own."""

    def __init__(self, path: Path, rows: Iterator[tuple[Any, ...]]) -> None:
        self.path = path
        self.rows = rows

    def __next__(self) -> tuple[Any, ...]:
        try:
            return next(self.rows)
        except _BROKEN as exc:
            raise _corrupt(self.path, exc) from None


def _choose_sheet(path: Path, book: Any, sheet: Sheet | None) -> Any:
    sheets = list(book.worksheets)
    titles = [ws.title for ws in sheets]
    listed = ", ".join(f"'{title}'" for title in titles)
    if not sheets:
        raise fail("ingest.read.no_sheets", path)
    if sheet is None:
        if len(sheets) > 1:
            raise fail("ingest.read.several_sheets", path, sheets=listed)
        return sheets[0]
    if isinstance(sheet, str) and sheet in titles:
        return sheets[titles.index(sheet)]
    if isinstance(sheet, str) and sheet.strip() in titles:
        return sheets[titles.index(sheet.strip())]
    position = sheet if isinstance(sheet, int) else _as_position(sheet)
    if position is not None and 1 <= position <= len(sheets) and not isinstance(position, bool):
        return sheets[position - 1]
    raise fail("ingest.read.unknown_sheet", path, sheet=repr(sheet), sheets=listed)


def _as_position(sheet: str) -> int | None:
    text = sheet.strip()
    return int(text) if text.isdigit() else None


def _header(path: Path, rows: Iterator[tuple[Any, ...]], header_row: int) -> list[str]:
    seen = 0
    for seen, row in enumerate(_quiet(rows), start=1):
        if seen == header_row:
            cells = [cell_text(value) for value in row]
            while cells and not (cells[-1] or "").strip():
                cells.pop()
            return column_names(path, cells, line=header_row)
    raise fail("ingest.read.no_header", path, line=header_row, lines=seen)


def _quiet(rows: Iterator[tuple[Any, ...]], limit: int | None = None) -> Iterator[tuple[Any, ...]]:
    """Up to ``limit`` rows, openpyxl's warnings silenced while they are parsed."""
    taken = 0
    while limit is None or taken < limit:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            row = next(rows, None)
        if row is None:
            return
        taken += 1
        yield row


class _SheetRows:
    """Turns sheet rows into chunks of text columns."""

    def __init__(
        self, path: Path, names: list[str], *, null_values: Sequence[str], chunk_rows: int
    ) -> None:
        self.path = path
        self.names = names
        self.nulls = frozenset(null_values)
        self.chunk_rows = chunk_rows

    def chunks(self, rows: Iterator[tuple[Any, ...]], *, first_line: int) -> Iterator[RawChunk]:
        line = first_line
        while True:
            batch = list(_quiet(rows, self.chunk_rows))
            if not batch:
                return
            kept: list[list[Cell]] = []
            lines: list[int] = []
            issues: list[RowIssue] = []
            for row in batch:
                found = self._row(row, line)
                if isinstance(found, RowIssue):
                    issues.append(found)
                elif found is not None:
                    kept.append(found)
                    lines.append(line)
                line += 1
            if kept or issues:
                columns = [list(column) for column in zip(*kept, strict=True)]
                yield RawChunk(
                    table=string_table(self.names, columns),
                    lines=np.array(lines, dtype=np.int64),
                    issues=tuple(issues),
                )

    def _row(self, row: tuple[Any, ...], line: int) -> list[Cell] | RowIssue | None:
        """The row's cells, an issue, or None for a fully empty row."""
        cells = [cell_text(value) for value in row]
        filled = [i for i, cell in enumerate(cells) if cell is not None and cell.strip()]
        if not filled:
            return None
        width = len(self.names)
        if filled[-1] >= width:
            raw = "\t".join(cell or "" for cell in cells[: filled[-1] + 1])
            detail = f"expected {width} fields, got {filled[-1] + 1}"
            return issue(line, FIELD_COUNT, detail, raw)
        cells = (cells + [None] * width)[:width]
        return [None if cell in self.nulls else cell for cell in cells]


def cell_text(value: Any) -> str | None:
    """A cell's value as the text a person sees (None for an empty cell)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _number_text(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec=_timespec(value.microsecond))
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat(timespec=_timespec(value.microsecond))
    return str(value)


def _number_text(value: float) -> str:
    if value.is_integer() and abs(value) < _EXACT:
        return str(int(value))
    if not math.isfinite(value):
        return str(value)
    return f"{value:.15g}"  # Excel shows 15 significant digits: 0.1 + 0.2 is 0.3 there


def _timespec(microsecond: int) -> str:
    return "seconds" if microsecond == 0 else "milliseconds"
