"""Online metrics from web / app / mini-program events: sessions, conversion, funnel steps,
cart abandonment. A session counts on the business day of its first event.

These metrics count sessions that *have* an event of a kind, in any order; the ordered funnel
(``newretail.metrics.funnels``) asks that each step follow the one before.
"""

from __future__ import annotations

import ibis.expr.types as ir

from newretail.metrics import frames
from newretail.metrics.aggregate import Measure, aggregate, result
from newretail.metrics.model import CHANNEL, Builder, Context, Metric, define

_NO_RETURNS_EN = "Returns do not apply."
_NO_RETURNS_ZH = "与退货无关。"
_SOURCES = ("events",)


def _count(flag: str | None) -> Measure:
    def measure(t: ir.Table) -> ir.Value:
        return t.count() if flag is None else t[flag].sum()

    return measure


def _sessions_ratio(numerator: str | None, denominator: str | None) -> Builder:
    def build(ctx: Context) -> ir.Table:
        t = aggregate(
            ctx, frames.sessions(ctx.con), top=_count(numerator), bottom=_count(denominator)
        )
        return result(t, ctx, t.top, t.bottom)

    return build


def _abandonment(ctx: Context) -> ir.Table:
    t = aggregate(
        ctx,
        frames.sessions(ctx.con),
        carts=lambda t: t.has_cart.sum(),
        paid=lambda t: (t.has_cart & t.has_pay).sum(),
    )
    return result(t, ctx, t.carts - t.paid, t.carts)


def _online(
    name: str,
    labels: tuple[str, str],
    unit: str,
    build: Builder,
    descriptions: tuple[str, str],
    *,
    higher_is_better: bool = True,
) -> Metric:
    return define(
        name,
        labels,
        "count" if unit == "count" else "ratio",
        "total" if unit == "count" else "ratio",
        build,
        (f"{descriptions[0]} {_NO_RETURNS_EN}", f"{descriptions[1]}{_NO_RETURNS_ZH}"),
        dimensions=(CHANNEL,),
        sources=_SOURCES,
        higher_is_better=higher_is_better,
    )


ONLINE_METRICS: tuple[Metric, ...] = (
    _online(
        "sessions",
        ("访问会话数（流量）", "sessions"),
        "count",
        _sessions_ratio(None, None),
        (
            "Online sessions (distinct events.session_id): the traffic of the online shop, "
            "app and mini-program.",
            "线上会话数（events.session_id 去重）：网店、App、小程序的流量。",
        ),
    ),
    _online(
        "conversion_rate",
        ("转化率", "conversion rate"),
        "ratio",
        _sessions_ratio("has_pay", None),
        (
            "Sessions with a payment over sessions. GMV attribution uses orders over "
            "sessions instead, so that traffic × conversion × AOV equals GMV exactly.",
            "有支付事件的会话 ÷ 会话数。GMV 归因改用订单数 ÷ 会话数，以使流量 × 转化率 × "
            "客单价恰好等于 GMV。",
        ),
    ),
    _online(
        "add_to_cart_rate",
        ("加购率", "add-to-cart rate"),
        "ratio",
        _sessions_ratio("has_cart", None),
        ("Sessions with an add-to-cart over sessions.", "有加购事件的会话 ÷ 会话数。"),
    ),
    _online(
        "checkout_rate",
        ("结算率", "checkout rate"),
        "ratio",
        _sessions_ratio("has_checkout", "has_cart"),
        (
            "Sessions with a checkout over sessions with an add-to-cart.",
            "有结算事件的会话 ÷ 有加购事件的会话。",
        ),
    ),
    _online(
        "payment_rate",
        ("支付率", "payment rate"),
        "ratio",
        _sessions_ratio("has_pay", "has_checkout"),
        (
            "Sessions with a payment over sessions with a checkout.",
            "有支付事件的会话 ÷ 有结算事件的会话。",
        ),
    ),
    _online(
        "cart_abandonment_rate",
        ("购物车放弃率", "cart abandonment rate"),
        "ratio",
        _abandonment,
        (
            "Sessions with an add-to-cart but no payment over sessions with an add-to-cart.",
            "有加购但未支付的会话 ÷ 有加购的会话。",
        ),
        higher_is_better=False,
    ),
)
