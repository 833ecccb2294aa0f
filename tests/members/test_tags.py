"""Behavioural tags: each found from the behaviour that defines it, explained with its evidence,
and validated against the simulator's true traits."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pyarrow.compute as pc
import pytest

from newretail.members import (
    TAGS,
    InvalidRule,
    TagRules,
    explain_tag,
    member_tags,
    simulated_traits,
    tag_accuracy,
    tag_definition,
    tag_scores,
)

from .conftest import LakeWriter, SimulatedChain, line, member, order

AS_OF = date(2024, 4, 30)
#: what each shopper buys on each of five visits: (sku, promotion, coupon)
BASKETS: dict[str, list[tuple[str, str | None, str | None]]] = {
    "PRICE": [("cheap", "P1", None), ("cheap", None, "C1"), ("veg", None, None)],
    "QUALITY": [("fine", None, None), ("fine", None, None), ("veg", None, None)],
    "TREND": [("novel", None, None), ("novel", None, None), ("veg", None, None)],
    "PARENT": [("milk", None, None), ("veg", None, None), ("veg", None, None)],
    "PLAIN": [("veg", None, None), ("veg", None, None), ("cheap", None, None)],
}


def _write(lake_writer: LakeWriter) -> None:
    orders: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []
    for who, basket in BASKETS.items():
        for visit in range(5):
            channel = "app" if who == "PRICE" else "pos"
            placed = order(who, AS_OF - timedelta(days=7 * visit + 1), 3_000, channel=channel)
            orders.append(placed)
            for number, (sku, promotion, coupon) in enumerate(basket, start=1):
                lines.append(
                    line(placed, sku, 1_000, number, promotion_id=promotion, coupon_code=coupon)
                )
    few = order("FEW", AS_OF - timedelta(days=3))
    orders.append(few)
    lines.append(line(few, "fine", 1_000))
    members = [member(m) for m in [*BASKETS, "FEW"]]
    lake_writer.write(members=members, orders=orders, order_lines=lines)


def _carried(tags: Any) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for row in tags.to_pylist():
        name = row["tag"] if row["value"] is None else f"{row['tag']}:{row['value']}"
        found.setdefault(row["member_id"], set()).add(name)
    return found


def test_each_tag_is_found_from_its_behaviour(lake_writer: LakeWriter) -> None:
    _write(lake_writer)
    found = _carried(member_tags(lake_writer.connect(), as_of=AS_OF))
    assert "price_sensitive" in found["PRICE"] and "channel:app" in found["PRICE"]
    assert "quality_oriented" in found["QUALITY"]
    assert "trend_lover" in found["TREND"]  # "novel" was launched on 2024-03-01
    assert {"new_parent", "category:80"} <= found["PARENT"]
    assert found["PLAIN"] == {"channel:pos"}
    assert "FEW" not in found  # one purchase says too little


def test_every_tag_carries_its_evidence(lake_writer: LakeWriter) -> None:
    _write(lake_writer)
    tags = member_tags(lake_writer.connect(), as_of=AS_OF).to_pylist()
    row = next(r for r in tags if (r["member_id"], r["tag"]) == ("QUALITY", "quality_oriented"))
    assert row["share"] == pytest.approx(2 / 3)
    assert row["amount"] == 10_000 and row["total"] == 15_000 and row["purchases"] == 5
    # the base is every member who bought in the window, FEW's premium line included
    assert row["baseline"] == pytest.approx(11_000 / 76_000)
    assert row["index"] == pytest.approx((2 / 3) / (11_000 / 76_000))
    english = explain_tag(row, lang="en")
    assert "67 % of spend (100.00 of 150.00) on premium items" in english
    assert "against 14 % for all members: 4.6×" in english
    assert "高端商品金额占比 67 %" in explain_tag(row, lang="zh-CN")


def test_price_sensitivity_weighs_promotions_and_the_cheap_tier(lake_writer: LakeWriter) -> None:
    _write(lake_writer)
    scores = tag_scores(lake_writer.connect(), as_of=AS_OF)
    price = scores.filter(pc.equal(scores["member_id"], "PRICE")).to_pylist()[0]
    assert price["promo_share"] == pytest.approx(2 / 3)
    assert price["economy_share"] == pytest.approx(2 / 3)
    row = {"tag": "price_sensitive", "share": 2 / 3, "baseline": 0.2, "index": 2.7}
    row |= {"other_share": 0.5, "other_baseline": 0.25, "amount": 1_000, "total": 1_500}
    text = explain_tag(row | {"purchases": 5}, lang="en")
    assert "50 % on economy-tier items against 25 %" in text


@pytest.mark.parametrize("tag", TAGS)
def test_every_tag_has_a_definition_in_both_languages(tag: str) -> None:
    rules = TagRules(min_purchases=4)
    english, chinese = (tag_definition(tag, rules=rules, lang=lang) for lang in ("en", "zh-CN"))
    assert english != chinese
    assert "4" in english and "4" in chinese


def test_unusable_tag_rules_are_refused() -> None:
    with pytest.raises(InvalidRule, match="channel_min_share"):
        TagRules(channel_min_share=1.5)
    with pytest.raises(InvalidRule, match="tag"):
        tag_definition("vegetarian")
    with pytest.raises(InvalidRule, match="min_purchase"):
        TagRules.from_mapping({"min_purchase": 2})


def test_tags_find_the_true_traits_far_better_than_chance(small_chain: SimulatedChain) -> None:
    con = small_chain.connect()
    rules = TagRules()
    tags = member_tags(con, as_of=small_chain.as_of, rules=rules)
    scores = tag_scores(con, as_of=small_chain.as_of, rules=rules)
    eligible = scores.filter(pc.greater_equal(scores["purchases"], rules.min_purchases))
    accuracy = tag_accuracy(
        tags, simulated_traits(small_chain.truth), eligible["member_id"].to_pylist()
    )
    by_tag = {row["tag"]: row for row in accuracy.to_pylist()}
    for tag in ("price_sensitive", "quality_oriented", "trend_lover", "new_parent"):
        row = by_tag[tag]
        assert row["precision"] >= 2 * row["random_precision"], tag
        assert row["recall"] >= 1.5 * row["random_recall"], tag
    assert by_tag["channel"]["precision"] > by_tag["channel"]["random_precision"]
