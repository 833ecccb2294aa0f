"""Member metrics against hand computations on the hand-made chain."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pandas as pd
import pytest
from tests.metrics.conftest import D1, D3, Chain, W
from tests.metrics.reference import (
    Answer,
    Frames,
    as_answer,
    grouped,
    in_window,
    sold,
    with_dimensions,
)

from newretail.metrics import compute

MEMBERS = ["active_members", "first_time_buyers", "returning_members", "repurchase_rate"]


def _first_purchase(f: Frames) -> dict[str, object]:
    orders = f["orders"]
    orders = orders[(orders["status"] != "cancelled") & orders["member_id"].notna()]
    return orders.groupby("member_id")["business_date"].min().to_dict()


def reference(name: str, f: Frames, by: Sequence[str]) -> Answer:
    lines = with_dimensions(sold(f), f, by)
    first = _first_purchase(f)
    lines["first"] = lines["member_id"].map(first)

    def buyers(g: pd.DataFrame, new: bool) -> int:
        members = g[g["member_id"].notna()]
        start = g["business_date"].min()  # daily periods: the day itself
        chosen = members[(members["first"] >= start) == new]
        return int(chosen["member_id"].nunique())

    def repurchase(g: pd.DataFrame) -> float | None:
        counts = g[g["member_id"].notna()].groupby("member_id")["order_id"].nunique()
        return (counts >= 2).sum() / len(counts) if len(counts) else None

    chosen = {
        "active_members": lambda g: g["member_id"].nunique(),
        "first_time_buyers": lambda g: buyers(g, True),
        "returning_members": lambda g: buyers(g, False),
        "repurchase_rate": repurchase,
    }[name]
    return grouped(lines, by, chosen)


@pytest.mark.parametrize("by", [(), ("channel_id",), ("store_id", "member_tier")], ids=str)
def test_member_metrics_match_a_hand_computation_per_day(chain: Chain, by: tuple[str, ...]) -> None:
    result = compute(chain.con, MEMBERS, start=W, end=D3, by=by, settings=chain.settings)
    for name in MEMBERS:
        expected = in_window(reference(name, chain.frames, by), W, D3)
        assert as_answer(result, by, name) == pytest.approx(expected), name


def test_first_time_and_returning_buyers_make_the_active_members(chain: Chain) -> None:
    result = compute(chain.con, MEMBERS, start=D1, end=D3, period="week", settings=chain.settings)
    values = {r["metric"]: r["value"] for r in result.to_pylist()}
    # M1 first bought a week earlier (O7); M2's first purchase is O2 on D1
    assert values["active_members"] == 2
    assert values["first_time_buyers"] == 1
    assert values["returning_members"] == 1
    # both bought twice in the week
    assert values["repurchase_rate"] == 1.0


def test_new_members_count_on_the_local_day_they_joined(chain: Chain) -> None:
    result = compute(
        chain.con,
        "new_members",
        start=date(2024, 2, 29),
        end=D3,
        by=["store_id"],
        settings=chain.settings,
    )
    joined = {(r["period"], r["store_id"]): r["value"] for r in result.to_pylist() if r["value"]}
    assert joined == {
        # 17:00 UTC on 29 February is 01:00 on 1 March in Shanghai
        ("2024-03-01", "S1"): 1,
        # 23:30 UTC on 1 March is still 1 March in London
        ("2024-03-01", "S3"): 1,
        # no home store: the chain's zone, 00:30 on 3 March
        ("2024-03-03", None): 1,
    }


def test_new_members_slice_by_the_channel_they_joined_through(chain: Chain) -> None:
    result = compute(
        chain.con,
        "new_members",
        start=D1,
        end=D3,
        period="month",
        by=["channel_id"],
        settings=chain.settings,
    )
    assert {r["channel_id"]: r["value"] for r in result.to_pylist()} == {"app": 2, "pos": 1}


def test_a_day_without_purchases_has_no_data_rather_than_zero(chain: Chain) -> None:
    result = compute(chain.con, "active_members", start=D3, end=D3, settings=chain.settings)
    row = result.to_pylist()[0]
    assert (row["value"], row["no_data"], row["no_data_reason"]) == (None, True, "empty")
