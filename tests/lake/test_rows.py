"""The Arrow row operations agree with a plain Python reading of their contracts."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import given, settings
from hypothesis import strategies as st

from newretail.lake.layout import LINE_COLUMN, LOAD_ID_COLUMN, stored_schema
from newretail.lake.rows import may_hold, merge_dimension, rows_in_scope, split_by_partition
from newretail.lake.staging import AppendBuffer, Staging
from newretail.schema import get_table

from .conftest import DAY

STORES = get_table("stores")
days = st.integers(min_value=0, max_value=6).map(lambda n: DAY + timedelta(days=n))
store_ids = st.sampled_from(["s1", "s2", "s3", "s4"])
cities = st.one_of(st.none(), st.sampled_from(["SH", "BJ", "GZ"]))


@given(st.lists(st.tuples(days, st.integers(-(2**63), 2**63 - 1)), max_size=60))
def test_split_by_partition_gives_each_day_once_in_order_and_loses_nothing(
    rows: list[tuple[date, int]],
) -> None:
    table = pa.table(
        {"business_date": pa.array([d for d, _ in rows], pa.date32()), "v": [v for _, v in rows]}
    )

    parts = list(split_by_partition(table, "business_date"))

    assert [d for d, _ in parts] == sorted({d for d, _ in rows})
    for day, part in parts:
        assert set(part.column("business_date").to_pylist()) == {day}
    regrouped = sorted(
        (d, v) for _, part in parts for d, v in zip(*part.to_pydict().values(), strict=True)
    )
    assert regrouped == sorted(rows)


@given(
    st.lists(st.tuples(store_ids, st.one_of(st.none(), days)), max_size=30),
    st.lists(st.tuples(store_ids, st.one_of(st.none(), days)), min_size=1, max_size=5),
    st.booleans(),
)
def test_rows_in_scope_matches_equal_values_and_never_nulls(
    rows: list[tuple[str, date | None]],
    scope: list[tuple[str, date | None]],
    by_day_only: bool,
) -> None:
    table = pa.table(
        {
            "store_id": pa.array([s for s, _ in rows], pa.string()),
            "day": pa.array([d for _, d in rows], pa.date32()),
        }
    )
    names = ["day"] if by_day_only else ["store_id", "day"]
    scope_table = pa.table(
        {"store_id": [s for s, _ in scope], "day": pa.array([d for _, d in scope], pa.date32())}
    ).select(names)

    mask = rows_in_scope(table, scope_table).to_pylist()

    def key(row: tuple[str, date | None]) -> tuple[Any, ...]:
        return (row[1],) if by_day_only else row

    wanted = {key(r) for r in scope if r[1] is not None}
    assert mask == [r[1] is not None and key(r) in wanted for r in rows]


def _stores(rows: list[tuple[str, str | None, str]]) -> pa.Table:
    data = {
        "store_id": [r[0] for r in rows],
        "name": [f"store {r[0]}" for r in rows],
        "store_type": ["community"] * len(rows),
        "city": [r[1] for r in rows],
        LOAD_ID_COLUMN: [r[2] for r in rows],
        LINE_COLUMN: list(range(len(rows))),
    }
    schema = stored_schema(STORES)
    columns = [data.get(f.name, pa.nulls(len(rows), f.type)) for f in schema]
    return pa.Table.from_arrays(
        [pa.array(c, f.type) for c, f in zip(columns, schema, strict=True)], schema=schema
    )


@settings(max_examples=60)
@given(
    st.dictionaries(store_ids, cities, max_size=4),
    st.lists(st.tuples(store_ids, cities), max_size=6),
    st.sampled_from(["upsert", "insert_missing"]),
)
def test_merge_dimension_follows_the_merge_rules(
    current: dict[str, str | None], incoming: list[tuple[str, str | None]], mode: str
) -> None:
    old = _stores([(k, v, "old") for k, v in sorted(current.items())])
    new = _stores([(k, v, "new") for k, v in incoming])

    merged = merge_dimension(old, new, key=("store_id",), mode=mode)  # type: ignore[arg-type]

    expected = {k: (v, "old") for k, v in current.items()}
    for store, city in incoming:
        if mode == "insert_missing":
            if store not in expected:
                expected[store] = (city, "new")
        else:
            known = expected.get(store, (None, ""))[0]
            expected[store] = (city if city is not None else known, "new")
    got = merged.select(["store_id", "city", LOAD_ID_COLUMN]).to_pylist()
    assert [r["store_id"] for r in got] == sorted(expected)
    assert {r["store_id"]: (r["city"], r[LOAD_ID_COLUMN]) for r in got} == expected
    assert merged.schema == old.schema


def test_each_flush_writes_one_file_per_day_holding_only_that_day(tmp_path: Any) -> None:
    staging = Staging(tmp_path, "L1")
    buffer = AppendBuffer(staging, max_rows=10)
    for batch in range(5):
        table = pa.table(
            {"business_date": pa.array([DAY, DAY + timedelta(days=1)] * 4), "v": [batch] * 8}
        )
        buffer.add("orders", table, partition="business_date")

    files = buffer.close()

    assert len({f.relpath for f in files}) == len(files)
    days = {"orders/date=2024-03-01", "orders/date=2024-03-02"}
    assert {f.relpath.rsplit("/", 1)[0] for f in files} == days
    for f in files:
        stored = pq.read_table(f.staged)
        assert f.rows == stored.num_rows
        assert len(set(stored.column("business_date").to_pylist())) == 1
        assert f.relpath.startswith(f"orders/date={stored.column('business_date')[0]}")
    assert sum(f.rows for f in files) == 40
    assert sorted(v for f in files for v in pq.read_table(f.staged).column("v").to_pylist()) \
        == sorted([b for b in range(5) for _ in range(8)])


def test_many_days_and_flushes_still_write_every_row_once(tmp_path: Any) -> None:
    buffer = AppendBuffer(Staging(tmp_path, "L2"), max_rows=4)
    for _ in range(3):
        table = pa.table({"business_date": [DAY + timedelta(days=n) for n in range(5)]})
        buffer.add("orders", table, partition="business_date")

    files = buffer.close()

    assert sum(pq.read_metadata(f.staged).num_rows for f in files) == 15
    assert len({f.relpath for f in files}) == len(files)


def test_a_file_whose_statistics_exclude_the_scope_is_skipped_unread(tmp_path: Any) -> None:
    path = tmp_path / "part.parquet"
    pq.write_table(pa.table({"store_id": ["S001", "S001"], "business_date": [DAY, DAY]}), path)

    def scope(*stores: str) -> pa.Table:
        return pa.table({"store_id": list(stores), "business_date": [DAY] * len(stores)})

    assert may_hold(path, scope("S001"), skip="business_date")
    assert not may_hold(path, scope("S002", "S003"), skip="business_date")
    assert may_hold(path, scope("S002", "S001"), skip="business_date")
    # a column the file does not have cannot exclude it
    assert may_hold(path, pa.table({"channel_id": ["pos"]}))
