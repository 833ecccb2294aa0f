"""The dimensions: places, goods, people, channels and the programmes run on them."""

from __future__ import annotations

from newretail.schema.columns import (
    CHANNEL_KINDS,
    PROMOTION_MECHANICS,
    STORE_TYPES,
    C,
    _id,
    _money,
    _num,
)
from newretail.schema.model import TableDef

CHANNELS = TableDef(
    "channels",
    "dimension",
    "销售渠道",
    "sales channels",
    key=("channel_id",),
    columns=(
        _id("channel_id", "渠道编号", "channel id"),
        C("name", "string", "渠道名称", "channel name", required=True),
        C("name_en", "string", "渠道英文名", "channel name in English"),
        C("kind", "string", "渠道类型", "kind of channel", required=True, enum=CHANNEL_KINDS),
        C("platform", "string", "所属平台（如美团、饿了么）", "platform (e.g. Meituan, Ele.me)"),
    ),
)

STORES = TableDef(
    "stores",
    "dimension",
    "门店（含前置仓）",
    "stores (including forward warehouses)",
    key=("store_id",),
    columns=(
        _id("store_id", "门店编号", "store id"),
        C("name", "string", "门店名称", "store name", required=True),
        C("name_en", "string", "门店英文名", "store name in English"),
        C(
            "store_type",
            "string",
            "门店类型：旗舰店、社区店、前置仓、便利店",
            "store type: flagship, community, forward warehouse, convenience",
            required=True,
            enum=STORE_TYPES,
        ),
        C("city", "string", "城市", "city"),
        C("district", "string", "区县", "district"),
        C("region", "string", "大区（用于汇总）", "region (for roll-ups)"),
        C("address", "string", "地址", "street address"),
        C("latitude", "float", "纬度", "latitude", min=-90, max=90),
        C("longitude", "float", "经度", "longitude", min=-180, max=180),
        C("area_m2", "float", "营业面积（平方米）", "selling area in square metres", min=0),
        C("opening_time", "string", "开门时间（HH:MM）", "opening time (HH:MM)"),
        C("closing_time", "string", "关门时间（HH:MM）", "closing time (HH:MM)"),
        C("opened_on", "date", "开业日期", "date opened"),
        C("closed_on", "date", "闭店日期", "date closed"),
        C("timezone", "string", "时区", "time zone (IANA)"),
    ),
)

WAREHOUSES = TableDef(
    "warehouses",
    "dimension",
    "仓库",
    "warehouses",
    key=("warehouse_id",),
    columns=(
        _id("warehouse_id", "仓库编号", "warehouse id"),
        C("name", "string", "仓库名称", "warehouse name", required=True),
        C(
            "warehouse_type",
            "string",
            "仓库类型：中心仓、区域仓",
            "type: central or regional",
            enum=("central", "regional"),
        ),
        C("city", "string", "城市", "city"),
        C("latitude", "float", "纬度", "latitude", min=-90, max=90),
        C("longitude", "float", "经度", "longitude", min=-180, max=180),
        C("capacity_units", "int", "库容（件）", "capacity in units", min=0),
    ),
)

CATEGORIES = TableDef(
    "categories",
    "dimension",
    "品类树",
    "category tree",
    key=("category_id",),
    columns=(
        _id("category_id", "品类编号", "category id"),
        C(
            "parent_id",
            "string",
            "上级品类编号（顶级为空）",
            "parent category id (empty at the top)",
        ),
        C("level", "int", "层级（1 为顶级）", "level (1 is the top)", required=True, min=1, max=6),
        C("name", "string", "品类名称", "category name", required=True),
        C("name_en", "string", "品类英文名", "category name in English"),
    ),
)

SUPPLIERS = TableDef(
    "suppliers",
    "dimension",
    "供应商",
    "suppliers",
    key=("supplier_id",),
    columns=(
        _id("supplier_id", "供应商编号", "supplier id"),
        C("name", "string", "供应商名称", "supplier name", required=True),
        C("city", "string", "城市", "city"),
        _num("lead_time_days", "float", "平均交货周期（天）", "mean lead time in days", min=0),
        _money("min_order_amount", "最小起订金额", "minimum order amount"),
        C(
            "order_days",
            "string",
            "可下单星期（如 1,3,5）",
            "weekdays orders are placed (e.g. 1,3,5)",
        ),
        C("is_vmi", "bool", "是否供应商管理库存（VMI）", "vendor-managed inventory"),
    ),
)

