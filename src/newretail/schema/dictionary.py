"""The data dictionary (``docs/data-dictionary.md``), generated from the table definitions.

``newretail schema docs`` rewrites the file; a test fails when it is out of date, so the
documentation can never drift from the tables the code really uses.
"""

from __future__ import annotations

from newretail.schema.model import Column, TableDef
from newretail.schema.tables import TABLES

_TYPE_LABEL = {
    "string": "text",
    "int": "integer",
    "money": "money (int, fen)",
    "float": "number",
    "bool": "yes/no",
    "date": "date",
    "timestamp": "timestamp (UTC)",
}


def _rules(column: Column) -> str:
    parts: list[str] = []
    if column.required:
        parts.append("required")
    if column.enum:
        parts.append("one of " + ", ".join(f"`{v}`" for v in column.enum))
    if column.min is not None:
        bound = f"≥ {column.min:g}"
        if column.negative_if:
            bound += f" unless `{column.negative_if}`"
        parts.append(bound)
    if column.max is not None:
        parts.append(f"≤ {column.max:g}")
    if column.ref:
        parts.append(f"→ `{column.ref}`")
    return "; ".join(parts)


def _escape(text: str) -> str:
    return text.replace("|", "\\|")


def _table_section(table: TableDef) -> list[str]:
    partition = f"`{table.partition}`" if table.partition else "none (one current row per key)"
    lines = [
        f"## `{table.name}` — {table.zh} / {table.en}",
        "",
        f"- kind: {table.kind}; key: {', '.join(f'`{k}`' for k in table.key)}; "
        f"partitioned by: {partition}",
        "",
        "| column | type | rules | 说明 | description |",
        "| --- | --- | --- | --- | --- |",
    ]
    for column in table.columns:
        lines.append(
            f"| `{column.name}` | {_TYPE_LABEL[column.type]} | {_escape(_rules(column))} "
            f"| {_escape(column.zh)} | {_escape(column.en)} |"
        )
    lines.append("")
    return lines


def render_markdown() -> str:
    """The whole data dictionary as Markdown, tables in the order of :data:`TABLES`."""
    lines = [
        "# Data dictionary / 数据字典",
        "",
        "Generated from the table definitions in `src/newretail/schema/` by",
        "`newretail schema docs`; do not edit. Every stored row also carries `_load_id` (the",
        "load that wrote it) and `_line` (its line in the source file), so every figure can be",
        "traced to the rows behind it.",
        "",
        "| table | kind | 说明 | description |",
        "| --- | --- | --- | --- |",
    ]
    for table in TABLES.values():
        lines.append(
            f"| [`{table.name}`](#{table.name}) | {table.kind} | {table.zh} | {table.en} |"
        )
    lines.append("")
    for table in TABLES.values():
        lines.extend(_table_section(table))
    return "\n".join(lines)
