"""Orders: trips turned into priced order lines, censored by the stock on the shelf.

Lines are drawn for every trip, then served in the order customers arrive: per store × SKU
the running quantity wanted is compared with the stock available, so a store never sells
more than it has. What could not be served is a lost sale: it stays in the ground truth
(as demand) but never reaches an export; a trip that finds nothing is no order at all.
Served lines are priced (shelf price, promotional price, coupons spread over the lines by
largest remainder so that they add up to the coupon) and each order gets a payment method.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from newretail.simulate.catalogue import Catalogue
from newretail.simulate.demand import ONLINE, WALK_IN, DayChoice, draw_quantities, draw_skus
from newretail.simulate.places import Stores
from newretail.simulate.promotions import DayPromotions, PromotionPlan
from newretail.simulate.rng import BoolArray, FloatArray, IntArray, group_cumsum, group_rank
from newretail.simulate.trips import APP, ELEME, MEITUAN, MINI, POS, Trips
from newretail.simulate.writers import codes

#: coupons: code, threshold (fen), amount off (fen)
COUPONS = (("BDAY10", 0, 1_000), ("C5910", 5_900, 1_000), ("C10015", 10_000, 1_500))
BIRTHDAY, ONLINE_COUPON, STORE_COUPON = range(3)
PAY_METHODS = ("wechat_pay", "alipay", "unionpay", "cash", "card")
PAY_NAMES = ("微信支付", "支付宝", "银联卡", "现金", "储值卡")
_PAY_SHARES = {
    "walk_in": [0.52, 0.33, 0.07, 0.05, 0.03],
    "app": [0.6, 0.4, 0.0, 0.0, 0.0],
    "mini": [1.0, 0.0, 0.0, 0.0, 0.0],
    "platform": [0.55, 0.45, 0.0, 0.0, 0.0],
}
ONLINE_PREFIX = {APP: "AP", MINI: "WX", MEITUAN: "MT", ELEME: "EL"}
FREE_DELIVERY_FEN = 3_900
DELIVERY_FEE_FEN = 500


@dataclass
class DayOrders:
    """The day's orders (sorted by channel, store, time) and their lines (by order, line).

    Money is in fen. ``line_promo`` is the promotion item applied (-1: none).
    ``desired``/``sold`` (stores, SKUs) are units wanted and served; ``lost_lines`` counts
    each order's lines cut by a stock-out; ``lost_trips`` the trips that bought nothing.
    """

    order_id: pa.Array
    store: IntArray
    channel: IntArray
    member: IntArray
    klass: IntArray
    fulfilment: IntArray
    seconds: IntArray
    gross: IntArray
    discount: IntArray
    net: IntArray
    delivery_fee: IntArray
    coupon: IntArray
    method: IntArray
    lost_lines: IntArray
    line_order: IntArray
    line_no: IntArray
    sku: IntArray
    quantity: FloatArray
    unit_price: IntArray
    line_gross: IntArray
    line_discount: IntArray
    line_net: IntArray
    line_cost: IntArray
    line_promo: IntArray
    desired: FloatArray
    sold: FloatArray
    lost_trips: int
    lost_lines_online: tuple[IntArray, IntArray]  # (order, sku) of online lines cut

    @property
    def count(self) -> int:
        return int(self.store.size)


@dataclass(frozen=True)
class OrderContext:
    """What pricing needs besides the trips: the day, the catalogue and promotions, the
    stores and the members' coupon traits."""

    day: int
    date_text: str
    catalogue: Catalogue
    stores: Stores
    plan: PromotionPlan
    promotions: DayPromotions
    coupon_response: FloatArray
    birthday_month: IntArray
    month: int


