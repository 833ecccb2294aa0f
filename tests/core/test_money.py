from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from random import Random

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from newretail.core.errors import InvalidMoney
from newretail.core.money import (
    MINOR_UNITS,
    Money,
    allocate,
    format_money,
    major_to_minor,
    parse_money,
)

INT64_MAX = 2**63 - 1


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("1,234.5元", 123450),
        ("¥12", 1200),
        ("￥1,234.50", 123450),
        ("12", 1200),
        ("-12.3", -1230),
        ("(12.00)", -1200),
        ("（１２.００）", -1200),
        ("RMB 12", 1200),
        ("rmb12", 1200),
        ("CNY 7.5", 750),
        ("12.5 yuan", 1250),
        ("1.2万", 1200000),
        ("1.2万元", 1200000),
        ("1亿", 10_000_000_000),
        ("１２３．４５", 12345),
        ("-¥5", -500),
        ("¥-5", -500),
        ("−5", -500),
        ("+5", 500),
        (".5", 50),
        ("人民币12元", 1200),
        ("  12.00  ", 1200),
        ("0", 0),
        ("1.23456万", 1234560),
        ("12.500000", 1250),
    ],
)
def test_parse_money_reads_common_ways_of_writing_yuan(text: str, fen: int) -> None:
    assert parse_money(text) == fen


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("£3.50", "GBP", 350),
        ("¥1,234", "JPY", 1234),
        ("HK$1,000.10", "HKD", 100010),
        ("$9.99", "USD", 999),
        ("€0.01", "EUR", 1),
        ("₩5,000", "KRW", 5000),
        ("12 USD", "USD", 1200),
    ],
)
def test_parse_money_reads_other_currencies(text: str, currency: str, minor: int) -> None:
    assert parse_money(text, currency=currency) == minor


@pytest.mark.parametrize("text", ["12.345", "0.001", "1.2345678万", "(0.501)"])
def test_parse_money_refuses_more_decimals_than_the_currency_has(text: str) -> None:
    with pytest.raises(InvalidMoney) as caught:
        parse_money(text)
    assert caught.value.key == "money.too_many_decimals"
    assert text in str(caught.value)


def test_parse_money_refuses_decimal_yen() -> None:
    with pytest.raises(InvalidMoney, match="more decimals than JPY"):
        parse_money("12.5", currency="JPY")


@pytest.mark.parametrize(
    "text", ["abc", "", "   ", "1,23", "--1", "(-1)", "1e5", "12.3.4", "¥", "万", "12 34", "1,2345"]
)
def test_parse_money_names_the_text_it_cannot_read(text: str) -> None:
    with pytest.raises(InvalidMoney) as caught:
        parse_money(text)
    assert caught.value.key == "money.unparseable"
    assert f"'{text}'" in caught.value.message("en")
    assert f"“{text}”" in caught.value.message("zh-CN")


def test_parse_money_refuses_an_amount_in_another_currency() -> None:
    with pytest.raises(InvalidMoney) as caught:
        parse_money("£3", currency="CNY")
    assert caught.value.key == "money.currency_mismatch"


def test_parse_money_refuses_amounts_beyond_int64() -> None:
    assert parse_money("92233720368547758.07") == INT64_MAX
    with pytest.raises(InvalidMoney) as caught:
        parse_money("92233720368547758.08")
    assert caught.value.key == "money.out_of_range"


def test_unknown_currency_is_named() -> None:
    with pytest.raises(InvalidMoney, match="XYZ"):
        parse_money("1", currency="XYZ")


@pytest.mark.parametrize(
    ("minor", "currency", "text"),
    [
        (123456, "CNY", "¥1,234.56"),
        (-1200, "CNY", "-¥12.00"),
        (350, "GBP", "£3.50"),
        (5, "CNY", "¥0.05"),
        (0, "CNY", "¥0.00"),
        (1234, "JPY", "¥1,234"),
        (100010, "HKD", "HK$1,000.10"),
        (123456789012, "USD", "$1,234,567,890.12"),
    ],
)
def test_format_money_writes_symbol_thousands_and_decimals(
    minor: int, currency: str, text: str
) -> None:
    assert format_money(minor, currency=currency) == text


