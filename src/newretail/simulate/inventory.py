"""Stock: what each store holds, how it is replenished, and what it loses.

Each store × SKU follows a periodic-review, order-up-to policy: on its supplier's order
days the store orders, in whole cases, up to the demand it expects over the lead time and
the review period plus safety stock, adding the planned promotions' extra demand. The
forecast it plans with is a smoothed average of its own (censored) sales, so stock-outs
after an unexpected peak are real. Suppliers deliver late or short now and then and
inspection rejects part of some fresh deliveries. Fresh goods are tracked by age, sold
oldest first and written off when they expire; everything suffers occasional shrink.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from newretail.simulate.catalogue import Catalogue
from newretail.simulate.rng import BoolArray, FloatArray, IntArray

LOSS_REASONS = ("过期", "破损", "盗损", "盘亏")
EXPIRED, DAMAGED, THEFT, COUNT_LOSS = range(4)
SHRINK_RATE_DRY = 0.0015
SHRINK_RATE_FRESH = 0.004
Z_DRY = 1.65
Z_FRESH = 0.8
SMOOTHING = 0.12
REJECT_RATE_FRESH = 0.04


@dataclass
class Batch:
    """Rows of one kind produced in a day (receipts, order lines, losses), as arrays."""

    columns: dict[str, np.ndarray]

    def __len__(self) -> int:
        first = next(iter(self.columns.values()), None)
        return 0 if first is None else int(first.size)

    @staticmethod
    def concat(batches: list[Batch]) -> Batch:
        if not batches:
            return Batch({})
        keys = list(batches[0].columns)
        return Batch({k: np.concatenate([b.columns[k] for b in batches]) for k in keys})


@dataclass
class Inventory:
    """Stock state of every store × SKU (zero where the store does not carry it)."""

    on_hand: FloatArray
    on_order: FloatArray
    forecast: FloatArray
    floor: FloatArray
    carried: BoolArray
    fresh: IntArray  # SKU numbers tracked by age
    ages: FloatArray  # (stores, fresh SKUs, age in days)
    pending: dict[int, list[Batch]] = field(default_factory=dict)
    po_count: int = 0


def start_inventory(
    catalogue: Catalogue, carried: BoolArray, baseline: FloatArray, gen: np.random.Generator
) -> Inventory:
    """Opening stock: between half and all of each SKU's order-up-to level."""
    products = catalogue.products
    forecast = np.where(carried, baseline, 0.0)
    lead = catalogue.suppliers.lead_days[products.supplier].astype(np.float64)
    cover = forecast * (lead + 3) + _safety(products.fresh, forecast * (lead + 3))
    on_hand = np.where(
        carried, _whole(cover * gen.uniform(0.5, 1.0, cover.shape), products.weighed), 0.0
    )
    fresh = np.flatnonzero(products.fresh).astype(np.int64)
    width = int(products.shelf_life[fresh].max()) if fresh.size else 1
    ages = np.zeros((carried.shape[0], fresh.size, width))
    ages[:, :, 0] = on_hand[:, fresh]
    return Inventory(
        on_hand=on_hand,
        on_order=np.zeros_like(on_hand),
        forecast=forecast,
        floor=0.3 * forecast,
        carried=carried,
        fresh=fresh,
        ages=ages,
    )


def _safety(fresh: BoolArray, cover_demand: FloatArray) -> FloatArray:
    z = np.where(fresh, Z_FRESH, Z_DRY)
    return np.asarray(z * np.sqrt(cover_demand * 1.5) + np.where(fresh, 0.0, 2.0), dtype=np.float64)


def _whole(quantity: FloatArray, weighed: BoolArray) -> FloatArray:
    """Pieces are whole; kilograms are kept to the gram."""
    return np.where(weighed[None, :], np.round(quantity, 3), np.ceil(quantity))


