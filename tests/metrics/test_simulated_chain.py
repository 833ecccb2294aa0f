"""Smoke test on the simulated small chain: every metric runs and the figures hang together."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tests.metrics.conftest import Simulated

from newretail.metrics import (
    CATALOGUE,
    FUNNEL_STEPS,
    compute,
    explain_gmv,
    funnel,
    order_heatmap,
)

# simulating and loading the chain takes a few seconds
pytestmark = pytest.mark.slow

RATES_WITHIN_ONE = [
    name
    for name, m in CATALOGUE.items()
    if m.unit == "ratio" and m.available and name != "return_rate"
]


@pytest.fixture(scope="module")
def weekly(simulated: Simulated) -> list[dict]:
    result = compute(
        simulated.con,
        list(CATALOGUE),
        start=simulated.start,
        end=simulated.end,
        period="week",
        compare=["previous", "last_year"],
        settings=simulated.settings,
    )
    return result.to_pylist()


def test_every_metric_runs_over_the_simulated_weeks(weekly: list[dict]) -> None:
    assert {r["metric"] for r in weekly} == set(CATALOGUE)
    values = {(r["metric"], r["period"]): r["value"] for r in weekly}
    for period in ("2024-W05", "2024-W06", "2024-W07"):
        assert values["gmv", period] > 0
        assert values["net_sales", period] <= values["gmv", period]
        assert (
            values["first_time_buyers", period] + values["returning_members", period]
            == values["active_members", period]
        )
        assert values["aov", period] == pytest.approx(
            values["gmv", period] / values["orders", period]
        )
    for name in RATES_WITHIN_ONE:
        found = [r["value"] for r in weekly if r["metric"] == name and r["value"] is not None]
        assert all(0 <= v <= 1 for v in found), name


def test_weeks_are_compared_with_the_week_before(weekly: list[dict]) -> None:
    gmv = [r for r in weekly if r["metric"] == "gmv"]
    assert gmv[1]["previous_value"] == gmv[0]["value"]
    assert gmv[2]["previous_value"] == gmv[1]["value"]
    # the chain did not exist a year earlier
    assert all(r["last_year_value"] is None for r in gmv)


def test_gmv_is_explained_to_the_fen(simulated: Simulated) -> None:
    explanation = explain_gmv(
        simulated.con,
        simulated.end,
        simulated.end - timedelta(days=7),
        settings=simulated.settings,
    )
    attribution = explanation.attribution
    assert sum(d.amount for d in attribution.drivers) == attribution.change
    for contributions in attribution.contributions.values():
        assert sum(c.amount for c in contributions) == attribution.change
    assert explanation.sentences["en"][0].startswith("GMV ")
    assert len(explanation.sentences["zh-CN"]) == len(explanation.sentences["en"])


def test_the_funnel_narrows_and_the_heat_map_holds_every_order(simulated: Simulated) -> None:
    steps = funnel(simulated.con, start=simulated.start, end=simulated.end).to_pylist()
    for channel in {r["channel_id"] for r in steps}:
        counts = [r["sessions"] for r in steps if r["channel_id"] == channel]
        assert len(counts) == len(FUNNEL_STEPS)
        assert counts == sorted(counts, reverse=True) and counts[0] > 0
    heat = order_heatmap(
        simulated.con, start=simulated.start, end=simulated.end, settings=simulated.settings
    )
    orders = simulated.con.table("orders")
    inside = orders.filter(orders.business_date.between(simulated.start, simulated.end))
    assert sum(heat.column("orders").to_pylist()) == inside.count().to_pyarrow().as_py()