def test_format_money_is_the_same_in_both_languages_and_without_symbol() -> None:
    assert format_money(123456, lang="zh-CN") == format_money(123456, lang="en") == "¥1,234.56"
    assert format_money(-123456, symbol=False) == "-1,234.56"


@given(
    st.integers(min_value=-INT64_MAX, max_value=INT64_MAX),
    st.sampled_from(sorted(MINOR_UNITS)),
    st.booleans(),
)
def test_parse_reads_back_what_format_writes(minor: int, currency: str, symbol: bool) -> None:
    text = format_money(minor, currency=currency, symbol=symbol)
    assert parse_money(text, currency=currency) == minor


def test_allocate_spreads_a_discount_over_lines() -> None:
    assert allocate(100, [1, 1, 1]) == [34, 33, 33]
    assert allocate(-100, [1, 1, 1]) == [-34, -33, -33]
    assert allocate(1000, [0.1, 0.2, 0.7]) == [100, 200, 700]
    assert allocate(10, [0, 1, 2.5]) == [0, 3, 7]


def test_allocate_breaks_ties_by_weight_then_position() -> None:
    assert allocate(1, [1, 1, 1]) == [1, 0, 0]
    assert allocate(2, [1, 3]) == [0, 2]
    assert allocate(2, [3, 1]) == [2, 0]


def test_allocate_zero_total_or_no_parts() -> None:
    assert allocate(0, [0, 0]) == [0, 0]
    assert allocate(0, []) == []
    assert allocate(0, [1, 2]) == [0, 0]


@pytest.mark.parametrize("weights", [[0, 0], [], [0.0]])
def test_allocate_refuses_all_zero_weights(weights: list[float]) -> None:
    with pytest.raises(InvalidMoney) as caught:
        allocate(5, weights)
    assert caught.value.key == "money.zero_weights"


@pytest.mark.parametrize("bad", [-1, float("nan"), float("inf")])
def test_allocate_names_a_bad_weight_and_its_position(bad: float) -> None:
    with pytest.raises(InvalidMoney) as caught:
        allocate(5, [1, bad])
    assert caught.value.key == "money.bad_weight"
    assert caught.value.params["position"] == 1


def test_allocate_accepts_numpy_weights() -> None:
    assert allocate(10, list(np.array([1.0, 4.0]))) == [2, 8]
    assert allocate(10, list(np.array([3, 2], dtype=np.int64))) == [6, 4]


weights_strategy = st.lists(
    st.one_of(
        st.integers(min_value=0, max_value=10_000),
        st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False),
    ),
    min_size=1,
    max_size=30,
).filter(lambda ws: sum(ws) > 0)
totals = st.integers(min_value=-(10**12), max_value=10**12)


@given(totals, weights_strategy)
def test_allocate_parts_sum_exactly_to_the_total(total: int, weights: list[float]) -> None:
    assert sum(allocate(total, weights)) == total


@given(totals, weights_strategy)
def test_allocate_parts_are_within_one_unit_of_the_proportional_share(
    total: int, weights: list[float]
) -> None:
    weight_sum = sum(Fraction(w) for w in weights)
    for part, weight in zip(allocate(total, weights), weights, strict=True):
        assert abs(part - total * Fraction(weight) / weight_sum) < 1
        if weight == 0:
            assert part == 0
        assert part * total >= 0


@given(totals, weights_strategy, st.randoms(use_true_random=False))
def test_allocate_does_not_depend_on_the_order_of_the_lines(
    total: int, weights: list[float], random: Random
) -> None:
    order = list(range(len(weights)))
    random.shuffle(order)
    parts = allocate(total, weights)
    shuffled = allocate(total, [weights[i] for i in order])

    def by_weight(pairs: list[tuple[float, int]]) -> dict[float, list[int]]:
        grouped: dict[float, list[int]] = {}
        for weight, part in pairs:
            grouped.setdefault(weight, []).append(part)
        return {weight: sorted(ps) for weight, ps in grouped.items()}

    # lines of equal weight are interchangeable; every other line keeps its part
    assert by_weight(list(zip(weights, parts, strict=True))) == by_weight(
        [(weights[i], p) for i, p in zip(order, shuffled, strict=True)]
    )