def build_orders(
    trips: Trips,
    choice: DayChoice,
    on_hand: FloatArray,
    ctx: OrderContext,
    *,
    birthday_used: BoolArray,
    gen: np.random.Generator,
) -> DayOrders:
    """Lines for ``trips``, served from ``on_hand`` (stores, SKUs), priced and paid."""
    products = ctx.catalogue.products
    n_skus = products.count
    trip = np.repeat(np.arange(trips.count), trips.basket)
    store = trips.store[trip]
    group = np.where(trips.channel[trip] == POS, WALK_IN, ONLINE)
    sku = draw_skus(
        choice, channel=group, klass=trips.klass[trip], store=store, uniforms=gen.random(trip.size)
    )
    wanted = draw_quantities(products.weighed[sku], gen)
    cell = store * n_skus + sku
    desired = np.bincount(cell, wanted, on_hand.size).astype(np.float64).reshape(on_hand.shape)
    served = _serve(cell, trips.seconds[trip], trip, wanted, on_hand.ravel())
    sold = np.bincount(cell, served, on_hand.size).astype(np.float64).reshape(on_hand.shape)
    cut = served < wanted - 1e-9
    keep = served > 1e-9
    lost_per_trip = np.bincount(trip, cut, trips.count).astype(np.int64)
    kept_trips = np.unique(trip[keep])
    order_of_trip = np.full(trips.count, -1, dtype=np.int64)
    order = _order_sequence(trips, kept_trips)
    order_of_trip[kept_trips[order]] = np.arange(kept_trips.size)
    chosen = kept_trips[order]
    online_cut = cut & (trips.channel[trip] != POS) & (order_of_trip[trip] >= 0)
    line_rows = np.flatnonzero(keep)
    line_rows = line_rows[np.lexsort((line_rows, order_of_trip[trip[line_rows]]))]
    lines = _price_lines(
        ctx, order_of_trip[trip[line_rows]], sku[line_rows], served[line_rows], store[line_rows]
    )
    orders = _orders(trips, chosen, ctx, lines, gen, birthday_used)
    return DayOrders(
        **orders,
        **lines,
        lost_lines=lost_per_trip[chosen],
        desired=desired,
        sold=sold,
        lost_trips=int(trips.count - kept_trips.size),
        lost_lines_online=(order_of_trip[trip[online_cut]], sku[online_cut]),
    )


def _serve(
    cell: IntArray, seconds: IntArray, trip: IntArray, wanted: FloatArray, stock: FloatArray
) -> FloatArray:
    """Quantity served to each line: first come, first served, within each store × SKU."""
    order = np.lexsort((trip, seconds, cell))
    cum = group_cumsum(wanted[order], cell[order])
    before = cum - wanted[order]
    served_sorted = np.clip(stock[cell[order]] - before, 0.0, wanted[order])
    served = np.empty_like(wanted)
    served[order] = np.round(served_sorted, 3)
    return served


def _order_sequence(trips: Trips, kept: IntArray) -> IntArray:
    """Positions of the kept trips sorted by channel, store and time."""
    return np.lexsort((kept, trips.seconds[kept], trips.store[kept], trips.channel[kept]))


def _price_lines(
    ctx: OrderContext, order: IntArray, sku: IntArray, qty: FloatArray, store: IntArray
) -> dict[str, Any]:
    products = ctx.catalogue.products
    price = products.price[sku]
    item = ctx.promotions.item[store, sku]
    promoted = item >= 0
    promo_price = np.where(
        promoted,
        ctx.plan.promo_price[np.maximum(item, 0)] if ctx.plan.promo_price.size else price,
        price,
    )
    gross = np.round(qty * price).astype(np.int64)
    discount = gross - np.round(qty * promo_price).astype(np.int64)
    return {
        "line_order": order,
        "line_no": group_rank(order) + 1,
        "sku": sku,
        "quantity": qty,
        "unit_price": price,
        "line_gross": gross,
        "line_discount": discount,
        "line_net": gross - discount,
        "line_cost": np.round(qty * products.cost[sku]).astype(np.int64),
        "line_promo": np.where(promoted, item, -1),
    }


def _orders(
    trips: Trips,
    chosen: IntArray,
    ctx: OrderContext,
    lines: dict[str, Any],
    gen: np.random.Generator,
    birthday_used: BoolArray,
) -> dict[str, Any]:
    n = chosen.size
    channel, member = trips.channel[chosen], trips.member[chosen]
    gross = np.bincount(lines["line_order"], lines["line_gross"], n).astype(np.int64)
    after_promo = np.bincount(lines["line_order"], lines["line_net"], n).astype(np.int64)
    coupon = _coupons(ctx, channel, member, after_promo, gen, birthday_used)
    off = np.where(coupon >= 0, np.array([c[2] for c in COUPONS])[np.maximum(coupon, 0)], 0)
    off = np.minimum(off, after_promo)
    share = allocate(off, lines["line_order"], lines["line_net"])
    lines["line_discount"] = lines["line_discount"] + share
    lines["line_net"] = lines["line_net"] - share
    net = after_promo - off
    delivery = (trips.fulfilment[chosen] == 1) & (net < FREE_DELIVERY_FEN)
    return {
        "order_id": _order_ids(ctx, channel, trips.store[chosen], trips.seconds[chosen]),
        "store": trips.store[chosen],
        "channel": channel,
        "member": member,
        "klass": trips.klass[chosen],
        "fulfilment": trips.fulfilment[chosen],
        "seconds": trips.seconds[chosen],
        "gross": gross,
        "discount": gross - net,
        "net": net,
        "delivery_fee": np.where(delivery, DELIVERY_FEE_FEN, 0).astype(np.int64),
        "coupon": coupon,
        "method": _methods(channel, gen),
    }


