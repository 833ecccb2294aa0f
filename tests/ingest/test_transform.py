"""Source chunks to canonical rows: filtering, recoding, conversion and the schema's rules."""

from __future__ import annotations

import datetime as dt
import gzip
import io
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pytest

from newretail.ingest.mapping import Mapping, load_mapping, parse_mapping
from newretail.ingest.transform import TableBatch, output_schema, transform
from newretail.ingest.validate import validate_rows
from newretail.schema import TABLES

UTC = dt.UTC
DATA = Path(__file__).resolve().parents[3] / "shared" / "data"

POS = """\
[source]
name = "pos_daily"
timezone = "Asia/Shanghai"

[[tables]]
table = "order_lines"
where = "状态 != '作废'"

[tables.columns]
order_id = "单号"
line_no = { column = "行号" }
sku_id = { column = "商品编码" }
quantity = "数量"
unit_price = { column = "单价", unit = "yuan" }
net_amount = { expr = "数量 * 单价 - 优惠", unit = "yuan" }
channel_id = { const = "pos" }
store_id = { column = "门店", map = { "鼓楼店" = "S001", "新街口店" = "S002" }, default = "S000" }
is_return = { column = "类型", match = { "^退" = true, "^销" = false } }
business_date = { from = "ordered_at" }
promotion_id = { column = "活动", map = { "满减" = "P1" }, map_others = "keep" }

[[tables]]
table = "orders"
distinct = true
[tables.columns]
order_id = "单号"
ordered_at = { column = "交易时间" }
business_date = { from = "ordered_at" }
channel_id = { const = "pos" }
status = { column = "状态", map = { "完成" = "completed", "作废" = "cancelled" } }
"""

# order_lines has no timestamp column of its own: ``from`` needs one mapped in the same entry
POS = POS.replace(
    'business_date = { from = "ordered_at" }\npromotion_id',
    'business_date = { column = "交易时间" }\npromotion_id',
)

HEADER = [
    "单号",
    "行号",
    "商品编码",
    "数量",
    "单价",
    "优惠",
    "门店",
    "类型",
    "交易时间",
    "状态",
    "活动",
]
ROWS = [
    ["A1", "1", "SKU1", "2", "12.50", "1", "鼓楼店", "销售", "2024-01-05 23:30:00", "完成", "满减"],
    ["A1", "2", "SKU2", "1", "3", "0", "鼓楼店", "销售", "2024-01-05 23:30:00", "完成", "秒杀"],
    [
        "A2",
        "1",
        "SKU1",
        "-1",
        "12.50",
        "0",
        "新街口店",
        "退货",
        "2024-01-06 07:15:00",
        "完成",
        None,
    ],
    ["A3", "1", "SKU3", "-2", "5", "0", "未知店", "销售", "2024-01-06 09:00:00", "完成", None],
    ["A4", "1", "SKU1", "1", "5", "0", None, "销售", "2024-01-06 09:05:00", "作废", None],
    ["A5", "1", "SKU9", "abc", "5", "0", "鼓楼店", "换货", "2024/01/06 10:00", "完成", None],
]


def chunk_of(rows: list[list[Any]], header: list[str] = HEADER) -> pa.Table:
    columns = list(zip(*rows, strict=True)) if rows else [[] for _ in header]
    return pa.table(
        {name: pa.array(list(col), pa.string()) for name, col in zip(header, columns, strict=True)}
    )


def mapping_of(text: str) -> Mapping:
    return parse_mapping(text, path=Path("pos.toml"))


def run(text: str = POS, rows: list[list[Any]] = ROWS, *, first_line: int = 2) -> list[TableBatch]:
    lines = np.arange(first_line, first_line + len(rows), dtype=np.int64)
    return transform(mapping_of(text), chunk_of(rows), lines=lines, file_name="pos.csv")


def errors_of(batch: TableBatch) -> list[tuple[int, str | None, str]]:
    records = batch.errors.records
    return sorted(
        zip(
            records.column("line").to_pylist(),
            records.column("column").to_pylist(),
            records.column("reason").to_pylist(),
            strict=True,
        )
    )


def test_rows_have_the_canonical_schema_plus_line() -> None:
    lines, orders = run()
    assert lines.rows.schema == output_schema(TABLES["order_lines"])
    assert orders.rows.schema == output_schema(TABLES["orders"])
    assert lines.rows.column("cost_amount").null_count == lines.rows.num_rows


def test_where_false_rows_are_neither_loaded_nor_errors() -> None:
    lines, _ = run()
    assert 6 not in lines.rows.column("_line").to_pylist()
    assert 6 not in [line for line, _, _ in errors_of(lines)]


def test_null_where_keeps_the_row() -> None:
    rows = [r.copy() for r in ROWS[:1]]
    rows[0][9] = None
    lines, _ = run(rows=rows)
    assert lines.rows.num_rows == 1


