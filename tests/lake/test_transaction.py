"""Loads into the lake: append, replace, upsert, commit and abandon."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from newretail.core.errors import LakeError, NotFound
from newretail.lake import LINE_COLUMN, LOAD_ID_COLUMN, Lake, LoadRecord, SourceFile

from .conftest import DAY, Loader, OrdersFactory

D2 = DAY + timedelta(days=1)
Commit = Callable[..., LoadRecord]
Stores = Callable[..., pa.Table]


def _parquet_files(root: Path) -> list[Path]:
    return sorted(root.rglob("*.parquet"))


def test_appended_rows_become_visible_only_when_committed(
    lake: Lake, make_orders: OrdersFactory, commit: Commit
) -> None:
    rows = make_orders(["o1", "o2", "o3"], days=[DAY, D2, DAY], lines=[7, 8, None])
    with lake.begin(source="pos", files=[SourceFile("a.csv", "aa", 3)]) as tx:
        tx.append("orders", rows)
        assert lake.snapshot().version == 0
        assert lake.read("orders").num_rows == 0
        record = commit(tx, period=(DAY, D2), rows_read=3, rows_loaded=3)

    snapshot = lake.snapshot()
    assert snapshot.version == record.version == 1
    assert [p.parent.name for p in snapshot.files["orders"]] == [
        "date=2024-03-01",
        "date=2024-03-02",
    ]
    stored = lake.read("orders").sort_by("order_id")
    assert stored.column("order_id").to_pylist() == ["o1", "o2", "o3"]
    assert set(stored.column(LOAD_ID_COLUMN).to_pylist()) == {tx.load_id}
    assert stored.column(LINE_COLUMN).to_pylist() == [7, 8, None]
    assert record.tables["orders"].rows_added == 3


def test_rows_are_cast_to_the_table_schema_whatever_their_column_order(
    lake: Lake, commit: Commit
) -> None:
    rows = pa.table(
        {
            "net_amount": pa.array([250], pa.int32()),
            "channel_id": ["app"],
            "ordered_at": pa.array([0], pa.timestamp("s", tz="UTC")),
            "business_date": [DAY],
            "order_id": ["o1"],
        }
    )
    with lake.begin(source="app", files=[]) as tx:
        tx.append("orders", rows)
        commit(tx)

    stored = lake.read("orders")
    assert stored.schema.field("net_amount").type == pa.int64()
    assert stored.column("net_amount").to_pylist() == [250]
    assert stored.column("status").to_pylist() == [None]
    assert stored.column(LINE_COLUMN).to_pylist() == [None]


@pytest.mark.parametrize(
    ("change", "key", "column"),
    [
        (lambda t: t.append_column("colour", pa.array(["red"])), "lake.unknown_column", "colour"),
        (lambda t: t.append_column("_load_id", pa.array(["x"])), "lake.unknown_column", "_load_id"),
        (lambda t: t.drop_columns(["ordered_at"]), "lake.missing_column", "ordered_at"),
        (
            lambda t: t.set_column(0, "order_id", pa.array([None], pa.string())),
            "lake.null_in_required",
            "order_id",
        ),
        (
            lambda t: t.set_column(4, "net_amount", pa.array(["12.5 yuan"])),
            "lake.bad_type",
            "net_amount",
        ),
    ],
    ids=["unknown", "lineage", "missing", "empty-required", "bad-type"],
)
def test_rows_that_do_not_fit_the_schema_are_refused_naming_the_column(
    lake: Lake, make_orders: OrdersFactory, change: Any, key: str, column: str
) -> None:
    rows = change(make_orders(["o1"]))
    with lake.begin(source="pos", files=[]) as tx, pytest.raises(LakeError) as caught:
        tx.append("orders", rows)
    assert caught.value.key == key
    assert caught.value.params["column"] == column
    assert column in str(caught.value)


def test_leaving_the_block_without_commit_leaves_nothing(
    lake: Lake, make_orders: OrdersFactory
) -> None:
    with lake.begin(source="pos", files=[]) as tx:
        tx.append("orders", make_orders([f"o{i}" for i in range(10)]))
        tx.upsert(
            "stores", pa.table({"store_id": ["s1"], "name": ["A"], "store_type": ["flagship"]})
        )

    assert _parquet_files(lake.root) == []
    assert list((lake.root / "_staging").iterdir()) == []
    assert lake.snapshot().version == 0
    with lake.begin(source="pos", files=[], timeout=0.1):
        pass  # the lock was released


def test_an_error_inside_the_block_abandons_the_load(
    lake: Lake, make_orders: OrdersFactory, commit: Commit
) -> None:
    with pytest.raises(RuntimeError), lake.begin(source="pos", files=[]) as tx:
        tx.append("orders", make_orders(["o1"]))
        raise RuntimeError("the source file went away")

    assert lake.manifest() == []
    assert _parquet_files(lake.root) == []
    with pytest.raises(LakeError) as caught:
        commit(tx)
    assert caught.value.key == "lake.transaction_closed"


def test_a_load_that_changed_nothing_is_still_recorded(lake: Lake, commit: Commit) -> None:
    with lake.begin(source="pos", files=[SourceFile("empty.csv", "e0", 0)]) as tx:
        record = commit(tx, rows_read=0, note="header only")

    assert record.tables == {}
    assert lake.manifest() == [record]
    assert lake.find_load(source="pos", sha256="e0") == record


def test_replace_removes_only_the_same_sources_rows_in_scope(
    lake: Lake, make_orders: OrdersFactory, load: Loader, sum_of: Callable[..., int]
) -> None:
    load(make_orders(["p1", "p2", "p3"], days=[DAY, DAY, D2], amounts=[1, 2, 4]), source="pos")
    load(make_orders(["m1"], days=[DAY], amounts=[8]), source="meituan")
    untouched_day = lake.snapshot().files["orders"][1]

    corrected = make_orders(["p1", "p2"], days=[DAY, DAY], amounts=[16, 32])
    record = load(corrected, source="pos", scope=pa.table({"business_date": [DAY]}))

    stored = lake.read("orders").sort_by("order_id")
    assert stored.column("order_id").to_pylist() == ["m1", "p1", "p2", "p3"]
    assert sum_of(stored) == 8 + 16 + 32 + 4
    assert untouched_day in lake.snapshot().files["orders"]
    assert record.tables["orders"].rows_added == 2
    assert record.tables["orders"].rows_removed == 2


def test_a_corrected_file_for_the_same_period_never_double_counts(
    lake: Lake, make_orders: OrdersFactory, load: Loader, sum_of: Callable[..., int]
) -> None:
    days = [DAY, D2, D2]
    scope = pa.table({"business_date": [DAY, D2]})
    load(make_orders(["a", "b", "c"], days=days, amounts=[10, 20, 30]), scope=scope)
    load(make_orders(["a", "b", "c"], days=days, amounts=[11, 21, 31]), scope=scope)
    load(make_orders(["a", "b", "c"], days=days, amounts=[11, 21, 31]), scope=scope)

    assert lake.read("orders").num_rows == 3
    assert sum_of(lake.read("orders")) == 63


def test_replace_by_store_and_day_keeps_other_stores_of_that_day(
    lake: Lake, make_orders: OrdersFactory, load: Loader
) -> None:
    load(make_orders(["a", "b", "c"], days=[DAY, DAY, D2], stores=["s1", "s2", "s1"]))
    scope = pa.table({"business_date": [DAY], "store_id": ["s1"]})
    load(make_orders(["a2"], days=[DAY], stores=["s1"]), scope=scope)

    ids = sorted(lake.read("orders", columns=["order_id"]).column("order_id").to_pylist())
    assert ids == ["a2", "b", "c"]


def test_replace_reads_only_the_days_in_its_scope(
    lake: Lake, make_orders: OrdersFactory, load: Loader
) -> None:
    load(make_orders(["a", "b"], days=[DAY, D2]))
    other_day = next(p for p in lake.snapshot().files["orders"] if p.parent.name.endswith("02"))
    other_day.write_bytes(b"not parquet: reading this file would fail")

    record = load(make_orders(["a2"], days=[DAY]), scope=pa.table({"business_date": [DAY]}))

    assert record.tables["orders"].rows_removed == 1


def test_replace_with_a_column_the_table_lacks_is_refused(lake: Lake) -> None:
    with lake.begin(source="pos", files=[]) as tx, pytest.raises(LakeError) as caught:
        tx.replace("orders", pa.table({"shop": ["s1"]}))
    assert caught.value.params == {"table": "orders", "column": "shop"}


def test_upsert_takes_new_values_but_a_null_never_overwrites_a_known_one(
    lake: Lake, make_stores: Stores, commit: Commit
) -> None:
    first = make_stores(
        [
            {"store_id": "s1", "name": "People's Square", "store_type": "flagship", "city": "SH"},
            {"store_id": "s2", "name": "Jing'an", "store_type": "community", "city": "SH"},
        ]
    )
    second = make_stores(
        [
            {"store_id": "s2", "name": "Jing'an Temple", "store_type": "community", "city": None},
            {"store_id": "s3", "name": "Sanlitun", "store_type": "flagship", "city": "BJ"},
        ]
    )
    with lake.begin(source="crm", files=[]) as tx:
        tx.upsert("stores", first)
        commit(tx)
    with lake.begin(source="crm", files=[]) as tx:
        tx.upsert("stores", second)
        record = commit(tx)

    stores = lake.read("stores", columns=["store_id", "name", "city", LOAD_ID_COLUMN])
    assert stores.column("store_id").to_pylist() == ["s1", "s2", "s3"]
    assert stores.column("name").to_pylist() == ["People's Square", "Jing'an Temple", "Sanlitun"]
    assert stores.column("city").to_pylist() == ["SH", "SH", "BJ"]
    assert stores.column(LOAD_ID_COLUMN).to_pylist()[1:] == [tx.load_id, tx.load_id]
    assert len(lake.snapshot().files["stores"]) == 1
    change = record.tables["stores"]
    assert (change.rows_added, change.rows_removed, len(change.removed)) == (2, 1, 1)


def test_insert_missing_adds_only_keys_not_yet_present(
    lake: Lake, make_stores: Stores, commit: Commit
) -> None:
    known = {"store_id": "s1", "name": "People's Square", "store_type": "flagship"}
    with lake.begin(source="crm", files=[]) as tx:
        tx.upsert("stores", make_stores([known]))
        commit(tx)
    renamed = {**known, "name": "Renamed"}
    new = {"store_id": "s9", "name": "Pop-up", "store_type": "convenience"}
    with lake.begin(source="pos", files=[]) as tx:
        tx.upsert("stores", make_stores([renamed, new]), mode="insert_missing")
        record = commit(tx)
    with lake.begin(source="pos", files=[]) as tx:
        tx.upsert("stores", make_stores([renamed]), mode="insert_missing")
        unchanged = commit(tx)

    names = lake.read("stores", columns=["store_id", "name"]).to_pylist()
    assert names == [
        {"store_id": "s1", "name": "People's Square"},
        {"store_id": "s9", "name": "Pop-up"},
    ]
    assert (record.tables["stores"].rows_added, record.tables["stores"].rows_removed) == (1, 0)
    assert unchanged.tables == {}


@pytest.mark.parametrize(
    ("operation", "table"), [("append", "stores"), ("upsert", "orders")], ids=["append", "upsert"]
)
def test_facts_are_appended_and_dimensions_merged_never_the_other_way(
    lake: Lake, operation: str, table: str
) -> None:
    with lake.begin(source="pos", files=[]) as tx, pytest.raises(LakeError) as caught:
        getattr(tx, operation)(table, pa.table({"x": [1]}))
    assert caught.value.key == "lake.wrong_kind"


def test_an_unknown_table_is_named_in_the_error(lake: Lake) -> None:
    with lake.begin(source="pos", files=[]) as tx, pytest.raises(NotFound) as caught:
        tx.append("ordres", pa.table({"x": [1]}))
    assert caught.value.params["table"] == "ordres"


@pytest.mark.parametrize(
    ("counts", "name"),
    [
        ({"rows_read": -1}, "rows_read"),
        ({"quarantine_reasons": {"bad_date": -2}}, "quarantine_reasons[bad_date]"),
        ({"period": (date(2024, 3, 2), date(2024, 3, 1))}, "period"),
        ({"kind": "merge"}, "kind"),
    ],
)
def test_impossible_counts_are_refused_and_nothing_is_committed(
    lake: Lake, make_orders: OrdersFactory, commit: Commit, counts: dict[str, Any], name: str
) -> None:
    with lake.begin(source="pos", files=[]) as tx:
        tx.append("orders", make_orders(["o1"]))
        with pytest.raises(LakeError) as caught:
            commit(tx, **counts)
    assert caught.value.params["name"] == name
    assert lake.manifest() == []


def test_commit_records_counts_period_and_quarantine_reasons(
    lake: Lake, make_orders: OrdersFactory, commit: Commit
) -> None:
    files = [SourceFile("orders-0301.csv", "ab" * 32, 2048)]
    with lake.begin(source="pos", files=files) as tx:
        tx.append("orders", make_orders(["o1", "o2"]))
        record = commit(
            tx,
            period=(DAY, DAY),
            rows_read=5,
            rows_loaded=2,
            rows_quarantined=3,
            quarantine_reasons={"error.bad_date": 2, "error.unknown_store": 1},
            kind="retry",
            note="after fixing the store list",
        )

    assert lake.manifest() == [record]
    assert record.files == tuple(files)
    assert record.period == (DAY, DAY)
    assert (record.rows_read, record.rows_loaded, record.rows_quarantined) == (5, 2, 3)
    assert record.quarantine_reasons == {"error.bad_date": 2, "error.unknown_store": 1}
    assert (record.kind, record.note) == ("retry", "after fixing the store list")
    assert record.committed_at.utcoffset() == timedelta(0)
    assert LoadRecord.from_json(record.to_json()) == record


def test_appending_in_batches_adds_up(
    lake: Lake, make_orders: OrdersFactory, commit: Commit, sum_of: Callable[..., int]
) -> None:
    with lake.begin(source="pos", files=[]) as tx:
        for batch in range(4):
            ids = [f"o{batch}-{i}" for i in range(50)]
            days = [DAY + timedelta(days=i % 3) for i in range(50)]
            tx.append("orders", make_orders(ids, days=days, amounts=[batch + 1] * 50))
        record = commit(tx)

    stored = lake.read("orders")
    assert stored.num_rows == record.tables["orders"].rows_added == 200
    assert sum_of(stored) == 50 * (1 + 2 + 3 + 4)
    assert len(lake.snapshot().files["orders"]) == 3
    per_day = pc.value_counts(stored.column("business_date")).to_pylist()
    assert sorted(item["counts"] for item in per_day) == [64, 68, 68]


def test_replace_in_a_dimension_removes_only_rows_last_written_by_the_same_source(
    lake: Lake, make_stores: Stores, commit: Commit
) -> None:
    def store(store_id: str) -> dict[str, str]:
        return {"store_id": store_id, "name": store_id.upper(), "store_type": "community"}

    with lake.begin(source="crm", files=[]) as tx:
        tx.upsert("stores", make_stores([store("s1"), store("s2")]))
        commit(tx)
    with lake.begin(source="pos", files=[]) as tx:
        tx.upsert("stores", make_stores([store("s3")]), mode="insert_missing")
        commit(tx)
    with lake.begin(source="crm", files=[]) as tx:
        tx.replace("stores", pa.table({"store_id": ["s1", "s3"]}))
        record = commit(tx)

    assert lake.read("stores").column("store_id").to_pylist() == ["s2", "s3"]
    assert record.tables["stores"].rows_removed == 1