def receive(inv: Inventory, day: int) -> Batch:
    """Deliveries arriving this morning: accepted goods go on hand, the lines close."""
    batch = Batch.concat(inv.pending.pop(day, []))
    if not len(batch):
        return batch
    c = batch.columns
    accepted = c["received"] - c["rejected"]
    np.add.at(inv.on_hand, (c["store"], c["sku"]), accepted)
    np.add.at(inv.on_order, (c["store"], c["sku"]), -c["ordered"])
    inv.on_order = np.maximum(inv.on_order, 0.0)
    column = np.searchsorted(inv.fresh, c["sku"])
    is_fresh = (column < inv.fresh.size) & (
        inv.fresh[np.minimum(column, inv.fresh.size - 1)] == c["sku"]
    )
    np.add.at(inv.ages[:, :, 0], (c["store"][is_fresh], column[is_fresh]), accepted[is_fresh])
    return batch


def take(inv: Inventory, quantity: FloatArray) -> None:
    """Remove ``quantity`` (stores, SKUs) from stock, fresh goods oldest first."""
    inv.on_hand = np.maximum(inv.on_hand - quantity, 0.0)
    left = quantity[:, inv.fresh].copy()
    for age in range(inv.ages.shape[2] - 1, -1, -1):  # one pass per age bucket
        used = np.minimum(inv.ages[:, :, age], left)
        inv.ages[:, :, age] -= used
        left -= used


def shrink_and_expire(inv: Inventory, catalogue: Catalogue, gen: np.random.Generator) -> Batch:
    """End-of-day losses: random shrink (damage, theft, miscount) and expired fresh goods;
    fresh stock ages by one day."""
    products = catalogue.products
    rate = np.where(products.fresh, SHRINK_RATE_FRESH, SHRINK_RATE_DRY)
    hit = (gen.random(inv.on_hand.shape) < rate[None, :]) & (inv.on_hand >= 1)
    size = np.where(products.weighed[None, :], np.round(gen.uniform(0.2, 0.6, hit.shape), 3), 1.0)
    lost = np.where(hit, np.minimum(size, inv.on_hand), 0.0)
    take(inv, lost)
    stores, skus = np.nonzero(lost)
    reasons = gen.choice([DAMAGED, THEFT, COUNT_LOSS], size=stores.size, p=[0.5, 0.3, 0.2])
    shelf = products.shelf_life[inv.fresh]
    ages = np.arange(inv.ages.shape[2])
    expiring = (ages[None, :] + 1 >= shelf[:, None])[None, :, :]
    expired = (inv.ages * expiring).sum(axis=2)
    inv.ages[:, :, :] = np.where(expiring, 0.0, inv.ages)
    inv.ages[:, :, 1:] = inv.ages[:, :, :-1].copy()
    inv.ages[:, :, 0] = 0.0
    e_store, e_col = np.nonzero(expired > 1e-9)
    e_qty = np.round(expired[e_store, e_col], 3)
    inv.on_hand[e_store, inv.fresh[e_col]] = np.maximum(
        inv.on_hand[e_store, inv.fresh[e_col]] - e_qty, 0.0
    )
    return Batch(
        {
            "store": np.r_[stores, e_store].astype(np.int64),
            "sku": np.r_[skus, inv.fresh[e_col]].astype(np.int64),
            "quantity": np.r_[lost[stores, skus], e_qty],
            "reason": np.r_[reasons, np.full(e_store.size, EXPIRED)].astype(np.int64),
        }
    )


def learn(inv: Inventory, sold: FloatArray, lift: FloatArray) -> None:
    """Update the planning forecast with today's sales, promotional lift taken out.

    Sales are censored where the shelf ran empty; there the store knows demand was at least
    what it sold and raises the forecast instead of learning the shortfall as lower demand.
    """
    clean = sold / lift
    ran_out = inv.carried & (inv.on_hand <= 1e-9)
    clean = np.where(ran_out, np.maximum(clean, inv.forecast * 1.25), clean)
    inv.forecast = np.maximum((1 - SMOOTHING) * inv.forecast + SMOOTHING * clean, inv.floor)


