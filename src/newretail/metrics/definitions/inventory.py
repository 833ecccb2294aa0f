"""Stock metrics: turnover, days of inventory (周转天数), sell-through (售罄率), out-of-stock
rate (缺货率), shrink (损耗).

Stock is valued at the SKU's current unit cost (products.cost): snapshots carry no cost. The
location of a snapshot is the store (or warehouse) slice; sales count at the store that
fulfilled the order.
"""

from __future__ import annotations

import ibis.expr.types as ir

from newretail.metrics import frames
from newretail.metrics.aggregate import aggregate, net_sales, result, returned, sales, zero
from newretail.metrics.aggregate import with_windows as _with_windows
from newretail.metrics.model import STOCK_DIMENSIONS, Context, Metric, define

_STOCK_SOURCES = ("inventory_snapshots", "products")
_COGS_EN = "Cost of goods sold is net of returns: returned goods go back at their original cost."
_COGS_ZH = "销售成本扣除退货：退回商品按原成本冲回。"


def _average_stock(ctx: Context) -> ir.Table:
    """``ctx.group`` with ``stock_value``: the mean over snapshot days of stock at cost."""
    t = aggregate(
        ctx,
        frames.stock(ctx.con),
        total=lambda t: t.value.sum(),
        days=lambda t: t.business_date.nunique(),
    )
    return t.select(*ctx.group, stock_value=t.total / t.days)


def _stock_and_cogs(ctx: Context) -> ir.Table:
    both = ctx.merge(_average_stock(ctx), net_sales(ctx).select(*ctx.group, "cost"))
    return _with_windows(both, ctx)


def _turnover(ctx: Context) -> ir.Table:
    t = _stock_and_cogs(ctx)
    return result(t, ctx, zero(t.cost), t.stock_value)


def _days_of_inventory(ctx: Context) -> ir.Table:
    t = _stock_and_cogs(ctx)
    return result(t, ctx, t.stock_value * t.n_days, t.cost)


def _sell_through(ctx: Context) -> ir.Table:
    stock = frames.with_dimensions(ctx.con, frames.stock(ctx.con), ctx.by)
    rows = ctx.bucket(stock)
    last = rows.business_date.max().over(group_by=ctx.group)
    rows = rows.mutate(last_day=last)
    rows = rows.filter(rows.business_date == rows.last_day)
    left = rows.group_by(ctx.group).aggregate(on_hand=rows.on_hand.sum())
    sold = sales(ctx, sold=lambda t: t.quantity.sum())
    back = returned(ctx, back=lambda t: t.quantity.sum())
    units = ctx.merge(sold, back)
    units = units.select(*ctx.group, net_units=zero(units.sold) - zero(units.back))
    t = ctx.merge(units, left)
    net_units = zero(t.net_units)
    return result(t, ctx, net_units, net_units + zero(t.on_hand))


def _out_of_stock(ctx: Context) -> ir.Table:
    t = aggregate(
        ctx,
        frames.stock(ctx.con),
        out=lambda t: (t.available <= 0).sum(),
        rows=lambda t: t.count(),
    )
    return result(t, ctx, t.out, t.rows)


def _shrink_amount(ctx: Context) -> ir.Table:
    t = aggregate(
        ctx, frames.shrinkage(ctx.con), cost=lambda t: t.cost.sum(), rows=lambda t: t.count()
    )
    return result(t, ctx, t.cost, t.rows)


def _shrink_rate(ctx: Context) -> ir.Table:
    lost = aggregate(ctx, frames.shrinkage(ctx.con), lost=lambda t: t.cost.sum())
    t = ctx.merge(lost, net_sales(ctx).select(*ctx.group, "net"))
    return result(t, ctx, zero(t.lost), t.net)


INVENTORY_METRICS: tuple[Metric, ...] = (
    define(
        "inventory_turnover",
        ("库存周转率（次）", "inventory turnover"),
        "times",
        "ratio",
        _turnover,
        (
            "Cost of goods sold in the period over the average stock at cost (the mean over "
            f"the period's snapshot days). Per period, not annualised. {_COGS_EN}",
            "期内销售成本 ÷ 平均库存成本（期内各快照日库存成本的平均）。按所选周期计算、不年化。"
            f"{_COGS_ZH}",
        ),
        dimensions=STOCK_DIMENSIONS,
        sources=(*_STOCK_SOURCES, "orders", "order_lines", "returns"),
    ),
    define(
        "days_of_inventory",
        ("库存周转天数", "days of inventory"),
        "days",
        "ratio",
        _days_of_inventory,
        (
            "Days the average stock lasts at the period's pace of sales: average stock at "
            f"cost over the cost of goods sold per day of the period. {_COGS_EN}",
            f"平均库存成本 ÷ 期内日均销售成本：按当期销售速度库存可售天数。{_COGS_ZH}",
        ),
        dimensions=STOCK_DIMENSIONS,
        sources=(*_STOCK_SOURCES, "orders", "order_lines", "returns"),
        higher_is_better=False,
    ),
    define(
        "sell_through",
        ("售罄率", "sell-through"),
        "ratio",
        "ratio",
        _sell_through,
        (
            "Units sold over units sold plus units on hand at the end of the period (the "
            "last snapshot day of the period); units as stocked (kilograms for goods sold by "
            "weight), net of units returned.",
            "期内销量 ÷（期内销量 + 期末库存），期末库存取期内最后一个快照日；数量按库存单位"
            "（称重商品为千克），销量扣除退货数量。",
        ),
        dimensions=STOCK_DIMENSIONS,
        sources=(*_STOCK_SOURCES, "orders", "order_lines", "returns"),
    ),
    define(
        "out_of_stock_rate",
        ("缺货率", "out-of-stock rate"),
        "ratio",
        "ratio",
        _out_of_stock,
        (
            "Share of location × SKU × day snapshot rows with nothing available (on hand "
            "less reserved at most 0). The assortment is what the snapshots list: a source "
            "that omits zero-stock rows understates it. Returns do not apply.",
            "库存快照中“门店 × SKU × 日”可用库存（在库减预占）不大于 0 的行占比。"
            "在售商品以快照所列为准：不导出零库存行的数据源会低估缺货率。与退货无关。",
        ),
        dimensions=STOCK_DIMENSIONS,
        sources=_STOCK_SOURCES,
        higher_is_better=False,
    ),
    define(
        "shrink_amount",
        ("损耗金额", "shrink"),
        "fen",
        "total",
        _shrink_amount,
        (
            "Cost of stock lost: inventory movements of type shrink and write_off at their "
            "cost amount (else at the SKU's current cost). Customer returns are not shrink.",
            "库存损失成本：类型为损耗（shrink）与报废（write_off）的库存流水的成本金额"
            "（缺失时按商品当前成本）。顾客退货不计为损耗。",
        ),
        dimensions=STOCK_DIMENSIONS,
        sources=("inventory_movements", "products"),
        higher_is_better=False,
    ),
    define(
        "shrink_rate",
        ("损耗率", "shrink rate"),
        "ratio",
        "ratio",
        _shrink_rate,
        (
            "Shrink at cost over net sales of the same period and slice. Net of returns: "
            "refunds are subtracted from sales on the business day of the return.",
            "损耗金额（成本）÷ 同期同切片的净销售额。扣除退货：退款在退货营业日从销售中扣减。",
        ),
        dimensions=STOCK_DIMENSIONS,
        sources=("inventory_movements", "products", "orders", "order_lines", "returns"),
        higher_is_better=False,
    ),
)
