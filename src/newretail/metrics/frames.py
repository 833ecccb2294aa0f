"""The fact frames metrics are computed from: canonical tables cleaned and joined once.

Every frame has a ``business_date`` (the local business day its rows count on) and the keys
its dimensions hang off (``channel_id``, ``store_id``, ``sku_id``, ``member_id`` where the
facts have them); :func:`with_dimensions` adds ``region``, the category levels and
``member_tier`` on demand, so a query joins only the dimension tables it is sliced by.

Returns and refunds, everywhere: a sale counts on its order's business day and a return on
the return's own business day. Sales frames hold what was sold (return lines of
``order_lines`` are left out, cancelled orders too); the ``returns`` table is the one record
of what came back, so a source that marks returns only as negative order lines must load them
into ``returns`` as well to have them subtracted.
"""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir

from newretail.core.settings import Settings
from newretail.metrics.model import CATEGORY_LEVELS, MEMBER_TIER, REGION
from newretail.metrics.timezones import local_date, store_zones, with_local_seconds

#: The member tier of an order or return without a member.
GUEST = "guest"


def _not_cancelled(orders: ir.Table) -> ir.BooleanValue:
    return orders.status.isnull() | (orders.status != "cancelled")


def sales_lines(con: Any) -> ir.Table:
    """Lines sold, one row per order line of an order that was not cancelled.

    Columns: ``business_date`` (the order's), ``order_id``, ``sku_id``, ``member_id``,
    ``channel_id``, ``store_id`` (the order's: for online orders the fulfilling store),
    ``quantity`` (as sold: kilograms for goods sold by weight), ``units`` (a line with a
    fractional quantity counts as one item), ``gross_amount``, ``discount_amount``,
    ``net_amount``, ``cost_amount`` (fen, nulls as 0) and ``has_coupon`` (the order or the line
    used a coupon). Return lines (``is_return``) are left out; see the module docstring.
    """
    lines = con.table("order_lines")
    orders = con.table("orders")
    lines = lines.filter(~lines.is_return.fill_null(False))
    orders = orders.filter(_not_cancelled(orders))
    joined = lines.join(orders, lines.order_id == orders.order_id)
    quantity = joined.quantity.cast("float64")
    coupon = joined.coupon_codes.notnull() & (joined.coupon_codes.strip() != "")
    return joined.select(
        business_date=orders.business_date,
        order_id=lines.order_id,
        sku_id=lines.sku_id,
        member_id=orders.member_id,
        channel_id=orders.channel_id,
        store_id=orders.store_id,
        quantity=quantity,
        units=ibis.cases((quantity != quantity.floor(), 1.0), else_=quantity),
        gross_amount=lines.gross_amount.fill_null(0),
        discount_amount=lines.discount_amount.fill_null(0),
        net_amount=lines.net_amount.fill_null(0),
        cost_amount=lines.cost_amount.fill_null(0),
        has_coupon=coupon | lines.coupon_code.notnull(),
    )


def refunds(con: Any) -> ir.Table:
    """Returns, one row per return line, on the return's business day.

    Columns: ``business_date``, ``order_id``, ``sku_id``, ``member_id``, ``channel_id``,
    ``store_id`` (the return's, else the original order's), ``quantity``, ``refund_amount``
    (fen) and ``returned_cost``: the quantity at the unit cost of the original order line
    (the SKU's current cost when the line is unknown). Returns of cancelled orders are left
    out: the sale never counted.
    """
    returns = con.table("returns")
    orders = con.table("orders").select(
        _o_id="order_id",
        _o_status="status",
        _o_channel="channel_id",
        _o_store="store_id",
        _o_member="member_id",
    )
    joined = returns.left_join(orders, returns.order_id == orders._o_id)
    joined = joined.filter(joined._o_status.isnull() | (joined._o_status != "cancelled"))
    costs = _line_unit_costs(con)
    joined = joined.left_join(
        costs, [joined.order_id == costs._c_order, joined.sku_id == costs._c_sku]
    )
    products = con.table("products").select(_p_sku="sku_id", _p_cost="cost")
    joined = joined.left_join(products, joined.sku_id == products._p_sku)
    unit_cost = ibis.coalesce(joined._c_unit_cost, joined._p_cost.cast("float64"), 0.0)
    quantity = joined.quantity.cast("float64")
    return joined.select(
        business_date=joined.business_date,
        order_id=joined.order_id,
        sku_id=joined.sku_id,
        member_id=ibis.coalesce(joined.member_id, joined._o_member),
        channel_id=ibis.coalesce(joined.channel_id, joined._o_channel),
        store_id=ibis.coalesce(joined.store_id, joined._o_store),
        quantity=quantity,
        refund_amount=joined.refund_amount.fill_null(0),
        returned_cost=quantity * unit_cost,
    )


