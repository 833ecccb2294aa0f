"""The simulation run: build the chain, then live it day by day, writing as it goes.

Memory is bounded by the size of the chain (stores × SKUs, members), never by the number of
days: each day's rows are appended to the export files and the ground truth, then dropped.
The output is written into a hidden folder next to ``out`` and moved into place at the end,
so ``out`` is either complete or absent.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from newretail.core import calendar
from newretail.simulate import export_dims as dims
from newretail.simulate.config import SimulationConfig, SimulationError
from newretail.simulate.demand import N_CLASSES, NEW_DAYS, ONLINE, WALK_IN, day_choice
from newretail.simulate.dirt import TRUNCATED, Dirt, truncate_last_line
from newretail.simulate.export_facts import (
    POS_HEADER,
    Day,
    write_after_sales,
    write_online,
    write_pos,
)
from newretail.simulate.export_ops import (
    SnapshotWriter,
    write_events,
    write_feedback,
    write_losses,
    write_purchase_orders,
    write_receipts,
    write_tickets,
)
from newretail.simulate.inventory import (
    Batch,
    Inventory,
    learn,
    receive,
    replenish,
    shrink_and_expire,
    start_inventory,
    take,
)
from newretail.simulate.layout import Layout, monthly, write_manifest
from newretail.simulate.online import fulfil, schedule_returns, sessions
from newretail.simulate.orders import DayOrders, OrderContext, build_orders
from newretail.simulate.promotions import DayPromotions, day_promotions, promo_days
from newretail.simulate.rng import SETUP, FloatArray, IntArray, Stream, rng
from newretail.simulate.service import feedback, payment_failures, tickets
from newretail.simulate.trips import (
    ONLINE_BASKET,
    POS,
    PRESALE_FESTIVALS,
    Trips,
    build_trips,
    expected_trips,
    member_trips,
)
from newretail.simulate.truth import Truth
from newretail.simulate.world import World, build_world, start_state

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class SimulationResult:
    """What a run produced. ``counts`` has the headline numbers (orders, order lines, online
    orders, lost trips and units, events, feedback, tickets, returns, purchase order lines,
    receipts, losses, dirty lines, members joined); ``seconds`` is the wall time."""

    out: Path
    manifest: Path
    config: SimulationConfig
    files: int
    counts: dict[str, int]
    seconds: float


def simulate(
    config: SimulationConfig, out: Path, *, on_progress: Progress | None = None
) -> SimulationResult:
    """Simulate ``config`` into ``out`` (which must not exist or be empty).

    ``out/exports`` holds the chain's export files, ``out/truth`` the ground truth (Parquet)
    and ``out/manifest.json`` every export with the built-in mapping that loads it, in load
    order. ``on_progress(done_days, total_days)`` is called after each day. The same
    configuration always gives byte-identical files.
    """
    config = config.validate()
    out = Path(out)
    staging = _staging(out)
    started = time.perf_counter()
    try:
        world = build_world(config)
        run = _Run(world, staging)
        for day in range(config.days):
            run.day(day)
            if on_progress is not None:
                on_progress(day + 1, config.days)
        manifest = run.finish()
        files = len(run.layout.files())
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _publish(staging, out)
    return SimulationResult(
        out=out,
        manifest=out / manifest.name,
        config=config,
        files=files,
        counts=dict(run.state.counts),
        seconds=time.perf_counter() - started,
    )


def _staging(out: Path) -> Path:
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise SimulationError(
            f"{out} exists and is not an empty folder", key="simulate.out_not_empty", path=str(out)
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.parent / f".{out.name}.partial-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    return staging


def _publish(staging: Path, out: Path) -> None:
    if out.exists():
        out.rmdir()
    staging.rename(out)


class _Run:
    """One run's world, state and writers."""

    def __init__(self, world: World, root: Path) -> None:
        self.world = world
        self.root = root
        self.layout = Layout(root)
        self.dirt = Dirt(world.config.dirt_rate)
        self.truth = Truth(root, world)
        self.state = start_state(world, _opening_stock(world))
        self.snapshots = SnapshotWriter(world, world.assortment.carried)
        self.review = _review_gaps(world)
        self.end_seconds = (world.first_day_number + world.config.days) * 86_400 - 1
        _write_dimensions(self.layout, world)

    def day(self, d: int) -> None:
        """Live one day: deliveries, shopping, returns, service, losses, orders to
        suppliers, snapshots, truth."""
        world, state = self.world, self.state
        date = world.effects.dates[d]
        day = Day(index=d, number=world.first_day_number + d, text=date.strftime("%Y%m%d"))
        inv = state.inventory
        received = receive(inv, d)
        write_receipts(self.layout, world, day, received)
        state.add("receipt_lines", len(received))
        available = inv.on_hand.copy()
        products = world.catalogue.products
        promos = day_promotions(
            world.plan,
            d,
            n_stores=world.stores.count,
            leaf=products.leaf,
            n_leaves=world.catalogue.leaves.count,
        )
        trips = self._trips(d, date.month, date.day)
        selling = (products.launch_day <= d) & (d < products.delist_day)
        age = d - products.launch_day
        choice = day_choice(
            world.assortment,
            leaf_factor=world.effects.leaf[d][products.leaf],
            available=selling,
            new_skus=(age >= 0) & (age < NEW_DAYS),
            promotions=promos,
            lines=_line_counts(trips, world.stores.count),
        )
        orders = build_orders(
            trips,
            choice,
            inv.on_hand,
            self._context(d, day, promos),
            birthday_used=state.birthday_used,
            gen=rng(world.config.seed, d, Stream.BASKETS),
        )
        take(inv, orders.sold)
        self._members_after(d, trips, orders.member)
        self._sales_and_service(d, day, orders)
        self._stock_after(d, day, promos, orders.sold)
        self.truth.demand(
            day,
            available=available,
            desired=orders.desired,
            sold=orders.sold,
            expected=choice.expected,
            expected_base=choice.expected_base,
            promotions=promos,
        )
        state.add("orders", orders.count)
        state.add("order_lines", orders.sku.size)
        state.add("online_orders", int((orders.channel != POS).sum()))
        state.add("lost_trips", orders.lost_trips)
        state.add("lost_units", round(float((orders.desired - orders.sold).sum())))

    def _trips(self, d: int, month: int, day_of_month: int) -> Trips:
        world, state = self.world, self.state
        m = world.members
        if month == 1 and day_of_month == 1:
            state.birthday_used[:] = False
        near = (world.birthday_month == month) & (np.abs(world.birthday_day - day_of_month) <= 3)
        gen = rng(world.config.seed, d, Stream.TRIPS)
        walk, web = expected_trips(
            m, state.alive, d, world.effects, world.type_of_store, near, world.rates
        )
        who, online = member_trips(m, state.alive, d, world.effects, world.type_of_store, near, gen)
        trips = build_trips(
            m,
            who,
            online,
            day=d,
            stores=world.stores,
            rates=world.rates,
            effects=world.effects,
            type_of_store=world.type_of_store,
            presale=_presale_day(world, d) is not None,
            gen=gen,
        )
        joining = np.flatnonzero(m.join_day[who] == d)
        state.join_seconds[who[joining]] = np.maximum(trips.seconds[joining] - 120, 0)
        state.trips[who] += 1
        self.truth.traffic(d, expected_walk_in=walk, expected_online=web, trips=trips)
        return trips

    def _context(self, d: int, day: Day, promos: DayPromotions) -> OrderContext:
        w = self.world
        return OrderContext(
            day=d,
            date_text=day.text,
            catalogue=w.catalogue,
            stores=w.stores,
            plan=w.plan,
            promotions=promos,
            coupon_response=w.members.coupon_response,
            birthday_month=w.birthday_month,
            month=w.effects.dates[d].month,
        )

    def _members_after(self, d: int, trips: Trips, order_member: IntArray) -> None:
        """Count orders, then draw who drops out after today's occasion (BG/NBD)."""
        state, m = self.state, self.world.members
        buyers = order_member[order_member >= 0]
        np.add.at(state.orders, buyers, 1)
        who = trips.member[trips.member >= 0]
        gen = rng(self.world.config.seed, d, Stream.DROPOUT)
        gone = who[gen.random(who.size) < m.dropout[who]]
        state.alive[gone] = False
        state.churned_on[gone] = d

    def _sales_and_service(self, d: int, day: Day, orders: DayOrders) -> None:
        world, state, seed = self.world, self.state, self.world.config.seed
        presale = _presale_day(world, d)
        fulfilment = fulfil(
            orders,
            day_number=day.number,
            rain_mm=float(world.effects.weather.rain_mm[d]),
            presale_day=None if presale is None else world.first_day_number + presale,
            stores=world.stores,
            members=world.members,
            gen=rng(seed, d, Stream.ONLINE),
        )
        due = Batch.concat(state.returns_due.pop(d, []))
        at_till = _subset(due, online=False)
        online_back = _subset(due, online=True)
        for when, batch in schedule_returns(
            orders, day=d, catalogue=world.catalogue, gen=rng(seed, d, Stream.RETURNS)
        ):
            state.returns_due.setdefault(when, []).append(batch)
        dirt_gen = rng(seed, d, Stream.DIRT)
        write_pos(self.layout, self.dirt, world, day, orders, at_till, dirt_gen)
        write_online(self.layout, self.dirt, world, day, orders, fulfilment, dirt_gen)
        write_after_sales(self.layout, world, day, online_back, rng(seed, d, Stream.AFTER_SALES))
        events = sessions(
            orders,
            conversion=world.config.conversion,
            catalogue=world.catalogue,
            members=world.members,
            alive=state.alive,
            gen=rng(seed, d, Stream.EVENTS),
        )
        write_events(self.layout, world, day, events, orders)
        service_gen = rng(seed, d, Stream.SERVICE)
        crowd = float(world.effects.store_traffic[d].max())
        fb = feedback(orders, fulfilment, due, day_number=day.number, crowd=crowd, gen=service_gen)
        tk = tickets(
            fb,
            end_seconds=self.end_seconds,
            payment_failures=payment_failures(orders, service_gen),
            orders=orders,
            day_number=day.number,
            gen=service_gen,
        )
        write_feedback(self.layout, world, day, fb, orders)
        write_tickets(self.layout, world, day, tk, fb, orders)
        self.truth.orders(day, orders, fulfilment)
        self.truth.returns(day, due)
        for name, value in (
            ("events", len(events)),
            ("feedback", len(fb)),
            ("tickets", len(tk)),
            ("returns", len(due)),
        ):
            state.add(name, value)

    def _stock_after(self, d: int, day: Day, promos: DayPromotions, sold: FloatArray) -> None:
        world, inv, seed = self.world, self.state.inventory, self.world.config.seed
        losses = shrink_and_expire(inv, world.catalogue, rng(seed, d, Stream.INVENTORY))
        write_losses(self.layout, world, day, losses)
        learn(inv, sold, promos.lift)
        products = world.catalogue.products
        weekday = world.effects.dates[d].isoweekday()
        lead = world.catalogue.suppliers.lead_days[products.supplier]
        horizon = lead + self.review[weekday - 1][products.supplier]
        arriving = d + lead
        active = (products.launch_day <= arriving) & (arriving < products.delist_day)
        extra = promo_days(world.plan, d, horizon, world.stores.count)
        lines = replenish(
            inv,
            world.catalogue,
            day=d,
            weekday=weekday,
            available=active,
            promo_extra=inv.forecast * extra,
            horizon=horizon,
            gen=rng(seed, d, Stream.SUPPLY),
        )
        write_purchase_orders(self.layout, world, day, lines)
        last = d == world.config.days - 1
        if d % world.config.snapshot_every == 0 or last:
            self.snapshots.write(self.layout, world, day, inv)
            self.state.add("snapshot_rows", self.snapshots.stores.size)
        for name, value in (("purchase_order_lines", len(lines)), ("losses", len(losses))):
            self.state.add(name, value)

    def finish(self) -> Path:
        """The members workbook, the truncated file, the truth and the manifest."""
        world, state = self.world, self.state
        config = world.config
        m = world.members
        churned = ~state.alive & (m.join_day < config.days)
        closed = churned & (rng(config.seed, SETUP, Stream.MEMBERS).random(m.count) < 0.1)
        dims.write_members(
            self.layout,
            m,
            world.stores,
            config,
            joined=m.join_day < config.days,
            closed=closed,
            join_seconds=state.join_seconds,
        )
        self._truncate_one_file()
        truth_files = self.truth.finish(state, self.dirt.table())
        state.add("dirty_lines", self.dirt.table().num_rows)
        state.add("members_joined", int((m.join_day < config.days).sum()))
        state.add("cell_days", int(world.assortment.carried.sum()) * config.days)
        return write_manifest(self.root, self.layout, config, dict(state.counts), truth_files)

    def _truncate_one_file(self) -> None:
        """Cut the first month's POS file of the first UTF-8 store, as an interrupted
        transfer would."""
        world = self.world
        if world.config.dirt_rate <= 0:
            return
        for s, encoding in enumerate(world.stores.encodings):
            relative = monthly(f"pos/{world.stores.ids[s]}", world.config.start, "csv")
            sink = self.layout.sinks.get(relative)
            if encoding != "utf-8" or sink is None or sink.rows < 2:
                continue
            fields = truncate_last_line(sink.path)
            if fields is not None:
                order_id = fields[POS_HEADER.index("单号")]
                self.dirt.record(
                    relative,
                    sink.rows + 1,
                    np.zeros(1, np.int64),
                    np.array([TRUNCATED]),
                    pa.array([order_id]),
                )
                return


