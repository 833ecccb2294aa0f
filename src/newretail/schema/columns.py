"""Building blocks of the table definitions: column helpers and the enumerations."""

from __future__ import annotations

from newretail.schema.model import Column, ColumnType

C = Column

STORE_TYPES = ("flagship", "community", "forward_warehouse", "convenience")
CHANNEL_KINDS = ("store_pos", "online_shop", "app", "mini_program", "delivery_platform")
FULFILMENT_TYPES = ("in_store", "delivery", "pick_up", "presale")
ORDER_STATUSES = ("completed", "pending", "cancelled", "refunded", "partially_refunded")
PAYMENT_METHODS = ("wechat_pay", "alipay", "unionpay", "card", "cash", "points", "coupon", "other")
MOVEMENT_TYPES = (
    "receipt",
    "sale",
    "return",
    "transfer_in",
    "transfer_out",
    "adjustment",
    "shrink",
    "write_off",
)
EVENT_TYPES = (
    "session_start",
    "view",
    "search",
    "add_to_cart",
    "remove_from_cart",
    "checkout",
    "pay",
)
MESSAGE_CHANNELS = ("sms", "app_push", "wecom", "email")
PROMOTION_MECHANICS = (
    "threshold",
    "discount",
    "special_price",
    "buy_x_get_y",
    "bundle",
    "gift",
    "coupon",
    "points_multiplier",
    "member_price",
    "deal",
    "feature",
    "display",
)


def _id(name: str, zh: str, en: str, *, ref: str | None = None, required: bool = True) -> Column:
    return C(name, "string", zh, en, required=required, ref=ref)


def _date(name: str = "business_date") -> Column:
    return C(
        name,
        "date",
        "营业日（门店当地日期）",
        "business day (the store's local date)",
        required=True,
    )


def _money(
    name: str, zh: str, en: str, *, required: bool = False, negative_if: str | None = None
) -> Column:
    return C(
        name,
        "money",
        f"{zh}（分）",
        f"{en} (minor units: fen)",
        required=required,
        min=0,
        negative_if=negative_if,
    )


def _num(name: str, type_: ColumnType, zh: str, en: str, **kw: object) -> Column:
    return C(name, type_, zh, en, **kw)  # type: ignore[arg-type]
