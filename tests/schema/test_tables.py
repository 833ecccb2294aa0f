from pathlib import Path

import pyarrow as pa
import pytest

from newretail.core.errors import NotFound
from newretail.schema import TABLES, get_table
from newretail.schema.dictionary import render_markdown

DICTIONARY = Path(__file__).resolve().parents[2] / "docs" / "data-dictionary.md"

SPEC_D1_TABLES = {
    "stores",
    "warehouses",
    "channels",
    "products",
    "categories",
    "members",
    "orders",
    "order_lines",
    "payments",
    "returns",
    "inventory_snapshots",
    "inventory_movements",
    "suppliers",
    "purchase_orders",
    "receipts",
    "events",
    "feedback",
    "tickets",
    "campaigns",
    "messages",
    "experiments",
}


def test_every_spec_d1_entity_has_a_table() -> None:
    assert set(TABLES) >= SPEC_D1_TABLES


def test_data_dictionary_is_in_sync_with_the_tables() -> None:
    assert DICTIONARY.read_text(encoding="utf-8") == render_markdown() + "\n", (
        "docs/data-dictionary.md is out of date: run `newretail schema docs`"
    )


@pytest.mark.parametrize("table", list(TABLES.values()), ids=list(TABLES))
def test_every_column_is_described_in_both_languages(table) -> None:
    assert table.zh and table.en
    for column in table.columns:
        assert column.zh.strip() and column.en.strip(), f"{table.name}.{column.name}"


@pytest.mark.parametrize("table", list(TABLES.values()), ids=list(TABLES))
def test_references_and_return_flags_point_at_real_columns(table) -> None:
    for column in table.columns:
        if column.ref:
            ref_table, ref_column = column.ref.split(".")
            assert ref_column in TABLES[ref_table].by_column
            assert TABLES[ref_table].kind == "dimension"
        if column.negative_if:
            assert table.column(column.negative_if).type == "bool"


def test_money_is_stored_as_integer_minor_units() -> None:
    money = [c for t in TABLES.values() for c in t.columns if c.type == "money"]
    assert money and all(c.arrow_type == pa.int64() for c in money)


def test_facts_are_partitioned_by_business_date() -> None:
    for table in TABLES.values():
        if table.kind == "fact":
            assert table.partition == "business_date"
            assert table.column("business_date").required


def test_unknown_table_names_the_known_ones() -> None:
    with pytest.raises(NotFound) as err:
        get_table("order")
    assert "orders" in str(err.value)
