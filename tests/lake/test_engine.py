"""The Ibis connection over the lake, and the per-table statistics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import ibis
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from newretail.core.errors import ConfigError
from newretail.core.settings import Settings
from newretail.lake import Lake, Snapshot, connect, stored_schema, table_stats
from newretail.lake.layout import schema_id
from newretail.lake.manifest import CommitLog, LoadRecord, TableChange
from newretail.lake.rows import conform
from newretail.schema import TABLES, get_table

from .conftest import DAY, Loader, OrdersFactory

D2 = DAY + timedelta(days=1)
# Ibis 12 still calls a DuckDB 2 method deprecated in favour of another; harmless here.


def _ibis_schema(table: str) -> ibis.Schema:
    fields = [f.with_nullable(True) for f in stored_schema(get_table(table))]
    return ibis.Schema.from_pyarrow(pa.schema(fields))


def test_every_canonical_table_is_there_on_a_fresh_lake(lake: Lake) -> None:
    con = connect(lake)

    for name in TABLES:
        assert con.table(name).schema() == _ibis_schema(name), name
    assert con.table("orders").net_amount.sum().execute() is None
    assert con.table("order_lines").count().execute() == 0


def test_a_loaded_table_has_the_same_schema_as_an_empty_one(
    lake: Lake, make_orders: OrdersFactory, load: Loader
) -> None:
    load(make_orders(["a"]))

    assert connect(lake).table("orders").schema() == _ibis_schema("orders")


def test_committed_rows_are_summed_through_ibis(
    lake: Lake, make_orders: OrdersFactory, load: Loader
) -> None:
    load(make_orders(["a", "b", "c"], days=[DAY, D2, D2], amounts=[100, 250, 5]))
    orders = connect(lake).table("orders")

    per_day = (
        orders.group_by("business_date")
        .aggregate(net=orders.net_amount.sum(), lines=orders._line.max())
        .order_by("business_date")
        .to_pyarrow()
    )

    assert per_day.to_pylist() == [
        {"business_date": DAY, "net": 100, "lines": 2},
        {"business_date": D2, "net": 255, "lines": 4},
    ]


def test_a_connection_keeps_reading_the_snapshot_it_was_opened_on(
    lake: Lake, make_orders: OrdersFactory, load: Loader
) -> None:
    load(make_orders(["a"], amounts=[1]))
    con = connect(lake)
    load(make_orders(["b"], amounts=[2]))

    assert con.table("orders").net_amount.sum().execute() == 1
    assert connect(lake).table("orders").net_amount.sum().execute() == 3
    first = lake.manifest()[0]
    old = Snapshot(
        version=1,
        files={"orders": tuple(lake.root / p for p in first.tables["orders"].added)},
    )
    assert connect(lake, snapshot=old).table("orders").count().execute() == 1


def test_files_written_before_a_schema_change_are_matched_by_name(
    lake: Lake, make_orders: OrdersFactory
) -> None:
    rows = conform(get_table("orders"), make_orders(["a"], amounts=[42]), load_id="old-load")
    older = rows.drop_columns(["country", "currency"])
    relpath = "orders/date=2024-03-01/part-old-load-1.parquet"
    (lake.root / relpath).parent.mkdir(parents=True)
    pq.write_table(older, lake.root / relpath)
    CommitLog(lake.root).append(
        LoadRecord(
            version=1,
            load_id="old-load",
            source="pos",
            committed_at=datetime.now(UTC),
            files=(),
            period=None,
            tables={"orders": TableChange(added=(relpath,), rows_added=1, schema_id="older")},
            rows_read=1,
            rows_loaded=1,
            rows_quarantined=0,
            quarantine_reasons={},
        )
    )
    assert schema_id(older.schema) != schema_id(rows.schema)

    orders = connect(lake).table("orders")

    assert orders.schema() == _ibis_schema("orders")
    assert orders.select("net_amount", "country").to_pyarrow().to_pylist() == [
        {"net_amount": 42, "country": None}
    ]
    assert lake.read("orders", columns=["currency"]).column("currency").to_pylist() == [None]


def test_the_spark_engine_is_refused_until_it_is_available(lake: Lake) -> None:
    with pytest.raises(ConfigError) as caught:
        connect(lake, settings=Settings(engine="spark"))
    assert caught.value.key == "lake.engine_unavailable"
    assert "spark" in str(caught.value)


def test_connect_without_arguments_uses_the_configured_lake(
    settings: Settings, make_orders: OrdersFactory
) -> None:
    lake = Lake.from_settings()
    with lake.begin(source="pos", files=[]) as tx:
        tx.append("orders", make_orders(["a", "b"]))
        tx.commit(
            period=None, rows_read=2, rows_loaded=2, rows_quarantined=0, quarantine_reasons={}
        )

    assert connect().table("orders").count().execute() == 2


def test_table_stats_count_rows_files_days_and_the_last_load(
    lake: Lake, make_orders: OrdersFactory, load: Loader
) -> None:
    load(make_orders(["a", "b", "c"], days=[DAY, D2, D2]))
    last = load(make_orders(["d"], days=[D2]))

    stats = table_stats(lake)

    orders = stats["orders"]
    assert (orders.rows, orders.files) == (4, 3)
    assert (orders.first_date, orders.last_date) == (DAY, D2)
    assert orders.bytes == sum(p.stat().st_size for p in lake.snapshot().files["orders"])
    assert orders.last_load_at == last.committed_at
    stores = stats["stores"]
    assert (stores.rows, stores.files, stores.bytes, stores.last_load_at) == (0, 0, 0, None)
    assert set(stats) == set(TABLES)
