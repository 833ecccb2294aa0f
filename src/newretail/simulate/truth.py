"""Ground truth: what really happened, kept apart from the exports.

``truth/demand/<YYYY-MM>.parquet`` holds, per store × SKU × day, the expected demand (with
and without the promotions' effect), the demand realised (lost sales included), the stock
available, what was sold and what was lost. Beside it: members with their true traits and
churn, promotions with their true lift, the calendar and weather multipliers of every day,
the category effects, the orders and returns as they happened, and where dirt was put.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from newretail.simulate.catalogue import catalogue_data
from newretail.simulate.export_facts import Day
from newretail.simulate.inventory import Batch
from newretail.simulate.layout import TRUTH
from newretail.simulate.online import RETURN_REASONS, Fulfilment
from newretail.simulate.orders import DayOrders
from newretail.simulate.people import CLASSES, GENDERS, LIFE_STAGES
from newretail.simulate.places import CHANNEL_IDS
from newretail.simulate.promotions import ALL_STORES, CLASS_GAMMA, DIP_DAYS, DayPromotions
from newretail.simulate.seasons import STORE_TYPES
from newretail.simulate.trips import FULFILMENTS, POS, Trips
from newretail.simulate.world import State, World
from newretail.simulate.writers import codes, pick

_DEMAND_SCHEMA = pa.schema(
    [
        ("business_date", pa.date32()),
        ("store_id", pa.string()),
        ("sku_id", pa.string()),
        ("expected", pa.float64()),
        ("expected_base", pa.float64()),
        ("desired", pa.float64()),
        ("available", pa.float64()),
        ("sold", pa.float64()),
        ("lost", pa.float64()),
        ("promotion_id", pa.string()),
        ("lift", pa.float64()),
    ]
)


class Truth:
    """Writes the ground truth as the days go by, and the rest at the end."""

    def __init__(self, root: Path, world: World) -> None:
        self.root = root / TRUTH
        self.root.mkdir(parents=True, exist_ok=True)
        self.world = world
        self.full = world.config.full_demand_truth
        self.cells = np.nonzero(world.assortment.carried)
        self.writers: dict[str, pq.ParquetWriter] = {}
        self.files: list[str] = []

    def _writer(self, name: str, schema: pa.Schema) -> pq.ParquetWriter:
        found = self.writers.get(name)
        if found is None:
            path = self.root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            found = pq.ParquetWriter(path, schema)
            self.writers[name] = found
            self.files.append(name)
        return found

    def demand(
        self,
        day: Day,
        *,
        available: np.ndarray,
        desired: np.ndarray,
        sold: np.ndarray,
        expected: np.ndarray,
        expected_base: np.ndarray,
        promotions: DayPromotions,
    ) -> None:
        stores, skus = self.cells
        if not self.full:
            keep = (desired[stores, skus] > 0) | (promotions.item[stores, skus] >= 0)
            stores, skus = stores[keep], skus[keep]
        item = promotions.item[stores, skus]
        plan = self.world.plan
        promo_id = pick(
            plan.ids,
            np.where(
                item >= 0, plan.item_promo[np.maximum(item, 0)] if plan.item_promo.size else -1, -1
            ),
        )
        n = stores.size
        table = pa.table(
            {
                "business_date": pa.array(np.full(n, day.number).astype("datetime64[D]")),
                "store_id": pick(self.world.stores.ids, stores),
                "sku_id": pick(self.world.catalogue.products.ids, skus),
                "expected": expected[stores, skus],
                "expected_base": expected_base[stores, skus],
                "desired": desired[stores, skus],
                "available": available[stores, skus],
                "sold": sold[stores, skus],
                "lost": np.round(desired[stores, skus] - sold[stores, skus], 3),
                "promotion_id": promo_id,
                "lift": promotions.lift[stores, skus],
            },
            schema=_DEMAND_SCHEMA,
        )
        name = f"demand/{self.world.effects.dates[day.index]:%Y-%m}.parquet"
        self._writer(name, _DEMAND_SCHEMA).write_table(table)

    def traffic(
        self, d: int, *, expected_walk_in: np.ndarray, expected_online: np.ndarray, trips: Trips
    ) -> None:
        """Per store and day: expected and realised walk-in and online trips (lost ones
        included), online by the fulfilling store."""
        n = expected_walk_in.size
        online = trips.channel != POS
        day_number = self.world.first_day_number + d
        table = pa.table(
            {
                "business_date": pa.array(np.full(n, day_number).astype("datetime64[D]")),
                "store_id": pa.array(self.world.stores.ids),
                "expected_walk_in": expected_walk_in,
                "expected_online": expected_online,
                "walk_in_trips": np.bincount(trips.store[~online], minlength=n),
                "online_trips": np.bincount(trips.store[online], minlength=n),
            }
        )
        self._writer("traffic.parquet", table.schema).write_table(table)

    def orders(self, day: Day, orders: DayOrders, fulfilment: Fulfilment) -> None:
        n_skus = self.world.catalogue.products.count
        pairs = np.unique(orders.line_order * n_skus + orders.sku)
        distinct = np.bincount(pairs // n_skus, minlength=orders.count)
        table = pa.table(
            {
                "order_id": orders.order_id,
                "business_date": pa.array(
                    np.full(orders.count, day.number).astype("datetime64[D]")
                ),
                "store_id": pick(self.world.stores.ids, orders.store),
                "channel_id": pick(CHANNEL_IDS, orders.channel),
                "member_id": _members(orders.member),
                "fulfilment": pick(FULFILMENTS, orders.fulfilment),
                "lines": np.bincount(orders.line_order, minlength=orders.count),
                "distinct_skus": distinct,
                "units": np.bincount(orders.line_order, orders.quantity, orders.count),
                "gross_fen": orders.gross,
                "net_fen": orders.net,
                "lost_lines": orders.lost_lines,
                "late": fulfilment.late,
            }
        )
        self._writer("orders.parquet", table.schema).write_table(table)

    def returns(self, day: Day, batch: Batch) -> None:
        if not len(batch):
            return
        c = batch.columns
        table = pa.table(
            {
                "business_date": pa.array(
                    np.full(c["sku"].size, day.number).astype("datetime64[D]")
                ),
                "order_id": pa.array(c["order"].astype(str)),
                "sku_id": pick(self.world.catalogue.products.ids, c["sku"]),
                "quantity": c["quantity"],
                "refund_fen": c["refund"],
                "reason": pick(RETURN_REASONS, c["reason"]),
                "online": c["online"].astype(bool),
            }
        )
        self._writer("returns.parquet", table.schema).write_table(table)

    def finish(self, state: State, dirt: pa.Table) -> list[str]:
        """Close the streamed files and write the static ones; the files written."""
        for writer in self.writers.values():
            writer.close()
        for name, table in (
            ("members.parquet", self._members(state)),
            ("promotions.parquet", self._promotions()),
            ("calendar.parquet", self._calendar()),
            ("category_effects.parquet", self._category_effects()),
            ("dirt.parquet", dirt),
        ):
            pq.write_table(table, self.root / name)
            self.files.append(name)
        return sorted(self.files)

    def _members(self, state: State) -> pa.Table:
        m, first = self.world.members, self.world.config.start
        n = m.count
        base = np.datetime64(first, "D")
        churned = state.churned_on
        return pa.table(
            {
                "member_id": codes("M", np.arange(n), 8),
                "joined_on": pa.array(base + m.join_day),
                "join_channel_id": pick(CHANNEL_IDS, m.join_channel),
                "home_store_id": pick(self.world.stores.ids, m.home_store),
                "fulfilment_store_id": pick(self.world.stores.ids, m.fulfiller),
                "purchase_rate": m.rate,
                "dropout_probability": m.dropout,
                "purchases_before": m.trips_before,
                "alive_at_start": m.alive_at_start,
                "alive_at_end": state.alive,
                "churned_on": pa.array(base + np.maximum(churned, 0), mask=churned < 0),
                "trips": state.trips,
                "orders": state.orders,
                "price_sensitivity": m.price_sensitivity,
                "quality_orientation": m.quality,
                "trend_affinity": m.trend,
                "coupon_response": m.coupon_response,
                "online_preference": m.online_pref,
                "online_channel_id": pick(CHANNEL_IDS, m.online_channel),
                "life_stage": pick(LIFE_STAGES, m.life_stage),
                "shopper_class": pick(CLASSES, m.klass),
                "birthday": pa.array(np.datetime64("1970-01-01", "D") + m.birth),
                "gender": pick(GENDERS, m.gender),
            }
        )

    def _promotions(self) -> pa.Table:
        plan, world = self.world.plan, self.world
        p = world.catalogue.products
        promo = plan.item_promo
        base = np.datetime64(world.config.start, "D")
        store = plan.item_store
        return pa.table(
            {
                "promotion_id": pick(plan.ids, promo),
                "name": pick(plan.names, promo),
                "mechanic": pick(plan.mechanics, promo),
                "festival": pick([f or "" for f in plan.festivals], promo),
                "starts_on": pa.array(base + np.array(plan.starts, dtype=np.int64)[promo]),
                "ends_on": pa.array(base + np.array(plan.ends, dtype=np.int64)[promo]),
                "sku_id": pick(p.ids, plan.item_sku),
                "store_id": pick(
                    ["ALL", *world.stores.ids], np.where(store == ALL_STORES, 0, store + 1)
                ),
                "discount": 1 - plan.promo_price / p.price[plan.item_sku],
                "promo_price_fen": plan.promo_price,
                "elasticity": p.elasticity[plan.item_sku],
                "lift": plan.lift,
                "lift_price_sensitive": plan.lift ** CLASS_GAMMA[1],
                "lift_quality": plan.lift ** CLASS_GAMMA[2],
                "cannibalisation": plan.cannibalisation,
                "dip": plan.dip,
                "dip_days": np.full(promo.size, DIP_DAYS),
            }
        )

    def _calendar(self) -> pa.Table:
        e = self.world.effects
        days = np.array([np.datetime64(d, "D") for d in e.dates])
        columns: dict[str, object] = {
            "business_date": pa.array(days),
            "weekday": e.weekday,
            "is_holiday": e.is_holiday,
            "holiday_name": pa.array(e.holiday_name, pa.string()),
            "festival": pa.array(e.festival, pa.string()),
            "spring_festival_phase": pa.array(e.spring_phase, pa.string()),
            "temp_max_c": e.weather.temp_max,
            "temp_min_c": e.weather.temp_min,
            "precipitation_mm": e.weather.rain_mm,
            "weekday_store": e.weekday_store,
            "weekday_online": e.weekday_online,
            "calendar_online": e.calendar_online,
            "weather_store": e.weather_store,
            "weather_online": e.weather_online,
            "online_traffic": e.online_traffic,
        }
        for i, kind in enumerate(STORE_TYPES):
            columns[f"holiday_{kind}"] = e.holiday_store[:, i]
            columns[f"store_traffic_{kind}"] = e.store_traffic[:, i]
        return pa.table(columns)

    def _category_effects(self) -> pa.Table:
        """Per day and leaf category: the total multiplier and its weather part."""
        e, leaves = self.world.effects, self.world.catalogue.leaves
        n_days, n_leaves = e.leaf.shape
        heat = (e.weather.temp_max - 22.0) / 10.0
        temp = np.exp(heat[:, None] * leaves.temp[None, :])
        rain = np.exp(e.weather.rainy[:, None] * leaves.rain[None, :])
        first = np.datetime64(self.world.config.start, "D")
        names = {leaf["id"]: leaf["zh"] for leaf in catalogue_data()["leaf"]}
        leaf_index = np.tile(np.arange(n_leaves), n_days)
        return pa.table(
            {
                "business_date": pa.array(np.repeat(first + np.arange(n_days), n_leaves)),
                "category_id": pick(leaves.ids, leaf_index),
                "category_name": pick([names[i] for i in leaves.ids], leaf_index),
                "factor": e.leaf.ravel(),
                "temperature_effect": temp.ravel(),
                "rain_effect": rain.ravel(),
                "festival_effect": (e.leaf / (temp * rain)).ravel(),
                "temp_per_10c": leaves.temp[leaf_index],
                "rain_log_effect": leaves.rain[leaf_index],
            }
        )


def _members(member: np.ndarray) -> pa.Array:
    text = codes("M", np.maximum(member, 0), 8)
    return pc.if_else(pa.array(member < 0), pa.nulls(len(text), pa.string()), text)
