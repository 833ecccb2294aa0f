"""Every table of the canonical data model (SPEC D1), defined once.

The lake, the loader's validation, the data dictionary (``docs/data-dictionary.md``) and the
analytics all read these definitions; a column is never described anywhere else.
"""

from __future__ import annotations

from newretail.core.errors import NotFound
from newretail.schema.model import Column, ColumnType, TableDef

C = Column

STORE_TYPES = ("flagship", "community", "forward_warehouse", "convenience")
CHANNEL_KINDS = ("store_pos", "online_shop", "app", "mini_program", "delivery_platform")
FULFILMENT_TYPES = ("in_store", "delivery", "pick_up", "presale")
ORDER_STATUSES = ("completed", "pending", "cancelled", "refunded", "partially_refunded")
PAYMENT_METHODS = ("wechat_pay", "alipay", "unionpay", "card", "cash", "points", "coupon", "other")
MOVEMENT_TYPES = (
    "receipt", "sale", "return", "transfer_in", "transfer_out", "adjustment", "shrink", "write_off",
)
EVENT_TYPES = (
    "session_start", "view", "search", "add_to_cart", "remove_from_cart", "checkout", "pay",
)
MESSAGE_CHANNELS = ("sms", "app_push", "wecom", "email")
PROMOTION_MECHANICS = (
    "threshold", "discount", "special_price", "buy_x_get_y", "bundle", "gift", "coupon",
    "points_multiplier", "member_price", "deal", "feature", "display",
)


def _id(name: str, zh: str, en: str, *, ref: str | None = None, required: bool = True) -> Column:
    return C(name, "string", zh, en, required=required, ref=ref)


def _date(name: str = "business_date") -> Column:
    return C(name, "date", "营业日（门店当地日期）", "business day (the store's local date)",
             required=True)


def _money(name: str, zh: str, en: str, *, required: bool = False,
           negative_if: str | None = None) -> Column:
    return C(name, "money", f"{zh}（分）", f"{en} (minor units: fen)", required=required,
             min=0, negative_if=negative_if)


def _num(name: str, type_: ColumnType, zh: str, en: str, **kw: object) -> Column:
    return C(name, type_, zh, en, **kw)  # type: ignore[arg-type]


CHANNELS = TableDef(
    "channels", "dimension", "销售渠道", "sales channels", key=("channel_id",),
    columns=(
        _id("channel_id", "渠道编号", "channel id"),
        C("name", "string", "渠道名称", "channel name", required=True),
        C("name_en", "string", "渠道英文名", "channel name in English"),
        C("kind", "string", "渠道类型", "kind of channel", required=True, enum=CHANNEL_KINDS),
        C("platform", "string", "所属平台（如美团、饿了么）", "platform (e.g. Meituan, Ele.me)"),
    ),
)

