"""Dirt: the mistakes real exports carry, at a configured rate, recorded where they are.

Rows are duplicated, dates garbled, SKU codes mistyped into codes that do not exist, and
sale quantities written negative; one POS file is cut off in the middle of its last line,
as when a transfer was interrupted. Every dirty line is recorded (file, line, kind) in the
ground truth, so a test can check that the loader's quarantine catches exactly these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

KINDS = ("duplicate", "bad_date", "unknown_sku", "negative_quantity", "truncated")
DUPLICATE, BAD_DATE, UNKNOWN_SKU, NEGATIVE, TRUNCATED = range(5)
_BAD_STAMPS = ("0000-00-00 00:00:00", "2024-13-45 25:61:00", "#VALUE!", "1900-01-00 00:00")
_BAD_DATES = ("0000-00-00", "2024-13-45", "#VALUE!", "1900-01-00")


@dataclass(frozen=True)
class DirtColumns:
    """Which columns of a table the dirt touches."""

    stamps: tuple[str, ...]
    dates: tuple[str, ...]
    sku: str
    quantity: str
    amounts: tuple[str, ...]
    key: tuple[str, str]  # order id and line columns, kept in the record


@dataclass
class Dirt:
    """Spoils tables before they are written and remembers where."""

    rate: float
    files: list[str] = field(default_factory=list)
    lines: list[np.ndarray] = field(default_factory=list)
    kinds: list[np.ndarray] = field(default_factory=list)
    orders: list[pa.Array] = field(default_factory=list)

    def spoil(
        self,
        table: pa.Table,
        *,
        eligible: np.ndarray,
        columns: DirtColumns,
        gen: np.random.Generator,
    ) -> tuple[pa.Table, np.ndarray, np.ndarray, np.ndarray]:
        """The table with dirt; the positions and kinds of the dirty rows in it; and for
        each of its rows the row of ``table`` it came from (duplicates repeat a row).

        ``eligible`` marks sale rows: only they get garbled dates or negative quantities
        (a negative quantity is legitimate on a return row).
        """
        n = table.num_rows
        none = np.zeros(0, dtype=np.int64)
        counts = gen.binomial(n, self.rate, size=4) if self.rate > 0 and n else np.zeros(4)
        if not counts.any():
            return table, none, none, np.arange(n, dtype=np.int64)
        kind = np.full(n, -1, dtype=np.int64)
        order = gen.permutation(n)
        for k, count in zip(
            (BAD_DATE, NEGATIVE, UNKNOWN_SKU, DUPLICATE), counts[[1, 3, 2, 0]], strict=True
        ):
            free = order[(kind[order] < 0) & ((k in (DUPLICATE, UNKNOWN_SKU)) | eligible[order])]
            kind[free[:count]] = k
        table = _garble(table, kind, columns, gen)
        repeat = 1 + (kind == DUPLICATE)
        source = np.repeat(np.arange(n), repeat)
        table = table.take(pa.array(source))
        kinds_out = np.repeat(np.where(kind == DUPLICATE, -1, kind), repeat)
        second = np.cumsum(repeat) - 1
        kinds_out[second[kind == DUPLICATE]] = DUPLICATE
        positions = np.flatnonzero(kinds_out >= 0)
        return table, positions, kinds_out[positions], source

    def record(
        self,
        relative: str,
        first_line: int,
        positions: np.ndarray,
        kinds: np.ndarray,
        order_ids: pa.Array,
    ) -> None:
        if positions.size == 0:
            return
        self.files.append(relative)
        self.lines.append(first_line + positions)
        self.kinds.append(kinds)
        self.orders.append(order_ids.take(pa.array(positions)))

    def table(self) -> pa.Table:
        """One row per dirty line: file (relative to exports/), line, kind, order."""
        counts = [len(x) for x in self.lines]
        files = pa.array(
            np.repeat(np.array(self.files, dtype=object), counts)
            if counts
            else np.zeros(0, dtype=object),
            pa.string(),
        )
        return pa.table(
            {
                "file": files,
                "line": pa.array(np.concatenate(self.lines) if counts else np.zeros(0, np.int64)),
                "kind": pa.array(
                    np.array(KINDS)[np.concatenate(self.kinds)]
                    if counts
                    else np.zeros(0, dtype=str),
                    pa.string(),
                ),
                "order_id": pa.concat_arrays(self.orders) if counts else pa.array([], pa.string()),
            }
        )


def _garble(
    table: pa.Table, kind: np.ndarray, columns: DirtColumns, gen: np.random.Generator
) -> pa.Table:
    bad = kind == BAD_DATE
    for name, choices in (
        *((c, _BAD_STAMPS) for c in columns.stamps),
        *((c, _BAD_DATES) for c in columns.dates),
    ):
        values = pa.array(np.array(choices)[gen.integers(0, len(choices), int(bad.sum()))])
        table = _replace(table, name, bad, values)
    unknown = kind == UNKNOWN_SKU
    codes = pc.binary_join_element_wise(
        "99",
        pc.utf8_lpad(
            pc.cast(pa.array(gen.integers(0, 100_000, int(unknown.sum()))), pa.string()), 5, "0"
        ),
        "",
    )
    table = _replace(table, columns.sku, unknown, codes)
    negative = kind == NEGATIVE
    for name in (columns.quantity, *columns.amounts):
        values = table.column(name).combine_chunks().filter(pa.array(negative))
        table = _replace(
            table,
            name,
            negative,
            pc.binary_join_element_wise("-", pc.cast(values, pa.string()), ""),
        )
    return table


def _replace(table: pa.Table, name: str, mask: np.ndarray, values: pa.Array) -> pa.Table:
    if not mask.any():
        return table
    index = table.column_names.index(name)
    column = pc.cast(table.column(name).combine_chunks(), pa.string())
    return table.set_column(index, name, pc.replace_with_mask(column, pa.array(mask), values))


def truncate_last_line(path: Path) -> list[str] | None:
    """Cut ``path`` off inside its last line, just after a field separator, so the line
    has too few fields (as an interrupted transfer leaves it); the line's fields before the
    cut, or None if the file is too short to cut."""
    data = path.read_bytes()
    body = data.rstrip(b"\n")
    start = body.rfind(b"\n") + 1
    if start <= 0:
        return None
    last = body[start:]
    commas = [i for i, b in enumerate(last) if b == ord(",")]  # one line: a few hundred bytes
    if len(commas) < 4:
        return None
    path.write_bytes(body[: start + commas[len(commas) // 2] + 1])
    return last[: commas[len(commas) // 2]].decode("utf-8").split(",")
