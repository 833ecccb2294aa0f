"""Exports of sales: per-store POS files, the e-commerce order export, after-sales refunds.

POS files hold one row per line, with the order's totals and payment repeated on each line
and refunds as rows of type 退货 with negative quantities and amounts; one file per store and
month, some stores' tills writing GB18030 with slashed dates. The e-commerce back end
exports JSON Lines, one object per order line. Dirt is applied on the way out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from newretail.simulate.dirt import Dirt, DirtColumns
from newretail.simulate.inventory import Batch
from newretail.simulate.layout import Layout, monthly, write_into_months
from newretail.simulate.online import RETURN_REASONS, Fulfilment, session_numbers
from newretail.simulate.orders import COUPONS, PAY_METHODS, PAY_NAMES, DayOrders
from newretail.simulate.places import CHANNEL_IDS, CHANNELS
from newretail.simulate.promotions import PromotionPlan
from newretail.simulate.rng import IntArray, group_rank
from newretail.simulate.trips import POS
from newretail.simulate.world import World
from newretail.simulate.writers import (
    JsonField,
    codes,
    jsonl_lines,
    local_time_text,
    money_text,
    pick,
    quantity_text,
)

POS_HEADER = [
    "门店编码",
    "门店名称",
    "营业日期",
    "单号",
    "行号",
    "交易时间",
    "收银台",
    "收银员",
    "会员卡号",
    "商品编码",
    "商品条码",
    "商品名称",
    "数量",
    "单位",
    "单价",
    "应收金额",
    "优惠金额",
    "实收金额",
    "成本金额",
    "促销编号",
    "优惠券",
    "整单应收",
    "整单优惠",
    "整单实收",
    "支付方式",
    "类型",
    "原单号",
    "退货原因",
]
POS_DIRT = DirtColumns(
    stamps=("交易时间",),
    dates=("营业日期",),
    sku="商品编码",
    quantity="数量",
    amounts=("应收金额", "实收金额"),
    key=("单号", "行号"),
)
ONLINE_DIRT = DirtColumns(
    stamps=("created_at", "paid_at"),
    dates=("order_date",),
    sku="sku_code",
    quantity="qty",
    amounts=("amount", "paid"),
    key=("order_no", "line_no"),
)
AFTER_SALES_HEADER = [
    "售后单号",
    "行号",
    "申请时间",
    "订单号",
    "渠道",
    "门店编码",
    "会员卡号",
    "商品编码",
    "退货数量",
    "退款金额",
    "退款原因",
    "状态",
]
PLATFORM_NAMES = {
    "pos": "pos",
    "app": "app",
    "mini": "mini_program",
    "meituan": "meituan",
    "eleme": "eleme",
}
FULFILMENT_NAMES = ("in_store", "delivery", "self_pickup", "presale")
TILLS = {"flagship": 8, "community": 4, "convenience": 2, "forward_warehouse": 1}


@dataclass(frozen=True)
class Day:
    """The day being written: its number, local day number and date text."""

    index: int
    number: int
    text: str


def write_pos(
    layout: Layout,
    dirt: Dirt,
    world: World,
    day: Day,
    orders: DayOrders,
    refunds: Batch,
    gen: np.random.Generator,
) -> None:
    """Append the day's walk-in sales and till refunds to each store's monthly POS file."""
    table, store = _pos_rows(world, day, orders, plan=world.plan)
    refund_table, refund_store = _refund_rows(world, day, refunds, gen)
    table = pa.concat_tables([table, refund_table])
    store = np.r_[store, refund_store]
    order = np.argsort(store, kind="stable")
    table = table.take(pa.array(order))
    sale = np.asarray(pc.equal(table.column("类型"), "销售").to_numpy(zero_copy_only=False))
    table, positions, kinds, source = dirt.spoil(table, eligible=sale, columns=POS_DIRT, gen=gen)
    store = store[order][source]
    bounds = np.searchsorted(store, np.arange(world.stores.count + 1))
    ids = table.column("单号").combine_chunks()
    month_day = world.effects.dates[day.index]
    for s in range(world.stores.count):  # one file per store
        first_row, end_row = int(bounds[s]), int(bounds[s + 1])
        if first_row == end_row:
            continue
        relative = monthly(f"pos/{world.stores.ids[s]}", month_day, "csv")
        sink = layout.sink(relative, "chain_pos", POS_HEADER, encoding=world.stores.encodings[s])
        first = sink.append_csv(table.slice(first_row, end_row - first_row))
        mine = (positions >= first_row) & (positions < end_row)
        dirt.record(relative, first - first_row, positions[mine], kinds[mine], ids)


def _formats(world: World, store: IntArray) -> tuple[pa.Array, str, str, str, str]:
    slash = pa.array(np.array([e == "gb18030" for e in world.stores.encodings])[store])
    return slash, "%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d", "%Y-%m-%d"


def _stamp(
    world: World, store: IntArray, days: IntArray, seconds: IntArray
) -> tuple[pa.Array, pa.Array]:
    slash, s_long, d_long, s_short, d_short = _formats(world, store)
    stamp = pc.if_else(
        slash, local_time_text(days, seconds, s_long), local_time_text(days, seconds, d_long)
    )
    date = pc.if_else(
        slash, local_time_text(days, seconds, s_short), local_time_text(days, seconds, d_short)
    )
    return stamp, date


def _pos_rows(
    world: World, day: Day, orders: DayOrders, *, plan: PromotionPlan
) -> tuple[pa.Table, IntArray]:
    products = world.catalogue.products
    lines = np.flatnonzero(orders.channel[orders.line_order] == POS)
    o = orders.line_order[lines]
    store = orders.store[o]
    sku = orders.sku[lines]
    n = lines.size
    stamp, date = _stamp(world, store, np.full(n, day.number), orders.seconds[o])
    tills = np.array([TILLS[t] for t in world.stores.types])[store]
    till = 1 + (orders.seconds[o] // 7 + o) % tills
    promo = orders.line_promo[lines]
    table = _text_table(
        {
            "门店编码": pick(world.stores.ids, store),
            "门店名称": pick(world.stores.names, store),
            "营业日期": date,
            "单号": orders.order_id.take(pa.array(o)),
            "行号": pa.array(orders.line_no[lines]),
            "交易时间": stamp,
            "收银台": codes("", till, 2),
            "收银员": codes("E", store * 100 + till, 5),
            "会员卡号": _member_ids(orders.member[o]),
            "商品编码": pick(products.ids, sku),
            "商品条码": pick(products.barcodes, sku),
            "商品名称": pick(products.names, sku),
            "数量": quantity_text(orders.quantity[lines], products.weighed[sku]),
            "单位": pick(products.units, sku),
            "单价": money_text(orders.unit_price[lines]),
            "应收金额": money_text(orders.line_gross[lines]),
            "优惠金额": money_text(orders.line_discount[lines]),
            "实收金额": money_text(orders.line_net[lines]),
            "成本金额": money_text(orders.line_cost[lines]),
            "促销编号": pick(
                plan.ids,
                np.where(
                    promo >= 0,
                    plan.item_promo[np.maximum(promo, 0)] if plan.item_promo.size else -1,
                    -1,
                ),
            ),
            "优惠券": pick([c[0] for c in COUPONS], orders.coupon[o]),
            "整单应收": money_text(orders.gross[o]),
            "整单优惠": money_text(orders.discount[o]),
            "整单实收": money_text(orders.net[o]),
            "支付方式": pick(PAY_NAMES, orders.method[o]),
            "类型": pa.repeat(pa.scalar("销售"), n),
            "原单号": pa.nulls(n, pa.string()),
            "退货原因": pa.nulls(n, pa.string()),
        }
    )
    return table, store


def _text_table(columns: dict[str, pa.Array]) -> pa.Table:
    """Every column as text, as an export file holds it."""
    return pa.table({k: pc.cast(v, pa.string()) for k, v in columns.items()})


def _member_ids(member: IntArray) -> pa.Array:
    text = codes("M", np.maximum(member, 0), 8)
    return pc.if_else(pa.array(member < 0), pa.nulls(len(text), pa.string()), text)


def _refund_rows(
    world: World, day: Day, refunds: Batch, gen: np.random.Generator
) -> tuple[pa.Table, IntArray]:
    """Refunds at the till: one refund slip per original order, negative rows."""
    if not len(refunds):
        return pa.table({h: pa.array([], pa.string()) for h in POS_HEADER}), np.zeros(0, np.int64)
    c = refunds.columns
    products = world.catalogue.products
    order = np.lexsort((c["sku"], c["order"].astype(str), c["store"]))
    c = {k: v[order] for k, v in c.items()}
    original = c["order"].astype(str)
    slip = np.r_[0, np.cumsum(original[1:] != original[:-1])]
    line = group_rank(slip) + 1
    first = np.flatnonzero(line == 1)
    seq = group_rank(c["store"][first]) + 1
    store = c["store"]
    slip_ids = pc.binary_join_element_wise(
        pick(world.stores.ids, store[first]), day.text, codes("R", seq, 4), ""
    )
    ids = slip_ids.take(pa.array(slip))
    seconds = gen.integers(10 * 3600, 20 * 3600, first.size)[slip]
    stamp, date = _stamp(world, store, np.full(store.size, day.number), seconds)
    total = np.bincount(slip, c["refund"]).astype(np.int64)[slip]
    sku = c["sku"]
    neg = -c["quantity"]
    n = store.size
    none = pa.nulls(n, pa.string())
    table = _text_table(
        {
            "门店编码": pick(world.stores.ids, store),
            "门店名称": pick(world.stores.names, store),
            "营业日期": date,
            "单号": ids,
            "行号": pa.array(line),
            "交易时间": stamp,
            "收银台": codes("", np.ones(n, np.int64), 2),
            "收银员": codes("E", store * 100 + 1, 5),
            "会员卡号": _member_ids(c["member"]),
            "商品编码": pick(products.ids, sku),
            "商品条码": pick(products.barcodes, sku),
            "商品名称": pick(products.names, sku),
            "数量": quantity_text(neg, products.weighed[sku]),
            "单位": pick(products.units, sku),
            "单价": money_text(products.price[sku]),
            "应收金额": money_text(-c["refund"]),
            "优惠金额": money_text(np.zeros(n, np.int64)),
            "实收金额": money_text(-c["refund"]),
            "成本金额": money_text(-np.round(c["quantity"] * products.cost[sku]).astype(np.int64)),
            "促销编号": none,
            "优惠券": none,
            "整单应收": money_text(-total),
            "整单优惠": money_text(np.zeros(n, np.int64)),
            "整单实收": money_text(-total),
            "支付方式": pick(PAY_NAMES, np.zeros(n, np.int64)),
            "类型": pa.repeat(pa.scalar("退货"), n),
            "原单号": pa.array(original),
            "退货原因": pick(RETURN_REASONS, c["reason"]),
        }
    )
    return table, store


def write_online(
    layout: Layout,
    dirt: Dirt,
    world: World,
    day: Day,
    orders: DayOrders,
    fulfilment: Fulfilment,
    gen: np.random.Generator,
) -> None:
    """Append the day's online order lines (JSON Lines) to the month's export."""
    lines = np.flatnonzero(orders.channel[orders.line_order] != POS)
    if not lines.size:
        return
    table = _online_rows(world, day, orders, fulfilment, lines)
    eligible = np.ones(table.num_rows, dtype=bool)
    table, positions, kinds, _ = dirt.spoil(table, eligible=eligible, columns=ONLINE_DIRT, gen=gen)
    raw = {
        "line_no",
        "qty",
        "price",
        "discount",
        "paid",
        "amount",
        "order_amount",
        "order_discount",
        "order_paid",
        "delivery_fee",
        "receiver_lat",
        "receiver_lng",
    }
    fields = [
        JsonField(name, table.column(name).combine_chunks(), "raw" if name in raw else "str")
        for name in table.column_names
    ]
    relative = monthly("online_orders", world.effects.dates[day.index], "jsonl")
    sink = layout.sink(relative, "chain_online_orders", [])
    first = sink.append_lines(jsonl_lines(fields))
    dirt.record(relative, first, positions, kinds, table.column("order_no").combine_chunks())


def _online_rows(
    world: World, day: Day, orders: DayOrders, fulfilment: Fulfilment, lines: IntArray
) -> pa.Table:
    products = world.catalogue.products
    o = orders.line_order[lines]
    sku = orders.sku[lines]
    n = lines.size
    iso = "%Y-%m-%dT%H:%M:%S+08:00"
    created = local_time_text(np.full(n, day.number), orders.seconds[o], iso)
    platform = [PLATFORM_NAMES[c.channel_id] for c in CHANNELS]
    promised, delivered = fulfilment.promised[o], fulfilment.delivered[o]
    session = session_numbers(orders)[o]
    plan = world.plan
    promo = orders.line_promo[lines]
    return pa.table(
        {
            "order_no": orders.order_id.take(pa.array(o)),
            "platform": pick(platform, orders.channel[o]),
            "shop_code": pick(world.stores.ids, orders.store[o]),
            "user_id": _member_ids(orders.member[o]),
            "order_date": local_time_text(np.full(n, day.number), orders.seconds[o], "%Y-%m-%d"),
            "created_at": created,
            "paid_at": created,
            "fulfillment": pick(FULFILMENT_NAMES, orders.fulfilment[o]),
            "status": pa.repeat(pa.scalar("completed"), n),
            "line_no": pa.array(orders.line_no[lines]),
            "sku_code": pick(products.ids, sku),
            "sku_name": pick(products.names, sku),
            "qty": quantity_text(orders.quantity[lines], products.weighed[sku]),
            "price": money_text(orders.unit_price[lines]),
            "amount": money_text(orders.line_gross[lines]),
            "discount": money_text(orders.line_discount[lines]),
            "paid": money_text(orders.line_net[lines]),
            "promotion_id": pick(
                plan.ids,
                np.where(
                    promo >= 0,
                    plan.item_promo[np.maximum(promo, 0)] if plan.item_promo.size else -1,
                    -1,
                ),
            ),
            "coupon_code": pick([c[0] for c in COUPONS], orders.coupon[o]),
            "order_amount": money_text(orders.gross[o]),
            "order_discount": money_text(orders.discount[o]),
            "order_paid": money_text(orders.net[o]),
            "delivery_fee": money_text(orders.delivery_fee[o]),
            "pay_method": pick(PAY_METHODS, orders.method[o]),
            "session_id": _session_ids(day, session),
            "receiver_lat": _coordinate(fulfilment.lat[o]),
            "receiver_lng": _coordinate(fulfilment.lon[o]),
            "promise_time": _stamps(promised, iso),
            "finish_time": _stamps(delivered, iso),
        }
    )


def _session_ids(day: Day, session: IntArray) -> pa.Array:
    text = codes(f"SE{day.text}", np.maximum(session, 0), 7)
    return pc.if_else(pa.array(session < 0), pa.nulls(len(text), pa.string()), text)


def _coordinate(values: np.ndarray) -> pa.Array:
    text = pc.cast(pa.array(np.nan_to_num(np.round(values, 6))), pa.string())
    return pc.if_else(pa.array(np.isnan(values)), pa.nulls(len(text), pa.string()), text)


def _stamps(seconds: IntArray, fmt: str) -> pa.Array:
    text = local_time_text(np.maximum(seconds, 0) // 86_400, np.maximum(seconds, 0) % 86_400, fmt)
    return pc.if_else(pa.array(seconds < 0), pa.nulls(len(text), pa.string()), text)


def write_after_sales(
    layout: Layout, world: World, day: Day, returns: Batch, gen: np.random.Generator
) -> None:
    """Online refunds approved today: one after-sales slip per original order."""
    if not len(returns):
        return
    c = returns.columns
    order = np.lexsort((c["sku"], c["order"].astype(str)))
    c = {k: v[order] for k, v in c.items()}
    original = c["order"].astype(str)
    slip = np.r_[0, np.cumsum(original[1:] != original[:-1])]
    line = group_rank(slip) + 1
    n = slip.size
    seconds = gen.integers(8 * 3600, 23 * 3600, int(slip.max()) + 1)[slip]
    products = world.catalogue.products
    table = pa.table(
        {
            "售后单号": codes(f"AS{day.text}", slip + 1, 6),
            "行号": pa.array(line),
            "申请时间": local_time_text(np.full(n, day.number), seconds, "%Y-%m-%d %H:%M:%S"),
            "订单号": pa.array(original),
            "渠道": pick(CHANNEL_IDS, c["channel"]),
            "门店编码": pick(world.stores.ids, c["store"]),
            "会员卡号": _member_ids(c["member"]),
            "商品编码": pick(products.ids, c["sku"]),
            "退货数量": quantity_text(c["quantity"], products.weighed[c["sku"]]),
            "退款金额": money_text(c["refund"]),
            "退款原因": pick(RETURN_REASONS, c["reason"]),
            "状态": pa.repeat(pa.scalar("退款成功"), n),
        }
    )
    write_into_months(
        layout,
        "after_sales",
        "chain_after_sales",
        AFTER_SALES_HEADER,
        table,
        np.full(n, day.number),
    )