STORES = TableDef(
    "stores", "dimension", "门店（含前置仓）", "stores (including forward warehouses)",
    key=("store_id",),
    columns=(
        _id("store_id", "门店编号", "store id"),
        C("name", "string", "门店名称", "store name", required=True),
        C("name_en", "string", "门店英文名", "store name in English"),
        C("store_type", "string", "门店类型：旗舰店、社区店、前置仓、便利店",
          "store type: flagship, community, forward warehouse, convenience",
          required=True, enum=STORE_TYPES),
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
    "warehouses", "dimension", "仓库", "warehouses", key=("warehouse_id",),
    columns=(
        _id("warehouse_id", "仓库编号", "warehouse id"),
        C("name", "string", "仓库名称", "warehouse name", required=True),
        C("warehouse_type", "string", "仓库类型：中心仓、区域仓", "type: central or regional",
          enum=("central", "regional")),
        C("city", "string", "城市", "city"),
        C("latitude", "float", "纬度", "latitude", min=-90, max=90),
        C("longitude", "float", "经度", "longitude", min=-180, max=180),
        C("capacity_units", "int", "库容（件）", "capacity in units", min=0),
    ),
)

CATEGORIES = TableDef(
    "categories", "dimension", "品类树", "category tree", key=("category_id",),
    columns=(
        _id("category_id", "品类编号", "category id"),
        C("parent_id", "string", "上级品类编号（顶级为空）", "parent category id (empty at the top)"),
        C("level", "int", "层级（1 为顶级）", "level (1 is the top)", required=True, min=1, max=6),
        C("name", "string", "品类名称", "category name", required=True),
        C("name_en", "string", "品类英文名", "category name in English"),
    ),
)

SUPPLIERS = TableDef(
    "suppliers", "dimension", "供应商", "suppliers", key=("supplier_id",),
    columns=(
        _id("supplier_id", "供应商编号", "supplier id"),
        C("name", "string", "供应商名称", "supplier name", required=True),
        C("city", "string", "城市", "city"),
        _num("lead_time_days", "float", "平均交货周期（天）", "mean lead time in days", min=0),
        _money("min_order_amount", "最小起订金额", "minimum order amount"),
        C("order_days", "string", "可下单星期（如 1,3,5）", "weekdays orders are placed (e.g. 1,3,5)"),
        C("is_vmi", "bool", "是否供应商管理库存（VMI）", "vendor-managed inventory"),
    ),
)

PRODUCTS = TableDef(
    "products", "dimension", "商品（SKU）", "products (SKUs)", key=("sku_id",),
    columns=(
        _id("sku_id", "商品编码（SKU）", "SKU id"),
        C("name", "string", "商品名称", "product name"),
        C("name_en", "string", "商品英文名", "product name in English"),
        C("category_id", "string", "末级品类编号", "leaf category id", ref="categories.category_id"),
        C("brand", "string", "品牌", "brand"),
        C("is_private_label", "bool", "是否自有品牌", "private label"),
        C("tier", "string", "价格带：经济、标准、高端", "price tier: economy, standard, premium",
          enum=("economy", "standard", "premium")),
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
        C("status", "string", "状态：在售、停售", "status: active or discontinued",
          enum=("active", "discontinued")),
        C("currency", "string", "币种（ISO 4217）", "currency (ISO 4217)"),
    ),
)

MEMBERS = TableDef(
    "members", "dimension", "会员", "members", key=("member_id",),
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
        C("status", "string", "状态：正常、注销", "status: active or closed",
          enum=("active", "closed")),
        C("country", "string", "国家或地区", "country or region"),
    ),
)

MEMBER_IDENTITIES = TableDef(
    "member_identities", "dimension", "会员身份标识（跨渠道）", "member identities across channels",
    key=("identity_type", "identity_value"),
    columns=(
        C("identity_type", "string", "标识类型", "kind of identity", required=True,
          enum=("phone_hash", "app_user", "mini_program_openid", "pos_card", "platform_user")),
        C("identity_value", "string", "标识值", "identity value", required=True),
        _id("member_id", "会员编号", "member id", ref="members.member_id"),
        C("first_seen_at", "timestamp", "首次出现（UTC）", "first seen (UTC)"),
    ),
)

PROMOTIONS = TableDef(
    "promotions", "dimension", "促销活动", "promotions", key=("promotion_id",),
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
    "campaigns", "dimension", "会员营销活动", "member campaigns", key=("campaign_id",),
    columns=(
        _id("campaign_id", "营销活动编号", "campaign id"),
        C("name", "string", "名称", "name"),
        C("kind", "string", "类型：召回、欢迎、生日、调研…", "kind: win-back, welcome, birthday, survey, …"),
        C("starts_on", "date", "开始日期", "first day"),
        C("ends_on", "date", "结束日期", "last day"),
        _num("holdout_share", "float", "对照组比例", "share of the audience held out", min=0, max=1),
    ),
)

EXPERIMENTS = TableDef(
    "experiments", "dimension", "A/B 实验", "A/B experiments", key=("experiment_id",),
    columns=(
        _id("experiment_id", "实验编号", "experiment id"),
        C("name", "string", "名称", "name"),
        C("unit", "string", "分流单位（会员、会话、门店）", "unit of assignment (member, session, store)"),
        C("variants", "string", "实验组（逗号分隔）", "variants (comma separated)"),
        C("starts_on", "date", "开始日期", "first day"),
        C("ends_on", "date", "结束日期", "last day"),
    ),
)

