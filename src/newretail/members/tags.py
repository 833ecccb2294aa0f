"""Behavioural tags (SPEC C2), each with a written definition and the evidence behind it.

Every tag compares a member's behaviour over the last ``window_days`` with the whole member
base's over the same days, so thresholds mean the same in a chain where half the sales are
promoted and in one where a tenth are. A member needs ``min_purchases`` purchases in the
window to carry any tag: fewer say too little.

* ``price_sensitive`` (价格敏感): buys on price. Two shares of spend are each divided by the
  base's: on promoted lines (a promotion, a coupon or a discount applied) and on economy-tier
  items; the tag is carried when their mean reaches ``price_sensitive_index``. (Promotions
  alone say little: everyone takes a deal that comes their way; the cheaper tier is chosen.)
* ``quality_oriented`` (品质导向): the share of spend on premium-tier items is at least
  ``quality_index`` × the base's share.
* ``trend_lover`` (潮流爱好者): the share of spend on items bought within ``new_item_days`` of
  their launch is at least ``trend_index`` × the base's share.
* ``new_parent`` (新手父母, a life stage): the share of spend in the baby categories is at least
  ``new_parent_index`` × the base's share.
* ``category`` (品类偏好): the top-level category with the highest index (member's share ÷
  base's share) when the index reaches ``category_index`` and the share ``category_min_share``;
  the tag's value is the category id.
* ``channel`` (渠道偏好): the channel of at least ``channel_min_share`` of the member's
  purchases; the value is the channel id.

Spend is the gross amount of the lines (before discounts), so a discount does not shrink the
very share it should raise. Definitions and evidence sentences are in the message catalogue
(``members.tag.<tag>.definition`` / ``.evidence``) in both languages.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa
from ibis.backends import BaseBackend

from newretail.core.i18n import translate
from newretail.members.errors import InvalidRule
from newretail.members.facts import category_roots, purchase_lines, purchases
from newretail.members.identity import Resolution
from newretail.members.rules import check_positive, rules_from_mapping

TAGS = ("price_sensitive", "quality_oriented", "trend_lover", "new_parent", "category", "channel")
#: a top-level category is a baby category when its name says so (unless rules name them)
BABY_WORDS = ("母婴", "婴", "baby", "infant")

#: measures of spend: each gives ``<m>_spend`` (fen), ``<m>_share`` and ``<m>_base``
_MEASURES = ("promo", "premium", "economy", "new_item", "baby")
#: tag -> (its measure, the rule holding its index threshold)
_SHARE_TAGS = {
    "price_sensitive": ("promo", "price_sensitive_index"),
    "quality_oriented": ("premium", "quality_index"),
    "trend_lover": ("new_item", "trend_index"),
    "new_parent": ("baby", "new_parent_index"),
}
TAG_COLUMNS = (
    "member_id", "tag", "value", "index", "share", "baseline", "amount",
    "other_share", "other_baseline", "total", "purchases",
)  # fmt: skip


@dataclass(frozen=True)
class TagRules:
    """Thresholds of the tags (see the module docstring)."""

    window_days: int = 365
    min_purchases: int = 3
    price_sensitive_index: float = 1.25
    quality_index: float = 1.5
    trend_index: float = 2.0
    new_item_days: int = 90
    new_parent_index: float = 3.0
    baby_categories: tuple[str, ...] = ()
    category_index: float = 1.5
    category_min_share: float = 0.2
    channel_min_share: float = 0.6

    def __post_init__(self) -> None:
        for name in ("window_days", "min_purchases", "new_item_days"):
            check_positive(name, getattr(self, name), whole=True)
        for name in (
            "price_sensitive_index", "quality_index", "trend_index", "new_parent_index",
            "category_index", "category_min_share", "channel_min_share",
        ):  # fmt: skip
            check_positive(name, getattr(self, name))
        for name in ("category_min_share", "channel_min_share"):
            if getattr(self, name) > 1:
                raise InvalidRule(rule=name, value=getattr(self, name), reason="is a share ≤ 1")

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> TagRules:
        rules: TagRules = rules_from_mapping(cls, values)
        return rules


def tag_definition(tag: str, *, rules: TagRules | None = None, lang: str | None = None) -> str:
    """The written definition of ``tag`` with the thresholds of ``rules``."""
    if tag not in TAGS:
        raise InvalidRule(rule="tag", value=tag, reason=f"one of {', '.join(TAGS)}")
    rules = rules or TagRules()
    return translate(f"members.tag.{tag}.definition", lang, **_rule_values(rules))


def explain_tag(
    row: Mapping[str, Any], *, rules: TagRules | None = None, lang: str | None = None
) -> str:
    """The evidence of one row of :func:`member_tags` (or :func:`tag_evidence`) in words."""
    rules = rules or TagRules()
    values = {
        **_rule_values(rules),
        "value": row.get("value") or "",
        "share": _percent(row.get("share")),
        "baseline": _percent(row.get("baseline")),
        "other_share": _percent(row.get("other_share")),
        "other_baseline": _percent(row.get("other_baseline")),
        "index": f"{row.get('index') or 0:.1f}",
        "amount": _amount(row),
        "total": f"{(row.get('total') or 0) / 100:,.2f}",
        "purchases": row.get("purchases") or 0,
    }
    return translate(f"members.tag.{row['tag']}.evidence", lang, **values)


def _amount(row: Mapping[str, Any]) -> str:
    amount = row.get("amount") or 0
    # the channel tag's evidence counts purchases; the others' is spend in fen
    return str(int(amount)) if row["tag"] == "channel" else f"{amount / 100:,.2f}"


def _percent(value: Any) -> str:
    return "-" if value is None else f"{100 * float(value):.0f} %"


def _rule_values(rules: TagRules) -> dict[str, Any]:
    return {
        "window_days": rules.window_days,
        "min_purchases": rules.min_purchases,
        "price_index": rules.price_sensitive_index,
        "quality_index": rules.quality_index,
        "trend_index": rules.trend_index,
        "new_item_days": rules.new_item_days,
        "parent_index": rules.new_parent_index,
        "category_index": rules.category_index,
        "category_share": _percent(rules.category_min_share),
        "channel_share": _percent(rules.channel_min_share),
    }


# -- scores ----------------------------------------------------------------------------------


def tag_scores_expr(
    con: BaseBackend,
    *,
    as_of: date,
    rules: TagRules | None = None,
    resolution: Resolution | None = None,
) -> ir.Table:
    """:func:`tag_scores` as an expression.

    The lines are summed per member and top-level category once, when the expression is
    built (both the spend shares and the category preference read those sums); the rest runs
    when the expression does.
    """
    rules = rules or TagRules()
    start = as_of - timedelta(days=rules.window_days - 1)
    lines = _classified_lines(
        con, rules, purchase_lines(con, resolution=resolution, start=start, end=as_of)
    )
    # one pass over the lines: sums per member and top-level category, kept for both uses
    per_root = ibis.memtable(_per_category(lines).to_pyarrow())
    spend = _spend(per_root)
    bought = purchases(con, resolution=resolution, start=start, end=as_of)
    channel = _top_channel(con, bought)
    category = _top_category(per_root)
    joined = spend.left_join(channel, "member_id").left_join(category, "member_id")
    total = joined.spend.sum().over()
    shares: dict[str, ir.Value] = {}
    for measure in _MEASURES:
        amount = joined[f"{measure}_spend"]
        shares[f"{measure}_spend"] = amount
        shares[f"{measure}_share"] = amount / joined.spend.nullif(0)
        shares[f"{measure}_base"] = amount.sum().over() / total.nullif(0)
    return joined.select(
        "member_id",
        "lines",
        "spend",
        "top_category",
        "top_category_spend",
        "top_category_share",
        "top_category_base",
        "top_channel",
        "top_channel_purchases",
        "top_channel_share",
        "online_share",
        purchases=joined.purchases.fill_null(0),
        baby_lines=joined.baby_lines,
        **shares,
    )


def _classified_lines(con: BaseBackend, rules: TagRules, lines: ir.Table) -> ir.Table:
    """Lines with the flags the tags count: premium, new item, baby category, and the
    line's top-level category."""
    products = con.table("products").select("sku_id", "tier", "launched_on", "category_id")
    roots = category_roots(con)
    products = products.left_join(roots, "category_id").select(
        "sku_id", "tier", "launched_on", "root_id"
    )
    t = lines.left_join(products, "sku_id")
    age = t.business_date.delta(t.launched_on, unit="day")
    return t.select(
        "member_id",
        "order_id",
        "gross_amount",
        "promoted",
        root_id=t.root_id.fill_null("?"),
        premium=t.tier.fill_null("") == "premium",
        economy=t.tier.fill_null("") == "economy",
        new_item=(age >= 0) & (age < rules.new_item_days),
        baby=t.root_id.isin(_baby_roots(con, rules)),
    )


