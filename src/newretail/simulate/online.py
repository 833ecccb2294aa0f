"""Online: fulfilment of online orders, the app / mini-program sessions behind them, and
returns.

Deliveries within 3 km are promised in 30 (forward warehouse) or 45 (store) minutes and
take longer in the rain and at meal times; pick-up orders wait for the customer; presale
orders are promised for the festival's peak day. Every own-channel order comes from a
session (start, views, add to cart, checkout, pay); most sessions end earlier, abandoned at
one of these steps, so that the funnel has real drop-offs. A few lines come back: at the
till a few days later (negative POS rows) or through the online after-sales service.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from newretail.simulate.catalogue import Catalogue
from newretail.simulate.inventory import Batch
from newretail.simulate.orders import DayOrders
from newretail.simulate.people import Members
from newretail.simulate.places import Stores
from newretail.simulate.rng import BoolArray, FloatArray, IntArray, group_rank
from newretail.simulate.seasons import HEAVY_MM, RAINY_MM
from newretail.simulate.trips import APP, DELIVERY, MINI, PICK_UP, POS, PRESALE

EVENT_TYPES = (
    "session_start",
    "view",
    "search",
    "add_to_cart",
    "remove_from_cart",
    "checkout",
    "pay",
)
START, VIEW, SEARCH, CART, UNCART, CHECKOUT, PAY = range(7)
RETURN_REASONS = ("商品质量问题", "生鲜不新鲜", "发错货", "七天无理由", "不想要了")
QUALITY, NOT_FRESH, WRONG_ITEM, NO_REASON, CHANGED_MIND = range(5)
STORE_RETURN_RATE = 0.003
ONLINE_RETURN_RATE = 0.02
FRESH_RETURN_RATE = 0.035


@dataclass
class Fulfilment:
    """Per order: promised and delivered (or picked-up) local times in seconds since
    1970-01-01 (-1: none), lateness and the delivery address."""

    promised: IntArray
    delivered: IntArray
    late: BoolArray
    lat: FloatArray
    lon: FloatArray


def fulfil(
    orders: DayOrders,
    *,
    day_number: int,
    rain_mm: float,
    presale_day: int | None,
    stores: Stores,
    members: Members,
    gen: np.random.Generator,
) -> Fulfilment:
    """When each online order was promised and delivered, and where to."""
    n = orders.count
    t = day_number * 86_400 + orders.seconds
    warehouse = stores.traffic[orders.store] == 0
    promise = np.where(warehouse, 30, 45) * 60
    hour = orders.seconds // 3600
    minutes = np.exp(gen.normal(np.log(np.where(warehouse, 22, 32)), 0.25, n))
    if rain_mm >= RAINY_MM:
        minutes += gen.uniform(8, 25, n) if rain_mm >= HEAVY_MM else gen.uniform(3, 12, n)
    minutes += np.where(((hour >= 11) & (hour <= 12)) | ((hour >= 17) & (hour <= 19)), 5, 0)
    delivery = orders.fulfilment == DELIVERY
    pickup = orders.fulfilment == PICK_UP
    presale = orders.fulfilment == PRESALE
    promised = np.where(delivery, t + promise, -1)
    delivered = np.where(delivery, t + (minutes * 60).astype(np.int64), -1)
    promised = np.where(pickup, t + 1_800, promised)
    delivered = np.where(pickup, t + gen.integers(20, 180, n) * 60, delivered)
    if presale_day is not None:
        due = presale_day * 86_400 + 36_000 + gen.integers(0, 36_000, n)
        promised = np.where(presale, due, promised)
        delivered = np.where(
            presale, due + np.abs(gen.normal(0, 3_600, n)).astype(np.int64), delivered
        )
    who = np.maximum(orders.member, 0)
    guest = orders.member < 0
    lat = np.where(
        guest,
        stores.lat[orders.store] + gen.normal(0, 0.011, n),
        members.lat[who] + gen.normal(0, 0.0005, n),
    )
    lon = np.where(
        guest,
        stores.lon[orders.store] + gen.normal(0, 0.013, n),
        members.lon[who] + gen.normal(0, 0.0006, n),
    )
    online = (orders.channel != POS) & ~pickup
    return Fulfilment(
        promised=promised.astype(np.int64),
        delivered=delivered.astype(np.int64),
        late=delivery & (delivered > promised),
        lat=np.where(online, np.round(lat, 6), np.nan),
        lon=np.where(online, np.round(lon, 6), np.nan),
    )


def sessions(
    orders: DayOrders,
    *,
    conversion: float,
    catalogue: Catalogue,
    members: Members,
    alive: BoolArray,
    gen: np.random.Generator,
) -> Batch:
    """Events of today's app and mini-program sessions: the converting sessions of the
    orders, then the abandoned ones, sorted by time. Columns: session (number of the day),
    seconds, step (index in :data:`EVENT_TYPES`), channel, member, sku, order (-1: none),
    flag (1: the SKU was shown out of stock), amount (fen, pay events), keyword (leaf
    number searched for)."""
    own = np.flatnonzero((orders.channel == APP) | (orders.channel == MINI))
    converting = _converting(orders, own, gen)
    abandoned = _abandoned(
        orders, own, conversion=conversion, members=members, alive=alive, gen=gen
    )
    events = Batch.concat([b for b in (converting, abandoned) if len(b)])
    if not len(events):
        return events
    c = events.columns
    order = np.lexsort((c["step"], c["session"], c["seconds"]))
    c = {k: v[order] for k, v in c.items()}
    c["seconds"] = np.minimum(c["seconds"], 86_399)
    c["amount"] = np.where(c["step"] == PAY, orders.net[np.maximum(c["order"], 0)], 0)
    c["keyword"] = catalogue.products.leaf[np.maximum(c["hint"], 0)]
    return Batch(c)


def session_numbers(orders: DayOrders) -> IntArray:
    """The day's session number of each own-channel order (1-based), -1 for the others."""
    own = (orders.channel == APP) | (orders.channel == MINI)
    return np.where(own, np.cumsum(own), -1).astype(np.int64)