ORDERS = TableDef(
    "orders", "fact", "订单（每单一行）", "orders (one row per order)", key=("order_id",),
    partition="business_date",
    columns=(
        _id("order_id", "订单号", "order id"),
        _date(),
        C("ordered_at", "timestamp", "下单时间（UTC）", "time ordered (UTC)", required=True),
        _id("channel_id", "渠道", "channel", ref="channels.channel_id"),
        C("store_id", "string", "门店（线上订单为履约门店）", "store (for online orders: the fulfilling one)",
          ref="stores.store_id"),
        C("member_id", "string", "会员编号（空为非会员）", "member id (empty: a guest)",
          ref="members.member_id"),
        C("fulfilment", "string", "履约方式：到店、配送、自提、预售",
          "fulfilment: in store, delivery, pick-up in store, presale", enum=FULFILMENT_TYPES),
        C("status", "string", "订单状态", "order status", enum=ORDER_STATUSES),
        _money("gross_amount", "商品原价合计", "gross amount before discounts"),
        _money("discount_amount", "优惠合计", "total discount"),
        _money("net_amount", "实付金额", "amount paid"),
        _money("delivery_fee", "配送费", "delivery fee"),
        C("coupon_codes", "string", "使用的优惠券（逗号分隔）", "coupons used (comma separated)"),
        C("session_id", "string", "线上会话编号", "online session id"),
        C("delivery_latitude", "float", "收货纬度", "delivery latitude", min=-90, max=90),
        C("delivery_longitude", "float", "收货经度", "delivery longitude", min=-180, max=180),
        C("promised_at", "timestamp", "承诺送达时间（UTC）", "promised delivery time (UTC)"),
        C("delivered_at", "timestamp", "实际送达或自提时间（UTC）", "delivered or picked up (UTC)"),
        C("currency", "string", "币种", "currency"),
        C("country", "string", "国家或地区", "country or region"),
    ),
)

ORDER_LINES = TableDef(
    "order_lines", "fact", "订单明细", "order lines", key=("order_id", "line_no"),
    partition="business_date",
    columns=(
        _id("order_id", "订单号", "order id"),
        C("line_no", "int", "行号", "line number", required=True, min=0),
        _date(),
        _id("sku_id", "商品编码", "SKU id", ref="products.sku_id"),
        C("channel_id", "string", "渠道", "channel", ref="channels.channel_id"),
        C("store_id", "string", "门店", "store", ref="stores.store_id"),
        C("member_id", "string", "会员编号（空为非会员）", "member id (empty: a guest)",
          ref="members.member_id"),
        C("quantity", "float", "数量（称重商品为千克）", "quantity (kg for goods sold by weight)",
          required=True, min=0, negative_if="is_return"),
        _money("unit_price", "单价（购物篮类数据可缺）", "unit price (basket-only data may lack it)"),
        _money("gross_amount", "原价金额", "gross amount", negative_if="is_return"),
        _money("discount_amount", "分摊优惠", "allocated discount"),
        _money("net_amount", "实收金额", "net amount", negative_if="is_return"),
        _money("cost_amount", "成本金额", "cost amount", negative_if="is_return"),
        C("promotion_id", "string", "参与的促销", "promotion applied"),
        C("coupon_code", "string", "使用的优惠券", "coupon applied"),
        C("is_gift", "bool", "是否赠品", "a free gift"),
        C("is_return", "bool", "是否退货行", "a return line"),
    ),
)

PAYMENTS = TableDef(
    "payments", "fact", "支付流水", "payments", key=("payment_id",), partition="business_date",
    columns=(
        _id("payment_id", "支付流水号", "payment id"),
        _id("order_id", "订单号", "order id"),
        _date(),
        C("paid_at", "timestamp", "支付时间（UTC）", "time paid (UTC)", required=True),
        C("method", "string", "支付方式", "payment method", required=True, enum=PAYMENT_METHODS),
        _money("amount", "支付金额", "amount", required=True, negative_if="is_refund"),
        C("is_refund", "bool", "是否退款", "a refund"),
        C("store_id", "string", "门店", "store", ref="stores.store_id"),
        C("channel_id", "string", "渠道", "channel", ref="channels.channel_id"),
    ),
)

RETURNS = TableDef(
    "returns", "fact", "退货", "returns", key=("return_id", "line_no"), partition="business_date",
    columns=(
        _id("return_id", "退货单号", "return id"),
        C("line_no", "int", "行号", "line number", required=True, min=0),
        _date(),
        C("returned_at", "timestamp", "退货时间（UTC）", "time returned (UTC)", required=True),
        C("order_id", "string", "原订单号", "original order id"),
        _id("sku_id", "商品编码", "SKU id", ref="products.sku_id"),
        C("quantity", "float", "退货数量", "quantity returned", required=True, min=0),
        _money("refund_amount", "退款金额", "amount refunded"),
        C("reason", "string", "退货原因", "reason"),
        C("channel_id", "string", "渠道", "channel", ref="channels.channel_id"),
        C("store_id", "string", "门店", "store", ref="stores.store_id"),
        C("member_id", "string", "会员编号", "member id", ref="members.member_id"),
    ),
)