PRODUCTS = TableDef(
    "products",
    "dimension",
    "商品（SKU）",
    "products (SKUs)",
    key=("sku_id",),
    columns=(
        _id("sku_id", "商品编码（SKU）", "SKU id"),
        C("name", "string", "商品名称", "product name"),
        C("name_en", "string", "商品英文名", "product name in English"),
        C(
            "category_id",
            "string",
            "末级品类编号",
            "leaf category id",
            ref="categories.category_id",
        ),
        C("brand", "string", "品牌", "brand"),
        C("is_private_label", "bool", "是否自有品牌", "private label"),
        C(
            "tier",
            "string",
            "价格带：经济、标准、高端",
            "price tier: economy, standard, premium",
            enum=("economy", "standard", "premium"),
        ),
        C("unit", "string", "销售单位（件、千克…）", "selling unit (piece, kg, …)"),
        _num("pack_size", "int", "箱规（每箱件数）", "units per case", min=1),
        _num("min_order_qty", "int", "最小订货量（件）", "minimum order quantity in units", min=0),
        _money("list_price", "标准售价", "list price"),
        _money("cost", "进价", "unit cost"),
        _num("shelf_life_days", "int", "保质期（天）", "shelf life in days", min=0),
        C("is_fresh", "bool", "是否生鲜", "fresh produce"),
        C("supplier_id", "string", "主供应商编号", "main supplier id", ref="suppliers.supplier_id"),
        C("barcode", "string", "条码", "barcode (EAN/UPC)"),
        C("launched_on", "date", "上市日期", "launch date"),
        C(
            "status",
            "string",
            "状态：在售、停售",
            "status: active or discontinued",
            enum=("active", "discontinued"),
        ),
        C("currency", "string", "币种（ISO 4217）", "currency (ISO 4217)"),
    ),
)

MEMBERS = TableDef(
    "members",
    "dimension",
    "会员",
    "members",
    key=("member_id",),
    columns=(
        _id("member_id", "会员编号", "member id"),
        C("joined_at", "timestamp", "入会时间（UTC）", "time joined (UTC)"),
        C("join_channel_id", "string", "入会渠道", "channel joined through"),
        C("birthday", "date", "生日", "birthday"),
        C("gender", "string", "性别", "gender", enum=("female", "male", "unknown")),
        C("tier", "string", "会员等级", "membership tier"),
        C("phone_hash", "string", "手机号加盐哈希（不存明文）", "salted hash of the phone number"),
        C("home_store_id", "string", "常去门店", "home store", ref="stores.store_id"),
        C("city", "string", "城市", "city"),
        C("consent_sms", "bool", "同意短信营销", "consents to marketing SMS"),
        C("consent_push", "bool", "同意 App 推送", "consents to app push"),
        C("consent_wecom", "bool", "同意企业微信联系", "consents to WeCom contact"),
        C("consent_email", "bool", "同意邮件营销", "consents to marketing email"),
        C(
            "status",
            "string",
            "状态：正常、注销",
            "status: active or closed",
            enum=("active", "closed"),
        ),
        C("country", "string", "国家或地区", "country or region"),
    ),
)

MEMBER_IDENTITIES = TableDef(
    "member_identities",
    "dimension",
    "会员身份标识（跨渠道）",
    "member identities across channels",
    key=("identity_type", "identity_value"),
    columns=(
        C(
            "identity_type",
            "string",
            "标识类型",
            "kind of identity",
            required=True,
            enum=("phone_hash", "app_user", "mini_program_openid", "pos_card", "platform_user"),
        ),
        C("identity_value", "string", "标识值", "identity value", required=True),
        _id("member_id", "会员编号", "member id", ref="members.member_id"),
        C("first_seen_at", "timestamp", "首次出现（UTC）", "first seen (UTC)"),
    ),
)

PROMOTIONS = TableDef(
    "promotions",
    "dimension",
    "促销活动",
    "promotions",
    key=("promotion_id",),
    columns=(
        _id("promotion_id", "活动编号", "promotion id"),
        C("name", "string", "活动名称", "promotion name"),
        C("mechanic", "string", "促销方式", "mechanic", enum=PROMOTION_MECHANICS),
        C("starts_on", "date", "开始日期", "first day"),
        C("ends_on", "date", "结束日期", "last day"),
        C("channel_id", "string", "适用渠道（空为全渠道）", "channel (empty: every channel)"),
        _money("budget", "预算", "budget"),
        C("festival", "string", "所属购物节（618、双11…）", "shopping festival (618, 11.11, …)"),
    ),
)

CAMPAIGNS = TableDef(
    "campaigns",
    "dimension",
    "会员营销活动",
    "member campaigns",
    key=("campaign_id",),
    columns=(
        _id("campaign_id", "营销活动编号", "campaign id"),
        C("name", "string", "名称", "name"),
        C(
            "kind",
            "string",
            "类型：召回、欢迎、生日、调研…",
            "kind: win-back, welcome, birthday, survey, …",
        ),
        C("starts_on", "date", "开始日期", "first day"),
        C("ends_on", "date", "结束日期", "last day"),
        _num(
            "holdout_share", "float", "对照组比例", "share of the audience held out", min=0, max=1
        ),
    ),
)

EXPERIMENTS = TableDef(
    "experiments",
    "dimension",
    "A/B 实验",
    "A/B experiments",
    key=("experiment_id",),
    columns=(
        _id("experiment_id", "实验编号", "experiment id"),
        C("name", "string", "名称", "name"),
        C(
            "unit",
            "string",
            "分流单位（会员、会话、门店）",
            "unit of assignment (member, session, store)",
        ),
        C("variants", "string", "实验组（逗号分隔）", "variants (comma separated)"),
        C("starts_on", "date", "开始日期", "first day"),
        C("ends_on", "date", "结束日期", "last day"),
    ),
)