def _baby_roots(con: BaseBackend, rules: TagRules) -> list[str]:
    if rules.baby_categories:
        return list(rules.baby_categories)
    cats = con.table("categories")
    text = (cats.name.fill_null("") + " " + cats.name_en.fill_null("")).lower()
    named = ibis.or_(*(text.contains(word) for word in BABY_WORDS))
    found = cats.filter(cats.parent_id.isnull() & named).select("category_id").to_pyarrow()
    return [str(v) for v in found.column("category_id").to_pylist()]


def _per_category(lines: ir.Table) -> ir.Table:
    """Per member and top-level category: lines, spend and the spend of each measure."""
    gross = lines.gross_amount

    def part(flag: ir.BooleanValue) -> ir.IntegerValue:
        return ibis.ifelse(flag.fill_null(False), gross, 0).sum()

    return lines.group_by(["member_id", "root_id"]).agg(
        lines=lines.count(),
        spend=gross.sum(),
        promo_spend=part(lines.promoted),
        premium_spend=part(lines.premium),
        economy_spend=part(lines.economy),
        new_item_spend=part(lines.new_item),
        baby_spend=part(lines.baby),
        baby_lines=lines.baby.fill_null(False).sum(),
    )


def _spend(per_root: ir.Table) -> ir.Table:
    sums = {
        name: per_root[name].sum()
        for name in ("lines", "spend", *(f"{m}_spend" for m in _MEASURES), "baby_lines")
    }
    return per_root.group_by("member_id").agg(**sums)