SALES_DAILY = TableDef(
    "sales_daily", "fact", "门店商品日/周销售汇总", "sales per store, SKU and day (or week)",
    key=("store_id", "sku_id", "channel_id", "business_date"), partition="business_date",
    columns=(
        _date(),
        _id("store_id", "门店", "store", ref="stores.store_id"),
        _id("sku_id", "商品编码", "SKU id", ref="products.sku_id"),
        C("channel_id", "string", "渠道", "channel", required=True, ref="channels.channel_id"),
        C("period_days", "int", "汇总天数（1 为日，7 为周）", "days covered (1 daily, 7 weekly)",
          min=1, max=31),
        C("units", "float", "销量", "units sold", required=True, min=0),
        _money("gross_amount", "销售额", "sales amount"),
        _money("unit_price", "平均售价", "average selling price"),
        C("on_promotion", "bool", "是否促销期", "on promotion"),
    ),
)

PRICES = TableDef(
    "prices", "fact", "价格记录", "price records", key=("sku_id", "store_id", "business_date"),
    partition="business_date",
    columns=(
        _date(),
        _id("sku_id", "商品编码", "SKU id", ref="products.sku_id"),
        C("store_id", "string", "门店（ALL 为全部门店统一价）", "store (ALL: the chain-wide price)",
          required=True),
        _money("price", "售价", "selling price", required=True),
        _money("regular_price", "原价", "regular price"),
        C("currency", "string", "币种", "currency"),
    ),
)

PROMOTION_ITEMS = TableDef(
    "promotion_items", "fact", "促销商品排期", "promoted items by store and period",
    key=("promotion_id", "sku_id", "store_id", "business_date"), partition="business_date",
    columns=(
        _date(),
        _id("promotion_id", "活动编号", "promotion id"),
        _id("sku_id", "商品编码", "SKU id", ref="products.sku_id"),
        C("store_id", "string", "门店（ALL 为全部门店）", "store (ALL: every store)", required=True),
        C("ends_on", "date", "结束日期", "last day"),
        C("mechanic", "string", "促销方式", "mechanic", required=True, enum=PROMOTION_MECHANICS),
        _num("discount_rate", "float", "折扣率（0.2 即 8 折）", "discount rate (0.2 = 20 % off)",
             min=0, max=1),
        _money("promo_price", "促销价", "promotional price"),
    ),
)

INVENTORY_SNAPSHOTS = TableDef(
    "inventory_snapshots", "fact", "库存快照（每日）", "inventory snapshots (daily)",
    key=("location_id", "sku_id", "business_date"), partition="business_date",
    columns=(
        _date(),
        _id("location_id", "库存地点（门店或仓库）", "stock location (store or warehouse)"),
        _id("sku_id", "商品编码", "SKU id", ref="products.sku_id"),
        C("on_hand", "float", "在库数量", "units on hand", required=True, min=0),
        C("in_transit", "float", "在途数量", "units in transit", min=0),
        C("reserved", "float", "已预占数量", "units reserved", min=0),
        C("snapshot_at", "timestamp", "快照时间（UTC）", "time of the snapshot (UTC)"),
    ),
)

INVENTORY_MOVEMENTS = TableDef(
    "inventory_movements", "fact", "库存流水", "inventory movements", key=("movement_id",),
    partition="business_date",
    columns=(
        _id("movement_id", "流水号", "movement id"),
        _date(),
        C("moved_at", "timestamp", "发生时间（UTC）", "time of the movement (UTC)", required=True),
        _id("location_id", "库存地点", "stock location"),
        _id("sku_id", "商品编码", "SKU id", ref="products.sku_id"),
        C("movement_type", "string", "类型：入库、销售、退货、调入、调出、调整、损耗、报废",
          "type: receipt, sale, return, transfer in/out, adjustment, shrink, write-off",
          required=True, enum=MOVEMENT_TYPES),
        C("quantity", "float", "数量（入为正，出为负）", "quantity (in positive, out negative)",
          required=True),
        C("reason", "string", "原因（损耗、报废必填：过期、破损、盗损…）",
          "reason (for shrink and write-off: expired, damaged, theft, …)"),
        C("reference_id", "string", "关联单据（订单、采购单、调拨单）",
          "related document (order, purchase order, transfer)"),
        _money("cost_amount", "成本金额", "cost amount", negative_if="is_outbound"),
        C("is_outbound", "bool", "是否出库", "an outbound movement"),
    ),
)

