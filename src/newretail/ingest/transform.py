"""Source chunk → canonical rows, for every ``[[tables]]`` entry of a mapping.

A chunk is what the reader yields: an Arrow table (text columns for CSV, Excel and JSON lines;
native types for Parquet) and the 1-based source line of each row. For each table the chunk is
filtered by ``where``, each canonical column is produced from its source (column, constant,
expression or the local date of a timestamp), recoded (``map``, ``match``, ``default``),
converted to its canonical type and checked against the schema. Rows with a problem become
:class:`RowErrors`; the others are returned in the table's Arrow schema.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from newretail.core.errors import InputFileError
from newretail.ingest import convert
from newretail.ingest.convert import Converted, Mask, as_text, clean_text, to_mask
from newretail.ingest.mapping import ColumnSpec, Mapping, TableMapping, value_text
from newretail.ingest.validate import RowErrors, validate_rows
from newretail.schema import Column, TableDef

UNMAPPED_VALUE = "ingest.reason.unmapped_value"
LINE = "_line"

__all__ = ["LINE", "RowErrors", "TableBatch", "output_schema", "transform"]


@dataclass(frozen=True)
class TableBatch:
    """One table's rows from one chunk: those that passed, and the problems of the others.

    ``rows`` has the columns of ``mapping.table.arrow_schema`` in order, plus ``_line``.
    """

    mapping: TableMapping
    rows: pa.Table
    errors: RowErrors


def output_schema(table: TableDef) -> pa.Schema:
    """The schema of :attr:`TableBatch.rows`: the canonical columns and ``_line`` (int64)."""
    return table.arrow_schema.append(pa.field(LINE, pa.int64(), nullable=False))


def transform(
    mapping: Mapping, chunk: pa.Table, *, lines: npt.NDArray[np.int64], file_name: str
) -> list[TableBatch]:
    """Map, convert and check ``chunk`` for each table of ``mapping`` (one batch per entry).

    ``lines[i]`` is the source line of ``chunk`` row ``i``. Rows for which ``where`` is false
    are in neither the rows nor the errors (a null ``where`` keeps the row: only a definite
    "no" leaves it out). ``distinct`` is not applied here: which row of a key comes first is
    known only once every table's checks have run on it, so the loader keeps the first row of
    each key that passed them, across the whole file.
    """
    line_numbers = np.asarray(lines, dtype=np.int64)
    if len(line_numbers) != chunk.num_rows:
        raise ValueError(f"{len(line_numbers)} line numbers for {chunk.num_rows} rows")
    sources = _Sources(chunk, file_name=file_name)
    return [
        _Table(mapping, table, file_name=file_name).run(sources, line_numbers)
        for table in mapping.tables
    ]


class _Sources:
    """The chunk's source columns as the tables read them, each prepared once for all tables.

    A source column feeds several tables (the invoice number: orders, lines and returns),
    and trimming text is a pass over every value: it is done once per chunk, then each
    table takes its rows (:class:`_View`).
    """

    def __init__(self, chunk: pa.Table, *, file_name: str) -> None:
        self.chunk, self.file_name = chunk, file_name
        self._raw: dict[str, pa.Array] = {}
        self._clean: dict[tuple[str, bool], pa.Array] = {}

    def raw(self, name: str) -> pa.Array:
        """The column as one array, dictionaries decoded."""
        if name not in self._raw:
            self._raw[name] = _source(self.chunk, name, file_name=self.file_name)
        return self._raw[name]

    def clean(self, name: str, *, strip: bool = True) -> pa.Array:
        """The column with text trimmed (``strip``) and empty text missing."""
        if (name, strip) not in self._clean:
            raw = self.raw(name)
            self._clean[(name, strip)] = clean_text(raw, strip=strip) if _is_text(raw) else raw
        return self._clean[(name, strip)]


class _View:
    """The source columns of one table's rows (those its ``where`` kept)."""

    def __init__(self, sources: _Sources, keep: Mask) -> None:
        self.sources = sources
        self.keep = None if keep.all() else pa.array(keep)
        self._taken: dict[tuple[str, bool | None], pa.Array] = {}

    def raw(self, name: str) -> pa.Array:
        return self._rows((name, None), self.sources.raw(name))

    def clean(self, name: str, *, strip: bool = True) -> pa.Array:
        return self._rows((name, strip), self.sources.clean(name, strip=strip))

    def chunk(self, names: list[str]) -> pa.Table:
        """The table's rows of the chunk's columns ``names`` (as expressions read them)."""
        chunk = self.sources.chunk
        if not names:
            return chunk.select([]) if self.keep is None else chunk.select([]).filter(self.keep)
        return pa.Table.from_arrays([self.clean(name) for name in names], names=names)

    def _rows(self, key: tuple[str, bool | None], values: pa.Array) -> pa.Array:
        if self.keep is None:
            return values
        if key not in self._taken:
            self._taken[key] = values.filter(self.keep)
        return self._taken[key]


