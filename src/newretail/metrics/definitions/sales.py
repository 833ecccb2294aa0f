"""Sales metrics: GMV, net sales, orders, basket, margin, promotion cost, coupons, 坪效.

Returns: GMV and the basket metrics count what was sold, before returns; net sales, gross
profit and margin subtract refunds on the business day of the return (frames.py).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from newretail.metrics.aggregate import by_store, net_sales, result, returned, sales, zero
from newretail.metrics.model import (
    REGION,
    SALES_DIMENSIONS,
    STORE,
    Builder,
    Context,
    Kind,
    Metric,
    Unit,
    define,
)

BEFORE_RETURNS_EN = "Before returns: a later refund does not change it (see net_sales)."
BEFORE_RETURNS_ZH = "退货前口径：之后发生的退款不改变该值（扣退货见净销售额）。"
NET_OF_RETURNS_EN = "Net of returns: refunds are subtracted on the business day of the return."
NET_OF_RETURNS_ZH = "扣除退货：退款在退货发生的营业日扣减。"
SALES_SOURCES = ("orders", "order_lines")
NET_SOURCES = ("orders", "order_lines", "returns")


def _gmv(ctx: Context) -> ir.Table:
    t = sales(ctx, amount=lambda t: t.net_amount.sum(), rows=lambda t: t.count())
    return result(t, ctx, t.amount, t.rows)


def _net_sales(ctx: Context) -> ir.Table:
    t = net_sales(ctx)
    return result(t, ctx, t.net, t.rows)


def _refund_amount(ctx: Context) -> ir.Table:
    t = returned(ctx, amount=lambda t: t.refund_amount.sum(), rows=lambda t: t.count())
    return result(t, ctx, t.amount, t.rows)


def _return_rate(ctx: Context) -> ir.Table:
    t = net_sales(ctx)
    return result(t, ctx, t.refunded, t.sold)


def _orders(ctx: Context) -> ir.Table:
    t = sales(ctx, orders=lambda t: t.order_id.nunique(), rows=lambda t: t.count())
    return result(t, ctx, t.orders, t.rows)


def _per_order(measure: str) -> Builder:
    def build(ctx: Context) -> ir.Table:
        t = sales(ctx, value=_SALES_MEASURES[measure], orders=lambda t: t.order_id.nunique())
        return result(t, ctx, t.value, t.orders)

    return build


_SALES_MEASURES = {
    "net": lambda t: t.net_amount.sum(),
    "units": lambda t: t.units.sum(),
    "skus": lambda t: t.order_id.concat("\x1f", t.sku_id).nunique(),
    "coupon_orders": lambda t: t.order_id.nunique(where=t.has_coupon),
}


def _unit_price(ctx: Context) -> ir.Table:
    t = sales(ctx, net=lambda t: t.net_amount.sum(), units=lambda t: t.units.sum())
    return result(t, ctx, t.net, t.units)


def _gross_profit(ctx: Context) -> ir.Table:
    t = net_sales(ctx)
    return result(t, ctx, t.net - t.cost, t.rows)


def _gross_margin(ctx: Context) -> ir.Table:
    t = net_sales(ctx)
    return result(t, ctx, t.net - t.cost, t.net)


def _promotion_cost(ctx: Context) -> ir.Table:
    t = sales(ctx, amount=lambda t: t.discount_amount.sum(), rows=lambda t: t.count())
    return result(t, ctx, t.amount, t.rows)


def _discount_rate(ctx: Context) -> ir.Table:
    t = sales(ctx, off=lambda t: t.discount_amount.sum(), gross=lambda t: t.gross_amount.sum())
    return result(t, ctx, t.off, t.gross)


def _sales_per_m2(ctx: Context) -> ir.Table:
    """Net sales of the stores open in the period over their selling area."""
    per_store = net_sales(by_store(ctx))
    stores = ctx.con.table("stores")
    windows = ctx.windows()
    open_ = stores.cross_join(windows).filter(
        stores.area_m2 > 0,
        stores.opened_on.isnull() | (stores.opened_on <= windows.window_end),
        stores.closed_on.isnull() | (stores.closed_on >= windows.window_start),
    )
    open_ = open_.select("series", "period", STORE, REGION, area=open_.area_m2)
    sold = per_store.rename(_n_series="series", _n_period="period", _n_store=STORE)
    joined = open_.left_join(
        sold,
        [
            open_.series == sold._n_series,
            open_.period == sold._n_period,
            open_[STORE] == sold._n_store,
        ],
    )
    grouped = joined.group_by(ctx.group).aggregate(
        net=zero(joined.net).sum(), rows=zero(joined.rows).sum(), area=joined.area.sum()
    )
    area = ibis.cases((grouped.rows > 0, grouped.area), else_=ibis.null("float64"))
    return result(grouped, ctx, grouped.net, area)


def _sales_metric(
    name: str,
    labels: tuple[str, str],
    unit: Unit,
    kind: Kind,
    build: Builder | None,
    descriptions: tuple[str, str],
    *,
    higher_is_better: bool = True,
    sources: tuple[str, ...] = SALES_SOURCES,
    dimensions: tuple[str, ...] = SALES_DIMENSIONS,
) -> Metric:
    return define(
        name,
        labels,
        unit,
        kind,
        build,
        descriptions,
        dimensions=dimensions,
        sources=sources,
        higher_is_better=higher_is_better,
    )


SALES_METRICS: tuple[Metric, ...] = (
    _sales_metric(
        "gmv",
        ("成交总额（GMV）", "GMV"),
        "fen",
        "total",
        _gmv,
        (
            "Value of goods ordered at the price paid: the net amount (after discounts, "
            "without delivery fees) of the lines of every order not cancelled, on the order's "
            f"business day. {BEFORE_RETURNS_EN}",
            "下单商品按实付价计的金额：未取消订单各明细行的实收金额（扣除优惠，不含配送费），"
            f"计入订单营业日。{BEFORE_RETURNS_ZH}",
        ),
    ),
    _sales_metric(
        "net_sales",
        ("净销售额", "net sales"),
        "fen",
        "total",
        _net_sales,
        (
            f"GMV less refunds (returns.refund_amount). {NET_OF_RETURNS_EN}",
            f"GMV 减去退款金额（returns.refund_amount）。{NET_OF_RETURNS_ZH}",
        ),
        sources=NET_SOURCES,
    ),
    _sales_metric(
        "refund_amount",
        ("退款金额", "refunds"),
        "fen",
        "total",
        _refund_amount,
        (
            "Amount refunded for returns, on the business day of the return; returns of "
            "cancelled orders are left out.",
            "退货的退款金额，计入退货营业日；已取消订单的退货不计。",
        ),
        higher_is_better=False,
        sources=NET_SOURCES,
    ),
    _sales_metric(
        "return_rate",
        ("退货率", "return rate"),
        "ratio",
        "ratio",
        _return_rate,
        (
            "Refunds over GMV of the same period and slice (refunds on the day of the "
            "return, sales on the day of the order).",
            "同期同切片的退款金额 ÷ GMV（退款按退货日，销售按下单日）。",
        ),
        higher_is_better=False,
        sources=NET_SOURCES,
    ),
    _sales_metric(
        "orders",
        ("订单数", "orders"),
        "count",
        "total",
        _orders,
        (
            "Orders not cancelled with at least one line in the slice (an order with lines "
            f"in two categories counts in both). {BEFORE_RETURNS_EN}",
            "在该切片内至少有一行明细的未取消订单数（一单含两个品类时两个品类各计一次）。"
            f"{BEFORE_RETURNS_ZH}",
        ),
    ),
    _sales_metric(
        "aov",
        ("客单价", "average order value"),
        "fen",
        "ratio",
        _per_order("net"),
        (f"GMV per order. {BEFORE_RETURNS_EN}", f"GMV ÷ 订单数。{BEFORE_RETURNS_ZH}"),
    ),
    _sales_metric(
        "units_per_order",
        ("客单件数", "units per order"),
        "count",
        "ratio",
        _per_order("units"),
        (
            "Items sold per order; a line sold by weight (fractional quantity) counts as "
            f"one item. {BEFORE_RETURNS_EN}",
            f"每单销售件数；称重商品（数量含小数）每行计 1 件。{BEFORE_RETURNS_ZH}",
        ),
    ),
    _sales_metric(
        "attach_rate",
        ("连带率", "attach rate"),
        "count",
        "ratio",
        _per_order("skus"),
        (
            "Distinct SKUs per order: how many different items a basket joins together. "
            "Chains that quote 连带率 as items per order use units_per_order. "
            f"{BEFORE_RETURNS_EN}",
            "每单不同 SKU 数：一个购物篮连带了几种商品。按“件数 ÷ 单数”口径计算连带率的，"
            f"请用客单件数。{BEFORE_RETURNS_ZH}",
        ),
    ),
    _sales_metric(
        "average_unit_price",
        ("件单价", "average unit price"),
        "fen",
        "ratio",
        _unit_price,
        (
            f"GMV per item sold (items as in units_per_order). {BEFORE_RETURNS_EN}",
            f"GMV ÷ 销售件数（件数口径同客单件数）。{BEFORE_RETURNS_ZH}",
        ),
    ),
    _sales_metric(
        "gross_profit",
        ("毛利额", "gross profit"),
        "fen",
        "total",
        _gross_profit,
        (
            "Net sales less the cost of goods sold (order_lines.cost_amount), the cost of "
            "goods returned added back at the original line's unit cost. "
            f"{NET_OF_RETURNS_EN}",
            "净销售额减销售成本（order_lines.cost_amount），退回商品按原订单行单位成本冲回。"
            f"{NET_OF_RETURNS_ZH}",
        ),
        sources=(*NET_SOURCES, "products"),
    ),
    _sales_metric(
        "gross_margin",
        ("毛利率", "gross margin"),
        "ratio",
        "ratio",
        _gross_margin,
        (
            f"Gross profit over net sales. {NET_OF_RETURNS_EN}",
            f"毛利额 ÷ 净销售额。{NET_OF_RETURNS_ZH}",
        ),
        sources=(*NET_SOURCES, "products"),
    ),
    _sales_metric(
        "promotion_cost",
        ("促销费用（优惠金额）", "promotion cost"),
        "fen",
        "total",
        _promotion_cost,
        (
            "Discounts given: the discounts allocated to the lines sold (promotions, "
            f"coupons, member prices). {BEFORE_RETURNS_EN}",
            f"让利金额：分摊到销售明细行的优惠（促销、优惠券、会员价）。{BEFORE_RETURNS_ZH}",
        ),
        higher_is_better=False,
    ),
    _sales_metric(
        "discount_rate",
        ("折扣率（让利率）", "discount rate"),
        "ratio",
        "ratio",
        _discount_rate,
        (
            f"Discounts over the gross (list-price) amount of the lines sold. {BEFORE_RETURNS_EN}",
            f"优惠金额 ÷ 销售明细原价金额。{BEFORE_RETURNS_ZH}",
        ),
        higher_is_better=False,
    ),
    _sales_metric(
        "coupon_order_share",
        ("用券订单占比", "share of orders with a coupon"),
        "ratio",
        "ratio",
        _per_order("coupon_orders"),
        (
            "Orders that used a coupon (orders.coupon_codes or a line's coupon_code) over "
            f"orders. {BEFORE_RETURNS_EN}",
            "使用优惠券的订单（orders.coupon_codes 或明细 coupon_code）÷ 订单数。"
            f"{BEFORE_RETURNS_ZH}",
        ),
    ),
    _sales_metric(
        "sales_per_m2",
        ("坪效", "sales per m²"),
        "fen_per_m2",
        "ratio",
        _sales_per_m2,
        (
            "Net sales of the stores open in the period (every channel they fulfil) over "
            "their selling area (stores.area_m2), per period, not annualised; stores without "
            f"an area are left out. {NET_OF_RETURNS_EN}",
            "期内营业门店的净销售额（含其履约的各渠道订单）÷ 营业面积（stores.area_m2），按所选"
            f"周期计算、不年化；无面积的门店不计。{NET_OF_RETURNS_ZH}",
        ),
        sources=(*NET_SOURCES, "stores"),
        dimensions=(STORE, REGION),
    ),
)
