"""Demand: who shops today, where, when, and which SKUs land in their baskets.

A day's demand is built in three steps, each vectorised over all trips or lines:

1. trips — each active member shops with probability rate × the day's traffic multiplier of
   their channel; guests walk in (and order through delivery platforms) at Poisson rates;
2. basket lines — each trip gets a basket size, each line a SKU drawn from the store's
   choice distribution for the shopper's class and channel (static popularity × store ×
   category season and weather × channel × class taste × promotion);
3. quantities — one piece mostly, kilograms for goods sold by weight.

The same weights give the day's expected demand per store × SKU (with and without the
promotions' effect), which the ground truth keeps beside the realised demand.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from newretail.simulate.catalogue import Catalogue
from newretail.simulate.people import CLASSES
from newretail.simulate.places import Stores
from newretail.simulate.promotions import DayPromotions
from newretail.simulate.rng import BoolArray, FloatArray, IntArray, sample_rows

WALK_IN, ONLINE = 0, 1
N_CLASSES = len(CLASSES)
#: store-type taste for top categories (walk-in baskets): convenience stores sell drinks,
#: snacks and ready food; flagships more fresh food and alcohol
TYPE_TASTE: dict[str, dict[str, float]] = {
    "convenience": {"50": 1.6, "40": 1.3, "60": 0.8, "20": 1.3, "10": 0.6},
    "flagship": {"10": 1.2, "50": 1.1},
}
NEW_DAYS = 90
TREND_NEW_BOOST = 4.0
WEIGHED_MEDIAN_KG = 0.55
WEIGHED_SIGMA = 0.45
EXTRA_PIECES = 0.2


@dataclass(frozen=True)
class Assortment:
    """What each store carries and how the static choice weights are made.

    ``weight`` (stores, SKUs): popularity × store-type taste × a local store factor, zero
    where not carried. ``channel`` (2, SKUs): walk-in and online affinity. ``taste``
    (classes, SKUs): how each shopper class weighs the SKU (tier, private label, baby).
    ``mean_qty`` (SKUs): expected quantity of a line.
    """

    carried: BoolArray
    weight: FloatArray
    channel: FloatArray
    taste: FloatArray
    mean_qty: FloatArray


def build_assortment(catalogue: Catalogue, stores: Stores, gen: np.random.Generator) -> Assortment:
    """Each store carries its type's share of every leaf, the most popular SKUs most often;
    convenience stores skip the leaves they do not sell."""
    products, leaves = catalogue.products, catalogue.leaves
    n_stores, n_skus = stores.count, products.count
    score = np.log(products.popularity)[None, :] + gen.normal(0, 1.0, (n_stores, n_skus))
    carried = np.zeros((n_stores, n_skus), dtype=bool)
    counts = np.bincount(products.leaf, minlength=leaves.count)
    for s in range(n_stores):  # one sort per store
        order = np.lexsort((-score[s], products.leaf))
        rank = np.arange(n_skus) - np.repeat(np.cumsum(counts) - counts, counts)
        keep = rank < np.ceil(stores.assortment[s] * counts)[products.leaf[order]]
        carried[s, order] = keep
    convenience = np.array([t == "convenience" for t in stores.types])
    carried &= ~(convenience[:, None] & ~leaves.convenience[products.leaf][None, :])
    top = np.array([leaves.top[i] for i in products.leaf])
    taste = np.ones((n_stores, n_skus))
    for s, kind in enumerate(stores.types):
        for code, factor in TYPE_TASTE.get(kind, {}).items():
            taste[s, top == code] *= factor
    local = gen.lognormal(0.0, 0.35, (n_stores, n_skus))
    weight = np.where(carried, products.popularity[None, :] * taste * local, 0.0)
    online = leaves.online[products.leaf]
    mean_qty = np.where(
        products.weighed, WEIGHED_MEDIAN_KG * np.exp(WEIGHED_SIGMA**2 / 2), 1 + EXTRA_PIECES
    )
    return Assortment(
        carried=carried,
        weight=weight,
        channel=np.stack([np.ones(n_skus), online]),
        taste=_class_taste(catalogue),
        mean_qty=mean_qty,
    )


def _class_taste(catalogue: Catalogue) -> FloatArray:
    """(classes, SKUs) taste factors. Only new parents buy much baby food."""
    p, leaves = catalogue.products, catalogue.leaves
    baby = leaves.baby[p.leaf]
    economy, premium = p.tier == 0, p.tier == 2
    taste = np.ones((N_CLASSES, p.count))
    taste[:, baby] = 0.15
    taste[1] *= np.where(economy, 1.5, 1.0) * np.where(premium, 0.55, 1.0)
    taste[1] *= np.where(p.private, 1.3, 1.0)
    taste[2] *= np.where(economy, 0.7, 1.0) * np.where(premium, 1.8, 1.0)
    taste[2] *= np.where(p.fresh, 1.2, 1.0)
    # new parents: baby goods at full weight, more dairy
    dairy = np.array([top == "20" for top in leaves.top])[p.leaf]
    taste[3] = np.where(dairy, 1.2, 1.0)
    taste[4] *= np.where(premium, 1.2, 1.0)
    return taste


@dataclass
class DayChoice:
    """The day's choice weights and expected demand.

    ``per_sku`` maps (channel, class) to the SKU factor of that group today (present only
    for groups that have lines today); with the static store weights and the class's
    promotion multiplier it gives the group's (stores, SKUs) choice distribution, built
    when lines are drawn so that only one group's matrix is in memory at a time.
    ``expected`` and ``expected_base`` (stores, SKUs) are the expected units given today's
    lines, with and without the promotions' effect.
    """

    assortment: Assortment
    promotions: DayPromotions
    per_sku: dict[tuple[int, int], FloatArray]
    expected: FloatArray
    expected_base: FloatArray

    def weights(self, channel: int, klass: int) -> FloatArray:
        base = self.assortment.weight * self.per_sku[(channel, klass)][None, :]
        return np.asarray(base * self.promotions.class_multiplier(klass), dtype=np.float64)


def day_choice(
    assortment: Assortment,
    *,
    leaf_factor: FloatArray,
    available: BoolArray,
    new_skus: BoolArray,
    promotions: DayPromotions,
    lines: FloatArray,
) -> DayChoice:
    """Choice weights of one day. ``leaf_factor``, ``available`` and ``new_skus`` are per
    SKU; ``lines`` (channels, classes, stores) is the number of basket lines drawn."""
    day = leaf_factor * available
    n_stores, n_skus = assortment.weight.shape
    expected = np.zeros((n_stores, n_skus))
    expected_base = np.zeros((n_stores, n_skus))
    per: dict[tuple[int, int], FloatArray] = {}
    for channel in (WALK_IN, ONLINE):
        for klass in range(N_CLASSES):
            n = lines[channel, klass]
            if not n.any():
                continue
            per_sku = day * assortment.channel[channel] * assortment.taste[klass]
            if CLASSES[klass] == "trend":
                per_sku = per_sku * np.where(new_skus, TREND_NEW_BOOST, 1.0)
            per[(channel, klass)] = per_sku
            base = assortment.weight * per_sku[None, :]
            expected_base += _expected(base, n, assortment.mean_qty)
            base *= promotions.class_multiplier(klass)
            expected += _expected(base, n, assortment.mean_qty)
    return DayChoice(
        assortment=assortment,
        promotions=promotions,
        per_sku=per,
        expected=expected,
        expected_base=expected_base,
    )


def _expected(weight: FloatArray, lines: FloatArray, mean_qty: FloatArray) -> FloatArray:
    total = weight.sum(axis=1)
    share = np.divide(lines, total, out=np.zeros_like(lines), where=total > 0)
    return np.asarray(weight * share[:, None] * mean_qty[None, :], dtype=np.float64)


def _cdf(weight: FloatArray) -> FloatArray:
    cdf = np.cumsum(weight, axis=1)
    total = cdf[:, -1:]
    # a store with nothing to sell in this group gets a flat row (never drawn from)
    return np.asarray(
        np.divide(cdf, total, out=np.ones_like(cdf), where=total > 0), dtype=np.float64
    )


def draw_skus(
    choice: DayChoice, *, channel: IntArray, klass: IntArray, store: IntArray, uniforms: FloatArray
) -> IntArray:
    """The SKU of each line, from its store's distribution for its channel and class."""
    sku = np.zeros(store.size, dtype=np.int64)
    for ch, kl in choice.per_sku:
        rows = np.flatnonzero((channel == ch) & (klass == kl))
        if rows.size:
            sku[rows] = sample_rows(_cdf(choice.weights(ch, kl)), store[rows], uniforms[rows])
    return sku


def draw_quantities(weighed: BoolArray, gen: np.random.Generator) -> FloatArray:
    """Pieces (1 + Poisson) or kilograms (log-normal, to the gram) of each line."""
    n = weighed.size
    pieces = 1 + gen.poisson(EXTRA_PIECES, n)
    kilos = np.round(
        np.clip(np.exp(gen.normal(np.log(WEIGHED_MEDIAN_KG), WEIGHED_SIGMA, n)), 0.05, 5.0), 3
    )
    return np.where(weighed, kilos, pieces).astype(np.float64)