def _line_unit_costs(con: Any) -> ir.Table:
    lines = con.table("order_lines")
    lines = lines.filter(~lines.is_return.fill_null(False) & (lines.quantity > 0))
    grouped = lines.group_by(_c_order=lines.order_id, _c_sku=lines.sku_id)
    return grouped.aggregate(
        _c_unit_cost=lines.cost_amount.sum().cast("float64") / lines.quantity.sum()
    )


def first_purchases(con: Any) -> ir.Table:
    """``member_id`` and ``first_date``: the business day of each member's first order (any
    channel, any store, cancelled orders aside) in everything loaded."""
    orders = con.table("orders")
    orders = orders.filter(_not_cancelled(orders) & orders.member_id.notnull())
    return orders.group_by("member_id").aggregate(first_date=orders.business_date.min())


def sessions(con: Any) -> ir.Table:
    """Online sessions, one row each, on the business day of their first event.

    Columns: ``business_date``, ``session_id``, ``channel_id``, ``member_id`` and the flags
    ``has_view``, ``has_cart``, ``has_checkout``, ``has_pay`` (the session has at least one
    event of that type, in any order).
    """
    events = con.table("events")
    kind = events.event_type
    return events.group_by("session_id").aggregate(
        business_date=events.business_date.min(),
        channel_id=events.channel_id.min(),
        member_id=events.member_id.max(),
        has_view=(kind == "view").any(),
        has_cart=(kind == "add_to_cart").any(),
        has_checkout=(kind == "checkout").any(),
        has_pay=(kind == "pay").any(),
    )


def stock(con: Any) -> ir.Table:
    """Inventory snapshot rows: ``business_date``, ``store_id`` (the location: a store or a
    warehouse), ``sku_id``, ``on_hand``, ``available`` (on hand less reserved) and ``value``
    (on hand at the SKU's current unit cost, fen; snapshots carry no cost of their own)."""
    snaps = con.table("inventory_snapshots")
    products = con.table("products").select(_p_sku="sku_id", _p_cost="cost")
    joined = snaps.left_join(products, snaps.sku_id == products._p_sku)
    on_hand = joined.on_hand.cast("float64")
    return joined.select(
        business_date=joined.business_date,
        store_id=joined.location_id,
        sku_id=joined.sku_id,
        on_hand=on_hand,
        available=on_hand - joined.reserved.cast("float64").fill_null(0.0),
        value=on_hand * joined._p_cost.cast("float64").fill_null(0.0),
    )


def shrinkage(con: Any) -> ir.Table:
    """Stock lost: ``shrink`` and ``write_off`` movements with ``business_date``,
    ``store_id`` (the location), ``sku_id`` and ``cost`` (fen at cost: the movement's cost
    amount, else the quantity at the SKU's current cost)."""
    moves = con.table("inventory_movements")
    moves = moves.filter(moves.movement_type.isin(["shrink", "write_off"]))
    products = con.table("products").select(_p_sku="sku_id", _p_cost="cost")
    joined = moves.left_join(products, moves.sku_id == products._p_sku)
    fallback = joined.quantity.cast("float64").abs() * joined._p_cost.cast("float64")
    return joined.select(
        business_date=joined.business_date,
        store_id=joined.location_id,
        sku_id=joined.sku_id,
        cost=ibis.coalesce(joined.cost_amount.cast("float64").abs(), fallback, 0.0),
    )


def member_joins(con: Any, settings: Settings) -> ir.Table:
    """Members by the local day they joined (``joined_at`` on the clock of their home store,
    else of the chain): ``business_date``, ``member_id``, ``channel_id`` (the channel joined
    through), ``store_id`` (the home store), ``member_tier``. Members without a join time
    are left out."""
    members = con.table("members")
    members = members.filter(members.joined_at.notnull())
    stores = con.table("stores").select(_s_id="store_id", _s_zone="timezone")
    joined = members.left_join(stores, members.home_store_id == stores._s_id)
    zones = store_zones(con, settings.timezone)
    zone = ibis.coalesce(joined._s_zone, ibis.literal(settings.timezone))
    local = with_local_seconds(joined, "joined_at", zone=zone, zones=zones)
    return local.select(
        business_date=local_date(local.local_s),
        member_id=local.member_id,
        channel_id=local.join_channel_id,
        store_id=local.home_store_id,
        member_tier=local.tier,
    )


def feedback(con: Any) -> ir.Table:
    """Feedback rows: ``business_date``, ``channel_id``, ``store_id``, ``member_id``,
    ``rating`` (1–5) and ``nps`` (0–10), either may be null."""
    rows = con.table("feedback")
    return rows.select(
        "business_date",
        "channel_id",
        "store_id",
        "member_id",
        rating=rows.rating.cast("float64"),
        nps=rows.nps,
    )


