"""A hand-made chain with known answers, loaded once through the Lake API, and the simulated
small chain for smoke tests.

The hand-made chain: three stores (Shanghai, the chain's zone by default, London), three
channels, two category levels, three SKUs (one sold by weight), three members, and a few days
around Friday 2024-03-01 (``D1``) with a week earlier (``W``) and 364 days earlier (``LY``).
It holds the awkward cases: a cancelled order, a return line inside an order, a refund on a
later day, a refund of a cancelled order, an order after midnight booked to the day before, a
session that runs past midnight, a checkout before the add-to-cart, a member joining just
after local midnight, a store in a zone with daylight saving time.

Tests compare metrics with plain pandas computations over :data:`ROWS` (the same rows as
Python values), never with the code under test.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest

from newretail.core.settings import Settings
from newretail.lake import Lake, SourceFile, connect
from newretail.schema import TABLES

D1 = date(2024, 3, 1)  # a Friday
D2 = date(2024, 3, 2)
D3 = date(2024, 3, 3)
W = date(2024, 2, 23)  # D1 − 7
LY = date(2023, 3, 3)  # D1 − 364, a Friday


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# fmt: off
def _line(order: str, no: int, day: date, sku: str, qty: float, gross: int, disc: int,
          cost: int, **extra: Any) -> dict[str, Any]:
    return {
        "order_id": order,
        "line_no": no,
        "business_date": day,
        "sku_id": sku,
        "quantity": qty,
        "gross_amount": gross,
        "discount_amount": disc,
        "net_amount": gross - disc,
        "cost_amount": cost,
        **extra,
    }


def _order(order: str, day: date, at: str, channel: str, store: str, member: str | None,
           status: str = "completed", **extra: Any) -> dict[str, Any]:
    return {
        "order_id": order,
        "business_date": day,
        "ordered_at": utc(at),
        "channel_id": channel,
        "store_id": store,
        "member_id": member,
        "status": status,
        "net_amount": NET_PAID[order],
        **extra,
    }


def _event(n: int, session: str, day: date, at: str, kind: str, channel: str = "app",
           **extra: Any) -> dict[str, Any]:
    return {
        "event_id": f"E{n:03d}",
        "session_id": session,
        "business_date": day,
        "occurred_at": utc(at),
        "event_type": kind,
        "channel_id": channel,
        **extra,
    }


def _snap(day: date, location: str, sku: str, on_hand: float, reserved: float | None = None
          ) -> dict[str, Any]:
    return {"business_date": day, "location_id": location, "sku_id": sku,
            "on_hand": on_hand, "reserved": reserved}


#: What each order's customer paid (its lines sold, the return line of O1 aside).
NET_PAID = {"O1": 2800, "O2": 900, "O3": 500, "O4": 1000, "O5": 4700, "O6": 1200,
            "O7": 1000, "O8": 800, "O9": 1000}

ROWS: dict[str, list[dict[str, Any]]] = {
    "channels": [
        {"channel_id": "pos", "name": "门店收银", "name_en": "Store POS", "kind": "store_pos"},
        {"channel_id": "app", "name": "鲜邻App", "name_en": "App", "kind": "app"},
        {"channel_id": "mini", "name": "小程序", "name_en": "Mini-program", "kind": "mini_program"},
        {"channel_id": "meituan", "name": "美团", "name_en": "Meituan",
         "kind": "delivery_platform"},
    ],
    "stores": [
        {"store_id": "S1", "name": "鼓楼店", "name_en": "Gulou", "store_type": "flagship",
         "region": "华东", "area_m2": 100.0, "timezone": "Asia/Shanghai",
         "opened_on": date(2020, 1, 1)},
        {"store_id": "S2", "name": "西湖店", "name_en": "Xihu", "store_type": "community",
         "region": "华东", "area_m2": 50.0},
        {"store_id": "S3", "name": "伦敦店", "name_en": "London", "store_type": "community",
         "region": "海外", "area_m2": 80.0, "timezone": "Europe/London"},
        {"store_id": "S4", "name": "新店", "name_en": "New", "store_type": "convenience",
         "region": "华东", "area_m2": 30.0, "opened_on": date(2024, 6, 1)},
    ],
    "categories": [
        {"category_id": "10", "level": 1, "name": "生鲜", "name_en": "Fresh"},
        {"category_id": "1010", "parent_id": "10", "level": 2, "name": "水果", "name_en": "Fruit"},
        {"category_id": "20", "level": 1, "name": "饮料", "name_en": "Drinks"},
        {"category_id": "2010", "parent_id": "20", "level": 2, "name": "茶", "name_en": "Tea"},
    ],
    "products": [
        {"sku_id": "A", "category_id": "1010", "cost": 300, "list_price": 1000},
        {"sku_id": "B", "category_id": "2010", "cost": 500, "list_price": 1000},
        {"sku_id": "C", "category_id": "1010", "cost": 100, "list_price": 1000},
    ],
    "members": [
        # joins 2024-03-01 01:00 in Shanghai (still 29 February in UTC)
        {"member_id": "M1", "tier": "gold", "home_store_id": "S1", "join_channel_id": "pos",
         "joined_at": utc("2024-02-29T17:00:00")},
        # 23:30 in London on 1 March (GMT)
        {"member_id": "M2", "tier": "silver", "home_store_id": "S3", "join_channel_id": "app",
         "joined_at": utc("2024-03-01T23:30:00")},
        # no home store: the chain's zone, 00:30 on 3 March
        {"member_id": "M3", "tier": "silver", "join_channel_id": "app",
         "joined_at": utc("2024-03-02T16:30:00")},
    ],
    "orders": [
        _order("O1", D1, "2024-03-01T02:00:00", "pos", "S1", "M1"),
        _order("O2", D1, "2024-03-01T15:30:00", "app", "S1", "M2", coupon_codes="CP1",
               session_id="SE1"),
        # 00:30 on Saturday in Shanghai, booked to Friday by a store open past midnight
        _order("O3", D1, "2024-03-01T16:30:00", "pos", "S1", None),
        _order("O4", D1, "2024-03-01T03:00:00", "pos", "S2", None, status="cancelled"),
        _order("O5", D2, "2024-03-02T04:00:00", "meituan", "S2", "M1",
               status="partially_refunded"),
        # 12:00 in London (GMT)
        _order("O6", D2, "2024-03-02T12:00:00", "pos", "S3", "M2"),
        _order("O7", W, "2024-02-23T02:00:00", "pos", "S1", "M1"),
        _order("O8", LY, "2023-03-03T02:00:00", "pos", "S1", None),
        # 31 March: London has switched to BST at 01:00 UTC, so 12:00 UTC is 13:00 there
        _order("O9", date(2024, 3, 31), "2024-03-31T12:00:00", "pos", "S3", None),
    ],
    "order_lines": [
        _line("O1", 1, D1, "A", 2, 2000, 200, 600),
        _line("O1", 2, D1, "B", 1, 1000, 0, 500),
        _line("O1", 3, D1, "A", -1, -900, 0, -300, is_return=True),
        _line("O2", 1, D1, "A", 1, 1000, 100, 300, coupon_code="CP1"),
        _line("O3", 1, D1, "C", 0.5, 500, 0, 50),
        _line("O4", 1, D1, "B", 1, 1000, 0, 500),
        _line("O5", 1, D2, "A", 3, 3000, 300, 900),
        _line("O5", 2, D2, "B", 2, 2000, 0, 1000),
        _line("O6", 1, D2, "B", 1, 1200, 0, 500),
        _line("O7", 1, W, "A", 1, 1000, 0, 300),
        _line("O8", 1, LY, "A", 1, 800, 0, 300),
        _line("O9", 1, date(2024, 3, 31), "B", 1, 1000, 0, 500),
    ],
    "returns": [
        # a return of O5 two days later; store and channel come from the order
        {"return_id": "R1", "line_no": 1, "business_date": D3,
         "returned_at": utc("2024-03-03T03:00:00"), "order_id": "O5", "sku_id": "A",
         "quantity": 1, "refund_amount": 900},
        # a return on D1 of a sale a week earlier
        {"return_id": "R2", "line_no": 1, "business_date": D1,
         "returned_at": utc("2024-03-01T05:00:00"), "order_id": "O7", "sku_id": "A",
         "quantity": 1, "refund_amount": 1000, "channel_id": "pos", "store_id": "S1",
         "member_id": "M1"},
        # a refund of a cancelled order: the sale never counted, neither does this
        {"return_id": "R3", "line_no": 1, "business_date": D2,
         "returned_at": utc("2024-03-02T05:00:00"), "order_id": "O4", "sku_id": "B",
         "quantity": 1, "refund_amount": 1000},
    ],
    "payments": [
        {"payment_id": "P1", "order_id": "O1", "business_date": D1,
         "paid_at": utc("2024-03-01T02:00:00"), "method": "wechat_pay", "amount": 2800},
        {"payment_id": "P2", "order_id": "O2", "business_date": D1,
         "paid_at": utc("2024-03-01T15:30:00"), "method": "points", "amount": 400},
        {"payment_id": "P3", "order_id": "O2", "business_date": D1,
         "paid_at": utc("2024-03-01T15:30:00"), "method": "alipay", "amount": 500},
        {"payment_id": "P4", "order_id": "O5", "business_date": D2,
         "paid_at": utc("2024-03-02T04:00:00"), "method": "wechat_pay", "amount": 4700},
        {"payment_id": "P5", "order_id": "O5", "business_date": D3,
         "paid_at": utc("2024-03-03T03:00:00"), "method": "wechat_pay", "amount": -900,
         "is_refund": True},
        {"payment_id": "P6", "order_id": "O6", "business_date": D2,
         "paid_at": utc("2024-03-02T12:00:00"), "method": "card", "amount": 1200,
         "store_id": "S3", "channel_id": "pos"},
    ],
    "events": [
        # SE1 converts in order and pays for O2
        _event(1, "SE1", D1, "2024-03-01T15:00:00", "session_start", member_id="M2"),
        _event(2, "SE1", D1, "2024-03-01T15:05:00", "view", sku_id="A"),
        _event(3, "SE1", D1, "2024-03-01T15:10:00", "add_to_cart", sku_id="A"),
        _event(4, "SE1", D1, "2024-03-01T15:20:00", "checkout"),
        _event(5, "SE1", D1, "2024-03-01T15:30:00", "pay", order_id="O2"),
        # SE2 leaves its cart before checkout
        _event(6, "SE2", D1, "2024-03-01T02:00:00", "session_start"),
        _event(7, "SE2", D1, "2024-03-01T02:01:00", "view"),
        _event(8, "SE2", D1, "2024-03-01T02:02:00", "add_to_cart"),
        # SE3 checks out before it adds to cart: unordered it has both, ordered only the cart
        _event(9, "SE3", D1, "2024-03-01T03:00:00", "session_start"),
        _event(10, "SE3", D1, "2024-03-01T03:01:00", "view"),
        _event(11, "SE3", D1, "2024-03-01T03:02:00", "checkout"),
        _event(12, "SE3", D1, "2024-03-01T03:03:00", "add_to_cart"),
        # SE4 starts at 23:55 local on D1 and pays after midnight (business day D2)
        _event(13, "SE4", D1, "2024-03-01T15:55:00", "session_start"),
        _event(14, "SE4", D2, "2024-03-01T16:05:00", "view"),
        _event(15, "SE4", D2, "2024-03-01T16:06:00", "add_to_cart"),
        _event(16, "SE4", D2, "2024-03-01T16:07:00", "checkout"),
        _event(17, "SE4", D2, "2024-03-01T16:10:00", "pay"),
        # SE5 on the mini-program only looks
        _event(18, "SE5", D1, "2024-03-01T04:00:00", "session_start", channel="mini"),
        _event(19, "SE5", D1, "2024-03-01T04:01:00", "view", channel="mini"),
        # SE6 a week earlier pays without a cart event (a "buy now" button)
        _event(20, "SE6", W, "2024-02-23T04:00:00", "session_start"),
        _event(21, "SE6", W, "2024-02-23T04:01:00", "view"),
        _event(22, "SE6", W, "2024-02-23T04:02:00", "pay"),
    ],
    "inventory_snapshots": [
        _snap(D1, "S1", "A", 10), _snap(D1, "S1", "B", 0), _snap(D1, "S1", "C", 5, 5),
        _snap(D2, "S1", "A", 8), _snap(D2, "S1", "B", 4), _snap(D2, "S1", "C", 5),
        _snap(D3, "S1", "A", 7), _snap(D3, "S1", "B", 4), _snap(D3, "S1", "C", 4.5),
        _snap(D1, "S2", "A", 3), _snap(D2, "S2", "A", 0), _snap(D3, "S2", "A", 1),
        _snap(D1, "WH", "A", 100),
    ],
    "inventory_movements": [
        {"movement_id": "MV1", "business_date": D1, "moved_at": utc("2024-03-01T10:00:00"),
         "location_id": "S1", "sku_id": "A", "movement_type": "shrink", "quantity": -1,
         "cost_amount": 300, "reason": "damaged"},
        {"movement_id": "MV2", "business_date": D2, "moved_at": utc("2024-03-02T10:00:00"),
         "location_id": "S1", "sku_id": "C", "movement_type": "write_off", "quantity": -0.5,
         "reason": "expired"},
        {"movement_id": "MV3", "business_date": D2, "moved_at": utc("2024-03-02T11:00:00"),
         "location_id": "S2", "sku_id": "A", "movement_type": "transfer_out",
         "quantity": -2, "cost_amount": 600},
    ],
    "feedback": [
        {"feedback_id": "F1", "business_date": D1, "created_at": utc("2024-03-01T06:00:00"),
         "source": "survey", "store_id": "S1", "channel_id": "pos", "rating": 5, "nps": 10},
        {"feedback_id": "F2", "business_date": D1, "created_at": utc("2024-03-01T07:00:00"),
         "source": "survey", "store_id": "S1", "channel_id": "app", "rating": 3, "nps": 6},
        {"feedback_id": "F3", "business_date": D2, "created_at": utc("2024-03-02T07:00:00"),
         "source": "app_review", "store_id": "S2", "channel_id": "meituan", "rating": 4},
        {"feedback_id": "F4", "business_date": D2, "created_at": utc("2024-03-02T08:00:00"),
         "source": "survey", "store_id": "S3", "channel_id": "pos", "nps": 9},
    ],
    "tickets": [
        {"ticket_id": "T1", "business_date": D1, "opened_at": utc("2024-03-01T08:00:00"),
         "store_id": "S1"},
        {"ticket_id": "T2", "business_date": D2, "opened_at": utc("2024-03-02T08:00:00"),
         "store_id": "S2"},
        {"ticket_id": "T3", "business_date": D3, "opened_at": utc("2024-03-03T08:00:00"),
         "store_id": "S1"},
    ],
    "messages": [
        {"message_id": "G1", "business_date": D1, "sent_at": utc("2024-03-01T01:00:00"),
         "member_id": "M1", "channel": "sms", "status": "opened"},
        {"message_id": "G2", "business_date": D1, "sent_at": utc("2024-03-01T01:00:00"),
         "member_id": "M2", "channel": "app_push", "status": "clicked"},
        {"message_id": "G3", "business_date": D1, "sent_at": utc("2024-03-01T01:00:00"),
         "member_id": "M1", "channel": "sms", "status": "failed"},
        {"message_id": "G4", "business_date": D2, "sent_at": utc("2024-03-02T01:00:00"),
         "member_id": "M2", "channel": "wecom", "status": "delivered"},
        {"message_id": "G5", "business_date": D2, "sent_at": utc("2024-03-02T01:00:00"),
         "member_id": "M1", "channel": "sms", "status": "sent",
         "opened_at": utc("2024-03-02T02:00:00")},
    ],
}

# fmt: on


def _arrow(table: str, rows: list[dict[str, Any]]) -> pa.Table:
    """``rows`` as Arrow with every column of ``table`` typed as the lake stores it."""
    schema = TABLES[table].arrow_schema
    names = list(dict.fromkeys(name for row in rows for name in row))
    return pa.table(
        {n: pa.array([row.get(n) for row in rows], schema.field(n).type) for n in names}
    )


def load_rows(root: Path, rows: dict[str, list[dict[str, Any]]]) -> Lake:
    """Load ``rows`` (table → list of row dicts) into a new lake at ``root`` in one load."""
    lake = Lake(root)
    with lake.begin(source="handmade", files=[SourceFile("handmade.json", "0" * 64, 1)]) as tx:
        for table, table_rows in rows.items():
            data = _arrow(table, table_rows)
            if TABLES[table].kind == "dimension":
                tx.upsert(table, data)
            else:
                tx.append(table, data)
        count = sum(len(r) for r in rows.values())
        tx.commit(
            period=None,
            rows_read=count,
            rows_loaded=count,
            rows_quarantined=0,
            quarantine_reasons={},
        )
    return lake


@dataclass(frozen=True)
class Chain:
    """A loaded chain: its engine connection, its settings and its rows as pandas frames."""

    con: Any
    settings: Settings
    frames: dict[str, pd.DataFrame]


def _frames(rows: dict[str, list[dict[str, Any]]]) -> dict[str, pd.DataFrame]:
    found = {}
    for table in TABLES:
        names = TABLES[table].arrow_schema.names
        found[table] = pd.DataFrame(rows.get(table, []), columns=names)
    return found


@pytest.fixture(scope="session")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Chain:
    """The hand-made chain of :data:`ROWS` in its own lake (chain zone Asia/Shanghai)."""
    home = tmp_path_factory.mktemp("handmade")
    settings = Settings(home=home, engine="duckdb", timezone="Asia/Shanghai", currency="CNY")
    lake = load_rows(settings.lake_dir, ROWS)
    return Chain(connect(lake, settings=settings), settings, _frames(ROWS))


@pytest.fixture
def empty_lake(tmp_path: Path) -> Iterator[Chain]:
    """A lake with nothing loaded."""
    settings = Settings(home=tmp_path / "empty", engine="duckdb")
    yield Chain(connect(Lake(settings.lake_dir), settings=settings), settings, _frames({}))


@dataclass(frozen=True)
class Simulated:
    """The simulated small chain loaded into its own lake."""

    con: Any
    settings: Settings
    start: date
    end: date


@pytest.fixture(scope="session")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Simulated:
    """Three weeks of the ``small`` preset around the 2024 Spring Festival, loaded."""
    from newretail.demo import build_demo

    home = tmp_path_factory.mktemp("simulated")
    settings = Settings(home=home, engine="duckdb")
    start = date(2024, 1, 29)
    build_demo(preset_name="small", settings=settings, start=start, days=21, skus=50, members=200)
    lake = Lake(settings.lake_dir)
    return Simulated(connect(lake, settings=settings), settings, start, date(2024, 2, 18))