def _coupons(
    ctx: OrderContext,
    channel: IntArray,
    member: IntArray,
    amount: IntArray,
    gen: np.random.Generator,
    birthday_used: BoolArray,
) -> IntArray:
    """Coupon redeemed per order: a member's birthday coupon in their birthday month (once a
    year), else a spend-threshold coupon, each by the member's coupon response."""
    is_member = member >= 0
    who = np.maximum(member, 0)
    response = np.where(is_member, ctx.coupon_response[who], 0.0)
    u = gen.random(member.size)
    birthday = is_member & (ctx.birthday_month[who] == ctx.month) & ~birthday_used[who]
    birthday &= (u < response * 0.6) & (amount >= COUPONS[BIRTHDAY][2])
    # one birthday coupon per member even if they order twice today
    first = np.zeros(member.size, dtype=bool)
    first[np.unique(member, return_index=True)[1]] = True
    birthday &= first
    birthday_used[member[birthday]] = True
    online = channel != POS
    threshold = np.where(online, COUPONS[ONLINE_COUPON][1], COUPONS[STORE_COUPON][1])
    other = is_member & ~birthday & (amount >= threshold)
    other &= gen.random(member.size) < response * np.where(online, 0.5, 0.3)
    out = np.where(
        birthday, BIRTHDAY, np.where(other, np.where(online, ONLINE_COUPON, STORE_COUPON), -1)
    )
    return out.astype(np.int64)


def allocate(total: IntArray, order: IntArray, weight: IntArray) -> IntArray:
    """Split each order's ``total`` (fen) over its lines in proportion to ``weight`` by
    largest remainder: the lines' shares add up to the order's total exactly."""
    weights = np.bincount(order, weight, total.size).astype(np.int64)
    line_total = total[order]
    safe = np.maximum(weights[order], 1)
    numerator = line_total * weight
    base = numerator // safe
    remainder = numerator % safe
    short = total - np.bincount(order, base, total.size).astype(np.int64)
    rank_order = np.lexsort((np.arange(order.size), -remainder, order))
    rank = np.empty(order.size, dtype=np.int64)
    rank[rank_order] = group_rank(order[rank_order])
    return np.asarray(base + (rank < short[order]), dtype=np.int64)


def _methods(channel: IntArray, gen: np.random.Generator) -> IntArray:
    kind = np.where(channel == POS, 0, np.where(channel == APP, 1, np.where(channel == MINI, 2, 3)))
    shares = np.cumsum(
        np.array([_PAY_SHARES[k] for k in ("walk_in", "app", "mini", "platform")]), axis=1
    )
    u = gen.random(channel.size)
    picked = np.minimum((u[:, None] >= shares[kind]).sum(axis=1), len(PAY_METHODS) - 1)
    return np.asarray(picked, dtype=np.int64)


def _order_ids(
    ctx: OrderContext, channel: IntArray, store: IntArray, seconds: IntArray
) -> pa.Array:
    """POS: store + date + 5-digit sequence per store; online: channel prefix + date +
    7-digit sequence per channel; both counting in time order."""
    pos = channel == POS
    key = np.where(pos, store, -1 - channel)
    by_time = np.lexsort((np.arange(key.size), seconds, key))
    seq = np.empty(key.size, dtype=np.int64)
    seq[by_time] = group_rank(key[by_time]) + 1
    store_ids = pa.array(ctx.stores.ids).take(pa.array(store))
    prefix = pa.array([ONLINE_PREFIX.get(c, "") for c in range(5)]).take(pa.array(channel))
    head = pc.if_else(pa.array(pos), store_ids, prefix)
    tail = pc.if_else(pa.array(pos), codes("", seq, 5), codes("", seq, 7))
    return pc.binary_join_element_wise(head, ctx.date_text, tail, "")
