"""Service, engagement and loyalty metrics: NPS, satisfaction, complaint rate, message open
rate, coupon and points redemption.

Coupon and points redemption rates need what was issued (coupons handed out, points earned),
which lives in the ops DB (coupons, points ledger), not in the lake: those two metrics are
defined, answer "no data", and have lake-backed companions (coupon_order_share in sales,
points_payment_share here).
"""

from __future__ import annotations

import ibis.expr.types as ir

from newretail.metrics import frames
from newretail.metrics.aggregate import aggregate, result, sales, zero
from newretail.metrics.model import (
    CHANNEL,
    MEMBER_TIER,
    REGION,
    SALES_DIMENSIONS,
    STORE,
    Context,
    Metric,
    define,
)

_NO_RETURNS_EN = "Returns do not apply."
_NO_RETURNS_ZH = "与退货无关。"
_FEEDBACK_DIMENSIONS = (CHANNEL, STORE, REGION)


def _nps(ctx: Context) -> ir.Table:
    rows = frames.feedback(ctx.con)
    rows = rows.filter(rows.nps.notnull())
    t = aggregate(
        ctx,
        rows,
        net=lambda t: (t.nps >= 9).sum() - (t.nps <= 6).sum(),
        answers=lambda t: t.count(),
    )
    return result(t, ctx, t.net, t.answers)


def _satisfaction(ctx: Context) -> ir.Table:
    rows = frames.feedback(ctx.con)
    rows = rows.filter(rows.rating.notnull())
    t = aggregate(ctx, rows, total=lambda t: t.rating.sum(), answers=lambda t: t.count())
    return result(t, ctx, t.total, t.answers)


def _complaint_rate(ctx: Context) -> ir.Table:
    opened = aggregate(ctx, frames.tickets(ctx.con), tickets=lambda t: t.count())
    orders = sales(ctx, orders=lambda t: t.order_id.nunique())
    t = ctx.merge(opened, orders)
    return result(t, ctx, zero(t.tickets), t.orders)


def _open_rate(ctx: Context) -> ir.Table:
    rows = frames.messages(ctx.con)
    rows = rows.filter(rows.delivered)
    t = aggregate(ctx, rows, opened=lambda t: t.opened.sum(), sent=lambda t: t.count())
    return result(t, ctx, t.opened, t.sent)


def _points_share(ctx: Context) -> ir.Table:
    t = aggregate(
        ctx,
        frames.payments(ctx.con),
        points=lambda t: t.amount.sum(where=t.method == "points"),
        paid=lambda t: t.amount.sum(),
    )
    return result(t, ctx, zero(t.points), t.paid)


SERVICE_METRICS: tuple[Metric, ...] = (
    define(
        "nps",
        ("净推荐值（NPS）", "NPS"),
        "score",
        "ratio",
        _nps,
        (
            "Net promoter score from −100 to 100: promoters (9–10) less detractors (0–6) over "
            f"the answers of feedback.nps, by the day the feedback came in. {_NO_RETURNS_EN}",
            "净推荐值（−100 至 100）：feedback.nps 中推荐者（9–10 分）减贬损者（0–6 分）占答卷"
            f"的比例 × 100，按反馈提交日计。{_NO_RETURNS_ZH}",
        ),
        dimensions=_FEEDBACK_DIMENSIONS,
        sources=("feedback",),
        scale=100.0,
    ),
    define(
        "satisfaction",
        ("满意度（平均评分）", "satisfaction"),
        "score",
        "ratio",
        _satisfaction,
        (
            "Mean rating (1–5) of the feedback that has one: reviews, surveys, tickets. "
            f"{_NO_RETURNS_EN}",
            f"有评分的反馈（评价、调研、工单）的平均分（1–5）。{_NO_RETURNS_ZH}",
        ),
        dimensions=_FEEDBACK_DIMENSIONS,
        sources=("feedback",),
    ),
    define(
        "complaint_rate",
        ("投诉率", "complaint rate"),
        "ratio",
        "ratio",
        _complaint_rate,
        (
            "Service tickets opened (every ticket counts as a complaint) over orders of the "
            "same period and store; orders before returns.",
            "新建客服工单数（每张工单计为一次投诉）÷ 同期同门店订单数；订单按退货前口径。",
        ),
        dimensions=(STORE, REGION),
        sources=("tickets", "orders", "order_lines"),
        higher_is_better=False,
    ),
    define(
        "message_open_rate",
        ("消息打开率", "message open rate"),
        "ratio",
        "ratio",
        _open_rate,
        (
            "Marketing messages opened (status opened or clicked, or an opening time) over "
            f"messages not failed, by the day they were sent. {_NO_RETURNS_EN}",
            "营销消息中已打开（状态为已打开或已点击，或有打开时间）的条数 ÷ 未失败的条数，"
            f"按发送日计。{_NO_RETURNS_ZH}",
        ),
        dimensions=(MEMBER_TIER,),
        sources=("messages", "members"),
    ),
    define(
        "coupon_redemption_rate",
        ("优惠券核销率", "coupon redemption rate"),
        "ratio",
        "ratio",
        None,
        (
            "Coupons redeemed over coupons issued. No data: the lake records coupons used "
            "(orders.coupon_codes) but not coupons issued, which the ops DB holds; see "
            f"coupon_order_share for what the lake supports. {_NO_RETURNS_EN}",
            "已核销优惠券 ÷ 已发放优惠券。暂无数据：数据湖只记录用券（orders.coupon_codes），"
            f"不记录发券（在运营库中）；数据湖可支持的指标见用券订单占比。{_NO_RETURNS_ZH}",
        ),
        dimensions=SALES_DIMENSIONS,
        sources=(),
    ),
    define(
        "points_redemption_rate",
        ("积分核销率", "points redemption rate"),
        "ratio",
        "ratio",
        None,
        (
            "Points redeemed over points earned. No data: the points ledger (earn, redeem, "
            "expire) lives in the ops DB, not in the lake; see points_payment_share for what "
            f"the lake supports. {_NO_RETURNS_EN}",
            "已使用积分 ÷ 已发放积分。暂无数据：积分流水（获得、使用、过期）在运营库中，"
            f"不在数据湖；数据湖可支持的指标见积分抵现占比。{_NO_RETURNS_ZH}",
        ),
        dimensions=SALES_DIMENSIONS,
        sources=(),
    ),
    define(
        "points_payment_share",
        ("积分抵现占比", "share paid with points"),
        "ratio",
        "ratio",
        _points_share,
        (
            "Amount paid with points (payments.method = points) over the amount paid, "
            "refund payments left out.",
            "以积分支付的金额（payments.method = points）÷ 支付总额，不含退款流水。",
        ),
        dimensions=_FEEDBACK_DIMENSIONS,
        sources=("payments", "orders"),
    ),
)
