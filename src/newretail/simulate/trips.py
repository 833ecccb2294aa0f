"""Trips: the day's shopping occasions of members and guests, with channel, store, time of
day, basket size and fulfilment.

Members follow the BG/NBD-like process of :mod:`newretail.simulate.people`: at most one
occasion a day, with probability rate × today's traffic multiplier of the channel chosen,
and a dropout draw after each occasion. New members make their first purchase on the day
they join, through the channel they join by.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from newretail.simulate.people import Members
from newretail.simulate.places import CHANNEL_IDS, Stores
from newretail.simulate.rng import BoolArray, FloatArray, IntArray, sample_rows
from newretail.simulate.seasons import STORE_TYPES, DayEffects

POS, APP, MINI, MEITUAN, ELEME = (
    CHANNEL_IDS.index(c) for c in ("pos", "app", "mini", "meituan", "eleme")
)
FULFILMENTS = ("in_store", "delivery", "pick_up", "presale")
IN_STORE, DELIVERY, PICK_UP, PRESALE = range(4)
PICK_UP_SHARE = 0.15
PRESALE_SHARE = 0.25
PRESALE_FESTIVALS = ("618", "double_11")
BIRTHDAY_BOOST = 1.5
ONLINE_BASKET = 5.0
PLATFORM_BASKET = 2.5
BASKET_DISPERSION = 1.5
#: share of guests among online (delivery platform) orders, relative to members' online trips
PLATFORM_GUESTS = 0.8

# hour-of-day profiles (0–23): walk-in by store type, own online shop, delivery platforms
_WALK_IN = {
    "community": [
        0.1,
        0.05,
        0,
        0,
        0,
        0.1,
        0.6,
        2.0,
        2.6,
        2.0,
        1.7,
        1.8,
        1.7,
        1.2,
        1.1,
        1.3,
        1.9,
        2.8,
        3.1,
        2.6,
        1.8,
        1.0,
        0.4,
        0.2,
    ],
    "flagship": [
        0,
        0,
        0,
        0,
        0,
        0,
        0.2,
        0.8,
        1.4,
        1.8,
        2.2,
        2.4,
        2.2,
        2.0,
        2.0,
        2.1,
        2.4,
        2.8,
        3.0,
        2.8,
        2.2,
        1.5,
        0.6,
        0.1,
    ],
    "convenience": [
        0.5,
        0.35,
        0.25,
        0.2,
        0.2,
        0.4,
        1.2,
        2.6,
        2.8,
        1.6,
        1.2,
        1.6,
        2.0,
        1.4,
        1.0,
        1.1,
        1.4,
        2.0,
        2.4,
        2.0,
        1.7,
        1.5,
        1.2,
        0.8,
    ],
    "forward_warehouse": [1.0] * 24,
}
_OWN_ONLINE = [
    0.3,
    0.15,
    0.08,
    0.05,
    0.05,
    0.1,
    0.4,
    1.0,
    1.5,
    1.8,
    2.0,
    2.1,
    1.6,
    1.2,
    1.1,
    1.2,
    1.6,
    2.0,
    1.8,
    1.9,
    2.4,
    2.5,
    1.8,
    0.9,
]
_PLATFORM = [
    0.4,
    0.25,
    0.1,
    0.05,
    0.05,
    0.1,
    0.3,
    0.7,
    0.9,
    1.0,
    1.8,
    2.8,
    2.4,
    1.2,
    1.0,
    1.1,
    1.6,
    2.6,
    2.9,
    2.2,
    1.6,
    1.8,
    1.6,
    0.9,
]


@dataclass
class Trips:
    """One entry per trip (a would-be order)."""

    store: IntArray
    channel: IntArray
    member: IntArray  # -1: a guest
    klass: IntArray
    basket: IntArray
    seconds: IntArray  # since the store's local midnight
    fulfilment: IntArray

    @property
    def count(self) -> int:
        return int(self.store.size)

    @property
    def online(self) -> BoolArray:
        return np.asarray(self.channel != POS)


@dataclass(frozen=True)
class TripRates:
    """Guest traffic per store at a traffic multiplier of 1."""

    walk_in_guests: FloatArray
    platform_guests: FloatArray


def guest_rates(members: Members, stores: Stores, guest_share: float) -> TripRates:
    """Guest rates sized against members' expected trips at the start: guests make
    ``guest_share`` of walk-in trips, and platform guests add to members' online orders."""
    active = members.alive_at_start & (members.join_day < 0)
    walk = np.bincount(
        members.home_store, members.rate * (1 - members.online_pref) * active, stores.count
    )
    online = np.bincount(
        members.fulfiller, members.rate * members.online_pref * active, stores.count
    )
    walk = np.maximum(walk, 1.0) * (stores.traffic > 0)
    return TripRates(
        walk_in_guests=np.asarray(walk * guest_share / (1 - guest_share), dtype=np.float64),
        platform_guests=np.asarray(np.maximum(online, 0.5) * PLATFORM_GUESTS, dtype=np.float64),
    )


