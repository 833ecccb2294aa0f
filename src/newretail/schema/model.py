"""How a canonical table is described: columns with types, rules and zh/en descriptions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pyarrow as pa

ColumnType = Literal["string", "int", "money", "float", "bool", "date", "timestamp"]
TableKind = Literal["dimension", "fact"]

_ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "int": pa.int64(),
    # money is integer minor units (fen for CNY, pence for GBP): summed exactly
    "money": pa.int64(),
    "float": pa.float64(),
    "bool": pa.bool_(),
    "date": pa.date32(),
    # instants are stored in UTC; the business day is a separate, local, date column
    "timestamp": pa.timestamp("us", tz="UTC"),
}


@dataclass(frozen=True)
class Column:
    """One column of a canonical table.

    ``min``/``max`` bound numeric values; ``negative_if`` names a boolean column that, when
    true, allows a value below ``min`` (a return line may carry a negative quantity).
    ``ref`` is ``"table.column"`` of the dimension that must hold the value.
    """

    name: str
    type: ColumnType
    zh: str
    en: str
    required: bool = False
    enum: tuple[str, ...] | None = None
    min: float | None = None
    max: float | None = None
    negative_if: str | None = None
    ref: str | None = None

    @property
    def arrow_type(self) -> pa.DataType:
        return _ARROW_TYPES[self.type]


@dataclass(frozen=True)
class TableDef:
    """A canonical table: its columns, key, partitioning and meaning.

    Facts are partitioned by their local business date (``partition``); dimensions are one
    current row per key, replaced by newer loads (``partition`` is ``None``).
    """

    name: str
    kind: TableKind
    zh: str
    en: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    partition: str | None = None
    by_column: dict[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_column", {c.name: c for c in self.columns})
        missing = [k for k in self.key if k not in self.by_column]
        if missing:
            raise ValueError(f"{self.name}: key columns {missing} are not columns")
        if self.partition is not None:
            part = self.by_column.get(self.partition)
            if part is None or part.type != "date":
                raise ValueError(f"{self.name}: partition {self.partition!r} must be a date column")
        if self.kind == "fact" and self.partition is None:
            raise ValueError(f"{self.name}: a fact table needs a business-date partition")

    @property
    def arrow_schema(self) -> pa.Schema:
        return pa.schema(
            [pa.field(c.name, c.arrow_type, nullable=not c.required) for c in self.columns]
        )

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        return self.by_column[name]
