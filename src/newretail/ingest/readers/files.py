"""Reading any supported export file: the entry points the loader calls."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

from newretail.core.errors import ConfigError
from newretail.ingest.readers.delimited import CsvOptions, open_csv
from newretail.ingest.readers.detect import detect_format
from newretail.ingest.readers.excel import Sheet, open_excel
from newretail.ingest.readers.jsonl import open_jsonl
from newretail.ingest.readers.model import (
    DEFAULT_CHUNK_ROWS,
    DEFAULT_NULL_VALUES,
    FileReader,
    Format,
    Source,
)
from newretail.ingest.readers.parquet import open_parquet
from newretail.ingest.readers.text import check_encoding

Opener = Callable[[contextlib.ExitStack], Source]


def read_file(
    path: str | Path,
    *,
    format: str | None = None,
    encoding: str = "auto",
    delimiter: str | None = None,
    header_row: int = 1,
    sheet: Sheet | None = None,
    null_values: Sequence[str] = DEFAULT_NULL_VALUES,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
) -> FileReader:
    """Open ``path`` for reading in chunks of at most ``chunk_rows`` rows.

    ``format`` (``csv``/``excel``/``parquet``/``jsonl``) defaults to the file's extension;
    either way the content must match it. ``encoding``, ``delimiter`` (default ``,``, or a
    tab for ``.tsv``) apply to text files, ``header_row`` (1-based) to CSV and Excel,
    ``sheet`` (name or 1-based position; required when a workbook has several) to Excel,
    ``null_values`` to every text column (they become null).

    The file is opened and its header read at once, so file-level problems (missing, empty,
    not the format it claims, undecodable start, repeated column names, unknown sheet) raise
    :class:`InputFileError` here; later ones (an undecodable line further down) raise while
    iterating. The returned :class:`FileReader` has ``header`` (the column names) and yields
    :class:`RawChunk` objects; close it, or use it in a ``with`` block.
    """
    path = Path(path)
    if chunk_rows < 1:
        raise ValueError(f"chunk_rows must be at least 1, got {chunk_rows}")
    if isinstance(header_row, bool) or not isinstance(header_row, int) or header_row < 1:
        raise ConfigError(key="ingest.read.header_row", header_row=header_row)
    encoding = check_encoding(encoding)
    fmt = detect_format(path, format)
    return FileReader(
        path,
        fmt,
        _opener(
            path,
            fmt,
            encoding=encoding,
            delimiter=_delimiter(path, delimiter),
            header_row=header_row,
            sheet=sheet,
            null_values=tuple(null_values),
            chunk_rows=chunk_rows,
        ),
    )


def read_header(
    path: str | Path,
    *,
    format: str | None = None,
    encoding: str = "auto",
    delimiter: str | None = None,
    header_row: int = 1,
    sheet: Sheet | None = None,
    null_values: Sequence[str] = DEFAULT_NULL_VALUES,
) -> list[str]:
    """The column names of ``path`` (same options as :func:`read_file`), without reading
    the rows: CSV reads one block, Excel the header row, Parquet the schema. JSON Lines
    have no header: their keys are those of the first chunk of lines.

    Raises :class:`InputFileError` for the same file-level problems as :func:`read_file`.
    """
    with read_file(
        path,
        format=format,
        encoding=encoding,
        delimiter=delimiter,
        header_row=header_row,
        sheet=sheet,
        null_values=null_values,
    ) as reader:
        return reader.header


def _delimiter(path: Path, delimiter: str | None) -> str:
    if delimiter is None:
        suffixes = [s.lower() for s in path.suffixes]
        return "\t" if ".tsv" in suffixes[-2:] else ","
    if len(delimiter) != 1 or delimiter in '"\r\n':
        raise ConfigError(key="ingest.read.delimiter", delimiter=delimiter)
    return delimiter


def _opener(
    path: Path,
    fmt: Format,
    *,
    encoding: str,
    delimiter: str,
    header_row: int,
    sheet: Sheet | None,
    null_values: tuple[str, ...],
    chunk_rows: int,
) -> Opener:
    if fmt == "csv":
        options = CsvOptions(
            delimiter=delimiter,
            header_row=header_row,
            null_values=null_values,
            chunk_rows=chunk_rows,
        )
        return partial(open_csv, path, encoding=encoding, options=options)
    if fmt == "excel":
        return partial(
            open_excel,
            path,
            sheet=sheet,
            header_row=header_row,
            null_values=null_values,
            chunk_rows=chunk_rows,
        )
    if fmt == "parquet":
        return partial(open_parquet, path, chunk_rows=chunk_rows)
    return partial(
        open_jsonl, path, encoding=encoding, null_values=null_values, chunk_rows=chunk_rows
    )
