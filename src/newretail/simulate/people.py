"""People (人): members with the traits that drive what they buy, and how they churn.

Purchase occasions follow a BG/NBD-like process: each member shops at a personal daily rate
drawn from a gamma distribution and, after each purchase, drops out for good with a personal
probability drawn from a beta distribution. Traits (price sensitivity, quality orientation,
trend affinity, life stage, channel preference, coupon response) set which goods a member
picks, which channel they use and whether they redeem coupons; all of them are kept as
ground truth.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from newretail.simulate.config import SimulationConfig
from newretail.simulate.places import ONLINE_CHANNELS, Stores
from newretail.simulate.rng import (
    SETUP,
    BoolArray,
    FloatArray,
    IntArray,
    Stream,
    haversine_km,
    rng,
)
from newretail.simulate.seasons import DayEffects

LIFE_STAGES = ("single", "couple", "new_parents", "family", "senior")
_STAGE_SHARE = np.array([0.28, 0.22, 0.08, 0.30, 0.12])
_STAGE_AGE = ((18, 32), (25, 40), (25, 38), (32, 55), (58, 80))
#: the class that decides a member's basket mix: its dominant trait
CLASSES = ("neutral", "price_sensitive", "quality", "new_parent", "trend")
GENDERS = ("female", "male", "unknown")
TIERS = ("standard", "silver", "gold", "diamond")
#: channels members join through (indexes into places.CHANNELS) and their shares
JOIN_CHANNELS = np.array([0, 2, 1])
_JOIN_SHARE = np.array([0.5, 0.3, 0.2])
DELIVERY_KM = 3.0


@dataclass(frozen=True)
class Members:
    """Every member of the programme (index = member number; id ``M`` + 8 digits)."""

    rate: FloatArray
    dropout: FloatArray
    join_day: IntArray
    join_channel: IntArray
    alive_at_start: BoolArray
    trips_before: IntArray
    home_store: IntArray
    fulfiller: IntArray
    lat: FloatArray
    lon: FloatArray
    online_pref: FloatArray
    online_channel: IntArray
    price_sensitivity: FloatArray
    quality: FloatArray
    trend: FloatArray
    coupon_response: FloatArray
    life_stage: IntArray
    klass: IntArray
    birth: IntArray  # days since 1970-01-01
    gender: IntArray
    tier: IntArray
    consent: BoolArray  # (members, 4): sms, push, wecom, email

    @property
    def count(self) -> int:
        return int(self.rate.size)


def build_members(config: SimulationConfig, stores: Stores, effects: DayEffects) -> Members:
    """``config.members`` members with traits, homes near a store, and join dates."""
    gen = rng(config.seed, SETUP, Stream.MEMBERS)
    n = config.members
    rate = gen.gamma(config.rate_shape, config.member_rate / config.rate_shape, n)
    dropout = gen.beta(config.dropout_a, config.dropout_b, n)
    stage = gen.choice(len(LIFE_STAGES), size=n, p=_STAGE_SHARE)
    traits = _traits(gen, stage, config.online_share)
    join_day, join_channel = _joins(config, effects, gen)
    tenure = np.maximum(-join_day, 0)
    trips_before = gen.poisson(rate * tenure * 0.9)
    alive = gen.random(n) < (1 - dropout) ** trips_before
    home, lat, lon, fulfiller = _homes(stores, n, gen)
    online_channel = _online_channel(gen, stage, join_channel)
    low = np.array([a[0] for a in _STAGE_AGE])[stage]
    span = np.array([a[1] - a[0] + 1 for a in _STAGE_AGE])[stage]
    age = low + np.floor(gen.random(n) * span).astype(np.int64)
    start_days = (np.datetime64(config.start, "D") - np.datetime64("1970-01-01", "D")).astype(int)
    birth = start_days - (age * 365.25 + gen.uniform(0, 365, n)).astype(np.int64)
    return Members(
        rate=rate,
        dropout=dropout,
        join_day=join_day,
        join_channel=join_channel,
        alive_at_start=alive | (join_day >= 0),
        trips_before=trips_before.astype(np.int64),
        home_store=home,
        fulfiller=fulfiller,
        lat=lat,
        lon=lon,
        online_channel=online_channel,
        life_stage=stage.astype(np.int64),
        birth=birth.astype(np.int64),
        gender=gen.choice(3, size=n, p=[0.6, 0.35, 0.05]).astype(np.int64),
        tier=_tiers(rate, tenure, gen),
        consent=_consents(gen, online_channel),
        **traits,
    )


def _traits(gen: np.random.Generator, stage: IntArray, online_share: float) -> dict[str, Any]:
    n = stage.size
    senior, parent = stage == 4, stage == 2
    price = np.clip(gen.beta(2, 2, n) + np.where(senior, 0.15, 0.0), 0, 1)
    quality = np.clip(gen.beta(2, 2.5, n) + np.where(parent, 0.1, 0.0), 0, 1)
    trend = np.clip(gen.beta(1.5, 4, n) + np.where(stage <= 1, 0.1, -0.05), 0, 1)
    coupon = np.clip(0.6 * price + 0.4 * gen.beta(2, 3, n), 0, 1)
    online = gen.beta(2, 2 / max(online_share, 0.01) - 2, n)
    online = np.clip(online * np.where(senior, 0.4, 1.0) * np.where(parent, 1.4, 1.0), 0, 0.95)
    klass = np.zeros(n, dtype=np.int64)
    scores = np.stack([price - 0.65, quality - 0.65, trend - 0.5], axis=1)
    best = np.argmax(scores, axis=1)
    klass = np.where(scores[np.arange(n), best] > 0, np.array([1, 2, 4])[best], klass)
    klass = np.where(parent, 3, klass)
    return {
        "price_sensitivity": price,
        "quality": quality,
        "trend": trend,
        "coupon_response": coupon,
        "online_pref": online,
        "klass": klass.astype(np.int64),
    }


def _joins(
    config: SimulationConfig, effects: DayEffects, gen: np.random.Generator
) -> tuple[IntArray, IntArray]:
    """Join day relative to the first day (negative: before it) and join channel.

    New members join more when traffic is high (festivals, the New Year rush).
    """
    n = config.members
    existing = gen.random(n) < config.existing_members
    weight = effects.store_traffic.mean(axis=1) + effects.online_traffic
    day = gen.choice(config.days, size=n, p=weight / weight.sum())
    before = -gen.integers(1, 3 * 365, n)
    join_day = np.where(existing, before, day).astype(np.int64)
    channel = JOIN_CHANNELS[gen.choice(3, size=n, p=_JOIN_SHARE)]
    return join_day, channel.astype(np.int64)


def _homes(
    stores: Stores, n: int, gen: np.random.Generator
) -> tuple[IntArray, FloatArray, FloatArray, IntArray]:
    """Home store (walk-in, by traffic), home location near it, and the store or forward
    warehouse that delivers to it: the nearest forward warehouse within 3 km, else home."""
    physical = stores.physical
    weight = stores.traffic[physical]
    home = physical[gen.choice(physical.size, size=n, p=weight / weight.sum())]
    lat = np.round(stores.lat[home] + gen.normal(0, 0.9, n) / 111.0, 6)
    lon = np.round(stores.lon[home] + gen.normal(0, 0.9, n) / 95.0, 6)
    warehouses = np.flatnonzero(stores.traffic == 0)
    fulfiller = home.copy()
    if warehouses.size:
        km = haversine_km(
            lat[:, None],
            lon[:, None],
            stores.lat[warehouses][None, :],
            stores.lon[warehouses][None, :],
        )
        nearest = np.argmin(km, axis=1)
        close = km[np.arange(n), nearest] <= DELIVERY_KM
        fulfiller = np.where(close, warehouses[nearest], home)
    return home.astype(np.int64), lat, lon, fulfiller.astype(np.int64)


def _online_channel(gen: np.random.Generator, stage: IntArray, join: IntArray) -> IntArray:
    """The online channel a member uses: own app, mini-program or a delivery platform."""
    n = stage.size
    online = np.array(ONLINE_CHANNELS)
    pick = online[gen.choice(len(online), size=n, p=[0.35, 0.35, 0.18, 0.12])]
    pick = np.where(stage == 4, online[1], pick)  # seniors use the WeChat mini-program
    return np.where(join == 0, pick, join).astype(np.int64)


def _tiers(rate: FloatArray, tenure: IntArray, gen: np.random.Generator) -> IntArray:
    """Tier from spending so far: rate × tenure with noise; about 60/25/12/3 %."""
    score = rate * (30 + tenure) * gen.lognormal(0, 0.3, rate.size)
    cuts = np.quantile(score, [0.60, 0.85, 0.97])
    return np.searchsorted(cuts, score).astype(np.int64)


def _consents(gen: np.random.Generator, online_channel: IntArray) -> BoolArray:
    n = online_channel.size
    app = online_channel == 1
    return np.stack(
        [
            gen.random(n) < 0.62,
            gen.random(n) < np.where(app, 0.55, 0.2),
            gen.random(n) < 0.38,
            gen.random(n) < 0.08,
        ],
        axis=1,
    )


def birthday_month_day(members: Members) -> tuple[IntArray, IntArray]:
    """Month (1–12) and day of month of each member's birthday."""
    dates = np.datetime64("1970-01-01", "D") + members.birth
    months = dates.astype("datetime64[M]")
    month = (months.astype(np.int64) % 12 + 1).astype(np.int64)
    day = ((dates - months).astype(np.int64) + 1).astype(np.int64)
    return month, day