PURCHASE_ORDERS = TableDef(
    "purchase_orders", "fact", "采购单", "purchase orders", key=("po_id",),
    partition="business_date",
    columns=(
        _id("po_id", "采购单号", "purchase order id"),
        _date(),
        _id("supplier_id", "供应商", "supplier", ref="suppliers.supplier_id"),
        _id("location_id", "收货地点", "receiving location"),
        C("ordered_at", "timestamp", "下单时间（UTC）", "time ordered (UTC)"),
        C("expected_on", "date", "预计到货日", "expected arrival date"),
        C("status", "string", "状态", "status",
          enum=("open", "partially_received", "received", "cancelled")),
    ),
)

PURCHASE_ORDER_LINES = TableDef(
    "purchase_order_lines", "fact", "采购单明细", "purchase order lines", key=("po_id", "line_no"),
    partition="business_date",
    columns=(
        _id("po_id", "采购单号", "purchase order id"),
        C("line_no", "int", "行号", "line number", required=True, min=0),
        _date(),
        _id("sku_id", "商品编码", "SKU id", ref="products.sku_id"),
        C("quantity", "float", "订货数量", "quantity ordered", required=True, min=0),
        _money("unit_cost", "进价", "unit cost"),
    ),
)

RECEIPTS = TableDef(
    "receipts", "fact", "采购到货", "goods receipts", key=("receipt_id", "line_no"),
    partition="business_date",
    columns=(
        _id("receipt_id", "收货单号", "receipt id"),
        C("line_no", "int", "行号", "line number", required=True, min=0),
        _date(),
        C("po_id", "string", "采购单号", "purchase order id"),
        C("received_at", "timestamp", "到货时间（UTC）", "time received (UTC)"),
        _id("location_id", "收货地点", "receiving location"),
        _id("sku_id", "商品编码", "SKU id", ref="products.sku_id"),
        C("quantity", "float", "实收数量", "quantity received", required=True, min=0),
        C("quantity_rejected", "float", "拒收数量（质检不合格）", "quantity rejected by inspection",
          min=0),
    ),
)

EVENTS = TableDef(
    "events", "fact", "线上行为事件", "online events (web, app, mini-program)", key=("event_id",),
    partition="business_date",
    columns=(
        _id("event_id", "事件编号", "event id"),
        _date(),
        C("occurred_at", "timestamp", "发生时间（UTC）", "time of the event (UTC)", required=True),
        C("event_type", "string", "事件类型：浏览、加购、结算、支付…",
          "event type: view, add to cart, checkout, pay, …", required=True, enum=EVENT_TYPES),
        _id("session_id", "会话编号", "session id"),
        C("channel_id", "string", "渠道", "channel", ref="channels.channel_id"),
        C("member_id", "string", "会员编号（未登录为空）", "member id (empty when not logged in)"),
        C("anonymous_id", "string", "匿名设备标识", "anonymous device id"),
        C("sku_id", "string", "商品编码", "SKU id"),
        C("order_id", "string", "订单号（支付事件）", "order id (pay events)"),
        C("properties", "string", "其他属性（JSON）", "other properties (JSON)"),
    ),
)

FEEDBACK = TableDef(
    "feedback", "fact", "用户反馈（评价、社群、调研）", "feedback (reviews, community, surveys)",
    key=("feedback_id",), partition="business_date",
    columns=(
        _id("feedback_id", "反馈编号", "feedback id"),
        _date(),
        C("created_at", "timestamp", "提交时间（UTC）", "time submitted (UTC)", required=True),
        C("source", "string", "来源", "source", required=True,
          enum=("app_review", "platform_review", "community", "ticket", "survey", "phone")),
        C("member_id", "string", "会员编号", "member id"),
        C("order_id", "string", "订单号", "order id"),
        C("store_id", "string", "门店", "store"),
        C("channel_id", "string", "渠道", "channel"),
        _num("rating", "float", "评分（1–5）", "rating (1–5)", min=0, max=5),
        _num("nps", "int", "推荐意愿（0–10）", "likelihood to recommend (0–10)", min=0, max=10),
        C("topic", "string", "主题（来源系统给出时）", "topic (when the source gives one)"),
        C("text", "string", "内容", "text"),
    ),
)

