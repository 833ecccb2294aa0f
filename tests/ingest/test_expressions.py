"""Mapping expressions: checked once at load, evaluated on whole columns."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from newretail.core.errors import InputFileError, MappingError
from newretail.ingest.convert import BAD_NUMBER
from newretail.ingest.expressions import (
    CHOICE_OUT_OF_RANGE,
    DIVISION_BY_ZERO,
    ExprResult,
    compile_expression,
)

CHUNK = pa.table(
    {
        "InvoiceNo": ["536365", "C536379", None, "536366", "C536380"],
        "数量": ["6", "-1", "2", "x", "3"],
        "单价": ["2.55", "¥1,000", "0", "1", " 4 "],
        "优惠金额": ["0.5", None, "0", "0", "1"],
        "Unit Price": ["1", "2", "3", "4", "5"],
        "品牌": ["1", "3", "2", "4", None],
        "价1": ["10", "11", "12", "13", "14"],
        "价2": ["20", "21", "22", "23", "24"],
        "价3": ["30", "31", "32", "33", "34"],
    }
)
LINES = np.arange(2, 7, dtype=np.int64)


def run(text: str, chunk: pa.Table = CHUNK) -> ExprResult:
    lines = LINES[: chunk.num_rows]
    return compile_expression(text).evaluate(chunk, lines=lines, file_name="pos.csv")


def values(text: str) -> list[Any]:
    return run(text).values.to_pylist()


def issues(result: ExprResult) -> dict[tuple[str, str], list[int]]:
    return {(i.reason, i.source): [int(r) for r in i.mask.nonzero()[0]] for i in result.issues}


def test_arithmetic_over_text_columns_reads_them_as_numbers() -> None:
    result = run("数量 * 单价 - 优惠金额")
    assert result.values.to_pylist()[:3] == pytest.approx([14.8, None, 0.0], nan_ok=True)
    assert result.values.to_pylist()[3:] == [None, 11.0]
    assert issues(result) == {(BAD_NUMBER, "数量"): [3]}


def test_bad_number_issue_carries_the_raw_value() -> None:
    issue = run("num(数量) + 1").issues[0]
    assert issue.values is not None and issue.values.to_pylist()[3] == "x"


def test_startswith_marks_credit_notes() -> None:
    assert values("startswith(InvoiceNo, 'C')") == [False, True, None, False, True]
    assert values("not startswith(InvoiceNo, 'C')") == [True, False, None, True, False]


def test_nulls_propagate_through_operators_and_functions() -> None:
    assert values("优惠金额 + 1") == [1.5, None, 1.0, 1.0, 2.0]
    assert values("upper(InvoiceNo)")[2] is None
    assert values("concat(InvoiceNo, '-', _line)") == [
        "536365-2",
        "C536379-3",
        None,
        "536366-5",
        "C536380-6",
    ]
    assert values("coalesce(优惠金额, 0)") == [0.5, 0.0, 0.0, 0.0, 1.0]
    assert values("is_null(InvoiceNo)") == [False, False, True, False, False]


def test_division_by_zero_is_null_and_a_row_issue() -> None:
    result = run("数量 / 单价")
    assert result.values.to_pylist()[2] is None
    assert issues(result)[(DIVISION_BY_ZERO, "数量 / 单价")] == [2]


def test_choose_picks_the_rows_own_value_one_based() -> None:
    result = run("choose(品牌, 价1, 价2, 价3)")
    assert result.values.to_pylist() == ["10", "31", "22", None, None]
    assert issues(result) == {(CHOICE_OUT_OF_RANGE, "品牌"): [3]}


def test_choose_with_numbers_gives_numbers() -> None:
    assert values("choose(num(品牌), num(价1), 2, 3) * 2")[:3] == [20.0, 6.0, 4.0]


def test_date_plus_days_is_a_date() -> None:
    result = values("date('1989-09-14') + days((num(价1) - 10) * 7)")
    assert result[:2] == [dt.date(1989, 9, 14), dt.date(1989, 9, 21)]
    assert values("date('2024-03-01') - days(1)")[0] == dt.date(2024, 2, 29)
    assert values("date('2024-03-01') - date('2024-01-01')")[0] == 60


def test_column_names_with_spaces_use_col() -> None:
    assert values("col('Unit Price') * 2") == [2.0, 4.0, 6.0, 8.0, 10.0]
    assert compile_expression("col('Unit Price') + 数量").columns == {"Unit Price", "数量"}


def test_line_and_file_of_each_row() -> None:
    assert values("_line") == [2, 3, 4, 5, 6]
    assert values("_file")[0] == "pos.csv"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("-7 % 3", 2),
        ("7 // -2", -4),
        ("abs(-2.5)", 2.5),
        ("round(2.345, 2)", 2.35),
        ("round(-0.5)", -1.0),
        ("min(3, 1, 2)", 1),
        ("max(num('¥12'), 5)", 12.0),
        ("len('门店A')", 3),
        ("left('SKU-001', 3)", "SKU"),
        ("right('SKU-001', 3)", "001"),
        ("replace('a-b-c', '-', '')", "abc"),
        ("lower(strip('  AB '))", "ab"),
        ("int('1,234.9')", 1234),
        ("str(12)", "12"),
        ("if_(1 > 2, 'a', 'b')", "b"),
        ("'a' if 1 < 2 else 'b'", "a"),
        ("0 < 5 <= 5", True),
        ("'b' in ('a', 'b')", True),
        ("contains('鼓楼店', '楼')", True),
        ("endswith('x.csv', '.csv')", True),
    ],
)
def test_functions_and_operators(text: str, expected: Any) -> None:
    assert values(text)[0] == expected


def test_comparison_of_text_column_with_number_reads_the_number() -> None:
    result = run("数量 < 0")
    assert result.values.to_pylist() == [False, True, False, None, False]
    assert issues(result) == {(BAD_NUMBER, "数量"): [3]}


def test_comparison_of_two_text_values_compares_text() -> None:
    assert values("InvoiceNo == '536366'") == [False, False, None, True, False]
    assert values("InvoiceNo == None") == [False, False, True, False, False]


def test_log_of_zero_is_null_and_an_issue() -> None:
    result = run("log(单价)")
    assert result.values.to_pylist()[2] is None and len(result.issues) == 1


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("strtswith(InvoiceNo, 'C')", "ingest.mapping.expr_unknown_function"),
        ("xyzzy(1)", "ingest.mapping.expr_unknown_function_no_match"),
        ("InvoiceNo.startswith('C')", "ingest.mapping.expr_not_allowed"),
        ("__import__('os')", "ingest.mapping.expr_unknown_function_no_match"),
        ("[x for x in 数量]", "ingest.mapping.expr_not_allowed"),
        ("数量[0]", "ingest.mapping.expr_not_allowed"),
        ("数量 ** 2", "ingest.mapping.expr_not_allowed"),
        ("startswith(InvoiceNo, 前缀)", "ingest.mapping.expr_literal_text"),
        ("left(InvoiceNo, '3')", "ingest.mapping.expr_literal_int"),
        ("replace(InvoiceNo, 'C')", "ingest.mapping.expr_arguments"),
        ("date('2024-02-30')", "ingest.mapping.expr_bad_date"),
        ("round(x, n=2)", "ingest.mapping.expr_not_allowed"),
        ("数量 *", "ingest.mapping.expr_syntax"),
    ],
)
def test_expression_mistakes_are_rejected_when_compiled(text: str, key: str) -> None:
    with pytest.raises(MappingError) as caught:
        compile_expression(text, file="pos.toml", line=12)
    assert caught.value.key == key
    assert caught.value.params["line"] == 12
    assert "pos.toml" in caught.value.message("en")


def test_unknown_function_message_suggests_the_close_name() -> None:
    with pytest.raises(MappingError) as caught:
        compile_expression("strtswith(InvoiceNo, 'C')", file="pos.toml", line=3)
    assert "startswith()" in caught.value.message("en")


def test_a_column_missing_from_the_chunk_is_an_input_error() -> None:
    with pytest.raises(InputFileError):
        run("缺失的列 + 1")