def test_values_are_converted_and_mapped() -> None:
    lines, _ = run()
    first = lines.rows.slice(0, 1).to_pylist()[0]
    assert first["unit_price"] == 1250 and first["net_amount"] == 2400
    assert first["store_id"] == "S001" and first["channel_id"] == "pos"
    assert first["business_date"] == dt.date(2024, 1, 5) and first["is_return"] is False
    assert first["promotion_id"] == "P1" and first["_line"] == 2
    second = lines.rows.slice(1, 1).to_pylist()[0]
    assert second["promotion_id"] == "秒杀"  # map_others = "keep"


def test_value_map_default_covers_unknown_values() -> None:
    lines, _ = run()
    stores = dict(
        zip(
            lines.rows.column("_line").to_pylist(),
            lines.rows.column("store_id").to_pylist(),
            strict=True,
        )
    )
    assert stores[4] == "S002"
    assert 5 not in stores  # its negative quantity is rejected, but not for the store
    assert "ingest.reason.unmapped_value" not in [
        reason for _, column, reason in errors_of(lines) if column == "store_id"
    ]


def test_unmapped_value_without_default_is_an_error() -> None:
    _, orders = run(rows=[[*ROWS[0][:9], "挂单", None]])
    assert errors_of(orders) == [(2, "status", "ingest.reason.unmapped_value")]
    assert orders.errors.records.column("value").to_pylist() == ["挂单"]


def test_regex_match_gives_the_first_matching_value() -> None:
    lines, _ = run()
    returns = dict(
        zip(
            lines.rows.column("_line").to_pylist(),
            lines.rows.column("is_return").to_pylist(),
            strict=True,
        )
    )
    assert returns[2] is False and returns[4] is True
    assert (7, "is_return", "ingest.reason.unmapped_value") in errors_of(lines)


def test_negative_quantity_is_allowed_only_on_returns() -> None:
    lines, _ = run()
    assert 4 in lines.rows.column("_line").to_pylist()
    problems = errors_of(lines)
    assert (5, "quantity", "ingest.reason.negative_without_return") in problems
    assert (5, "net_amount", "ingest.reason.negative_without_return") in problems
    record = lines.errors.records.filter(pc.equal(lines.errors.records["line"], 5))
    assert "-2" in record.column("value").to_pylist()


def test_a_row_with_several_problems_reports_each() -> None:
    lines, _ = run()
    assert [p for p in errors_of(lines) if p[0] == 7] == [
        (7, "is_return", "ingest.reason.unmapped_value"),
        (7, "net_amount", "ingest.reason.bad_number"),
        (7, "quantity", "ingest.reason.bad_number"),
    ]
    assert set(lines.errors.rows.tolist()) == {3, 5}


def test_error_records_name_source_and_raw_value() -> None:
    lines, _ = run()
    records = lines.errors.records.to_pylist()
    quantity = next(r for r in records if r["line"] == 7 and r["column"] == "quantity")
    assert quantity["source"] == "数量" and quantity["value"] == "abc"
    assert quantity["table"] == "order_lines" and quantity["row"] == 5


def test_distinct_entry_keeps_every_row_for_the_loader_to_choose_the_first() -> None:
    # the first row of a key may still be rejected by another table's checks: the loader
    # picks the first row that passed them all, so transform must not drop the others
    _, orders = run()
    assert orders.rows.column("order_id").to_pylist() == ["A1", "A1", "A2", "A3", "A4", "A5"]
    assert orders.rows.column("_line").to_pylist() == [2, 3, 4, 5, 6, 7]


def test_business_date_from_a_timestamp_is_the_local_day_across_midnight() -> None:
    _, orders = run()
    a2 = next(r for r in orders.rows.to_pylist() if r["order_id"] == "A2")
    assert a2["ordered_at"] == dt.datetime(2024, 1, 5, 23, 15, tzinfo=UTC)
    assert a2["business_date"] == dt.date(2024, 1, 6)


def test_failed_timestamp_is_reported_once_not_again_as_a_missing_date() -> None:
    rows = [[*ROWS[0][:8], "yesterday", *ROWS[0][9:]]]
    _, orders = run(rows=rows)
    assert errors_of(orders) == [(2, "ordered_at", "ingest.reason.bad_timestamp")]


REQUIRED_AND_ENUM = """\
[source]
name = "stores"
[[tables]]
table = "stores"
mode = "upsert"
[tables.columns]
store_id = "编号"
name = "名称"
store_type = "类型"
opened_on = "开业"
latitude = "纬度"
"""


def test_enum_and_required_errors_carry_the_right_lines() -> None:
    header = ["编号", "名称", "类型", "开业", "纬度"]
    rows = [
        ["S1", "鼓楼店", "flagship", "2019-05-01", "32.06"],
        ["S2", None, "community", "2020-01-01", "32.0"],
        ["S3", "新街口店", "mall", "1985-01-01", "91"],
        ["S4", "江宁店", "convenience", "1850-01-01", "31.9"],
    ]
    lines = np.array([10, 11, 13, 14], dtype=np.int64)
    (batch,) = transform(
        mapping_of(REQUIRED_AND_ENUM), chunk_of(rows, header), lines=lines, file_name="stores.csv"
    )
    assert batch.rows.column("store_id").to_pylist() == ["S1"]
    assert errors_of(batch) == [
        (11, "name", "ingest.reason.required"),
        (13, "latitude", "ingest.reason.above_max"),
        (13, "store_type", "ingest.reason.not_in_enum"),
        (14, "opened_on", "ingest.reason.date_out_of_range"),
    ]
    enum = next(r for r in batch.errors.records.to_pylist() if r["column"] == "store_type")
    assert enum["value"] == "mall" and "flagship" in enum["detail"]