def tickets(con: Any) -> ir.Table:
    """Service tickets: ``business_date`` (opened), ``ticket_id``, ``store_id``."""
    return con.table("tickets").select("business_date", "ticket_id", "store_id")


def messages(con: Any) -> ir.Table:
    """Marketing messages: ``business_date`` (sent), ``member_id``, ``delivered`` (not
    failed) and ``opened`` (opened or clicked, or an opening time is known)."""
    rows = con.table("messages")
    status = rows.status
    opened = status.isin(["opened", "clicked"]).fill_null(False) | rows.opened_at.notnull()
    return rows.select(
        "business_date",
        "member_id",
        delivered=status.isnull() | (status != "failed"),
        opened=opened,
    )


def payments(con: Any) -> ir.Table:
    """Payments received (refunds left out): ``business_date``, ``channel_id``,
    ``store_id`` (the payment's, else its order's), ``method``, ``amount`` (fen)."""
    pays = con.table("payments")
    pays = pays.filter(~pays.is_refund.fill_null(False))
    orders = con.table("orders").select(
        _o_id="order_id", _o_channel="channel_id", _o_store="store_id"
    )
    joined = pays.left_join(orders, pays.order_id == orders._o_id)
    return joined.select(
        business_date=joined.business_date,
        channel_id=ibis.coalesce(joined.channel_id, joined._o_channel),
        store_id=ibis.coalesce(joined.store_id, joined._o_store),
        method=joined.method,
        amount=joined.amount,
    )


def category_levels(con: Any, levels: tuple[str, ...] = CATEGORY_LEVELS) -> ir.Table:
    """``category_id`` and the columns ``levels`` (some of ``category_l1`` … ``category_l6``):
    the category at each level of the tree above it (itself at its own level), from
    ``categories.parent_id``.

    The tree is climbed as many steps as it is deep (its largest ``level`` less one, read
    first: a one-row query), so a shallow tree costs few joins.
    """
    cats = con.table("categories").select("category_id", "parent_id", "level")
    depth = int(cats.level.max().to_pyarrow().as_py() or 1)
    step = cats.select(
        category_id=cats.category_id,
        ancestor=cats.category_id,
        ancestor_level=cats.level,
        next_id=cats.parent_id,
    )
    parts = [step]
    for _ in range(min(depth, len(CATEGORY_LEVELS)) - 1):
        up = cats.view().select(_u_id="category_id", _u_parent="parent_id", _u_level="level")
        step = step.view()
        step = step.join(up, step.next_id == up._u_id).select(
            category_id=step.category_id,
            ancestor=up._u_id,
            ancestor_level=up._u_level,
            next_id=up._u_parent,
        )
        parts.append(step)
    closure = ibis.union(*parts) if len(parts) > 1 else parts[0]
    return closure.group_by("category_id").aggregate(
        **{
            name: closure.ancestor.max(where=closure.ancestor_level == int(name[-1]))
            for name in levels
        }
    )


def with_dimensions(con: Any, frame: ir.Table, by: tuple[str, ...]) -> ir.Table:
    """``frame`` with the dimension columns of ``by`` it lacks, joined from the dimensions.

    ``region`` comes from the store of ``store_id``; ``category_lN`` from the category of
    ``sku_id``; ``member_tier`` from the member of ``member_id`` (``"guest"`` without one).
    Left joins: a fact whose store, SKU or member is unknown keeps a null slice.
    """
    wanted = [d for d in by if d not in frame.columns]
    frame = frame.view()
    if REGION in wanted:
        stores = con.table("stores").select(_s_id="store_id", region="region")
        frame = frame.left_join(stores, frame.store_id == stores._s_id).drop("_s_id").view()
    levels = [d for d in wanted if d in CATEGORY_LEVELS]
    if levels:
        products = con.table("products").select(_p_sku="sku_id", _p_cat="category_id")
        paths = category_levels(con, tuple(levels))
        frame = frame.left_join(products, frame.sku_id == products._p_sku)
        frame = frame.left_join(paths, frame._p_cat == paths.category_id)
        frame = frame.drop("_p_sku", "_p_cat", "category_id").view()
    if MEMBER_TIER in wanted:
        members = con.table("members").select(_m_id="member_id", _m_tier="tier")
        frame = frame.left_join(members, frame.member_id == members._m_id)
        tier = ibis.cases((frame.member_id.isnull(), GUEST), else_=frame._m_tier)
        frame = frame.mutate(member_tier=tier).drop("_m_id", "_m_tier").view()
    return frame