def replenish(
    inv: Inventory,
    catalogue: Catalogue,
    *,
    day: int,
    weekday: int,
    available: BoolArray,
    promo_extra: FloatArray,
    horizon: IntArray,
    gen: np.random.Generator,
) -> Batch:
    """Purchase order lines placed today (one order per store × supplier); their deliveries
    are scheduled. ``promo_extra`` (stores, SKUs) is the extra demand planned promotions add
    within each SKU's horizon (lead time + review period, ``horizon``)."""
    products, suppliers = catalogue.products, catalogue.suppliers
    today = suppliers.orders_on(weekday)[products.supplier] & available
    cover = inv.forecast * horizon[None, :] + promo_extra
    target = cover + _safety(products.fresh, cover)
    fresh_cap = inv.forecast * (products.shelf_life[None, :] + 1)
    target = np.where(products.fresh[None, :], np.minimum(target, fresh_cap), target)
    need = target - inv.on_hand - inv.on_order
    order = inv.carried & today[None, :] & (need > 0.25)
    stores, skus = np.nonzero(order)
    # dry goods come in whole cases; fresh goods are picked by the piece (or half kilogram)
    # at the fresh centre, since a case that will not sell before it expires is waste
    fresh = products.fresh[skus]
    step = np.where(
        fresh, np.where(products.weighed[skus], 0.5, 1.0), products.pack[skus].astype(np.float64)
    )
    qty = np.ceil(need[stores, skus] / step - 1e-9) * step
    if not stores.size:
        return Batch({})
    pair = stores * suppliers.count + products.supplier[skus]
    order_of = np.unique(pair, return_inverse=True)[1]
    line = _line_numbers(order_of)
    po = inv.po_count + order_of
    inv.po_count += int(order_of.max()) + 1
    np.add.at(inv.on_order, (stores, skus), qty)
    _schedule(
        inv,
        catalogue,
        day=day,
        stores=stores,
        skus=skus,
        po=po,
        line=line,
        qty=qty,
        order_of=order_of,
        gen=gen,
    )
    sup = products.supplier[skus]
    return Batch(
        {
            "po": po.astype(np.int64),
            "line": line,
            "store": stores.astype(np.int64),
            "sku": skus.astype(np.int64),
            "supplier": sup.astype(np.int64),
            "quantity": qty,
            "expected": day + suppliers.lead_days[sup],
        }
    )


def _line_numbers(order_of: IntArray) -> IntArray:
    """1-based line number within each order (rows of one order are in SKU order)."""
    order = np.argsort(order_of, kind="stable")
    sorted_orders = order_of[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_orders)) + 1]
    counts = np.diff(np.r_[starts, sorted_orders.size])
    line = np.empty(order_of.size, dtype=np.int64)
    line[order] = np.arange(order_of.size) - np.repeat(starts, counts) + 1
    return line


def _schedule(
    inv: Inventory,
    catalogue: Catalogue,
    *,
    day: int,
    stores: IntArray,
    skus: IntArray,
    po: IntArray,
    line: IntArray,
    qty: FloatArray,
    order_of: IntArray,
    gen: np.random.Generator,
) -> None:
    """Delivery day (late orders slip 1–3 days), quantity (short lines deliver 40–90 %) and
    inspection rejects of each ordered line."""
    products, suppliers = catalogue.products, catalogue.suppliers
    sup = products.supplier[skus]
    n_orders = int(order_of.max()) + 1
    late_draw = gen.random(n_orders)
    slip = gen.integers(1, 4, n_orders)
    late = late_draw[order_of] < suppliers.late_rate[sup]
    arrive = day + suppliers.lead_days[sup] + np.where(late, slip[order_of], 0)
    short = gen.random(qty.size) < suppliers.short_rate[sup]
    share = gen.uniform(0.4, 0.9, qty.size)
    weighed = products.weighed[skus]
    received = np.where(
        short, np.where(weighed, np.round(qty * share, 3), np.floor(qty * share)), qty
    )
    reject = products.fresh[skus] & (gen.random(qty.size) < REJECT_RATE_FRESH)
    rejected = np.where(
        reject, np.where(weighed, np.round(received * 0.1, 3), np.floor(received * 0.15)), 0.0
    )
    for when in np.unique(arrive):  # one batch per arrival day
        rows = arrive == when
        inv.pending.setdefault(int(when), []).append(
            Batch(
                {
                    "po": po[rows],
                    "line": line[rows],
                    "store": stores[rows],
                    "sku": skus[rows],
                    "ordered": qty[rows],
                    "received": received[rows],
                    "rejected": rejected[rows],
                    "ordered_day": np.full(int(rows.sum()), day, dtype=np.int64),
                    "late": late[rows],
                }
            )
        )