@dataclass
class _Column:
    """One canonical column of the chunk: values, conversion problems and the raw values.

    ``raw`` is what the source gave (text for text files); it is turned into text only for
    the rows a problem is reported for, since formatting numbers as text costs.
    """

    values: pa.Array
    failed: Mask
    errors: list[RowErrors] = field(default_factory=list)
    raw: Callable[[], pa.Array] | None = None


class _Table:
    def __init__(self, mapping: Mapping, table: TableMapping, *, file_name: str) -> None:
        self.mapping, self.table, self.file_name = mapping, table, file_name
        self.definition = table.table
        self.positions: npt.NDArray[np.int64] = np.empty(0, dtype=np.int64)
        self.lines: npt.NDArray[np.int64] = np.empty(0, dtype=np.int64)

    def run(self, sources: _Sources, lines: npt.NDArray[np.int64]) -> TableBatch:
        errors: list[RowErrors] = []
        keep = self._where(sources, lines, errors)
        view = _View(sources, keep)
        chunk = view.chunk(self._needed(sources.chunk))
        self.positions = np.flatnonzero(keep).astype(np.int64)
        self.lines = lines[keep]
        columns = self._columns(view, chunk)
        for column in columns.values():
            errors.extend(column.errors)
        assembled = self._assemble(columns, chunk.num_rows)
        _, problems = validate_rows(self.definition, assembled)
        problems = self._excuse(problems, columns)
        rejected = np.zeros(chunk.num_rows, dtype=bool)
        for column in columns.values():
            rejected |= column.failed
        rejected[problems.rows] = True
        errors.append(self._relabel(problems, columns))
        rows = assembled.filter(pa.array(~rejected)) if rejected.any() else assembled
        final = rows.drop_columns(["_row"]).cast(output_schema(self.definition))
        return TableBatch(self.table, final, RowErrors.concat(errors))

    def _where(
        self, sources: _Sources, lines: npt.NDArray[np.int64], errors: list[RowErrors]
    ) -> Mask:
        chunk, where = sources.chunk, self.table.where
        if where is None:
            return np.ones(chunk.num_rows, dtype=bool)
        result = where.evaluate(chunk, lines=lines, file_name=self.file_name, columns=sources.clean)
        flags = convert.parse_booleans(result.values)
        refused = to_mask(pc.invert(flags.values))
        positions = np.arange(chunk.num_rows, dtype=np.int64)
        issues = [(i.mask, i.reason, i.source, i.values) for i in result.issues]
        issues += [(mask, reason, where.text, result.values) for reason, mask in flags.failures]
        for mask, reason, source, values in issues:
            errors.append(
                RowErrors.of(
                    rows=positions[mask],
                    lines=lines[mask],
                    table=self.definition.name,
                    column=None,
                    source=source,
                    reason=reason,
                    values=None if values is None else values.filter(pa.array(mask)),
                    detail="where",
                )
            )
            refused |= mask
        return ~refused

    def _needed(self, chunk: pa.Table) -> list[str]:
        """The chunk columns the table's expressions read (others are not copied)."""
        wanted: set[str] = set()
        for spec in self.table.columns.values():
            if spec.expr is not None:
                wanted.update(name.strip() for name in spec.expr.columns)
        return [name for name in chunk.column_names if name.strip() in wanted]

    # -- columns ---------------------------------------------------------------------------

    def _columns(self, view: _View, chunk: pa.Table) -> dict[str, _Column]:
        specs = sorted(self.table.columns.values(), key=lambda s: s.kind == "from")
        columns: dict[str, _Column] = {}
        for spec in specs:
            definition = self.definition.by_column[spec.name]
            if spec.kind == "from":
                columns[spec.name] = self._local_date(spec, columns)
            else:
                columns[spec.name] = self._column(spec, definition, view, chunk)
        return columns

    def _column(
        self, spec: ColumnSpec, definition: Column, view: _View, chunk: pa.Table
    ) -> _Column:
        size = chunk.num_rows
        issues: list[tuple[str, Mask, str, pa.Array | None]] = []
        raw: Callable[[], pa.Array]
        if spec.kind == "column":
            name = _source_name(view.sources.chunk, str(spec.source))
            values = view.clean(name, strip=spec.strip)
            raw = partial(view.raw, name)
        elif spec.kind == "const":
            values = pa.repeat(pa.scalar(value_text(spec.const), pa.string()), size)
            raw = partial(_same, values)
        else:
            assert spec.expr is not None
            result = spec.expr.evaluate(
                chunk, lines=self.lines, file_name=self.file_name, columns=view.clean
            )
            issues += [(i.reason, i.mask, i.source, i.values) for i in result.issues]
            values = result.values
            raw = partial(_same, values)
            values = clean_text(values, strip=spec.strip) if _is_text(values) else values
        values, unmapped = _recode(spec, values)
        converted = self._convert(spec, definition, values)
        issues.append((UNMAPPED_VALUE, unmapped, spec.label, None))
        issues += [(reason, mask, spec.label, None) for reason, mask in converted.failures]
        column = _Column(converted.values, np.zeros(size, dtype=bool), raw=raw)
        for reason, mask, source, issue_values in issues:
            if not mask.any():
                continue
            shown = raw() if issue_values is None else issue_values
            column.errors.append(
                RowErrors.of(
                    rows=self.positions[mask],
                    lines=self.lines[mask],
                    table=self.definition.name,
                    column=spec.name,
                    source=source,
                    reason=reason,
                    values=as_text(shown.filter(pa.array(mask))),
                )
            )
            column.failed |= mask
        column.values = (
            pc.if_else(pa.array(column.failed), pa.scalar(None, column.values.type), column.values)
            if column.failed.any()
            else column.values
        )
        return column

    def _convert(self, spec: ColumnSpec, definition: Column, values: pa.Array) -> Converted:
        zone = spec.timezone or self.mapping.source.timezone
        match definition.type:
            case "string":
                return Converted(as_text(values))
            case "int":
                return convert.parse_integers(values, scale=spec.scale)
            case "float":
                return convert.parse_floats(values, scale=spec.scale)
            case "money":
                # an expression computes (0.372 kg × 12.80): rounded to the fen, not rejected
                return convert.to_minor_units(
                    values,
                    unit=spec.unit or "yuan",
                    scale=spec.scale,
                    round_excess=spec.kind == "expr",
                )
            case "bool":
                return convert.parse_booleans(
                    values, true_values=spec.true_values, false_values=spec.false_values
                )
            case "date":
                return convert.parse_dates(values, formats=spec.formats, timezone=zone)
            case _:
                return convert.parse_timestamps(values, formats=spec.formats, timezone=zone)

    def _local_date(self, spec: ColumnSpec, columns: dict[str, _Column]) -> _Column:
        target = str(spec.from_column)
        instants = columns[target]
        zone = spec.timezone or self.table.columns[target].timezone or self.mapping.source.timezone
        # a timestamp that failed is reported once, under its own column
        return _Column(convert.local_dates(instants.values, timezone=zone), instants.failed)

    # -- rows ------------------------------------------------------------------------------

    def _assemble(self, columns: dict[str, _Column], size: int) -> pa.Table:
        arrays = [
            columns[c.name].values if c.name in columns else pa.nulls(size, c.arrow_type)
            for c in self.definition.columns
        ]
        fields = [pa.field(c.name, c.arrow_type) for c in self.definition.columns]
        arrays += [pa.array(self.lines, pa.int64()), pa.array(np.arange(size), pa.int64())]
        fields += [pa.field(LINE, pa.int64()), pa.field("_row", pa.int64())]
        return pa.Table.from_arrays(arrays, schema=pa.schema(fields))

    def _excuse(self, problems: RowErrors, columns: dict[str, _Column]) -> RowErrors:
        """Drop schema problems of cells whose conversion already failed (reported once)."""
        records = problems.records
        if not records.num_rows:
            return problems
        rows = np.asarray(records.column("row").to_numpy(), dtype=np.int64)
        names = np.asarray(records.column("column").to_numpy(zero_copy_only=False), dtype=object)
        keep = np.ones(len(rows), dtype=bool)
        for name, column in columns.items():
            chosen = names == name
            keep[chosen] = ~column.failed[rows[chosen]]
        return RowErrors(records.filter(pa.array(keep)))

    def _relabel(self, problems: RowErrors, columns: dict[str, _Column]) -> RowErrors:
        """Schema problems with chunk rows, the source's name and the raw source text."""
        records = problems.records
        if not records.num_rows:
            return problems
        rows = np.asarray(records.column("row").to_numpy(), dtype=np.int64)
        names = records.column("column").to_pylist()
        parts = []
        for name in dict.fromkeys(names):
            chosen = np.array([n == name for n in names], dtype=bool)
            part = records.filter(pa.array(chosen))
            spec, column = self.table.columns.get(name), columns.get(name)
            if column is not None and column.raw is not None:
                part = part.set_column(
                    part.schema.get_field_index("value"),
                    "value",
                    as_text(column.raw().take(pa.array(rows[chosen]))),
                )
            if spec is not None:
                part = part.set_column(
                    part.schema.get_field_index("source"),
                    "source",
                    pa.repeat(pa.scalar(spec.label), part.num_rows),
                )
            part = part.set_column(0, "row", pa.array(self.positions[rows[chosen]], pa.int64()))
            parts.append(RowErrors(part))
        return RowErrors.concat(parts)


