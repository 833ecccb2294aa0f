"""The simulated chain before the first day: places, goods, people, plans and the calendar.

Everything here is fixed for the run; what changes day by day (stock, who is still a
member, pending deliveries and returns) lives in :class:`State`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from newretail.simulate.catalogue import Catalogue, build_catalogue
from newretail.simulate.config import SimulationConfig
from newretail.simulate.demand import Assortment, build_assortment
from newretail.simulate.inventory import Batch, Inventory
from newretail.simulate.people import Members, birthday_month_day, build_members
from newretail.simulate.places import Stores, build_stores
from newretail.simulate.promotions import PromotionPlan, build_plan
from newretail.simulate.rng import SETUP, BoolArray, IntArray, Stream, rng
from newretail.simulate.seasons import DayEffects, build_effects
from newretail.simulate.trips import TripRates, guest_rates, store_type_index
from newretail.simulate.writers import day_number


@dataclass(frozen=True)
class World:
    config: SimulationConfig
    stores: Stores
    catalogue: Catalogue
    effects: DayEffects
    members: Members
    plan: PromotionPlan
    assortment: Assortment
    rates: TripRates
    type_of_store: IntArray
    birthday_month: IntArray
    birthday_day: IntArray
    first_day_number: int

    def date_text(self, day: int) -> str:
        return self.effects.dates[day].strftime("%Y%m%d")


def build_world(config: SimulationConfig) -> World:
    """Everything fixed for the run, drawn from the seed."""
    stores = build_stores(config)
    catalogue = build_catalogue(config)
    effects = build_effects(config, catalogue.leaves)
    members = build_members(config, stores, effects)
    plan = build_plan(config, catalogue, stores.count)
    assortment = build_assortment(catalogue, stores, rng(config.seed, SETUP, Stream.PLACES))
    month, day = birthday_month_day(members)
    return World(
        config=config,
        stores=stores,
        catalogue=catalogue,
        effects=effects,
        members=members,
        plan=plan,
        assortment=assortment,
        rates=guest_rates(members, stores, config.guest_share),
        type_of_store=store_type_index(stores),
        birthday_month=month,
        birthday_day=day,
        first_day_number=day_number(config.start),
    )


@dataclass
class State:
    """What changes from day to day."""

    inventory: Inventory
    alive: BoolArray
    churned_on: IntArray  # day of dropout, -1: still active
    trips: IntArray  # purchase occasions during the period (lost ones included)
    orders: IntArray  # occasions that became an order
    join_seconds: IntArray
    birthday_used: BoolArray
    returns_due: dict[int, list[Batch]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, name: str, value: int) -> None:
        self.counts[name] = self.counts.get(name, 0) + int(value)


def start_state(world: World, inventory: Inventory) -> State:
    m = world.members
    gen = rng(world.config.seed, SETUP, Stream.JOIN_TIMES)
    return State(
        inventory=inventory,
        alive=m.alive_at_start.copy(),
        churned_on=np.full(m.count, -1, dtype=np.int64),
        trips=np.zeros(m.count, dtype=np.int64),
        orders=np.zeros(m.count, dtype=np.int64),
        join_seconds=gen.integers(9 * 3600, 21 * 3600, m.count).astype(np.int64),
        birthday_used=np.zeros(m.count, dtype=bool),
    )
