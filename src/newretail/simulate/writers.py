"""Writing export files the way source systems write them, a day's rows at a time.

Values are formatted as text column by column with Arrow compute (money as yuan with two
decimals, clock times in local time, kilograms to the gram); a CSV sink appends a day's rows
to its file, writing the header first, in the file's encoding (UTF-8, UTF-8 with a BOM, or
GB18030 as older tills do). JSON Lines are built as one string per row and appended as one
buffer. Nothing here loops over rows in Python.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from newretail.simulate.rng import FloatArray, IntArray

EPOCH = date(1970, 1, 1)


def money_text(fen: IntArray) -> pa.Array:
    """Fen as yuan text with two decimals: 1290 -> "12.90", -5 -> "-0.05"."""
    fen = np.asarray(fen, dtype=np.int64)
    sign = pa.array(np.where(fen < 0, "-", ""))
    whole = pc.cast(pa.array(np.abs(fen) // 100), pa.string())
    cents = pc.utf8_lpad(pc.cast(pa.array(np.abs(fen) % 100), pa.string()), 2, "0")
    return pc.binary_join_element_wise(sign, whole, ".", cents, "")


def quantity_text(quantity: FloatArray, weighed: np.ndarray) -> pa.Array:
    """Pieces as integers ("2"), kilograms to the gram without trailing zeros ("0.532",
    "1.5"); Arrow writes a double in its shortest exact form."""
    rounded = np.where(np.asarray(weighed, dtype=bool), np.round(quantity, 3), np.round(quantity))
    return pc.cast(pa.array(rounded + 0.0), pa.string())


def local_time_text(day_number: IntArray, seconds: IntArray, fmt: str) -> pa.Array:
    """Local clock times as text, from days since 1970-01-01 and seconds since local
    midnight. ``fmt`` is a strftime format whose time part, if any, is ``%H:%M:%S`` at the
    end (optionally followed by a fixed offset such as ``+08:00``).

    Dates are formatted once per distinct day and clock times looked up in a table of the
    86,400 seconds of a day, so a million stamps cost two ``take`` operations.
    """
    days = np.asarray(day_number, dtype=np.int64)
    secs = np.asarray(seconds, dtype=np.int64)
    cut = fmt.find("%H")
    date_fmt = fmt if cut < 0 else fmt[:cut]
    unique, inverse = np.unique(days, return_inverse=True)
    dates = pc.strftime(
        pa.array(unique.astype("datetime64[D]").astype("datetime64[s]")), format=date_fmt
    ).take(pa.array(inverse.ravel()))
    if cut < 0:
        return dates
    suffix = fmt[cut + len("%H:%M:%S") :]
    clock = _clock_table().take(pa.array(np.clip(secs, 0, 86_399)))
    return pc.binary_join_element_wise(dates, clock, suffix, "")


@lru_cache(maxsize=1)
def _clock_table() -> pa.Array:
    """ "HH:MM:SS" for every second of a day."""
    s = np.arange(86_400)
    hh = pc.utf8_lpad(pc.cast(pa.array(s // 3600), pa.string()), 2, "0")
    mm = pc.utf8_lpad(pc.cast(pa.array(s // 60 % 60), pa.string()), 2, "0")
    ss = pc.utf8_lpad(pc.cast(pa.array(s % 60), pa.string()), 2, "0")
    return pc.binary_join_element_wise(hh, ":", mm, ":", ss, "")


def day_number(day: date) -> int:
    return (day - EPOCH).days


def codes(prefix: str, numbers: IntArray, width: int) -> pa.Array:
    """``prefix`` + zero-padded numbers: codes("M", [7], 8) -> ["M00000007"]."""
    text = pc.cast(pa.array(np.asarray(numbers, dtype=np.int64)), pa.string())
    return pc.binary_join_element_wise(prefix, pc.utf8_lpad(text, width, "0"), "")


def pick(values: Sequence[str], index: IntArray) -> pa.Array:
    """``values[index]`` for each index; -1 gives null."""
    index = np.asarray(index, dtype=np.int64)
    return _as_array(values).take(pa.array(np.where(index < 0, 0, index), mask=index < 0))


# long value lists (store and SKU ids, names) are converted once per run, not per call
_ARRAYS: dict[int, tuple[Sequence[str], pa.Array]] = {}


def _as_array(values: Sequence[str]) -> pa.Array:
    if len(values) < 50:
        return pa.array(list(values), pa.string())
    found = _ARRAYS.get(id(values))
    if found is not None and found[0] is values:
        return found[1]
    if len(_ARRAYS) > 64:
        _ARRAYS.clear()
    array = pa.array(list(values), pa.string())
    _ARRAYS[id(values)] = (values, array)
    return array


def json_escape(text: pa.Array) -> pa.Array:
    escaped = pc.replace_substring(text, "\\", "\\\\")
    return pc.replace_substring(escaped, '"', '\\"')


def joined_bytes(lines: pa.Array) -> bytes:
    """The concatenation of a string array's values (each already ending in a newline),
    read straight from the array's data buffer."""
    if len(lines) == 0:
        return b""
    if lines.null_count:
        raise ValueError("a line to write is missing")
    array = pa.concat_arrays([lines]) if lines.offset else lines
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int32)[: len(array) + 1]
    data = array.buffers()[2]
    whole: bytes = data.to_pybytes()
    return whole[int(offsets[0]) : int(offsets[-1])]


