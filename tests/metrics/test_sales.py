"""Sales metrics against hand computations on the hand-made chain."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd
import pytest
from tests.metrics.conftest import D1, D2, D3, LY, Chain, W
from tests.metrics.reference import (
    Answer,
    Frames,
    as_answer,
    combine,
    grouped,
    in_window,
    ratio,
    refunds,
    sold,
    with_dimensions,
)

from newretail.metrics import compute

SALES = [
    "gmv",
    "net_sales",
    "refund_amount",
    "return_rate",
    "orders",
    "aov",
    "units_per_order",
    "attach_rate",
    "average_unit_price",
    "gross_profit",
    "gross_margin",
    "promotion_cost",
    "discount_rate",
    "coupon_order_share",
]
SLICINGS: list[tuple[str, ...]] = [
    (),
    ("channel_id", "category_l1"),
    ("store_id", "member_tier"),
    ("region", "category_l2"),
]


def _orders(g: pd.DataFrame) -> int:
    return int(g["order_id"].nunique())


def _profit(a: pd.DataFrame, b: pd.DataFrame) -> float:
    sold_profit = a["net_amount"].sum() - a["cost_amount"].sum()
    return float(sold_profit - (b["refund_amount"].sum() - b["returned_cost"].sum()))


def _with_rows(
    value: Callable[[pd.DataFrame, pd.DataFrame], float | None],
) -> Callable[[pd.DataFrame, pd.DataFrame], float | None]:
    return lambda a, b: value(a, b) if len(a) + len(b) else None


def reference(name: str, f: Frames, by: Sequence[str]) -> Answer:
    s = with_dimensions(sold(f), f, by)
    r = with_dimensions(refunds(f), f, by)
    per_sale: dict[str, Callable[[pd.DataFrame], float | None]] = {
        "gmv": lambda g: g["net_amount"].sum(),
        "orders": _orders,
        "aov": lambda g: ratio(g["net_amount"].sum(), _orders(g)),
        "units_per_order": lambda g: ratio(g["units"].sum(), _orders(g)),
        "attach_rate": lambda g: ratio(
            len(set(zip(g["order_id"], g["sku_id"], strict=True))), _orders(g)
        ),
        "average_unit_price": lambda g: ratio(g["net_amount"].sum(), g["units"].sum()),
        "promotion_cost": lambda g: g["discount_amount"].sum(),
        "discount_rate": lambda g: ratio(g["discount_amount"].sum(), g["gross_amount"].sum()),
        "coupon_order_share": lambda g: ratio(g[g["has_coupon"]]["order_id"].nunique(), _orders(g)),
    }
    if name in per_sale:
        return grouped(s, by, per_sale[name])
    if name == "refund_amount":
        return grouped(r, by, lambda g: g["refund_amount"].sum())
    both: dict[str, Callable[[pd.DataFrame, pd.DataFrame], float | None]] = {
        "net_sales": lambda a, b: a["net_amount"].sum() - b["refund_amount"].sum(),
        "return_rate": lambda a, b: ratio(b["refund_amount"].sum(), a["net_amount"].sum()),
        "gross_profit": _profit,
        "gross_margin": lambda a, b: ratio(
            _profit(a, b), a["net_amount"].sum() - b["refund_amount"].sum()
        ),
    }
    return combine(s, r, by, _with_rows(both[name]))


@pytest.mark.parametrize("by", SLICINGS, ids=lambda b: "+".join(b) or "chain")
def test_sales_metrics_match_a_hand_computation_per_day_and_slice(
    chain: Chain, by: tuple[str, ...]
) -> None:
    result = compute(chain.con, SALES, start=W, end=D3, by=by, settings=chain.settings)
    for name in SALES:
        expected = in_window(reference(name, chain.frames, by), W, D3)
        assert as_answer(result, by, name) == pytest.approx(expected), name


def test_gmv_counts_what_was_sold_and_net_sales_what_was_kept(chain: Chain) -> None:
    result = compute(chain.con, ["gmv", "net_sales"], start=D1, end=D3, settings=chain.settings)
    values = {(r["metric"], r["period"]): r["value"] for r in result.to_pylist()}
    # D1: O1 (1,800 + 1,000; its return line aside), O2 900, O3 500; O4 was cancelled
    assert values["gmv", "2024-03-01"] == 4200
    # the refund of O7 (sold a week earlier) comes off on the day of the return
    assert values["net_sales", "2024-03-01"] == 3200
    # D2: O5 and O6; the refund of the cancelled O4 does not count
    assert values["gmv", "2024-03-02"] == 5900
    assert values["net_sales", "2024-03-02"] == 5900
    # D3 sold nothing: GMV has no data, net sales is the refund of O5
    assert values["gmv", "2024-03-03"] is None
    assert values["net_sales", "2024-03-03"] == -900


def test_an_order_after_midnight_counts_on_its_business_day(chain: Chain) -> None:
    result = compute(
        chain.con, "orders", start=D1, end=D2, by=["store_id"], settings=chain.settings
    )
    rows = {(r["period"], r["store_id"]): r["value"] for r in result.to_pylist()}
    # O3 was rung up at 00:30 on Saturday and booked to Friday
    assert rows["2024-03-01", "S1"] == 3
    assert ("2024-03-02", "S1") in rows and rows["2024-03-02", "S1"] is None


def test_units_count_a_weighed_line_as_one_item(chain: Chain) -> None:
    result = compute(
        chain.con, "units_per_order", start=D1, end=D1, by=["store_id"], settings=chain.settings
    )
    row = result.to_pylist()[0]
    # O1: 2 + 1 items, O2: 1 item, O3: 0.5 kg of C = 1 item
    assert (row["numerator"], row["denominator"], row["value"]) == (5, 3, pytest.approx(5 / 3))


def test_category_slices_add_up_to_the_chain_total(chain: Chain) -> None:
    total = compute(chain.con, "gmv", start=D1, end=D2, period="week", settings=chain.settings)
    by_category = compute(
        chain.con,
        "gmv",
        start=D1,
        end=D2,
        period="week",
        by=["category_l1"],
        settings=chain.settings,
    )
    assert sorted(by_category.column("category_l1").to_pylist()) == ["10", "20"]
    assert sum(by_category.column("value").to_pylist()) == total.column("value")[0].as_py()


def test_guests_form_their_own_member_tier(chain: Chain) -> None:
    result = compute(
        chain.con, "gmv", start=D1, end=D1, by=["member_tier"], settings=chain.settings
    )
    rows = {r["member_tier"]: r["value"] for r in result.to_pylist()}
    assert rows == {"gold": 2800, "guest": 500, "silver": 900}


def test_sales_per_m2_divides_by_the_area_of_stores_open_in_the_period(chain: Chain) -> None:
    result = compute(
        chain.con,
        "sales_per_m2",
        start=D1,
        end=D2,
        period="week",
        by=["region"],
        settings=chain.settings,
    )
    rows = {r["region"]: (r["numerator"], r["denominator"]) for r in result.to_pylist()}
    # 华东: S1 3,200 net + S2 4,700 over 100 + 50 m²; S4 opens in June and is left out
    assert rows["华东"] == (7900, 150)
    assert rows["海外"] == (1200, 80)


def test_last_year_figures_are_in_the_lake_for_comparisons(chain: Chain) -> None:
    result = compute(chain.con, "gmv", start=LY, end=LY, settings=chain.settings)
    assert result.column("value").to_pylist() == [800]
