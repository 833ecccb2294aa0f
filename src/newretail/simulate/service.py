"""Service: feedback, surveys and tickets, in Chinese, caused by what happened.

A late delivery makes a complaint about slow delivery likely, a stock-out one about missing
goods, a fresh item returned as not fresh a quality complaint; crowded days bring queue
complaints. Without a cause feedback is rare and mostly praise. Low ratings open service
tickets whose tier follows the topic (SPEC S2), answered within or past their SLA.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from newretail.simulate.catalogue import Catalogue
from newretail.simulate.inventory import Batch
from newretail.simulate.online import NOT_FRESH, QUALITY, Fulfilment
from newretail.simulate.orders import DayOrders
from newretail.simulate.places import Stores
from newretail.simulate.rng import FloatArray, IntArray
from newretail.simulate.trips import APP, MINI, POS

SOURCES = ("app_review", "platform_review", "community", "ticket", "survey", "phone")
APP_REVIEW, PLATFORM_REVIEW, COMMUNITY, TICKET, SURVEY, PHONE = range(6)
LATE_FEEDBACK = 0.25
STOCKOUT_FEEDBACK_ONLINE = 0.15
STOCKOUT_FEEDBACK_STORE = 0.03
ONLINE_FEEDBACK = 0.03
STORE_FEEDBACK = 0.004
RETURN_FEEDBACK = 0.4
SURVEY_SHARE = 0.01
TICKET_SHARE = 0.5
PAYMENT_FAILURE = 0.0003
#: median minutes to first response by tier; SLA (SPEC S2): 30 min, 2 h, 24 h
RESPONSE_MEDIAN = {1: 12.0, 2: 45.0, 3: 300.0}


@dataclass(frozen=True)
class Topics:
    keys: list[str]
    ticket: list[str]
    tier: IntArray
    ratings: FloatArray  # (topics, 5): probability of 1..5 stars
    texts: list[list[str]]

    def index(self, key: str) -> int:
        return self.keys.index(key)


@lru_cache(maxsize=1)
def topics() -> Topics:
    """The service topics (``data/service.toml``)."""
    text = (resources.files("newretail.simulate") / "data" / "service.toml").read_text("utf-8")
    raw: list[dict[str, Any]] = tomllib.loads(text)["topic"]
    return Topics(
        keys=[t["key"] for t in raw],
        ticket=[t["ticket"] for t in raw],
        tier=np.array([t["tier"] for t in raw], dtype=np.int64),
        ratings=np.array([t["ratings"] for t in raw], dtype=np.float64),
        texts=[list(t["texts"]) for t in raw],
    )


def feedback(
    orders: DayOrders,
    fulfilment: Fulfilment,
    returns: Batch,
    *,
    day_number: int,
    crowd: float,
    gen: np.random.Generator,
) -> Batch:
    """Today's feedback. Columns: seconds (local, since 1970), source, member, order (index
    into today's orders, -1: none), order_text (returns), store, channel, rating, nps (-1),
    topic (-1: none), sku (for the text, -1: none)."""
    t = topics()
    online = orders.channel != POS
    member = orders.member >= 0
    u = gen.random(orders.count)
    late = fulfilment.late & (u < LATE_FEEDBACK)
    short = (orders.lost_lines > 0) & ~late
    short &= u < np.where(online, STOCKOUT_FEEDBACK_ONLINE, STOCKOUT_FEEDBACK_STORE * member)
    rest = (
        ~late
        & ~short
        & (u < np.where(online, ONLINE_FEEDBACK, STORE_FEEDBACK * _crowding(crowd) * member))
    )
    topic = np.full(orders.count, -1, dtype=np.int64)
    topic[late] = t.index("配送慢")
    topic[short] = t.index("缺货")
    topic[rest] = _casual_topic(rest, online, crowd, gen)
    chosen = np.flatnonzero(topic >= 0)
    base = orders.seconds[chosen] + day_number * 86_400
    after = np.where(fulfilment.delivered[chosen] > 0, fulfilment.delivered[chosen], base)
    source = np.where(
        orders.channel[chosen] == POS,
        np.where(gen.random(chosen.size) < 0.5, COMMUNITY, PHONE),
        np.where(np.isin(orders.channel[chosen], [APP, MINI]), APP_REVIEW, PLATFORM_REVIEW),
    )
    first_line = np.searchsorted(orders.line_order, chosen)
    rows = [
        _rows(
            seconds=after + gen.integers(600, 6 * 3600, chosen.size),
            source=source,
            member=orders.member[chosen],
            order=chosen,
            store=orders.store[chosen],
            channel=orders.channel[chosen],
            topic=topic[chosen],
            sku=orders.sku[np.minimum(first_line, orders.sku.size - 1)],
            gen=gen,
        )
    ]
    rows.append(_return_feedback(returns, day_number=day_number, gen=gen))
    rows.append(_surveys(orders, fulfilment, day_number=day_number, gen=gen))
    return Batch.concat([r for r in rows if len(r)])


def _crowding(crowd: float) -> float:
    return 1.0 + 2.0 * max(0.0, crowd - 1.1)


def _casual_topic(
    rows: np.ndarray, online: np.ndarray, crowd: float, gen: np.random.Generator
) -> IntArray:
    t = topics()
    n = int(rows.sum())
    web = online[rows]
    names_web = ["好评", "价格", "服务态度", "商品质量"]
    names_store = ["好评", "排队久", "服务态度", "价格"]
    p_web = np.array([0.6, 0.15, 0.1, 0.15])
    p_store = np.array([0.4, 0.25 * _crowding(crowd), 0.2, 0.15])
    pick_web = gen.choice(4, size=n, p=p_web / p_web.sum())
    pick_store = gen.choice(4, size=n, p=p_store / p_store.sum())
    web_idx = np.array([t.index(k) for k in names_web])[pick_web]
    store_idx = np.array([t.index(k) for k in names_store])[pick_store]
    return np.where(web, web_idx, store_idx).astype(np.int64)


def _return_feedback(returns: Batch, *, day_number: int, gen: np.random.Generator) -> Batch:
    if not len(returns):
        return Batch({})
    c = returns.columns
    t = topics()
    bad = np.isin(c["reason"], [QUALITY, NOT_FRESH]) & (c["member"] >= 0)
    bad &= gen.random(bad.size) < RETURN_FEEDBACK
    rows = np.flatnonzero(bad)
    topic = np.where(c["reason"][rows] == NOT_FRESH, t.index("生鲜不新鲜"), t.index("商品质量"))
    return _rows(
        seconds=day_number * 86_400 + gen.integers(9 * 3600, 21 * 3600, rows.size),
        source=np.full(rows.size, TICKET),
        member=c["member"][rows],
        order=np.full(rows.size, -1),
        store=c["store"][rows],
        channel=c["channel"][rows],
        topic=topic,
        sku=c["sku"][rows],
        gen=gen,
        order_text=c["order"][rows],
    )


def _surveys(
    orders: DayOrders, fulfilment: Fulfilment, *, day_number: int, gen: np.random.Generator
) -> Batch:
    """NPS surveys after a sample of members' orders: how likely they are to recommend us,
    lower after a late delivery or a stock-out."""
    asked = np.flatnonzero((orders.member >= 0) & (gen.random(orders.count) < SURVEY_SHARE))
    mean = np.where(fulfilment.late[asked], 4.0, np.where(orders.lost_lines[asked] > 0, 6.0, 8.5))
    nps = np.clip(np.round(gen.normal(mean, 1.8)), 0, 10).astype(np.int64)
    batch = _rows(
        seconds=day_number * 86_400
        + orders.seconds[asked]
        + gen.integers(3600, 20 * 3600, asked.size),
        source=np.full(asked.size, SURVEY),
        member=orders.member[asked],
        order=asked,
        store=orders.store[asked],
        channel=orders.channel[asked],
        topic=np.full(asked.size, -1),
        sku=np.full(asked.size, -1),
        gen=gen,
    )
    batch.columns["nps"] = nps
    batch.columns["rating"] = np.clip(np.round(nps / 2), 1, 5).astype(np.int64)
    return batch


def _rows(
    *,
    seconds: IntArray,
    source: IntArray,
    member: IntArray,
    order: IntArray,
    store: IntArray,
    channel: IntArray,
    topic: IntArray,
    sku: IntArray,
    gen: np.random.Generator,
    order_text: np.ndarray | None = None,
) -> Batch:
    t = topics()
    n = topic.size
    cdf = np.cumsum(t.ratings, axis=1)[np.maximum(topic, 0)]
    rating = 1 + (gen.random(n)[:, None] > cdf).sum(axis=1)
    template = gen.integers(0, 1_000, n)
    return Batch(
        {
            "seconds": np.asarray(seconds, np.int64),
            "source": np.asarray(source, np.int64),
            "member": np.asarray(member, np.int64),
            "order": np.asarray(order, np.int64),
            "order_text": order_text if order_text is not None else np.full(n, None, object),
            "store": np.asarray(store, np.int64),
            "channel": np.asarray(channel, np.int64),
            "rating": np.minimum(rating, 5).astype(np.int64),
            "nps": np.full(n, -1, np.int64),
            "topic": np.asarray(topic, np.int64),
            "sku": np.asarray(sku, np.int64),
            "template": template.astype(np.int64),
        }
    )


def feedback_texts(
    topic: IntArray,
    template: IntArray,
    sku: IntArray,
    store: IntArray,
    *,
    catalogue: Catalogue,
    stores: Stores,
) -> pa.Array:
    """The text customers wrote: a template of the topic with the product and store filled
    in (null for surveys without a topic). Built per template, not per row."""
    t = topics()
    n = topic.size
    item = pa.array(catalogue.products.names).take(pa.array(np.maximum(sku, 0)))
    place = pa.array(stores.names).take(pa.array(store))
    out = pa.nulls(n, pa.string())
    for k, texts in enumerate(t.texts):
        for j, text in enumerate(texts):
            rows = np.flatnonzero((topic == k) & (template % len(texts) == j))
            if rows.size:
                filled = _fill(text, item.take(pa.array(rows)), place.take(pa.array(rows)))
                out = pc.replace_with_mask(out, _mask(rows, n), filled)
    return out


def _fill(text: str, item: pa.Array, place: pa.Array) -> pa.Array:
    parts: list[pa.Array | str] = []
    for piece in re.split(r"(\{item\}|\{store\})", text):
        if piece == "{item}":
            parts.append(item)
        elif piece == "{store}":
            parts.append(place)
        elif piece:
            parts.append(piece)
    if not any(isinstance(p, pa.Array) for p in parts):
        return pa.repeat(pa.scalar(text, pa.string()), len(item))
    return pc.binary_join_element_wise(*parts, "")


def _mask(rows: IntArray, n: int) -> pa.Array:
    mask = np.zeros(n, dtype=bool)
    mask[rows] = True
    return pa.array(mask)


def tickets(
    fb: Batch,
    *,
    end_seconds: int,
    payment_failures: IntArray,
    orders: DayOrders,
    day_number: int,
    gen: np.random.Generator,
) -> Batch:
    """Tickets from low ratings (and payment failures, tier 1). Columns: feedback row (-1),
    seconds, tier, category, member, order, order_text, store, first_response, resolved
    (-1: not yet), status."""
    t = topics()
    c = fb.columns if len(fb) else {}
    low = np.flatnonzero((c["topic"] >= 0) & (c["rating"] <= 2)) if c else np.zeros(0, np.int64)
    low = low[gen.random(low.size) < TICKET_SHARE]
    tier = np.r_[
        t.tier[c["topic"][low]] if c else np.zeros(0, np.int64),
        np.ones(payment_failures.size, np.int64),
    ]
    opened = np.r_[
        c["seconds"][low] if c else np.zeros(0, np.int64),
        day_number * 86_400 + orders.seconds[payment_failures],
    ]
    opened = opened + gen.integers(60, 900, opened.size)
    median = np.array([RESPONSE_MEDIAN[int(x)] for x in range(1, 4)])[tier - 1]
    response = opened + (np.exp(gen.normal(np.log(median), 0.7)) * 60).astype(np.int64)
    resolved = response + (np.exp(gen.normal(np.log(median * 4), 0.8)) * 60).astype(np.int64)
    status = np.where(resolved <= end_seconds, 3, np.where(response <= end_seconds, 1, 0))
    return Batch(
        {
            "feedback": np.r_[low, np.full(payment_failures.size, -1)].astype(np.int64),
            "seconds": opened.astype(np.int64),
            "tier": tier.astype(np.int64),
            "category": np.r_[
                c["topic"][low] if c else np.zeros(0, np.int64), np.full(payment_failures.size, -1)
            ].astype(np.int64),
            "first_response": np.where(response <= end_seconds, response, -1).astype(np.int64),
            "resolved": np.where(resolved <= end_seconds, resolved, -1).astype(np.int64),
            "status": status.astype(np.int64),
            "payment_order": np.r_[np.full(low.size, -1), payment_failures].astype(np.int64),
        }
    )


def payment_failures(orders: DayOrders, gen: np.random.Generator) -> IntArray:
    """Online orders whose payment failed once before going through (tier-1 tickets)."""
    online = orders.channel != POS
    return np.flatnonzero(online & (gen.random(orders.count) < PAYMENT_FAILURE)).astype(np.int64)
