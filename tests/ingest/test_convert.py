"""Converting exported text (and native Parquet values) to canonical types, column-wise."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from newretail.ingest.convert import (
    BAD_BOOL,
    BAD_DATE,
    BAD_NUMBER,
    BAD_TIMESTAMP,
    NOT_INTEGER,
    TOO_MANY_DECIMALS,
    Converted,
    local_dates,
    parse_booleans,
    parse_dates,
    parse_integers,
    parse_numbers,
    parse_timestamps,
    to_minor_units,
)

UTC = dt.UTC
SHANGHAI = ZoneInfo("Asia/Shanghai")


def text(*values: str | None) -> pa.Array:
    return pa.array(values, pa.string())


def failures(converted: Converted) -> dict[str, list[int]]:
    return {reason: [int(i) for i in mask.nonzero()[0]] for reason, mask in converted.failures}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1,234.5", 1234.5),
        ("¥12", 12.0),
        ("12元", 12.0),
        ("￥1,234.50", 1234.5),
        ("(12.00)", -12.0),
        ("12%", 0.12),
        ("１２３．５", 123.5),
        ("RMB 88", 88.0),
        (" -7 ", -7.0),
        ("-¥3.5", -3.5),
        ("1e3", 1000.0),
    ],
)
def test_number_forms_of_real_exports_are_read(raw: str, expected: float) -> None:
    converted = parse_numbers(text(raw, "1"))
    assert converted.values.to_pylist()[0] == pytest.approx(expected)
    assert not converted.failures


def test_text_that_is_not_a_number_is_null_and_flagged() -> None:
    converted = parse_numbers(text("12", "abc", None, "", "1.234,5", "1,2,3"))
    assert converted.values.to_pylist() == [12.0, None, None, None, None, None]
    assert failures(converted) == {BAD_NUMBER: [1, 4, 5]}


def test_native_numbers_pass_and_nan_is_missing() -> None:
    converted = parse_numbers(pa.array([1.5, float("nan"), None]))
    assert converted.values.to_pylist() == [1.5, None, None] and not converted.failures


def test_yuan_become_exact_fen() -> None:
    converted = to_minor_units(text("12.34", "0.1", "1,000", "¥19.99", "(5.50)", None))
    assert converted.values.to_pylist() == [1234, 10, 100000, 1999, -550, None]
    assert converted.values.type == pa.int64()


@pytest.mark.parametrize(
    ("unit", "raw", "expected"),
    [
        ("major", "3.5", 350),
        ("jiao", "35", 350),
        ("jiao", "3.5", 35),
        ("fen", "350", 350),
        ("minor", "350", 350),
    ],
)
def test_money_units_scale_to_fen(unit: str, raw: str, expected: int) -> None:
    assert to_minor_units(text(raw), unit=unit).values.to_pylist() == [expected]


def test_more_decimals_than_the_unit_allows_is_an_error() -> None:
    converted = to_minor_units(text("12.345", "12.340", "1.5"), unit="yuan")
    assert converted.values.to_pylist() == [None, 1234, 150]
    assert failures(converted) == {TOO_MANY_DECIMALS: [0]}
    fen = to_minor_units(text("1.5"), unit="fen")
    assert failures(fen) == {TOO_MANY_DECIMALS: [0]}


def test_computed_amounts_round_half_away_from_zero() -> None:
    converted = to_minor_units(pa.array([3 * 12.345, 0.372 * 12.8, -0.005]), round_excess=True)
    assert converted.values.to_pylist() == [3704, 476, -1]


def test_native_integer_amounts_are_exact() -> None:
    converted = to_minor_units(pa.array([2**50, -3], pa.int64()), unit="jiao")
    assert converted.values.to_pylist() == [2**50 * 10, -30]


def test_integers_reject_fractions() -> None:
    converted = parse_integers(text("1", "1.5", "2.0", "x", "1,000"))
    assert converted.values.to_pylist() == [1, None, 2, None, 1000]
    assert failures(converted) == {BAD_NUMBER: [3], NOT_INTEGER: [1]}


def test_booleans_in_chinese_and_english() -> None:
    converted = parse_booleans(text("是", "否", "TRUE", "n", "1", "F", "也许", None))
    assert converted.values.to_pylist() == [True, False, True, False, True, False, None, None]
    assert failures(converted) == {BAD_BOOL: [6]}


def test_declared_true_and_false_values_replace_the_defaults() -> None:
    converted = parse_booleans(
        text("退货", "销售", "是"), true_values=["退货"], false_values=["销售"]
    )
    assert converted.values.to_pylist() == [True, False, None]
    assert failures(converted) == {BAD_BOOL: [2]}


@pytest.mark.parametrize(
    "raw",
    [
        "2024-01-05",
        "2024/1/5",
        "2024/01/05",
        "2024年1月5日",
        "20240105",
        "2024.1.5",
        "2024-01-05 08:30:00",
        "2024-01-05T08:30",
        "2024/01/05 08:30",
        "2024-01-05 08:30:00+08:00",
    ],
)
def test_each_default_date_form_is_read(raw: str) -> None:
    converted = parse_dates(text(raw, None))
    assert converted.values.to_pylist() == [dt.date(2024, 1, 5), None]
    assert not converted.failures


def test_impossible_dates_are_errors_not_rolled_over() -> None:
    converted = parse_dates(text("2024-02-30", "2023/2/29", "2024年13月1日", "2024-02-29"))
    assert converted.values.to_pylist() == [None, None, None, dt.date(2024, 2, 29)]
    assert failures(converted) == {BAD_DATE: [0, 1, 2]}


def test_explicit_format_list_is_tried_in_order() -> None:
    converted = parse_dates(
        text("05/01/2024", "2024-01-06", "Jan 7 2024"), formats=["%d/%m/%Y", "%b %d %Y"]
    )
    assert converted.values.to_pylist() == [dt.date(2024, 1, 5), None, dt.date(2024, 1, 7)]
    assert failures(converted) == {BAD_DATE: [1]}


@pytest.mark.parametrize(
    ("raw", "utc"),
    [
        ("2024-01-05 08:30:00", dt.datetime(2024, 1, 5, 0, 30, tzinfo=UTC)),
        ("2024-01-05T08:30", dt.datetime(2024, 1, 5, 0, 30, tzinfo=UTC)),
        ("2024/1/5 8:30", dt.datetime(2024, 1, 5, 0, 30, tzinfo=UTC)),
        ("2024年1月5日", dt.datetime(2024, 1, 4, 16, 0, tzinfo=UTC)),
        ("20240105", dt.datetime(2024, 1, 4, 16, 0, tzinfo=UTC)),
        ("2024-01-05 08:30:00+08:00", dt.datetime(2024, 1, 5, 0, 30, tzinfo=UTC)),
        ("2024-01-05 08:30:00.250+01:00", dt.datetime(2024, 1, 5, 7, 30, 0, 250000, tzinfo=UTC)),
        ("2024-01-05T00:30:00Z", dt.datetime(2024, 1, 5, 0, 30, tzinfo=UTC)),
    ],
)
def test_clock_times_become_utc_instants(raw: str, utc: dt.datetime) -> None:
    converted = parse_timestamps(text(raw, "2024-01-05 08:30:00"), timezone="Asia/Shanghai")
    assert converted.values.type == pa.timestamp("us", tz="UTC")
    assert converted.values.to_pylist()[0] == utc
    assert not converted.failures


def test_bad_clock_time_is_flagged() -> None:
    converted = parse_timestamps(text("2024-01-05 25:00", "soon"), timezone="UTC")
    assert converted.values.to_pylist() == [None, None]
    assert failures(converted) == {BAD_TIMESTAMP: [0, 1]}


def test_local_business_date_across_midnight() -> None:
    instants = parse_timestamps(
        text("2024-01-05 07:30:00", "2024-01-05 23:59:00"), timezone="Asia/Shanghai"
    ).values
    assert instants.to_pylist()[0] == dt.datetime(2024, 1, 4, 23, 30, tzinfo=UTC)
    assert local_dates(instants, timezone="Asia/Shanghai").to_pylist() == [
        dt.date(2024, 1, 5),
        dt.date(2024, 1, 5),
    ]
    assert local_dates(instants, timezone="UTC").to_pylist() == [
        dt.date(2024, 1, 4),
        dt.date(2024, 1, 5),
    ]


def test_summer_time_zone_is_applied_per_date() -> None:
    converted = parse_timestamps(
        text("2011-01-10 12:00", "2011-07-10 12:00"), timezone="Europe/London"
    )
    assert [v.hour for v in converted.values.to_pylist()] == [12, 11]


def test_native_timestamps_pass_with_the_right_zone() -> None:
    naive = pa.array([dt.datetime(2024, 1, 5, 8, 30)], pa.timestamp("ms"))
    zoned = pa.array(
        [dt.datetime(2024, 1, 5, 8, 30, tzinfo=SHANGHAI)], pa.timestamp("us", tz="Asia/Shanghai")
    )
    expected = [dt.datetime(2024, 1, 5, 0, 30, tzinfo=UTC)]
    assert parse_timestamps(naive, timezone="Asia/Shanghai").values.to_pylist() == expected
    assert parse_timestamps(zoned, timezone="UTC").values.to_pylist() == expected
    native_day = parse_dates(zoned, timezone="Asia/Shanghai").values.to_pylist()
    assert native_day == [dt.date(2024, 1, 5)]


AMOUNTS = st.decimals(
    min_value=Decimal("-99999999999.99"),
    max_value=Decimal("99999999999.99"),
    places=2,
    allow_nan=False,
    allow_infinity=False,
)


def _written(amount: Decimal, *, mark: str, grouped: bool, parentheses: bool) -> str:
    body = f"{abs(amount):,.2f}" if grouped else f"{abs(amount):.2f}"
    body = f"¥{body}" if mark == "¥" else f"{body}{mark}"
    if amount < 0:
        return f"({body})" if parentheses else f"-{body}"
    return body


@given(AMOUNTS, st.sampled_from(["", "¥", "元"]), st.booleans(), st.booleans())
def test_formatted_amounts_parse_back_exactly(
    amount: Decimal, mark: str, grouped: bool, parentheses: bool
) -> None:
    raw = _written(amount, mark=mark, grouped=grouped, parentheses=parentheses)
    assert parse_numbers(text(raw)).values.to_pylist() == [float(amount)]
    assert to_minor_units(text(raw)).values.to_pylist() == [int(amount * 100)]


@given(
    st.decimals(
        min_value=Decimal("-9999999.999"),
        max_value=Decimal("9999999.999"),
        places=3,
        allow_nan=False,
        allow_infinity=False,
    )
)
def test_a_third_decimal_is_never_silently_rounded(amount: Decimal) -> None:
    converted = to_minor_units(text(f"{amount:,.3f}"))
    if amount * 100 == int(amount * 100):
        assert converted.values.to_pylist() == [int(amount * 100)]
    else:
        assert failures(converted) == {TOO_MANY_DECIMALS: [0]}
