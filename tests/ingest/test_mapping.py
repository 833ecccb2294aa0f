"""Loading and checking mapping files: every mistake names the file, the line and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from newretail.core.errors import InputFileError, MappingError, NotFound
from newretail.core.settings import get_settings
from newretail.ingest.mapping import (
    available_mappings,
    check_header,
    load_mapping,
    parse_mapping,
)

POS = """\
[source]
name = "pos_daily"
timezone = "Asia/Shanghai"
replace_scope = ["store_id", "business_date"]

[[tables]]
table = "order_lines"
where = "状态 != '作废'"
create_missing = ["products"]

[tables.columns]
order_id = "单号"
line_no = { column = "行号" }
sku_id = { column = "商品编码", strip = true }
quantity = "数量"
unit_price = { column = "单价", unit = "yuan" }
net_amount = { expr = "数量 * 单价 - 优惠金额", unit = "yuan" }
channel_id = { const = "pos" }
store_id = { column = "门店", map = { "鼓楼店" = "S001", "新街口店" = "S002" } }
is_return = { expr = "数量 < 0" }
business_date = { column = "交易时间" }

[[tables]]
table = "orders"
distinct = true
[tables.columns]
order_id = "单号"
ordered_at = { column = "交易时间", format = "%Y/%m/%d %H:%M:%S" }
business_date = { from = "ordered_at" }
channel_id = { const = "pos" }
store_id = { column = "门店", map = { "鼓楼店" = "S001", "新街口店" = "S002" } }
"""


def write(tmp_path: Path, text: str, name: str = "pos.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def mapping_error(tmp_path: Path, text: str) -> MappingError:
    with pytest.raises(MappingError) as caught:
        load_mapping(write(tmp_path, text))
    return caught.value


def test_complete_example_loads_with_every_part(tmp_path: Path) -> None:
    mapping = load_mapping(write(tmp_path, POS))
    assert mapping.source.name == "pos_daily"
    assert mapping.source.replace_scope == ("store_id", "business_date")
    lines, orders = mapping.tables
    assert lines.table.name == "order_lines" and lines.mode == "append"
    assert lines.create_missing == ("products",)
    assert lines.columns["unit_price"].unit == "yuan"
    assert lines.columns["net_amount"].kind == "expr"
    assert lines.columns["store_id"].value_map == {"鼓楼店": "S001", "新街口店": "S002"}
    assert lines.columns["quantity"].line == 15
    assert orders.distinct and orders.columns["business_date"].from_column == "ordered_at"
    assert orders.columns["ordered_at"].formats == ("%Y/%m/%d %H:%M:%S",)


def test_source_columns_include_names_inside_expressions(tmp_path: Path) -> None:
    mapping = load_mapping(write(tmp_path, POS))
    assert mapping.source_columns() == {
        "状态",
        "单号",
        "行号",
        "商品编码",
        "数量",
        "单价",
        "优惠金额",
        "门店",
        "交易时间",
    }
    assert mapping.source_column_uses()["优惠金额"] == [17]
    assert mapping.source_column_uses()["数量"] == [15, 17, 20]


def test_defaults_come_from_the_document_and_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWRETAIL_TIMEZONE", "Europe/London")
    monkeypatch.setenv("NEWRETAIL_CURRENCY", "GBP")
    get_settings.cache_clear()
    try:
        text = '[source]\nname = "x"\n[[tables]]\ntable = "weather"\n[tables.columns]\n'
        text += 'business_date = "日期"\ncity = "城市"\n'
        source = load_mapping(write(tmp_path, text)).source
    finally:
        get_settings.cache_clear()
    assert (source.timezone, source.currency) == ("Europe/London", "GBP")
    assert source.encoding == "auto" and source.delimiter == "," and source.header_row == 1
    assert source.null_values == ("", "NULL", "null", "NaN", "N/A", "-")
    assert source.replace_scope == ("business_date",) and source.format is None


def test_unknown_option_names_its_line_and_the_close_key(tmp_path: Path) -> None:
    error = mapping_error(tmp_path, POS.replace('unit = "yuan"', 'unitt = "yuan"'))
    assert error.key == "ingest.mapping.unknown_key"
    assert error.params["line"] == 16
    assert error.params["suggestion"] == "unit"
    message = error.message("en")
    assert "pos.toml, line 16" in message and "did you mean 'unit'" in message
    assert "第 16 行" in error.message("zh-CN")


def test_unknown_source_key_is_found_in_its_section(tmp_path: Path) -> None:
    error = mapping_error(tmp_path, POS.replace("timezone =", "timezon ="))
    assert (error.key, error.params["line"], error.params["suggestion"]) == (
        "ingest.mapping.unknown_key",
        3,
        "timezone",
    )


def test_unknown_table_key_in_second_entry_points_at_that_entry(tmp_path: Path) -> None:
    error = mapping_error(tmp_path, POS.replace("distinct = true", "distinc = true"))
    assert error.params["line"] == 25 and error.params["suggestion"] == "distinct"


def test_key_without_close_match_lists_the_known_keys(tmp_path: Path) -> None:
    error = mapping_error(tmp_path, POS.replace("create_missing", "zzz"))
    assert error.key == "ingest.mapping.unknown_key_no_match"
    assert "create_missing" in error.params["known"] and error.params["line"] == 9


def test_unknown_table_suggests_the_closest(tmp_path: Path) -> None:
    error = mapping_error(tmp_path, POS.replace('table = "order_lines"', 'table = "order_line"'))
    assert error.key == "ingest.mapping.unknown_table"
    assert (error.params["line"], error.params["suggestion"]) == (7, "order_lines")


def test_unknown_column_suggests_the_closest(tmp_path: Path) -> None:
    error = mapping_error(tmp_path, POS.replace("unit_price =", "unit_prise ="))
    assert error.key == "ingest.mapping.unknown_column"
    assert error.params["line"] == 16 and error.params["suggestion"] == "unit_price"
    assert error.params["table"] == "order_lines"


def test_toml_syntax_error_gives_line_and_column(tmp_path: Path) -> None:
    error = mapping_error(tmp_path, POS.replace('quantity = "数量"', 'quantity = "数量'))
    assert error.key == "ingest.mapping.syntax"
    assert error.params["line"] == 15 and error.params["col"] > 0
    assert "pos.toml" in error.message("en") and "TOML" in error.message("zh-CN")


def test_expression_that_does_not_parse_is_rejected_at_load(tmp_path: Path) -> None:
    error = mapping_error(tmp_path, POS.replace("数量 * 单价 - 优惠金额", "数量 * (单价"))
    assert error.key == "ingest.mapping.expr_syntax" and error.params["line"] == 17


def test_unknown_function_is_rejected_at_load_with_suggestion(tmp_path: Path) -> None:
    error = mapping_error(tmp_path, POS.replace("数量 < 0", "startwith(单号, 'C')"))
    assert error.key == "ingest.mapping.expr_unknown_function"
    assert error.params["suggestion"] == "startswith" and error.params["line"] == 20


def test_where_expression_is_checked_at_load(tmp_path: Path) -> None:
    error = mapping_error(tmp_path, POS.replace("状态 != '作废'", "状态.lower()"))
    assert error.key == "ingest.mapping.expr_not_allowed" and error.params["line"] == 8


def test_from_must_name_a_timestamp_column(tmp_path: Path) -> None:
    error = mapping_error(tmp_path, POS.replace('{ from = "ordered_at" }', '{ from = "order_id" }'))
    assert error.key == "ingest.mapping.from_not_timestamp" and error.params["line"] == 29


def test_from_target_must_be_mapped_in_the_same_table(tmp_path: Path) -> None:
    text = POS.replace('ordered_at = { column = "交易时间", format = "%Y/%m/%d %H:%M:%S" }\n', "")
    error = mapping_error(tmp_path, text)
    assert error.key in ("ingest.mapping.from_not_mapped", "ingest.mapping.required_not_mapped")


def test_map_with_text_values_on_a_numeric_column_is_rejected(tmp_path: Path) -> None:
    error = mapping_error(
        tmp_path,
        POS.replace('quantity = "数量"', 'quantity = { column = "数量", map = { "一" = "one" } }'),
    )
    assert error.key == "ingest.mapping.value_type"
    assert (error.params["column"], error.params["type"], error.params["line"]) == (
        "quantity",
        "float",
        15,
    )


def test_map_with_numbers_on_a_numeric_column_is_accepted(tmp_path: Path) -> None:
    mapping = load_mapping(
        write(
            tmp_path,
            POS.replace(
                'quantity = "数量"',
                'quantity = { column = "数量", map = { "一" = 1, "半" = 0.5 } }',
            ),
        )
    )
    assert mapping.tables[0].columns["quantity"].value_map == {"一": 1, "半": 0.5}


def test_const_and_column_together_are_rejected(tmp_path: Path) -> None:
    error = mapping_error(
        tmp_path,
        POS.replace(
            'channel_id = { const = "pos" }', 'channel_id = { const = "pos", column = "渠道" }', 1
        ),
    )
    assert error.key == "ingest.mapping.several_sources" and error.params["line"] == 18


def test_replace_scope_must_name_canonical_columns(tmp_path: Path) -> None:
    error = mapping_error(
        tmp_path, POS.replace('["store_id", "business_date"]', '["store", "business_date"]')
    )
    assert error.key == "ingest.mapping.unknown_scope_column"
    assert error.params["line"] == 4 and error.params["suggestion"] == "store_id"


def test_required_columns_must_be_mapped(tmp_path: Path) -> None:
    error = mapping_error(tmp_path, POS.replace('line_no = { column = "行号" }\n', ""))
    assert error.key == "ingest.mapping.required_not_mapped"
    assert error.params["columns"] == "line_no" and error.params["line"] == 6


def test_unit_on_a_column_that_is_not_money_is_rejected(tmp_path: Path) -> None:
    error = mapping_error(
        tmp_path, POS.replace('quantity = "数量"', 'quantity = { column = "数量", unit = "fen" }')
    )
    assert error.key == "ingest.mapping.option_not_for_type"


def test_bad_regex_in_match_is_rejected(tmp_path: Path) -> None:
    error = mapping_error(
        tmp_path,
        POS.replace(
            'order_id = "单号"', 'order_id = { column = "单号", match = { "(?=C)" = "x" } }', 1
        ),
    )
    assert error.key == "ingest.mapping.bad_regex" and error.params["line"] == 12


def test_unknown_time_zone_is_rejected(tmp_path: Path) -> None:
    error = mapping_error(tmp_path, POS.replace("Asia/Shanghai", "Asia/Beijing"))
    assert error.key == "ingest.mapping.bad_timezone" and error.params["line"] == 3


def test_mode_must_suit_the_kind_of_table(tmp_path: Path) -> None:
    error = mapping_error(tmp_path, POS.replace("distinct = true", 'mode = "upsert"'))
    assert error.key == "ingest.mapping.bad_choice" and error.params["choices"] == "append"


def test_create_missing_must_be_a_referenced_dimension(tmp_path: Path) -> None:
    error = mapping_error(tmp_path, POS.replace('["products"]', '["suppliers"]'))
    assert error.key == "ingest.mapping.create_missing_unrelated"


def test_missing_source_column_names_the_column_and_mapping_line(tmp_path: Path) -> None:
    mapping = load_mapping(write(tmp_path, POS))
    header = ["状态", "单号", "行号", "商品编码", "数量", "单价", "门店", "交易时间"]
    with pytest.raises(InputFileError) as caught:
        check_header(mapping, header, file_name="2024-01-05.csv")
    error = caught.value
    assert error.key == "ingest.missing_column"
    assert error.params["columns"] == "'优惠金额' (17)"
    assert "2024-01-05.csv" in error.message("en") and "pos.toml" in error.message("en")


def test_complete_header_passes_even_with_stray_spaces(tmp_path: Path) -> None:
    mapping = load_mapping(write(tmp_path, POS))
    header = ["状态", "单号 ", "行号", "商品编码", "数量", "单价", "优惠金额", "门店", "交易时间"]
    check_header(mapping, header, file_name="ok.csv")


def test_name_is_looked_up_in_search_dirs_before_built_ins(tmp_path: Path) -> None:
    write(tmp_path, POS, name="uci_online_retail.toml")
    assert load_mapping("uci_online_retail", search_dirs=[tmp_path]).source.name == "pos_daily"
    assert load_mapping("uci_online_retail").source.name == "uci_online_retail"


def test_unknown_name_lists_available_mappings(tmp_path: Path) -> None:
    write(tmp_path, POS, name="pos.toml")
    with pytest.raises(NotFound) as caught:
        load_mapping("nope", search_dirs=[tmp_path])
    known = caught.value.params["known"]
    assert "pos" in known and "uci_online_retail" in known
    assert "pos" in available_mappings([tmp_path])


def test_missing_mapping_path_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        load_mapping(tmp_path / "absent.toml")


@pytest.mark.parametrize("name", ["uci_online_retail", "dominicks_oj", "btyd_grocery"])
def test_built_in_mapping_loads(name: str) -> None:
    mapping = load_mapping(name)
    assert mapping.source.name == name and mapping.tables


def test_lines_are_found_for_sub_tables_and_quoted_keys() -> None:
    text = (
        '[source]\nname = "s"\n\n[[tables]]\ntable = "stores"\n\n'
        '[tables.columns.store_id]\ncolumn = "编号"\n\n'
        '[tables.columns.name]\ncolumn = "名称"\nstirp = true\n'
        '[tables.columns.store_type]\nconst = "community"\n'
    )
    with pytest.raises(MappingError) as caught:
        parse_mapping(text, path=Path("stores.toml"))
    assert caught.value.params["line"] == 12 and caught.value.params["suggestion"] == "strip"