def _probabilities(
    members: Members,
    alive: BoolArray,
    day: int,
    effects: DayEffects,
    type_of_store: IntArray,
    birthday_week: BoolArray,
) -> tuple[FloatArray, FloatArray, BoolArray]:
    """Each member's probability of a walk-in and of an online trip today (0 for members
    not active), and who joins today."""
    joining = members.join_day == day
    eligible = alive & (members.join_day <= day) & ~joining
    boost = np.where(birthday_week, BIRTHDAY_BOOST, 1.0)
    walk_f = effects.store_traffic[day][type_of_store[members.home_store]]
    p_walk = members.rate * (1 - members.online_pref) * walk_f * boost
    p_online = members.rate * members.online_pref * effects.online_traffic[day] * boost
    scale = np.minimum(1.0, 0.95 / np.maximum(p_walk + p_online, 1e-12)) * eligible
    return p_walk * scale, p_online * scale, joining


def member_trips(
    members: Members,
    alive: BoolArray,
    day: int,
    effects: DayEffects,
    type_of_store: IntArray,
    birthday_week: BoolArray,
    gen: np.random.Generator,
) -> tuple[IntArray, BoolArray]:
    """Members who shop today and whether online. Joiners always shop on their join day."""
    p_walk, p_online, joining = _probabilities(
        members, alive, day, effects, type_of_store, birthday_week
    )
    u = gen.random(members.count)
    walk = u < p_walk
    online = ~walk & (u < p_walk + p_online)
    shop = walk | online | joining
    online = np.where(joining, members.join_channel != POS, online)
    who = np.flatnonzero(shop)
    return who.astype(np.int64), online[who]


def expected_trips(
    members: Members,
    alive: BoolArray,
    day: int,
    effects: DayEffects,
    type_of_store: IntArray,
    birthday_week: BoolArray,
    rates: TripRates,
) -> tuple[FloatArray, FloatArray]:
    """Expected walk-in trips per store and online trips per fulfilling store today, guests
    included: the traffic the day's multipliers configure, for the ground truth."""
    p_walk, p_online, joining = _probabilities(
        members, alive, day, effects, type_of_store, birthday_week
    )
    n = rates.walk_in_guests.size
    join_walk = joining & (members.join_channel == POS)
    walk = np.bincount(members.home_store, p_walk + join_walk, n).astype(np.float64)
    online = np.bincount(members.fulfiller, p_online + (joining & ~join_walk), n).astype(np.float64)
    walk += rates.walk_in_guests * effects.store_traffic[day][type_of_store]
    online += rates.platform_guests * effects.online_traffic[day]
    return walk, online


