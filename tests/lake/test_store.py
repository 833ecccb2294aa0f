"""The lake as readers see it: snapshots, reads, the manifest, the writer lock, vacuum."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from newretail.core.errors import LakeError, NotFound
from newretail.core.settings import Settings
from newretail.lake import Lake, SourceFile, stored_schema
from newretail.schema import get_table

from .conftest import DAY, Loader, OrdersFactory

D2 = DAY + timedelta(days=1)
D3 = DAY + timedelta(days=2)


def test_a_fresh_lake_reads_as_empty_tables_with_the_stored_schema(lake: Lake) -> None:
    snapshot = lake.snapshot()

    assert snapshot.version == 0
    assert snapshot.files["orders"] == ()
    empty = lake.read("orders")
    assert empty.num_rows == 0
    assert empty.schema == stored_schema(get_table("orders"))
    assert lake.read("stores", columns=["store_id", "_line"]).column_names == ["store_id", "_line"]
    assert not lake.root.exists()  # reading never creates anything


def test_read_selects_columns_and_reads_only_the_days_asked_for(
    lake: Lake, make_orders: OrdersFactory, load: Loader
) -> None:
    load(make_orders(["a", "b", "c"], days=[DAY, D2, D3], amounts=[1, 2, 3]))

    rows = lake.read("orders", columns=["order_id", "net_amount"], dates=(D2, D3))

    assert rows.column_names == ["order_id", "net_amount"]
    assert sorted(rows.column("order_id").to_pylist()) == ["b", "c"]


@pytest.mark.parametrize(
    ("table", "options", "key"),
    [
        ("orders", {"columns": ["colour"]}, "lake.unknown_column"),
        ("stores", {"dates": (DAY, DAY)}, "lake.not_partitioned"),
        ("orders", {"dates": (D2, DAY)}, "lake.bad_date_range"),
    ],
    ids=["unknown-column", "dimension-by-date", "empty-range"],
)
def test_read_refuses_what_cannot_be_read(
    lake: Lake, table: str, options: dict[str, object], key: str
) -> None:
    with pytest.raises(LakeError) as caught:
        lake.read(table, **options)  # type: ignore[arg-type]
    assert caught.value.key == key


def test_read_of_an_unknown_table_names_the_known_ones(lake: Lake) -> None:
    with pytest.raises(NotFound) as caught:
        lake.read("sales")
    assert "sales_daily" in caught.value.params["known"]


def test_another_lake_object_on_the_same_folder_sees_new_loads(
    lake: Lake, make_orders: OrdersFactory, load: Loader
) -> None:
    other = Lake(lake.root)
    assert other.snapshot().version == 0

    load(make_orders(["a"]))
    load(make_orders(["b"]))

    assert other.snapshot().version == 2
    assert other.read("orders").num_rows == 2


def test_an_older_snapshot_keeps_reading_its_own_version(
    lake: Lake, make_orders: OrdersFactory, load: Loader
) -> None:
    load(make_orders(["a", "b"], amounts=[1, 2]))
    before = lake.snapshot()
    load(make_orders(["a"], amounts=[5]), scope=pa.table({"business_date": [DAY]}))

    assert lake.read("orders", snapshot=before).column("net_amount").to_pylist() == [1, 2]
    assert lake.read("orders").column("net_amount").to_pylist() == [5]


def test_find_load_recognises_a_file_by_checksum_and_source(
    lake: Lake, make_orders: OrdersFactory, load: Loader
) -> None:
    record = load(make_orders(["a"]), source="pos", sha256="9F86D081")

    assert lake.find_load(source="pos", sha256="9f86d081") == record
    assert lake.find_load(source="meituan", sha256="9f86d081") is None
    assert lake.find_load(source="pos", sha256="00000000") is None


def test_manifest_lists_committed_loads_oldest_first(
    lake: Lake, make_orders: OrdersFactory, load: Loader
) -> None:
    first = load(make_orders(["a"]), source="pos")
    second = load(make_orders(["b"]), source="app")

    assert lake.manifest() == [first, second]
    assert [r.version for r in lake.manifest()] == [1, 2]
    assert (lake.root / "_log" / "000000000002.json").is_file()


def test_a_damaged_manifest_is_reported_with_its_path(
    lake: Lake, make_orders: OrdersFactory, load: Loader
) -> None:
    load(make_orders(["a"]))
    (lake.root / "_log" / "000000000002.json").write_text("{not json", encoding="utf-8")

    with pytest.raises(LakeError) as caught:
        Lake(lake.root).snapshot()
    assert caught.value.key == "lake.corrupt_log"
    assert caught.value.params["path"].endswith("000000000002.json")


def test_a_second_writer_times_out_with_a_clear_error(lake: Lake) -> None:
    with lake.begin(source="pos", files=[]):
        with pytest.raises(LakeError) as caught:
            Lake(lake.root).begin(source="app", files=[], timeout=0.2)
        assert caught.value.key == "lake.locked"
        assert caught.value.params["holder"] == str(os.getpid())
        assert str(lake.root) in caught.value.message("en")
        assert "另一个加载任务" in caught.value.message("zh-CN")

    with lake.begin(source="app", files=[], timeout=0.2):
        pass  # free again once the first load is over


def test_vacuum_deletes_only_files_no_snapshot_can_need(
    lake: Lake, make_orders: OrdersFactory, load: Loader
) -> None:
    load(make_orders(["a", "b"], days=[DAY, D2]))
    replaced = lake.snapshot().files["orders"][0]
    load(make_orders(["a2"]), scope=pa.table({"business_date": [DAY]}))
    orphan = lake.root / "orders" / "date=2024-03-09" / "part-crashed-1.parquet"
    orphan.parent.mkdir(parents=True)
    pq.write_table(make_orders(["x"]), orphan)
    leftover = lake.root / "_staging" / "20240301T000000000000-dead" / "1"
    leftover.parent.mkdir(parents=True)
    leftover.write_bytes(b"half a file")

    assert lake.vacuum(older_than=timedelta(days=1)) == 2  # the orphan and the staged file

    assert replaced.exists()
    assert not orphan.exists() and not orphan.parent.exists()
    assert list((lake.root / "_staging").iterdir()) == []
    assert lake.vacuum(older_than=timedelta(0)) == 1
    assert not replaced.exists()
    assert all(p.exists() for p in lake.snapshot().files["orders"])
    assert sorted(lake.read("orders").column("order_id").to_pylist()) == ["a2", "b"]


def test_reading_a_snapshot_older_than_the_last_vacuum_is_a_clear_error(
    lake: Lake, make_orders: OrdersFactory, load: Loader
) -> None:
    load(make_orders(["a"]))
    before = lake.snapshot()
    load(make_orders(["a2"]), scope=pa.table({"business_date": [DAY]}))
    lake.vacuum(older_than=timedelta(0))

    with pytest.raises(LakeError) as caught:
        lake.read("orders", snapshot=before)
    assert caught.value.key == "lake.missing_file"
    assert str(before.files["orders"][0]) in caught.value.params["path"]


def test_the_lake_of_the_settings_lives_in_the_data_home(
    settings: Settings, newretail_home: Path, make_orders: OrdersFactory
) -> None:
    lake = Lake.from_settings()
    with lake.begin(source="pos", files=[SourceFile("a.csv", "a", 1)]) as tx:
        tx.append("orders", make_orders(["a"]))
        tx.commit(
            period=None, rows_read=1, rows_loaded=1, rows_quarantined=0, quarantine_reasons={}
        )

    assert lake.root == settings.lake_dir.absolute()
    assert lake.root.parent == newretail_home.absolute()
    assert (lake.root / "_log" / "000000000001.json").is_file()