def _converting(orders: DayOrders, own: IntArray, gen: np.random.Generator) -> Batch:
    """Start, a search now and then, a view and an add-to-cart per line, checkout, pay."""
    if not own.size:
        return Batch({})
    lines = np.flatnonzero(np.isin(orders.line_order, own))
    per_order = np.bincount(orders.line_order[lines], minlength=orders.count)[own]
    pay_at = orders.seconds[own]
    start_at = np.maximum(pay_at - 60 - per_order * gen.integers(20, 90, own.size), 0)
    session = np.arange(own.size, dtype=np.int64) + 1
    pos = np.searchsorted(own, orders.line_order[lines])
    j = group_rank(orders.line_order[lines])
    span = pay_at[pos] - start_at[pos]
    at = start_at[pos] + (span * (j + 1) / (per_order[pos] + 2)).astype(np.int64)
    searched = gen.random(own.size) < 0.4
    first_sku = np.zeros(own.size, dtype=np.int64)
    first_sku[pos[j == 0]] = orders.sku[lines][j == 0]
    rows = [
        _rows(session, start_at, START, own=own),
        _rows(
            session[searched],
            start_at[searched] + 5,
            SEARCH,
            own=own[searched],
            hint=first_sku[searched],
        ),
        _rows(session[pos], at, VIEW, own=own[pos], sku=orders.sku[lines]),
        _rows(session[pos], at + 8, CART, own=own[pos], sku=orders.sku[lines]),
        _rows(session, pay_at - 30, CHECKOUT, own=own),
        _rows(session, pay_at, PAY, own=own, order=own),
    ]
    lost_order, lost_sku = orders.lost_lines_online
    mine = np.isin(lost_order, own)
    if mine.any():
        k = np.searchsorted(own, lost_order[mine])
        rows.append(
            _rows(session[k], start_at[k] + 12, VIEW, own=own[k], sku=lost_sku[mine], flag=1)
        )
    batch = Batch.concat(rows)
    batch.columns["channel"] = orders.channel[batch.columns["own"]]
    batch.columns["member"] = orders.member[batch.columns["own"]]
    return batch


