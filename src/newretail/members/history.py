"""Segment sizes over time and the moves between segments.

Every member's layer (:mod:`newretail.members.segments`) is taken on each snapshot day
(by default the last day of every month), as it stood then: only purchases up to that day
count, and a member appears from the day they joined or first bought. Sizes count the
members per layer and day; transitions count, between consecutive snapshots, how many
members moved from each layer to each other (staying put included), with the share of the
layer they came from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import ibis
import ibis.expr.types as ir
import pyarrow as pa
from ibis.backends import BaseBackend

from newretail.members.errors import InvalidRule
from newretail.members.facts import member_base, purchases
from newretail.members.identity import Resolution
from newretail.members.segments import LayerRules, layer_expr

#: before any business day: the lower bound of the first snapshot's bucket
_DAWN = date(1900, 1, 1)


def month_ends(start: date, end: date) -> list[date]:
    """The last day of every month from ``start``'s month through ``end``'s, up to ``end``
    (``end`` itself closes the list when it is not a month end)."""
    if end < start:
        raise InvalidRule(rule="end", value=end.isoformat(), reason="is before start")
    days: list[date] = []
    first = date(start.year, start.month, 1)
    while first <= end:
        following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        days.append(min(following - timedelta(days=1), end))
        first = following
    return days


@dataclass(frozen=True)
class SegmentHistory:
    """``members``: ``member_id``, ``as_of``, ``layer`` per member and snapshot;
    ``sizes``: ``as_of``, ``layer``, ``members``, ``share``; ``transitions``:
    ``from_date``, ``to_date``, ``from_layer``, ``to_layer``, ``members``, ``share``."""

    members: pa.Table
    sizes: pa.Table
    transitions: pa.Table


def history_expr(
    con: BaseBackend,
    *,
    snapshots: Sequence[date],
    rules: LayerRules | None = None,
    resolution: Resolution | None = None,
) -> ir.Table:
    """Every member's layer on every snapshot day: ``member_id``, ``step`` (0, 1, … in date
    order), ``as_of``, ``layer``."""
    rules = rules or LayerRules()
    days = sorted(set(snapshots))
    if not days:
        raise InvalidRule(rule="snapshots", value="()", reason="at least one day is needed")
    snaps = ibis.memtable(
        pa.table(
            {
                "step": pa.array(range(len(days)), pa.int64()),
                "as_of": pa.array(days, pa.date32()),
                "since": pa.array([_DAWN, *days[:-1]], pa.date32()),
                "window_start": pa.array(
                    [d - timedelta(days=rules.window_days - 1) for d in days], pa.date32()
                ),
            }
        )
    )
    bought = purchases(con, resolution=resolution, end=days[-1])
    daily = bought.group_by(["member_id", "business_date"]).agg(orders=bought.count())
    last = _last_in_bucket(daily, snaps)
    recent = _recent(daily, snaps)
    grid = _grid(con, daily, snaps, resolution)
    joined = grid.left_join(last, ["member_id", "step"]).left_join(recent, ["member_id", "step"])
    running = ibis.window(group_by="member_id", order_by="step", preceding=None, following=0)
    last_so_far = joined.bucket_last.max().over(running)
    return joined.select(
        "member_id",
        "step",
        "as_of",
        layer=layer_expr(last_so_far, joined.recent.fill_null(0), joined.as_of, rules),
    )


def _last_in_bucket(daily: ir.Table, snaps: ir.Table) -> ir.Table:
    """The last purchase day of each member between one snapshot and the next."""
    hit = daily.inner_join(
        snaps,
        (daily.business_date > snaps.since) & (daily.business_date <= snaps.as_of),
    )
    return hit.group_by(["member_id", "step"]).agg(bucket_last=hit.business_date.max())


def _recent(daily: ir.Table, snaps: ir.Table) -> ir.Table:
    hit = daily.inner_join(
        snaps,
        (daily.business_date >= snaps.window_start) & (daily.business_date <= snaps.as_of),
    )
    return hit.group_by(["member_id", "step"]).agg(recent=hit.orders.sum())


def _grid(
    con: BaseBackend, daily: ir.Table, snaps: ir.Table, resolution: Resolution | None
) -> ir.Table:
    """Member × snapshot, from the day the member joined or first bought."""
    firsts = daily.group_by("member_id").agg(first_day=daily.business_date.min())
    base = member_base(con, resolution=resolution)
    base = base.select("member_id", first_day=base.joined_on)
    starts = base.union(firsts).group_by("member_id").agg(since_day=ibis._.first_day.min())
    grid = starts.cross_join(snaps.select("step", "as_of"))
    return grid.filter(grid.since_day.isnull() | (grid.since_day <= grid.as_of)).select(
        "member_id", "step", "as_of"
    )


def segment_sizes(history: ir.Table) -> ir.Table:
    """Members per layer and snapshot, with the layer's share of that day's members."""
    counts = history.group_by(["as_of", "layer"]).agg(members=history.count())
    total = counts.members.sum().over(group_by="as_of")
    return counts.mutate(share=counts.members.cast("float64") / total).order_by(["as_of", "layer"])


def segment_transitions(history: ir.Table) -> ir.Table:
    """Moves between consecutive snapshots: members per (from, to) pair and their share of
    the ``from`` layer. Members first seen on the later day are not counted."""
    before = history.select(
        "member_id", next_step=history.step + 1, from_date=history.as_of, from_layer=history.layer
    )
    after = history.select("member_id", step="step", to_date=history.as_of, to_layer=history.layer)
    pairs = before.inner_join(
        after, (before.member_id == after.member_id) & (before.next_step == after.step)
    )
    counts = pairs.group_by(["from_date", "to_date", "from_layer", "to_layer"]).agg(
        members=pairs.count()
    )
    origin = counts.members.sum().over(group_by=["from_date", "from_layer"])
    return counts.mutate(share=counts.members.cast("float64") / origin).order_by(
        ["from_date", "from_layer", "to_layer"]
    )


def segment_history(
    con: BaseBackend,
    *,
    snapshots: Sequence[date],
    rules: LayerRules | None = None,
    resolution: Resolution | None = None,
) -> SegmentHistory:
    """Layers on every snapshot day, their sizes and the transitions (see
    :class:`SegmentHistory`); the per-member history is computed once and summarised."""
    expr = history_expr(con, snapshots=snapshots, rules=rules, resolution=resolution)
    members = expr.select("member_id", "step", "as_of", "layer").to_pyarrow()
    table = ibis.memtable(members)
    return SegmentHistory(
        members=members.drop_columns(["step"]).sort_by(
            [("member_id", "ascending"), ("as_of", "ascending")]
        ),
        sizes=con.to_pyarrow(segment_sizes(table)),
        transitions=con.to_pyarrow(segment_transitions(table)),
    )
