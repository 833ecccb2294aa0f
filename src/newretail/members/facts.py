"""What the members analytics read from the lake: members' purchases, their lines, the
member base, and each category's top-level ancestor — as Ibis expressions.

A *purchase* is an order with a member id whose status is completed or partially refunded
(or unknown: sources that send no status send only what was paid). Cancelled, pending and
fully refunded orders are not purchases. Ids are read through the identity resolution, so a
merged member's orders count once, under the canonical id; ``source_member_id`` keeps the id
each row was written with. Guest orders (no member id) never appear.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc
from ibis.backends import BaseBackend

from newretail.core.settings import get_settings
from newretail.members.identity import Resolution

PURCHASE_STATUSES = ("completed", "partially_refunded")
#: the deepest category tree the schema allows
MAX_CATEGORY_LEVELS = 6


def _is_purchase(orders: ir.Table) -> ir.BooleanValue:
    return orders.status.isnull() | orders.status.isin(PURCHASE_STATUSES)


def _within(table: ir.Table, start: date | None, end: date | None) -> ir.Table:
    if start is not None:
        table = table.filter(table.business_date >= start)
    if end is not None:
        table = table.filter(table.business_date <= end)
    return table


def _rekey(table: ir.Table, resolution: Resolution | None) -> ir.Table:
    if resolution is None:
        return table.mutate(source_member_id=table.member_id)
    return resolution.rekey(table)


def purchases(
    con: BaseBackend,
    *,
    resolution: Resolution | None = None,
    start: date | None = None,
    end: date | None = None,
) -> ir.Table:
    """Members' purchases between ``start`` and ``end`` (business days, inclusive).

    Columns: ``member_id`` (canonical), ``source_member_id``, ``order_id``,
    ``business_date``, ``channel_id``, ``store_id``, ``gross_amount``, ``discount_amount``,
    ``net_amount`` (fen; null where the source gives no amount), ``coupon_codes``.
    """
    o = con.table("orders")
    o = _within(o.filter(o.member_id.notnull() & _is_purchase(o)), start, end)
    o = o.select(
        "member_id",
        "order_id",
        "business_date",
        "channel_id",
        "store_id",
        "coupon_codes",
        "gross_amount",
        "discount_amount",
        "net_amount",
    )
    return _rekey(o, resolution)


def purchase_lines(
    con: BaseBackend,
    *,
    resolution: Resolution | None = None,
    start: date | None = None,
    end: date | None = None,
) -> ir.Table:
    """The goods members bought: lines of their purchases, without returns and free gifts.

    Columns: ``member_id`` (canonical), ``source_member_id``, ``order_id``,
    ``business_date``, ``sku_id``, ``channel_id``, ``quantity``, ``gross_amount`` (fen;
    net + discount when the source gives no gross), ``discount_amount``, ``net_amount``,
    ``promotion_id``, ``coupon_code``, ``promoted`` (a promotion, a coupon or a discount
    applied to the line).
    """
    lines = con.table("order_lines")
    lines = lines.filter(
        lines.member_id.notnull()
        & ~lines.is_return.fill_null(False)
        & ~lines.is_gift.fill_null(False)
    )
    lines = _within(lines, start, end)
    orders = _within(con.table("orders"), start, end)
    not_bought = orders.filter(~_is_purchase(orders)).select("order_id")
    lines = lines.anti_join(not_bought, "order_id")
    net = lines.net_amount.fill_null(0)
    discount = lines.discount_amount.fill_null(0)
    promoted = lines.promotion_id.notnull() | lines.coupon_code.notnull() | (discount > 0)
    lines = lines.select(
        "member_id",
        "order_id",
        "business_date",
        "sku_id",
        "channel_id",
        "promotion_id",
        "coupon_code",
        quantity=lines.quantity.fill_null(0.0),
        gross_amount=lines.gross_amount.fill_null(net + discount),
        discount_amount=discount,
        net_amount=net,
        promoted=promoted,
    )
    return _rekey(lines, resolution)


def member_base(
    con: BaseBackend, *, resolution: Resolution | None = None, timezone: str | None = None
) -> ir.Table:
    """Every member once under the canonical id: ``member_id``, ``joined_on`` (the local day
    the earliest of the merged records joined) and ``records`` (how many were merged).

    ``timezone`` (default: the configured one) turns the UTC join time into a local day by
    the zone's current offset, exact for zones without daylight saving (all of China).
    """
    zone = ZoneInfo(timezone or get_settings().timezone)
    offset = zone.utcoffset(datetime.now(UTC).replace(tzinfo=None)) or timedelta(0)
    m = con.table("members")
    m = m.select("member_id", joined_on=(m.joined_at + offset).date())
    m = _rekey(m, resolution)
    return m.group_by("member_id").agg(
        joined_on=m.joined_on.min(), records=m.source_member_id.nunique()
    )


def category_roots(con: BaseBackend) -> ir.Table:
    """Each category with its top-level ancestor: ``category_id``, ``root_id``.

    The category tree is a small dimension: it is read once and climbed level by level
    (at most the schema's six) with vectorised lookups; a category whose parent is unknown
    is its own root.
    """
    cats = con.table("categories").select("category_id", "parent_id").to_pyarrow()
    ids = cats.column("category_id").combine_chunks()
    parents = cats.column("parent_id").combine_chunks()
    root, up = ids, parents
    for _ in range(MAX_CATEGORY_LEVELS - 1):
        found = pc.index_in(up, value_set=ids)
        known = pc.is_valid(found)
        root = pc.if_else(known, pc.take(ids, found), root)
        up = pc.if_else(known, pc.take(parents, found), pa.nulls(len(ids), pa.string()))
    return ibis.memtable(pa.table({"category_id": ids, "root_id": root}))