def test_major_to_minor_rounds_floats_to_the_nearest_fen() -> None:
    values = np.array([1.1, 0.29, -3.33, 12.0, 0.0])
    result = major_to_minor(values)
    assert result.dtype == np.int64
    assert result.tolist() == [110, 29, -333, 1200, 0]


def test_major_to_minor_reads_pyarrow_arrays() -> None:
    assert major_to_minor(pa.array([0.1, 0.2])).tolist() == [10, 20]
    assert major_to_minor(pa.chunked_array([[0.1], [0.2, 0.3]])).tolist() == [10, 20, 30]
    assert major_to_minor(pa.array([1, -2], type=pa.int32())).tolist() == [100, -200]
    assert major_to_minor(pa.array([5], type=pa.int64()), currency="JPY").tolist() == [5]


def test_major_to_minor_converts_decimals_exactly() -> None:
    decimals = pa.array([Decimal("1.23"), Decimal("-0.05")], type=pa.decimal128(12, 2))
    assert major_to_minor(decimals).tolist() == [123, -5]
    with pytest.raises(InvalidMoney) as caught:
        major_to_minor(pa.array([Decimal("1.234")], type=pa.decimal128(12, 3)))
    assert caught.value.key == "money.too_many_decimals"


def test_major_to_minor_names_missing_values_and_their_position() -> None:
    with pytest.raises(InvalidMoney) as caught:
        major_to_minor(pa.array([1.0, None, None]))
    assert caught.value.params == {"count": 2, "position": 1}
    with pytest.raises(InvalidMoney) as caught:
        major_to_minor(np.array([1.0, 2.0, np.inf]))
    assert caught.value.params == {"count": 1, "position": 2}


def test_major_to_minor_refuses_text_and_huge_values() -> None:
    with pytest.raises(InvalidMoney) as caught:
        major_to_minor(pa.array(["1.0"]))
    assert caught.value.key == "money.unsupported_array"
    with pytest.raises(InvalidMoney) as caught:
        major_to_minor(np.array([1e18]))
    assert caught.value.key == "money.out_of_range"
    with pytest.raises(InvalidMoney) as caught:
        major_to_minor(np.array([10**17], dtype=np.int64))
    assert caught.value.key == "money.out_of_range"


@given(st.lists(st.integers(min_value=-(10**15) + 1, max_value=10**15 - 1), max_size=50))
def test_major_to_minor_is_exact_for_amounts_with_two_decimals_below_1e13(
    fen: list[int],
) -> None:
    yuan = np.array([f / 100 for f in fen], dtype=np.float64)
    assert major_to_minor(yuan).tolist() == fen


def test_money_adds_subtracts_and_negates_within_a_currency() -> None:
    total = Money(1000) + Money(250) - Money(50)
    assert total == Money(1200, "CNY")
    assert -total == Money(-1200)
    assert str(total) == "¥12.00"
    assert str(Money(350, "GBP")) == "£3.50"
    assert Money.parse("1.2万") == Money(1_200_000)


def test_money_orders_amounts_of_one_currency() -> None:
    assert Money(1) < Money(2) <= Money(2)
    assert Money(3) > Money(2) >= Money(2)
    assert sorted([Money(3), Money(-1), Money(2)]) == [Money(-1), Money(2), Money(3)]


def test_money_refuses_to_mix_currencies() -> None:
    with pytest.raises(InvalidMoney) as caught:
        Money(1) + Money(1, "USD")
    assert caught.value.key == "money.different_currencies"
    with pytest.raises(InvalidMoney):
        _ = Money(1) < Money(1, "USD")
    assert Money(1) != Money(1, "USD")


def test_money_refuses_an_unknown_currency_or_a_non_integer_amount() -> None:
    with pytest.raises(InvalidMoney):
        Money(1, "XYZ")
    with pytest.raises(InvalidMoney):
        Money(1.5)  # type: ignore[arg-type]