def _top_category(per_root: ir.Table) -> ir.Table:
    """The member's top-level category with the highest index over the base."""
    per = per_root.select("member_id", "root_id", "spend")
    member_total = per.spend.sum().over(group_by="member_id")
    base = per.spend.sum().over(group_by="root_id") / per.spend.sum().over()
    per = per.mutate(share=per.spend / member_total.nullif(0), base=base)
    per = per.mutate(index=per.share / per.base.nullif(0))
    rank = ibis.row_number().over(
        group_by="member_id", order_by=[per.index.desc(), per.root_id.asc()]
    )
    best = per.mutate(rank=rank).filter(ibis._.rank == 0)
    return best.select(
        "member_id",
        top_category=best.root_id,
        top_category_spend=best.spend,
        top_category_share=best.share,
        top_category_base=best.base,
    )


def _top_channel(con: BaseBackend, bought: ir.Table) -> ir.Table:
    """The channel of most of the member's purchases, and the share bought online."""
    kinds = con.table("channels").select("channel_id", "kind")
    t = bought.left_join(kinds, "channel_id")
    online = t.kind.notnull() & (t.kind != "store_pos")
    per = t.group_by(["member_id", "channel_id"]).agg(n=t.count(), online=online.sum())
    total = per.n.sum().over(group_by="member_id")
    per = per.mutate(
        share=per.n / total,
        online_share=per.online.sum().over(group_by="member_id") / total,
        purchases=total,
    )
    rank = ibis.row_number().over(
        group_by="member_id", order_by=[per.n.desc(), per.channel_id.asc()]
    )
    best = per.mutate(rank=rank).filter(ibis._.rank == 0)
    return best.select(
        "member_id",
        "purchases",
        "online_share",
        top_channel=best.channel_id,
        top_channel_purchases=best.n,
        top_channel_share=best.share,
    )


def tag_scores(
    con: BaseBackend,
    *,
    as_of: date,
    rules: TagRules | None = None,
    resolution: Resolution | None = None,
) -> pa.Table:
    """The measures behind the tags, one row per member with a purchase in the window.

    Columns: ``member_id``, ``purchases``, ``lines``, ``spend`` (gross, fen); for each of
    promo / premium / economy / new_item / baby: ``<m>_spend`` (fen), ``<m>_share`` (of spend) and
    ``<m>_base`` (the base's share); ``baby_lines``; ``top_category`` (top-level category
    id), ``top_category_spend``, ``top_category_share``, ``top_category_base``;
    ``top_channel``, ``top_channel_purchases``, ``top_channel_share``, ``online_share``.
    """
    expr = tag_scores_expr(con, as_of=as_of, rules=rules, resolution=resolution)
    return expr.order_by("member_id").to_pyarrow()