TICKETS = TableDef(
    "tickets", "fact", "客服工单", "service tickets", key=("ticket_id",), partition="business_date",
    columns=(
        _id("ticket_id", "工单号", "ticket id"),
        _date(),
        C("opened_at", "timestamp", "创建时间（UTC）", "time opened (UTC)", required=True),
        C("tier", "int", "等级（1 最紧急）", "tier (1 is the most urgent)", min=1, max=3),
        C("category", "string", "分类", "category"),
        C("status", "string", "状态", "status", enum=("open", "in_progress", "resolved", "closed")),
        C("member_id", "string", "会员编号", "member id"),
        C("order_id", "string", "订单号", "order id"),
        C("store_id", "string", "门店", "store"),
        C("first_response_at", "timestamp", "首次响应时间（UTC）", "first response (UTC)"),
        C("resolved_at", "timestamp", "解决时间（UTC）", "time resolved (UTC)"),
        C("subject", "string", "标题", "subject"),
    ),
)

MESSAGES = TableDef(
    "messages", "fact", "营销消息触达", "marketing messages sent", key=("message_id",),
    partition="business_date",
    columns=(
        _id("message_id", "消息编号", "message id"),
        _date(),
        C("sent_at", "timestamp", "发送时间（UTC）", "time sent (UTC)", required=True),
        C("campaign_id", "string", "营销活动", "campaign"),
        _id("member_id", "会员编号", "member id"),
        C("channel", "string", "触达渠道", "channel", required=True, enum=MESSAGE_CHANNELS),
        C("status", "string", "状态", "status",
          enum=("sent", "delivered", "opened", "clicked", "failed")),
        C("opened_at", "timestamp", "打开时间（UTC）", "time opened (UTC)"),
    ),
)

EXPERIMENT_EXPOSURES = TableDef(
    "experiment_exposures", "fact", "实验曝光记录", "experiment exposures",
    key=("experiment_id", "unit_id", "business_date"), partition="business_date",
    columns=(
        _id("experiment_id", "实验编号", "experiment id"),
        _id("unit_id", "分流单位编号", "unit id"),
        _date(),
        _id("variant", "实验组", "variant"),
        C("exposed_at", "timestamp", "首次曝光时间（UTC）", "first exposure (UTC)", required=True),
    ),
)

WEATHER = TableDef(
    "weather", "fact", "天气（每城市每日）", "weather (per city and day)", key=("city", "business_date"),
    partition="business_date",
    columns=(
        _date(),
        _id("city", "城市", "city"),
        _num("temp_max_c", "float", "最高气温（℃）", "maximum temperature (°C)", min=-60, max=60),
        _num("temp_min_c", "float", "最低气温（℃）", "minimum temperature (°C)", min=-60, max=60),
        _num("precipitation_mm", "float", "降水量（毫米）", "precipitation (mm)", min=0),
    ),
)

TABLES: dict[str, TableDef] = {
    t.name: t
    for t in (
        CHANNELS, STORES, WAREHOUSES, CATEGORIES, SUPPLIERS, PRODUCTS, MEMBERS, MEMBER_IDENTITIES,
        PROMOTIONS, CAMPAIGNS, EXPERIMENTS, ORDERS, ORDER_LINES, PAYMENTS, RETURNS, SALES_DAILY,
        PRICES, PROMOTION_ITEMS, INVENTORY_SNAPSHOTS, INVENTORY_MOVEMENTS, PURCHASE_ORDERS,
        PURCHASE_ORDER_LINES, RECEIPTS, EVENTS, FEEDBACK, TICKETS, MESSAGES,
        EXPERIMENT_EXPOSURES, WEATHER,
    )
}


def get_table(name: str) -> TableDef:
    """The definition of table ``name``; :class:`NotFound` names the known tables."""
    try:
        return TABLES[name]
    except KeyError:
        raise NotFound(
            f"unknown table {name!r}; known tables: {', '.join(sorted(TABLES))}",
            key="error.unknown_table", table=name, known=", ".join(sorted(TABLES)),
        ) from None
