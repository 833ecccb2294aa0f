"""Member metrics: active members, first-time and returning buyers, new members, 复购率.

Purchases are orders not cancelled, counted before returns: a member who bought and returned
the goods still bought.
"""

from __future__ import annotations

import ibis.expr.types as ir

from newretail.metrics import frames
from newretail.metrics.aggregate import aggregate, result, sales
from newretail.metrics.model import (
    CHANNEL,
    MEMBER_TIER,
    REGION,
    SALES_DIMENSIONS,
    STORE,
    Builder,
    Context,
    Metric,
    define,
)

_PURCHASES_EN = "Purchases are orders not cancelled, before returns."
_PURCHASES_ZH = "购买指未取消的订单，按退货前口径。"
_SOURCES = ("orders", "order_lines")


def _active(ctx: Context) -> ir.Table:
    t = sales(ctx, members=lambda t: t.member_id.nunique(), rows=lambda t: t.count())
    return result(t, ctx, t.members, t.rows)


def _buyers(first_time: bool) -> Builder:
    def build(ctx: Context) -> ir.Table:
        lines = frames.sales_lines(ctx.con)
        first = frames.first_purchases(ctx.con).rename(_f_member="member_id")
        lines = lines.left_join(first, lines.member_id == first._f_member).drop("_f_member")

        def count(t: ir.Table) -> ir.Value:
            new = t.first_date >= t.window_start
            return t.member_id.nunique(where=new if first_time else ~new)

        t = aggregate(ctx, lines, members=count, rows=lambda t: t.count())
        return result(t, ctx, t.members, t.rows)

    return build


def _repurchase(ctx: Context) -> ir.Table:
    rows = ctx.bucket(frames.with_dimensions(ctx.con, frames.sales_lines(ctx.con), ctx.by))
    rows = rows.filter(rows.member_id.notnull())
    per_member = rows.group_by([*ctx.group, "member_id"]).aggregate(orders=rows.order_id.nunique())
    t = per_member.group_by(ctx.group).aggregate(
        again=(per_member.orders >= 2).sum(), members=per_member.count()
    )
    return result(t, ctx, t.again, t.members)


def _new_members(ctx: Context) -> ir.Table:
    t = aggregate(ctx, frames.member_joins(ctx.con, ctx.settings), rows=lambda t: t.count())
    return result(t, ctx, t.rows, t.rows)


MEMBER_METRICS: tuple[Metric, ...] = (
    define(
        "active_members",
        ("活跃会员数", "active members"),
        "count",
        "total",
        _active,
        (
            f"Members with at least one purchase in the period and slice. {_PURCHASES_EN}",
            f"期内在该切片至少购买一次的会员数。{_PURCHASES_ZH}",
        ),
        dimensions=SALES_DIMENSIONS,
        sources=_SOURCES,
    ),
    define(
        "first_time_buyers",
        ("首购会员数", "first-time buyers"),
        "count",
        "total",
        _buyers(first_time=True),
        (
            "Active members whose first purchase anywhere in the chain falls in the period "
            f"(history: everything loaded). {_PURCHASES_EN}",
            f"首次在全渠道购买发生在本期的活跃会员数（历史以已加载数据为准）。{_PURCHASES_ZH}",
        ),
        dimensions=SALES_DIMENSIONS,
        sources=_SOURCES,
    ),
    define(
        "returning_members",
        ("回头会员数（老客）", "returning members"),
        "count",
        "total",
        _buyers(first_time=False),
        (
            "Active members who had bought anywhere in the chain before the period; with "
            f"first_time_buyers they make the active members. {_PURCHASES_EN}",
            f"本期之前已在全渠道购买过的活跃会员数；与首购会员数之和为活跃会员数。{_PURCHASES_ZH}",
        ),
        dimensions=SALES_DIMENSIONS,
        sources=_SOURCES,
    ),
    define(
        "new_members",
        ("新增会员数", "new members"),
        "count",
        "total",
        _new_members,
        (
            "Members who joined in the period: members.joined_at as a local day on the clock "
            "of the home store (else the chain's time zone), sliced by the channel joined "
            "through, the home store and the tier. Returns do not apply.",
            "期内入会的会员数：members.joined_at 按常去门店（否则按总部时区）的当地日期计，"
            "可按入会渠道、常去门店、会员等级切片。与退货无关。",
        ),
        dimensions=(CHANNEL, STORE, REGION, MEMBER_TIER),
        sources=("members", "stores"),
    ),
    define(
        "repurchase_rate",
        ("复购率", "repurchase rate"),
        "ratio",
        "ratio",
        _repurchase,
        (
            "Members with two or more orders in the period and slice over members with at "
            f"least one; depends on the period length (use a week or a month). {_PURCHASES_EN}",
            "期内在该切片下单两次及以上的会员 ÷ 下单至少一次的会员；结果随周期长短变化"
            f"（宜按周或月）。{_PURCHASES_ZH}",
        ),
        dimensions=SALES_DIMENSIONS,
        sources=_SOURCES,
    ),
)
