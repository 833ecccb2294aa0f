"""JSON Lines (one JSON object per line), as text columns.

Each key becomes a column, in the order keys are first seen; a chunk holds every key seen
so far (a key a line lacks is null there). Scalars become their JSON text (``true``,
``12.5``), nested objects and arrays their compact JSON.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from newretail.ingest.readers.detect import open_binary
from newretail.ingest.readers.model import (
    BAD_JSON,
    RawChunk,
    RowIssue,
    Source,
    issue,
    string_table,
)
from newretail.ingest.readers.text import TextStream

Row = dict[str, str | None]


def open_jsonl(
    path: Path,
    stack: contextlib.ExitStack,
    *,
    encoding: str,
    null_values: Sequence[str],
    chunk_rows: int,
) -> Source:
    """Open ``path`` and read its first chunk: the header is the keys seen in it."""
    handle = stack.enter_context(open_binary(path))
    stream = TextStream(path, handle, encoding=encoding)
    reader = _JsonLines(null_values=null_values, chunk_rows=chunk_rows)
    chunks = reader.chunks(iter(stream))
    first = next(chunks, None)
    return Source(
        header=list(reader.keys), chunks=_prepend(first, chunks), encoding=stream.encoding
    )


def _prepend(first: RawChunk | None, rest: Iterator[RawChunk]) -> Iterator[RawChunk]:
    if first is not None:
        yield first
    yield from rest


class _JsonLines:
    """Parses lines into rows and groups them into chunks."""

    def __init__(self, *, null_values: Sequence[str], chunk_rows: int) -> None:
        self.nulls = frozenset(null_values)
        self.chunk_rows = chunk_rows
        self.keys: dict[str, None] = {}  # insertion-ordered set
        self._rows: list[Row] = []
        self._lines: list[int] = []
        self._issues: list[RowIssue] = []

    def chunks(self, blocks: Iterator[bytes]) -> Iterator[RawChunk]:
        line = 1
        for block in blocks:
            parts = block.split(b"\n")
            if block.endswith(b"\n"):
                parts.pop()
            for part in parts:
                self._take(part, line)
                line += 1
                if len(self._rows) >= self.chunk_rows:
                    yield self._chunk()
        if self._rows or self._issues:
            yield self._chunk()

    def _take(self, part: bytes, line: int) -> None:
        text = part.strip()
        if not text:
            return
        try:
            value = json.loads(text)
        except ValueError as exc:
            detail = str(exc)  # "Expecting ',' delimiter: line 1 column 17 (char 16)"
            self._issues.append(issue(line, BAD_JSON, detail, _raw(part)))
            return
        if not isinstance(value, dict):
            detail = f"a JSON {type(value).__name__} instead of an object"
            self._issues.append(issue(line, BAD_JSON, detail, _raw(part)))
            return
        if not value:
            return  # {} is an empty row, skipped like a blank line
        for key in value:
            self.keys.setdefault(key)
        self._rows.append({key: self._text(v) for key, v in value.items()})
        self._lines.append(line)

    def _text(self, value: Any) -> str | None:
        if value is None:
            return None
        if isinstance(value, str):
            text = value
        elif isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, int | float):
            text = repr(value)
        else:
            text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        return None if text in self.nulls else text

    def _chunk(self) -> RawChunk:
        names = list(self.keys)
        columns = [[row.get(name) for row in self._rows] for name in names]
        chunk = RawChunk(
            table=string_table(names, columns),
            lines=np.array(self._lines, dtype=np.int64),
            issues=tuple(self._issues),
        )
        self._rows, self._lines, self._issues = [], [], []
        return chunk


def _raw(part: bytes) -> str:
    return part.decode("utf-8", errors="replace").rstrip("\r")
