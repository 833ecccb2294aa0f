"""Exports of the chain's master data: channels, stores, categories, suppliers, products,
promotions, weather, and the CRM's member workbook.

Headers are Chinese, as the chain's back office writes them; the built-in mappings
(``chain_*.toml``) turn them into the canonical tables.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from newretail.simulate.catalogue import Catalogue, catalogue_data
from newretail.simulate.config import SimulationConfig
from newretail.simulate.layout import Layout
from newretail.simulate.people import Members
from newretail.simulate.places import CHANNELS, TYPE_NAMES, Stores, city_data
from newretail.simulate.promotions import ALL_STORES, PromotionPlan
from newretail.simulate.rng import BoolArray, IntArray
from newretail.simulate.seasons import DayEffects
from newretail.simulate.writers import codes, day_number, money_text, pick
from newretail.simulate.xlsx import XlsxColumn, write_xlsx

YES_NO = ("否", "是")
TIER_NAMES = ("经济", "标准", "高端")
MEMBER_TIERS = ("普通会员", "银卡会员", "金卡会员", "钻石会员")
GENDER_NAMES = ("女", "男", "未知")
JOIN_NAMES = ("门店", "App", "小程序", "美团", "饿了么")
MECHANIC_NAMES = {"discount": "折扣", "special_price": "特价"}
MEMBERS_SHEET = "会员资料"


def _csv(layout: Layout, relative: str, source: str, columns: dict[str, pa.Array]) -> None:
    table = pa.table({k: pc.cast(v, pa.string()) for k, v in columns.items()})
    # master data carries free text (English names with commas): quote it
    layout.sink(relative, source, list(columns), quoting="needed").append_csv(table)


def write_channels(layout: Layout) -> None:
    _csv(
        layout,
        "channels.csv",
        "chain_channels",
        {
            "渠道编码": pa.array([c.channel_id for c in CHANNELS]),
            "渠道名称": pa.array([c.name for c in CHANNELS]),
            "英文名称": pa.array([c.name_en for c in CHANNELS]),
            "渠道类型": pa.array([c.kind for c in CHANNELS]),
            "平台": pa.array([c.platform for c in CHANNELS], pa.string()),
        },
    )


def write_stores(layout: Layout, stores: Stores) -> None:
    city = city_data()["city"]
    n = stores.count
    _csv(
        layout,
        "stores.csv",
        "chain_stores",
        {
            "门店编码": pa.array(stores.ids),
            "门店名称": pa.array(stores.names),
            "英文名称": pa.array(stores.names_en),
            "门店类型": pa.array([TYPE_NAMES[t][0] for t in stores.types]),
            "城市": pa.array([city["name"]] * n),
            "区县": pa.array(stores.districts),
            "大区": pa.array([city["region"]] * n),
            "地址": pa.array(stores.addresses),
            "纬度": pa.array(stores.lat),
            "经度": pa.array(stores.lon),
            "营业面积": pa.array(stores.area),
            "营业开始": pa.array(stores.opening),
            "营业结束": pa.array(stores.closing),
            "开业日期": pa.array([d.isoformat() for d in stores.opened_on]),
            "时区": pa.array([city["timezone"]] * n),
        },
    )


def write_categories(layout: Layout) -> None:
    data = catalogue_data()
    rows = [(t["id"], None, 1, t["zh"], t["en"]) for t in data["top"]]
    rows += [(m["id"], m["top"], 2, m["zh"], m["en"]) for m in data["mid"]]
    rows += [(leaf["id"], leaf["mid"], 3, leaf["zh"], leaf["en"]) for leaf in data["leaf"]]
    _csv(
        layout,
        "categories.csv",
        "chain_categories",
        {
            "品类编码": pa.array([r[0] for r in rows]),
            "上级品类": pa.array([r[1] for r in rows], pa.string()),
            "层级": pa.array([r[2] for r in rows]),
            "品类名称": pa.array([r[3] for r in rows]),
            "英文名称": pa.array([r[4] for r in rows]),
        },
    )


def write_suppliers(layout: Layout, catalogue: Catalogue) -> None:
    s = catalogue.suppliers
    _csv(
        layout,
        "suppliers.csv",
        "chain_suppliers",
        {
            "供应商编码": pa.array(s.ids),
            "供应商名称": pa.array(s.names),
            "城市": pa.array([city_data()["city"]["name"]] * s.count),
            "平均交货天数": pa.array(s.lead_days),
            "最小起订金额": money_text(s.min_order_fen),
            "订货日": pa.array([",".join(str(d) for d in days) for days in s.order_days]),
            "是否VMI": pick(YES_NO, s.is_vmi.astype(np.int64)),
        },
    )


def write_products(layout: Layout, catalogue: Catalogue, config: SimulationConfig) -> None:
    p, leaves = catalogue.products, catalogue.leaves
    launched = [d.isoformat() for d in p.launched_on(config.start)]
    delisted = p.delist_day < config.days
    _csv(
        layout,
        "products.csv",
        "chain_products",
        {
            "商品编码": pa.array(p.ids),
            "商品名称": pa.array(p.names),
            "英文名称": pa.array(p.names_en),
            "品类编码": pick(leaves.ids, p.leaf),
            "品牌": pa.array(p.brands),
            "自有品牌": pick(YES_NO, p.private.astype(np.int64)),
            "价格带": pick(TIER_NAMES, p.tier),
            "单位": pa.array(p.units),
            "箱规": pa.array(p.pack),
            "起订量": pa.array(p.pack),
            "零售价": money_text(p.price),
            "进价": money_text(p.cost),
            "保质期天数": pa.array(p.shelf_life),
            "是否生鲜": pick(YES_NO, p.fresh.astype(np.int64)),
            "主供应商": pick(catalogue.suppliers.ids, p.supplier),
            "条码": pa.array(p.barcodes),
            "上市日期": pa.array(launched),
            "状态": pick(("在售", "停售"), delisted.astype(np.int64)),
        },
    )


def write_promotions(
    layout: Layout,
    plan: PromotionPlan,
    catalogue: Catalogue,
    stores: Stores,
    config: SimulationConfig,
) -> None:
    """One row per promotion item, with the promotion's own columns repeated."""
    if plan.item_sku.size == 0:
        return
    promo = plan.item_promo
    start = np.array(plan.starts)[promo]
    end = np.array(plan.ends)[promo]
    first = day_number(config.start)
    store = plan.item_store
    _csv(
        layout,
        "promotions.csv",
        "chain_promotions",
        {
            "活动编号": pick(plan.ids, promo),
            "活动名称": pick(plan.names, promo),
            "促销方式": pick([MECHANIC_NAMES[m] for m in plan.mechanics], promo),
            "开始日期": _dates(first + start),
            "结束日期": _dates(first + end),
            "购物节": pick([f or "" for f in plan.festivals], promo),
            "预算": money_text(np.array(plan.budgets, dtype=np.int64)[promo]),
            "商品编码": pick(catalogue.products.ids, plan.item_sku),
            "门店编码": pick(["ALL", *stores.ids], np.where(store == ALL_STORES, 0, store + 1)),
            "折扣率": pa.array(
                np.round(1 - plan.promo_price / catalogue.products.price[plan.item_sku], 4)
            ),
            "促销价": money_text(plan.promo_price),
        },
    )


