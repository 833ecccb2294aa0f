"""Promotions: the plan (weekly flyer, store anniversaries, festival campaigns) and their
effect on demand.

A promoted SKU's choice weight is multiplied by its lift, ``(1 - discount) ** -elasticity``
times a display boost; price-sensitive shoppers respond more (the lift raised to a class
exponent), quality-oriented ones less. Other SKUs of the same leaf category in the same
stores lose a share (cannibalisation), and the promoted SKU sells less for a week after the
promotion while shoppers use up what they stocked (the post-promotion dip).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from newretail.core import calendar
from newretail.simulate.catalogue import Catalogue
from newretail.simulate.config import SimulationConfig
from newretail.simulate.rng import SETUP, BoolArray, FloatArray, IntArray, Stream, rng

#: lift exponent by shopper class (neutral, price-sensitive, quality, new parent, trend)
CLASS_GAMMA = np.array([1.0, 1.5, 0.6, 1.0, 1.0])
DIP_DAYS = 7
DISPLAY_BOOST = 1.15
ALL_STORES = -1
_FESTIVAL_CAMPAIGNS = ("spring_festival", "618", "mid_autumn", "double_11", "double_12")


@dataclass
class PromotionPlan:
    """Promotions (one entry per promotion) and their items (one per SKU × store scope).

    Item days are relative to the first simulated day, both ends inclusive; ``store`` is a
    store number or :data:`ALL_STORES`.
    """

    ids: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    mechanics: list[str] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    festivals: list[str | None] = field(default_factory=list)
    budgets: list[int] = field(default_factory=list)
    item_promo: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    item_sku: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    item_store: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    discount: FloatArray = field(default_factory=lambda: np.zeros(0))
    promo_price: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    lift: FloatArray = field(default_factory=lambda: np.zeros(0))
    cannibalisation: FloatArray = field(default_factory=lambda: np.zeros(0))
    dip: FloatArray = field(default_factory=lambda: np.zeros(0))

    @property
    def item_start(self) -> IntArray:
        return np.array(self.starts, dtype=np.int64)[self.item_promo]

    @property
    def item_end(self) -> IntArray:
        return np.array(self.ends, dtype=np.int64)[self.item_promo]


@dataclass(frozen=True)
class DayPromotions:
    """The promotions' effect on one day, as (stores, SKUs) arrays.

    ``item`` is the active promotion item (-1: none); ``factor`` the weight multiplier for
    the neutral class apart from the lift (cannibalisation × dip); ``lift`` the lift where
    an item is active (1 elsewhere).
    """

    item: IntArray
    lift: FloatArray
    factor: FloatArray

    def class_multiplier(self, klass: int) -> FloatArray:
        return np.asarray(self.lift ** CLASS_GAMMA[klass] * self.factor, dtype=np.float64)


def build_plan(config: SimulationConfig, catalogue: Catalogue, n_stores: int) -> PromotionPlan:
    """Festival campaigns first (they are planned months ahead), then store anniversaries
    and the weekly flyer on SKUs that are free of another promotion and its dip."""
    gen = rng(config.seed, SETUP, Stream.PROMOTIONS)
    products = catalogue.products
    busy = np.zeros((products.count, config.days + DIP_DAYS + 1), dtype=bool)
    items: list[tuple[int, IntArray, int, FloatArray]] = []
    plan = PromotionPlan()
    per_week = max(1, round(config.promo_share * products.count))
    for key, start, end, name in _festival_windows(config):
        fit = np.array([key in catalogue.leaves.festivals[leaf] for leaf in products.leaf])
        skus = _pick(
            gen, products.popularity * np.where(fit, 4.0, 1.0), busy, start, end, 2 * per_week
        )
        _add(
            plan,
            items,
            busy,
            name=name,
            mechanic="discount",
            start=start,
            end=end,
            festival=key,
            skus=skus,
            store=ALL_STORES,
            discount=gen.uniform(0.2, 0.4, skus.size),
        )
    if config.days >= 30:
        for store in range(n_stores):
            start = int(gen.integers(7, config.days - 3))
            skus = _pick(gen, products.popularity, busy, start, start + 2, max(5, per_week // 2))
            _add(
                plan,
                items,
                busy,
                name=f"门店店庆 S{store + 1:03d}",
                mechanic="discount",
                start=start,
                end=start + 2,
                festival=None,
                skus=skus,
                store=store,
                discount=np.full(skus.size, 0.15),
            )
    for week_start in range(0, config.days, 7):
        end = min(week_start + 6, config.days - 1)
        day = config.start + timedelta(days=week_start)
        skus = _pick(gen, np.sqrt(products.popularity), busy, week_start, end, per_week)
        steps = gen.choice(
            [0.1, 0.15, 0.2, 0.25, 0.3], size=skus.size, p=[0.2, 0.25, 0.3, 0.15, 0.1]
        )
        _add(
            plan,
            items,
            busy,
            name=f"{day:%m月%d日}周特惠",
            mechanic="special_price",
            start=week_start,
            end=end,
            festival=None,
            skus=skus,
            store=ALL_STORES,
            discount=steps,
        )
    _finish(plan, items, catalogue, gen)
    return plan


def _festival_windows(config: SimulationConfig) -> list[tuple[str, int, int, str]]:
    """Festival campaign windows inside the period (Spring Festival: the weeks before)."""
    found = []
    for year in range(config.start.year, config.end.year + 1):
        for festival in calendar.festival_windows(year):
            if festival.key not in _FESTIVAL_CAMPAIGNS:
                continue
            last = festival.end
            if festival.key == "spring_festival":
                last = calendar.spring_festival(year) - timedelta(days=1)
            start, end = _clip(config, festival.start, last)
            if start <= end:
                found.append((festival.key, start, end, f"{festival.name_zh}大促"))
    return sorted(found, key=lambda f: (f[1], f[0]))


def _clip(config: SimulationConfig, first: date, last: date) -> tuple[int, int]:
    return max(0, (first - config.start).days), min(config.days - 1, (last - config.start).days)


def _pick(
    gen: np.random.Generator, weight: FloatArray, busy: BoolArray, start: int, end: int, n: int
) -> IntArray:
    """Up to ``n`` SKUs, drawn by ``weight``, with no promotion or dip in [start, end]."""
    free = ~busy[:, start : end + DIP_DAYS + 1].any(axis=1)
    p = np.where(free, weight, 0.0)
    n = min(n, int(np.count_nonzero(p)))
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    return np.sort(gen.choice(p.size, size=n, replace=False, p=p / p.sum())).astype(np.int64)


def _add(
    plan: PromotionPlan,
    items: list[tuple[int, IntArray, int, FloatArray]],
    busy: BoolArray,
    *,
    name: str,
    mechanic: str,
    start: int,
    end: int,
    festival: str | None,
    skus: IntArray,
    store: int,
    discount: FloatArray,
) -> None:
    if skus.size == 0:
        return
    index = len(plan.ids)
    plan.ids.append(f"PR{index + 1:05d}")
    plan.names.append(name)
    plan.mechanics.append(mechanic)
    plan.starts.append(start)
    plan.ends.append(end)
    plan.festivals.append(festival)
    plan.budgets.append(int(skus.size * 150_000))
    busy[skus, start : end + DIP_DAYS + 1] = True
    items.append((index, skus, store, discount))


def _finish(
    plan: PromotionPlan,
    items: list[tuple[int, IntArray, int, FloatArray]],
    catalogue: Catalogue,
    gen: np.random.Generator,
) -> None:
    """Item arrays with promotional prices, lifts, cannibalisation and dips."""
    if not items:
        return
    products = catalogue.products
    plan.item_promo = np.concatenate([np.full(s.size, i, np.int64) for i, s, _, _ in items])
    plan.item_sku = np.concatenate([s for _, s, _, _ in items])
    plan.item_store = np.concatenate([np.full(s.size, st, np.int64) for _, s, st, _ in items])
    plan.discount = np.round(np.concatenate([d for _, _, _, d in items]), 2)
    regular = products.price[plan.item_sku]
    plan.promo_price = np.maximum(10, (regular * (1 - plan.discount) // 10) * 10).astype(np.int64)
    actual = 1 - plan.promo_price / regular
    elasticity = products.elasticity[plan.item_sku]
    plan.lift = (1 - actual) ** -elasticity * DISPLAY_BOOST
    plan.cannibalisation = np.minimum(0.35, 0.12 * (plan.lift - 1))
    plan.dip = np.minimum(0.4, 0.15 * (plan.lift - 1)) * gen.uniform(0.8, 1.2, plan.lift.size)


def day_promotions(
    plan: PromotionPlan, day: int, *, n_stores: int, leaf: IntArray, n_leaves: int
) -> DayPromotions:
    """Lifts, cannibalisation and dips of ``day`` over every store × SKU."""
    n_skus = leaf.size
    item = np.full((n_stores, n_skus), -1, dtype=np.int64)
    lift = np.ones((n_stores, n_skus))
    factor = np.ones((n_stores, n_skus))
    if plan.item_sku.size == 0:
        return DayPromotions(item, lift, factor)
    start, end = plan.item_start, plan.item_end
    active = np.flatnonzero((start <= day) & (day <= end))
    rows, cols, which = _cells(plan, active, n_stores)
    item[rows, cols] = which
    keep = np.zeros((n_stores, n_leaves))
    np.add.at(keep, (rows, leaf[cols]), np.log1p(-plan.cannibalisation[which]))
    promoted = item >= 0
    lift[promoted] = plan.lift[item[promoted]]
    factor = np.where(promoted, 1.0, np.exp(keep[:, leaf]))
    after = np.flatnonzero((end < day) & (day <= end + DIP_DAYS))
    rows, cols, which = _cells(plan, after, n_stores)
    fade = 1 - (day - end[which] - 1) / DIP_DAYS
    factor[rows, cols] *= 1 - plan.dip[which] * fade
    return DayPromotions(item, lift, factor)


def _cells(
    plan: PromotionPlan, chosen: IntArray, n_stores: int
) -> tuple[IntArray, IntArray, IntArray]:
    """Store, SKU and item of every cell the ``chosen`` items cover: every store for a
    chain-wide item, its own store otherwise."""
    stores = plan.item_store[chosen]
    wide = chosen[stores == ALL_STORES]
    own = chosen[stores != ALL_STORES]
    rows = np.r_[np.repeat(np.arange(n_stores), wide.size), plan.item_store[own]]
    which = np.r_[np.tile(wide, n_stores), own].astype(np.int64)
    return rows.astype(np.int64), plan.item_sku[which], which


def promo_days(plan: PromotionPlan, day: int, horizon: IntArray, n_stores: int) -> FloatArray:
    """(stores, SKUs) extra days of demand the planned promotions add between tomorrow and
    each SKU's horizon: the sum over promotion days in that window of (lift - 1)."""
    extra = np.zeros((n_stores, horizon.size))
    if plan.item_sku.size == 0:
        return extra
    start, end = plan.item_start, plan.item_end
    reach = day + int(horizon.max())
    soon = np.flatnonzero((end > day) & (start <= reach))
    rows, cols, which = _cells(plan, soon, n_stores)
    last = np.minimum(end[which], day + horizon[cols])
    overlap = np.maximum(last - np.maximum(start[which], day + 1) + 1, 0)
    np.add.at(extra, (rows, cols), (plan.lift[which] - 1) * overlap)
    return extra