@dataclass
class JsonField:
    """One key of a JSON Lines record: ``kind`` is "str" (quoted, escaped), "raw" (a
    number, boolean or nested JSON given as text)."""

    key: str
    values: pa.Array
    kind: str = "str"


def jsonl_lines(fields: list[JsonField]) -> pa.Array:
    """One JSON object per row, keys in the given order, nulls as ``null``, each ending in
    a newline."""
    parts: list[pa.Array | str] = []
    for position, f in enumerate(fields):
        parts.append(("{" if position == 0 else ",") + f'"{f.key}":')
        values = pc.cast(f.values, pa.string())
        if f.kind == "str":
            values = pc.binary_join_element_wise('"', json_escape(values), '"', "")
        parts.append(pc.fill_null(values, "null"))
    parts.append("}\n")
    return pc.binary_join_element_wise(*parts, "")


@dataclass
class Sink:
    """One export file being appended to: its path relative to the output folder, the
    mapping that loads it, and how many data rows it holds."""

    path: Path
    relative: str
    source: str
    encoding: str = "utf-8"
    header: list[str] = field(default_factory=list)
    rows: int = 0
    #: "none": values are written bare (machine exports); "needed": text is quoted
    quoting: str = "none"

    def append_csv(self, table: pa.Table) -> int:
        """Append ``table`` (text columns named as ``header``); returns the 1-based line of
        its first row in the file."""
        first_line = self.rows + 2
        if table.num_rows == 0 and self.rows:
            return first_line
        buffer = io.BytesIO()
        if self.rows == 0 and not self.path.exists():
            # Arrow quotes header names whatever the style; write the header as the data
            names = self.header if self.quoting == "none" else [f'"{name}"' for name in self.header]
            buffer.write((",".join(names) + "\n").encode("utf-8"))
        options = pacsv.WriteOptions(include_header=False, quoting_style=self.quoting)
        pacsv.write_csv(table.rename_columns(self.header), buffer, write_options=options)
        self._write(buffer.getvalue())
        self.rows += table.num_rows
        return first_line

    def append_lines(self, lines: pa.Array) -> int:
        """Append JSON Lines; returns the 1-based line of the first one."""
        first_line = self.rows + 1
        self._write(joined_bytes(lines))
        self.rows += len(lines)
        return first_line

    def _write(self, data: bytes) -> None:
        fresh = not self.path.exists()
        if fresh:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.encoding == "gb18030":
            data = data.decode("utf-8").encode("gb18030")
        elif self.encoding == "utf-8-sig" and fresh:
            data = b"\xef\xbb\xbf" + data
        with self.path.open("ab") as handle:
            handle.write(data)
