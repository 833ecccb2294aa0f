"""Exports of operations: stock snapshots and losses, purchase orders and receipts, app
events, feedback and service tickets."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from newretail.simulate.catalogue import catalogue_data
from newretail.simulate.export_facts import Day, _member_ids, _session_ids
from newretail.simulate.inventory import LOSS_REASONS, Batch, Inventory
from newretail.simulate.layout import Layout, monthly, write_into_months
from newretail.simulate.online import CART, EVENT_TYPES, PAY, SEARCH, START, VIEW
from newretail.simulate.orders import DayOrders
from newretail.simulate.places import CHANNEL_IDS
from newretail.simulate.rng import IntArray
from newretail.simulate.service import feedback_texts, topics
from newretail.simulate.trips import MINI
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

SNAPSHOT_HEADER = [
    "日期",
    "门店编码",
    "商品编码",
    "库存数量",
    "在途数量",
    "快照时间",
]
PO_HEADER = [
    "采购单号",
    "行号",
    "下单时间",
    "供应商编码",
    "收货门店",
    "商品编码",
    "订货数量",
    "进价",
    "预计到货日",
    "状态",
]
RECEIPT_HEADER = [
    "收货单号",
    "行号",
    "采购单号",
    "到货时间",
    "收货门店",
    "商品编码",
    "订货数量",
    "实收数量",
    "拒收数量",
]
LOSS_HEADER = [
    "损耗单号",
    "行号",
    "登记时间",
    "门店编码",
    "商品编码",
    "损耗数量",
    "损耗原因",
    "成本金额",
]
FEEDBACK_HEADER = [
    "反馈编号",
    "提交时间",
    "来源",
    "会员卡号",
    "订单号",
    "门店编码",
    "渠道",
    "评分",
    "推荐值",
    "标签",
    "内容",
]
TICKET_HEADER = [
    "工单号",
    "创建时间",
    "等级",
    "分类",
    "状态",
    "会员卡号",
    "订单号",
    "门店编码",
    "首次响应时间",
    "解决时间",
    "标题",
]
SOURCE_NAMES = ("App评价", "平台评价", "社群", "工单", "问卷", "电话")
TICKET_STATUS = ("待处理", "处理中", "已解决", "已关闭")
STAMP = "%Y-%m-%d %H:%M:%S"


class SnapshotWriter:
    """Daily stock per carried store × SKU; the id columns are built once."""

    def __init__(self, world: World, carried: np.ndarray) -> None:
        self.stores, self.skus = np.nonzero(carried)
        self.store_text = pick(world.stores.ids, self.stores)
        self.sku_text = pick(world.catalogue.products.ids, self.skus)
        self.weighed = world.catalogue.products.weighed[self.skus]

    def write(self, layout: Layout, world: World, day: Day, inv: Inventory) -> None:
        n = self.stores.size
        date = local_time_text(np.full(n, day.number), np.zeros(n, np.int64), "%Y-%m-%d")
        table = pa.table(
            {
                "日期": date,
                "门店编码": self.store_text,
                "商品编码": self.sku_text,
                "库存数量": quantity_text(inv.on_hand[self.stores, self.skus], self.weighed),
                "在途数量": quantity_text(inv.on_order[self.stores, self.skus], self.weighed),
                "快照时间": local_time_text(np.full(n, day.number), np.full(n, 86_399), STAMP),
            }
        )
        relative = monthly("inventory", world.effects.dates[day.index], "csv")
        layout.sink(relative, "chain_inventory", SNAPSHOT_HEADER).append_csv(table)


def write_purchase_orders(layout: Layout, world: World, day: Day, lines: Batch) -> None:
    if not len(lines):
        return
    c = lines.columns
    products, suppliers = world.catalogue.products, world.catalogue.suppliers
    n = c["po"].size
    placed = 20 * 3600 + (c["store"] * 37) % 7200
    table = pa.table(
        {
            "采购单号": codes("PO", c["po"] + 1, 9),
            "行号": pa.array(c["line"]),
            "下单时间": local_time_text(np.full(n, day.number), placed, STAMP),
            "供应商编码": pick(suppliers.ids, c["supplier"]),
            "收货门店": pick(world.stores.ids, c["store"]),
            "商品编码": pick(products.ids, c["sku"]),
            "订货数量": quantity_text(c["quantity"], products.weighed[c["sku"]]),
            "进价": money_text(products.cost[c["sku"]]),
            "预计到货日": local_time_text(
                day.number - day.index + c["expected"], np.zeros(n, np.int64), "%Y-%m-%d"
            ),
            "状态": pa.repeat(pa.scalar("已下单"), n),
        }
    )
    write_into_months(
        layout, "purchase_orders", "chain_purchase_orders", PO_HEADER, table, np.full(n, day.number)
    )


def write_receipts(layout: Layout, world: World, day: Day, batch: Batch) -> None:
    if not len(batch):
        return
    c = batch.columns
    products = world.catalogue.products
    n = c["po"].size
    arrived = 6 * 3600 + (c["po"] * 131) % (3 * 3600)
    weighed = products.weighed[c["sku"]]
    table = pa.table(
        {
            "收货单号": codes("RC", c["po"] + 1, 9),
            "行号": pa.array(c["line"]),
            "采购单号": codes("PO", c["po"] + 1, 9),
            "到货时间": local_time_text(np.full(n, day.number), arrived, STAMP),
            "收货门店": pick(world.stores.ids, c["store"]),
            "商品编码": pick(products.ids, c["sku"]),
            "订货数量": quantity_text(c["ordered"], weighed),
            "实收数量": quantity_text(c["received"], weighed),
            "拒收数量": quantity_text(c["rejected"], weighed),
        }
    )
    write_into_months(
        layout, "receipts", "chain_receipts", RECEIPT_HEADER, table, np.full(n, day.number)
    )


def write_losses(layout: Layout, world: World, day: Day, batch: Batch) -> None:
    """Loss slips (报损单): one per store and day, a line per SKU."""
    if not len(batch):
        return
    c = batch.columns
    order = np.lexsort((c["sku"], c["store"]))
    c = {k: v[order] for k, v in c.items()}
    products = world.catalogue.products
    n = order.size
    first = np.r_[True, c["store"][1:] != c["store"][:-1]]
    line = np.arange(n) - np.maximum.accumulate(np.where(first, np.arange(n), 0)) + 1
    table = pa.table(
        {
            "损耗单号": pc.binary_join_element_wise(
                f"LS{day.text}", pick(world.stores.ids, c["store"]), ""
            ),
            "行号": pa.array(line),
            "登记时间": local_time_text(
                np.full(n, day.number), np.full(n, 22 * 3600 + 1800), STAMP
            ),
            "门店编码": pick(world.stores.ids, c["store"]),
            "商品编码": pick(products.ids, c["sku"]),
            "损耗数量": quantity_text(c["quantity"], products.weighed[c["sku"]]),
            "损耗原因": pick(LOSS_REASONS, c["reason"]),
            "成本金额": money_text(
                np.round(c["quantity"] * products.cost[c["sku"]]).astype(np.int64)
            ),
        }
    )
    write_into_months(
        layout, "stock_losses", "chain_stock_losses", LOSS_HEADER, table, np.full(n, day.number)
    )


def write_events(layout: Layout, world: World, day: Day, events: Batch, orders: DayOrders) -> None:
    """App and mini-program events as JSON Lines (one file per month)."""
    if not len(events):
        return
    c = events.columns
    n = c["session"].size
    step = c["step"]
    seed = world.config.seed
    device = np.where(
        c["member"] >= 0,
        (c["member"] * 7_919 + seed) % 10**10,
        (c["session"] * 104_729 + day.number * 13 + seed) % 10**10,
    )
    fields = [
        JsonField("event_id", codes(f"EV{day.text}", np.arange(1, n + 1), 8)),
        JsonField("event", pick(EVENT_TYPES, step)),
        JsonField(
            "ts", local_time_text(np.full(n, day.number), c["seconds"], "%Y-%m-%dT%H:%M:%S+08:00")
        ),
        JsonField("session_id", _session_ids(day, c["session"])),
        JsonField("platform", pick(("pos", "app", "mini_program"), c["channel"])),
        JsonField("user_id", _member_ids(c["member"])),
        JsonField("device_id", codes("DV", device, 10)),
        JsonField("sku", _optional(world.catalogue.products.ids, c["sku"])),
        JsonField("order_no", _order_numbers(orders, c["order"])),
        JsonField("properties", _properties(c, step), "raw"),
    ]
    relative = monthly("events", world.effects.dates[day.index], "jsonl")
    layout.sink(relative, "chain_events", []).append_lines(jsonl_lines(fields))


def _optional(values: list[str], index: IntArray) -> pa.Array:
    return pick(values, np.where(index >= 0, index, -1))


def _order_numbers(orders: DayOrders, index: IntArray) -> pa.Array:
    text = orders.order_id.take(pa.array(np.maximum(index, 0)))
    return pc.if_else(pa.array(index < 0), pa.nulls(len(text), pa.string()), text)


def _properties(c: dict[str, np.ndarray], step: IntArray) -> pa.Array:
    """Event properties as JSON objects, built per kind of event."""
    n = step.size
    platform = np.where(c["channel"] == MINI, 0, np.where(c["session"] % 3 == 0, 1, 2))
    start = pc.binary_join_element_wise(
        '{"platform":"', pick(("wechat", "android", "ios"), platform), '"}', ""
    )
    leaves = [leaf["zh"] for leaf in catalogue_data()["leaf"]]
    search = pc.binary_join_element_wise('{"keyword":"', pick(leaves, c["keyword"]), '"}', "")
    pay = pc.binary_join_element_wise('{"amount":', money_text(c["amount"]), "}", "")
    view = pick(
        ('{"page":"商品详情"}', '{"page":"商品详情","stock":"out_of_stock"}'),
        c["flag"].astype(np.int64),
    )
    out = pa.repeat(pa.scalar("{}"), n)
    out = pc.if_else(pa.array(step == START), start, out)
    out = pc.if_else(pa.array(step == SEARCH), search, out)
    out = pc.if_else(pa.array(step == VIEW), view, out)
    out = pc.if_else(pa.array(step == CART), pa.repeat(pa.scalar('{"qty":1}'), n), out)
    return pc.if_else(pa.array(step == PAY), pay, out)


def write_feedback(layout: Layout, world: World, day: Day, fb: Batch, orders: DayOrders) -> None:
    if not len(fb):
        return
    c = fb.columns
    n = c["seconds"].size
    t = topics()
    order_text = _feedback_orders(c, orders)
    table = pa.table(
        {
            "反馈编号": codes(f"FB{day.text}", np.arange(1, n + 1), 6),
            "提交时间": _stamp(c["seconds"]),
            "来源": pick(SOURCE_NAMES, c["source"]),
            "会员卡号": _member_ids(c["member"]),
            "订单号": order_text,
            "门店编码": pick(world.stores.ids, c["store"]),
            "渠道": pick(CHANNEL_IDS, c["channel"]),
            "评分": pc.cast(pa.array(c["rating"]), pa.string()),
            "推荐值": pc.if_else(
                pa.array(c["nps"] < 0),
                pa.nulls(n, pa.string()),
                pc.cast(pa.array(c["nps"]), pa.string()),
            ),
            "标签": pick(t.keys, c["topic"]),
            "内容": feedback_texts(
                c["topic"],
                c["template"],
                c["sku"],
                c["store"],
                catalogue=world.catalogue,
                stores=world.stores,
            ),
        }
    )
    write_into_months(
        layout,
        "feedback",
        "chain_feedback",
        FEEDBACK_HEADER,
        table,
        c["seconds"] // 86_400,
        quoting="needed",
    )


def _feedback_orders(c: dict[str, np.ndarray], orders: DayOrders) -> pa.Array:
    from_orders = _order_numbers(orders, c["order"])
    given = pa.array(c["order_text"], pa.string())
    return pc.coalesce(from_orders, given)


def _stamp(seconds: IntArray) -> pa.Array:
    s = np.asarray(seconds, dtype=np.int64)
    text = local_time_text(np.maximum(s, 0) // 86_400, np.maximum(s, 0) % 86_400, STAMP)
    return pc.if_else(pa.array(s < 0), pa.nulls(len(text), pa.string()), text)


def write_tickets(
    layout: Layout, world: World, day: Day, tk: Batch, fb: Batch, orders: DayOrders
) -> None:
    if not len(tk):
        return
    c = tk.columns
    n = c["seconds"].size
    t = topics()
    f = c["feedback"]
    has_fb = f >= 0
    fbc = fb.columns if len(fb) else {}
    pay = np.maximum(c["payment_order"], 0)
    fi = np.maximum(f, 0)
    member = np.where(has_fb, fbc["member"][fi] if fbc else -1, orders.member[pay])
    store = np.where(has_fb, fbc["store"][fi] if fbc else 0, orders.store[pay])
    order_index = np.where(has_fb, fbc["order"][fi] if fbc else -1, pay)
    order_text = _order_numbers(orders, order_index)
    if fbc:
        given = pa.array(np.where(has_fb, fbc["order_text"][fi], None), pa.string())
        order_text = pc.coalesce(order_text, given)
    category = pick(
        [*t.ticket, "支付问题"], np.where(c["category"] >= 0, c["category"], len(t.ticket))
    )
    subject = pick(
        [f"{k}投诉" if k != "好评" else "表扬" for k in t.keys] + ["支付失败"],
        np.where(c["category"] >= 0, c["category"], len(t.keys)),
    )
    table = pa.table(
        {
            "工单号": codes(f"TK{day.text}", np.arange(1, n + 1), 5),
            "创建时间": _stamp(c["seconds"]),
            "等级": pc.cast(pa.array(c["tier"]), pa.string()),
            "分类": category,
            "状态": pick(TICKET_STATUS, c["status"]),
            "会员卡号": _member_ids(member),
            "订单号": order_text,
            "门店编码": pick(world.stores.ids, store),
            "首次响应时间": _stamp(c["first_response"]),
            "解决时间": _stamp(c["resolved"]),
            "标题": subject,
        }
    )
    write_into_months(
        layout,
        "tickets",
        "chain_tickets",
        TICKET_HEADER,
        table,
        c["seconds"] // 86_400,
        quoting="needed",
    )