# -- tags ------------------------------------------------------------------------------------


def tags_expr(scores: ir.Table, rules: TagRules) -> ir.Table:
    """Every tag every member carries (:data:`TAG_COLUMNS`), from :func:`tag_scores_expr`."""
    parts = [tag_rows(scores, tag, rules, carried_only=True) for tag in TAGS]
    return ibis.union(*parts)


def tag_rows(scores: ir.Table, tag: str, rules: TagRules, *, carried_only: bool) -> ir.Table:
    """One row per member with ``tag``'s evidence and whether the member carries it."""
    s = scores
    enough = s.purchases >= rules.min_purchases
    other: ir.FloatingValue = ibis.null("float64")
    other_base: ir.FloatingValue = ibis.null("float64")
    if tag == "category":
        index = s.top_category_share / s.top_category_base.nullif(0)
        carried = (index >= rules.category_index) & (
            s.top_category_share >= rules.category_min_share
        )
        value, share, base, amount = (
            s.top_category,
            s.top_category_share,
            s.top_category_base,
            s.top_category_spend,
        )
    elif tag == "channel":
        index = ibis.null("float64")
        carried = s.top_channel_share >= rules.channel_min_share
        value, share, base = s.top_channel, s.top_channel_share, ibis.null("float64")
        amount = s.top_channel_purchases
    else:
        measure, rule = _SHARE_TAGS[tag]
        share, base = s[f"{measure}_share"], s[f"{measure}_base"]
        amount = s[f"{measure}_spend"]
        index = share / base.nullif(0)
        if tag == "price_sensitive":
            other, other_base = s.economy_share, s.economy_base
            index = (index + other / other_base.nullif(0)) / 2
        carried = index >= getattr(rules, rule)
        value = ibis.null("string")
    rows = s.select(
        "member_id",
        tag=ibis.literal(tag),
        value=value.cast("string"),
        index=index.cast("float64"),
        share=share.cast("float64"),
        baseline=base.cast("float64"),
        amount=amount.cast("int64"),
        other_share=other.cast("float64"),
        other_baseline=other_base.cast("float64"),
        total=s.spend.cast("int64"),
        purchases=s.purchases.cast("int64"),
        carried=(enough & carried).fill_null(False),
    )
    if carried_only:
        return rows.filter(rows.carried).drop("carried")
    return rows


def member_tags(
    con: BaseBackend,
    *,
    as_of: date,
    rules: TagRules | None = None,
    resolution: Resolution | None = None,
) -> pa.Table:
    """Every tag carried on ``as_of``, one row per member and tag.

    Columns: ``member_id``, ``tag`` (one of :data:`TAGS`), ``value`` (category or channel
    id; null for the others), ``share``, ``baseline`` (the base's share), ``index``
    (share ÷ baseline), ``amount`` (the evidence: fen of spend, or purchases through the
    channel), ``total`` (the member's spend in the window, fen), ``purchases``. Sorted by
    member and tag. :func:`explain_tag` turns a row into a sentence.
    """
    rules = rules or TagRules()
    scores = tag_scores(con, as_of=as_of, rules=rules, resolution=resolution)
    return tags_from_scores(scores, rules=rules)


def tags_from_scores(scores: pa.Table, *, rules: TagRules | None = None) -> pa.Table:
    """:func:`member_tags` from scores already computed by :func:`tag_scores`."""
    rules = rules or TagRules()
    expr = tags_expr(ibis.memtable(scores), rules)
    return expr.order_by(["member_id", "tag"]).to_pyarrow()


def tag_evidence(scores: pa.Table, member_id: str, *, rules: TagRules | None = None) -> pa.Table:
    """Every tag of one member, carried or not, with its evidence: :data:`TAG_COLUMNS` plus
    ``carried``. ``scores`` is :func:`tag_scores`'s result; no row when the member bought
    nothing in the window."""
    rules = rules or TagRules()
    mine = ibis.memtable(scores).filter(ibis._.member_id == member_id)
    parts = [tag_rows(mine, tag, rules, carried_only=False) for tag in TAGS]
    return ibis.union(*parts).to_pyarrow()
