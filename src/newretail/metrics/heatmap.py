"""The hour-of-week heat map of orders (SPEC K3): when orders are placed, per channel, on the
local clock.

An order's hour is read on the clock of its store (``stores.timezone``), else of the chain
(``Settings.timezone``), daylight saving time included. The window selects orders by business
day; the hour and weekday are those of the clock, so an order at 00:30 on Saturday that a store
open past midnight books to Friday sits in Saturday's first hour.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import ibis
import pyarrow as pa

from newretail.core.settings import Settings, get_settings
from newretail.metrics.errors import check_request
from newretail.metrics.model import CHANNEL, STORE
from newretail.metrics.timezones import local_hour, local_weekday, store_zones, with_local_seconds

#: Dimensions a heat map can be split by.
HEATMAP_DIMENSIONS = (CHANNEL, STORE)


def order_heatmap(
    con: Any,
    *,
    start: date,
    end: date,
    by: Sequence[str] = (CHANNEL,),
    settings: Settings | None = None,
) -> pa.Table:
    """Orders (not cancelled) of the business days ``start``–``end`` by local weekday and hour.

    Columns: the ``by`` dimensions (``channel_id`` and/or ``store_id``), ``weekday`` (1 =
    Monday … 7), ``hour`` (0–23), ``orders``, ``net_amount`` (the orders' ``net_amount``,
    fen), ``days`` (how many of that weekday the window has) and
    ``orders_per_day`` (orders over days). Every slice with orders gets the full 7 × 24 grid,
    zeros included.
    """
    slices = _check(by, start, end)
    settings = settings or get_settings()
    orders = con.table("orders")
    orders = orders.filter(
        orders.business_date.between(start, end),
        orders.status.isnull() | (orders.status != "cancelled"),
    )
    stores = con.table("stores").select(_s_id="store_id", _s_zone="timezone")
    joined = orders.left_join(stores, orders.store_id == stores._s_id)
    zone = ibis.coalesce(joined._s_zone, ibis.literal(settings.timezone))
    local = with_local_seconds(
        joined, "ordered_at", zone=zone, zones=store_zones(con, settings.timezone)
    )
    placed = local.mutate(weekday=local_weekday(local.local_s), hour=local_hour(local.local_s))
    counts = placed.group_by([*slices, "weekday", "hour"]).aggregate(
        orders=placed.count(), net_amount=placed.net_amount.sum()
    )
    return _fill(counts, slices, _weekday_counts(start, end))


def _check(by: Sequence[str], start: date, end: date) -> tuple[str, ...]:
    return check_request(by, start, end, metric="order_heatmap", supported=HEATMAP_DIMENSIONS)


def _weekday_counts(start: date, end: date) -> pa.Table:
    """Every weekday and hour with the number of days of that weekday in the window."""
    days = [0] * 7
    for offset in range((end - start).days + 1):
        days[(start + timedelta(days=offset)).isoweekday() - 1] += 1
    cells = [(w, h) for w in range(1, 8) for h in range(24)]
    return pa.table(
        {
            "weekday": pa.array([c[0] for c in cells], pa.int64()),
            "hour": pa.array([c[1] for c in cells], pa.int64()),
            "days": pa.array([days[c[0] - 1] for c in cells], pa.int64()),
        }
    )


def _fill(counts: Any, slices: tuple[str, ...], grid: pa.Table) -> pa.Table:
    """The counts on the full week × hour grid of every slice, zeros where none."""
    cells = ibis.memtable(grid)
    if slices:
        cells = cells.cross_join(counts.select(*slices).distinct())
    cells = cells.view()
    keys = ["weekday", "hour", *slices]
    found = counts.rename({f"_k_{name}": name for name in keys}).view()
    predicates = [cells.weekday == found._k_weekday, cells.hour == found._k_hour]
    predicates += [cells[name].identical_to(found[f"_k_{name}"]) for name in slices]
    joined = cells.left_join(found, predicates)
    orders = joined.orders.fill_null(0)
    table = joined.select(
        *(cells[name] for name in slices),
        weekday=cells.weekday,
        hour=cells.hour,
        orders=orders,
        net_amount=joined.net_amount.fill_null(0),
        days=cells.days,
        orders_per_day=ibis.cases(
            (cells.days > 0, orders.cast("float64") / cells.days), else_=ibis.null("float64")
        ),
    ).to_pyarrow()
    order = [(name, "ascending", "at_end") for name in (*slices, "weekday", "hour")]
    return table.sort_by(order)
