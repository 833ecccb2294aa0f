"""The hour-of-week heat map: local clocks, midnight and daylight saving time."""

from __future__ import annotations

from datetime import date

import pytest
from tests.metrics.conftest import D1, D3, Chain

from newretail.core.settings import Settings
from newretail.metrics import MetricsError, order_heatmap

END = date(2024, 3, 31)


def _cells(chain: Chain, **kwargs: object) -> dict[tuple[object, ...], int]:
    table = order_heatmap(chain.con, start=D1, end=END, settings=chain.settings, **kwargs)
    return {
        (r.get("channel_id"), r["weekday"], r["hour"]): r["orders"]
        for r in table.to_pylist()
        if r["orders"]
    }


def test_orders_sit_in_the_hour_of_their_store_clock(chain: Chain) -> None:
    assert _cells(chain) == {
        ("pos", 5, 10): 1,  # O1: 02:00 UTC is 10:00 on Friday in Shanghai
        ("app", 5, 23): 1,  # O2: 15:30 UTC is 23:30 on Friday
        ("pos", 6, 0): 1,  # O3: booked to Friday, rung up at 00:30 on Saturday
        ("meituan", 6, 12): 1,  # O5: S2 has no zone of its own, the chain's is used
        ("pos", 6, 12): 1,  # O6: noon in London in winter time
        ("pos", 7, 13): 1,  # O9: noon UTC on 31 March is 13:00 in London summer time
    }


def test_every_channel_gets_the_whole_week_of_hours(chain: Chain) -> None:
    table = order_heatmap(chain.con, start=D1, end=D3, settings=chain.settings)
    assert table.num_rows == 3 * 7 * 24  # pos, app, meituan (O4 was cancelled)
    friday = [r for r in table.to_pylist() if r["weekday"] == 5]
    assert {r["days"] for r in friday} == {1}
    assert sum(r["orders"] for r in table.to_pylist()) == 5
    assert sum(r["net_amount"] for r in table.to_pylist()) == 2800 + 900 + 500 + 4700 + 1200


def test_averages_divide_by_the_days_of_each_weekday(chain: Chain) -> None:
    table = order_heatmap(chain.con, start=D1, end=END, by=(), settings=chain.settings)
    rows = {(r["weekday"], r["hour"]): r for r in table.to_pylist()}
    assert table.num_rows == 168
    # 1–31 March 2024 has five Fridays, five Saturdays and five Sundays
    assert rows[5, 10]["days"] == 5
    assert rows[5, 10]["orders_per_day"] == pytest.approx(1 / 5)
    assert rows[1, 10]["days"] == 4


def test_the_chain_zone_applies_where_a_store_has_none(chain: Chain) -> None:
    tokyo = Settings(home=chain.settings.home, engine="duckdb", timezone="Asia/Tokyo")
    table = order_heatmap(chain.con, start=D1, end=D3, by=("store_id",), settings=tokyo)
    cells = {(r["store_id"], r["weekday"], r["hour"]) for r in table.to_pylist() if r["orders"]}
    # S2's order (04:00 UTC) on the chain's clock, now Tokyo: 13:00
    assert ("S2", 6, 13) in cells
    assert ("S1", 5, 10) in cells  # S1 keeps its own Shanghai clock


def test_heat_maps_refuse_other_slices(chain: Chain) -> None:
    with pytest.raises(MetricsError) as caught:
        order_heatmap(chain.con, start=D1, end=D3, by=("region",), settings=chain.settings)
    assert caught.value.key == "metrics.unsupported_dimension"
