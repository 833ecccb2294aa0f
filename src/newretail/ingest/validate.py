"""Row checks that need only the canonical schema: required, enumerations, ranges, dates.

References to dimensions and duplicates need the lake and are checked by the loader
(``ingest.checks``). Problems are reported as :class:`RowErrors`, one record per problem, in the
shape the quarantine stores.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from newretail.ingest.convert import Mask, as_text, to_mask
from newretail.schema import Column, TableDef

REQUIRED = "ingest.reason.required"
NOT_IN_ENUM = "ingest.reason.not_in_enum"
BELOW_MIN = "ingest.reason.below_min"
ABOVE_MAX = "ingest.reason.above_max"
NEGATIVE_WITHOUT_RETURN = "ingest.reason.negative_without_return"
DATE_OUT_OF_RANGE = "ingest.reason.date_out_of_range"

# a business date or an instant the chain recorded falls in these years; birthdays and
# opening dates may be older
RECENT = (dt.date(1990, 1, 1), dt.date(2100, 12, 31))
HISTORIC = (dt.date(1900, 1, 1), dt.date(2100, 12, 31))

#: What is recorded about one problem in one row: where, which column, why, and the value.
#: Row errors, the loader's checks and the quarantine all build on these fields.
PROBLEM_FIELDS = (
    pa.field("line", pa.int64()),
    pa.field("table", pa.string()),
    pa.field("column", pa.string()),
    pa.field("source", pa.string()),
    pa.field("reason", pa.string()),
    pa.field("value", pa.string()),
    pa.field("detail", pa.string()),
)
ROW_ERROR_SCHEMA = pa.schema([pa.field("row", pa.int64()), *PROBLEM_FIELDS])


@dataclass(frozen=True)
class RowErrors:
    """Problems found in rows of one chunk, one record per problem (``ROW_ERROR_SCHEMA``).

    ``row`` indexes the chunk, ``line`` is the source line, ``column`` the canonical column (null
    for a ``where`` filter), ``source`` the source column or expression, ``reason`` a message key
    (``ingest.reason.*``, filled with ``column``, ``value``, ``source`` and ``detail``), ``value``
    the raw text and ``detail`` what was expected (allowed values, a bound).
    """

    records: pa.Table

    @classmethod
    def empty(cls) -> RowErrors:
        """No problems."""
        return cls(ROW_ERROR_SCHEMA.empty_table())

    @classmethod
    def of(
        cls,
        *,
        rows: npt.NDArray[np.int64],
        lines: npt.NDArray[np.int64],
        table: str,
        column: str | None,
        source: str | None,
        reason: str,
        values: pa.Array | None = None,
        detail: str | None = None,
    ) -> RowErrors:
        """One record per entry of ``rows`` (all with the same table, column, reason)."""
        size = len(rows)

        def same(text: str | None) -> pa.Array:
            return pa.repeat(pa.scalar(text, pa.string()), size)

        return cls(
            pa.Table.from_arrays(
                [
                    pa.array(rows, pa.int64()),
                    pa.array(lines, pa.int64()),
                    same(table),
                    same(column),
                    same(source),
                    same(reason),
                    same(None) if values is None else as_text(values),
                    same(detail),
                ],
                schema=ROW_ERROR_SCHEMA,
            )
        )

    @classmethod
    def concat(cls, parts: Iterable[RowErrors]) -> RowErrors:
        """The problems of ``parts`` together, in order."""
        tables = [p.records for p in parts if p.records.num_rows]
        if not tables:
            return cls.empty()
        return cls(pa.concat_tables(tables))

    def to_table(self) -> pa.Table:
        """The records as an Arrow table (``ROW_ERROR_SCHEMA``)."""
        return self.records

    def __len__(self) -> int:
        return int(self.records.num_rows)

    @property
    def rows(self) -> npt.NDArray[np.int64]:
        """The distinct chunk rows with at least one problem, in order."""
        return np.unique(np.asarray(self.records.column("row").to_numpy(), dtype=np.int64))

    def reasons(self) -> dict[str, int]:
        """Problems per reason key."""
        counts = self.records.column("reason").value_counts().to_pylist()
        return {c["values"]: c["counts"] for c in counts}


def validate_rows(table: TableDef, rows: pa.Table) -> tuple[pa.Table, RowErrors]:
    """Check ``rows`` (canonical columns of ``table``) against the schema's rules.

    ``rows`` may carry ``_row`` (the chunk row, reported as ``row``; default: the position) and
    ``_line`` (the source line; default: position + 1); a canonical column it lacks counts as
    empty. Returns the rows without a problem (same columns) and the problems: a required
    column empty, a value outside its enumeration, below ``min`` (a negative value is allowed
    only where the ``negative_if`` column is true: ``negative_without_return`` otherwise), above
    ``max``, a date or instant outside 1990–2100 (other dates: 1900–2100).
    """
    size = rows.num_rows
    positions = _int_column(rows, "_row", np.arange(size, dtype=np.int64))
    lines = _int_column(rows, "_line", positions + 1)
    bad = np.zeros(size, dtype=bool)
    parts: list[RowErrors] = []
    for column in table.columns:
        values = (
            rows.column(column.name).combine_chunks()
            if column.name in rows.column_names
            else pa.nulls(size, column.arrow_type)
        )
        for reason, mask, detail in _problems(table, column, values, rows):
            if not mask.any():
                continue
            parts.append(
                RowErrors.of(
                    rows=positions[mask],
                    lines=lines[mask],
                    table=table.name,
                    column=column.name,
                    source=None,
                    reason=reason,
                    values=values.filter(pa.array(mask)),
                    detail=detail,
                )
            )
            bad |= mask
    passed = rows.filter(pa.array(~bad)) if bad.any() else rows
    return passed, RowErrors.concat(parts)


def _int_column(
    rows: pa.Table, name: str, fallback: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    if name not in rows.column_names:
        return fallback
    return np.asarray(rows.column(name).to_numpy(), dtype=np.int64)


def _problems(
    table: TableDef, column: Column, values: pa.Array, rows: pa.Table
) -> Iterator[tuple[str, Mask, str | None]]:
    if column.required:
        yield REQUIRED, to_mask(values.is_null()), None
    if column.enum is not None:
        allowed = pa.array(column.enum, pa.string())
        outside = pc.invert(pc.is_in(values, value_set=allowed))
        yield NOT_IN_ENUM, to_mask(pc.and_(outside, values.is_valid())), ", ".join(column.enum)
    if column.min is not None:
        yield from _below(column, values, rows)
    if column.max is not None:
        yield ABOVE_MAX, to_mask(pc.greater(values, column.max)), _bound(column.max)
    if column.type in ("date", "timestamp"):
        yield from _out_of_range(table, column, values)


def _below(
    column: Column, values: pa.Array, rows: pa.Table
) -> Iterator[tuple[str, Mask, str | None]]:
    below = to_mask(pc.less(values, column.min))
    if column.negative_if is None:
        yield BELOW_MIN, below, _bound(column.min)
        return
    allowed = (
        to_mask(rows.column(column.negative_if).combine_chunks())
        if column.negative_if in rows.column_names
        else np.zeros(len(below), dtype=bool)
    )
    yield NEGATIVE_WITHOUT_RETURN, below & ~allowed, column.negative_if


def _out_of_range(
    table: TableDef, column: Column, values: pa.Array
) -> Iterator[tuple[str, Mask, str | None]]:
    recent = column.type == "timestamp" or column.name == table.partition
    low, high = RECENT if recent else HISTORIC
    if column.type == "timestamp":
        kind = pa.timestamp("us", tz="UTC")
        start = pa.scalar(dt.datetime.combine(low, dt.time(), dt.UTC), kind)
        end = pa.scalar(dt.datetime.combine(high + dt.timedelta(days=1), dt.time(), dt.UTC), kind)
        outside = pc.or_(pc.less(values, start), pc.greater_equal(values, end))
    else:
        outside = pc.or_(
            pc.less(values, pa.scalar(low, pa.date32())),
            pc.greater(values, pa.scalar(high, pa.date32())),
        )
    yield DATE_OUT_OF_RANGE, to_mask(outside), f"{low.isoformat()} – {high.isoformat()}"


def _bound(value: float | None) -> str:
    return f"{value:g}" if value is not None else ""