def _is_text(values: pa.Array) -> bool:
    kind = values.type.value_type if pa.types.is_dictionary(values.type) else values.type
    return bool(pa.types.is_string(kind) or pa.types.is_large_string(kind))


def _same(values: pa.Array) -> pa.Array:
    return values


def _source_name(chunk: pa.Table, name: str) -> str:
    """The chunk's name for the source column ``name`` (header cells may carry spaces)."""
    if name in chunk.column_names:
        return name
    stripped: dict[str, str] = {n.strip(): n for n in chunk.column_names}
    return stripped.get(name.strip(), name)


def _source(chunk: pa.Table, name: str, *, file_name: str) -> pa.Array:
    if name not in chunk.column_names:
        stripped = {n.strip(): n for n in chunk.column_names}
        if name.strip() not in stripped:
            raise InputFileError(
                key="ingest.missing_column", file=file_name, columns=f"'{name}'", mapping=""
            )
        name = stripped[name.strip()]
    values = chunk.column(name).combine_chunks()
    if pa.types.is_dictionary(values.type):
        values = values.dictionary_decode()
    return values


def _recode(spec: ColumnSpec, values: pa.Array) -> tuple[pa.Array, Mask]:
    """Apply ``map``, ``match`` and ``default``; values nothing recoded are returned in a mask."""
    size = len(values)
    unmapped = np.zeros(size, dtype=bool)
    if spec.value_map is None and not spec.match and spec.default is None:
        return values, unmapped
    text = as_text(values)
    result, resolved = _recoded(spec, text)
    if spec.value_map is not None or spec.match:
        open_rows = to_mask(text.is_valid()) & ~resolved
        if spec.map_others == "keep":
            result = pc.if_else(pa.array(open_rows), text, result)
        elif spec.default is not None:
            result = pc.if_else(pa.array(open_rows), value_text(spec.default), result)
        else:
            unmapped = open_rows
    if spec.default is not None:
        result = pc.fill_null(result, value_text(spec.default))
    return result, unmapped


def _recoded(spec: ColumnSpec, text: pa.Array) -> tuple[pa.Array, Mask]:
    if spec.value_map is None and not spec.match:
        return text, np.ones(len(text), dtype=bool)
    result = pa.nulls(len(text), pa.string())
    resolved = np.zeros(len(text), dtype=bool)
    if spec.value_map is not None:
        keys = pa.array(list(spec.value_map), pa.string())
        targets = pa.array([value_text(v) for v in spec.value_map.values()], pa.string())
        index = pc.index_in(text, value_set=keys)
        result = targets.take(index)
        resolved = to_mask(index.is_valid())
    for pattern, value in spec.match:
        hit = to_mask(pc.match_substring_regex(text, pattern)) & ~resolved
        result = pc.if_else(pa.array(hit), value_text(value), result)
        resolved |= hit
    return result, resolved
