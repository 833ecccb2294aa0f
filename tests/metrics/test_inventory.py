"""Stock metrics against hand computations on the hand-made snapshots and movements."""

from __future__ import annotations

import pandas as pd
import pytest
from tests.metrics.conftest import D1, D2, D3, Chain
from tests.metrics.reference import Frames, refunds, sold

from newretail.metrics import compute


def _stock(f: Frames) -> pd.DataFrame:
    cost = dict(zip(f["products"]["sku_id"], f["products"]["cost"], strict=True))
    snaps = f["inventory_snapshots"].copy()
    snaps["value"] = snaps["on_hand"] * snaps["sku_id"].map(cost)
    snaps["available"] = snaps["on_hand"] - snaps["reserved"].fillna(0)
    return snaps.rename(columns={"location_id": "store_id"})


def _cogs(f: Frames, store: str, days: list[object]) -> float:
    s, r = sold(f), refunds(f)
    s = s[(s["store_id"] == store) & s["business_date"].isin(days)]
    r = r[(r["store_id"] == store) & r["business_date"].isin(days)]
    return float(s["cost_amount"].sum() - r["returned_cost"].sum())


def test_turnover_and_days_of_inventory_per_store(chain: Chain) -> None:
    result = compute(
        chain.con,
        ["inventory_turnover", "days_of_inventory"],
        start=D1,
        end=D3,
        period="week",
        by=["store_id"],
        settings=chain.settings,
    )
    rows = {(r["metric"], r["store_id"]): r["value"] for r in result.to_pylist()}
    stock = _stock(chain.frames)
    for store in ("S1", "S2"):
        mine = stock[stock["store_id"] == store]
        average = mine["value"].sum() / mine["business_date"].nunique()
        cogs = _cogs(chain.frames, store, [D1, D2, D3])
        assert rows["inventory_turnover", store] == pytest.approx(cogs / average)
        assert rows["days_of_inventory", store] == pytest.approx(average / (cogs / 3))
    # S1: cost 1,450 sold on D1 less 300 returned (O7's unit cost) over (3,500 + 4,900 + 4,550) / 3
    assert rows["inventory_turnover", "S1"] == pytest.approx(1150 / (12950 / 3))
    # the warehouse holds stock but sells nothing: turnover 0, days of inventory undefined
    assert rows["inventory_turnover", "WH"] == 0
    assert rows["days_of_inventory", "WH"] is None


def test_sell_through_uses_the_stock_left_at_the_end_of_the_period(chain: Chain) -> None:
    result = compute(
        chain.con,
        "sell_through",
        start=D1,
        end=D3,
        period="week",
        by=["store_id"],
        settings=chain.settings,
    )
    rows = {r["store_id"]: r["value"] for r in result.to_pylist()}
    # S1 sold 2 + 1 + 1 + 0.5 kg, 1 came back (R2), 7 + 4 + 4.5 left on D3
    assert rows["S1"] == pytest.approx(3.5 / (3.5 + 15.5))
    # S2 sold 5, 1 came back (R1), 1 left
    assert rows["S2"] == pytest.approx(4 / 5)
    # S3 has no snapshots: everything it had was sold as far as the lake knows
    assert rows["S3"] == 1.0
    assert rows["WH"] == 0.0


def test_out_of_stock_rate_counts_nothing_available_after_reservations(chain: Chain) -> None:
    result = compute(chain.con, "out_of_stock_rate", start=D1, end=D3, settings=chain.settings)
    rows = {r["period"]: (r["numerator"], r["denominator"]) for r in result.to_pylist()}
    stock = _stock(chain.frames)
    for day, (out, total) in rows.items():
        mine = stock[stock["business_date"].astype(str) == day]
        assert (out, total) == ((mine["available"] <= 0).sum(), len(mine))
    # D1: S1's B (none on hand) and C (all of it reserved)
    assert rows["2024-03-01"] == (2, 5)


def test_out_of_stock_rate_by_category(chain: Chain) -> None:
    result = compute(
        chain.con,
        "out_of_stock_rate",
        start=D1,
        end=D3,
        period="week",
        by=["category_l2"],
        settings=chain.settings,
    )
    rows = {r["category_l2"]: (r["numerator"], r["denominator"]) for r in result.to_pylist()}
    # fruit (A and C): C reserved on D1, A at S2 on D2; tea (B): none on D1
    assert rows == {"1010": (2, 10), "2010": (1, 3)}


def test_shrink_counts_shrink_and_write_offs_at_cost(chain: Chain) -> None:
    result = compute(
        chain.con,
        ["shrink_amount", "shrink_rate"],
        start=D1,
        end=D3,
        by=["store_id"],
        settings=chain.settings,
    )
    rows = {(r["metric"], r["period"], r["store_id"]): r["value"] for r in result.to_pylist()}
    assert rows["shrink_amount", "2024-03-01", "S1"] == 300
    # the write-off has no cost amount: 0.5 kg at C's cost of 100
    assert rows["shrink_amount", "2024-03-02", "S1"] == 50
    # a transfer is not shrink
    assert rows.get(("shrink_amount", "2024-03-02", "S2")) is None
    # S1 net sales on D1: 2,800 + 900 + 500 less the 1,000 refunded
    assert rows["shrink_rate", "2024-03-01", "S1"] == pytest.approx(300 / 3200)
    # S1 sold nothing on D2: the rate is undefined, not a division by zero
    assert rows["shrink_rate", "2024-03-02", "S1"] is None
