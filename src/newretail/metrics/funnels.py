"""Online session funnels (SPEC K3): visit → product view → add to cart → checkout → pay, and
where carts are abandoned.

The funnel is ordered: a session reaches a step when it has an event of that step at or after
the moment it reached the step before (the first step is the session's first event). A
session belongs to the business day of its first event and to that event's channel; its
events count even when they happen after midnight. A session's events share one channel (should
they not, the session takes the smallest channel id, as the catalogue's session metrics do).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from itertools import pairwise
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from newretail.core.i18n import translate
from newretail.metrics.errors import check_request
from newretail.metrics.model import CHANNEL

#: The funnel's steps in order: ``session`` is any first event, the others are event types.
FUNNEL_STEPS = ("session", "view", "add_to_cart", "checkout", "pay")
#: Dimensions a funnel can be split by (sessions know their channel and nothing else).
FUNNEL_DIMENSIONS = (CHANNEL,)


def step_label(step: str, lang: str | None = None) -> str:
    """The name of funnel step ``step`` in ``lang`` ("加购", "add to cart" …)."""
    return translate(f"metrics.funnel.{step}", lang)


def _check(by: Sequence[str], start: date, end: date) -> tuple[str, ...]:
    return check_request(by, start, end, metric="funnel", supported=FUNNEL_DIMENSIONS)


def session_progress(con: Any, *, start: date, end: date) -> ir.Table:
    """One row per session started in ``start``–``end``: ``session_id``, ``channel_id``,
    ``business_date`` and ``at_<step>`` for every step of :data:`FUNNEL_STEPS`, the moment
    the session reached it in order (null if it never did)."""
    events = con.table("events")
    reached = events.group_by("session_id").aggregate(
        business_date=events.business_date.min(),
        channel_id=events.channel_id.min(),
        at_session=events.occurred_at.min(),
    )
    reached = reached.filter(reached.business_date.between(start, end))
    for previous, step in pairwise(FUNNEL_STEPS):
        reached = _next_step(events, reached.view(), previous, step)
    return reached


def _next_step(events: ir.Table, reached: ir.Table, previous: str, step: str) -> ir.Table:
    """``reached`` with ``at_<step>``: the first ``step`` event at or after ``at_<previous>``."""
    kind = events.filter(events.event_type == step).view()
    after = reached.join(
        kind,
        [
            reached.session_id == kind.session_id,
            kind.occurred_at >= reached[f"at_{previous}"],
        ],
    )
    found = after.group_by(_sid=reached.session_id).aggregate(_at=kind.occurred_at.min()).view()
    joined = reached.left_join(found, reached.session_id == found._sid)
    return joined.select(*reached.columns, **{f"at_{step}": found._at}).view()


def funnel(con: Any, *, start: date, end: date, by: Sequence[str] = (CHANNEL,)) -> pa.Table:
    """The ordered funnel of the sessions started in ``start``–``end``, per ``by``.

    Columns: the ``by`` dimensions (``channel_id`` or none), ``step_no`` (1–5), ``step``,
    ``sessions`` (reaching the step), ``share_of_start`` (of the sessions of step 1),
    ``step_conversion`` (of the step before; null for step 1), ``drop_off`` (sessions of the
    step before that did not reach this one; null for step 1) and ``drop_off_rate``. One row
    per step for every slice that has sessions.
    """
    slices = _check(by, start, end)
    progress = session_progress(con, start=start, end=end)
    counts = _grouped(progress, slices).aggregate(
        **{f"n_{s}": progress[f"at_{s}"].count() for s in FUNNEL_STEPS}
    )
    parts = []
    for number, step in enumerate(FUNNEL_STEPS, 1):
        here = counts[f"n_{step}"]
        before = counts[f"n_{FUNNEL_STEPS[number - 2]}"] if number > 1 else None
        parts.append(
            counts.select(
                *slices,
                step_no=ibis.literal(number),
                step=ibis.literal(step),
                sessions=here,
                share_of_start=_share(here, counts.n_session),
                step_conversion=_share(here, before) if before is not None else _null(),
                drop_off=(before - here) if before is not None else ibis.null("int64"),
                drop_off_rate=_share(before - here, before) if before is not None else _null(),
            )
        )
    table = ibis.union(*parts).to_pyarrow()
    keys = [(name, "ascending", "at_end") for name in (*slices, "step_no")]
    return table.sort_by(keys)


def cart_abandonment(
    con: Any, *, start: date, end: date, by: Sequence[str] = (CHANNEL,)
) -> pa.Table:
    """Where carts are abandoned, per ``by``, among sessions started in ``start``–``end``.

    Columns: the ``by`` dimensions, ``carts`` (sessions that reached add-to-cart),
    ``checkouts`` and ``paid`` (of those, reaching checkout and payment in order),
    ``abandoned`` (carts − paid), ``abandonment_rate`` (abandoned over carts; null without
    carts), ``before_checkout`` (carts never checked out) and ``at_checkout`` (checked out,
    never paid), with ``before_checkout_share`` and ``at_checkout_share`` of the abandoned.
    """
    slices = _check(by, start, end)
    progress = session_progress(con, start=start, end=end)
    counts = _grouped(progress, slices).aggregate(
        carts=progress.at_add_to_cart.count(),
        checkouts=progress.at_checkout.count(),
        paid=progress.at_pay.count(),
    )
    abandoned = counts.carts - counts.paid
    before_checkout = counts.carts - counts.checkouts
    at_checkout = counts.checkouts - counts.paid
    result = counts.select(
        *slices,
        carts=counts.carts,
        checkouts=counts.checkouts,
        paid=counts.paid,
        abandoned=abandoned,
        abandonment_rate=_share(abandoned, counts.carts),
        before_checkout=before_checkout,
        at_checkout=at_checkout,
        before_checkout_share=_share(before_checkout, abandoned),
        at_checkout_share=_share(at_checkout, abandoned),
    )
    table = result.to_pyarrow()
    return table.sort_by([(name, "ascending", "at_end") for name in slices]) if slices else table


def _grouped(table: ir.Table, slices: tuple[str, ...]) -> Any:
    return table.group_by(list(slices)) if slices else table


def _share(part: ir.Value, whole: ir.Value) -> ir.Value:
    return ibis.cases((whole > 0, part.cast("float64") / whole), else_=_null())


def _null() -> ir.Value:
    return ibis.null("float64")
