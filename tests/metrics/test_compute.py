"""Slicing, periods and comparisons of ``compute``, and its errors."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pytest
from tests.metrics.conftest import D1, D2, D3, LY, Chain, W

from newretail.metrics import MetricsError, compute, output_schema


def test_the_result_has_the_documented_columns(chain: Chain) -> None:
    compare = ["previous", "last_week", "last_year"]
    result = compute(
        chain.con,
        ["gmv", "aov"],
        start=D1,
        end=D3,
        by=["store_id"],
        compare=compare,
        settings=chain.settings,
    )
    assert result.schema == output_schema(["store_id"], compare)
    assert result.column("metric").to_pylist()[0] == "gmv"
    assert set(result.column("unit").to_pylist()) == {"fen"}


def test_comparisons_use_the_days_they_are_defined_by(chain: Chain) -> None:
    result = compute(
        chain.con,
        "gmv",
        start=D1,
        end=D2,
        compare=["previous", "last_week", "last_year"],
        settings=chain.settings,
    )
    friday, saturday = result.to_pylist()
    assert friday["value"] == 4200
    assert friday["previous_value"] is None  # nothing sold on 29 February
    assert friday["last_week_value"] == 1000  # O7, a week earlier
    assert friday["last_week_delta"] == 3200
    assert friday["last_week_delta_pct"] == pytest.approx(3.2)
    assert friday["last_year_value"] == 800  # O8, 364 days earlier
    assert saturday["previous_value"] == 4200
    assert saturday["previous_delta"] == 1700


def test_a_week_is_compared_with_the_week_before(chain: Chain) -> None:
    result = compute(
        chain.con,
        "gmv",
        start=W,
        end=D3,
        period="week",
        compare=["previous"],
        settings=chain.settings,
    )
    rows = {r["period"]: r for r in result.to_pylist()}
    assert list(rows) == ["2024-W08", "2024-W09"]
    assert rows["2024-W08"]["period_start"] == W  # the window starts on a Friday
    assert rows["2024-W09"]["value"] == 10100
    assert rows["2024-W09"]["previous_value"] == 1000


def test_targets_are_joined_by_metric_period_and_slice(chain: Chain) -> None:
    targets = pa.table(
        {
            "metric": ["gmv", "gmv", "aov"],
            "period": ["2024-03-01", "2024-03-01", "2024-03-01"],
            "store_id": ["S1", "S2", "S1"],
            "target": [4000, 500, 1000.0],
            "owner": ["王店长", "李店长", "王店长"],
        }
    )
    result = compute(
        chain.con,
        "gmv",
        start=D1,
        end=D1,
        by=["store_id"],
        compare=["target"],
        targets=targets,
        settings=chain.settings,
    )
    rows = {r["store_id"]: r for r in result.to_pylist()}
    assert rows["S1"]["target_value"] == 4000
    assert rows["S1"]["target_delta"] == 200
    assert rows["S1"]["target_delta_pct"] == pytest.approx(0.05)
    # S2's only order that day was cancelled: no value, but the target is shown
    assert (rows["S2"]["value"], rows["S2"]["target_value"]) == (None, 500)
    assert rows["S2"]["no_data_reason"] == "empty"


def test_a_slice_without_sales_now_shows_no_data_beside_its_past(chain: Chain) -> None:
    result = compute(
        chain.con,
        "gmv",
        start=D2,
        end=D2,
        by=["store_id"],
        compare=["previous"],
        settings=chain.settings,
    )
    rows = {r["store_id"]: r for r in result.to_pylist()}
    assert rows["S1"]["value"] is None and rows["S1"]["no_data"]
    assert rows["S1"]["previous_value"] == 4200
    assert rows["S1"]["previous_delta"] is None


def test_every_period_is_listed_even_without_data(chain: Chain) -> None:
    result = compute(chain.con, "aov", start=LY, end=date(2023, 3, 5), settings=chain.settings)
    assert result.column("period").to_pylist() == ["2023-03-03", "2023-03-04", "2023-03-05"]
    assert result.column("no_data").to_pylist() == [False, True, True]


def test_an_empty_lake_answers_no_data_without_dividing_by_zero(empty_lake: Chain) -> None:
    metrics = ["gmv", "aov", "conversion_rate", "inventory_turnover", "nps", "sales_per_m2"]
    result = compute(
        empty_lake.con,
        metrics,
        start=D1,
        end=D2,
        compare=["previous"],
        settings=empty_lake.settings,
    )
    assert result.num_rows == 12
    assert all(result.column("no_data").to_pylist())
    assert set(result.column("no_data_reason").to_pylist()) == {"empty"}


def test_slicing_by_several_dimensions(chain: Chain) -> None:
    result = compute(
        chain.con,
        "gmv",
        start=D1,
        end=D2,
        period="week",
        by=["region", "category_l1"],
        settings=chain.settings,
    )
    rows = {(r["region"], r["category_l1"]): r["value"] for r in result.to_pylist()}
    # the combinations that sold: London sold no fresh food, so it has no such slice
    assert rows == {
        ("华东", "10"): 1800 + 900 + 500 + 2700,
        ("华东", "20"): 1000 + 2000,
        ("海外", "20"): 1200,
    }


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"metrics": "turnover"}, "metrics.unknown_metric"),
        ({"metrics": []}, "metrics.no_metric"),
        ({"by": ["city"]}, "metrics.unknown_dimension"),
        ({"metrics": "nps", "by": ["category_l1"]}, "metrics.unsupported_dimension"),
        ({"period": "quarter"}, "metrics.unknown_period"),
        ({"compare": ["yesterday"]}, "metrics.unknown_comparison"),
        ({"compare": ["target"]}, "metrics.no_targets"),
        ({"start": D2, "end": D1}, "metrics.empty_window"),
        (
            {"compare": ["target"], "targets": pa.table({"metric": ["gmv"], "target": [1]})},
            "metrics.bad_targets",
        ),
        (
            {
                "compare": ["target"],
                "targets": pa.table(
                    {"metric": ["gmv"], "period": ["2024-03-01"], "store_id": ["S1"], "target": [1]}
                ),
            },
            "metrics.targets_sliced",
        ),
        (
            {
                "compare": ["target"],
                "targets": pa.table(
                    {"metric": ["gmv"] * 2, "period": ["2024-03-01"] * 2, "target": [1, 2]}
                ),
            },
            "metrics.duplicate_target",
        ),
    ],
)
def test_bad_requests_are_clear_errors(chain: Chain, kwargs: dict, key: str) -> None:
    arguments = {"metrics": "gmv", "start": D1, "end": D1, **kwargs}
    with pytest.raises(MetricsError) as caught:
        compute(chain.con, settings=chain.settings, **arguments)
    assert caught.value.key == key
    for lang in ("en", "zh-CN"):
        message = caught.value.message(lang)
        assert message and "{" not in message and message != key


def test_no_data_reasons_read_in_both_languages() -> None:
    from newretail.metrics import NO_DATA_REASONS, no_data_text

    for reason in NO_DATA_REASONS:
        english, chinese = no_data_text(reason, "en"), no_data_text(reason, "zh-CN")
        assert english.startswith("no data") and chinese.startswith("无数据")
