"""Source mappings (``docs/mappings.md``): find a TOML mapping, check it strictly, describe it.

A mistake in a mapping rejects the file before a single row is read, with a message naming the
mapping file, the line and the key (with a "did you mean …?" when a known name is close): an
unknown key, table or column, a value of the wrong type, an expression that does not parse.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pyarrow as pa
import pyarrow.compute as pc

from newretail.core.errors import InputFileError, MappingError, NotFound
from newretail.core.settings import get_settings
from newretail.ingest.convert import UNIT_FACTORS, parse_dates, parse_timestamps
from newretail.ingest.expressions import Expr, compile_expression
from newretail.schema import TABLES, Column, TableDef

ColumnKind = Literal["column", "const", "expr", "from"]
Path_ = tuple[str | int, ...]

SOURCE_KEYS = (
    "name",
    "description",
    "format",
    "encoding",
    "delimiter",
    "header_row",
    "sheet",
    "null_values",
    "timezone",
    "currency",
    "replace_scope",
)
TABLE_KEYS = ("table", "where", "mode", "distinct", "dedupe", "create_missing", "columns")
COLUMN_KEYS = (
    "column",
    "const",
    "expr",
    "from",
    "map",
    "map_others",
    "match",
    "default",
    "strip",
    "unit",
    "scale",
    "format",
    "timezone",
    "true_values",
    "false_values",
)
KINDS: tuple[ColumnKind, ...] = ("column", "const", "expr", "from")
FORMATS = ("csv", "excel", "parquet", "jsonl")
ENCODINGS = ("auto", "utf-8", "utf-8-sig", "gb18030", "gbk")
DEFAULT_NULLS = ("", "NULL", "null", "NaN", "N/A", "-")
# which options make sense for which canonical column types
_OPTION_TYPES = {
    "unit": ("money",),
    "scale": ("int", "float", "money"),
    "format": ("date", "timestamp"),
    "timezone": ("date", "timestamp"),
    "true_values": ("bool",),
    "false_values": ("bool",),
}


@dataclass(frozen=True)
class SourceOptions:
    """The ``[source]`` table: how to read the file (defaults as in ``docs/mappings.md``)."""

    name: str
    description: str = ""
    format: str | None = None  # None: from the file's extension
    encoding: str = "auto"
    delimiter: str = ","
    header_row: int = 1
    sheet: str | int | None = None
    null_values: tuple[str, ...] = DEFAULT_NULLS
    timezone: str = "Asia/Shanghai"
    currency: str = "CNY"
    replace_scope: tuple[str, ...] = ("business_date",)


@dataclass(frozen=True)
class ColumnSpec:
    """Where one canonical column's values come from, and how they are converted.

    ``kind`` says which of ``source`` (a source column), ``const``, ``expr`` or ``from_column``
    (a timestamp column of the same table whose local date this is) applies. ``value_map`` and
    ``match`` values, ``default`` and ``const`` are kept as TOML gave them (type-checked against
    the column); :func:`value_text` turns them into text for the conversion.
    """

    name: str
    kind: ColumnKind
    line: int
    source: str | None = None
    const: Any = None
    expr: Expr | None = None
    from_column: str | None = None
    value_map: dict[str, Any] | None = None
    map_others: Literal["error", "keep"] = "error"
    match: tuple[tuple[str, Any], ...] = ()
    default: Any = None
    strip: bool = True
    unit: str | None = None
    scale: float | None = None
    formats: tuple[str, ...] = ()
    timezone: str | None = None
    true_values: tuple[str, ...] | None = None
    false_values: tuple[str, ...] | None = None

    @property
    def label(self) -> str:
        """What a row error names as the source: the column, the expression, the constant."""
        if self.kind == "column":
            return str(self.source)
        if self.kind == "expr" and self.expr is not None:
            return self.expr.text
        if self.kind == "from":
            return f"from {self.from_column}"
        return f"const {value_text(self.const)}"


@dataclass(frozen=True)
class TableMapping:
    """One ``[[tables]]`` entry: the canonical table, its filter, options and columns."""

    table: TableDef
    where: Expr | None
    mode: str
    distinct: bool
    dedupe: str
    create_missing: tuple[str, ...]
    columns: dict[str, ColumnSpec]
    line: int
    where_line: int = 0


@dataclass(frozen=True)
class Mapping:
    """A checked mapping file: how to read the source and where each of its columns goes."""

    path: Path
    source: SourceOptions
    tables: tuple[TableMapping, ...]

    def source_column_uses(self) -> dict[str, list[int]]:
        """Every source column the mapping reads (directly or in an expression) → its lines."""
        uses: dict[str, list[int]] = {}
        for table in self.tables:
            if table.where is not None:
                for name in sorted(table.where.columns):
                    uses.setdefault(name, []).append(table.where_line)
            for spec in table.columns.values():
                names = (
                    [spec.source]
                    if spec.kind == "column" and spec.source
                    else (sorted(spec.expr.columns) if spec.expr is not None else [])
                )
                for name in names:
                    uses.setdefault(name, []).append(spec.line)
        return {name: sorted(set(lines)) for name, lines in uses.items()}

    def source_columns(self) -> set[str]:
        """The names of every source column the mapping reads."""
        return set(self.source_column_uses())


def value_text(value: Any) -> str:
    """A TOML value as the text a source file would hold (``true``, ``2024-01-05``, ``12.5``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def check_header(mapping: Mapping, header: Sequence[str], *, file_name: str) -> None:
    """Reject a file whose header lacks a source column the mapping reads.

    :class:`InputFileError` (``ingest.missing_column``) names each missing column with the
    mapping lines that use it. Names are compared without surrounding spaces.
    """
    present = {name.strip() for name in header}
    missing = {
        name: lines
        for name, lines in mapping.source_column_uses().items()
        if name.strip() not in present
    }
    if missing:
        columns = ", ".join(
            f"'{name}' ({', '.join(map(str, lines))})" for name, lines in missing.items()
        )
        raise InputFileError(
            key="ingest.missing_column", file=file_name, mapping=str(mapping.path), columns=columns
        )


# -- finding mapping files -------------------------------------------------------------------


def _builtin_folder() -> Any:
    return resources.files("newretail.ingest") / "mappings"


def available_mappings(search_dirs: Sequence[Path] = ()) -> list[str]:
    """Names of the mappings in ``search_dirs`` and among the built-in ones."""
    names = {p.stem for d in search_dirs if d.is_dir() for p in d.glob("*.toml")}
    names |= {e.name[:-5] for e in _builtin_folder().iterdir() if e.name.endswith(".toml")}
    return sorted(names)


def load_mapping(name_or_path: str | Path, *, search_dirs: Sequence[Path] = ()) -> Mapping:
    """Load and check a mapping: a path to a ``.toml`` file, or a name.

    A name is looked up as ``<name>.toml`` in ``search_dirs`` in order, then among the built-in
    mappings (``newretail/ingest/mappings``); :class:`NotFound` lists the available names.
    """
    candidate = Path(name_or_path)
    if isinstance(name_or_path, Path) or candidate.suffix == ".toml" or len(candidate.parts) > 1:
        if not candidate.is_file():
            raise NotFound(key="ingest.mapping.file_not_found", path=str(candidate))
        return parse_mapping(_read(candidate), path=candidate)
    name = str(name_or_path)
    for folder in search_dirs:
        path = folder / f"{name}.toml"
        if path.is_file():
            return parse_mapping(_read(path), path=path)
    builtin = _builtin_folder() / f"{name}.toml"
    if builtin.is_file():
        return parse_mapping(builtin.read_text(encoding="utf-8"), path=Path(str(builtin)))
    raise NotFound(
        key="ingest.mapping.not_found", name=name, known=", ".join(available_mappings(search_dirs))
    )


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MappingError(str(exc), key="ingest.mapping.encoding", file=str(path)) from None


def parse_mapping(text: str, *, path: Path) -> Mapping:
    """Check the mapping ``text`` (read from ``path``, named in messages) and describe it."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _syntax_error(exc, path) from None
    return _Checker(path, _KeyLines(text)).mapping(data)


def _syntax_error(exc: tomllib.TOMLDecodeError, path: Path) -> MappingError:
    message = str(exc)
    found = re.search(r"\(at line (\d+), column (\d+)\)", message)
    line, column = (int(found[1]), int(found[2])) if found else (0, 0)
    detail = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", message)
    return MappingError(detail, key="ingest.mapping.syntax", file=str(path), line=line, col=column)


# -- where each key is written ---------------------------------------------------------------

_BARE = r"[A-Za-z0-9_-]+"
_PART = rf'(?:{_BARE}|"[^"]*"|\'[^\']*\')'
_KEY = re.compile(rf"^\s*({_PART}(?:\s*\.\s*{_PART})*)\s*=(.*)$")
_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\[\]]+?)\s*\]\]?\s*(#.*)?$")
_INNER = re.compile(rf"(?:^|[{{,])\s*({_PART})\s*=")


def _parts(dotted: str) -> list[str]:
    return [p.strip().strip("\"'") for p in re.findall(rf"{_PART}", dotted)]


class _KeyLines:
    """The line of each key, found in the text (``tomllib`` keeps no positions).

    A key is recorded under its table path (``("tables", 0, "columns", "unit_price")``); keys of
    an inline table are recorded at the line of the key that holds it. Lookups fall back to the
    nearest enclosing table, so every message can name a line.
    """

    def __init__(self, text: str) -> None:
        self.lines: dict[Path_, int] = {}
        arrays: dict[tuple[str, ...], int] = {}
        table: Path_ = ()
        in_string = False
        for number, line in enumerate(text.splitlines(), start=1):
            quotes = line.count('"""') + line.count("'''")
            if in_string:
                in_string = quotes % 2 == 0
                continue
            header = _HEADER.match(line)
            if header:
                table = self._table(_parts(header[2]), header[1] == "[[", arrays)
                self.lines.setdefault(table, number)
            elif key := _KEY.match(line):
                self._record(table, _parts(key[1]), key[2], number)
            in_string = quotes % 2 == 1

    def _table(self, names: list[str], is_array: bool, arrays: dict[tuple[str, ...], int]) -> Path_:
        path: list[str | int] = []
        for depth, name in enumerate(names, start=1):
            path.append(name)
            prefix = tuple(names[:depth])
            if is_array and depth == len(names):
                arrays[prefix] = arrays.get(prefix, -1) + 1
            if prefix in arrays:
                path.append(arrays[prefix])
        return tuple(path)

    def _record(self, table: Path_, names: list[str], rest: str, number: int) -> None:
        for depth in range(1, len(names) + 1):
            self.lines.setdefault((*table, *names[:depth]), number)
        if rest.strip().startswith("{"):
            for inner in _INNER.finditer(rest.strip()[1:]):
                self.lines.setdefault((*table, *names, *_parts(inner[1])), number)

    def line(self, *path: str | int) -> int:
        for depth in range(len(path), 0, -1):
            if path[:depth] in self.lines:
                return self.lines[path[:depth]]
        return 1


# -- checks ----------------------------------------------------------------------------------

_TYPE_NAMES = {
    str: "string",
    int: "integer",
    float: "number",
    bool: "boolean",
    list: "array",
    dict: "table",
}


class _Checker:
    """Turns parsed TOML into a :class:`Mapping`, raising on the first mistake it finds."""

    def __init__(self, path: Path, lines: _KeyLines) -> None:
        self.path, self.lines, self.file = path, lines, str(path)

    def error(self, problem: str, where: Path_, detail: str = "", **params: Any) -> MappingError:
        return MappingError(
            detail,
            key=f"ingest.mapping.{problem}",
            file=self.file,
            line=self.lines.line(*where),
            **params,
        )

    def unknown(
        self, what: str, name: str, known: Iterable[str], where: Path_, **params: Any
    ) -> MappingError:
        """An unknown key/table/column, with the closest known name or the list of them."""
        choices = sorted(known)
        close = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
        if close:
            return self.error(f"unknown_{what}", where, name=name, suggestion=close[0], **params)
        return self.error(
            f"unknown_{what}_no_match", where, name=name, known=", ".join(choices), **params
        )

    def keys(
        self, data: dict[str, Any], allowed: Sequence[str], where: Path_, section: str
    ) -> None:
        for key in data:
            if key not in allowed:
                raise self.unknown("key", key, allowed, (*where, key), section=section)

    def expect(self, value: Any, kinds: tuple[type, ...], where: Path_, key: str) -> Any:
        if (isinstance(value, bool) and bool not in kinds) or not isinstance(value, kinds):
            expected = " / ".join(_TYPE_NAMES.get(k, k.__name__) for k in kinds)
            raise self.error(
                "bad_type", where, option=key, expected=expected, value=value_text(value)
            )
        return value

    def choice(self, value: Any, choices: Sequence[str], where: Path_, key: str) -> str:
        self.expect(value, (str,), where, key)
        if value not in choices:
            raise self.error(
                "bad_choice", where, option=key, value=value, choices=", ".join(choices)
            )
        return str(value)

    def strings(self, value: Any, where: Path_, key: str) -> tuple[str, ...]:
        items = self.expect(value, (list,), where, key)
        for item in items:
            self.expect(item, (str,), where, key)
        return tuple(items)

    def zone(self, value: Any, where: Path_, key: str) -> str:
        name = self.expect(value, (str,), where, key)
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise self.error("bad_timezone", where, option=key, value=name) from None
        return str(name)

    # -- the document ---------------------------------------------------------------------

    def mapping(self, data: dict[str, Any]) -> Mapping:
        self.keys(data, ("source", "tables"), (), "mapping")
        if "source" not in data:
            raise self.error("missing_key", ("source",), option="source", section="mapping")
        tables_data = self.expect(data.get("tables", []), (list,), ("tables",), "tables")
        if not tables_data:
            raise self.error("no_tables", ())
        tables = tuple(self.table(t, index) for index, t in enumerate(tables_data))
        source = self.source(self.expect(data["source"], (dict,), ("source",), "source"))
        self.scope(source.replace_scope, tables)
        return Mapping(self.path, source, tables)

    def source(self, data: dict[str, Any]) -> SourceOptions:
        where: Path_ = ("source",)
        self.keys(data, SOURCE_KEYS, where, "[source]")
        if "name" not in data:
            raise self.error("missing_key", where, option="name", section="[source]")
        settings = get_settings()

        def at(key: str) -> Path_:
            return (*where, key)

        sheet = data.get("sheet")
        if sheet is not None:
            self.expect(sheet, (str, int), at("sheet"), "sheet")
            if isinstance(sheet, int) and sheet < 1:
                raise self.error(
                    "bad_choice", at("sheet"), option="sheet", value=sheet, choices="1, 2, …"
                )
        delimiter = self.expect(data.get("delimiter", ","), (str,), at("delimiter"), "delimiter")
        if len(delimiter) != 1:
            raise self.error("bad_delimiter", at("delimiter"), value=delimiter)
        header_row = self.expect(data.get("header_row", 1), (int,), at("header_row"), "header_row")
        if header_row < 1:
            raise self.error(
                "bad_choice",
                at("header_row"),
                option="header_row",
                value=header_row,
                choices="1, 2, …",
            )
        currency = self.expect(
            data.get("currency", settings.currency), (str,), at("currency"), "currency"
        )
        if not re.fullmatch(r"[A-Za-z]{3}", currency):
            raise self.error("bad_currency", at("currency"), value=currency)
        return SourceOptions(
            name=self.expect(data["name"], (str,), at("name"), "name"),
            description=self.expect(
                data.get("description", ""), (str,), at("description"), "description"
            ),
            format=self.choice(data["format"], FORMATS, at("format"), "format")
            if "format" in data
            else None,
            encoding=self.choice(
                data.get("encoding", "auto"), ENCODINGS, at("encoding"), "encoding"
            ),
            delimiter=delimiter,
            header_row=header_row,
            sheet=sheet,
            null_values=self.strings(
                data.get("null_values", list(DEFAULT_NULLS)), at("null_values"), "null_values"
            ),
            timezone=self.zone(data.get("timezone", settings.timezone), at("timezone"), "timezone"),
            currency=currency.upper(),
            replace_scope=self.strings(
                data.get("replace_scope", ["business_date"]), at("replace_scope"), "replace_scope"
            ),
        )

    def scope(self, scope: tuple[str, ...], tables: tuple[TableMapping, ...]) -> None:
        where: Path_ = ("source", "replace_scope")
        # dimensions are upserted by key: a scope only concerns the facts a file replaces
        facts = [t for t in tables if t.table.kind == "fact"]
        known = {c.name for t in facts for c in t.table.columns}
        for name in scope if facts else ():
            if name not in known:
                raise self.unknown("scope_column", name, known, where)
            for table in facts:
                if name not in table.table.by_column:
                    raise self.error(
                        "scope_column_missing", where, name=name, table=table.table.name
                    )

    def table(self, data: Any, index: int) -> TableMapping:
        where: Path_ = ("tables", index)
        data = self.expect(data, (dict,), where, "tables")
        section = f"[[tables]] #{index + 1}"
        self.keys(data, TABLE_KEYS, where, section)
        if "table" not in data:
            raise self.error("missing_key", where, option="table", section=section)
        name = self.expect(data["table"], (str,), (*where, "table"), "table")
        if name not in TABLES:
            raise self.unknown("table", name, TABLES, (*where, "table"))
        table = TABLES[name]
        columns_data = self.expect(data.get("columns", {}), (dict,), (*where, "columns"), "columns")
        columns = {
            col: self.column(table, col, spec, (*where, "columns", col))
            for col, spec in columns_data.items()
        }
        self.froms(table, columns, (*where, "columns"))
        self.required(table, columns, where)
        where_text = data.get("where")
        where_line = self.lines.line(*where, "where")
        return TableMapping(
            table=table,
            where=self.expression(where_text, (*where, "where"), "where")
            if where_text is not None
            else None,
            mode=self.mode(table, data.get("mode"), (*where, "mode")),
            distinct=self.expect(
                data.get("distinct", False), (bool,), (*where, "distinct"), "distinct"
            ),
            dedupe=self.choice(
                data.get("dedupe", "key"), ("key", "row"), (*where, "dedupe"), "dedupe"
            ),
            create_missing=self.create_missing(
                table, data.get("create_missing", []), (*where, "create_missing")
            ),
            columns=columns,
            line=self.lines.line(*where),
            where_line=where_line,
        )

    def mode(self, table: TableDef, value: Any, where: Path_) -> str:
        modes = ("append",) if table.kind == "fact" else ("upsert", "insert_missing")
        return self.choice(modes[0] if value is None else value, modes, where, "mode")

    def create_missing(self, table: TableDef, value: Any, where: Path_) -> tuple[str, ...]:
        names = self.strings(value, where, "create_missing")
        referenced = {c.ref.split(".")[0] for c in table.columns if c.ref}
        for name in names:
            if name not in TABLES:
                raise self.unknown("table", name, TABLES, where)
            if name not in referenced:
                raise self.error(
                    "create_missing_unrelated",
                    where,
                    name=name,
                    table=table.name,
                    known=", ".join(sorted(referenced)) or "—",
                )
        return names

    def required(self, table: TableDef, columns: dict[str, ColumnSpec], where: Path_) -> None:
        missing = [name for name in table.required if name not in columns]
        if missing:
            raise self.error(
                "required_not_mapped", where, table=table.name, columns=", ".join(missing)
            )

    def expression(self, text: Any, where: Path_, key: str) -> Expr:
        source = self.expect(text, (str,), where, key)
        return compile_expression(source, file=self.file, line=self.lines.line(*where))

    # -- columns ---------------------------------------------------------------------------

    def column(self, table: TableDef, name: str, spec: Any, where: Path_) -> ColumnSpec:
        if name not in table.by_column:
            raise self.unknown("column", name, table.by_column, where, table=table.name)
        column = table.by_column[name]
        line = self.lines.line(*where)
        if isinstance(spec, str):
            return ColumnSpec(name, "column", line, source=spec)
        data = self.expect(spec, (str, dict), where, name)
        self.keys(data, COLUMN_KEYS, where, f"[tables.columns] {name}")
        kinds = [k for k in KINDS if k in data]
        if len(kinds) != 1:
            key = "no_source" if not kinds else "several_sources"
            raise self.error(key, where, column=name, kinds=", ".join(kinds))
        kind = kinds[0]
        for option, types in _OPTION_TYPES.items():
            if option in data and column.type not in types:
                raise self.error(
                    "option_not_for_type",
                    (*where, option),
                    option=option,
                    column=name,
                    type=column.type,
                )

        def at(key: str) -> Path_:
            return (*where, key)

        return ColumnSpec(
            name,
            kind,
            line,
            source=self.expect(data["column"], (str,), at("column"), "column")
            if kind == "column"
            else None,
            const=self.value(column, data["const"], at("const"), "const")
            if kind == "const"
            else None,
            expr=self.expression(data["expr"], at("expr"), "expr") if kind == "expr" else None,
            from_column=self.expect(data["from"], (str,), at("from"), "from")
            if kind == "from"
            else None,
            value_map=self.value_map(column, data, at("map")),
            map_others=cast(
                Literal["error", "keep"],
                self.choice(
                    data.get("map_others", "error"),
                    ("error", "keep"),
                    at("map_others"),
                    "map_others",
                ),
            ),
            match=self.matches(column, data, at("match")),
            default=self.value(column, data["default"], at("default"), "default")
            if "default" in data
            else None,
            strip=self.expect(data.get("strip", True), (bool,), at("strip"), "strip"),
            unit=self.choice(data["unit"], tuple(UNIT_FACTORS), at("unit"), "unit")
            if "unit" in data
            else None,
            scale=float(self.expect(data["scale"], (int, float), at("scale"), "scale"))
            if "scale" in data
            else None,
            formats=self.formats(data.get("format"), at("format")),
            timezone=self.zone(data["timezone"], at("timezone"), "timezone")
            if "timezone" in data
            else None,
            true_values=self.strings(data["true_values"], at("true_values"), "true_values")
            if "true_values" in data
            else None,
            false_values=self.strings(data["false_values"], at("false_values"), "false_values")
            if "false_values" in data
            else None,
        )

    def value(self, column: Column, value: Any, where: Path_, option: str) -> Any:
        """Check a ``const``/``default``/``map`` value against the canonical column's type."""
        kinds: dict[str, tuple[type, ...]] = {
            "string": (str,),
            "int": (int,),
            "float": (int, float),
            "money": (int, float),
            "bool": (bool,),
            "date": (str, dt.date),
            "timestamp": (str, dt.date),
        }
        allowed = kinds[column.type]
        fits = isinstance(value, allowed) and (bool in allowed or not isinstance(value, bool))
        if column.type == "date" and isinstance(value, dt.datetime):
            fits = False
        if fits and column.type in ("date", "timestamp") and isinstance(value, str):
            text = pa.array([value])
            parsed = (
                parse_dates(text)
                if column.type == "date"
                else parse_timestamps(text, timezone="UTC")
            )
            fits = not parsed.failures
        if not fits:
            raise self.error(
                "value_type",
                where,
                option=option,
                value=value_text(value),
                column=column.name,
                type=column.type,
            )
        return value

    def value_map(
        self, column: Column, data: dict[str, Any], where: Path_
    ) -> dict[str, Any] | None:
        if "map" not in data:
            return None
        table = self.expect(data["map"], (dict,), where, "map")
        return {key: self.value(column, v, (*where, key), "map") for key, v in table.items()}

    def matches(
        self, column: Column, data: dict[str, Any], where: Path_
    ) -> tuple[tuple[str, Any], ...]:
        table = self.expect(data.get("match", {}), (dict,), where, "match")
        for pattern, value in table.items():
            try:
                pc.match_substring_regex(pa.array([""]), pattern)
            except pa.ArrowInvalid as exc:
                raise self.error(
                    "bad_regex", (*where, pattern), pattern=pattern, detail=str(exc)
                ) from None
            self.value(column, value, (*where, pattern), "match")
        return tuple(table.items())

    def formats(self, value: Any, where: Path_) -> tuple[str, ...]:
        if value is None:
            return ()
        formats = (
            (self.expect(value, (str,), where, "format"),)
            if isinstance(value, str)
            else self.strings(value, where, "format")
        )
        for fmt in formats:
            if "%" not in fmt:
                raise self.error("bad_format", where, value=fmt)
        return formats

    def froms(self, table: TableDef, columns: dict[str, ColumnSpec], where: Path_) -> None:
        for spec in columns.values():
            if spec.kind != "from":
                continue
            at = (*where, spec.name, "from")
            target = str(spec.from_column)
            if table.by_column[spec.name].type != "date":
                raise self.error("from_not_date", at, column=spec.name)
            if target not in table.by_column:
                raise self.unknown("column", target, table.by_column, at, table=table.name)
            if table.by_column[target].type != "timestamp":
                raise self.error("from_not_timestamp", at, column=spec.name, target=target)
            if target not in columns:
                raise self.error("from_not_mapped", at, column=spec.name, target=target)
