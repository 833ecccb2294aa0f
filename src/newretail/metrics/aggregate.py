"""Building blocks of metric definitions: aggregate a frame by series, period and slices.

Every function returns an Ibis table with the columns of ``ctx.group`` and the measures asked
for; definitions combine them into ``numerator`` and ``denominator``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import ibis
import ibis.expr.types as ir

from newretail.metrics import frames
from newretail.metrics.model import STORE, Context

Measure = Callable[[ir.Table], ir.Value]


def aggregate(ctx: Context, frame: ir.Table, **measures: Measure) -> ir.Table:
    """``frame`` (with its dimensions added) grouped by ``ctx.group``, one column per measure."""
    rows = ctx.bucket(frames.with_dimensions(ctx.con, frame, ctx.by))
    return rows.group_by(ctx.group).aggregate(**{n: m(rows) for n, m in measures.items()})


def result(table: ir.Table, ctx: Context, numerator: ir.Value, denominator: ir.Value) -> ir.Table:
    """The builder's answer: ``ctx.group``, ``numerator`` and ``denominator`` as floats."""
    return table.select(
        *ctx.group,
        numerator=numerator.cast("float64"),
        denominator=denominator.cast("float64"),
    )


def zero(value: ir.Value) -> ir.Value:
    """``value`` with null as 0 (a side of an outer join that had no rows)."""
    return ibis.coalesce(value, 0)


def sales(ctx: Context, **measures: Measure) -> ir.Table:
    """Measures over :func:`frames.sales_lines`."""
    return aggregate(ctx, frames.sales_lines(ctx.con), **measures)


def returned(ctx: Context, **measures: Measure) -> ir.Table:
    """Measures over :func:`frames.refunds`."""
    return aggregate(ctx, frames.refunds(ctx.con), **measures)


def net_sales(ctx: Context) -> ir.Table:
    """``ctx.group`` with ``sold`` (fen, before returns), ``refunded`` (fen), ``net``
    (sold less refunded), ``cost`` (cost of goods sold net of goods returned) and ``rows``
    (sold lines plus return lines behind them)."""
    sold = sales(
        ctx,
        sold=lambda t: t.net_amount.sum(),
        sold_cost=lambda t: t.cost_amount.sum(),
        sold_rows=lambda t: t.count(),
    )
    back = returned(
        ctx,
        refunded=lambda t: t.refund_amount.sum(),
        back_cost=lambda t: t.returned_cost.sum(),
        back_rows=lambda t: t.count(),
    )
    both = ctx.merge(sold, back)
    return both.select(
        *ctx.group,
        sold=zero(both.sold),
        refunded=zero(both.refunded),
        net=zero(both.sold) - zero(both.refunded),
        cost=zero(both.sold_cost).cast("float64") - zero(both.back_cost),
        rows=zero(both.sold_rows) + zero(both.back_rows),
    )


def with_windows(table: ir.Table, ctx: Context) -> ir.Table:
    """``table`` (grouped by ``ctx.group``) with ``n_days``, ``window_start``, ``window_end``
    of its series and period."""
    windows = ctx.windows().rename(_w_series="series", _w_period="period")
    table = table.view()
    joined = table.join(
        windows, [table.series == windows._w_series, table.period == windows._w_period]
    )
    return joined.drop("_w_series", "_w_period").view()


def by_store(ctx: Context) -> Context:
    """``ctx`` sliced by store only (stores are then grouped into the slices asked for)."""
    return replace(ctx, by=(STORE,))