def _write_dimensions(layout: Layout, world: World) -> None:
    dims.write_channels(layout)
    dims.write_stores(layout, world.stores)
    dims.write_categories(layout)
    dims.write_suppliers(layout, world.catalogue)
    dims.write_products(layout, world.catalogue, world.config)
    dims.write_promotions(layout, world.plan, world.catalogue, world.stores, world.config)
    dims.write_weather(layout, world.effects, world.config)


def _line_counts(trips: Trips, n_stores: int) -> FloatArray:
    """Basket lines to draw per (walk-in / online, shopper class, store)."""
    group = np.where(trips.channel == POS, WALK_IN, ONLINE)
    index = (group * N_CLASSES + trips.klass) * n_stores + trips.store
    counts = np.bincount(index, trips.basket, 2 * N_CLASSES * n_stores)
    return np.asarray(counts, dtype=np.float64).reshape(2, N_CLASSES, n_stores)


def _opening_stock(world: World) -> Inventory:
    """Stock on the first morning, sized from the demand of an ordinary day."""
    m, stores = world.members, world.stores
    active = m.alive_at_start & (m.join_day < 0)
    lines = np.zeros((2, N_CLASSES, stores.count))
    np.add.at(
        lines[WALK_IN],
        (m.klass, m.home_store),
        active * m.rate * (1 - m.online_pref) * (stores.basket[m.home_store]),
    )
    np.add.at(
        lines[ONLINE], (m.klass, m.fulfiller), active * m.rate * m.online_pref * ONLINE_BASKET
    )
    lines[WALK_IN, 0] += world.rates.walk_in_guests * stores.basket
    lines[ONLINE, 0] += world.rates.platform_guests * 2.5
    products = world.catalogue.products
    n = stores.count
    quiet = DayPromotions(
        np.full((n, products.count), -1, np.int64),
        np.ones((n, products.count)),
        np.ones((n, products.count)),
    )
    choice = day_choice(
        world.assortment,
        leaf_factor=np.ones(products.count),
        available=products.launch_day <= 0,
        new_skus=np.zeros(products.count, bool),
        promotions=quiet,
        lines=lines,
    )
    return start_inventory(
        world.catalogue,
        world.assortment.carried,
        choice.expected,
        rng(world.config.seed, SETUP, Stream.INVENTORY),
    )


def _review_gaps(world: World) -> list[IntArray]:
    """Per weekday (Monday first): days from an order to the supplier's next order day."""
    suppliers = world.catalogue.suppliers
    gaps = []
    for weekday in range(1, 8):
        gap = [min(((d - weekday - 1) % 7) + 1 for d in days) for days in suppliers.order_days]
        gaps.append(np.array(gap, dtype=np.int64))
    return gaps


def _presale_day(world: World, d: int) -> int | None:
    """The peak day (relative) a presale placed on day ``d`` is delivered on, if any."""
    date = world.effects.dates[d]
    for festival in calendar.festivals_on(date):
        if festival.key in PRESALE_FESTIVALS and date < festival.peak[0]:
            return (festival.peak[0] - world.config.start).days
    return None


def _subset(batch: Batch, *, online: bool) -> Batch:
    if not len(batch):
        return batch
    rows = batch.columns["online"] == int(online)
    return Batch({k: v[rows] for k, v in batch.columns.items()})
