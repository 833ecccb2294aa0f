"""The analytic engine over the lake: an Ibis connection bound to one snapshot.

Every canonical table is there under its own name, loaded or not, so analytics never fail on
a fresh lake; all of them read the same committed version, so figures computed together
agree with one another.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import ibis
import ibis.expr.types as ir
import pyarrow as pa
from ibis.backends.duckdb import Backend as DuckDBBackend

from newretail.core.errors import ConfigError
from newretail.core.settings import Settings, get_settings
from newretail.lake.layout import schema_id, stored_schema
from newretail.lake.manifest import Snapshot
from newretail.lake.store import Lake
from newretail.schema import TABLES, TableDef


def connect(
    lake: Lake | None = None,
    *,
    snapshot: Snapshot | None = None,
    settings: Settings | None = None,
) -> DuckDBBackend:
    """An in-memory DuckDB Ibis backend exposing every canonical table of ``snapshot``.

    Each table ``t`` of :data:`newretail.schema.TABLES` is a view named ``t`` with the
    table's columns plus ``_load_id`` (the load that wrote the row) and ``_line`` (its line
    in the source file); an empty table with that schema when nothing is loaded. ``snapshot``
    defaults to the lake's latest; ``lake`` to the configured one. Only DuckDB is available:
    ``NEWRETAIL_ENGINE=spark`` raises :class:`ConfigError` (``lake.engine_unavailable``).
    """
    settings = settings or get_settings()
    if settings.engine != "duckdb":
        raise ConfigError(
            f"the analytic engine {settings.engine!r} is not available yet",
            key="lake.engine_unavailable",
            engine=settings.engine,
        )
    lake = lake or Lake.from_settings(settings)
    snapshot = snapshot or lake.snapshot()
    con: DuckDBBackend = ibis.duckdb.connect()
    for name, table in TABLES.items():
        _expose(con, table, snapshot.files.get(name, ()), snapshot.schema_ids.get(name))
    return con


def _expose(
    con: DuckDBBackend, table: TableDef, paths: Sequence[Path], ids: frozenset[str] | None
) -> None:
    schema = stored_schema(table)
    if not paths:
        con.create_table(table.name, schema=_nullable(schema))
        return
    files = [str(p) for p in paths]
    # the date is a column inside every file: the folder name must not add a second one
    if ids == frozenset({schema_id(schema)}):
        con.read_parquet(files, table_name=table.name, hive_partitioning=False)
        return
    # files written before a schema change: match columns by name, fill new ones with nulls
    raw = con.read_parquet(
        files, table_name=f"_files_{table.name}", hive_partitioning=False, union_by_name=True
    )
    con.create_view(table.name, _canonical(raw, schema))


def _canonical(raw: ir.Table, schema: pa.Schema) -> ir.Table:
    target = ibis.Schema.from_pyarrow(_nullable(schema))
    present = set(raw.columns)
    return raw.select(
        [
            raw[name].cast(dtype).name(name) if name in present else ibis.null(dtype).name(name)
            for name, dtype in target.items()
        ]
    )


def _nullable(schema: pa.Schema) -> pa.Schema:
    # views over Parquet report every column as nullable; empty tables must look the same
    return pa.schema([field.with_nullable(True) for field in schema])