def write_weather(layout: Layout, effects: DayEffects, config: SimulationConfig) -> None:
    w = effects.weather
    first = day_number(config.start)
    _csv(
        layout,
        "weather.csv",
        "chain_weather",
        {
            "日期": _dates(first + np.arange(config.days)),
            "城市": pa.array([city_data()["city"]["name"]] * config.days),
            "最高气温": pa.array(w.temp_max),
            "最低气温": pa.array(w.temp_min),
            "降水量": pa.array(w.rain_mm),
        },
    )


def _dates(numbers: IntArray) -> pa.Array:
    return pc.strftime(
        pa.array(np.asarray(numbers, np.int64).astype("datetime64[D]")), format="%Y-%m-%d"
    )


def write_members(
    layout: Layout,
    members: Members,
    stores: Stores,
    config: SimulationConfig,
    *,
    joined: BoolArray,
    closed: BoolArray,
    join_seconds: IntArray,
) -> None:
    """The CRM workbook as of the last day: every member who has joined by then."""
    rows = np.flatnonzero(joined)
    first = day_number(config.start)
    n = rows.size
    consent = members.consent[rows]
    phone_tail = codes("", (rows * 7_919 + config.seed) % 10_000, 4)
    phone_head = pick(("138", "139", "186", "135", "158", "177"), rows % 6)
    openid = pc.if_else(
        pa.array(members.online_channel[rows] == 2),
        codes("oXl", (rows.astype(np.int64) * 2_654_435_761 + config.seed) % 10**12, 12),
        pa.nulls(n, pa.string()),
    )
    columns = [
        XlsxColumn("会员卡号", codes("M", rows, 8)),
        XlsxColumn(
            "注册时间",
            pa.array(
                ((first + members.join_day[rows]) * 86_400 + join_seconds[rows]).astype(np.float64)
            ),
            "datetime",
        ),
        XlsxColumn("注册渠道", pick(JOIN_NAMES, members.join_channel[rows])),
        XlsxColumn("生日", pa.array(members.birth[rows].astype(np.float64)), "date"),
        XlsxColumn("性别", pick(GENDER_NAMES, members.gender[rows])),
        XlsxColumn("会员等级", pick(MEMBER_TIERS, members.tier[rows])),
        XlsxColumn("手机号", pc.binary_join_element_wise(phone_head, "****", phone_tail, "")),
        XlsxColumn("常去门店", pick(stores.ids, members.home_store[rows])),
        XlsxColumn("城市", pa.array([city_data()["city"]["name"]] * n)),
        XlsxColumn("短信营销", pick(YES_NO, consent[:, 0].astype(np.int64))),
        XlsxColumn("App推送", pick(YES_NO, consent[:, 1].astype(np.int64))),
        XlsxColumn("企业微信", pick(YES_NO, consent[:, 2].astype(np.int64))),
        XlsxColumn("邮件营销", pick(YES_NO, consent[:, 3].astype(np.int64))),
        XlsxColumn("会员状态", pick(("正常", "注销"), closed[rows].astype(np.int64))),
        XlsxColumn("小程序OpenID", openid),
    ]
    created = datetime.combine(config.end + timedelta(days=1), datetime.min.time())
    write_xlsx(
        layout.add_whole("members.xlsx", "chain_members"), MEMBERS_SHEET, columns, created=created
    )
