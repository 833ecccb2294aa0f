"""The KPI catalogue: one complete definition per metric of SPEC K1."""

from __future__ import annotations

import re

import pytest

from newretail.metrics import CATALOGUE, DIMENSIONS, MetricsError, catalogue_table, get_metric
from newretail.schema import TABLES

K1 = [
    "gmv",
    "net_sales",
    "orders",
    "aov",
    "units_per_order",
    "attach_rate",
    "gross_margin",
    "promotion_cost",
    "conversion_rate",
    "add_to_cart_rate",
    "checkout_rate",
    "payment_rate",
    "cart_abandonment_rate",
    "repurchase_rate",
    "new_members",
    "returning_members",
    "active_members",
    "inventory_turnover",
    "days_of_inventory",
    "sell_through",
    "out_of_stock_rate",
    "sales_per_m2",
    "shrink_rate",
    "coupon_redemption_rate",
    "points_redemption_rate",
    "message_open_rate",
    "nps",
    "satisfaction",
    "complaint_rate",
]
UNITS = {"fen", "ratio", "count", "days", "fen_per_m2", "score", "times"}
CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_metric_of_k1_is_defined() -> None:
    assert not [name for name in K1 if name not in CATALOGUE]


@pytest.mark.parametrize(
    ("name", "term"),
    [
        ("aov", "客单价"),
        ("attach_rate", "连带率"),
        ("sales_per_m2", "坪效"),
        ("out_of_stock_rate", "缺货率"),
        ("days_of_inventory", "周转天数"),
        ("shrink_rate", "损耗率"),
        ("repurchase_rate", "复购率"),
    ],
)
def test_labels_carry_the_chinese_retail_term(name: str, term: str) -> None:
    assert term in get_metric(name).label("zh-CN")


@pytest.mark.parametrize("metric", list(CATALOGUE.values()), ids=lambda m: m.name)
def test_each_definition_is_complete(metric: object) -> None:
    from newretail.metrics import Metric

    assert isinstance(metric, Metric)
    assert CJK.search(metric.label_zh) and metric.label_en and not CJK.search(metric.label_en)
    assert metric.unit in UNITS and metric.kind in ("total", "ratio")
    assert metric.dimensions and set(metric.dimensions) <= set(DIMENSIONS)
    assert set(metric.sources) <= set(TABLES)
    assert len(metric.description_en) > 40 and CJK.search(metric.description_zh)
    # every description says how returns are handled (or that they do not apply)
    assert "return" in metric.description_en.lower() or "refund" in metric.description_en
    assert "退" in metric.description_zh
    assert metric.available == bool(metric.sources)


def test_metrics_the_lake_cannot_support_say_what_is_missing() -> None:
    missing = [m for m in CATALOGUE.values() if not m.available]
    assert {m.name for m in missing} == {"coupon_redemption_rate", "points_redemption_rate"}
    for metric in missing:
        assert "No data" in metric.description_en and "暂无数据" in metric.description_zh


def test_the_catalogue_table_lists_every_metric_in_order() -> None:
    table = catalogue_table()
    assert table.column("name").to_pylist() == list(CATALOGUE)
    assert table.column("dimensions").to_pylist()[0] == list(get_metric("gmv").dimensions)


def test_an_unknown_metric_is_a_clear_error_in_both_languages() -> None:
    with pytest.raises(MetricsError) as caught:
        get_metric("turnover")
    assert "turnover" in caught.value.message("en")
    assert "未知指标" in caught.value.message("zh-CN")
