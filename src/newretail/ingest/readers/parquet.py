"""Parquet files, read batch by batch with their own column types."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from newretail.core.errors import InputFileError
from newretail.ingest.readers.model import RawChunk, Source, fail, unique_names


def open_parquet(path: Path, stack: contextlib.ExitStack, *, chunk_rows: int) -> Source:
    """Open ``path`` and read its schema; a damaged file raises :class:`InputFileError`.

    Chunks keep the file's types (no text conversion); a row's line is its index + 1.
    """
    handle = stack.enter_context(path.open("rb"))
    try:
        parquet = pq.ParquetFile(handle)
    except (pa.ArrowException, OSError) as exc:
        raise _corrupt(path, exc) from None
    names = unique_names(path, parquet.schema_arrow.names, line=1)
    return Source(header=names, chunks=_chunks(path, parquet, chunk_rows))


def _chunks(path: Path, parquet: pq.ParquetFile, chunk_rows: int) -> Iterator[RawChunk]:
    batches = parquet.iter_batches(batch_size=chunk_rows)
    start = 1
    while True:
        try:
            batch = next(batches, None)
        except (pa.ArrowException, OSError) as exc:
            raise _corrupt(path, exc) from None
        if batch is None:
            return
        table = pa.Table.from_batches([batch])
        if table.num_rows:
            lines = np.arange(start, start + table.num_rows, dtype=np.int64)
            yield RawChunk(table=table, lines=lines)
        start += table.num_rows


def _corrupt(path: Path, exc: BaseException) -> InputFileError:
    return fail("ingest.read.corrupt", path, format="Parquet", detail=str(exc).strip())