def build_trips(
    members: Members,
    who: IntArray,
    online: BoolArray,
    *,
    day: int,
    stores: Stores,
    rates: TripRates,
    effects: DayEffects,
    type_of_store: IntArray,
    presale: bool,
    gen: np.random.Generator,
) -> Trips:
    """Trips of today's shopping members plus guests, with basket sizes, times and
    fulfilment."""
    joining = members.join_day[who] == day
    channel = np.where(online, members.online_channel[who], POS)
    channel = np.where(joining & online, members.join_channel[who], channel)
    fulfilment = _fulfilment(channel, presale, gen)
    store = np.where(fulfilment == PICK_UP, members.home_store[who], members.fulfiller[who])
    store = np.where(channel == POS, members.home_store[who], store)
    walk_guests = gen.poisson(rates.walk_in_guests * effects.store_traffic[day][type_of_store])
    web_guests = gen.poisson(rates.platform_guests * effects.online_traffic[day])
    g_walk = np.repeat(np.arange(stores.count), walk_guests)
    g_web = np.repeat(np.arange(stores.count), web_guests)
    g_channel = np.where(gen.random(g_web.size) < 0.6, MEITUAN, ELEME)
    trips = Trips(
        store=np.r_[store, g_walk, g_web].astype(np.int64),
        channel=np.r_[channel, np.full(g_walk.size, POS), g_channel].astype(np.int64),
        member=np.r_[who, np.full(g_walk.size + g_web.size, -1)].astype(np.int64),
        klass=np.r_[members.klass[who], np.zeros(g_walk.size + g_web.size, np.int64)],
        basket=np.zeros(0, np.int64),
        seconds=np.zeros(0, np.int64),
        fulfilment=np.r_[
            fulfilment, np.full(g_walk.size, IN_STORE), np.full(g_web.size, DELIVERY)
        ].astype(np.int64),
    )
    trips.basket = _baskets(trips, stores, gen)
    weekend = bool(effects.weekday[day] >= 6 or effects.is_holiday[day])
    trips.seconds = _times(trips, stores, weekend, gen)
    return trips


def _fulfilment(channel: IntArray, presale: bool, gen: np.random.Generator) -> IntArray:
    u = gen.random(channel.size)
    own = (channel == APP) | (channel == MINI)
    out = np.where(channel == POS, IN_STORE, DELIVERY)
    out = np.where(own & (u < PICK_UP_SHARE), PICK_UP, out)
    if presale:
        out = np.where(own & (u >= 1 - PRESALE_SHARE), PRESALE, out)
    return out.astype(np.int64)


def _baskets(trips: Trips, stores: Stores, gen: np.random.Generator) -> IntArray:
    """1 + negative binomial: walk-in by store type, larger online, smaller on platforms."""
    mean = np.where(trips.channel == POS, stores.basket[trips.store] - 1, ONLINE_BASKET - 1)
    platform = (trips.channel == MEITUAN) | (trips.channel == ELEME)
    mean = np.maximum(np.where(platform, PLATFORM_BASKET - 1, mean), 0.2)
    k = BASKET_DISPERSION
    return (1 + gen.negative_binomial(k, k / (k + mean))).astype(np.int64)


def _times(trips: Trips, stores: Stores, weekend: bool, gen: np.random.Generator) -> IntArray:
    """Second of the day of each trip, from the hour profile of its kind, inside the hours
    of its store."""
    first, last = stores.hours()
    hours = np.arange(24)
    open_now = (hours[None, :] >= first[:, None]) & (hours[None, :] <= last[:, None])
    shift = np.where(weekend & (hours >= 7) & (hours <= 9), 0.7, 1.0)
    shift = shift * np.where(weekend & (hours >= 10) & (hours <= 16), 1.25, 1.0)
    walk = np.array([_WALK_IN[t] for t in stores.types])
    profiles = np.stack(
        [walk, np.broadcast_to(_OWN_ONLINE, walk.shape), np.broadcast_to(_PLATFORM, walk.shape)],
        axis=1,
    )
    opened = open_now[:, None, :] * shift[None, None, :]
    profiles = np.maximum(profiles * opened, 1e-9 * opened)  # an open hour is never empty
    cdf = np.cumsum(profiles, axis=2)
    cdf = (cdf / cdf[:, :, -1:]).reshape(-1, 24)
    kind = np.where(trips.channel == POS, 0, np.where(trips.channel <= MINI, 1, 2))
    hour = sample_rows(cdf, trips.store * 3 + kind, gen.random(trips.count))
    return (hour * 3600 + gen.integers(0, 3600, trips.count)).astype(np.int64)


def store_type_index(stores: Stores) -> IntArray:
    """Index of each store's type in :data:`STORE_TYPES`."""
    return np.array([STORE_TYPES.index(t) for t in stores.types], dtype=np.int64)