def _abandoned(
    orders: DayOrders,
    own: IntArray,
    *,
    conversion: float,
    members: Members,
    alive: BoolArray,
    gen: np.random.Generator,
) -> Batch:
    """Sessions that never pay: views only, or a cart left behind, or a checkout dropped."""
    n = round(own.size * (1 / conversion - 1))
    if n == 0 or own.size == 0:
        return Batch({})
    base = own.size
    session = np.arange(n, dtype=np.int64) + base + 1
    start_at = np.clip(orders.seconds[gen.choice(own, n)] + gen.integers(-1800, 1800, n), 0, 86_000)
    pool = orders.sku[np.isin(orders.line_order, own)]
    views = 1 + gen.geometric(0.45, n) - 1
    owner = np.repeat(np.arange(n), views)
    step = group_rank(owner)
    view_at = start_at[owner] + 20 + step * gen.integers(15, 60, owner.size)
    cart = gen.random(n) < 0.35
    checkout = cart & (gen.random(n) < 0.3)
    removed = cart & ~checkout & (gen.random(n) < 0.2)
    sku_of = pool[gen.integers(0, pool.size, owner.size)]
    first_view = np.flatnonzero(step == 0)
    cart_sku = sku_of[first_view]
    end_at = view_at[first_view] + 10
    logged_in = gen.random(n) < 0.5
    candidates = np.flatnonzero(alive & (members.online_pref > 0.2))
    member = np.where(
        logged_in & (candidates.size > 0),
        candidates[gen.integers(0, max(candidates.size, 1), n)] if candidates.size else -1,
        -1,
    )
    channel = np.where(gen.random(n) < 0.5, APP, MINI)
    rows = [
        _rows(session, start_at, START),
        _rows(session[owner], view_at, VIEW, sku=sku_of),
        _rows(session[cart], end_at[cart], CART, sku=cart_sku[cart]),
        _rows(session[removed], end_at[removed] + 40, UNCART, sku=cart_sku[removed]),
        _rows(session[checkout], end_at[checkout] + 30, CHECKOUT),
    ]
    batch = Batch.concat(rows)
    idx = batch.columns["session"] - base - 1
    batch.columns["channel"] = channel[idx]
    batch.columns["member"] = member[idx]
    return batch


def _rows(
    session: IntArray,
    seconds: IntArray,
    step: int,
    *,
    own: IntArray | None = None,
    sku: IntArray | None = None,
    order: IntArray | None = None,
    flag: int = 0,
    hint: IntArray | None = None,
) -> Batch:
    n = session.size
    none = np.full(n, -1, dtype=np.int64)
    return Batch(
        {
            "hint": none if hint is None else hint.astype(np.int64),
            "session": session.astype(np.int64),
            "seconds": np.asarray(seconds, dtype=np.int64),
            "step": np.full(n, step, dtype=np.int64),
            "own": none if own is None else own.astype(np.int64),
            "sku": none if sku is None else sku.astype(np.int64),
            "order": none if order is None else order.astype(np.int64),
            "flag": np.full(n, flag, dtype=np.int64),
        }
    )


def schedule_returns(
    orders: DayOrders, *, day: int, catalogue: Catalogue, gen: np.random.Generator
) -> list[tuple[int, Batch]]:
    """Lines that will come back, grouped by the day they do: walk-in lines at the till
    1–7 days later, online lines through after-sales 0–5 days later (fresh goods more
    often, mostly as not fresh). Columns: online (0/1), store, channel, member, sku,
    quantity, refund (fen), reason, order (original order id)."""
    products = catalogue.products
    online = orders.channel[orders.line_order] != POS
    fresh = products.fresh[orders.sku]
    rate = np.where(
        online, np.where(fresh, FRESH_RETURN_RATE, ONLINE_RETURN_RATE), STORE_RETURN_RATE
    )
    back = np.flatnonzero(gen.random(rate.size) < rate)
    if not back.size:
        return []
    lag = np.where(online[back], gen.integers(0, 6, back.size), gen.integers(1, 8, back.size))
    u = gen.random(back.size)
    reason = np.where(
        fresh[back],
        np.where(u < 0.6, NOT_FRESH, QUALITY),
        np.where(u < 0.3, QUALITY, np.where(u < 0.5, WRONG_ITEM, NO_REASON)),
    )
    reason = np.where(online[back], reason, np.where(u < 0.5, QUALITY, CHANGED_MIND))
    owner = orders.line_order[back]
    ids = np.asarray(orders.order_id.take(pa.array(owner)).to_numpy(zero_copy_only=False))
    batch = Batch(
        {
            "online": online[back].astype(np.int64),
            "store": orders.store[owner],
            "channel": orders.channel[owner],
            "member": orders.member[owner],
            "sku": orders.sku[back],
            "quantity": orders.quantity[back],
            "refund": orders.line_net[back],
            "reason": reason.astype(np.int64),
            "order": ids,
            "sold_day": np.full(back.size, day, dtype=np.int64),
        }
    )
    return [
        (day + int(d), Batch({k: v[lag == d] for k, v in batch.columns.items()}))
        for d in np.unique(lag)
    ]