def test_validate_rows_checks_business_dates_and_instants_against_recent_years() -> None:
    table = TABLES["payments"]
    rows = pa.table(
        {
            "payment_id": ["P1", "P2", "P3"],
            "order_id": ["A1", "A2", "A3"],
            "business_date": [dt.date(2024, 1, 5), dt.date(1989, 12, 31), dt.date(2024, 1, 5)],
            "paid_at": pa.array(
                [dt.datetime(2024, 1, 5, tzinfo=UTC)] * 2 + [dt.datetime(2101, 1, 1, tzinfo=UTC)],
                pa.timestamp("us", tz="UTC"),
            ),
            "method": ["wechat_pay", "alipay", "cash"],
            "amount": pa.array([100, -100, -5], pa.int64()),
            "is_refund": [False, True, False],
        }
    )
    passed, problems = validate_rows(table, rows)
    assert passed.column("payment_id").to_pylist() == ["P1"]
    found = problems.records.select(["row", "line", "column", "reason"]).to_pylist()
    assert found == [
        {
            "row": 1,
            "line": 2,
            "column": "business_date",
            "reason": "ingest.reason.date_out_of_range",
        },
        {"row": 2, "line": 3, "column": "paid_at", "reason": "ingest.reason.date_out_of_range"},
        {
            "row": 2,
            "line": 3,
            "column": "amount",
            "reason": "ingest.reason.negative_without_return",
        },
    ]


def test_an_empty_chunk_gives_empty_batches() -> None:
    lines, orders = run(rows=[])
    assert lines.rows.num_rows == 0 and orders.rows.num_rows == 0 and len(lines.errors) == 0


def test_parquet_native_types_pass_through() -> None:
    text = """\
[source]
name = "pq"
timezone = "Asia/Shanghai"
[[tables]]
table = "payments"
[tables.columns]
payment_id = "id"
order_id = "order"
paid_at = "paid"
business_date = { from = "paid_at" }
method = "method"
amount = { column = "fen", unit = "fen" }
is_refund = "refund"
"""
    chunk = pa.table(
        {
            "id": ["P1", "P2"],
            "order": ["A1", "A2"],
            "paid": pa.array([dt.datetime(2024, 1, 5, 23, 30)] * 2, pa.timestamp("ms")),
            "method": pa.array(["cash", "alipay"]).dictionary_encode(),
            "fen": pa.array([1999, -500], pa.int32()),
            "refund": [False, True],
        }
    )
    (batch,) = transform(mapping_of(text), chunk, lines=np.array([1, 2]), file_name="p.parquet")
    row = batch.rows.to_pylist()[1]
    assert row["amount"] == -500 and row["method"] == "alipay" and row["is_refund"] is True
    assert row["paid_at"] == dt.datetime(2024, 1, 5, 15, 30, tzinfo=UTC)
    assert row["business_date"] == dt.date(2024, 1, 5)


def _online_retail_sample(rows: int) -> pa.Table:
    path = DATA / "uci_online_retail" / "online_retail.csv.gz"
    if not path.exists():
        pytest.skip("the shared UCI Online Retail file is not available")
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        head = "".join(handle.readline() for _ in range(rows + 1))
    names = head.splitlines()[0].split(",")
    options = pacsv.ConvertOptions(
        column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=True
    )
    return pacsv.read_csv(io.BytesIO(head.encode()), convert_options=options)


def test_built_in_online_retail_mapping_on_the_real_file() -> None:
    chunk = _online_retail_sample(5000)
    lines = np.arange(2, chunk.num_rows + 2, dtype=np.int64)
    batches = {
        b.mapping.table.name: b
        for b in transform(
            load_mapping("uci_online_retail"), chunk, lines=lines, file_name="online_retail.csv"
        )
    }
    order_lines, returns = batches["order_lines"], batches["returns"]
    credit = np.char.startswith(np.array(chunk.column("InvoiceNo").to_pylist(), dtype=str), "C")
    assert returns.rows.num_rows + len(returns.errors.rows) == int(credit.sum())
    assert order_lines.rows.num_rows + len(order_lines.errors.rows) == int((~credit).sum())
    first = order_lines.rows.slice(0, 1).to_pylist()[0]
    assert first["order_id"] == "536365" and first["unit_price"] == 255
    assert first["net_amount"] == 1530 and first["_line"] == 2
    orders = batches["orders"].rows
    assert orders.column("ordered_at").to_pylist()[0] == dt.datetime(2010, 12, 1, 8, 26, tzinfo=UTC)
    # one orders row per order line; the loader keeps the first of each order
    assert orders.num_rows + len(batches["orders"].errors.rows) == int((~credit).sum())
